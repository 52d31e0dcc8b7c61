// A waiting page (an e-signature, a phone's approval): asks every 2 seconds whether the answer arrived, then
// reloads the page, which finishes the login. Without JavaScript, the "Continue" link does it.
(function () {
  'use strict';
  var el = document.getElementById('esign-wait');
  if (!el) return;
  var url = el.getAttribute('data-status');
  function ask() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.state === 'waiting') setTimeout(ask, 2000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(ask, 5000); });
  }
  setTimeout(ask, 2000);
})();
