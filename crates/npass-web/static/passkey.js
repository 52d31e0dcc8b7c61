// npass passkeys: runs the WebAuthn ceremonies the server starts and posts the authenticator's
// answer back as an ordinary form. Everything else is server-rendered; without this script
// (or without WebAuthn) the passkey parts of a page stay hidden.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }

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
  function ids(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: unb64(c.id) };
      if (c.transports) { d.transports = c.transports; }
      return d;
    });
  }
  var TRANSPORTS = ['usb', 'nfc', 'ble', 'internal', 'hybrid'];
  function answer(c) {
    var r = c.response, out = { id: c.id, rawId: b64(c.rawId), type: c.type, extensions: {} };
    var ext = c.getClientExtensionResults ? c.getClientExtensionResults() : {};
    if (ext.credProps) { out.extensions.credProps = { rk: !!ext.credProps.rk }; }
    if (r.attestationObject) {
      out.response = { attestationObject: b64(r.attestationObject), clientDataJSON: b64(r.clientDataJSON) };
      if (r.getTransports) {
        out.response.transports = r.getTransports().filter(function (t) { return TRANSPORTS.indexOf(t) >= 0; });
      }
    } else {
      out.response = {
        authenticatorData: b64(r.authenticatorData),
        clientDataJSON: b64(r.clientDataJSON),
        signature: b64(r.signature),
        userHandle: r.userHandle ? b64(r.userHandle) : null
      };
    }
    return JSON.stringify(out);
  }
  // For the phone's approval page (approve.js), which loads this script first.
  window.npassWebAuthn = { unb64: unb64, answer: answer, ids: ids };
  // Asks the server for a ceremony; the form's CSRF token (and stored login, if any) go along.
  function start(form) {
    var body = new URLSearchParams();
    ['csrf', 'tx'].forEach(function (n) {
      var f = form.elements[n];
      if (f) { body.append(n, f.value); }
    });
    return fetch(form.getAttribute('data-options'), {
      method: 'POST', credentials: 'same-origin', body: body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
    }).then(function (res) {
      if (!res.ok) { throw new Error('options ' + res.status); }
      return res.json();
    });
  }
  function show(form, failed) {
    var msg = form.querySelector('[data-passkey-message]');
    if (!msg) { return; }
    msg.textContent = failed ? msg.getAttribute('data-failed') : msg.getAttribute('data-cancelled');
    msg.hidden = false;
    msg.focus();
  }
  function post(form, data, cred) {
    form.elements.ceremony.value = data.ceremony;
    form.elements.credential.value = answer(cred);
    form.submit();
  }

  var pending = null;
  function login(form, conditional) {
    if (pending) { pending.abort(); }
    var ctl = new AbortController();
    pending = ctl;
    return start(form).then(function (data) {
      var pk = data.options.publicKey;
      pk.challenge = unb64(pk.challenge);
      pk.allowCredentials = ids(pk.allowCredentials);
      var req = { publicKey: pk, signal: ctl.signal };
      if (conditional) { req.mediation = 'conditional'; }
      return navigator.credentials.get(req).then(function (cred) {
        if (cred) { post(form, data, cred); }
      });
    }).catch(function (e) {
      if (ctl.signal.aborted) { return; }
      show(form, !(e && e.name === 'NotAllowedError'));
    });
  }
  function register(form) {
    var name = form.elements.name;
    if (name && !name.value.trim()) { name.focus(); return; }
    start(form).then(function (data) {
      var pk = data.options.publicKey;
      pk.challenge = unb64(pk.challenge);
      pk.user.id = unb64(pk.user.id);
      pk.excludeCredentials = ids(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        if (cred) { post(form, data, cred); }
      });
    }).catch(function (e) {
      show(form, !(e && (e.name === 'NotAllowedError' || e.name === 'InvalidStateError')));
    });
  }

  document.querySelectorAll('[data-passkey-only]').forEach(function (el) { el.hidden = false; });
  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    var kind = form.getAttribute('data-passkey');
    form.addEventListener('submit', function (ev) {
      if (form.elements.credential.value) { return; }
      ev.preventDefault();
      if (kind === 'register') { register(form); } else { login(form, false); }
    });
    if (kind === 'login' && form.hasAttribute('data-autofill') &&
        PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) { login(form, true); }
      });
    }
  });
})();
