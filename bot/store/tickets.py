"""Complaint tickets and their append-only history.

Status machine (DESIGN: open → in_progress → resolved → closed, reopened allowed):

    open        → in_progress, resolved   (resolved on first contact needs no "in progress" step)
    in_progress → resolved
    resolved    → closed, reopened        (the customer is not satisfied with the resolution)
    closed      → reopened                (a closed complaint may be taken up again)
    reopened    → in_progress, resolved

Everything else, including staying in the same status, raises IllegalTransition. Every change
(creation, status, assignment, note) appends one TicketEvent; events are never updated or deleted.
Free text is masked (bot.common.privacy) before it is stored, whatever the caller already did.

The moments the SLA clocks read (bot.services.ticket_sla) are kept on the ticket as they happen:
`first_response_at` — the first staff move out of `open`; `last_update_at` — the last staff status
change or note (assignment is routing, not an update); `resolved_at` — the move to `resolved`,
cleared when the ticket is reopened and kept when it is closed.
"""
from __future__ import annotations

import hmac

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, FrozenSet, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.common.privacy import mask_phone, mask_text
from bot.common.clock import business_day
from bot.store.ids import TICKET_PREFIX, next_id
from bot.store.models import Ticket, TicketEvent, TicketSource, TicketStatus
from bot.common.phones import normalize_phone

S = TicketStatus
ALLOWED_TRANSITIONS: Dict[TicketStatus, FrozenSet[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.RESOLVED}),
}

SYSTEM_ACTOR = "bot"


class TicketNotFound(LookupError):
    pass


class IllegalTransition(ValueError):
    def __init__(self, ticket_id: str, from_status: str, to_status: str) -> None:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS.get(TicketStatus(from_status), ())))
        super().__init__(
            f"ticket {ticket_id}: cannot go from {from_status!r} to {to_status!r} (allowed: {allowed or 'none'})"
        )
        self.ticket_id = ticket_id
        self.from_status = from_status
        self.to_status = to_status


@dataclass(frozen=True)
class TicketDraft:
    """What the complaints service has decided; the store adds id, status and timestamps."""

    idempotency_key: str  # e.g. f"{sender_id}:{confirmation message id}"
    conversation_id: str
    category: str
    severity: str
    priority: str
    sla_due_at: datetime
    channel: str
    description: str
    transcript: str = ""
    customer_id: Optional[str] = None
    contact_phone: Optional[str] = None  # only for the call-back; shown masked elsewhere
    source: str = TicketSource.BOT.value


def normalize_ticket_id(ticket_id: str) -> str:
    return ticket_id.strip().upper()


def find_by_idempotency_key(session: Session, key: str) -> Optional[Ticket]:
    return session.execute(select(Ticket).where(Ticket.idempotency_key == key)).scalar_one_or_none()


def create_ticket(session: Session, draft: TicketDraft, now: datetime, actor: str = SYSTEM_ACTOR) -> Ticket:
    """Creates the ticket and its `created` event, or returns the ticket already made for this key."""
    existing = find_by_idempotency_key(session, draft.idempotency_key)
    if existing is not None:
        return existing
    phone = normalize_phone(draft.contact_phone)
    ticket = Ticket(
        id=next_id(session, TICKET_PREFIX, business_day(now)),
        category=draft.category,
        severity=draft.severity,
        priority=draft.priority,
        sla_due_at=draft.sla_due_at,
        channel=draft.channel,
        customer_id=draft.customer_id,
        contact_phone_raw=phone,
        contact_masked=mask_phone(phone) if phone else None,
        description_masked=mask_text(draft.description),
        transcript_masked=mask_text(draft.transcript),
        status=TicketStatus.OPEN.value,
        source=TicketSource(draft.source).value,
        conversation_id=draft.conversation_id,
        idempotency_key=draft.idempotency_key,
        created_at=now,
        updated_at=now,
    )
    try:
        # A savepoint, so that losing a race on the idempotency key leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(ticket)
            session.add(TicketEvent(ticket=ticket, at=now, actor=actor, kind="created", to_status=ticket.status))
    except IntegrityError:
        existing = find_by_idempotency_key(session, draft.idempotency_key)
        if existing is None:
            raise
        return existing
    return ticket


def get_ticket(session: Session, ticket_id: str, *, for_update: bool = False) -> Optional[Ticket]:
    return session.get(Ticket, normalize_ticket_id(ticket_id), with_for_update=for_update or None)


def _require(session: Session, ticket_id: str) -> Ticket:
    # Row lock on PostgreSQL: two agents changing one ticket must not overwrite each other's status.
    ticket = get_ticket(session, ticket_id, for_update=True)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def transition(
    session: Session, ticket_id: str, to_status: str, actor: str, now: datetime, note: Optional[str] = None
) -> Ticket:
    """Moves the ticket to `to_status` and records who did it and why."""
    ticket = _require(session, ticket_id)
    target = TicketStatus(to_status)
    if target not in ALLOWED_TRANSITIONS[TicketStatus(ticket.status)]:
        raise IllegalTransition(ticket.id, ticket.status, target.value)
    session.add(
        TicketEvent(
            ticket=ticket,
            at=now,
            actor=actor,
            kind="status",
            from_status=ticket.status,
            to_status=target.value,
            detail=mask_text(note) if note else None,
        )
    )
    if ticket.status == TicketStatus.OPEN.value and ticket.first_response_at is None:
        ticket.first_response_at = now
    if target is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif target is TicketStatus.REOPENED:
        ticket.resolved_at = None
    ticket.status = target.value
    ticket.updated_at = ticket.last_update_at = now
    return ticket


def assign(session: Session, ticket_id: str, assignee: Optional[str], actor: str, now: datetime) -> Ticket:
    """Sets (or clears, with None) the agent responsible; the status is changed separately."""
    ticket = _require(session, ticket_id)
    session.add(
        TicketEvent(
            ticket=ticket,
            at=now,
            actor=actor,
            kind="assigned",
            from_status=ticket.status,
            to_status=ticket.status,
            detail=f"{ticket.assignee or '-'} -> {assignee or '-'}",
        )
    )
    ticket.assignee = assignee
    ticket.updated_at = now
    return ticket


def add_note(session: Session, ticket_id: str, actor: str, now: datetime, text: str) -> TicketEvent:
    ticket = _require(session, ticket_id)
    note = TicketEvent(ticket=ticket, at=now, actor=actor, kind="note", detail=mask_text(text))
    session.add(note)
    ticket.updated_at = ticket.last_update_at = now
    return note


def get_ticket_for_owner(
    session: Session, ticket_id: str, customer_id: Optional[str], phone_last4: Optional[str],
    filed_in: Optional[str] = None,
) -> Optional[Ticket]:
    """The ticket if the asker owns it, else None (indistinguishable from "no such ticket").

    A ticket filed by an identified customer belongs to that customer id. An anonymous ticket is
    shown to whoever has its id *and* the last four digits of the call-back number it was filed
    with, or in the conversation that filed it (`filed_in`, which the caller vouches for: the
    conversation remembers the ticket it filed; a named conversation id alone proves nothing).
    """
    ticket = get_ticket(session, ticket_id)
    if ticket is None:
        return None
    if ticket.customer_id is not None:
        return ticket if customer_id is not None and customer_id == ticket.customer_id else None
    if customer_id is None and filed_in is not None and filed_in == ticket.conversation_id:
        return ticket
    phone = ticket.contact_phone_raw or ""
    if customer_id is None and phone_last4 and len(phone) >= 4 and hmac.compare_digest(phone[-4:], phone_last4):
        return ticket
    return None


UNASSIGNED = ""  # as `assignee`: tickets nobody holds


def _filtered(stmt, statuses: Optional[Sequence[str]], assignee: Optional[str], source: Optional[str],  # type: ignore[no-untyped-def]
              category: Optional[str]):
    if statuses:
        stmt = stmt.where(Ticket.status.in_([TicketStatus(s).value for s in statuses]))
    if assignee == UNASSIGNED:
        stmt = stmt.where(Ticket.assignee.is_(None))
    elif assignee is not None:
        stmt = stmt.where(Ticket.assignee == assignee)
    if source is not None:
        stmt = stmt.where(Ticket.source == TicketSource(source).value)
    if category is not None:
        stmt = stmt.where(Ticket.category == category)
    return stmt


def list_tickets(
    session: Session, statuses: Optional[Sequence[str]] = None, assignee: Optional[str] = None,
    limit: Optional[int] = 100,
    *, source: Optional[str] = None, category: Optional[str] = None, recent_first: bool = False,
) -> List[Ticket]:
    """Tickets for the agent panel, earliest first-response deadline first (or last changed first)."""
    stmt = _filtered(select(Ticket), statuses, assignee, source, category)
    order = (Ticket.updated_at.desc(), Ticket.id) if recent_first else (Ticket.sla_due_at, Ticket.id)
    stmt = stmt.order_by(*order)
    return list(session.execute(stmt if limit is None else stmt.limit(limit)).scalars())


@dataclass(frozen=True)
class ClockMoments:
    """Just what the SLA clocks read, so that a whole queue can be weighed without loading full rows."""

    id: str
    source: str
    created_at: datetime
    sla_due_at: datetime
    first_response_at: Optional[datetime]
    last_update_at: Optional[datetime]
    resolved_at: Optional[datetime]


def clock_moments(
    session: Session, statuses: Optional[Sequence[str]] = None, assignee: Optional[str] = None,
    *, source: Optional[str] = None, category: Optional[str] = None,
) -> List[ClockMoments]:
    stmt = _filtered(select(Ticket.id, Ticket.source, Ticket.created_at, Ticket.sla_due_at, Ticket.first_response_at,
                            Ticket.last_update_at, Ticket.resolved_at), statuses, assignee, source, category)
    return [ClockMoments(*row) for row in session.execute(stmt)]


def get_tickets(session: Session, ticket_ids: Sequence[str]) -> Dict[str, Ticket]:
    if not ticket_ids:
        return {}
    return {t.id: t for t in session.execute(select(Ticket).where(Ticket.id.in_(list(ticket_ids)))).scalars()}


def history(session: Session, ticket_id: str) -> List[TicketEvent]:
    """All events of the ticket in the order they happened."""
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == normalize_ticket_id(ticket_id))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(session.execute(stmt).scalars())
