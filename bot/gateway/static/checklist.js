/*
 * The printable noodpakket checklist (/noodpakket/checklist#adults=2&budget_eur=50&...).
 * The household is in the URL fragment, which the browser never sends to a server.
 * This script sends it in a request body, so no proxy log or server log sees it,
 * and puts the server's HTML (rendered from templates/web/checklist_plan.html.j2) in <main>.
 * Nothing is stored: no cookies, no localStorage, no sessionStorage.
 */
(function () {
  'use strict';
  var main = document.getElementById('checklist');
  var status = document.getElementById('checklist-status');
  if (!main || !status) return;
  function say(text) { status.textContent = text; }

  var household = location.hash.replace(/^#/, '');
  if (!household) { say(main.dataset.empty); return; }

  fetch(location.pathname, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: household,
    credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer'
  }).then(function (res) {
    if (!res.ok) throw res.status;
    return res.text();
  }).then(function (html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var nodes = Array.prototype.slice.call(doc.body.childNodes).map(function (n) { return document.importNode(n, true); });
    main.textContent = '';
    nodes.forEach(function (n) { main.appendChild(n); });
    document.documentElement.dataset.loaded = 'true';
  }).catch(function (code) {
    say(code >= 400 && code < 500 && code !== 429 ? main.dataset.bad : main.dataset.offline);
  });
})();
