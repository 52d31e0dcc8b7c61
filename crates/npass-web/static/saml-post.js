// Sends the SAML message on at once; without this script the citizen presses "Continue".
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("saml-post");
  if (form) form.submit();
});
