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
  function b64(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) { s += '='; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function pick(number) {
    api('/options', { number: number }).then(function (c) {
      var pk = c.options.publicKey;
      pk.challenge = unb64(pk.challenge);
      pk.allowCredentials = [];
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        var r = cred.response;
        var credential = JSON.stringify({
          id: cred.id, rawId: b64(cred.rawId), type: cred.type, extensions: {},
          response: {
            authenticatorData: b64(r.authenticatorData), clientDataJSON: b64(r.clientDataJSON),
            signature: b64(r.signature), userHandle: r.userHandle ? b64(r.userHandle) : null
          }
        });
        return api('/approve', { ceremony: c.ceremony, credential: credential });
      });
    }).then(function (v) { step('done', v.message); })
      .catch(function (e) {
        step('error', e && e.name === 'NotAllowedError' ? root.getAttribute('data-cancelled') : e.message);
      });
  }
  if (!window.PublicKeyCredential || !id || !secret) {
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
