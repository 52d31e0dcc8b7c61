// "Show password": a button after each password field that shows what was typed and hides it
// again. Without JavaScript the fields simply stay hidden. The button's words come from the
// page (data-show / data-hide on the body), in the page's language.
(function () {
  'use strict';
  var body = document.body;
  var show = body.getAttribute('data-show') || 'Show';
  var hide = body.getAttribute('data-hide') || 'Hide';
  var fields = document.querySelectorAll('input[type="password"]');
  Array.prototype.forEach.call(fields, function (input) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'toggle';
    button.setAttribute('aria-controls', input.id);
    button.setAttribute('aria-pressed', 'false');
    button.textContent = show;
    button.addEventListener('click', function () {
      var shown = input.type === 'text';
      input.type = shown ? 'password' : 'text';
      button.setAttribute('aria-pressed', shown ? 'false' : 'true');
      button.textContent = shown ? show : hide;
    });
    // The form still sends a password field, shown or not.
    if (input.form) {
      input.form.addEventListener('submit', function () { input.type = 'password'; });
    }
    input.insertAdjacentElement('afterend', button);
  });
})();
