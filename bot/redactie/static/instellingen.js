// The settings page's preview follows the form as you type (issue 20).
// CSSOM properties, not style attributes: the Redactie's CSP forbids inline styles.
(function () {
  'use strict';
  var preview = document.getElementById('preview');
  if (!preview) return;
  var VARS = { primary: 'primary', on_primary: 'on-primary', surface: 'surface', on_surface: 'on-surface',
    bot_bubble: 'bubble', link: 'link', focus: 'focus', danger: 'danger', on_danger: 'on-danger' };
  function text(inputId, targetId, fallback) {
    var input = document.getElementById(inputId);
    var target = document.getElementById(targetId);
    if (!input || !target) return;
    var update = function () { target.textContent = input.value || fallback || ''; };
    input.addEventListener('input', update);
  }
  text('name', 'preview-name');
  text('privacy', 'preview-privacy');
  // The language (issue 20): every preview text with data-nl/data-en shows the chosen language.
  // A gemeente's empty choice is its region's language.
  var language = document.getElementById('language');
  var greeting = document.getElementById('greeting');
  var greetingPreview = document.getElementById('preview-greeting');
  function chosen() {
    return (language && language.value) || preview.getAttribute('data-region-language') || 'nl';
  }
  function words() {
    var lang = chosen() === 'en' ? 'en' : 'nl';
    preview.setAttribute('lang', lang);
    var items = preview.querySelectorAll('[data-nl]');
    for (var i = 0; i < items.length; i++) items[i].textContent = items[i].getAttribute('data-' + lang);
  }
  if (language) language.addEventListener('change', words);
  words();  // a choice made before this script ran (a slow page, or the browser restoring the form)
  if (greeting && greetingPreview) {
    greeting.addEventListener('input', function () {
      // The Dutch greeting follows the form; in English the page cannot tell the language
      // of what you type, so the preview keeps the English greeting until you save.
      greetingPreview.setAttribute('data-nl', greeting.value);
      if (chosen() !== 'en') greetingPreview.textContent = greeting.value;
    });
  }
  var inputs = document.querySelectorAll('input[data-var]');
  function colours() {
    for (var i = 0; i < inputs.length; i++) {
      var key = inputs[i].getAttribute('data-var');
      if (/^#[0-9a-fA-F]{6}$/.test(inputs[i].value)) preview.style.setProperty('--nw-' + VARS[key], inputs[i].value);
    }
  }
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener('input', colours);
  colours();
  // A file over the limit is refused before it is sent (the gateway takes requests up to 64 kB).
  var logo = document.getElementById('logo');
  if (logo) {
    logo.addEventListener('change', function () {
      var max = Number(logo.getAttribute('data-max-bytes'));
      var file = logo.files && logo.files[0];
      logo.setCustomValidity(file && file.size > max ? logo.getAttribute('data-too-big') : '');
      logo.reportValidity();
    });
  }
})();
