"""The ticket queue as staff work it: the list with its deadlines, legal transitions, notes; every
change is in the ticket's own history and in the staff audit log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional, Sequence

from bot.store import staff_sessions, tickets
from bot.store.db import Store
from bot.store.tickets import IllegalTransition, TicketNotFound

__all__ = ["IllegalTransition", "TicketNotFound", "TicketRow", "queue", "move", "note", "events"]


@dataclass(frozen=True)
class TicketRow:
    id: str
    category: str
    priority: str
    status: str
    channel: str
    customer_id: Optional[str]
    contact: Optional[str]  # masked
    summary: str  # masked
    assignee: Optional[str]
    created_at: datetime
    sla_due_at: datetime
    overdue: bool


def _row(ticket, now: datetime) -> TicketRow:  # type: ignore[no-untyped-def]
    return TicketRow(ticket.id, ticket.category, ticket.priority, ticket.status, ticket.channel,
                     ticket.customer_id, ticket.contact_masked, (ticket.description_masked or "")[:200],
                     ticket.assignee, ticket.created_at, ticket.sla_due_at,
                     ticket.sla_due_at <= now and ticket.status not in ("resolved", "closed"))


def queue(store: Store, statuses: Optional[Sequence[str]] = None, now: Optional[datetime] = None,
          limit: int = 200) -> List[TicketRow]:
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        return [_row(t, now) for t in tickets.list_tickets(session, statuses, limit=limit)]


def move(store: Store, actor: str, ticket_id: str, to_status: str, note_text: Optional[str] = None,
         now: Optional[datetime] = None) -> TicketRow:
    """A legal status change (IllegalTransition otherwise), by `actor`, with an optional reason."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        ticket = tickets.transition(session, ticket_id, to_status, actor, now, note_text)
        staff_sessions.record(session, actor, "ticket_status", now, ticket.id, f"-> {ticket.status}")
        return _row(ticket, now)


def note(store: Store, actor: str, ticket_id: str, text: str, now: Optional[datetime] = None) -> None:
    """An internal note (masked; never shown to the customer)."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        tickets.add_note(session, ticket_id, actor, now, text)
        staff_sessions.record(session, actor, "ticket_note", now, tickets.normalize_ticket_id(ticket_id))


@dataclass(frozen=True)
class TicketEventView:
    at: datetime
    actor: str
    kind: str
    from_status: Optional[str]
    to_status: Optional[str]
    detail: Optional[str]


def events(store: Store, ticket_id: str) -> List[TicketEventView]:
    with store.session() as session:
        return [TicketEventView(e.at, e.actor, e.kind, e.from_status, e.to_status, e.detail)
                for e in tickets.history(session, ticket_id)]
