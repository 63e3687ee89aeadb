/* Agent desk: the staff API (/api/...) with the session cookie and the CSRF token.
 * Customer text is only ever set with textContent: nothing from a conversation or a ticket is HTML. */
"use strict";

(function () {
  const STATUS = { open: "待处理", in_progress: "处理中", resolved: "已解决", closed: "已关闭", reopened: "重新打开",
    waiting: "排队中", assigned: "已接入" };
  const TIER = { normal: "普通", silver: "银卡", gold: "金卡", platinum: "白金卡" };
  const REFRESH_MS = 3000;
  let csrf = null;
  let timer = null;
  let me = null;
  let current = null; // {handoff_id, conversation_id} the agent is talking in

  const $ = (id) => document.getElementById(id);

  async function api(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    const response = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && path !== "/api/login") showLogin();
    return { ok: response.ok, status: response.status, data };
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString("zh-CN", { hour12: false });
  }

  function showLogin() {
    csrf = null;
    clearInterval(timer);
    $("desk").hidden = true; $("logout").hidden = true; $("login").hidden = false; $("who").textContent = "";
  }

  function showDesk(who) {
    me = who;
    csrf = me.csrf;
    $("login").hidden = true; $("desk").hidden = false; $("logout").hidden = false;
    $("who").textContent = `${me.display_name}（${me.login}，${me.role === "supervisor" ? "班长" : "坐席"}）`;
    $("audit-card").hidden = me.role !== "supervisor";
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  // Feature scripts (agent-*.js, loaded after this one) plug in through window.Desk: they are
  // refreshed with the desk and told which conversation the agent has open.
  const refreshers = [];
  const conversationListeners = [];
  const sentListeners = []; // told the text of each reply that reached the customer

  async function refresh() {
    await Promise.all([loadQueue(), $("audit-card").hidden ? null : loadAudit(),
      ...refreshers.map((fn) => fn())]);
  }

  async function loadQueue() {
    const { ok, data } = await api("GET", "/api/handoffs");
    if (!ok) return;
    const body = $("queue");
    body.replaceChildren();
    for (const h of data) {
      const row = document.createElement("tr");
      cell(row, h.conversation_id); cell(row, TIER[h.tier] || h.tier); cell(row, h.reason); cell(row, STATUS[h.status] || h.status);
      cell(row, h.assigned_to || "—"); cell(row, when(h.created_at));
      if (h.status === "assigned" && me && h.assigned_to === me.login) {
        const open = document.createElement("button");
        open.type = "button"; open.className = "btn"; open.textContent = "打开";
        open.addEventListener("click", () => openConversation(h.handoff_id, h.conversation_id));
        cell(row, "").appendChild(open);
      }
      body.appendChild(row);
    }
    $("queue-note").textContent = data.length ? "" : "暂无客户排队";
  }

  async function openConversation(handoffId, conversationId) {
    current = { handoff_id: handoffId, conversation_id: conversationId };
    for (const fn of conversationListeners) fn(current);
    $("current").hidden = false;
    $("current-id").textContent = conversationId;
    $("flags").hidden = true; $("reply-note").textContent = "";
    const { ok, data } = await api("GET", `/api/handoffs/${handoffId}/packet`);
    if (!ok) { $("wanted").textContent = data.error || "会话记录暂时读不到"; return; }
    $("wanted").textContent = data.wanted.join(" / ") || "（无）";
    $("slots").textContent = Object.entries(data.slots).map(([k, v]) => `${k}=${v}`).join("；") || "（无）";
    const trail = $("trail");
    trail.replaceChildren();
    for (const t of data.trail) {
      const item = document.createElement("li");
      item.className = t.who;
      item.textContent = (t.who === "customer" ? "客户：" : "机器人：") + t.text;
      if (t.intent) {
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = `${t.intent} ${t.confidence}`;
        item.appendChild(meta);
      }
      trail.appendChild(item);
    }
  }

  $("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    const body = { conversation_id: current.conversation_id, text: $("reply-text").value.trim() };
    if (!$("flags").hidden && $("override-reason").value.trim()) body.override = $("override-reason").value.trim();
    const { ok, status, data } = await api("POST", `/api/handoffs/${current.handoff_id}/reply`, body);
    if (status === 409 && data.flags) {
      $("flags").hidden = false;
      $("flag-text").textContent = "这条回复可能越过合规红线：" + data.flags.join("；") + "。请修改，或填写理由后再次发送（将记入操作日志）。";
      return;
    }
    $("reply-note").textContent = ok ? "已发送" : (data.error || "发送失败");
    if (ok) for (const fn of sentListeners) fn(body.text);
    if (ok) { $("reply-text").value = ""; $("override-reason").value = ""; $("flags").hidden = true; }
  });

  $("hand-back").addEventListener("click", async () => {
    if (!current) return;
    const { ok, data } = await api("POST", `/api/handoffs/${current.handoff_id}/release`,
      { conversation_id: current.conversation_id });
    $("queue-note").textContent = ok ? `${current.conversation_id} 已交还机器人` : (data.error || "操作失败");
    if (ok) { current = null; $("current").hidden = true; }
    loadQueue();
  });

  async function loadAudit() {
    const { ok, data } = await api("GET", "/api/audit");
    if (!ok) return;
    const body = $("audit");
    body.replaceChildren();
    for (const e of data.slice(0, 50)) {
      const row = document.createElement("tr");
      cell(row, when(e.at)); cell(row, e.actor); cell(row, e.action); cell(row, e.target || "");
      body.appendChild(row);
    }
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { ok, data } = await api("POST", "/api/login",
      { login: $("login-name").value.trim(), password: $("login-password").value });
    $("login-password").value = "";
    if (ok) { $("login-error").textContent = ""; showDesk(data); } else { $("login-error").textContent = "工号或密码不正确"; }
  });
  $("logout").addEventListener("click", async () => { await api("POST", "/api/logout"); showLogin(); });
  $("take-next").addEventListener("click", async () => {
    const { ok, status, data } = await api("POST", "/api/handoffs/next");
    $("queue-note").textContent = !ok ? (data.error || `失败（${status}）`)
      : data.taken ? `已接入 ${data.taken.conversation_id}` : "暂无客户排队";
    if (ok && data.taken) openConversation(data.taken.handoff_id, data.taken.conversation_id);
    loadQueue();
  });

  window.Desk = {
    api, cell, when, $, STATUS, TIER,
    me: () => me,
    current: () => current,
    onRefresh: (fn) => refreshers.push(fn),
    onConversation: (fn) => conversationListeners.push(fn),
    onSent: (fn) => sentListeners.push(fn),
  };

  api("GET", "/api/me").then(({ ok, data }) => (ok ? showDesk(data) : showLogin()));
})();
