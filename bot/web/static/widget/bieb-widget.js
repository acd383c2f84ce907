/*
 * Bieb-assistent chat widget. A library adds one tag:
 *   <script src="https://host:8080/widget/bieb-widget.js" data-server="https://host:5005"
 *           data-library="Bibliotheek Zuidhoek" data-color="#00529b"></script>
 * It talks to Rasa over socket.io (session_request/session_confirm, user_uttered/bot_uttered) and
 * falls back to REST (POST {server}/webhooks/rest/webhook). Bot text is text: it is escaped, only
 * http(s) links are made from it, and the result goes through DOMPurify before it reaches the page.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__biebWidget) return;
  window.__biebWidget = true;

  var HERE = new URL(".", script.src);
  var API = new URL("/api/feedback", script.src).href;
  var SERVER = (script.dataset.server || "").replace(/\/+$/, "");
  var LIBRARY = (script.dataset.library || "").slice(0, 80);
  var STORE = "bieb-widget:";
  var MAX_HISTORY = 100;
  var ANSWER_TIMEOUT_MS = 30000;
  var PROBE_MS = 4000;
  var URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  var T = {
    open: "Stel een vraag",
    title: "Bieb-assistent",
    close: "Sluiten",
    log: "Gesprek met de Bieb-assistent",
    label: "Stel uw vraag",
    placeholder: "Typ hier uw vraag",
    send: "Verstuur",
    human: "Praat met een medewerker",
    busy: "Bezig…",
    offline: "De assistent is even niet bereikbaar. Probeer het zo nog eens.",
    back: "De assistent is weer bereikbaar.",
    noAnswer: "Er komt geen antwoord. Probeer het zo nog eens.",
    read: "Lees voor",
    good: "Goed antwoord",
    bad: "Slecht antwoord",
    thanks: "Bedankt voor uw reactie.",
    thanksFailed: "Uw reactie is niet verstuurd. Probeer het later nog eens.",
    replies: "Kies een vervolgvraag",
    you: "U: ",
    bot: "Assistent: ",
    newWindow: " (opent in een nieuw venster)",
    welcome: [
      "Hallo! Ik ben de Bieb-assistent" + (LIBRARY ? " van " + LIBRARY : "") + ".",
      "Ik ben een computer-assistent, geen mens.",
      "Ik beantwoord vragen over de bibliotheek: activiteiten, regelingen, cijfers en hulp bij de digitale overheid (IDO).",
      "Typ geen persoonlijke gegevens, zoals uw BSN."
    ]
  };

  // -- storage (sessionStorage; the page works without it) ----------------------------------
  function load(key, fallback) {
    try { var v = sessionStorage.getItem(STORE + key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) {
    try { sessionStorage.setItem(STORE + key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var sessionId = load("session", null) || newId();
  save("session", sessionId);
  var history = load("history", []);
  var lastQuestion = load("question", "");

  // -- colour: the library's own, darkened until white text on it has contrast >= 4.5:1 -----
  function luminance(rgb) {
    var c = rgb.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function readableColor(value) {
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value || "") ? value.slice(1) : "00529b";
    if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
    var rgb = [0, 2, 4].map(function (i) { return parseInt(hex.substr(i, 2), 16); });
    while (1.05 / (luminance(rgb) + 0.05) < 4.6) rgb = rgb.map(function (v) { return Math.floor(v * 0.9); });
    return "rgb(" + rgb.join(",") + ")";
  }

  // -- small DOM helpers ----------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (e) { node.addEventListener(e, attrs.on[e]); });
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function loadScript(name) {
    return new Promise(function (resolve, reject) {
      var s = el("script", { src: new URL("vendor/" + name, HERE).href });
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }

  /** One line of bot text as safe DOM: text stays text, http(s) URLs become links, DOMPurify has the last word. */
  function richLine(line) {
    if (!window.DOMPurify) return document.createTextNode(line);
    var html = "", last = 0;
    line.replace(URL_RE, function (raw, offset) {
      var url = raw.replace(/[.,;:!?)\]]+$/, "");
      var ok = false;
      try { ok = /^https?:$/.test(new URL(url).protocol); } catch (e) { ok = false; }
      if (!ok) return raw;
      html += escapeHtml(line.slice(last, offset)) +
        '<a href="' + escapeHtml(url) + '">' + escapeHtml(url) +
        '<span class="bieb-sr">' + T.newWindow + "</span></a>";
      last = offset + url.length;
      return raw;
    });
    html += escapeHtml(line.slice(last));
    var fragment = window.DOMPurify.sanitize(html, {
      ALLOWED_TAGS: ["a", "span"], ALLOWED_ATTR: ["href", "class"],
      ALLOWED_URI_REGEXP: /^https?:\/\//i, RETURN_DOM_FRAGMENT: true
    });
    // Set on the clean nodes: DOMPurify drops target/rel when it returns a fragment.
    Array.prototype.forEach.call(fragment.querySelectorAll("a"), function (a) {
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
    });
    return fragment;
  }

  // -- the panel --------------------------------------------------------------------------------
  var ui = {};

  function build() {
    ui.input = el("input", { id: "bieb-input", type: "text", maxlength: "500", autocomplete: "off", placeholder: T.placeholder });
    ui.log = el("div", { "class": "bieb-log", role: "log", "aria-live": "polite", "aria-label": T.log, tabindex: "0" });
    ui.typing = el("p", { "class": "bieb-typing", role: "status" });
    ui.status = el("p", { "class": "bieb-status", role: "alert" });
    ui.form = el("form", { "class": "bieb-form", on: { submit: onSubmit } }, [
      el("label", { "for": "bieb-input", text: T.label }),
      el("div", { "class": "bieb-row" }, [ui.input, el("button", { type: "submit", "class": "bieb-send", text: T.send })])
    ]);
    ui.human = el("button", { type: "button", "class": "bieb-human", text: T.human,
      on: { click: function () { send("/ask_human", T.human); } } });
    ui.panel = el("section", { id: "bieb-panel", "class": "bieb-panel", "aria-labelledby": "bieb-title", hidden: "" }, [
      el("div", { "class": "bieb-head" }, [
        el("div", { "class": "bieb-name" }, [
          el("h2", { id: "bieb-title", text: T.title }),
          LIBRARY ? el("p", { "class": "bieb-library", text: LIBRARY }) : null
        ]),
        el("button", { type: "button", "class": "bieb-close", text: T.close, on: { click: function () { toggle(false); } } })
      ]),
      ui.log, ui.status, ui.typing, ui.form, ui.human
    ]);
    ui.launcher = el("button", { type: "button", "class": "bieb-launcher", "aria-expanded": "false",
      "aria-controls": "bieb-panel", text: T.open, on: { click: function () { toggle(true); } } });
    ui.root = el("div", { "class": "bieb-widget", lang: "nl" }, [ui.panel, ui.launcher]);
    ui.root.style.setProperty("--bieb-color", readableColor(script.dataset.color));
    ui.root.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !ui.panel.hidden) toggle(false);
    });
    document.body.appendChild(ui.root);
    renderBot({ text: T.welcome.join("\n"), own: true });
    history.forEach(function (m) { m.role === "user" ? renderUser(m) : renderBot(m); });
    if (load("open", false)) toggle(true, true);
  }

  function toggle(open, quiet) {
    ui.panel.hidden = !open;
    ui.launcher.hidden = open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    save("open", open);
    if (open) { scrollDown(); if (!quiet) ui.input.focus(); }
    else ui.launcher.focus();
  }

  function scrollDown() { ui.log.scrollTop = ui.log.scrollHeight; }

  function remember(message) {
    history.push(message);
    if (history.length > MAX_HISTORY) history = history.slice(-MAX_HISTORY);
    save("history", history);
  }

  function renderUser(m) {
    ui.log.appendChild(el("div", { "class": "bieb-msg bieb-user" }, [
      el("span", { "class": "bieb-sr", text: T.you }), el("p", { text: m.text })
    ]));
    scrollDown();
  }

  function renderBot(m) {
    var text = String(m.text || "");
    var body = el("div", { "class": "bieb-text" });
    text.split("\n").forEach(function (line) {
      if (!line.trim()) return;
      var p = el("p", /^Bron:/.test(line.trim()) ? { "class": "bieb-source" } : {});
      p.appendChild(richLine(line));
      body.appendChild(p);
    });
    var item = el("div", { "class": "bieb-msg bieb-bot" }, [el("span", { "class": "bieb-sr", text: T.bot }), body]);
    if (m.buttons && m.buttons.length) item.appendChild(quickReplies(m.buttons));
    if (text.trim()) item.appendChild(tools(m, text));
    ui.log.appendChild(item);
    scrollDown();
  }

  function quickReplies(buttons) {
    var group = el("div", { "class": "bieb-replies", role: "group", "aria-label": T.replies });
    buttons.slice(0, 10).forEach(function (b) {
      var title = String(b.title || "").slice(0, 120), payload = String(b.payload || "");
      if (!title || !payload) return;
      group.appendChild(el("button", { type: "button", text: title, on: { click: function () { send(payload, title); } } }));
    });
    return group;
  }

  function tools(m, text) {
    var bar = el("div", { "class": "bieb-tools" });
    if (window.speechSynthesis && typeof window.SpeechSynthesisUtterance === "function") {
      bar.appendChild(el("button", { type: "button", "class": "bieb-read", text: T.read, on: { click: function () { speak(text); } } }));
    }
    if (m.own) return bar;
    var note = el("span", { "class": "bieb-thanks", role: "status" });
    var up = el("button", { type: "button", "class": "bieb-rate", "aria-label": T.good, title: T.good }, [thumb(false)]);
    var down = el("button", { type: "button", "class": "bieb-rate", "aria-label": T.bad, title: T.bad }, [thumb(true)]);
    function mark(rating) {
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
    }
    function rate(rating) {
      if (m.rated) return;
      m.rated = rating;
      save("history", history);
      mark(rating);
      up.disabled = down.disabled = true;
      postFeedback(m.question || "", text, rating).then(function (ok) {
        note.textContent = ok ? T.thanks : T.thanksFailed;
      });
    }
    up.addEventListener("click", function () { rate("up"); });
    down.addEventListener("click", function () { rate("down"); });
    if (m.rated) { mark(m.rated); up.disabled = down.disabled = true; }
    [up, down, note].forEach(function (n) { bar.appendChild(n); });
    return bar;
  }

  /** 👍 or 👎 as a small drawing: emoji fonts are missing on some computers. */
  function thumb(down) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M2 10h4v11H2z M8 10l4-7c1.5 0 2.5 1 2 3l-.7 3H20c1.2 0 2 1 1.8 2.2l-1.5 8.1c-.2 1-1 1.7-2 1.7H8z");
    if (down) path.setAttribute("transform", "rotate(180 12 12)");
    svg.appendChild(path);
    return svg;
  }

  function speak(text) {
    var synth = window.speechSynthesis;
    synth.cancel();
    var u = new window.SpeechSynthesisUtterance(text);
    u.lang = "nl-NL";
    var voice = synth.getVoices().filter(function (v) { return /^nl/i.test(v.lang); })[0];
    if (voice) u.voice = voice;
    synth.speak(u);
  }

  function postFeedback(question, answer, rating) {
    return fetch(API, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question.slice(0, 1000), answer: answer.slice(0, 1000), rating: rating })
    }).then(function (r) { return r.ok; }, function () { return false; });
  }

  // -- connection: socket.io first, REST when it cannot connect --------------------------------
  var socket = null, socketReady = false, online = true, probing = null, waiting = null;

  function setOnline(value) {
    if (value === online) return;
    online = value;
    ui.status.textContent = value ? T.back : T.offline;
    ui.status.classList.toggle("bieb-status--ok", value);
    if (value) setTimeout(function () { if (online) ui.status.textContent = ""; }, 4000);
    if (!value) typing(false);
    if (!value && !probing) probing = setInterval(probe, PROBE_MS);
    if (value && probing) { clearInterval(probing); probing = null; }
  }

  /** Is Rasa there over plain HTTP? (for REST, and to know when to say it is back) */
  function probe() {
    return fetch(SERVER + "/", { cache: "no-store" }).then(function (r) {
      setOnline(r.ok || socketReady);
    }, function () { setOnline(socketReady); });
  }

  function connect() {
    if (typeof window.io !== "function") { probe(); return; }
    socket = window.io(SERVER, { path: "/socket.io", reconnection: true, reconnectionDelay: 1000,
      reconnectionDelayMax: 5000, timeout: 8000 });
    socket.on("connect", function () { socket.emit("session_request", { session_id: sessionId }); });
    socket.on("session_confirm", function () { socketReady = true; setOnline(true); });
    socket.on("bot_uttered", function (data) {
      data = data || {};
      onBotMessage({ text: data.text, buttons: data.quick_replies || data.buttons });
    });
    socket.on("disconnect", function () { socketReady = false; probe(); });
    socket.on("connect_error", function () { socketReady = false; probe(); });
  }

  function typing(on) {
    ui.typing.textContent = on ? T.busy : "";
    ui.typing.classList.toggle("bieb-typing--on", on);
    clearTimeout(waiting);
    if (on) waiting = setTimeout(function () { typing(false); ui.status.textContent = T.noAnswer; }, ANSWER_TIMEOUT_MS);
  }

  function onBotMessage(data) {
    var buttons = (data.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!data.text && !buttons.length) return;
    typing(false);
    if (ui.status.textContent === T.noAnswer) ui.status.textContent = "";
    var m = { role: "bot", text: String(data.text || "").slice(0, 5000), buttons: buttons, question: lastQuestion };
    remember(m);
    renderBot(m);
  }

  function sendRest(message, attempt) {
    fetch(SERVER + "/webhooks/rest/webhook", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sessionId, message: message })
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (messages) {
      setOnline(true);
      if (!messages.length) typing(false);
      messages.forEach(onBotMessage);
    }).catch(function () {
      if (attempt < 2) { setTimeout(function () { sendRest(message, attempt + 1); }, 1500 * (attempt + 1)); return; }
      setOnline(false);
    });
  }

  function send(message, shownAs) {
    message = String(message || "").trim();
    if (!message) return false;
    if (!online) { ui.status.textContent = T.offline; probe(); return false; }
    lastQuestion = shownAs || message;
    save("question", lastQuestion);
    var m = { role: "user", text: lastQuestion };
    remember(m);
    renderUser(m);
    typing(true);
    if (socketReady && socket.connected) socket.emit("user_uttered", { message: message, session_id: sessionId });
    else sendRest(message, 0);
    return true;
  }

  function onSubmit(event) {
    event.preventDefault();
    if (send(ui.input.value)) ui.input.value = "";
    ui.input.focus();
  }

  function start() {
    var css = el("link", { rel: "stylesheet", href: new URL("bieb-widget.css", HERE).href });
    document.head.appendChild(css);
    var purify = loadScript("purify.min.js").catch(function () { /* text only, no links */ });
    purify.then(build).then(function () {
      return loadScript("socket.io.min.js").then(connect, probe);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
