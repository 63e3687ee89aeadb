"""Every conversation id a channel accepts fits every column that keeps it, on SQLite and PostgreSQL.

PostgreSQL refuses a value longer than its VARCHAR (SQLite would store it): the longest id of each
channel is written to each table here, with the longest complaint idempotency key built from it.
"""
from __future__ import annotations

import uuid

import pytest

from bot.channels.rest import MAX_SENDER_LENGTH
from bot.channels.socketio import issue_session_id
from bot.services.sms import sender_id
from bot.store import handoffs, retention_cases, sms, tickets

from .helpers import draft

LONGEST = {
    "rest": "crm-" + "9" * (MAX_SENDER_LENGTH - 4),
    "socketio": issue_session_id("a-secret-of-at-least-thirty-two-bytes!"),
    "sms": sender_id("+8613800000001", "a-secret-of-at-least-thirty-two-bytes!"),
}


@pytest.mark.parametrize("channel", sorted(LONGEST))
def test_the_longest_accepted_conversation_id_is_stored_whole(session, now, channel) -> None:  # type: ignore[no-untyped-def]
    conversation = LONGEST[channel]
    key = f"{conversation}:{uuid.uuid4().hex}"  # as bot.services.complaints builds it
    ticket = tickets.create_ticket(session, draft(key, now, conversation_id=conversation, channel=channel), now)
    handoff = handoffs.enqueue(session, conversation, now, reason="要人工")
    case = retention_cases.open_case(session, conversation, now, request_type="transfer_custody", channel=channel)
    if channel == "sms":
        sms.remember_sender(session, conversation[len("sms:"):], "13800000001", now)
    session.commit()
    session.expire_all()
    assert tickets.get_ticket(session, ticket.id).conversation_id == conversation
    assert handoffs.active_for_conversation(session, conversation).id == handoff.id
    assert retention_cases.get_open_case(session, conversation).id == case.id
    if channel == "sms":
        assert sms.sender_phone(session, conversation[len("sms:"):]) == "13800000001"
