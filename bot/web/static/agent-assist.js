/* Agent desk, assist card: the NLU reading of a customer's message, the kb articles with their source
 * and date, approved replies to insert into the reply box, and the fee calculator.
 * Feedback: the server records what it showed; this script reports "used" (inserted into the reply
 * box) and "edited" (the reply sent differed from what was inserted).
 * Everything from the server is set with textContent: a customer's words are never HTML. */
"use strict";

(function () {
  const Desk = window.Desk;
  if (!Desk) return;
  const { api, $ } = Desk;
  let shown = null;    // the last card: {assist_id, suggestions}
  let inserted = null; // {assist_id, suggestion_id, text} last put into the reply box
  let runs = 0;        // only the latest request's answer is shown

  function item(parent, title, meta, text) {
    const li = document.createElement("li");
    const head = document.createElement("strong");
    head.textContent = title;
    li.appendChild(head);
    if (meta) {
      const m = document.createElement("div");
      m.className = "meta";
      m.textContent = meta;
      li.appendChild(m);
    }
    if (text) {
      const t = document.createElement("div");
      t.className = "text";
      t.textContent = text;
      li.appendChild(t);
    }
    parent.appendChild(li);
    return li;
  }

  function percent(confidence) {
    return `${Math.round(confidence * 100)}%`;
  }

  function showReading(reading) {
    $("assist-reading").hidden = !reading;
    if (!reading) return;
    $("assist-intents").textContent = reading.intents.map((i) => `${i.name} ${percent(i.confidence)}`).join("，") || "（无）";
    $("assist-entities").textContent = reading.entities.map((e) => `${e.entity}=${e.value}`).join("，") || "（无）";
    $("assist-advice").hidden = !reading.asks_for_advice;
    // An order the customer described ("卖出2000股，25元") is ready in the calculator.
    const order = { side: "fee-side", quantity: "fee-quantity", price: "fee-price" };
    for (const e of reading.entities) {
      if (!(e.entity in order)) continue;
      if (e.entity === "side" && !["buy", "sell"].includes(e.value)) continue;
      $(order[e.entity]).value = e.value;
    }
  }

  function showArticles(articles) {
    const list = $("assist-articles");
    list.replaceChildren();
    for (const a of articles) {
      const meta = `匹配度 ${percent(a.confidence)}${a.bot_answers ? "（机器人会用这篇回答）" : ""} · 依据：${a.source} · 生效：${a.effective}`;
      item(list, a.title, meta, a.answer).dataset.article = a.id;
    }
    if (!articles.length) item(list, "（没有把握匹配的文章）");
  }

  function showSuggestions(data) {
    const list = $("assist-suggestions");
    list.replaceChildren();
    const open = Boolean(Desk.current());
    for (const s of data.suggestions) {
      const label = (s.shortcut ? `${s.shortcut} ` : "") + s.title + (s.kind === "canned" ? "（快捷回复）" : "（文章）");
      const li = item(list, label, `依据：${s.source} · 生效：${s.effective}`, s.text);
      li.dataset.suggestion = s.id;
      const button = document.createElement("button");
      button.type = "button"; button.className = "btn insert"; button.textContent = "插入回复";
      button.disabled = !open;
      button.title = open ? "" : "先打开一个会话";
      button.addEventListener("click", () => insert(data.assist_id, s));
      li.appendChild(button);
    }
    if (!data.suggestions.length) item(list, "（没有可推荐的回复）");
  }

  async function insert(assistId, suggestion) {
    if (!Desk.current()) { $("assist-note").textContent = "先打开一个会话，再插入回复"; return; }
    const box = $("reply-text");
    box.value = suggestion.text;
    box.focus();
    inserted = { assist_id: assistId, suggestion_id: suggestion.id, text: suggestion.text };
    const { ok, data } = await api("POST", "/api/assist/feedback",
      { assist_id: assistId, suggestion_id: suggestion.id, event: "used" });
    $("assist-note").textContent = ok ? `已插入：${suggestion.title}` : (data.error || "反馈未记录");
  }

  async function run(body) {
    const mine = ++runs;
    $("assist-note").textContent = "分析中…";
    const { ok, data } = await api("POST", "/api/assist", body);
    if (mine !== runs) return;
    if (!ok) { $("assist-note").textContent = data.error || "暂时无法分析"; return; }
    shown = data;
    $("assist-note").textContent = data.conversation_id ? `会话 ${data.conversation_id} 的最后一条客户消息` : "";
    showReading(data.reading);
    showArticles(data.articles);
    showSuggestions(data);
  }

  $("assist-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("assist-text").value.trim();
    if (text) run({ text });
  });

  $("assist-current").addEventListener("click", () => {
    const current = Desk.current();
    if (current) run({ conversation_id: current.conversation_id });
  });

  Desk.onConversation((current) => {
    $("assist-current").hidden = !current;
    inserted = null;
    if (shown) showSuggestions(shown); // the insert buttons follow whether a conversation is open
    if (current) run({ conversation_id: current.conversation_id }); // what the customer said last
  });

  Desk.onSent(async (text) => {
    if (!inserted) return;
    const was = inserted;
    inserted = null;
    if (text.trim() === was.text.trim()) return;
    await api("POST", "/api/assist/feedback",
      { assist_id: was.assist_id, suggestion_id: was.suggestion_id, event: "edited" });
  });

  $("fee-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { side: $("fee-side").value, market: $("fee-market").value,
      price: $("fee-price").value.trim(), quantity: $("fee-quantity").value.trim() };
    if ($("fee-rate").value.trim()) body.rate_per_ten_thousand = $("fee-rate").value.trim();
    const { ok, data } = await api("POST", "/api/assist/fees", body);
    $("fee-result").textContent = ok ? data.text : (data.error || "无法计算");
    $("fee-insert").hidden = !ok || !Desk.current();
    $("fee-insert").onclick = ok ? () => { $("reply-text").value = data.text; $("reply-text").focus(); } : null;
  });
})();
