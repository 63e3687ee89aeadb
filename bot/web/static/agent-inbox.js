/* Inbox: every conversation across channels, refreshed when the server's event stream says it
 * changed; the customer card with masked personal data and reveal-with-reason.
 * Customer text is only ever set with textContent. */
"use strict";

(function () {
  const D = window.Desk;
  const $ = D.$;
  const CHANNEL = { web: "网页", sms: "短信", rest: "接口", other: "其他", unknown: "—" };
  const STATE = { bot: "机器人处理中", waiting: "等待人工", with_agent: "人工处理中", ended: "已结束" };
  const RETENTION = { retained: "已留下", left: "已离开", undecided: "未定" };
  let stream = null;
  let openCustomer = null;

  function waited(seconds) {
    if (seconds == null) return "";
    if (seconds < 60) return `${seconds} 秒`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} 分`;
    return `${Math.floor(seconds / 3600)} 小时 ${Math.floor((seconds % 3600) / 60)} 分`;
  }

  function query() {
    const params = new URLSearchParams();
    for (const [key, id] of [["status", "inbox-status"], ["channel", "inbox-channel"], ["flag", "inbox-flag"], ["sort", "inbox-sort"]]) {
      if ($(id).value) params.set(key, $(id).value);
    }
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  async function loadInbox() {
    if ($("desk").hidden) return;
    const { ok, data } = await D.api("GET", "/api/inbox" + query());
    if (!ok) return;
    const body = $("inbox");
    body.replaceChildren();
    for (const c of data) {
      const row = document.createElement("tr");
      row.dataset.conversation = c.conversation_id;
      row.className = c.status;
      if (c.fallbacks) row.classList.add("fallback");
      D.cell(row, CHANNEL[c.channel] || c.channel);
      const who = D.cell(row, c.customer_id ? `${D.TIER[c.tier] || c.tier || ""} ${c.customer_id}` : "匿名");
      if (c.customer_id) {
        const open = document.createElement("button");
        open.type = "button"; open.className = "btn link"; open.textContent = "资料";
        open.addEventListener("click", () => showCustomer(c.customer_id));
        who.appendChild(open);
      }
      D.cell(row, c.last_text, "summary");
      const flags = [c.fallbacks ? `未听懂×${c.fallbacks}` : "", c.low_confidence_turns ? `低置信×${c.low_confidence_turns}` : ""]
        .filter(Boolean).join(" ");
      D.cell(row, `${c.last_intent || "—"} ${c.last_confidence == null ? "" : c.last_confidence}${flags ? " · " + flags : ""}`, "meta");
      D.cell(row, waited(c.waiting_seconds));
      D.cell(row, STATE[c.status] || c.status);
      D.cell(row, c.holder || "");
      body.appendChild(row);
    }
    $("inbox-note").textContent = data.length ? "" : "暂无会话";
  }

  function listen() {
    if (stream || typeof EventSource === "undefined") return;
    stream = new EventSource("/api/inbox/stream");
    stream.addEventListener("changed", () => { $("inbox-live").textContent = "实时"; loadInbox(); });
    stream.onerror = () => {
      $("inbox-live").textContent = "重新连接中…";
      // A logged-out desk must not keep a stream open (the server answers 401 anyway).
      if ($("desk").hidden) { stream.close(); stream = null; }
    };
  }

  function item(list, text) {
    const li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  }

  async function showCustomer(customerId) {
    const { ok, data } = await D.api("GET", `/api/customers/${encodeURIComponent(customerId)}`);
    if (!ok) return;
    openCustomer = customerId;
    $("customer-card").hidden = false;
    $("cc-id").textContent = data.id;
    $("cc-tier").textContent = D.TIER[data.tier] || data.tier;
    $("cc-name").textContent = data.name;
    $("cc-phone").textContent = data.phone || "（未留）";
    $("cc-manager").textContent = data.account_manager || "—";
    $("cc-revealed").textContent = "";
    const tickets = $("cc-tickets"); tickets.replaceChildren();
    for (const t of data.tickets) item(tickets, `${t.id} ${t.category} ${D.STATUS[t.status] || t.status} ${D.when(t.created_at)}`);
    if (!data.tickets.length) item(tickets, "无");
    const cases = $("cc-retention"); cases.replaceChildren();
    for (const r of data.retention_cases) item(cases, `${r.id} ${r.request_type} ${r.reason_class || ""} ${RETENTION[r.outcome] || r.outcome}`);
    if (!data.retention_cases.length) item(cases, "无");
    const talks = $("cc-conversations"); talks.replaceChildren();
    for (const c of data.conversations) item(talks, `${D.when(c.last_at)} ${CHANNEL[c.channel] || c.channel}：${c.last_text}`);
    if (!data.conversations.length) item(talks, "无");
  }

  $("cc-reveal").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!openCustomer) return;
    const { ok, data } = await D.api("POST", `/api/customers/${encodeURIComponent(openCustomer)}/reveal`,
      { field: $("cc-field").value, reason: $("cc-reason").value.trim() });
    $("cc-revealed").textContent = ok ? `完整${$("cc-field").value === "phone" ? "手机" : "姓名"}：${data.value || "（未留）"}（已记录）`
      : (data.error || "查看失败");
    if (ok) $("cc-reason").value = "";
  });
  $("cc-close").addEventListener("click", () => { openCustomer = null; $("customer-card").hidden = true; });
  for (const id of ["inbox-status", "inbox-channel", "inbox-flag", "inbox-sort"]) $(id).addEventListener("change", loadInbox);

  D.onRefresh(async () => { listen(); });
  D.onRefresh(loadInbox);
})();
