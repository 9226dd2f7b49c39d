/*
 * MIBG therapy assistant: an embeddable chat widget for Rasa's socket.io channel.
 *
 * Embed with one tag (the widget loads widget.css and vendor/socket.io.min.js from the folder
 * this file is served from; no third-party requests):
 *
 *   <script src="https://site/static/widget.js" defer
 *           data-server-url="https://rasa.example" data-title="..." data-greeting="..."
 *           data-language="en" data-primary-color="#0f6e74"></script>
 *
 * or set `window.MibgChat = {serverUrl, title, greeting, language, colors: {primary, accent}}`
 * before it. Everything anyone wrote (bot or user) is put on the page as text through DOM
 * APIs, never as HTML. Bot text may use a safe markdown subset: **bold**, "- " lists, and
 * https links ([label](https://...) or bare), which open in a new tab without a referrer.
 */
(function () {
  "use strict";

  if (window.__mibgChatStarted) return;
  window.__mibgChatStarted = true;

  var SCRIPT = document.currentScript;
  var BASE = (SCRIPT && SCRIPT.src) || document.baseURI;

  // The texts of every language come from widget-strings.js beside this file (the web app
  // builds it from bot/locales/*/widget.yml) unless the page loaded it already.
  if (window.MibgChatStrings) widget(SCRIPT, BASE);
  else {
    var strings = document.createElement("script");
    strings.src = new URL("widget-strings.js", BASE).href;
    strings.onload = function () {
      widget(SCRIPT, BASE);
    };
    document.head.appendChild(strings);
  }

  function widget(SCRIPT, BASE) {
    var KEY_SESSION = "mibgChat.sessionId"; // localStorage: the conversation continues across visits
    var KEY_HISTORY = "mibgChat.history"; // sessionStorage: text stays only while the tab is open
    var KEY_OPEN = "mibgChat.open";
    var MAX_HISTORY = 200;
    var MAX_MESSAGE_CHARS = 2000;
    var REPLY_TIMEOUT_MS = 30000;

    var KEY_LANGUAGE = "mibgChat.language"; // localStorage: the language the visitor chose
    // The texts of every language come from widget-strings.js (bot/locales/*/widget.yml).
    var STRINGS = window.MibgChatStrings || {};

    // ------------------------------------------------------------------ configuration
    /** "de-AT" -> "de" when we speak it, else English. */
    function pickLanguage(code) {
      var short = String(code || "").slice(0, 2).toLowerCase();
      return STRINGS[short] ? short : "en";
    }

    function readConfig() {
      var given = window.MibgChat || {};
      var data = (SCRIPT && SCRIPT.dataset) || {};
      var language = pickLanguage(
        load("localStorage", KEY_LANGUAGE, null) || given.language || data.language || document.documentElement.lang
      );
      var text = STRINGS[language];
      var colors = given.colors || {};
      return {
        serverUrl: given.serverUrl || data.serverUrl || location.protocol + "//" + location.hostname + ":5005",
        socketPath: given.socketPath || data.socketPath || "/socket.io",
        title: given.title || data.title || null,
        greeting: given.greeting || data.greeting || null,
        language: language,
        text: text,
        colors: {
          primary: colors.primary || data.primaryColor,
          accent: colors.accent || data.accentColor
        }
      };
    }

    // ------------------------------------------------------------------ storage (may be disabled)
    function load(storage, key, fallback) {
      try {
        var raw = window[storage].getItem(key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    }

    function save(storage, key, value) {
      try {
        if (value === null) window[storage].removeItem(key);
        else window[storage].setItem(key, JSON.stringify(value));
      } catch (e) {
        /* private mode or full: the chat still works, it just forgets on reload */
      }
    }

    var config = readConfig();
    var T = config.text;

    // ------------------------------------------------------------------ DOM helpers
    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text !== undefined) node.textContent = text;
      return node;
    }

    function svgIcon(paths) {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
      paths.forEach(function (d) {
        var path = document.createElementNS(ns, "path");
        path.setAttribute("d", d);
        svg.appendChild(path);
      });
      return svg;
    }

    function safeHttpsUrl(candidate) {
      try {
        var url = new URL(candidate);
        return url.protocol === "https:" ? url.href : null;
      } catch (e) {
        return null;
      }
    }

    var INLINE_RE = /\*\*([^*\n]+)\*\*|\[([^\]\n]+)\]\((https:\/\/[^\s)]+)\)|(https:\/\/[^\s<>()]*[^\s<>().,;:!?'"])/g;

    function appendLink(parent, label, href) {
      var url = safeHttpsUrl(href);
      if (!url) {
        parent.appendChild(document.createTextNode(label));
        return;
      }
      var link = el("a", "mibgchat-link", label);
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.appendChild(el("span", "mibgchat-sr", " " + T.newTab));
      parent.appendChild(link);
    }

    /** **bold**, [label](https://...) and bare https URLs; everything else as plain text. */
    function appendInline(parent, text) {
      var last = 0;
      var match;
      INLINE_RE.lastIndex = 0;
      while ((match = INLINE_RE.exec(text)) !== null) {
        if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
        if (match[1] !== undefined) parent.appendChild(el("strong", null, match[1]));
        else if (match[2] !== undefined) appendLink(parent, match[2], match[3]);
        else appendLink(parent, match[4], match[4]);
        last = INLINE_RE.lastIndex;
      }
      if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    }

    /** Paragraphs (line breaks kept) and "- " / "• " / "* " bullet lists. */
    function renderRichText(container, text) {
      var list = null;
      var para = null;
      String(text).split(/\r?\n/).forEach(function (line) {
        var item = /^\s*[-•*]\s+(.*)$/.exec(line);
        if (item) {
          if (!list) list = container.appendChild(el("ul"));
          appendInline(list.appendChild(el("li")), item[1]);
          para = null;
          return;
        }
        list = null;
        if (!line.trim()) {
          para = null;
          return;
        }
        if (para) para.appendChild(el("br"));
        else para = container.appendChild(el("p"));
        appendInline(para, line);
      });
    }

    // ------------------------------------------------------------------ the widget's DOM
    var root = el("div", "mibgchat");
    root.id = "mibgchat";
    root.lang = config.language;
    if (config.colors.primary) root.style.setProperty("--mibgchat-primary", config.colors.primary);
    if (config.colors.accent) root.style.setProperty("--mibgchat-accent", config.colors.accent);

    var launcher = el("button", "mibgchat-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "mibgchat-panel");
    launcher.appendChild(svgIcon(["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"]));
    var launcherText = launcher.appendChild(el("span", "mibgchat-launcher-text"));
    var unread = launcher.appendChild(el("span", "mibgchat-unread"));
    unread.hidden = true;

    var panel = el("div", "mibgchat-panel");
    panel.id = "mibgchat-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-labelledby", "mibgchat-title");

    var header = panel.appendChild(el("div", "mibgchat-header"));
    var heading = header.appendChild(el("div", "mibgchat-heading"));
    var title = heading.appendChild(el("h2", "mibgchat-title"));
    title.id = "mibgchat-title";
    var subtitle = heading.appendChild(el("p", "mibgchat-subtitle"));
    var languageSelect = header.appendChild(el("select", "mibgchat-language"));
    Object.keys(STRINGS).forEach(function (code) {
      var option = languageSelect.appendChild(el("option", null, STRINGS[code].languageName || code));
      option.value = code;
      option.lang = code;
    });
    var restartButton = header.appendChild(el("button", "mibgchat-restart"));
    restartButton.type = "button";
    restartButton.appendChild(svgIcon(["M4.5 12a7.5 7.5 0 1 0 2.2-5.3", "M4.5 4.5v4h4"]));
    var closeButton = header.appendChild(el("button", "mibgchat-close"));
    closeButton.type = "button";
    closeButton.appendChild(svgIcon(["M6 6l12 12M18 6L6 18"]));

    var status = panel.appendChild(el("div", "mibgchat-status"));
    status.setAttribute("role", "status");
    status.hidden = true;

    var log = panel.appendChild(el("div", "mibgchat-log"));
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-labelledby", "mibgchat-title");
    log.tabIndex = 0;

    var typing = panel.appendChild(el("div", "mibgchat-typing"));
    typing.setAttribute("role", "status");
    typing.hidden = true;
    typing.appendChild(el("span", "mibgchat-dot"));
    typing.appendChild(el("span", "mibgchat-dot"));
    typing.appendChild(el("span", "mibgchat-dot"));
    var typingLabel = typing.appendChild(el("span", "mibgchat-sr"));

    var form = panel.appendChild(el("form", "mibgchat-form"));
    form.setAttribute("novalidate", "");
    var inputLabel = form.appendChild(el("label", "mibgchat-sr"));
    inputLabel.htmlFor = "mibgchat-input";
    var input = form.appendChild(el("textarea", "mibgchat-input"));
    input.id = "mibgchat-input";
    input.rows = 1;
    input.maxLength = MAX_MESSAGE_CHARS;
    input.autocomplete = "off";
    var sendButton = form.appendChild(el("button", "mibgchat-send"));
    sendButton.type = "submit";

    var notice = panel.appendChild(el("p", "mibgchat-notice"));

    /** Every fixed text of the widget in the current language (at start and after a switch). */
    function applyTexts() {
      root.lang = config.language;
      launcher.setAttribute("aria-label", T.open);
      launcherText.textContent = T.openLabel;
      title.textContent = config.title || T.title;
      subtitle.textContent = T.subtitle;
      languageSelect.value = config.language;
      languageSelect.setAttribute("aria-label", T.languageLabel);
      languageSelect.title = T.languageLabel;
      restartButton.title = T.restartLabel;
      restartButton.setAttribute("aria-label", T.restartLabel);
      closeButton.setAttribute("aria-label", T.close);
      typingLabel.textContent = T.typing;
      inputLabel.textContent = T.inputLabel;
      input.placeholder = T.placeholder;
      sendButton.textContent = T.send;
      notice.textContent = T.notice;
    }
    applyTexts();

    root.appendChild(panel);
    root.appendChild(launcher);

    // ------------------------------------------------------------------ conversation state
    var history = load("sessionStorage", KEY_HISTORY, []);
    if (!Array.isArray(history)) history = [];
    var socket = null;
    var sessionReady = false;
    var everConnected = false;
    var failures = 0;
    var outbox = [];
    var replyTimer = null;
    var latestBot = null; // the newest bot message, if it came after the user's last one

    function cleanButtons(buttons) {
      if (!Array.isArray(buttons)) return [];
      return buttons
        .filter(function (b) {
          return b && typeof b.title === "string" && typeof b.payload === "string" && b.title.trim();
        })
        .map(function (b) {
          return { title: b.title, payload: b.payload };
        });
    }

    function renderMessage(entry) {
      var isUser = entry.who === "user";
      var row = el("div", "mibgchat-msg " + (isUser ? "mibgchat-msg-user" : "mibgchat-msg-bot"));
      row.appendChild(el("span", "mibgchat-sr", isUser ? T.you : T.bot));
      var bubble = row.appendChild(el("div", "mibgchat-bubble"));
      if (isUser) bubble.appendChild(el("p", null, entry.text));
      else renderRichText(bubble, entry.text);
      if (entry.buttons && entry.buttons.length) {
        var group = row.appendChild(el("div", "mibgchat-replies"));
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", T.suggestions);
        entry.buttons.forEach(function (button) {
          var node = group.appendChild(el("button", "mibgchat-reply", button.title));
          node.type = "button";
          node.addEventListener("click", function () {
            send(button.payload, button.title);
            input.focus();
          });
        });
      }
      log.appendChild(row);
      return row;
    }

    /** To the end, but never past the start of a long bot message (read it from its top). */
    function scrollToLatest() {
      var bottom = log.scrollHeight - log.clientHeight;
      log.scrollTop = latestBot ? Math.min(Math.max(latestBot.offsetTop - 12, 0), bottom) : bottom;
    }

    function addMessage(entry, store) {
      var row = renderMessage(entry);
      latestBot = entry.who === "user" ? null : row;
      if (store) {
        history.push(entry);
        if (history.length > MAX_HISTORY) history = history.slice(-MAX_HISTORY);
        save("sessionStorage", KEY_HISTORY, history);
      }
      scrollToLatest();
      if (entry.who === "bot" && panel.hidden) unread.hidden = false;
    }

    /** Quick replies answer the last bot message only: once the user speaks they are gone. */
    function dropQuickReplies() {
      Array.prototype.forEach.call(log.querySelectorAll(".mibgchat-replies"), function (group) {
        group.parentNode.removeChild(group);
      });
      var changed = false;
      history.forEach(function (entry) {
        if (entry.buttons) {
          delete entry.buttons;
          changed = true;
        }
      });
      if (changed) save("sessionStorage", KEY_HISTORY, history);
    }

    function renderAll() {
      while (log.firstChild) log.removeChild(log.firstChild);
      latestBot = null;
      renderMessage({ who: "bot", text: config.greeting || T.greeting });
      history.forEach(function (entry) {
        renderMessage(entry);
      });
      log.scrollTop = log.scrollHeight;
    }

    function setTyping(on) {
      typing.hidden = !on;
      clearTimeout(replyTimer);
      if (on) {
        replyTimer = setTimeout(function () {
          typing.hidden = true;
          showStatus(T.noReply, "warning");
        }, REPLY_TIMEOUT_MS);
      }
    }

    function showStatus(text, kind) {
      status.textContent = text || "";
      status.hidden = !text;
      status.className = "mibgchat-status" + (kind ? " mibgchat-status-" + kind : "");
    }

    // ------------------------------------------------------------------ socket.io
    function loadSocketIo(callback) {
      if (window.io) return callback();
      var tag = document.createElement("script");
      tag.src = new URL("vendor/socket.io.min.js", BASE).href;
      tag.onload = callback;
      tag.onerror = function () {
        showStatus(T.unavailable, "error");
      };
      document.head.appendChild(tag);
    }

    function connect() {
      if (socket) return;
      socket = {}; // placeholder while the client library loads
      showStatus(T.connecting);
      loadSocketIo(function () {
        // Websocket first: one connection stays on one Rasa worker (RASA_WORKERS > 1 needs no
        // sticky sessions). Long polling only where websockets are blocked.
        socket = window.io(config.serverUrl, {
          path: config.socketPath,
          withCredentials: false,
          transports: ["websocket", "polling"],
          tryAllTransports: true,
        });
        socket.on("connect", function () {
          everConnected = true;
          failures = 0;
          sessionReady = false;
          socket.emit("session_request", { session_id: load("localStorage", KEY_SESSION, null) });
        });
        socket.on("session_confirm", function (sessionId) {
          var id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
          if (!id) return;
          save("localStorage", KEY_SESSION, id);
          sessionReady = true;
          showStatus("");
          outbox.splice(0).forEach(emitMessage);
        });
        socket.on("bot_uttered", function (message) {
          if (!message || typeof message !== "object") return;
          var text = typeof message.text === "string" ? message.text : "";
          var buttons = cleanButtons(message.quick_replies || message.buttons);
          setTyping(false);
          if (!text && !buttons.length) return;
          var entry = { who: "bot", text: text };
          if (buttons.length) entry.buttons = buttons;
          addMessage(entry, true);
        });
        socket.on("disconnect", function () {
          sessionReady = false;
          showStatus(T.reconnecting, "warning");
        });
        socket.on("connect_error", function () {
          // Refused by the server (socket.active is false: no retry) or unreachable (it retries).
          failures += 1;
          if (!socket.active || (!everConnected && failures >= 3)) showStatus(T.unavailable, "error");
          else showStatus(everConnected ? T.reconnecting : T.connecting, "warning");
        });
      });
    }

    function emitMessage(text) {
      socket.emit("user_uttered", {
        message: text,
        session_id: load("localStorage", KEY_SESSION, null),
        metadata: { language: config.language }
      });
    }

    /** The visitor picked another language: the widget's texts change, and the assistant is
     * asked to answer in it (the language slot; a request form keeps its answers). */
    function setLanguage(code) {
      code = pickLanguage(code);
      if (code === config.language) return;
      config.language = code;
      config.text = T = STRINGS[code];
      save("localStorage", KEY_LANGUAGE, code);
      applyTexts();
      renderAll();
      send('/switch_language{"language": "' + code + '"}', T.languageName);
    }

    /** Sends ``text`` to the assistant and shows ``shown`` (a button's title) as the user's words. */
    function send(text, shown) {
      text = String(text).trim().slice(0, MAX_MESSAGE_CHARS);
      if (!text) return;
      dropQuickReplies();
      addMessage({ who: "user", text: shown || text }, true);
      setTyping(true);
      connect();
      if (sessionReady) emitMessage(text);
      else outbox.push(text);
    }

    function restart() {
      save("localStorage", KEY_SESSION, null);
      history = [];
      save("sessionStorage", KEY_HISTORY, null);
      outbox = [];
      setTyping(false);
      renderAll();
      if (socket && socket.connected) {
        sessionReady = false;
        socket.emit("session_request", { session_id: null });
      }
      input.focus();
    }

    // ------------------------------------------------------------------ open / close, keyboard
    function open(focus) {
      panel.hidden = false;
      root.classList.add("mibgchat-open");
      launcher.setAttribute("aria-expanded", "true");
      unread.hidden = true;
      save("sessionStorage", KEY_OPEN, true);
      connect();
      scrollToLatest();
      if (focus) input.focus();
    }

    function close() {
      panel.hidden = true;
      root.classList.remove("mibgchat-open");
      launcher.setAttribute("aria-expanded", "false");
      save("sessionStorage", KEY_OPEN, null);
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open(true);
      else close();
    });
    closeButton.addEventListener("click", close);
    languageSelect.addEventListener("change", function () {
      setLanguage(languageSelect.value);
    });
    restartButton.addEventListener("click", restart);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      input.value = "";
      resizeInput();
      send(text);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });

    function resizeInput() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 140) + "px";
    }
    input.addEventListener("input", resizeInput);

    // ------------------------------------------------------------------ start
    function start() {
      document.body.appendChild(root);
      renderAll();
      if (load("sessionStorage", KEY_OPEN, false)) open(false);
    }

    var stylesheet = document.createElement("link");
    stylesheet.rel = "stylesheet";
    stylesheet.href = new URL("widget.css", BASE).href;
    var started = false;
    function startOnce() {
      if (started) return;
      started = true;
      if (document.body) start();
      else document.addEventListener("DOMContentLoaded", start);
    }
    stylesheet.onload = startOnce;
    stylesheet.onerror = startOnce; // unstyled is better than no chat
    setTimeout(startOnce, 3000);
    document.head.appendChild(stylesheet);
  }
})();
