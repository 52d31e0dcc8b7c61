// The npass app's service worker (scope /app/): keeps the app's shell so it opens without a
// network and says so, instead of a browser error. Network first, so a new version or another
// language arrives as soon as there is a connection. The API is never cached.
'use strict';
var SHELL = 'npass-app-v1';
var FILES = ['/app/', '/app/app.js', '/static/passkey.js', '/static/npass.css',
  '/static/show-password.js', '/app/icon-192.png', '/app/manifest.webmanifest'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }));
  self.skipWaiting();
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (ev) {
  var url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== self.location.origin) { return; }
  var path = url.pathname === '/app' ? '/app/' : url.pathname;
  if (FILES.indexOf(path) < 0) { return; }
  ev.respondWith(fetch(ev.request).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(SHELL).then(function (c) { return c.put(path, copy); });
    }
    return res;
  }).catch(function () {
    return caches.match(path).then(function (hit) { return hit || Response.error(); });
  }));
});

// Web Push: the message only says a login request waits; the app fetches it over its session.
// The words come from the app's page (in the citizen's language), kept beside the shell.
self.addEventListener('message', function (ev) {
  if (ev.data && ev.data.texts) {
    caches.open(SHELL).then(function (c) {
      return c.put('/app/texts', new Response(JSON.stringify(ev.data.texts)));
    });
  }
});

self.addEventListener('push', function (ev) {
  ev.waitUntil(caches.match('/app/texts').then(function (r) {
    return r ? r.json() : { title: 'npass', body: '' };
  }).then(function (t) {
    return self.registration.showNotification(t.title, {
      body: t.body, tag: 'npass-login-request', renotify: true, icon: '/app/icon-192.png'
    });
  }));
});

self.addEventListener('notificationclick', function (ev) {
  ev.notification.close();
  ev.waitUntil(self.clients.matchAll({ type: 'window' }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === '/app/') { return list[i].focus(); }
    }
    return self.clients.openWindow('/app/');
  }));
});
