"""The benchmark's figures: one row per level, the summary line, latest.json and the latency plot."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.tracking.bench_probe import PARTS


def percentile(values: List[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def cost_split(before: Dict[int, dict], after: Dict[int, dict]) -> Optional[Dict[str, Any]]:
    """Mean milliseconds per turn in each part, summed over the probed Rasa servers, for one level.

    Wall-clock time inside each part: under load it includes waiting for the event loop, which the
    NLU parse (run on the loop) holds; at low load it is the cost itself.
    """
    totals = {part: {"count": 0, "seconds": 0.0} for part in PARTS}
    for pid, now in after.items():
        then = before.get(pid, {})
        for part in PARTS:
            totals[part]["count"] += now[part]["count"] - then.get(part, {}).get("count", 0)
            totals[part]["seconds"] += now[part]["seconds"] - then.get(part, {}).get("seconds", 0.0)
    turns = totals["turn"]["count"]
    if not turns:
        return None
    per_turn = {part: round(totals[part]["seconds"] * 1000 / turns, 1) for part in PARTS}
    per_turn["store"] = round(per_turn["store_retrieve"] + per_turn["store_save"], 1)
    per_turn["other"] = round(per_turn["turn"] - sum(per_turn[p] for p in ("nlu", "policies", "action", "store")), 1)
    calls = {part: round(totals[part]["count"] / turns, 2) for part in PARTS if part != "turn"}
    return {"turns": turns, "ms_per_turn": per_turn, "calls_per_turn": calls}


def row(profile: str, kind: str, concurrency: int, think: float, seconds: float, tally: Any,
        rss: Dict[str, float], split: Optional[dict], cpu_s: Optional[Dict[str, float]] = None) -> Dict[str, Any]:
    """One level's figures. `cpu_s`: CPU seconds each server process used during the whole level
    (warm-up and drain included), shared out over every reply of the level: a cost per message
    that contention on a busy machine disturbs far less than latency."""
    latencies = tally.latencies_ms
    messages = len(latencies) + tally.errors
    rasa_rss = [mb for name, mb in rss.items() if name.startswith("rasa")]
    return {
        "profile": profile, "kind": kind, "concurrency": concurrency, "think_s": think,
        "seconds": round(seconds, 1), "messages": messages,
        "msgs_per_s": round(len(latencies) / seconds, 2) if seconds else 0.0,
        "p50_ms": _ms(percentile(latencies, 50)), "p95_ms": _ms(percentile(latencies, 95)),
        "p99_ms": _ms(percentile(latencies, 99)), "max_ms": _ms(max(latencies) if latencies else None),
        "errors": tally.errors, "error_kinds": dict(tally.error_kinds), "unexpected_replies": tally.unexpected,
        "rss_peak_mb": rss, "rss_max_mb": round(max(rss.values()), 1) if rss else None,
        "rasa_rss_max_mb": round(max(rasa_rss), 1) if rasa_rss else None,
        "cost_split": split,
        "cpu_ms_per_msg": {name: round(seconds_used * 1000 / tally.replies_total, 1)
                           for name, seconds_used in (cpu_s or {}).items()} if tally.replies_total else None,
    }


def _ms(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


def line(entry: Dict[str, Any]) -> str:
    """The one-line summary of a level, in the issue's exact format."""
    label = entry["concurrency"] if entry["kind"] in ("level",) else f"{entry['concurrency']} ({entry['kind']})"
    return (f"bench: profile {entry['profile']}, concurrency {label}, {entry['messages']} msgs, "
            f"{entry['msgs_per_s']:.1f} msg/s, p50 {_num(entry['p50_ms'])} ms, p95 {_num(entry['p95_ms'])} ms, "
            f"p99 {_num(entry['p99_ms'])} ms, errors {entry['errors']}, rss_max {_num(entry['rss_max_mb'])} MB")


def _num(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}"


def write_json(path: Path, document: Dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    scratch.replace(path)


def plot(path: Path, rows: List[Dict[str, Any]]) -> None:
    """Reply latency (p50, p95, p99) against customers, one line style per profile, log scales."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5), dpi=110)
    colours = {"embedded": "tab:blue", "production": "tab:orange"}
    for profile in sorted({r["profile"] for r in rows}):
        levels = sorted((r for r in rows if r["profile"] == profile and r["kind"] == "level" and r["p50_ms"]),
                        key=lambda r: r["concurrency"])
        if not levels:
            continue
        xs = [r["concurrency"] for r in levels]
        colour = colours.get(profile, None)
        for key, style in (("p50_ms", "-o"), ("p95_ms", "--s"), ("p99_ms", ":^")):
            axis.plot(xs, [r[key] for r in levels], style, color=colour, label=f"{profile} {key[:3]}")
        parse = [r for r in rows if r["profile"] == profile and r["kind"] == "parse-floor" and r["concurrency"] == 1]
        if parse and parse[0]["p50_ms"]:
            axis.axhline(parse[0]["p50_ms"], color=colour, alpha=0.35, linewidth=1,
                         label=f"{profile} /model/parse p50, one client")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("simulated customers (1 s think time)")
    axis.set_ylabel("reply latency, ms")
    axis.set_title("REST turn latency against concurrency")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
