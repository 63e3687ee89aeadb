"""The moments the SLA clocks read, kept on the ticket as staff work it, and filled in from the history
by migration 0007 for tickets that were there before."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import column, insert, select, table
from sqlalchemy.exc import IntegrityError, StatementError

from bot.store import tickets
from bot.store.coltypes import UTCDateTime
from bot.store.db import make_engine, session_factory, upgrade
from bot.store.models import Ticket
from bot.store.tickets import create_ticket, transition

from .conftest import BACKENDS, new_database
from .helpers import draft


def test_first_move_out_of_open_is_the_first_response_and_notes_count_as_updates(session, now) -> None:
    ticket = create_ticket(session, draft(now=now), now)
    assert ticket.source == "bot"
    assert (ticket.first_response_at, ticket.last_update_at, ticket.resolved_at) == (None, None, None)
    tickets.assign(session, ticket.id, "agent01", "lead01", now + timedelta(minutes=5))
    tickets.add_note(session, ticket.id, "agent01", now + timedelta(minutes=10), "电话未接通")
    session.commit()
    assert ticket.first_response_at is None  # routing and notes to colleagues are not a response
    assert ticket.last_update_at == now + timedelta(minutes=10)
    transition(session, ticket.id, "in_progress", "agent01", now + timedelta(minutes=20))
    transition(session, ticket.id, "resolved", "agent01", now + timedelta(minutes=30))
    session.commit()
    stored = session.get(Ticket, ticket.id)
    assert stored.first_response_at == now + timedelta(minutes=20)
    assert stored.resolved_at == stored.last_update_at == now + timedelta(minutes=30)


def test_reopening_clears_the_resolution_and_closing_keeps_it(session, now) -> None:
    ticket = create_ticket(session, draft(now=now), now)
    transition(session, ticket.id, "resolved", "agent01", now + timedelta(minutes=1))  # resolved on first contact
    assert ticket.first_response_at == ticket.resolved_at == now + timedelta(minutes=1)
    transition(session, ticket.id, "reopened", "agent01", now + timedelta(minutes=2))
    assert ticket.resolved_at is None and ticket.first_response_at == now + timedelta(minutes=1)
    transition(session, ticket.id, "resolved", "agent01", now + timedelta(minutes=3))
    transition(session, ticket.id, "closed", "lead01", now + timedelta(minutes=4))
    session.commit()
    assert session.get(Ticket, ticket.id).resolved_at == now + timedelta(minutes=3)


def test_queue_filters_by_source_category_and_assignee(session, now) -> None:
    bot = create_ticket(session, draft("c:1", now=now, category="system_failure"), now)
    hotline = create_ticket(session, draft("c:2", now=now, source="12386"), now)
    tickets.assign(session, hotline.id, "agent01", "lead01", now)
    session.commit()
    assert [t.id for t in tickets.list_tickets(session, source="12386")] == [hotline.id]
    assert [t.id for t in tickets.list_tickets(session, category="system_failure")] == [bot.id]
    assert [t.id for t in tickets.list_tickets(session, assignee="agent01")] == [hotline.id]
    assert [t.id for t in tickets.list_tickets(session, assignee=tickets.UNASSIGNED)] == [bot.id]


def test_an_unknown_source_is_refused(session, now) -> None:
    with pytest.raises(ValueError):
        create_ticket(session, draft(now=now, source="email"), now)
    session.rollback()
    ticket = create_ticket(session, draft(now=now), now)
    ticket.source = "email"  # past the enum, the database's CHECK still holds
    with pytest.raises((IntegrityError, StatementError)):
        session.commit()


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_fills_the_moments_in_from_each_tickets_history(backend: str, tmp_path: Path, now) -> None:
    with new_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, "0006")
        when = lambda minutes: now + timedelta(minutes=minutes)  # noqa: E731
        rows = table("tickets", *(column(c) for c in (
            "id", "category", "severity", "priority", "channel", "description_masked", "transcript_masked",
            "status", "conversation_id", "idempotency_key")),
            *(column(c, UTCDateTime) for c in ("sla_due_at", "created_at", "updated_at")))
        events = table("ticket_events", column("ticket_id"), column("at", UTCDateTime), column("actor"),
                       column("kind"), column("from_status"), column("to_status"))
        with engine.begin() as connection:
            for ticket_id, status in (("CP-1", "closed"), ("CP-2", "reopened"), ("CP-3", "open")):
                connection.execute(insert(rows).values(
                    id=ticket_id, category="other", severity="low", priority="P3", channel="web",
                    description_masked="x", transcript_masked="", status=status, conversation_id=ticket_id,
                    idempotency_key=ticket_id, sla_due_at=when(600), created_at=when(0), updated_at=when(0)))
            history = [("CP-1", 5, "note", None, None), ("CP-1", 10, "status", "open", "in_progress"),
                       ("CP-1", 20, "status", "in_progress", "resolved"), ("CP-1", 30, "status", "resolved", "closed"),
                       ("CP-2", 10, "status", "open", "resolved"), ("CP-2", 40, "status", "resolved", "reopened"),
                       ("CP-3", 15, "assigned", "open", "open")]
            for ticket_id, minutes, kind, before, after in history:
                connection.execute(insert(events).values(ticket_id=ticket_id, at=when(minutes), actor="agent01",
                                                         kind=kind, from_status=before, to_status=after))
        upgrade(engine, "0007")
        with session_factory(engine)() as session:
            # Only these columns: later migrations may add others to the model.
            found = {row[0]: tuple(row[1:]) for row in session.execute(select(
                Ticket.id, Ticket.source, Ticket.first_response_at, Ticket.last_update_at, Ticket.resolved_at))}
        engine.dispose()
    assert found == {
        "CP-1": ("bot", when(10), when(30), when(20)),
        "CP-2": ("bot", when(10), when(40), None),  # reopened: no longer resolved
        "CP-3": ("bot", None, None, None),  # assignment alone is neither a response nor an update
    }
