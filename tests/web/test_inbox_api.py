"""The inbox, customer card, dashboard and CSAT routes over HTTP against a real store, with the web
app's own feed reading a real Rasa SQL event broker file."""
from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.events import BotUttered, UserUttered

from bot.common.chat_sessions import issue_session_id
from bot.common.settings import Settings
from bot.services import staff
from bot.store.customers import seed_demo_customers
from bot.tracking.brokers import BatchingSQLEventBroker
from bot.tracking.stores import streamed_event
from bot.web.app import create_app
from bot.web.panel import CSRF_HEADER

from .conftest import LEAD, log_in, staff_store

SECRET = "inbox-test-secret-at-least-32-bytes-long"


@pytest.fixture
def store(tmp_path):
    opened = staff_store(tmp_path / "panel.db")
    with opened.session() as session, session.begin():
        seed_demo_customers(session, [{"id": "C0002", "name": "李四", "tier": "银卡", "phone": "13800000002"}])
    yield opened
    opened.dispose()


@pytest.fixture
def broker(tmp_path) -> BatchingSQLEventBroker:
    return BatchingSQLEventBroker(db=str(tmp_path / "events.db"))


@pytest.fixture
async def client(store, tmp_path) -> AsyncIterator[TestClient]:
    settings = dataclasses.replace(
        Settings(), identity_secret=SECRET, demo_mode=True, rasa_url="http://127.0.0.1:9", rasa_token=SECRET,
        inbox_feed=True, event_source=f"sqlite:///{tmp_path / 'events.db'}")
    opened = TestClient(TestServer(create_app(settings, demo_directory=lambda: {}, store=lambda: store),
                                   host="127.0.0.1"))
    await opened.start_server()
    yield opened
    await opened.close()



def said(sender: str, text: str, intent: str = "ask_fees", confidence: float = 0.9, **extra):  # type: ignore[no-untyped-def]
    event = UserUttered(text, intent={"name": intent, "confidence": confidence}, input_channel="socketio",
                        timestamp=time.time())
    return streamed_event(event.as_dict(), sender) | extra


async def until(predicate, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await predicate()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("not within the time allowed")


async def test_a_customer_message_reaches_the_inbox_within_a_second_and_the_stream_says_so(client, broker) -> None:
    await log_in(client)
    stream = await client.get("/api/inbox/stream")
    assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    assert await stream.content.readline() == b"event: changed\n"  # the state it starts from
    await stream.content.readline(), await stream.content.readline()
    written = time.monotonic()
    broker.publish_many([said("web-new", "请问印花税怎么收，我电话13912345678", customer_id="C0002")])
    assert await asyncio.wait_for(stream.content.readline(), 2) == b"event: changed\n"

    async def listed():
        rows = await (await client.get("/api/inbox")).json()
        return rows if rows else None
    [row] = await until(listed)
    assert time.monotonic() - written < 1.0
    assert (row["conversation_id"], row["channel"], row["status"], row["tier"]) == ("web-new", "web", "bot", "silver")
    assert "13912345678" not in row["last_text"] and row["last_intent"] == "ask_fees"
    stream.close()


async def test_inbox_filters_and_bad_input(client, broker) -> None:
    await log_in(client)
    broker.publish_many([said("web-a", "开户", "ask_account_opening", 0.95), said("web-b", "嗯嗯啊", "nlu_fallback", 0.1)])

    async def both():
        rows = await (await client.get("/api/inbox")).json()
        return rows if len(rows) == 2 else None
    await until(both)
    flagged = await (await client.get("/api/inbox?flag=fallback")).json()
    assert [r["conversation_id"] for r in flagged] == ["web-b"]
    assert await (await client.get("/api/inbox?channel=sms")).json() == []
    assert (await client.get("/api/inbox?status=flying")).status == 400
    assert (await client.get("/api/inbox?limit=lots")).status == 400


async def test_customer_card_masks_and_reveal_needs_csrf_and_a_reason(client, store) -> None:
    csrf = await log_in(client)
    assert (await client.get("/api/customers/C9999")).status == 404
    card = await (await client.get("/api/customers/C0002")).json()
    assert (card["name"], card["phone"], card["tier"]) == ("李*", "138****0002", "silver")
    url = "/api/customers/C0002/reveal"
    assert (await client.post(url, json={"field": "phone", "reason": "回拨客户"})).status == 403
    assert (await client.post(url, json={"field": "phone", "reason": ""}, headers={CSRF_HEADER: csrf})).status == 400
    assert (await client.post(url, json={"field": "id_number", "reason": "回拨客户"}, headers={CSRF_HEADER: csrf})).status == 400
    shown = await client.post(url, json={"field": "phone", "reason": "回拨客户"}, headers={CSRF_HEADER: csrf})
    assert (await shown.json())["value"] == "13800000002"
    entry = staff.audit_trail(store)[0]
    assert (entry.action, entry.actor, entry.target) == ("personal_data_revealed", "agent01", "C0002")
    assert "13800000002" not in (entry.detail or "")


async def test_the_dashboard_is_for_supervisors_and_exports_csv(client, broker) -> None:
    await log_in(client)
    assert (await client.get("/api/dashboard")).status == 403
    assert (await client.get("/api/dashboard.csv")).status == 403
    await log_in(client, LEAD)
    broker.publish_many([said("web-d", "交易时间", "ask_trading_hours", 0.97)])

    async def counted():
        board = await (await client.get("/api/dashboard?days=1")).json()
        return board if board["conversations"] == 1 else None
    board = await until(counted)
    assert board["top_intents"] == [["ask_trading_hours", 1]] and board["containment_rate"] == 1.0
    assert (await client.get("/api/dashboard?days=5")).status == 400
    exported = await client.get("/api/dashboard.csv?days=1")
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "conversations,,1" in await exported.text()


async def test_a_rating_counts_only_for_a_session_this_site_issued_and_asked(client, broker) -> None:
    session_id = issue_session_id(SECRET)
    assert (await client.post("/api/csat", json={"session_id": "chosen-by-client", "score": 5})).status == 403
    assert (await client.post("/api/csat", json={"session_id": session_id, "score": 5})).status == 409
    goodbye = BotUttered(None, data={"custom": {"data": {"csat": {"scale": 5}}}}, timestamp=time.time())
    broker.publish_many([said(session_id, "再见", "goodbye", 0.99), streamed_event(goodbye.as_dict(), session_id)])

    async def rated():
        answer = await client.post("/api/csat", json={"session_id": session_id, "score": 4})
        return answer if answer.status == 200 else None
    assert (await (await until(rated)).json())["status"] == "recorded"
    again = await client.post("/api/csat", json={"session_id": session_id, "score": 1})
    assert (await again.json())["status"] == "already_rated"
    for score in (0, 6, "5", True, None):
        assert (await client.post("/api/csat", json={"session_id": session_id, "score": score})).status == 400
