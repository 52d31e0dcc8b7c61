// Single logout without waiting for the citizen. In a frame: posts npass's logout request to
// the service at once, or tells npass's logout page the service's answer came. On the logout
// page: continues when every service has answered, or after ten seconds. Without this script
// the frames have their own button and the page its "Continue".
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const post = document.getElementById("saml-post");
  if (post) { post.submit(); return; }
  const outcome = document.getElementById("saml-outcome");
  if (outcome && window.parent !== window) {
    window.parent.postMessage({ samlLogout: outcome.dataset.request }, window.location.origin);
    return;
  }
  const form = document.getElementById("saml-logout");
  if (!form) return;
  const waiting = new Set(Array.from(document.querySelectorAll("iframe[data-request]"), (f) => f.dataset.request));
  let sent = false;
  const go = () => { if (!sent) { sent = true; form.submit(); } };
  window.addEventListener("message", (ev) => {
    if (ev.origin !== window.location.origin || !ev.data || typeof ev.data.samlLogout !== "string") return;
    waiting.delete(ev.data.samlLogout);
    if (waiting.size === 0) go();
  });
  if (waiting.size === 0) go();
  setTimeout(go, 10000);
});
