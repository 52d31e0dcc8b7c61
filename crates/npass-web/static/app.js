// The npass app (design note 0015, docs/app-protocol.md): app login, device enrolment, the
// lock, the citizen's details and devices, over the app's JSON API. The device key is a passkey
// (the phone's screen lock unlocks it); the only thing kept on the phone is which credential it
// is. Tokens live in this page's memory only: opening the app again asks for the screen lock.
(function () {
  'use strict';
  var root = document.getElementById('app');
  var webauthn = window.npassWebAuthn;
  if (!root) { return; }
  var DEVICE = 'npass-device';
  var tokens = null, expires = 0, enrolToken = null;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(function () {});
  }
  function text(name) { return root.getAttribute('data-' + name) || ''; }
  // The service worker shows push notifications in the page's language.
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.ready.then(function (r) {
      if (r.active) { r.active.postMessage({ texts: { title: text('push-title'), body: text('push-body') } }); }
    });
  }

  function device() { try { return window.localStorage.getItem(DEVICE); } catch (e) { return null; } }
  function keep(id) { try { window.localStorage.setItem(DEVICE, id); } catch (e) { /* private mode */ } }
  function forget() { try { window.localStorage.removeItem(DEVICE); } catch (e) { /* nothing kept */ } }

  function say(kind, msg) {
    ['message', 'notice'].forEach(function (k) {
      var el = root.querySelector('[data-' + k + ']');
      el.hidden = k !== kind || !msg;
      if (k === kind) { el.textContent = msg || ''; if (msg) { el.focus(); } }
    });
  }
  function view(name) {
    root.querySelectorAll('[data-view]').forEach(function (el) {
      el.hidden = el.getAttribute('data-view') !== name;
    });
  }
  // A failure with the server's localised message (or ours when there is none).
  function Problem(status, body) {
    this.status = status;
    this.code = (body && body.error) || '';
    this.message = (body && body.message) || text('failed');
  }
  function call(method, path, body, bearer) {
    var headers = { 'Accept': 'application/json' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; }
    if (bearer) { headers.Authorization = 'Bearer ' + bearer; }
    return fetch(path, {
      method: method, headers: headers, credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).catch(function () {
      throw new Problem(0, { error: 'offline', message: text('offline') });
    }).then(function (r) {
      if (r.status === 204) { return null; }
      return r.json().catch(function () { return {}; }).then(function (v) {
        if (!r.ok) { throw new Problem(r.status, v); }
        return v;
      });
    });
  }
  function took(t) {
    tokens = t;
    expires = Date.now() + t.expires_in * 1000;
    keep(t.device);
  }
  // An API call with the access token, renewed first when it is about to run out — once for
  // calls made together (a refresh token works once; a second use would end the grant).
  var refreshing = null;
  function fresh() {
    if (tokens && Date.now() < expires - 10000) { return Promise.resolve(); }
    if (!refreshing) {
      refreshing = call('POST', '/app/v1/token', { refresh_token: tokens ? tokens.refresh_token : '' })
        .then(took).finally(function () { refreshing = null; });
    }
    return refreshing;
  }
  function authed(method, path, body) {
    return fresh().then(function () { return call(method, path, body, tokens.access_token); });
  }
  function failed(e) {
    if (e && e.status === 401) {
      tokens = null;
      locked(e.code === 'locked' ? '' : e.message);
      return;
    }
    say('message', e && e.name === 'NotAllowedError' ? text('cancelled') : (e && e.message) || text('failed'));
  }

  function locked(msg) {
    if (!device()) { view('login'); } else { view('locked'); }
    if (msg) { say('message', msg); }
  }

  // Codes: the seed becomes a non-extractable WebCrypto HMAC key kept in IndexedDB; no script
  // can read it back, and codes are made offline (RFC 6238: SHA-1, 6 digits, 30 s).
  function db() {
    return new Promise(function (ok, no) {
      var r = window.indexedDB.open('npass', 1);
      r.onupgradeneeded = function () { r.result.createObjectStore('keys'); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { no(r.error); };
    });
  }
  function store(mode, f) {
    return db().then(function (d) {
      return new Promise(function (ok, no) {
        var tx = d.transaction('keys', mode), req = f(tx.objectStore('keys'));
        tx.oncomplete = function () { ok(req && req.result); };
        tx.onerror = function () { no(tx.error); };
      });
    });
  }
  function codeKey() {
    return store('readonly', function (s) { return s.get('totp'); }).then(function (v) {
      return v && v.device === device() ? v.key : null;
    });
  }
  function unbase32(s) {
    var abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', bits = 0, value = 0, out = [];
    s.replace(/=+$/, '').toUpperCase().split('').forEach(function (c) {
      value = (value << 5) | abc.indexOf(c);
      bits += 5;
      if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
    });
    return new Uint8Array(out);
  }
  function totp(key, at) {
    var counter = new DataView(new ArrayBuffer(8));
    counter.setUint32(4, Math.floor(at / 30000));
    return crypto.subtle.sign('HMAC', key, counter.buffer).then(function (mac) {
      var h = new Uint8Array(mac), o = h[19] & 15;
      var n = ((h[o] & 127) << 24 | h[o + 1] << 16 | h[o + 2] << 8 | h[o + 3]) % 1000000;
      return String(n).padStart(6, '0');
    });
  }
  var ticking = null;
  function showCodes(key) {
    root.querySelector('[data-codes-on]').hidden = false;
    root.querySelector('[data-codes-off]').hidden = true;
    function tick() {
      var now = Date.now();
      totp(key, now).then(function (c) {
        root.querySelector('[data-code]').textContent = c.slice(0, 3) + ' ' + c.slice(3);
        root.querySelector('[data-code-left]').textContent =
          text('seconds-left') + ' ' + (30 - Math.floor(now / 1000) % 30);
      });
    }
    tick();
    if (ticking) { clearInterval(ticking); }
    ticking = setInterval(tick, 1000);
  }
  function codesSetUp(form) {
    var key;
    authed('POST', '/app/v1/codes', { code: form.elements.code.value }).then(function (seed) {
      return crypto.subtle.importKey('raw', unbase32(seed.secret), { name: 'HMAC', hash: 'SHA-1' },
        false, ['sign']);
    }).then(function (k) {
      key = k;
      return totp(key, Date.now());
    }).then(function (code) {
      return authed('POST', '/app/v1/codes/confirm', { code: code });
    }).then(function (v) {
      return store('readwrite', function (s) {
        return s.put({ device: device(), key: key }, 'totp');
      }).then(function () { return v; });
    }).then(function (v) {
      var list = root.querySelector('[data-recovery-list]');
      list.textContent = '';
      v.recovery_codes.forEach(function (c) {
        var li = document.createElement('li');
        li.textContent = c;
        list.appendChild(li);
      });
      root.querySelector('[data-recovery]').hidden = false;
      showCodes(key);
      say('notice', text('codes-done'));
    }).catch(failed);
  }
  function passwordChange(form) {
    var body = {
      current_password: form.elements.current_password.value,
      password: form.elements.password.value,
      password_confirm: form.elements.password_confirm.value
    };
    authed('POST', '/app/v1/password', body).then(function (t) {
      took(t);
      form.reset();
      say('notice', text('password-changed'));
    }).catch(failed);
  }

  // Login requests sent to this account's devices: each opens the approval page, where the
  // citizen still checks who asks, picks the number and unlocks.
  function requests() {
    return authed('GET', '/app/v1/approvals').then(function (v) {
      var list = root.querySelector('[data-requests]');
      list.textContent = '';
      root.querySelector('[data-requests-none]').hidden = v.approvals.length > 0;
      v.approvals.forEach(function (a) {
        var li = document.createElement('li');
        li.className = 'card';
        var p = document.createElement('p');
        p.textContent = a.service + ' · ' + a.browser + ' · ' + a.place + ' · ' + a.at;
        var link = document.createElement('a');
        link.className = 'button';
        link.href = a.link;
        link.textContent = text('open');
        li.appendChild(p); li.appendChild(link);
        list.appendChild(li);
      });
    });
  }

  // Web Push, where the deployment sends it and the browser has it: asked for by the citizen.
  var pushKey = null;
  function offerPush() {
    if (!('PushManager' in window) || !('serviceWorker' in navigator)) { return Promise.resolve(); }
    return call('GET', '/app/v1/push').then(function (v) {
      pushKey = v.public_key;
      root.querySelector('[data-push]').hidden = false;
    }).catch(function () {});
  }
  function subscribe() {
    Notification.requestPermission().then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: webauthn.unb64(pushKey) });
    }).then(function (sub) {
      return authed('PUT', '/app/v1/push', sub.toJSON());
    }).then(function () {
      root.querySelector('[data-push]').hidden = true;
      say('notice', text('push-on'));
    }).catch(failed);
  }

  // The picture: sent as it is (npass checks and re-encodes it), shown from a blob.
  function showPicture() {
    return fresh().then(function () {
      return fetch('/app/v1/me/picture', { headers: { Authorization: 'Bearer ' + tokens.access_token }, credentials: 'omit' });
    }).then(function (r) {
      var img = root.querySelector('[data-picture]');
      if (!r.ok) { img.hidden = true; return; }
      return r.blob().then(function (b) {
        if (img.src) { URL.revokeObjectURL(img.src); }
        img.src = URL.createObjectURL(b);
        img.hidden = false;
      });
    }).catch(function () {});
  }
  function pictureUpload(form) {
    var file = form.elements.picture.files[0];
    if (!file) { form.elements.picture.focus(); return; }
    fresh().then(function () {
      return fetch('/app/v1/me/picture', {
        method: 'PUT', body: file, credentials: 'omit',
        headers: { Authorization: 'Bearer ' + tokens.access_token, 'Content-Type': 'application/octet-stream' }
      });
    }).then(function (r) {
      if (r.ok) { form.reset(); say('notice', text('picture-saved')); return showPicture(); }
      return r.json().catch(function () { return {}; }).then(function (v) { throw new Problem(r.status, v); });
    }).catch(failed);
  }

  // The in-app scanner: the camera's frames read by the browser where it can (BarcodeDetector),
  // else by npass (POST /app/v1/scan, frames downscaled, only while scanning). Only an npass
  // approval link on this site is opened.
  var scanning = null;
  function ours(link) {
    return typeof link === 'string' && link.indexOf(window.location.origin + '/app/approve#') === 0;
  }
  function scanStop() {
    if (scanning) {
      clearInterval(scanning.timer);
      scanning.stream.getTracks().forEach(function (t) { t.stop(); });
      scanning = null;
    }
    root.querySelector('[data-scanner]').hidden = true;
  }
  function readFrame(canvas, detector) {
    if (detector) {
      return detector.detect(canvas).then(function (codes) {
        var hit = codes.map(function (c) { return c.rawValue; }).filter(ours);
        return hit.length ? hit[0] : null;
      });
    }
    return new Promise(function (done) { canvas.toBlob(done, 'image/jpeg', 0.85); }).then(function (blob) {
      return fresh().then(function () {
        return fetch('/app/v1/scan', {
          method: 'POST', body: blob, credentials: 'omit',
          headers: { Authorization: 'Bearer ' + tokens.access_token, 'Content-Type': 'image/jpeg' }
        });
      });
    }).then(function (r) { return r.ok ? r.json() : { link: null }; }).then(function (v) {
      return ours(v.link) ? v.link : null;
    });
  }
  function scanStart() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }).then(function (stream) {
      var video = root.querySelector('[data-video]');
      video.srcObject = stream;
      video.play();
      root.querySelector('[data-scanner]').hidden = false;
      var canvas = document.createElement('canvas');
      var detector = 'BarcodeDetector' in window ? new window.BarcodeDetector({ formats: ['qr_code'] }) : null;
      var busy = false;
      scanning = { stream: stream, timer: setInterval(function () {
        if (busy || !video.videoWidth) { return; }
        busy = true;
        var scale = Math.min(1, 640 / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
        readFrame(canvas, detector).then(function (link) {
          busy = false;
          if (link) { scanStop(); window.location.href = link; }
        }).catch(function () { busy = false; });
      }, 700) };
    }).catch(failed);
  }

  function home() {
    offerPush();
    showPicture();
    return Promise.all([authed('GET', '/app/v1/me'), authed('GET', '/app/v1/devices'), requests()]).then(function (r) {
      var me = r[0];
      root.querySelector('[data-current-code]').hidden = !me.two_step;
      codeKey().then(function (key) {
        if (key) { showCodes(key); } else { root.querySelector('[data-codes-off]').hidden = false; }
      }).catch(function () {});
      Object.keys(me).forEach(function (k) {
        var el = root.querySelector('[data-field="' + k + '"]');
        if (el) { el.textContent = me[k]; }
      });
      var list = root.querySelector('[data-devices]');
      list.textContent = '';
      r[1].devices.forEach(function (d) {
        var li = document.createElement('li');
        li.className = 'card';
        var h = document.createElement('h3');
        h.textContent = d.name + (d.this_device ? ' (' + text('this-device') + ')' : '');
        var p = document.createElement('p');
        p.textContent = text('enrolled') + ': ' + d.enrolled + ' · ' + text('last-used') + ': ' + d.last_used;
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'warning';
        b.textContent = text('revoke') + ': ' + d.name;
        b.addEventListener('click', function () { revoke(d); });
        li.appendChild(h); li.appendChild(p); li.appendChild(b);
        list.appendChild(li);
      });
      say('message', '');
      view('home');
      root.querySelector('[data-title]').focus();
    });
  }

  function revoke(d) {
    authed('DELETE', '/app/v1/devices/' + encodeURIComponent(d.id)).then(function () {
      if (d.this_device) {
        tokens = null;
        forget();
        view('login');
        say('notice', text('revoked'));
        return;
      }
      return home();
    }).catch(failed);
  }

  // Offline: the screen lock is still asked for (a local ceremony on the device key), and only
  // the codes, made on the phone, are shown.
  function offline() {
    var challenge = crypto.getRandomValues(new Uint8Array(32));
    var pk = {
      challenge: challenge, rpId: window.location.hostname, userVerification: 'required',
      allowCredentials: webauthn.ids([{ type: 'public-key', id: device() }])
    };
    return navigator.credentials.get({ publicKey: pk }).then(codeKey).then(function (key) {
      root.querySelectorAll('[data-online]').forEach(function (el) { el.hidden = true; });
      view('home');
      if (key) { showCodes(key); }
      say('notice', text('offline'));
    });
  }

  function unlock() {
    var id = device();
    call('POST', '/app/v1/unlock/options', { device: id }).then(function (c) {
      var pk = c.options.publicKey;
      pk.challenge = webauthn.unb64(pk.challenge);
      pk.allowCredentials = webauthn.ids(pk.allowCredentials);
      return navigator.credentials.get({ publicKey: pk }).then(function (cred) {
        return call('POST', '/app/v1/unlock', {
          device: id, ceremony: c.ceremony, credential: webauthn.answer(cred)
        });
      });
    }).then(function (t) {
      took(t);
      root.querySelectorAll('[data-online]').forEach(function (el) {
        // (The scanner stays hidden where there is no camera.)
        if (!el.hasAttribute('data-scan-card')) { el.hidden = false; }
      });
      return home();
    }).catch(function (e) {
      if (e && e.status === 0) { return offline().catch(failed); }
      if (e && e.status === 401) {
        // The device was revoked (or its account locked): only a new login adds it again.
        forget();
        view('login');
        say('message', text('revoked'));
        return;
      }
      failed(e);
    });
  }

  function login(form) {
    var body = {
      national_id: form.elements.national_id.value,
      password: form.elements.password.value,
      code: form.elements.code.value
    };
    call('POST', '/app/v1/login', body).then(function (v) {
      enrolToken = v.enrol_token;
      form.elements.password.value = '';
      form.elements.code.value = '';
      say('message', '');
      view('enrol');
      root.querySelector('#app-device-name').focus();
    }).catch(failed);
  }

  function enrol(form) {
    var name = form.elements.name.value.trim();
    if (!name) { form.elements.name.focus(); return; }
    call('POST', '/app/v1/devices/options', undefined, enrolToken).then(function (c) {
      var pk = c.options.publicKey;
      pk.challenge = webauthn.unb64(pk.challenge);
      pk.user.id = webauthn.unb64(pk.user.id);
      pk.excludeCredentials = webauthn.ids(pk.excludeCredentials);
      return navigator.credentials.create({ publicKey: pk }).then(function (cred) {
        return call('POST', '/app/v1/devices', {
          ceremony: c.ceremony, credential: webauthn.answer(cred), name: name
        }, enrolToken);
      });
    }).then(function (t) {
      enrolToken = null;
      took(t);
      return home();
    }).catch(function (e) {
      if (e && e.status === 401) { enrolToken = null; view('login'); }
      failed(e);
    });
  }

  if (!window.PublicKeyCredential || !webauthn) {
    say('message', text('failed'));
    view('none');
    return;
  }
  root.querySelector('[data-form="login"]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    login(ev.target);
  });
  root.querySelector('[data-form="enrol"]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    enrol(ev.target);
  });
  root.querySelector('[data-form="codes"]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    codesSetUp(ev.target);
  });
  root.querySelector('[data-form="picture"]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    pictureUpload(ev.target);
  });
  root.querySelector('[data-form="password"]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    passwordChange(ev.target);
  });
  root.querySelector('[data-action="unlock"]').addEventListener('click', unlock);
  root.querySelector('[data-action="push"]').addEventListener('click', subscribe);
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    root.querySelector('[data-scan-card]').removeAttribute('data-scan-card');
    root.querySelector('[data-action="scan"]').closest('section').hidden = false;
    root.querySelector('[data-action="scan"]').addEventListener('click', scanStart);
    root.querySelector('[data-action="scan-stop"]').addEventListener('click', scanStop);
  }
  root.querySelector('[data-action="requests"]').addEventListener('click', function () {
    requests().catch(failed);
  });
  root.querySelector('[data-action="forget"]').addEventListener('click', function () {
    tokens = null;
    forget();
    store('readwrite', function (s) { return s.delete('totp'); }).catch(function () {});
    say('message', '');
    view('login');
  });
  root.querySelector('[data-action="lock"]').addEventListener('click', function () {
    var t = tokens;
    tokens = null;
    (t ? call('POST', '/app/v1/lock', undefined, t.access_token) : Promise.resolve())
      .catch(function () {}).then(function () { locked(''); });
  });
  locked('');
})();
