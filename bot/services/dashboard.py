"""The supervisor's figures for a period. Each figure is defined once, in docs/metrics.md; the
names here are the names used there and in the CSV export."""
from __future__ import annotations

import csv
import io
import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Tuple

from bot.common.clock import business_day
from bot.kb.loader import KnowledgeBase
from bot.services import ticket_sla
from bot.store import inbox as inbox_store, reporting
from bot.store.db import Store
from bot.store.retention_cases import report as retention_report

BEIJING = timezone(timedelta(hours=8))
HOURS = 24


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class ResponseTimes:
    count: int
    median_seconds: Optional[float]
    p90_seconds: Optional[float]


@dataclass(frozen=True)
class ComplaintLine:
    category: str
    tickets: int
    sla_met: int  # every clock (first response, update, solution) stopped in time
    sla_missed: int  # a clock missed or already past due
    pending: int  # clocks still running in time: not counted either way yet
    sla_compliance: Optional[float]


@dataclass(frozen=True)
class Csat:
    asked: int
    ratings: int
    response_rate: Optional[float]
    average: Optional[float]
    distribution: Dict[int, int]


@dataclass(frozen=True)
class Dashboard:
    since: datetime
    until: datetime
    conversations: int
    conversations_by_channel_hour: Dict[str, List[int]]
    customer_turns: int
    containment_rate: Optional[float]
    handoff_rate: Optional[float]
    first_response: ResponseTimes
    fallback_rate: Optional[float]
    low_confidence_rate: Optional[float]
    top_intents: List[Tuple[str, int]]
    complaints: List[ComplaintLine]
    retention: Dict
    csat: Csat = field(default_factory=lambda: Csat(0, 0, None, None, {}))


def _percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _sla_outcome(ticket, policy: ticket_sla.SlaPolicy, now: datetime) -> int:  # type: ignore[no-untyped-def]
    """1 met, 2 missed, 3 pending: the index into a complaint line's counters."""
    times = ticket_sla.TicketTimes(ticket.source, ticket.created_at, ticket.sla_due_at, ticket.first_response_at,
                                   ticket.last_update_at, ticket.resolved_at)
    states = {clock.state for clock in ticket_sla.clocks(times, policy, now).all()}
    if states & {ticket_sla.MISSED, ticket_sla.BREACHED}:
        return 2
    return 3 if states & {ticket_sla.OK, ticket_sla.WARNING} else 1


def figures(store: Store, kb: KnowledgeBase, since: datetime, until: datetime,
            now: Optional[datetime] = None) -> Dashboard:
    now = now or datetime.now(timezone.utc)
    policy = ticket_sla.policy_for(kb)
    with store.session() as session:
        conversations = [c for c in inbox_store.conversations_between(session, since, until) if c.customer_turns]
        by_hour: Dict[str, List[int]] = {}
        for c in conversations:
            by_hour.setdefault(c.channel, [0] * HOURS)[c.started_at.astimezone(BEIJING).hour] += 1
        ids = {c.conversation_id for c in conversations}
        handoffs = reporting.handoffs_between(session, since, until)
        handed_over = {h.conversation_id for h in handoffs} & ids
        answered = reporting.first_agent_messages(session, [h.conversation_id for h in handoffs], since)
        waits = [(answered[h.conversation_id] - h.created_at).total_seconds() for h in handoffs
                 if h.conversation_id in answered and answered[h.conversation_id] >= h.created_at]
        turns = sum(c.customer_turns for c in conversations)

        lines: Dict[str, List[int]] = {}
        for ticket in reporting.tickets_created_between(session, since, until):
            counts = lines.setdefault(ticket.category, [0, 0, 0, 0])  # tickets, met, missed, pending
            counts[0] += 1
            counts[_sla_outcome(ticket, policy, now)] += 1
        complaints = [ComplaintLine(category, n, met, missed, pending, _rate(met, met + missed))
                      for category, (n, met, missed, pending) in sorted(lines.items(), key=lambda i: (-i[1][0], i[0]))]

        ratings = inbox_store.ratings_between(session, since, until)
        asked = inbox_store.csat_asked_between(session, since, until)
        distribution = {score: 0 for score in range(1, 6)}
        for rating in ratings:
            distribution[rating.score] += 1
        csat = Csat(asked, len(ratings), _rate(len(ratings), max(asked, len(ratings))),
                    round(statistics.mean(r.score for r in ratings), 2) if ratings else None, distribution)

        return Dashboard(
            since=since, until=until, conversations=len(conversations),
            conversations_by_channel_hour=dict(sorted(by_hour.items())),
            customer_turns=turns,
            containment_rate=_rate(len(ids - handed_over), len(ids)),
            handoff_rate=_rate(len(handed_over), len(ids)),
            first_response=ResponseTimes(len(waits), _percentile(waits, 0.5), _percentile(waits, 0.9)),
            fallback_rate=_rate(sum(c.fallbacks for c in conversations), turns),
            low_confidence_rate=_rate(sum(c.low_confidence_turns for c in conversations), turns),
            top_intents=inbox_store.intent_totals(session, business_day(since), business_day(until - timedelta(seconds=1))),
            complaints=complaints,
            retention=retention_report(session, since=since, until=until).as_dict(),
            csat=csat,
        )


def last_days(days: int, now: Optional[datetime] = None) -> Tuple[datetime, datetime]:
    """The period of the last `days` Beijing days, today included."""
    now = now or datetime.now(timezone.utc)
    today = now.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - timedelta(days=days - 1)).astimezone(timezone.utc), (today + timedelta(days=1)).astimezone(timezone.utc)


def as_csv(board: Dashboard) -> str:
    """One row per figure and dimension: metric, dimension, value (the names of docs/metrics.md)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "dimension", "value"])
    writer.writerow(["period_start", "", board.since.isoformat()])
    writer.writerow(["period_end", "", board.until.isoformat()])
    writer.writerow(["conversations", "", board.conversations])
    for channel, hours in board.conversations_by_channel_hour.items():
        for hour, count in enumerate(hours):
            writer.writerow(["conversations_by_channel_hour", f"{channel} {hour:02d}:00", count])
    writer.writerow(["customer_turns", "", board.customer_turns])
    for name in ("containment_rate", "handoff_rate", "fallback_rate", "low_confidence_rate"):
        writer.writerow([name, "", _blank(getattr(board, name))])
    for key, value in asdict(board.first_response).items():
        writer.writerow([f"first_response_{key}", "", _blank(value)])
    for intent, count in board.top_intents:
        writer.writerow(["intent_messages", intent, count])
    for line in board.complaints:
        for key in ("tickets", "sla_met", "sla_missed", "pending", "sla_compliance"):
            writer.writerow([f"complaints_{key}", line.category, _blank(getattr(line, key))])
    for reason, counts in board.retention["by_reason_class"].items():
        writer.writerow(["retention_rate", reason, _blank(counts["retention_rate"])])
        writer.writerow(["retention_cases", reason, counts["total"]])
    writer.writerow(["retention_rate", "all", _blank(board.retention["overall"]["retention_rate"])])
    writer.writerow(["csat_asked", "", board.csat.asked])
    writer.writerow(["csat_ratings", "", board.csat.ratings])
    writer.writerow(["csat_response_rate", "", _blank(board.csat.response_rate)])
    writer.writerow(["csat_average", "", _blank(board.csat.average)])
    for score, count in board.csat.distribution.items():
        writer.writerow(["csat_distribution", str(score), count])
    return out.getvalue()


def _blank(value: object) -> object:
    return "" if value is None else value
