"""Complaint tickets: idempotent creation, masked text, legal transitions, append-only history, owners."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.store import tickets
from bot.store.models import HistoryIsAppendOnly, Ticket, TicketEvent
from bot.store.tickets import IllegalTransition, TicketNotFound, create_ticket, transition

from .helpers import add_customers, draft


def test_created_ticket_gets_a_daily_id_open_status_and_masked_text(session, now) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now, contact_phone="+86 139-1234-5678"), now)
    session.commit()
    assert ticket.id == "CP-20261125-0001"
    assert ticket.status == "open"
    assert ticket.description_masked == "客服态度差，我的手机139****5678，请回电"
    assert "13912345678" not in ticket.description_masked
    assert ticket.contact_phone_raw == "13912345678"
    assert ticket.contact_masked == "139****5678"
    assert ticket.created_at == now and ticket.updated_at == now
    assert [(e.kind, e.to_status) for e in tickets.history(session, ticket.id)] == [("created", "open")]


def test_resubmitted_confirmation_returns_the_first_ticket(session, now) -> None:  # type: ignore[no-untyped-def]
    first = create_ticket(session, draft("conv-1:confirm-7", now=now), now)
    session.commit()
    again = create_ticket(session, draft("conv-1:confirm-7", now=now), now + timedelta(seconds=3))
    session.commit()
    other = create_ticket(session, draft("conv-1:confirm-8", now=now), now)
    session.commit()
    assert again.id == first.id
    assert other.id == "CP-20261125-0002"
    assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(TicketEvent)).scalar_one() == 2


def test_full_lifecycle_is_recorded_in_order(session, now) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now), now)
    steps = [("in_progress", "agent"), ("resolved", "agent"), ("reopened", "bot"), ("in_progress", "agent"),
             ("resolved", "agent"), ("closed", "supervisor"), ("reopened", "bot")]
    for minutes, (status, actor) in enumerate(steps, start=1):
        transition(session, ticket.id, status, actor, now + timedelta(minutes=minutes), note=f"step {minutes}")
    tickets.assign(session, ticket.id, "agent", "supervisor", now + timedelta(minutes=30))
    tickets.add_note(session, ticket.id, "agent", now + timedelta(minutes=31), "客户身份证110101199003071234已核实")
    session.commit()

    events = tickets.history(session, ticket.id)
    assert [e.kind for e in events] == ["created"] + ["status"] * len(steps) + ["assigned", "note"]
    assert [(e.from_status, e.to_status) for e in events[1 : len(steps) + 1]] == [
        ("open", "in_progress"), ("in_progress", "resolved"), ("resolved", "reopened"), ("reopened", "in_progress"),
        ("in_progress", "resolved"), ("resolved", "closed"), ("closed", "reopened"),
    ]
    assert events[-1].detail == "客户身份证110***********1234已核实"
    assert [e.at for e in events] == sorted(e.at for e in events)
    stored = session.get(Ticket, ticket.id)
    assert stored.status == "reopened" and stored.assignee == "agent"
    assert stored.updated_at == now + timedelta(minutes=31)


def test_open_ticket_can_be_resolved_on_first_contact(session, now) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now), now)
    assert transition(session, ticket.id, "resolved", "agent", now).status == "resolved"


@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], "closed"),
        ([], "reopened"),
        ([], "open"),
        (["in_progress"], "in_progress"),
        (["in_progress"], "closed"),
        (["in_progress", "resolved", "closed"], "in_progress"),
        (["in_progress", "resolved", "closed"], "resolved"),
        (["resolved"], "in_progress"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(session, now, path, illegal) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now), now)
    for status in path:
        transition(session, ticket.id, status, "agent", now)
    before = len(tickets.history(session, ticket.id))
    with pytest.raises(IllegalTransition) as error:
        transition(session, ticket.id, illegal, "agent", now)
    assert error.value.to_status == illegal
    assert "cannot go from" in str(error.value)
    assert len(tickets.history(session, ticket.id)) == before


def test_unknown_status_or_ticket_is_an_error(session, now) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now), now)
    with pytest.raises(ValueError):
        transition(session, ticket.id, "escalated", "agent", now)
    with pytest.raises(TicketNotFound):
        transition(session, "CP-20991231-0001", "in_progress", "agent", now)


def test_history_cannot_be_rewritten_or_deleted(session, now) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(session, draft(now=now), now)
    session.commit()
    event = tickets.history(session, ticket.id)[0]
    event.detail = "rewritten"
    with pytest.raises(HistoryIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(tickets.history(session, ticket.id)[0])
    with pytest.raises(HistoryIsAppendOnly):
        session.flush()


def test_only_the_owner_sees_a_ticket(session, now) -> None:  # type: ignore[no-untyped-def]
    add_customers(session)
    mine = create_ticket(session, draft("k1", now=now, customer_id="C0001", conversation_id="conv-a"), now)
    anonymous = create_ticket(session, draft("k2", now=now, conversation_id="conv-b", contact_phone="13912345678"), now)
    session.commit()

    assert tickets.get_ticket_for_owner(session, mine.id, "C0001", "any-conversation") is mine
    assert tickets.get_ticket_for_owner(session, mine.id.lower(), "C0001", None) is mine
    assert tickets.get_ticket_for_owner(session, mine.id, "C0002", "conv-a") is None
    assert tickets.get_ticket_for_owner(session, mine.id, None, "5678") is None  # not signed in
    assert tickets.get_ticket_for_owner(session, anonymous.id, None, "5678") is anonymous
    assert tickets.get_ticket_for_owner(session, anonymous.id, None, "1234") is None
    assert tickets.get_ticket_for_owner(session, anonymous.id, "C0001", "5678") is None
    assert tickets.get_ticket_for_owner(session, anonymous.id, None, None) is None
    assert tickets.get_ticket_for_owner(session, anonymous.id, None, None, filed_in="conv-b") is anonymous
    assert tickets.get_ticket_for_owner(session, anonymous.id, None, None, filed_in="conv-x") is None
    assert tickets.get_ticket_for_owner(session, "CP-20991231-0001", "C0001", None) is None


def test_panel_lists_tickets_by_deadline(session, now) -> None:  # type: ignore[no-untyped-def]
    late = create_ticket(session, draft("k1", now=now, sla_due_at=now + timedelta(hours=48)), now)
    soon = create_ticket(session, draft("k2", now=now, sla_due_at=now + timedelta(hours=2)), now)
    transition(session, late.id, "in_progress", "agent", now)
    session.commit()
    assert [t.id for t in tickets.list_tickets(session)] == [soon.id, late.id]
    assert [t.id for t in tickets.list_tickets(session, statuses=["open"])] == [soon.id]
