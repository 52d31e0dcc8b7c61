// The phone's approval of a QR login (design note 0015): reads the request's id and secret
// from the link's fragment, shows who is asking, lets the citizen pick the number the
// computer shows, and answers with a passkey (the phone's screen lock). Nothing is approved
// without the citizen's pick and unlock.
(function () {
  'use strict';
  var root = document.getElementById('approve');
  if (!root) { return; }
  // Another code opened in this page (same address, a new fragment): start over with it.
  window.addEventListener('hashchange', function () { window.location.reload(); });
  var frag = window.location.hash.replace(/^#/, '').split('.');
  var id = frag[0] || '', secret = frag[1] || '';
  // The secret leaves the address bar (and the history) at once.
  if (window.history.replaceState) { window.history.replaceState(null, '', window.location.pathname); }
  function step(name, text) {
    root.querySelectorAll('[data-step]').forEach(function (el) {
      el.hidden = el.getAttribute('data-step') !== name;
    });
    var el = root.querySelector('[data-step="' + name + '"]');
    if (text !== undefined) { el.textContent = text; }
    if (name === 'error' || name === 'done') { el.focus(); }
  }
  function api(path, body) {
    body.secret = secret;
    return fetch('/app/v1/approvals/' + encodeURIComponent(id) + path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (v) {
        if (!r.ok) { throw new Error(v.message || root.getAttribute('data-failed')); }
        return v;
      });
    });
  }
  function pick(number) {
    api('/options', { number: number }).then(function (c) {
      var pk = c.options.publicKey;
      pk.challenge = webauthn.unb64(pk.challenge);
      pk.allowCredentials = [];
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        return api('/approve', { ceremony: c.ceremony, credential: webauthn.answer(cred) });
      });
    }).then(function (v) { step('done', v.message); })
      .catch(function (e) {
        step('error', e && e.name === 'NotAllowedError' ? root.getAttribute('data-cancelled') : e.message);
      });
  }
  // The encodings passkey.js uses (loaded before this script).
  var webauthn = window.npassWebAuthn;
  if (!window.PublicKeyCredential || !webauthn || !id || !secret) {
    step('error', root.getAttribute('data-failed'));
    return;
  }
  api('', {}).then(function (req) {
    ['service', 'browser', 'place', 'at'].forEach(function (k) {
      root.querySelector('[data-field="' + k + '"]').textContent = req[k];
    });
    var box = root.querySelector('.numbers');
    req.numbers.forEach(function (n) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'number';
      b.textContent = String(n);
      b.addEventListener('click', function () { pick(n); });
      box.appendChild(b);
    });
    root.querySelector('[data-action="deny"]').addEventListener('click', function () {
      api('/deny', {}).then(function (v) { step('done', v.message); })
        .catch(function (e) { step('error', e.message); });
    });
    step('ask');
  }).catch(function (e) { step('error', e.message); });
})();
