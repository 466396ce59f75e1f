/*
 * Noodwijzer chat widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-region="VR19" async></script>
 * Optional: data-position="left|right", data-open, data-persist="none".
 * Storage: the conversation (at most 200 messages) and the region's look are kept in
 * the host page's sessionStorage, so they survive a click to another page of the
 * same site and are gone when the tab closes. data-persist="none" keeps them in
 * this page's memory only. "Nieuw gesprek" clears both, storage included.
 * Plain JavaScript, Shadow DOM, no cookies, no requests to anyone but HOST.
 * Every text from the bot or the resident is set with textContent, never as HTML.
 */
(function () {
  'use strict';
  var perf = window.performance;
  function mark(name) { try { perf.mark(name); } catch (e) { /* marks are optional */ } }
  mark('noodwijzer:start');

  var TAG = 'noodwijzer-widget';
  if (!window.customElements || customElements.get(TAG)) return;

  // The gateway fills this in from data/embed/regions.yml when it serves the file.
  var DEFAULTS = {} /* @defaults */;
  var STORE_KEY = 'noodwijzer:v1';
  var MAX_LOG = 200;
  var MAX_MESSAGE = 1000;
  var REGION_RE = /^VR(0[1-9]|1[0-9]|2[0-5])$/;
  var COLOR_RE = /^#[0-9a-fA-F]{6}$/;

  // document.currentScript is null when run from a callback; look the tag up then.
  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-region]') ||
    document.querySelector('script[src$="/widget.js"]');
  if (!script) return;
  var BASE = new URL(script.src, location.href).href.replace(/\/widget\.js(?:[?#].*)?$/, '');
  var BASE_ORIGIN = new URL(BASE).origin;
  var REGION = REGION_RE.test(script.dataset.region || '') ? script.dataset.region : null;
  // A data-region that is no region is a broken embed: show the safety card, do not chat.
  var BAD_REGION = script.hasAttribute('data-region') && !REGION;
  var QUERY = REGION ? '?region=' + REGION : '';
  // A gemeente that embeds as its own party (issue 20): its own greeting; the chat stays the region's.
  var GEMEENTE = REGION && /^[a-z][a-z0-9-]{1,40}$/.test(script.dataset.gemeente || '') ? script.dataset.gemeente : null;
  var CONFIG_QUERY = QUERY + (GEMEENTE ? '&gemeente=' + GEMEENTE : '');
  var TIMEOUT_MS = 20000;  // the gateway answers within ~16 s, also when Rasa is slow
  // The safety card must work with no server and no config at all.
  var SOS_CALL = 'Bel 112 bij direct gevaar';
  var SOS_URL = 'https://crisis.nl';
  var POSITION = script.dataset.position === 'left' ? 'left' : 'right';
  var OPEN_ON_LOAD = script.hasAttribute('data-open') && script.dataset.open !== 'false';
  // Hosts with third-party scripts on their pages may keep the conversation out of sessionStorage.
  var PERSIST = script.dataset.persist !== 'none';
  var memory = {};
  var store = {
    get: function (key) {
      if (!PERSIST) return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      try { return sessionStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      if (!PERSIST) { memory[key] = value; return; }
      try { sessionStorage.setItem(key, value); } catch (e) { /* private mode or full: the chat still works */ }
    },
    clear: function () {
      memory = {};
      try {
        for (var i = sessionStorage.length - 1; i >= 0; i--) {
          var key = sessionStorage.key(i);
          if (key && key.indexOf(STORE_KEY) === 0) sessionStorage.removeItem(key);
        }
      } catch (e) { /* storage off: nothing to clear */ }
    }
  };

  var CSS = [
    ':host{all:initial;font:normal 1em/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:medium;color:var(--nw-on-surface)}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    'button,input{font:inherit;color:inherit}',
    ':focus-visible{outline:3px solid var(--nw-focus);outline-offset:2px}',
    '.launcher{position:fixed;bottom:16px;right:16px;z-index:2147483000;display:flex;align-items:center;gap:.5em;max-width:calc(100vw - 32px);min-height:48px;padding:.6em 1.1em;border:2px solid var(--nw-on-primary);border-radius:999px;background:var(--nw-primary);color:var(--nw-on-primary);font-weight:600;cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.3)}',
    '.left .launcher{right:auto;left:16px}',
    '.launcher svg{flex:none;width:1.4em;height:1.4em}',
    '.panel{position:fixed;bottom:84px;right:16px;z-index:2147483000;display:flex;flex-direction:column;width:380px;max-width:calc(100vw - 32px);height:600px;max-height:calc(100vh - 100px);background:var(--nw-surface);color:var(--nw-on-surface);border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.35);overflow:hidden}',
    '.left .panel{right:auto;left:16px}',
    '.head{display:flex;align-items:center;gap:.6em;padding:.6em .8em;background:var(--nw-primary);color:var(--nw-on-primary)}',
    '.head :focus-visible{outline-color:var(--nw-on-primary)}',
    '.head img{flex:none;width:36px;height:36px;object-fit:contain}',
    '.titles{flex:1;min-width:0}',
    'h2{margin:0;font-size:1.1em;line-height:1.25}',
    '.sub{margin:0;font-size:.875em}',
    '.close,.reset{flex:none;min-width:44px;min-height:44px;padding:0 .6em;border:2px solid var(--nw-on-primary);border-radius:8px;background:transparent;color:var(--nw-on-primary);cursor:pointer}',
    '.notice{margin:0;padding:.6em .8em;border-bottom:2px solid var(--nw-on-surface);background:var(--nw-bubble)}',
    '.notice h3{margin:0;font-size:1em}',
    '.notice p{margin:.2em 0 0}',
    '.log{flex:1;display:flex;flex-direction:column;gap:.5em;overflow-y:auto;padding:.8em}',
    '.msg{max-width:88%;margin:0;padding:.5em .8em;border-radius:12px;white-space:pre-line;overflow-wrap:anywhere}',
    '.bot{align-self:flex-start;background:var(--nw-bubble);color:var(--nw-on-surface)}',
    '.user{align-self:flex-end;background:var(--nw-primary);color:var(--nw-on-primary)}',
    'a{color:var(--nw-link);text-decoration:underline}',
    '.danger{max-width:100%;align-self:stretch;background:var(--nw-danger);color:var(--nw-on-danger);font-weight:700;border:3px solid var(--nw-on-surface)}',
    '.danger a{color:var(--nw-on-danger)}',
    '.danger :focus-visible{outline-color:var(--nw-on-danger)}',
    '.danger .call{display:inline-block;margin:.1em 0 .3em;padding:.2em .6em;border:2px solid var(--nw-on-danger);border-radius:8px;font-size:1.35em;text-decoration:none}',
    '.typing{align-self:flex-start;padding:.4em .8em;border-radius:12px;background:var(--nw-bubble)}',
    '.typing span{display:inline-block;width:.5em;height:.5em;margin:0 .1em;border-radius:50%;background:var(--nw-on-surface);animation:nw-b 1s infinite ease-in-out}',
    '.typing span:nth-child(2){animation-delay:.15s}.typing span:nth-child(3){animation-delay:.3s}',
    '@keyframes nw-b{0%,80%,100%{opacity:.25}40%{opacity:1}}',
    '@media (prefers-reduced-motion:reduce){.typing span{animation:none}}',
    '.alert{flex:none;max-height:65%;overflow-y:auto}',
    '.refused .log,.refused form,.refused .replies{display:none}',
    '.refused .panel{height:auto}.refused .alert{flex:1;max-height:none;padding-top:.8em}',
    '.card{margin:0 .8em .5em;padding:.5em .8em;border:3px solid var(--nw-danger);border-radius:8px}',
    '.card p{margin:0 0 .4em}',
    '.card .call{display:inline-block;padding:.2em .6em;border-radius:8px;background:var(--nw-danger);color:var(--nw-on-danger);font-weight:700;font-size:1.2em;text-decoration:none}',
    '.note{align-self:center;font-style:italic}',
    '.replies{display:flex;flex-wrap:wrap;gap:.4em;padding:0 .8em .5em}',
    '.replies button,.card button{min-height:44px;padding:.3em .8em;border:2px solid var(--nw-primary);border-radius:999px;background:var(--nw-surface);color:var(--nw-primary);cursor:pointer;text-align:left}',
    'form{display:flex;gap:.4em;padding:.6em .8em;border-top:1px solid var(--nw-on-surface)}',
    '.privacy{margin:0;padding:0 .8em .5em;font-size:.8em}',
    'input{flex:1;min-width:0;min-height:44px;padding:.4em .6em;border:2px solid var(--nw-on-surface);border-radius:8px;background:var(--nw-surface)}',
    'input::placeholder{color:var(--nw-on-surface);opacity:.75}',
    '.send{flex:none;min-height:44px;padding:0 1em;border:2px solid var(--nw-primary);border-radius:8px;background:var(--nw-primary);color:var(--nw-on-primary);font-weight:600;cursor:pointer}',
    // Phones and high zoom: the panel takes the whole screen.
    '@media (max-width:480px),(max-height:520px){.panel{inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}.open .launcher{display:none}}'
  ].join('\n');

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === 'text') el.textContent = attrs[key];
      else if (key === 'class') el.className = attrs[key];
      else if (attrs[key] === true) el.setAttribute(key, '');
      else if (attrs[key] !== false && attrs[key] != null) el.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (c) { if (c) el.appendChild(c); });
    return el;
  }

  function svgIcon() {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm7 3v6h2V6zm0 8v2h2v-2z');
    svg.appendChild(path);
    return svg;
  }

  function newSessionId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function load() {
    try {
      var state = JSON.parse(store.get(STORE_KEY) || 'null');
      if (state && state.region === REGION && /^[A-Za-z0-9_-]{8,64}$/.test(state.sid) && Array.isArray(state.log)) return state;
    } catch (e) { /* storage off or corrupt: start fresh */ }
    return { sid: newSessionId(), region: REGION, open: false, log: [], replies: [] };
  }

  function save(state) {
    state.log = state.log.slice(-MAX_LOG);
    store.set(STORE_KEY, JSON.stringify(state));
  }

  // The bot's 112 answer, Dutch or English (the resident's language, not the widget's).
  function isDanger(text) { return /^\s*(bel|call) 112\b/i.test(text || ''); }

  // Only https links and paths on the Noodwijzer host become links.
  function safeHref(token) {
    try {
      if (/^https:\/\//i.test(token)) {
        var url = new URL(token);
        return url.protocol === 'https:' ? url.href : null;
      }
      if (/^\/(?![\/\\])/.test(token)) {
        var local = new URL(BASE + token);
        return local.origin === BASE_ORIGIN ? local.href : null;
      }
    } catch (e) { /* not a URL */ }
    return null;
  }

  class NoodwijzerWidget extends HTMLElement {
    // Custom elements may not touch their own attributes in the constructor,
    // so all set-up happens when the element is connected.
    connectedCallback() {
      if (this.started) return;
      this.started = true;
      var self = this;
      this.cfg = DEFAULTS;
      this.state = load();
      this.busy = false;
      this.pending = null;
      this.root = this.attachShadow({ mode: 'open' });
      this.applyStyles();
      this.build();
      this.applyConfig(this.cachedConfig() || DEFAULTS);
      this.state.log.forEach(function (m) { self.renderMessage(m); });
      this.renderReplies(this.state.replies || []);
      this.failure = null;  // null, 'offline', 'busy' or 'refused'
      this.attempt = 0;
      this.configReady = BAD_REGION ? Promise.resolve(this.refuse('data-region="' + script.dataset.region + '" is geen VR01..VR25')) : this.fetchConfig();
      this.configReady.then(function () { if (!self.failure) self.fetchNotice(); });
      if (this.state.open || OPEN_ON_LOAD) this.open(false);
      mark('noodwijzer:rendered');
    }

    applyStyles() {
      // Constructable stylesheets are not inline styles, so a strict host CSP allows them.
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        this.root.adoptedStyleSheets = [sheet];
      } catch (e) {
        this.root.appendChild(h('style', { text: CSS }));
      }
    }

    build() {
      var self = this;
      var r = this.refs = {};
      r.launcherText = h('span');
      r.launcher = h('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'nw-panel' },
        [svgIcon(), r.launcherText]);
      r.title = h('h2', { id: 'nw-title' });
      r.sub = h('p', { class: 'sub' });
      r.logo = h('img', { alt: '', hidden: true, referrerpolicy: 'no-referrer' });
      r.close = h('button', { type: 'button', class: 'close' });
      r.reset = h('button', { type: 'button', class: 'reset' });
      r.notice = h('section', { class: 'notice', hidden: true });
      r.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', tabindex: '0' });
      r.typingText = h('span', { class: 'sr' });
      r.typing = h('div', { class: 'typing', hidden: true }, [
        h('span', { 'aria-hidden': 'true' }), h('span', { 'aria-hidden': 'true' }), h('span', { 'aria-hidden': 'true' })
      ]);
      r.status = h('div', { class: 'sr', role: 'status' }, [r.typingText]);
      r.retry = h('button', { type: 'button' });
      // Always in the page, so a screen reader hears the card when it is filled in.
      r.alert = h('div', { class: 'alert', role: 'alert' });
      r.replies = h('div', { class: 'replies', role: 'group' });
      r.inputLabel = h('label', { for: 'nw-input', class: 'sr' });
      r.input = h('input', { id: 'nw-input', type: 'text', maxlength: String(MAX_MESSAGE), autocomplete: 'off', enterkeyhint: 'send' });
      r.send = h('button', { type: 'submit', class: 'send' });
      r.form = h('form', {}, [r.inputLabel, r.input, r.send]);
      r.privacy = h('p', { class: 'privacy', hidden: true });
      r.panel = h('section', { id: 'nw-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'nw-title', hidden: true }, [
        h('div', { class: 'head' }, [r.logo, h('div', { class: 'titles' }, [r.title, r.sub]), r.reset, r.close]),
        r.notice, r.log, r.status, r.alert, r.replies, r.form, r.privacy
      ]);
      r.wrap = h('div', { class: 'nw ' + POSITION }, [r.launcher, r.panel]);
      this.root.appendChild(r.wrap);

      r.launcher.addEventListener('click', function () { self.state.open ? self.close() : self.open(true); });
      r.close.addEventListener('click', function () { self.close(); });
      r.reset.addEventListener('click', function () { self.reset(); });
      r.panel.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape') { ev.preventDefault(); self.close(); }
      });
      r.form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var text = r.input.value.trim();
        if (!text || self.busy) return;
        r.input.value = '';
        self.send(text, text);
      });
      r.retry.addEventListener('click', function () {
        r.input.focus();
        self.retryNow();
      });
    }

    cachedConfig() {
      try { return JSON.parse(store.get(STORE_KEY + ':cfg:' + REGION) || 'null'); } catch (e) { return null; }
    }

    applyConfig(cfg) {
      this.cfg = cfg;
      var ui = Object.assign({}, DEFAULTS.ui, cfg.ui || {});
      this.ui = ui;
      var r = this.refs;
      r.launcherText.textContent = ui.launcher;
      r.title.textContent = cfg.name || DEFAULTS.name;
      r.sub.textContent = ui.subtitle;
      r.close.textContent = ui.close;
      r.reset.textContent = ui.new_chat;
      r.log.setAttribute('aria-label', ui.log_label);
      r.typingText.textContent = this.busy ? ui.typing : '';
      r.retry.textContent = ui.retry;
      r.replies.setAttribute('aria-label', ui.replies_label);
      r.inputLabel.textContent = ui.input_label;
      r.input.setAttribute('placeholder', ui.placeholder);
      r.send.textContent = ui.send;
      r.privacy.textContent = cfg.privacy || '';
      r.privacy.hidden = !cfg.privacy;
      // The config carries the words in its language; lang tells screen readers how to speak them.
      r.wrap.setAttribute('lang', cfg.language === 'en' ? 'en' : 'nl');
      if (cfg.logo_url && /^\/[^\/\\]/.test(cfg.logo_url)) {
        r.logo.src = BASE + cfg.logo_url;
        r.logo.hidden = false;
      } else {
        r.logo.hidden = true;
      }
      var colors = Object.assign({}, DEFAULTS.colors, cfg.colors || {});
      var names = { primary: 'primary', on_primary: 'on-primary', surface: 'surface', on_surface: 'on-surface',
        bot_bubble: 'bubble', link: 'link', focus: 'focus', danger: 'danger', on_danger: 'on-danger' };
      for (var key in names) {
        if (COLOR_RE.test(colors[key] || '')) this.style.setProperty('--nw-' + names[key], colors[key]);
      }
    }

    // probe: asked again after a failure; must reach the server, not the HTTP cache.
    fetchConfig(probe) {
      var self = this;
      return fetch(BASE + '/api/v1/widget-config' + CONFIG_QUERY, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: probe ? 'no-store' : 'default' })
        .then(function (res) {
          return res.json().then(function (cfg) {
            // Only a readable refusal means "not allowed"; anything else may be the network.
            if (res.status === 403 && cfg.code === 'origin_not_allowed') {
              return self.refuse('dit adres (' + location.origin + ') staat niet in allowed_origins van ' + (REGION || 'defaults'));
            }
            if (!res.ok) throw res.status;
            self.applyConfig(cfg);
            store.set(STORE_KEY + ':cfg:' + REGION, JSON.stringify(cfg));
            self.recovered();
          });
        })
        .catch(function () {
          // The national defaults in this file still work; the card shows when the panel opens.
          self.failure = self.failure || 'offline';
          if (probe) self.fail('offline');
        });
    }

    // This site may not use the Noodwijzer: no chat, only the safety card, and one line for its developers.
    refuse(why) {
      this.failure = 'refused';
      this.refs.wrap.classList.add('refused');
      console.warn('Noodwijzer: ' + why + '. De widget toont alleen 112 en crisis.nl. Zie ' + BASE + '/embed');
      if (this.state.open) this.showCard();
    }

    fetchNotice() {
      if (!REGION) return;
      var self = this;
      fetch(BASE + '/api/v1/notice?region=' + REGION, { credentials: 'omit', referrerPolicy: 'no-referrer' })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (data) { self.showNotice(data && data.notice); })
        .catch(function () { /* no notice service: show nothing */ });
    }

    showNotice(notice) {
      var r = this.refs;
      r.notice.textContent = '';
      if (!notice || typeof notice.title !== 'string' || typeof notice.text !== 'string' ||
          (notice.expires_at && Date.parse(notice.expires_at) < Date.now())) {
        r.notice.hidden = true;
        return;
      }
      r.notice.setAttribute('aria-label', this.ui.notice_label);
      r.notice.appendChild(h('h3', { text: notice.title }));
      r.notice.appendChild(h('p', { text: notice.text }));
      var href = typeof notice.url === 'string' ? safeHref(notice.url) : null;
      if (href) r.notice.appendChild(h('p', {}, [this.link(href, this.ui.notice_more)]));
      r.notice.hidden = false;
    }

    open(moveFocus) {
      var self = this;
      var r = this.refs;
      r.panel.hidden = false;
      r.wrap.classList.add('open');
      r.launcher.setAttribute('aria-expanded', 'true');
      this.state.open = true;
      if (!this.state.log.length) {
        // Inzicht (issue 19): one count per new conversation for the region; no id, no cookie, no text.
        if (navigator.sendBeacon) navigator.sendBeacon(BASE + '/api/v1/widget-geopend' + QUERY);
        // Greet in the region's words: wait for its config (it never rejects).
        this.configReady.then(function () {
          if (self.state.log.length || self.failure === 'refused') return;
          self.addMessage({ from: 'bot', text: self.cfg.greeting || DEFAULTS.greeting });
          self.setReplies(self.cfg.starters || DEFAULTS.starters || []);
        });
      }
      save(this.state);
      r.log.scrollTop = r.log.scrollHeight;
      if (this.failure) {
        this.configReady.then(function () { self.showCard(); if (self.failure !== 'refused') self.backoff(); });
      }
      // Opening on page load must not steal focus from the page.
      if (moveFocus) (this.failure === 'refused' ? r.close : r.input).focus();
    }

    // "Nieuw gesprek": forget everything on this side (storage included) and start again.
    // The server forgets the old conversation after 60 idle minutes; nothing links the two.
    reset() {
      var r = this.refs;
      if (this.busy) return;  // the answer on its way belongs to the old conversation
      clearTimeout(this.timer);
      this.pending = null;
      store.clear();
      this.state = { sid: newSessionId(), region: REGION, open: true, log: [], replies: [] };
      r.log.textContent = '';
      r.alert.textContent = '';
      r.input.value = '';
      this.renderReplies([]);
      if (this.failure !== 'refused') {
        this.addMessage({ from: 'bot', text: this.cfg.greeting || DEFAULTS.greeting });
        this.setReplies(this.cfg.starters || DEFAULTS.starters || []);
      }
      save(this.state);
      r.input.focus();
    }

    close() {
      var r = this.refs;
      r.panel.hidden = true;
      r.wrap.classList.remove('open');
      r.launcher.setAttribute('aria-expanded', 'false');
      this.state.open = false;
      save(this.state);
      r.launcher.focus();
    }

    link(href, text) {
      // A new window keeps the conversation open next to the page.
      var a = h('a', { href: href, target: '_blank', rel: 'noopener noreferrer', text: text });
      a.appendChild(h('span', { class: 'sr', text: ' ' + this.ui.new_window }));
      return a;
    }

    // Text -> text nodes and safe links; nothing is ever parsed as HTML.
    appendText(el, text) {
      var self = this;
      text.split(/(\s+)/).forEach(function (part) {
        var m = /^([(]?)(\S+?)([.,;:!?)]*)$/.exec(part);
        var href = m && safeHref(m[2]);
        if (!href) { el.appendChild(document.createTextNode(part)); return; }
        if (m[1]) el.appendChild(document.createTextNode(m[1]));
        el.appendChild(self.link(href, m[2]));
        if (m[3]) el.appendChild(document.createTextNode(m[3]));
      });
    }

    renderMessage(m) {
      var ui = this.ui;
      var el = h('p', { class: 'msg ' + (m.from === 'user' ? 'user' : 'bot') });
      el.appendChild(h('span', { class: 'sr', text: (m.from === 'user' ? ui.you : ui.bot) + ' ' }));
      var text = String(m.text || '');
      if (m.from === 'user') {
        el.appendChild(document.createTextNode(text));
      } else if (isDanger(text)) {
        el = h('div', { class: 'msg bot danger', role: 'alert' }, [h('span', { class: 'sr', text: ui.bot + ' ' })]);
        // The leading "Bel 112" itself becomes a big tel: link.
        var lead = /^\s*((bel|call) 112)/i.exec(text)[1];
        el.appendChild(h('a', { class: 'call', href: 'tel:112', text: lead }));
        this.appendText(el, text.replace(/^\s*(bel|call) 112/i, ''));
      } else {
        this.appendText(el, text);
      }
      this.refs.log.appendChild(el);
      this.refs.log.scrollTop = this.refs.log.scrollHeight;
    }

    addMessage(m) {
      var entry = { from: m.from, text: m.text };
      this.state.log.push(entry);
      this.renderMessage(entry);
      save(this.state);
    }

    setReplies(buttons) {
      this.state.replies = (buttons || []).filter(function (b) {
        return b && typeof b.title === 'string' && typeof b.payload === 'string' && b.title && b.payload.length <= MAX_MESSAGE;
      }).map(function (b) { return { title: b.title, payload: b.payload }; });
      this.renderReplies(this.state.replies);
      save(this.state);
    }

    renderReplies(buttons) {
      var self = this;
      var box = this.refs.replies;
      box.textContent = '';
      buttons.forEach(function (b) {
        var button = h('button', { type: 'button', text: b.title });
        button.addEventListener('click', function () {
          if (self.busy) return;
          self.refs.input.focus();  // the buttons disappear; keep focus in the widget
          self.send(b.payload, b.title);
        });
        box.appendChild(button);
      });
      box.hidden = !buttons.length;
    }

    // One key per message: a retry sends the same key and the gateway answers it once.
    send(message, shown) {
      if (this.failure === 'refused') return;
      var p = this.pending;
      if (!p || p.message !== message) {
        this.pending = { message: message, shown: shown, id: newSessionId() };
        this.addMessage({ from: 'user', text: shown });
        this.setReplies([]);
      }
      this.request();
    }

    setBusy(busy) {
      this.busy = busy;
      var r = this.refs;
      if (busy) r.log.appendChild(r.typing);
      r.typing.hidden = !busy;
      r.typingText.textContent = busy ? this.ui.typing : '';
      r.log.setAttribute('aria-busy', busy ? 'true' : 'false');
      r.log.scrollTop = r.log.scrollHeight;
    }

    request() {
      var self = this;
      var r = this.refs;
      var p = this.pending;
      clearTimeout(this.timer);
      this.setBusy(true);
      var body = { session_id: this.state.sid, message: p.message, message_id: p.id };
      if (REGION) body.region = REGION;
      var abort = new AbortController();
      var timeout = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
      // The region is in the URL too: CORS preflights carry no body.
      fetch(BASE + '/api/v1/chat' + QUERY, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'omit', referrerPolicy: 'no-referrer', signal: abort.signal
      }).then(function (res) {
        if (res.status === 429) {
          return res.json().catch(function () { return {}; }).then(function (d) {
            // Its words (112, the wait) as bubbles, else the card
            if (Array.isArray(d.messages) && d.messages.length) return d;
            throw { wait: Math.min(600, Math.max(1, parseInt(d.retry_after || res.headers.get('Retry-After'), 10) || 30)) };
          });
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408) return { rejected: true };
        if (!res.ok) throw res.status;
        return res.json();
      }).then(function (data) {
        clearTimeout(timeout);
        self.pending = null;
        self.setBusy(false);
        if (data.rejected) {
          r.alert.textContent = '';
          r.alert.appendChild(h('p', { class: 'card', text: self.ui.bad_request }));
          return;
        }
        if (r.input.value === p.message) r.input.value = '';
        if (data.retry_after && !r.input.value && p.shown === p.message) r.input.value = p.message;
        self.recovered();
        var buttons = [];
        var first = null;
        (Array.isArray(data.messages) ? data.messages : []).forEach(function (m) {
          if (!m || typeof m.text !== 'string') return;
          if (m.text) {
            self.addMessage({ from: 'bot', text: m.text });
            first = first || r.log.lastChild;
          }
          if (Array.isArray(m.buttons) && m.buttons.length) buttons = m.buttons;
        });
        self.setReplies(buttons);
        // A long answer is read from its start, so show its start.
        if (first) r.log.scrollTop = Math.min(r.log.scrollTop, first.offsetTop - r.log.offsetTop - 8);
      }).catch(function (err) {
        clearTimeout(timeout);
        self.setBusy(false);
        // The typed text stays: back in the input, unless something new was typed.
        if (!r.input.value && p.shown === p.message) r.input.value = p.message;
        self.fail(err && err.wait ? 'busy' : 'offline', err && err.wait);
      });
    }

    fail(kind, wait) {
      this.failure = kind;
      this.wait = wait;
      this.showCard();
      if (kind === 'busy') this.later(wait * 1000);
      else this.backoff();
    }

    // Retries back off: 2, 4, 8, 16, 32, then every 60 seconds (plus up to 1 s, so not all at once).
    backoff() {
      this.later(Math.min(60000, 2000 * Math.pow(2, this.attempt++)));
    }

    later(ms) {
      var self = this;
      clearTimeout(this.timer);
      this.timer = setTimeout(function () { self.retryNow(); }, ms + Math.random() * 1000);
    }

    retryNow() {
      clearTimeout(this.timer);
      if (this.busy || this.failure === 'refused') return;
      if (this.pending) this.request();
      else if (this.state.open) this.fetchConfig(true);
    }

    recovered() {
      var r = this.refs;
      if (this.failure !== 'refused') r.alert.textContent = '';
      if (this.failure !== 'offline' && this.failure !== 'busy') return;
      this.failure = null;
      this.attempt = 0;
      clearTimeout(this.timer);
      r.log.appendChild(h('p', { class: 'msg note', text: this.ui.back_online }));
    }

    // The safety card: what to do now, with or without the server.
    showCard() {
      var self = this;
      var ui = this.ui;
      var safe = Object.assign({}, DEFAULTS.safety, this.cfg.safety);
      var kind = this.failure;
      function line(label, url) {
        return h('p', {}, [document.createTextNode(label + ' '), self.link(url, url.replace(/^https:\/\/(www\.)?/, '').replace(/\/$/, ''))]);
      }
      var card = h('div', { class: 'card' }, [
        h('p', { text: kind === 'refused' ? ui.refused : kind === 'busy' ? String(ui.busy).replace('{n}', this.wait) : ui.network_error }),
        kind !== 'refused' && this.pending ? h('p', { text: ui.not_sent }) : null,
        h('p', {}, [h('a', { class: 'call', href: 'tel:112', text: ui.call_112 || SOS_CALL })]),
        line(ui.crisis || '', /^https:\/\//.test(safe.crisis_url) ? safe.crisis_url : SOS_URL),
        safe.alert_site && safeHref(safe.alert_site) ? line(String(ui.alert_site).replace('{regio}', safe.region_name), safe.alert_site) : null,
        safe.radio ? h('p', { text: ui.radio + ' ' + safe.radio + (safe.fm ? ', FM ' + safe.fm : '') }) : null,
        kind !== 'refused' ? this.refs.retry : null
      ]);
      this.refs.alert.textContent = '';
      this.refs.alert.appendChild(card);
      this.refs.log.scrollTop = this.refs.log.scrollHeight;
    }
  }

  customElements.define(TAG, NoodwijzerWidget);
  function attach() { document.body.appendChild(document.createElement(TAG)); }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);
})();
