/* Ticket queue of the agent desk: the three SLA clocks (first response, update, solution) with overdue
 * and about-to-escalate highlighting, filters, assignment, legal transitions, and the form for complaints
 * forwarded by the 12386 hotline. Ticket text is only ever set with textContent. */
"use strict";

(function () {
  const D = window.Desk;
  const $ = D.$;
  const NEXT = { open: ["in_progress", "resolved"], in_progress: ["resolved"], resolved: ["closed", "reopened"],
    closed: ["reopened"], reopened: ["in_progress", "resolved"] };
  const SOURCE = { bot: "智能客服", "12386": "12386转办" };
  const CLOCKS = { first_response: "首次响应", update: "更新", solution: "解决" };
  let options = null;
  let optionsFor = null; // the login the options were loaded for (a supervisor also gets the agents)

  function duration(minutes) {
    const m = Math.abs(minutes);
    const h = Math.floor(m / 60);
    return h ? `${h}小时${m % 60 ? `${m % 60}分` : ""}` : `${m}分`;
  }

  // Deadlines are Beijing working hours: shown in Beijing time whatever the computer's time zone.
  function beijing(iso, withYear) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai",
      year: withYear ? "numeric" : undefined, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
      hour12: false });
  }
  const short = (iso) => beijing(iso, false);

  // What a clock cell says; `working` clocks count trading-day service hours only.
  function clockText(c) {
    switch (c.state) {
      case "idle": return "—";
      case "met": return `按时（${short(c.stopped_at)}）`;
      case "missed": return `超时完成（${short(c.stopped_at)}）`;
      case "breached": return `已超时 ${duration(c.left_minutes)}`;
      default: {
        const left = `剩${duration(c.left_minutes)}${c.meter === "working" ? "工作时间" : ""}`;
        return `${short(c.due_at)}前 · ${left}${c.state === "warning" ? " · 即将超时" : ""}`;
      }
    }
  }

  function button(text, onClick, data) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "btn"; b.textContent = text;
    Object.assign(b.dataset, data || {});
    b.addEventListener("click", onClick);
    return b;
  }

  function assignControl(t) {
    const me = D.me();
    if (me.role === "supervisor" && options) {
      const select = document.createElement("select");
      select.className = "assign-to";
      select.setAttribute("aria-label", `${t.id} 负责人`);
      for (const [value, label] of [["", "未分配"], ...options.agents.map((a) => [a.id, `${a.name}（${a.id}）`])]) {
        const option = new Option(label, value, false, value === (t.assignee || ""));
        select.appendChild(option);
      }
      select.addEventListener("change", () => assign(t.id, select.value || null));
      return select;
    }
    if (!t.assignee) return button("领取", () => assign(t.id, me.login), { assign: "me" });
    if (t.assignee === me.login) return button("放弃", () => assign(t.id, null), { assign: "none" });
    return null;
  }

  function query() {
    const params = new URLSearchParams();
    for (const [name, id] of [["status", "ticket-filter"], ["source", "ticket-source"], ["category", "ticket-category"],
      ["assignee", "ticket-assignee"], ["sla", "ticket-sla"]]) {
      if ($(id).value) params.set(name, $(id).value);
    }
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  async function loadOptions() {
    const { ok, data } = await D.api("GET", "/api/ticket-options");
    if (!ok) return;
    options = data; optionsFor = D.me().login;
    for (const select of [$("ticket-category"), $("t12386-category")]) {
      const keep = select.value;
      select.replaceChildren(...(select.id === "ticket-category" ? [new Option("全部", "")] : []),
        ...data.categories.map((c) => new Option(c.name, c.id)));
      if ([...select.options].some((o) => o.value === keep)) select.value = keep;
    }
    const assignee = $("ticket-assignee");
    const keep = assignee.value;
    assignee.replaceChildren(new Option("全部", ""), new Option("我的", "me"), new Option("未分配", "none"),
      ...(D.me().role === "supervisor" ? data.agents.map((a) => new Option(a.name, a.id)) : []));
    assignee.value = [...assignee.options].some((o) => o.value === keep) ? keep : "";
  }

  async function loadTickets() {
    if (!options || optionsFor !== D.me().login) await loadOptions();
    const body = $("tickets");
    // A supervisor choosing an assignee keeps the list still until the choice is made.
    if (body.contains(document.activeElement) && document.activeElement.tagName === "SELECT") return;
    const { ok, data } = await D.api("GET", "/api/tickets" + query());
    if (!ok) return;
    body.replaceChildren();
    let overdue = 0, warning = 0;
    for (const t of data) {
      const row = document.createElement("tr");
      row.dataset.ticket = t.id;
      if (t.overdue) { row.className = "overdue"; overdue += 1; }
      else if (t.warning) { row.className = "warning"; warning += 1; }
      D.cell(row, t.id); D.cell(row, SOURCE[t.source] || t.source); D.cell(row, t.category_name);
      D.cell(row, t.priority); D.cell(row, D.STATUS[t.status] || t.status, "status");
      D.cell(row, t.assignee || "—", "assignee");
      for (const c of t.clocks) {
        const td = D.cell(row, clockText(c), `due clock ${c.state}`);
        td.dataset.clock = c.name;
        td.title = `${CLOCKS[c.name]}：${c.due_at ? beijing(c.due_at, true) : "未计时"}`;
      }
      D.cell(row, t.summary, "summary");
      const actions = D.cell(row, "", "actions");
      const control = assignControl(t);
      if (control) actions.appendChild(control);
      for (const target of NEXT[t.status] || []) {
        actions.appendChild(button(D.STATUS[target], () => move(t.id, target), { to: target }));
      }
      body.appendChild(row);
    }
    $("ticket-summary").textContent = `${data.length} 张 · 已超时 ${overdue} · 即将超时 ${warning}`;
  }

  async function move(ticketId, target) {
    const { ok, data } = await D.api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/transition`, { to: target });
    $("ticket-note").textContent = ok ? `${ticketId} → ${D.STATUS[target]}` : (data.error || "操作失败");
    loadTickets();
  }

  async function assign(ticketId, login) {
    const { ok, data } = await D.api("POST", `/api/tickets/${encodeURIComponent(ticketId)}/assign`, { to: login });
    $("ticket-note").textContent = ok ? `${ticketId} 负责人：${data.assignee || "未分配"}` : (data.error || "操作失败");
    document.activeElement.blur();
    loadTickets();
  }

  $("ticket-new-12386").addEventListener("click", () => {
    $("ticket-12386").hidden = false; $("t12386-reference").focus();
  });
  $("t12386-cancel").addEventListener("click", () => { $("ticket-12386").hidden = true; });
  $("ticket-12386").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = { source: "12386", reference: $("t12386-reference").value.trim(),
      category: $("t12386-category").value, description: $("t12386-description").value.trim(),
      contact_phone: $("t12386-phone").value.trim() || null, customer_id: $("t12386-customer").value.trim() || null };
    const { ok, status, data } = await D.api("POST", "/api/tickets", form);
    if (!ok) { $("t12386-result").textContent = data.error || `登记失败（${status}）`; return; }
    $("t12386-result").textContent = status === 201
      ? `已登记 ${data.id}，首次联系时限 ${beijing(data.sla_due_at, true)}`
      : `该转办编号已登记过：${data.id}`;
    for (const id of ["t12386-reference", "t12386-description", "t12386-phone", "t12386-customer"]) $(id).value = "";
    loadTickets();
  });
  for (const id of ["ticket-filter", "ticket-source", "ticket-category", "ticket-assignee", "ticket-sla"]) {
    $(id).addEventListener("change", loadTickets);
  }
  D.onRefresh(loadTickets);
})();
