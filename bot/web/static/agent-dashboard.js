/* Supervisor dashboard: the figures of /api/dashboard (defined in docs/metrics.md) as tiles, tables
 * and Chart.js charts (vendored, served from /static/vendor). Shown to supervisors only; the API
 * refuses agents anyway. */
"use strict";

(function () {
  const D = window.Desk;
  const $ = D.$;
  const CHANNEL = { web: "网页", sms: "短信", rest: "接口", other: "其他", unknown: "未知" };
  const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df"];
  const REFRESH_MS = 60000;
  const charts = {};
  let loadedAt = 0;

  const pct = (v) => (v == null ? "—" : `${(v * 100).toFixed(1)}%`);
  const secs = (v) => (v == null ? "—" : v < 60 ? `${Math.round(v)} 秒` : `${(v / 60).toFixed(1)} 分`);

  function tile(parent, label, value) {
    const box = document.createElement("div");
    box.className = "tile";
    const number = document.createElement("strong");
    number.textContent = value;
    const name = document.createElement("span");
    name.textContent = label;
    box.append(number, name);
    parent.appendChild(box);
  }

  function draw(id, config) {
    if (typeof Chart === "undefined") return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart($(id), config);
  }

  function row(body, values) {
    const tr = document.createElement("tr");
    for (const v of values) D.cell(tr, v);
    body.appendChild(tr);
  }

  async function load(force) {
    const me = D.me();
    const show = !!me && me.role === "supervisor";
    $("dashboard-card").hidden = !show;
    if (!show || (!force && Date.now() - loadedAt < REFRESH_MS)) return;
    const days = $("dash-days").value;
    $("dash-csv").href = `/api/dashboard.csv?days=${days}`;
    const { ok, data } = await D.api("GET", `/api/dashboard?days=${days}`);
    if (!ok) return;
    loadedAt = Date.now();
    const tiles = $("dash-tiles");
    tiles.replaceChildren();
    tile(tiles, "会话", String(data.conversations));
    tile(tiles, "机器人独立解决", pct(data.containment_rate));
    tile(tiles, "转人工率", pct(data.handoff_rate));
    tile(tiles, "人工首次响应（中位）", secs(data.first_response.median_seconds));
    tile(tiles, "未听懂率", pct(data.fallback_rate));
    tile(tiles, "满意度", data.csat.average == null ? "—" : `${data.csat.average} / 5`);
    tile(tiles, "评价率", pct(data.csat.response_rate));

    const hours = Array.from({ length: 24 }, (_, h) => `${h}时`);
    draw("chart-hours", {
      type: "bar",
      data: { labels: hours, datasets: Object.entries(data.conversations_by_channel_hour).map(([channel, counts], i) => (
        { label: CHANNEL[channel] || channel, data: counts, backgroundColor: COLORS[i % COLORS.length] })) },
      options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });
    draw("chart-intents", {
      type: "bar",
      data: { labels: data.top_intents.map((p) => p[0]), datasets: [{ label: "消息数", data: data.top_intents.map((p) => p[1]), backgroundColor: COLORS[0] }] },
      options: { animation: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    draw("chart-csat", {
      type: "bar",
      data: { labels: Object.keys(data.csat.distribution).map((s) => `${s} 分`), datasets: [{ label: "评价数", data: Object.values(data.csat.distribution), backgroundColor: COLORS[2] }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });

    const complaints = $("dash-complaints");
    complaints.replaceChildren();
    for (const c of data.complaints) row(complaints, [c.category, c.tickets, c.sla_met, c.sla_missed, c.pending, pct(c.sla_compliance)]);
    const retention = $("dash-retention");
    retention.replaceChildren();
    for (const [reason, c] of Object.entries(data.retention.by_reason_class)) {
      row(retention, [reason, c.total, c.retained, c.left, c.undecided, pct(c.retention_rate)]);
    }
  }

  $("dash-days").addEventListener("change", () => load(true));
  D.onRefresh(() => load(false));
})();
