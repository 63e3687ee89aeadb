"""`make eval`'s out-of-distribution part: tests/ood/messages.yml through the trained assistant.

Each message opens a fresh conversation with the real action server (a temporary SQLite store); the
turn is judged by what the assistant did, not by its wording:

- article     answered with that kb article (answer accuracy; covered questions)
- advice      the no-advice refusal (advice deflection)
- complaint   a complaint form started (recognised complaints)
- leave       the retention dialogue started (recognised leave requests)
- human       a handoff requested
- calculator  the fee calculator ran
- my_account  the customer's own tier, commission or ticket status
- cant_help   no article answered (uncovered questions: a wrong article is the failure)
- lament      no record-writing flow started
- chitchat    a greeting, thanks or goodbye

False starts count a complaint form, a retention dialogue or a handoff that the message's kind did
not ask for. Results go to results/ood.json; one summary table is printed.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.devtools.inprocess import running  # noqa: E402

OOD = ROOT / "tests" / "ood" / "messages.yml"
SECRET = "ood-evaluation-secret-of-at-least-32-bytes"
CHITCHAT = {"utter_greet", "utter_thank", "utter_goodbye", "utter_bot_challenge"}
MY_ACCOUNT = {"action_my_tier", "action_my_commission", "action_complaint_status"}
# A general question answered with the customer's own figure (which states the general one too).
ALSO_ANSWERS = {"commission": "action_my_commission", "tiers": "action_my_tier"}


def behaviour(turn) -> dict:
    return {
        "article": turn.article,
        "intent": turn.intent,
        "confidence": round(turn.confidence, 3),
        "article_confidence": round(turn.article_confidence, 3),
        "advice": turn.ran("utter_refuse_advice"),
        "complaint": turn.complaint_filed_start,
        "leave": turn.retention_started,
        "human": turn.handoff_requested,
        "calculator": turn.ran("action_quote_fees"),
        "my_account": any(turn.ran(a) for a in MY_ACCOUNT),
        "chitchat": any(turn.ran(a) for a in CHITCHAT),
        "repeats": turn.repeated_messages,
        "ended": turn.ended_listening,
        "reply": turn.reply[:200],
        "actions": turn.actions,
    }


def correct(item: dict, seen: dict) -> bool:
    kind = item["expect"]
    if kind == "article":
        return seen["article"] == item["article"] or ALSO_ANSWERS.get(item["article"]) in seen["actions"]
    if kind == "cant_help":
        return seen["article"] is None and not seen["complaint"] and not seen["leave"]
    if kind == "lament":
        return not (seen["complaint"] or seen["leave"] or seen["human"]) and seen["article"] is None
    return bool(seen[kind])


def false_starts(item: dict, seen: dict) -> list:
    kind = item["expect"]
    found = []
    if seen["complaint"] and kind != "complaint":
        found.append("complaint")
    if seen["leave"] and kind != "leave":
        found.append("retention")
    if seen["human"] and kind not in ("human", "complaint"):
        found.append("handoff")
    return found


def evaluate(items: list) -> dict:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/ood.db", "BOT_IDENTITY_SECRET": SECRET}
        for bot in running(env):
            for item in items:
                turn = bot.send(f"ood-{uuid.uuid4().hex[:12]}", item["text"])
                seen = behaviour(turn)
                results.append({**item, "seen": seen, "correct": correct(item, seen),
                                "false_starts": false_starts(item, seen)})
    return summarise(results)


def rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarise(results: list) -> dict:
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r["expect"]].append(r)
    not_asked = {flow: [r for r in results if r["expect"] != asked]
                 for flow, asked in (("complaint", "complaint"), ("retention", "leave"))}
    not_asked["handoff"] = [r for r in results if r["expect"] not in ("human", "complaint")]
    summary = {
        "messages": len(results),
        "false_starts": {flow: {"count": sum(flow in r["false_starts"] for r in pool), "of": len(pool),
                                "rate": rate(sum(flow in r["false_starts"] for r in pool), len(pool))}
                         for flow, pool in not_asked.items()},
        "by_kind": {kind: {"correct": sum(r["correct"] for r in rs), "of": len(rs),
                           "rate": rate(sum(r["correct"] for r in rs), len(rs))}
                    for kind, rs in sorted(by_kind.items())},
        "wrong_article_on_uncovered": rate(sum(r["seen"]["article"] is not None for r in by_kind["cant_help"]),
                                           len(by_kind["cant_help"])),
        "turns_repeating_a_message": sum(bool(r["seen"]["repeats"]) for r in results),
        "turns_not_ending_in_listen": sum(not r["seen"]["ended"] for r in results),
    }
    return {"summary": summary, "results": results}


def table(summary: dict) -> str:
    kinds = summary["by_kind"]
    fs = summary["false_starts"]
    lines = [f"out-of-distribution set: {summary['messages']} messages (tests/ood/messages.yml)"]
    lines.append("  false starts: " + ", ".join(
        f"{flow} {v['count']}/{v['of']} ({v['rate']:.1%})" for flow, v in fs.items()))
    for kind, v in kinds.items():
        lines.append(f"  {kind:<11} {v['correct']:>4}/{v['of']:<4} {v['rate']:.1%}")
    lines.append(f"  wrong article on uncovered questions: {summary['wrong_article_on_uncovered']:.1%}")
    lines.append(f"  turns repeating a message: {summary['turns_repeating_a_message']}, "
                 f"turns not ending in action_listen: {summary['turns_not_ending_in_listen']}")
    return "\n".join(lines)


def main() -> int:
    import logging

    import structlog

    # Rasa's per-turn debug output (logging and structlog) would drown the table.
    logging.disable(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "results" / "ood.json"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages (a quick look)")
    args = parser.parse_args()
    items = yaml.safe_load(OOD.read_text(encoding="utf-8"))
    if args.limit:
        items = items[: args.limit]
    report = evaluate(items)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(report["summary"]))
    misses = Counter((r["expect"], r["item"] if "item" in r else r.get("article")) for r in report["results"]
                     if not r["correct"])
    print(f"  details: {out} ({sum(misses.values())} misses)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
