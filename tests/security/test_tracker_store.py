"""Rasa's tracker store and event broker keep what a turn leaves behind scrubbed: on PostgreSQL (the
production store, Rasa's SQL tracker store), with Rasa's SQL event broker, read back as rows."""
from __future__ import annotations

import uuid

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.common.sealing import seal, unseal
from bot.tracking.stores import ScrubbingSQLTrackerStore

from ..store.conftest import pg_base_url, require_pg

SECRET = "a-secret-of-at-least-thirty-two-bytes!"
SAID = "我要投诉，身份证110101199003071234，回电13900001111，邮箱zhang.san@example.com"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMDAwMiJ9.c2lnbmF0dXJl"
SECRETS = ("110101199003071234", "13900001111", "zhang.san@example.com", TOKEN)


@pytest.fixture
def pg_database():
    require_pg()
    url = make_url(pg_base_url())
    name = f"tracker_{uuid.uuid4().hex[:10]}"
    yield url, name
    admin = create_engine(url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def test_the_sql_tracker_store_and_the_event_broker_keep_no_identifier(pg_database, tmp_path):
    url, name = pg_database
    broker = SQLEventBroker(db=str(tmp_path / "events.db"))
    domain = Domain.from_dict({"slots": {"complaint_contact": {"type": "text", "mappings": [{"type": "custom"}]}}})
    store = ScrubbingSQLTrackerStore(domain, dialect="postgresql", host=url.host, port=url.port,
                                     db=name, username=url.username, login_db=url.database, event_broker=broker)
    sealed = seal("13900001111", SECRET)
    tracker = DialogueStateTracker.from_events("web-1", [
        ActionExecuted("action_listen"),
        UserUttered(SAID, {"name": "complain", "confidence": 0.9}, metadata={"customer_token": TOKEN},
                    parse_data={"text": SAID, "intent": {"name": "complain", "confidence": 0.9}, "entities": [
                        {"entity": "phone", "value": "13900001111", "start": 30, "end": 41}]}),
        SlotSet("complaint_contact", sealed),
        BotUttered("您的联系电话是139****1111，对吗？"),
    ])
    await store.save(tracker)

    with store.engine.connect() as connection:
        rows = [row[0] for row in connection.execute(text("SELECT data FROM events ORDER BY id"))]
    with broker.engine.connect() as connection:
        streamed = [row[0] for row in connection.execute(text("SELECT data FROM events ORDER BY id"))]
    assert len(rows) == 4 and len(streamed) == 4
    for kept in ("\n".join(rows), "\n".join(streamed)):
        for secret in SECRETS:
            assert secret not in kept, secret
        assert "139****1111" in kept
    # The next turn reads it back: the masked words, and the number still sealed for the ticket.
    again = await store.retrieve("web-1")
    assert "13900001111" not in again.latest_message.text and "139****1111" in again.latest_message.text
    assert unseal(again.get_slot("complaint_contact"), SECRET) == "13900001111"
    store.engine.dispose()
    broker.engine.dispose()
