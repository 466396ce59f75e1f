// Live preview for the Redactie editor: sends the text to the server, which
// validates and renders it, and shows the server's (escaped) HTML fragment.
// Without JavaScript the "Voorbeeld bekijken" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var target = document.getElementById("preview");
  if (!form || !target) { return; }
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      // Only the answer to the newest request counts; the fragment is escaped server-side.
      if (html !== null && ticket === latest) { target.innerHTML = html; }
    }).catch(function () { /* keep the last preview; saving still validates */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();

// Search in the list of texts while typing (the form also works without JavaScript).
(function () {
  "use strict";
  var input = document.getElementById("zoek");
  var status = document.getElementById("zoek-aantal");
  if (!input) { return; }
  var items = Array.prototype.slice.call(document.querySelectorAll("li[data-zoek]"));
  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li) {
      var hit = words.every(function (w) { return li.getAttribute("data-zoek").indexOf(w) !== -1; });
      li.hidden = !hit;
      if (hit) { shown += 1; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.topic"), function (section) {
      section.hidden = !section.querySelector("li[data-zoek]:not([hidden])");
    });
    if (status) { status.textContent = words.length ? shown + " van de " + items.length + " gevonden." : ""; }
  }
  input.addEventListener("input", filter);
})();
