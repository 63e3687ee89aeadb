"""Submitting a complaint: the id only after the commit; a store that is down loses nothing."""
from __future__ import annotations

import functools
import re

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.complaints import ActionSubmitComplaint
from bot import runtime
from bot.store.db import init_store
from bot.store.models import Ticket


SLOTS = {
    "complaint_description": "APP今天上午一直登录不上",
    "complaint_category": "system_failure",
    "complaint_contact": "13900001111",
    "complaint_confirmed": "yes",
    "complaint_draft_id": "draft-1",
}


def _count(store) -> int:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(Ticket)).scalar_one()


async def test_committed_ticket_gets_an_id_sla_and_12386(store, tracker, said):
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker("确认提交", "affirm", slots=SLOTS), {})
    reply = said(dispatcher)
    ticket_id = re.search(r"CP-\d{8}-\d{4}", reply).group(0)
    assert "12386" in reply and "8小时" in reply
    assert {"event": "slot", "name": "ticket_id", "value": ticket_id, "timestamp": None} in events
    assert _count(store) == 1


async def test_resubmitted_confirmation_does_not_duplicate(store, tracker):
    for _ in range(2):
        await ActionSubmitComplaint().run(CollectingDispatcher(), tracker("确认", "affirm", slots=SLOTS), {})
    assert _count(store) == 1


async def test_store_down_keeps_details_and_retry_creates_the_ticket(store, tracker, said):
    # A database that refuses connections: nothing is created and no id is given.
    runtime.use_store(init_store("postgresql://nobody@127.0.0.1:9/none", migrate=False))
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker("确认提交", "affirm", slots=SLOTS), {})
    reply = said(dispatcher)
    assert "CP-" not in reply and "再试一次" in reply
    assert {"event": "slot", "name": "complaint_pending", "value": True, "timestamp": None} in events
    assert not any(e.get("name") == "complaint_description" for e in events)  # details stay
    # The database is back: "再试一次" with the same slots files it once.
    runtime.use_store(store)
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint().run(dispatcher, tracker("再试一次", "retry", slots=SLOTS), {})
    assert re.search(r"CP-\d{8}-\d{4}", said(dispatcher))
    assert _count(store) == 1


async def test_gold_customer_gets_the_faster_sla(store, tracker, said):
    from bot.common.identity import issue_token
    from bot.common.settings import get_settings

    token = issue_token("C0003", get_settings().identity_secret, ttl=600)
    dispatcher = CollectingDispatcher()
    tracker = tracker("确认", "affirm", slots={**SLOTS, "complaint_contact": "on_file"},
                           metadata={"customer_token": token})
    await ActionSubmitComplaint().run(dispatcher, tracker, {})
    assert "4小时" in said(dispatcher)
    with store.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.customer_id == "C0003" and ticket.priority == "P1"
    assert ticket.contact_phone_raw and ticket.contact_masked != ticket.contact_phone_raw


async def test_an_identified_customer_files_through_a_store_outage_without_losing_anything(store, tracker, said):
    """The store fails at every step of the form for a logged-in customer: each step still answers,
    the details stay in the conversation, and the retry files one ticket for that customer."""
    from actions.complaints import (ActionAskComplaintConfirmed, ActionComplaintStart,
                                    ValidateComplaintForm)
    from bot.common.identity import issue_token
    from bot.common.settings import get_settings

    metadata = {"customer_token": issue_token("C0003", get_settings().identity_secret, ttl=600)}
    tracker = functools.partial(tracker, sender="store-outage")  # no customer looked up earlier
    runtime.use_store(init_store("postgresql://nobody@127.0.0.1:9/none", migrate=False))
    dispatcher = CollectingDispatcher()
    started = await ActionComplaintStart().run(
        dispatcher, tracker("我要投诉，APP昨天上午一直登录不上，回电13912345678", "complain", metadata=metadata), {})
    slots = {e["name"]: e["value"] for e in started if e.get("event") == "slot"}
    assert "抱歉" in said(dispatcher) and slots["complaint_description"]
    assert "13912345678" not in str(slots["complaint_contact"])  # sealed, not readable in the tracker
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintConfirmed().run(dispatcher, tracker("", "affirm", slots=slots, metadata=metadata), {})
    assert "139****5678" in said(dispatcher)
    validated = await ValidateComplaintForm().extract_complaint_contact(
        CollectingDispatcher(), tracker("就用预留的号码", "inform",
                                        slots={**slots, "requested_slot": "complaint_contact"}, metadata=metadata), {})
    assert validated == {}  # the number on file cannot be read now; the sealed one stays
    slots.update(complaint_confirmed="yes")
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, tracker("确认", "affirm", slots=slots, metadata=metadata), {})
    assert "CP-" not in said(dispatcher) and {"event": "slot", "name": "complaint_pending", "value": True,
                                                  "timestamp": None} in events
    runtime.use_store(store)
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint().run(dispatcher, tracker("再试一次", "retry", slots=slots, metadata=metadata), {})
    assert re.search(r"CP-\d{8}-\d{4}", said(dispatcher))
    with store.session() as session:
        ticket = session.execute(select(Ticket)).scalar_one()
    assert ticket.customer_id == "C0003" and ticket.contact_phone_raw == "13912345678"
