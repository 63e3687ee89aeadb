"""The embedded profile's tracker store, turn after turn: each event is scrubbed once, yet what it keeps
and streams is exactly what scrubbing the whole conversation would give, every event streamed once."""
from __future__ import annotations

import json

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot.tracking.stores import ScrubbingInMemoryTrackerStore, scrub_event

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDMDAwMiJ9.c2lnbmF0dXJl"
DOMAIN = Domain.from_dict({"slots": {"complaint_contact": {"type": "text", "mappings": [{"type": "custom"}]}}})


def said(words: str):
    return [ActionExecuted("action_listen"),
            UserUttered(words, {"name": "complain", "confidence": 0.9}, metadata={"customer_token": TOKEN},
                        parse_data={"text": words, "intent": {"name": "complain", "confidence": 0.9}, "entities": []})]


TURNS = [
    [ActionExecuted("action_session_start"), SessionStarted(), *said("我要投诉，身份证110101199003071234"),
     BotUttered("抱歉给您添麻烦了，请留个电话")],
    [*said("回电13900001111"), SlotSet("complaint_contact", "13900001111"), BotUttered("您的电话是139****1111，对吗？")],
    [*said("邮箱zhang.san@example.com，资金账号310012345678"), BotUttered("好的")],
]
SECRETS = ("110101199003071234", "13900001111", "zhang.san@example.com", "310012345678", TOKEN)


def whole_conversation_scrubbed(sender: str, events) -> dict:
    return {"events": [scrub_event(event.as_dict()) for event in events], "name": sender}


@pytest.fixture
def store(tmp_path):
    broker = SQLEventBroker(db=str(tmp_path / "events.db"))
    yield ScrubbingInMemoryTrackerStore(DOMAIN, event_broker=broker)
    broker.engine.dispose()


def streamed(store) -> list:
    with store.event_broker.engine.connect() as connection:
        return [json.loads(row[0]) for row in connection.execute(text("SELECT data FROM events ORDER BY id"))]


async def test_each_turn_keeps_and_streams_what_scrubbing_everything_would(store):
    everything = []
    for turn in TURNS:
        tracker = await store.retrieve("web-1") or DialogueStateTracker("web-1", DOMAIN.slots)
        for event in turn:
            tracker.update(event)
        everything += turn
        await store.save(tracker)

        kept = store.store["web-1"]
        assert json.loads(kept) == whole_conversation_scrubbed("web-1", everything)
        for secret in SECRETS:
            assert secret not in kept, secret

    # Each event streamed once, scrubbed, in order.
    events = streamed(store)
    assert [event["event"] for event in events] == [event.as_dict()["event"] for event in everything]
    assert all(secret not in json.dumps(events) for secret in SECRETS)
    # Read back, the conversation is whole: the slot, the masked words, the latest message.
    again = await store.retrieve("web-1")
    assert again.get_slot("complaint_contact") == "139****1111"
    assert "310012345678" not in again.latest_message.text and again.latest_message.text.startswith("邮箱z***@")


async def test_a_tracker_built_elsewhere_streams_only_what_the_store_lacks(store):
    tracker = DialogueStateTracker.from_events("web-2", TURNS[0], DOMAIN.slots)
    await store.save(tracker)
    rebuilt = DialogueStateTracker.from_events("web-2", [*TURNS[0], *TURNS[1]], DOMAIN.slots)
    await store.save(rebuilt)
    assert len(streamed(store)) == len(TURNS[0]) + len(TURNS[1])
    assert json.loads(store.store["web-2"]) == whole_conversation_scrubbed("web-2", [*TURNS[0], *TURNS[1]])


async def test_a_new_session_keeps_the_last_session_as_rasa_does(store):
    await store.save(DialogueStateTracker.from_events("web-3", [*TURNS[0], *TURNS[1]], DOMAIN.slots))
    tracker = await store.retrieve("web-3")
    second_session = [ActionExecuted("action_session_start"), SessionStarted(), *said("又是我，电话13900001111")]
    for event in second_session:
        tracker.update(event)
    await store.save(tracker)
    last = await store.retrieve("web-3")
    assert [event.as_dict()["event"] for event in last.events] == [event.as_dict()["event"] for event in second_session]
    assert "13900001111" not in store.store["web-3"]
    assert len(streamed(store)) == len(TURNS[0]) + len(TURNS[1]) + len(second_session)


async def test_a_save_scrubs_only_the_events_of_its_turn(monkeypatch):
    from bot.tracking import stores

    scrubbed = []
    monkeypatch.setattr(stores, "scrub_event", lambda event: scrubbed.append(event) or scrub_event(event))
    store = ScrubbingInMemoryTrackerStore(DOMAIN)
    for turn in TURNS:
        tracker = await store.retrieve("web-4") or DialogueStateTracker("web-4", DOMAIN.slots)
        for event in turn:
            tracker.update(event)
        scrubbed.clear()
        await store.save(tracker)
        assert len(scrubbed) == len(turn)
