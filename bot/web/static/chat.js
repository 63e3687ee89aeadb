/*
 * Web chat for the branch hotline: talks to Rasa's socket.io channel (bot.channels.socketio).
 *
 * Safety: every customer and bot text reaches the page through textContent / text nodes; links are
 * <a> elements built with DOM APIs, and only for http(s) URLs. No markup is ever parsed from text.
 * History: the socket.io session id and the transcript live in localStorage, so a reload continues
 * the same conversation (Rasa keeps the tracker under that session id).
 */
(function () {
  "use strict";

  var STORE_PREFIX = "hotline-webchat:v1:";
  var MAX_ENTRIES = 200;
  var REPLY_TIMEOUT_MS = 30000;
  var HUMAN_PAYLOAD = "/request_human";
  // A login that expires within this margin is treated as expired (the bot would see a guest).
  var LOGIN_MARGIN_MS = 60000;

  var TEXT = {
    human: "转人工",
    connecting: "正在连接客服…",
    reconnecting: "连接中断，正在重新连接…",
    noSocket: "聊天组件加载失败，请刷新页面重试。",
    noReply: "客服暂时没有回应，请稍后再试，或点击“转人工”。",
    csatAsk: "请为本次服务打分（1 分最低，5 分最高）：",
    csatThanks: "谢谢您的评价！",
    csatFailed: "评价没有提交成功，请稍后再试。",
    newChat: "已开始新的对话。",
    loginAs: function (login) { return "已登录演示客户 " + login.customer_id + "（" + login.tier + "）"; },
    loggedInNote: function (login) { return "已切换为演示客户 " + login.customer_id + "（" + login.tier + "），开始新的对话。"; },
    guestNote: "已切换为访客身份，开始新的对话。",
    loginExpired: "演示登录已过期，已切换为访客身份。",
    loginFailed: "登录失败，请稍后再试。",
    guest: "访客（未登录）",
    image: "查看图片",
    you: "我",
    bot: "客服"
  };

  // ------------------------------------------------------------------ storage

  var memory = {};
  var storage = {
    get: function (key, fallback) {
      try {
        var raw = window.localStorage.getItem(STORE_PREFIX + key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (e) {
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : fallback;
      }
    },
    set: function (key, value) {
      memory[key] = value;
      try {
        if (value === null || value === undefined) {
          window.localStorage.removeItem(STORE_PREFIX + key);
        } else {
          window.localStorage.setItem(STORE_PREFIX + key, JSON.stringify(value));
        }
      } catch (e) { /* private mode or full: keep it in memory for this page */ }
    }
  };

  // ------------------------------------------------------------------ state

  var body = document.body;
  var config = {
    socketUrl: body.getAttribute("data-socket-url"),
    socketPath: body.getAttribute("data-socket-path") || "/socket.io",
    demoLogin: body.getAttribute("data-demo-login") === "1"
  };
  var el = {
    scroller: document.getElementById("scroller"),
    messages: document.getElementById("messages"),
    typing: document.getElementById("typing"),
    status: document.getElementById("connection-status"),
    composer: document.getElementById("composer"),
    input: document.getElementById("composer-input"),
    human: document.getElementById("human-button"),
    newChat: document.getElementById("new-chat-button"),
    loginForm: document.getElementById("login-form"),
    loginSelect: document.getElementById("login-select"),
    loginStatus: document.getElementById("login-status")
  };

  var state = {
    sessionId: asString(storage.get("session_id", null)),
    transcript: loadTranscript(),
    login: storage.get("login", null),
    confirmed: false,
    pending: [],
    replyTimer: null
  };
  var socket = null;

  function asString(value) {
    return typeof value === "string" && value ? value : null;
  }

  function loadTranscript() {
    var entries = storage.get("transcript", []);
    if (!Array.isArray(entries)) { return []; }
    return entries.filter(function (entry) {
      return entry && typeof entry.text === "string" && ["user", "bot", "note"].indexOf(entry.role) >= 0;
    });
  }

  function saveTranscript() {
    if (state.transcript.length > MAX_ENTRIES) {
      state.transcript = state.transcript.slice(-MAX_ENTRIES);
    }
    storage.set("transcript", state.transcript);
  }

  // ------------------------------------------------------------------ rendering

  // URLs end at whitespace or at CJK punctuation, which Chinese text puts right after a link.
  var URL_PATTERN = /https?:\/\/[^\s<>"'“”‘’（）【】《》「」，。；：！？、]+/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

  function safeHttpUrl(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function appendTextWithLinks(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var raw = match[0].replace(TRAILING_PUNCTUATION, "");
      var href = raw ? safeHttpUrl(raw) : null;
      if (!href) { continue; }
      if (match.index > last) {
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      }
      var link = document.createElement("a");
      link.href = href;
      link.textContent = raw;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.appendChild(link);
      last = match.index + raw.length;
      URL_PATTERN.lastIndex = last;
    }
    if (last < text.length) {
      parent.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  function formatTime(at) {
    var date = new Date(typeof at === "number" ? at : Date.now());
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function renderEntry(entry, isLast) {
    var row = document.createElement("div");
    row.className = "msg " + entry.role;
    if (entry.role === "note") {
      row.textContent = entry.text;
      return row;
    }
    if (entry.role === "csat") {
      return renderRating(row, entry);
    }
    var who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = (entry.role === "user" ? TEXT.you : TEXT.bot) + "：";
    row.appendChild(who);

    var bubble = document.createElement("div");
    bubble.className = "bubble";
    if (entry.role === "bot") {
      appendTextWithLinks(bubble, entry.text);
    } else {
      bubble.textContent = entry.text;
    }
    if (entry.link && safeHttpUrl(entry.link)) {
      if (entry.text) { bubble.appendChild(document.createTextNode(" ")); }
      var link = document.createElement("a");
      link.href = safeHttpUrl(entry.link);
      link.textContent = TEXT.image;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      bubble.appendChild(link);
    }
    row.appendChild(bubble);

    var time = document.createElement("time");
    time.className = "time";
    time.textContent = formatTime(entry.at);
    row.appendChild(time);

    // Quick replies belong to the latest bot message only; older ones are history.
    if (isLast && entry.role === "bot" && Array.isArray(entry.buttons) && entry.buttons.length) {
      row.appendChild(renderQuickReplies(entry.buttons));
    }
    return row;
  }

  function renderQuickReplies(buttons) {
    var group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "快捷回复");
    buttons.forEach(function (button) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "btn quick-reply";
      item.textContent = button.title;
      item.addEventListener("click", function () {
        send(button.payload, button.title);
        el.input.focus();
      });
      group.appendChild(item);
    });
    return group;
  }

  // The rating asked at goodbye: five buttons, sent once in the name of this chat session.
  function renderRating(row, entry) {
    row.className = "msg note csat";
    var label = document.createElement("span");
    label.textContent = entry.done ? TEXT.csatThanks : TEXT.csatAsk;
    row.appendChild(label);
    if (entry.done) { return row; }
    var group = document.createElement("div");
    group.className = "quick-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "服务评分");
    [1, 2, 3, 4, 5].forEach(function (score) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "btn quick-reply";
      item.textContent = score + " 分";
      item.addEventListener("click", function () { rate(entry, score, row); });
      group.appendChild(item);
    });
    row.appendChild(group);
    return row;
  }

  // The rating prompt reaches the page before the server has recorded the goodbye that asked it
  // (Rasa stores a turn after sending its replies): a 409 is retried for a few seconds.
  var CSAT_RETRIES = 6;
  var CSAT_RETRY_MS = 500;

  function rate(entry, score, row, attempt) {
    attempt = attempt || 0;
    fetch("/api/csat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ session_id: state.sessionId, score: score })
    }).then(function (response) {
      if (response.status === 409 && attempt < CSAT_RETRIES) {
        window.setTimeout(function () { rate(entry, score, row, attempt + 1); }, CSAT_RETRY_MS);
        return;
      }
      // 200: recorded or already rated; either way the question is answered.
      entry.done = response.ok;
      if (!response.ok) { append({ role: "note", text: TEXT.csatFailed }); return; }
      saveTranscript();
      row.replaceWith(renderEntry(entry, false));
    }).catch(function () { append({ role: "note", text: TEXT.csatFailed }); });
  }

  function renderAll() {
    var fragment = document.createDocumentFragment();
    state.transcript.forEach(function (entry, index) {
      fragment.appendChild(renderEntry(entry, index === state.transcript.length - 1));
    });
    el.messages.replaceChildren(fragment);
    scrollToEnd();
  }

  function append(entry) {
    entry.at = Date.now();
    // The previous message's quick replies are spent once anything follows it.
    var spent = el.messages.querySelectorAll(".quick-replies");
    spent.forEach(function (group) { group.remove(); });
    state.transcript.push(entry);
    saveTranscript();
    el.messages.appendChild(renderEntry(entry, true));
    scrollToEnd();
  }

  function scrollToEnd() {
    el.scroller.scrollTop = el.scroller.scrollHeight;
  }

  function setTyping(on) {
    el.typing.hidden = !on;
    window.clearTimeout(state.replyTimer);
    state.replyTimer = null;
    if (on) {
      state.replyTimer = window.setTimeout(function () {
        el.typing.hidden = true;
        append({ role: "note", text: TEXT.noReply });
      }, REPLY_TIMEOUT_MS);
      scrollToEnd();
    }
  }

  function setStatus(text) {
    el.status.textContent = text || "";
    el.status.hidden = !text;
  }

  // ------------------------------------------------------------------ bot messages

  function buttonsOf(message) {
    var raw = Array.isArray(message.quick_replies) ? message.quick_replies
      : Array.isArray(message.buttons) ? message.buttons : [];
    return raw.filter(function (b) {
      return b && (typeof b.payload === "string" || typeof b.payload === "number") && b.title;
    }).map(function (b) {
      return { title: String(b.title), payload: String(b.payload) };
    });
  }

  function onBotUttered(message) {
    if (!message || typeof message !== "object") { return; }
    setTyping(false);
    if (message.csat && typeof message.csat === "object") {
      append({ role: "csat", done: false });
      return;
    }
    var text = typeof message.text === "string" ? message.text : "";
    var link = null;
    var attachment = message.attachment;
    if (attachment && attachment.payload && typeof attachment.payload.src === "string") {
      link = attachment.payload.src;
    }
    if (!text && !link) { return; }
    var entry = { role: "bot", text: text, buttons: buttonsOf(message) };
    if (link) { entry.link = link; }
    append(entry);
  }

  // ------------------------------------------------------------------ identity (demo login)

  function currentLogin() {
    var login = state.login;
    if (!login || typeof login.token !== "string") { return null; }
    if (typeof login.expires_at === "number" && login.expires_at * 1000 < Date.now() + LOGIN_MARGIN_MS) {
      setLogin(null);
      append({ role: "note", text: TEXT.loginExpired });
      return null;
    }
    return login;
  }

  function setLogin(login) {
    state.login = login;
    storage.set("login", login);
    el.loginStatus.textContent = login ? TEXT.loginAs(login) : "";
    if (el.loginSelect) { el.loginSelect.value = login ? login.customer_id : ""; }
  }

  function loadDemoCustomers() {
    fetch("/api/demo-customers", { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !Array.isArray(data.customers)) { return; }
        data.customers.forEach(function (customer) {
          var option = document.createElement("option");
          option.value = customer.customer_id;
          option.textContent = customer.customer_id + "（" + customer.tier + "）";
          el.loginSelect.appendChild(option);
        });
        el.loginForm.hidden = false;
        setLogin(currentLogin());
      })
      .catch(function () { /* no demo login: the chat works as a guest */ });
  }

  function switchIdentity(customerId) {
    if (!customerId) {
      setLogin(null);
      startNewConversation(TEXT.guestNote);
      return;
    }
    el.loginStatus.textContent = "";
    fetch("/api/demo-login", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ customer_id: customerId })
    })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok || !result.data || typeof result.data.token !== "string") {
          el.loginStatus.textContent = (result.data && result.data.error) || TEXT.loginFailed;
          return;
        }
        var login = result.data;
        setLogin({ customer_id: login.customer_id, tier: login.tier, token: login.token, expires_at: login.expires_at });
        // A new identity gets a new conversation: the previous customer's history stays out of view.
        startNewConversation(TEXT.loggedInNote(login));
      })
      .catch(function () { el.loginStatus.textContent = TEXT.loginFailed; });
  }

  // ------------------------------------------------------------------ socket.io

  function emitMessage(item) {
    var data = { message: item.message, session_id: state.sessionId };
    if (item.token) { data.customData = { customer_token: item.token }; }
    socket.emit("user_uttered", data);
  }

  function flushPending() {
    while (state.confirmed && state.pending.length) {
      emitMessage(state.pending.shift());
    }
  }

  function send(message, shown) {
    message = (message || "").trim();
    if (!message) { return; }
    var login = currentLogin();
    append({ role: "user", text: shown || message });
    state.pending.push({ message: message, token: login ? login.token : null });
    setTyping(true);
    flushPending();
  }

  function connect() {
    if (typeof window.io !== "function") {
      setStatus(TEXT.noSocket);
      return;
    }
    setStatus(TEXT.connecting);
    socket = window.io(config.socketUrl, {
      path: config.socketPath,
      transports: ["websocket"],
      reconnectionDelayMax: 10000
    });
    socket.on("connect", function () {
      state.confirmed = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      var confirmed = asString(sessionId);
      if (!confirmed) { return; }
      state.sessionId = confirmed;
      storage.set("session_id", confirmed);
      state.confirmed = true;
      setStatus("");
      flushPending();
    });
    socket.on("bot_uttered", onBotUttered);
    socket.on("disconnect", function (reason) {
      state.confirmed = false;
      if (reason === "io client disconnect") {
        setStatus(TEXT.connecting);  // our own new-conversation reconnect
        return;
      }
      setStatus(TEXT.reconnecting);
      // socket.io retries on its own except when the server closed the socket (e.g. Rasa restarting).
      if (reason === "io server disconnect") { socket.connect(); }
    });
    socket.on("connect_error", function () {
      setStatus(TEXT.reconnecting);
    });
  }

  function startNewConversation(note) {
    state.sessionId = null;
    storage.set("session_id", null);
    state.transcript = [];
    state.pending = [];
    saveTranscript();
    renderAll();
    setTyping(false);
    if (note) { append({ role: "note", text: note }); }
    if (socket) {
      // A fresh socket asks for a fresh session id (and leaves the old conversation's room).
      state.confirmed = false;
      socket.disconnect();
      socket.connect();
    }
  }

  // ------------------------------------------------------------------ controls

  function autosize() {
    el.input.style.height = "auto";
    el.input.style.height = Math.min(el.input.scrollHeight, 140) + "px";
  }

  el.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value;
    if (!text.trim()) { return; }
    el.input.value = "";
    autosize();
    send(text);
    el.input.focus();
  });

  el.input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME candidate does neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      if (typeof el.composer.requestSubmit === "function") {
        el.composer.requestSubmit();
      } else {
        el.composer.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    }
  });
  el.input.addEventListener("input", autosize);

  el.human.addEventListener("click", function () {
    send(HUMAN_PAYLOAD, TEXT.human);
    el.input.focus();
  });

  el.newChat.addEventListener("click", function () {
    startNewConversation(TEXT.newChat);
    el.input.focus();
  });

  el.loginForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = el.loginSelect.value;
    var current = state.login ? state.login.customer_id : "";
    if (chosen !== current) { switchIdentity(chosen); }
  });

  // ------------------------------------------------------------------ start

  renderAll();
  if (config.demoLogin) {
    loadDemoCustomers();
  } else {
    setLogin(null);
  }
  connect();
})();
