"""The queue of conversations waiting for a human agent.

Order: tier first (platinum > gold > silver > normal, the service level the tiers promise), then
first come, first served. One active (waiting or assigned) handoff per conversation: asking twice
for a human keeps the customer's place instead of queueing them again.
"""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.customers import parse_tier
from bot.store.models import Handoff, HandoffStatus

ACTIVE = (HandoffStatus.WAITING.value, HandoffStatus.ASSIGNED.value)


class HandoffNotFound(LookupError):
    pass


class HandoffStateError(ValueError):
    pass


def _queue_order():  # type: ignore[no-untyped-def]
    return (Handoff.priority.desc(), Handoff.created_at, Handoff.id)


def active_for_conversation(session: Session, conversation_id: str) -> Optional[Handoff]:
    stmt = (
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status.in_(ACTIVE))
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def enqueue(
    session: Session,
    conversation_id: str,
    now: datetime,
    *,
    customer_id: Optional[str] = None,
    tier: str = "normal",
    priority: int = 0,
    reason: str = "",
) -> Handoff:
    """Queues the conversation for an agent, or returns its existing active handoff.

    `priority` (higher is served first) is the tier's, decided by the handoff service from the kb.
    """
    existing = active_for_conversation(session, conversation_id)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            return _insert(session, conversation_id, now, customer_id, tier, priority, reason)
    except IntegrityError:
        # Another server queued this conversation between the look-up and the insert.
        return active_for_conversation(session, conversation_id)


def _insert(session: Session, conversation_id: str, now: datetime, customer_id: Optional[str], tier: str,
            priority: int, reason: str) -> Handoff:
    handoff = Handoff(
        conversation_id=conversation_id,
        customer_id=customer_id,
        tier=parse_tier(tier).value,
        priority=priority,
        reason=reason[:255],
        status=HandoffStatus.WAITING.value,
        created_at=now,
    )
    session.add(handoff)
    session.flush()
    return handoff


def queue_position(session: Session, handoff_id: int) -> Optional[int]:
    """1 for the next to be served; None when the handoff is no longer waiting."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.status != HandoffStatus.WAITING.value:
        return None
    ahead = or_(
        Handoff.priority > handoff.priority,
        and_(
            Handoff.priority == handoff.priority,
            or_(
                Handoff.created_at < handoff.created_at,
                and_(Handoff.created_at == handoff.created_at, Handoff.id < handoff.id),
            ),
        ),
    )
    count = session.execute(
        select(func.count()).select_from(Handoff).where(Handoff.status == HandoffStatus.WAITING.value, ahead)
    ).scalar_one()
    return int(count) + 1


def waiting(session: Session, limit: int = 100) -> List[Handoff]:
    """The waiting queue in serving order (agent panel)."""
    stmt = select(Handoff).where(Handoff.status == HandoffStatus.WAITING.value).order_by(*_queue_order()).limit(limit)
    return list(session.execute(stmt).scalars())


def active(session: Session, limit: int = 100) -> List[Handoff]:
    """Waiting handoffs in serving order, then those agents hold (agent panel)."""
    held = select(Handoff).where(Handoff.status == HandoffStatus.ASSIGNED.value).order_by(Handoff.assigned_at)
    return waiting(session, limit) + list(session.execute(held.limit(limit)).scalars())


def next_for_agent(session: Session, agent: str, now: datetime) -> Optional[Handoff]:
    """Assigns the head of the queue to `agent`; None when nobody is waiting.

    SKIP LOCKED (PostgreSQL) lets two agents pressing "next" at once get different customers;
    SQLite serialises the transactions instead.
    """
    stmt = (
        select(Handoff)
        .where(Handoff.status == HandoffStatus.WAITING.value)
        .order_by(*_queue_order())
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    handoff = session.execute(stmt).scalar_one_or_none()
    if handoff is None:
        return None
    handoff.status = HandoffStatus.ASSIGNED.value
    handoff.assigned_to = agent
    handoff.assigned_at = now
    return handoff


def release(session: Session, handoff_id: int, now: datetime, *, requeue: bool = False) -> Handoff:
    """The agent is finished (done) or hands the customer back to the queue at their old place."""
    handoff = session.get(Handoff, handoff_id, with_for_update=True)
    if handoff is None:
        raise HandoffNotFound(handoff_id)
    if handoff.status != HandoffStatus.ASSIGNED.value:
        raise HandoffStateError(f"handoff {handoff_id} is {handoff.status}, not assigned")
    if requeue:
        handoff.status = HandoffStatus.WAITING.value
        handoff.assigned_to = None
        handoff.assigned_at = None
    else:
        handoff.status = HandoffStatus.DONE.value
        handoff.closed_at = now
    return handoff


def cancel(session: Session, conversation_id: str, now: datetime) -> Optional[Handoff]:
    """The customer no longer wants an agent (or left); returns the cancelled handoff, if any."""
    handoff = active_for_conversation(session, conversation_id)
    if handoff is None:
        return None
    handoff.status = HandoffStatus.CANCELLED.value
    handoff.closed_at = now
    return handoff


def withdraw(session: Session, conversation_id: str, now: datetime) -> Optional[Handoff]:
    """The customer no longer wants to wait ("算了不用了", goodbye): a *waiting* handoff is cancelled.
    One an agent already holds stays with the agent (the bot does not hear that conversation)."""
    handoff = active_for_conversation(session, conversation_id)
    if handoff is None or handoff.status != HandoffStatus.WAITING.value:
        return None
    handoff.status = HandoffStatus.CANCELLED.value
    handoff.closed_at = now
    return handoff


def expire_waiting(session: Session, requested_before: datetime, now: datetime) -> int:
    """Cancels waiting handoffs requested before `requested_before` (a customer long gone must not
    lengthen everyone's wait); returns how many."""
    stale = session.execute(select(Handoff).where(Handoff.status == HandoffStatus.WAITING.value,
                                                  Handoff.created_at < requested_before)).scalars().all()
    for handoff in stale:
        handoff.status = HandoffStatus.CANCELLED.value
        handoff.closed_at = now
    return len(stale)
