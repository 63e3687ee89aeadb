"""The ticket queue as staff work it: the list with its three SLA clocks and filters, assignment,
legal transitions, notes, and complaints forwarded by the 12386 hotline; every change is in the
ticket's own history and in the staff audit log."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional, Sequence, Tuple, Union

from bot.kb import KnowledgeBase
from bot.services import ticket_sla
from bot.services.complaints import priority_for
from bot.services.staff import StaffMember
from bot.services.ticket_sla import Clock
from bot.store import agents, staff_sessions, tickets
from bot.store.customers import get_customer
from bot.store.db import Store
from bot.store.models import Ticket, TicketStatus
from bot.store.tickets import IllegalTransition, TicketNotFound

__all__ = [
    "IllegalTransition", "TicketNotFound", "AssignmentRefused", "UnknownAgent", "InvalidForwarded",
    "TicketRow", "ForwardedComplaint", "queue", "move", "note", "assign", "register_12386", "events",
    "options",
]

ACTIVE = (TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value, TicketStatus.REOPENED.value)
OVERDUE, WARNING = "overdue", "warning"  # the `sla` filter: a breached clock / about to escalate
UNASSIGNED = tickets.UNASSIGNED


class AssignmentRefused(PermissionError):
    """An agent may take a ticket nobody holds or hand back their own; the rest is a supervisor's call."""


class UnknownAgent(ValueError):
    pass


class InvalidForwarded(ValueError):
    """A 12386 registration the desk cannot file (unknown category or customer, bad reference)."""


@dataclass(frozen=True)
class TicketRow:
    id: str
    category: str
    category_name: str
    priority: str
    status: str
    source: str
    channel: str
    customer_id: Optional[str]
    contact: Optional[str]  # masked
    summary: str  # masked
    assignee: Optional[str]
    created_at: datetime
    sla_due_at: datetime
    overdue: bool  # a running clock is past its due time
    warning: bool  # about to escalate: a running clock is in its warning time, none past due
    clocks: Tuple[Clock, Clock, Clock]  # first response, update, solution
    next_due_at: Optional[datetime]


def _category_names(kb: KnowledgeBase) -> Dict[str, str]:
    return {c.id: c.name for c in kb.complaints.categories}


def _times(t: Union[Ticket, tickets.ClockMoments]) -> ticket_sla.TicketTimes:
    return ticket_sla.TicketTimes(t.source, t.created_at, t.sla_due_at, t.first_response_at, t.last_update_at,
                                  t.resolved_at)


def _row(ticket: Ticket, kb: KnowledgeBase, now: datetime, found: Optional[ticket_sla.Clocks] = None,
         names: Optional[Dict[str, str]] = None) -> TicketRow:
    found = found or ticket_sla.clocks(_times(ticket), ticket_sla.policy_for(kb), now)
    names = names if names is not None else _category_names(kb)
    return TicketRow(ticket.id, ticket.category, names.get(ticket.category, ticket.category), ticket.priority,
                     ticket.status, ticket.source, ticket.channel, ticket.customer_id, ticket.contact_masked,
                     (ticket.description_masked or "")[:200], ticket.assignee, ticket.created_at, ticket.sla_due_at,
                     found.overdue, found.warning, found.all(), found.next_due)


def _now(now: Optional[datetime]) -> datetime:
    return now or datetime.now(timezone.utc)


def queue(store: Store, kb: KnowledgeBase, statuses: Optional[Sequence[str]] = None, now: Optional[datetime] = None,
          limit: int = 200, *, source: Optional[str] = None, category: Optional[str] = None,
          assignee: Optional[str] = None, sla: Optional[str] = None) -> List[TicketRow]:
    """Open work first, the earliest running deadline on top; then resolved and closed tickets, last
    changed first. `assignee` is a login, or UNASSIGNED; `sla` keeps only OVERDUE or WARNING tickets.
    Raises ValueError for an unknown status, source or `sla` filter."""
    now = _now(now)
    if sla not in (None, OVERDUE, WARNING):
        raise ValueError(f"unknown sla filter {sla!r}")
    wanted = [TicketStatus(s).value for s in statuses] if statuses else None
    active = [s for s in ACTIVE if wanted is None or s in wanted]
    done = [] if sla else [s for s in (wanted or [s.value for s in TicketStatus]) if s not in ACTIVE]
    filters = dict(source=source, category=category)
    policy, names = ticket_sla.policy_for(kb), _category_names(kb)
    with store.session() as session:
        # Urgency depends on the clocks, not on a column: every active ticket is weighed on its
        # timestamps alone, and only the page shown is loaded in full.
        weighed = []
        for moments in tickets.clock_moments(session, active, assignee, **filters) if active else []:
            found = ticket_sla.clocks(_times(moments), policy, now)
            if sla is None or (found.overdue if sla == OVERDUE else found.warning):
                weighed.append((found.next_due is None, found.next_due or now, moments.id, found))
        weighed.sort(key=lambda item: item[:3])
        weighed = weighed[:limit]
        loaded = tickets.get_tickets(session, [item[2] for item in weighed])
        rows = [_row(loaded[item[2]], kb, now, item[3], names) for item in weighed]
        room = limit - len(rows)
        if done and room > 0:
            rows += [_row(t, kb, now, names=names) for t in tickets.list_tickets(
                session, done, assignee, limit=room, recent_first=True, **filters)]
    return rows


def move(store: Store, kb: KnowledgeBase, actor: str, ticket_id: str, to_status: str, note_text: Optional[str] = None,
         now: Optional[datetime] = None) -> TicketRow:
    """A legal status change (IllegalTransition otherwise), by `actor`, with an optional reason."""
    now = _now(now)
    with store.session() as session, session.begin():
        ticket = tickets.transition(session, ticket_id, to_status, actor, now, note_text)
        staff_sessions.record(session, actor, "ticket_status", now, ticket.id, f"-> {ticket.status}")
        return _row(ticket, kb, now)


def note(store: Store, actor: str, ticket_id: str, text: str, now: Optional[datetime] = None) -> None:
    """An internal note (masked; never shown to the customer). It counts as an update of the ticket."""
    now = _now(now)
    with store.session() as session, session.begin():
        tickets.add_note(session, ticket_id, actor, now, text)
        staff_sessions.record(session, actor, "ticket_note", now, tickets.normalize_ticket_id(ticket_id))


def assign(store: Store, kb: KnowledgeBase, member: StaffMember, ticket_id: str, assignee: Optional[str],
           now: Optional[datetime] = None) -> TicketRow:
    """Gives the ticket to `assignee` (None: to nobody). An agent may take a ticket nobody else holds
    and let go of their own; a supervisor may give any ticket to any login in the `agents` table."""
    now = _now(now)
    with store.session() as session, session.begin():
        ticket = tickets.get_ticket(session, ticket_id, for_update=True)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        if not member.is_supervisor:
            taking = assignee == member.login and ticket.assignee in (None, member.login)
            letting_go = assignee is None and ticket.assignee == member.login
            if not (taking or letting_go):
                raise AssignmentRefused("agents take unassigned tickets or let go of their own; ask a supervisor")
        if assignee is not None and agents.get_agent(session, assignee) is None:
            raise UnknownAgent(assignee)
        before = ticket.assignee
        ticket = tickets.assign(session, ticket.id, assignee, member.login, now)
        staff_sessions.record(session, member.login, "ticket_assigned", now, ticket.id,
                              f"{before or '-'} -> {assignee or '-'}")
        return _row(ticket, kb, now)


# The 12386 platform's own number for a forwarded item: its format is not documented in the kb, so
# only what an id can reasonably contain is accepted.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/]{2,39}$")


@dataclass(frozen=True)
class ForwardedComplaint:
    """A complaint the regulator's 12386 hotline forwarded, as staff register it."""

    reference: str  # the 12386 number of the forwarded item: registering it twice finds the first ticket
    category: str  # a kb/complaints.yml category id
    description: str
    contact_phone: Optional[str] = None  # the investor's call-back number, stored for the call-back only
    customer_id: Optional[str] = None


def register_12386(store: Store, kb: KnowledgeBase, actor: str, forwarded: ForwardedComplaint,
                   now: Optional[datetime] = None) -> Tuple[TicketRow, bool]:
    """Files the forwarded complaint (text masked by the store) with the branch's 12386 first-response
    deadline; returns the ticket and whether it is new (False: this reference was registered before)."""
    now = _now(now)
    reference = forwarded.reference.strip()
    if not _REFERENCE.match(reference):
        raise InvalidForwarded("reference: 3 to 40 letters, digits, - _ /")
    try:
        category = kb.complaints.category(forwarded.category)
    except StopIteration:
        raise InvalidForwarded(f"unknown category {forwarded.category!r}") from None
    key = f"12386:{reference}"
    with store.session() as session, session.begin():
        existing = tickets.find_by_idempotency_key(session, key)
        if existing is not None:
            return _row(existing, kb, now), False
        customer = get_customer(session, forwarded.customer_id)
        if forwarded.customer_id and customer is None:
            raise InvalidForwarded(f"unknown customer {forwarded.customer_id!r}")
        boosted = kb.tier(customer.tier).complaint_priority_boost if customer is not None else False
        policy = ticket_sla.policy_for(kb)
        draft = tickets.TicketDraft(
            idempotency_key=key, conversation_id=key, category=category.id, severity=category.severity.value,
            priority=priority_for(category, boosted),
            sla_due_at=policy.first_response_due(ticket_sla.SOURCE_12386, now),
            channel=ticket_sla.SOURCE_12386, description=forwarded.description,
            customer_id=customer.id if customer is not None else None, contact_phone=forwarded.contact_phone,
            source=ticket_sla.SOURCE_12386)
        ticket = tickets.create_ticket(session, draft, now, actor=actor)
        staff_sessions.record(session, actor, "ticket_registered_12386", now, ticket.id, f"12386 {reference}")
        return _row(ticket, kb, now), True


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


@dataclass(frozen=True)
class Choice:
    id: str
    name: str


@dataclass(frozen=True)
class Options:
    """What the queue's filters, the assign control and the 12386 form offer."""

    categories: List[Choice]
    sources: List[str]
    agents: List[Choice]  # login, display name


def options(store: Store, kb: KnowledgeBase) -> Options:
    with store.session() as session:
        staff = [Choice(a.login, a.display_name) for a in agents.list_agents(session)]
    return Options([Choice(c.id, c.name) for c in kb.complaints.categories], list(ticket_sla.SOURCES), staff)
