"""The conversation inbox: one row per conversation, kept current from Rasa's event stream, plus the
daily intent counts, the read position of a positional event source, and CSAT ratings.

Rows are written only by `apply` (the projection of a batch of events, decided by
bot.services.inbox); the panel reads them with `search`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.common.privacy import mask_text
from bot.store.models import (CsatRating, Customer, FeedCursor, Handoff, HandoffStatus, InboxConversation, IntentCount,
                               UnansweredMessage)

TEXT_LIMIT = 200


@dataclass
class UnansweredTurn:
    """A customer message the bot could not answer (kind: nlu_fallback / no_article). `text` None: the
    message came in an earlier batch, so it is the conversation's last customer message on record."""

    kind: str
    at: datetime
    text: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None


@dataclass
class ConversationUpdate:
    """What a batch of events changed in one conversation (bot.services.inbox builds these)."""

    conversation_id: str
    first_at: datetime
    last_at: datetime
    channel: Optional[str] = None
    customer_id: Optional[str] = None
    last_customer_at: Optional[datetime] = None
    last_text: Optional[str] = None
    last_intent: Optional[str] = None
    last_confidence: Optional[float] = None
    customer_turns: int = 0
    fallbacks: int = 0
    low_confidence_turns: int = 0
    paused: Optional[bool] = None
    ended_at: Optional[datetime] = None
    reopened: bool = False  # the customer wrote again after an ending
    csat_asked_at: Optional[datetime] = None
    intents: Dict[Tuple[date, str], int] = field(default_factory=dict)
    unanswered: List[UnansweredTurn] = field(default_factory=list)


def _merge(row: InboxConversation, update: ConversationUpdate) -> None:
    if update.channel and (row.channel == "unknown" or not row.channel):
        row.channel = update.channel
    if update.customer_id:
        row.customer_id = update.customer_id
    row.last_at = max(row.last_at, update.last_at)
    if update.last_customer_at is not None:
        row.last_customer_at = update.last_customer_at
        row.last_text = mask_text(update.last_text or "")[:TEXT_LIMIT]
        row.last_intent = update.last_intent
        row.last_confidence = update.last_confidence
    row.customer_turns += update.customer_turns
    row.fallbacks += update.fallbacks
    row.low_confidence_turns += update.low_confidence_turns
    if update.paused is not None:
        row.paused = update.paused
    if update.reopened:
        row.ended_at = None
    if update.ended_at is not None:
        row.ended_at = update.ended_at
    if update.csat_asked_at is not None:
        row.csat_asked_at = update.csat_asked_at


def apply(session: Session, updates: Sequence[ConversationUpdate]) -> None:
    """Merges the updates into the inbox (rows locked on PostgreSQL while they change)."""
    if not updates:
        return
    ids = [u.conversation_id for u in updates]
    rows = {r.conversation_id: r for r in session.execute(
        select(InboxConversation).where(InboxConversation.conversation_id.in_(ids)).with_for_update()).scalars()}
    intents: Dict[Tuple[date, str], int] = {}
    for update in updates:
        row = rows.get(update.conversation_id)
        if row is None:
            row = InboxConversation(
                conversation_id=update.conversation_id, channel=update.channel or "unknown",
                started_at=update.first_at, last_at=update.first_at, last_text="", customer_turns=0,
                fallbacks=0, low_confidence_turns=0, paused=False)
            session.add(row)
            rows[update.conversation_id] = row
        _merge(row, update)
        _record_unanswered(session, row, update.unanswered)
        for key, count in update.intents.items():
            intents[key] = intents.get(key, 0) + count
    if intents:
        existing = {(c.day, c.intent): c for c in session.execute(
            select(IntentCount).where(IntentCount.day.in_({d for d, _ in intents}),
                                      IntentCount.intent.in_({i for _, i in intents})).with_for_update()).scalars()}
        for (day, intent), count in intents.items():
            row = existing.get((day, intent))
            if row is None:
                session.add(IntentCount(day=day, intent=intent, count=count))
            else:
                row.count += count


def _record_unanswered(session: Session, row: InboxConversation, turns: Sequence[UnansweredTurn]) -> None:
    """One row per unanswered message; a redelivered batch (RabbitMQ) finds it already there."""
    for turn in turns:
        text = turn.text if turn.text is not None else row.last_text
        if not any(c.isalnum() for c in text or ""):
            continue  # an empty or emoji-only message is not a question anyone could answer
        at = turn.at if turn.text is not None else (row.last_customer_at or turn.at)
        seen = session.execute(select(UnansweredMessage.id).where(
            UnansweredMessage.conversation_id == row.conversation_id, UnansweredMessage.at == at,
            UnansweredMessage.kind == turn.kind)).first()
        if seen is not None:
            continue
        intent = turn.intent if turn.text is not None else row.last_intent
        confidence = turn.confidence if turn.text is not None else row.last_confidence
        session.add(UnansweredMessage(conversation_id=row.conversation_id, at=at, kind=turn.kind,
                                      text=mask_text(text)[:TEXT_LIMIT], intent=intent, confidence=confidence))


def cursor(session: Session, source: str) -> int:
    found = session.get(FeedCursor, source)
    return found.position if found else 0


def move_cursor(session: Session, source: str, position: int) -> None:
    found = session.get(FeedCursor, source, with_for_update=True)
    if found is None:
        session.add(FeedCursor(source=source, position=position))
    else:
        found.position = max(found.position, position)


@dataclass(frozen=True)
class InboxFilter:
    statuses: Optional[Sequence[str]] = None  # bot / waiting / with_agent / ended
    channels: Optional[Sequence[str]] = None
    fallback: bool = False
    low_confidence: bool = False
    customer_id: Optional[str] = None
    longest_waiting: bool = False
    active_since: Optional[datetime] = None
    limit: int = 100


def search(session: Session, wanted: InboxFilter) -> List[Tuple[InboxConversation, Optional[Handoff], Optional[str]]]:
    """Conversations with their active handoff (if any) and the customer's tier, newest activity
    first (or longest waiting first)."""
    active = (select(Handoff).where(Handoff.status.in_([HandoffStatus.WAITING.value, HandoffStatus.ASSIGNED.value]))
              .subquery())
    stmt = (select(InboxConversation, active.c.id, Customer.tier)
            .outerjoin(active, active.c.conversation_id == InboxConversation.conversation_id)
            .outerjoin(Customer, Customer.id == InboxConversation.customer_id))
    if wanted.channels:
        stmt = stmt.where(InboxConversation.channel.in_(list(wanted.channels)))
    if wanted.fallback:
        stmt = stmt.where(InboxConversation.fallbacks > 0)
    if wanted.low_confidence:
        stmt = stmt.where(InboxConversation.low_confidence_turns > 0)
    if wanted.customer_id:
        stmt = stmt.where(InboxConversation.customer_id == wanted.customer_id)
    if wanted.active_since is not None:
        stmt = stmt.where(InboxConversation.last_at >= wanted.active_since)
    if wanted.statuses:
        clauses = []
        if "waiting" in wanted.statuses:
            clauses.append(active.c.status == HandoffStatus.WAITING.value)
        if "with_agent" in wanted.statuses:
            clauses.append(or_(active.c.status == HandoffStatus.ASSIGNED.value, InboxConversation.paused.is_(True)))
        if "bot" in wanted.statuses:
            clauses.append((active.c.id.is_(None)) & (InboxConversation.paused.is_(False))
                           & (InboxConversation.ended_at.is_(None)))
        if "ended" in wanted.statuses:
            clauses.append((active.c.id.is_(None)) & (InboxConversation.ended_at.is_not(None)))
        stmt = stmt.where(or_(*clauses))
    if wanted.longest_waiting:
        stmt = stmt.order_by(func.coalesce(InboxConversation.last_customer_at, InboxConversation.last_at),
                             InboxConversation.conversation_id)
    else:
        stmt = stmt.order_by(InboxConversation.last_at.desc(), InboxConversation.conversation_id)
    stmt = stmt.limit(wanted.limit)
    found = session.execute(stmt).all()
    handoff_ids = [h for _, h, _ in found if h is not None]
    handoffs = {h.id: h for h in session.execute(select(Handoff).where(Handoff.id.in_(handoff_ids))).scalars()} \
        if handoff_ids else {}
    return [(row, handoffs.get(h) if h is not None else None, tier) for row, h, tier in found]


def get(session: Session, conversation_id: str) -> Optional[InboxConversation]:
    return session.get(InboxConversation, conversation_id)


def conversations_between(session: Session, since: datetime, until: datetime) -> List[InboxConversation]:
    stmt = select(InboxConversation).where(InboxConversation.started_at >= since,
                                           InboxConversation.started_at < until)
    return list(session.execute(stmt).scalars())


def intent_totals(session: Session, since: date, until: date, limit: int = 10) -> List[Tuple[str, int]]:
    total = func.sum(IntentCount.count)
    stmt = (select(IntentCount.intent, total).where(IntentCount.day >= since, IntentCount.day <= until)
            .group_by(IntentCount.intent).order_by(total.desc(), IntentCount.intent).limit(limit))
    return [(intent, int(count)) for intent, count in session.execute(stmt).all()]


def rate(session: Session, conversation_id: str, score: int, channel: str, now: datetime) -> bool:
    """Records the rating; False if this conversation was already rated (the first one stands)."""
    if session.get(CsatRating, conversation_id) is not None:
        return False
    session.add(CsatRating(conversation_id=conversation_id, score=score, channel=channel, rated_at=now))
    return True


def ratings_between(session: Session, since: datetime, until: datetime) -> List[CsatRating]:
    stmt = select(CsatRating).where(CsatRating.rated_at >= since, CsatRating.rated_at < until)
    return list(session.execute(stmt).scalars())


def csat_asked_between(session: Session, since: datetime, until: datetime) -> int:
    stmt = select(func.count()).select_from(InboxConversation).where(
        InboxConversation.csat_asked_at >= since, InboxConversation.csat_asked_at < until)
    return int(session.execute(stmt).scalar_one())


def customer_conversations(session: Session, customer_id: str, limit: int = 10) -> List[InboxConversation]:
    stmt = (select(InboxConversation).where(InboxConversation.customer_id == customer_id)
            .order_by(InboxConversation.last_at.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


def known(session: Session, conversation_ids: Iterable[str]) -> Dict[str, InboxConversation]:
    ids = list(conversation_ids)
    if not ids:
        return {}
    return {r.conversation_id: r for r in session.execute(
        select(InboxConversation).where(InboxConversation.conversation_id.in_(ids))).scalars()}


def version(session: Session) -> Tuple:
    """Changes whenever a conversation or the handoff queue changes (cheap: indexed aggregates)."""
    conversations = session.execute(select(func.max(InboxConversation.last_at), func.count())
                                    .select_from(InboxConversation)).one()
    handoffs = session.execute(select(func.max(Handoff.id), func.count(), func.max(Handoff.assigned_at))
                               .where(Handoff.status.in_([HandoffStatus.WAITING.value, HandoffStatus.ASSIGNED.value]))
                               ).one()
    return tuple(conversations) + tuple(handoffs)
