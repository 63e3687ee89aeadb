/* Supervisor review loop: the review queue (filters, transcript with each customer turn's intent and
 * confidence, tags / flag / reviewed), the knowledge gaps, and proposals of a training example or a kb
 * article draft that become a reviewed change of the repo's files. Supervisors only (the API refuses
 * agents anyway). Customer text is always set with textContent. */
"use strict";

(function () {
  const D = window.Desk;
  const $ = D.$;
  const CHANNEL = { web: "网页", sms: "短信", rest: "接口", other: "其他", unknown: "未知" };
  const RELOAD_MS = 30000;
  let loadedAt = 0;
  let opened = null; // conversation id on screen
  let proposal = null; // the last proposal made here
  let origin = {}; // {message_id} or {conversation_id} the proposal starts from

  const confidence = (v) => (v == null ? "" : v.toFixed(2));

  function button(parent, label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    parent.appendChild(b);
    return b;
  }

  function startProposal(text, from) {
    $("proposal-kind").value = "example";
    $("proposal-article").hidden = true;
    $("proposal-text").value = text;
    origin = from;
    $("proposal-note").textContent = "请填写应归入的意图";
    $("proposal-intent").focus();
  }

  async function loadQueue() {
    const flags = [...document.querySelectorAll(".review-flag:checked")].map((c) => c.value).join(",");
    const { ok, data } = await D.api("GET", `/api/review/conversations?flag=${flags}&state=${$("review-state").value}`);
    const body = $("review-list");
    body.replaceChildren();
    if (!ok) return;
    for (const item of data) {
      const tr = document.createElement("tr");
      const id = D.cell(tr, item.conversation_id);
      id.className = "link";
      id.addEventListener("click", () => openConversation(item.conversation_id));
      D.cell(tr, CHANNEL[item.channel] || item.channel);
      D.cell(tr, item.last_text);
      D.cell(tr, D.when(item.last_at));
      D.cell(tr, item.fallbacks);
      D.cell(tr, item.low_confidence_turns);
      D.cell(tr, item.handed_to_human ? "是" : "");
      D.cell(tr, item.csat == null ? "" : item.csat);
      D.cell(tr, item.review.tags.join("，") + (item.review.flagged ? " ⚑" : ""));
      D.cell(tr, item.review.reviewed_by ? `${item.review.reviewed_by} ${D.when(item.review.reviewed_at)}` : "");
      body.appendChild(tr);
    }
  }

  async function openConversation(id) {
    const { ok, data } = await D.api("GET", `/api/review/conversations/${encodeURIComponent(id)}`);
    if (!ok) return;
    opened = id;
    $("review-open").hidden = false;
    $("review-id").textContent = id;
    const list = $("review-transcript");
    list.replaceChildren();
    for (const turn of data.transcript || []) {
      const li = document.createElement("li");
      li.className = turn.who;
      const text = document.createElement("span");
      text.textContent = `${turn.who === "customer" ? "客户" : "机器人"}：${turn.text}`;
      li.appendChild(text);
      if (turn.who === "customer") {
        const nlu = document.createElement("small");
        nlu.textContent = `  [${turn.intent || "—"} ${confidence(turn.confidence)}]`;
        li.appendChild(nlu);
        button(li, "转为训练样例", () => startProposal(turn.text, { conversation_id: id }));
      }
      list.appendChild(li);
    }
    $("review-transcript-note").textContent = data.transcript == null
      ? `暂时无法读取对话记录；未答问题：${data.unanswered.map((u) => u.text).join(" / ")}` : "";
    $("review-tags").value = data.item.review.tags.join(",");
    $("review-flagged").checked = data.item.review.flagged;
    showState(data.item.review);
  }

  function showState(state) {
    $("review-state-note").textContent = state.reviewed_by
      ? `已复盘：${state.reviewed_by}，${D.when(state.reviewed_at)}` : "未复盘";
  }

  async function saveReview(body) {
    if (!opened) return;
    const { ok, status, data } = await D.api("POST", `/api/review/conversations/${encodeURIComponent(opened)}`, body);
    if (!ok) { $("review-state-note").textContent = data.error || `失败（${status}）`; return; }
    showState(data);
    loadQueue();
  }

  async function loadGaps() {
    const { ok, data } = await D.api("GET", "/api/review/gaps");
    const body = $("gap-list");
    body.replaceChildren();
    if (!ok) return;
    for (const gap of data) {
      const tr = document.createElement("tr");
      D.cell(tr, gap.count);
      D.cell(tr, gap.conversations);
      D.cell(tr, gap.examples.map((e) => e.text).join(" / "));
      const actions = D.cell(tr, "");
      const first = gap.examples[0];
      button(actions, "转为训练样例", () => startProposal(first.text, { message_id: first.message_id }));
      button(actions, "起草文章", () => {
        $("proposal-kind").value = "article";
        $("proposal-article").hidden = false;
        $("proposal-text").value = first.text;
        $("article-questions").value = gap.examples.map((e) => e.text).join("\n");
        origin = { message_id: first.message_id };
      });
      body.appendChild(tr);
    }
  }

  function showProposal(p) {
    proposal = p;
    $("proposal-result").hidden = false;
    const label = { validated: "校验通过，待批准", failed: "校验未通过", approved: `已批准（${p.approved_by}），已写入仓库文件，待提交并重新训练` };
    $("proposal-status").textContent = `${p.summary}：${label[p.status] || p.status}`;
    $("proposal-diff").textContent = p.diff;
    const v = p.validation || {};
    $("proposal-output").textContent = [
      `kb check: ${v.kb_check && v.kb_check.ok ? "通过" : "未通过"}`, v.kb_check ? v.kb_check.output : "",
      `rasa data validate: ${v.rasa_validate && v.rasa_validate.ok ? "通过" : "未通过"}`,
      v.rasa_validate ? v.rasa_validate.output : ""].join("\n");
    $("proposal-approve").hidden = p.status !== "validated";
  }

  async function submitProposal() {
    const kind = $("proposal-kind").value;
    const body = { kind, ...origin };
    if (kind === "example") {
      body.text = $("proposal-text").value;
      body.intent = $("proposal-intent").value.trim();
    } else {
      body.article = {
        id: $("article-id").value.trim(), topic: $("article-topic").value, title: $("article-title").value,
        answer: $("article-answer").value, short: $("article-short").value, source: $("article-source").value,
        effective: $("article-effective").value, verified: $("article-verified").checked,
        questions: $("article-questions").value.split("\n").map((q) => q.trim()).filter(Boolean),
      };
    }
    $("proposal-note").textContent = "正在校验（kb check 与 rasa data validate，约需十几秒）…";
    $("proposal-submit").disabled = true;
    const { ok, status, data } = await D.api("POST", "/api/review/proposals", body);
    $("proposal-submit").disabled = false;
    $("proposal-note").textContent = ok ? "" : data.error || `失败（${status}）`;
    if (ok) showProposal(data);
  }

  async function approve() {
    if (!proposal) return;
    const { ok, status, data } = await D.api("POST", `/api/review/proposals/${proposal.id}/approve`);
    if (!ok) { $("proposal-note").textContent = data.error || `失败（${status}）`; return; }
    showProposal(data);
  }

  $("review-load").addEventListener("click", () => { loadQueue(); loadGaps(); });
  $("review-state").addEventListener("change", loadQueue);
  for (const box of document.querySelectorAll(".review-flag")) box.addEventListener("change", loadQueue);
  $("review-save").addEventListener("click", () => saveReview({
    tags: $("review-tags").value.split(/[,，]/).map((t) => t.trim()).filter(Boolean),
    flagged: $("review-flagged").checked }));
  $("review-done").addEventListener("click", () => saveReview({ reviewed: true }));
  $("proposal-kind").addEventListener("change", () => {
    $("proposal-article").hidden = $("proposal-kind").value !== "article";
  });
  $("proposal-submit").addEventListener("click", submitProposal);
  $("proposal-approve").addEventListener("click", approve);

  D.onRefresh(() => {
    const me = D.me();
    const show = !!me && me.role === "supervisor";
    $("review-card").hidden = !show;
    if (!show || Date.now() - loadedAt < RELOAD_MS) return;
    loadedAt = Date.now();
    loadQueue();
    loadGaps();
  });
})();
