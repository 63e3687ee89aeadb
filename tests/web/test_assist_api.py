"""The assist card's staff API: closed without a session, CSRF on every request, bad input refused,
the NLU reading from the running assistant (`/model/parse`), articles with their source and date,
suggestions with ids, and their feedback recorded only for what the agent was shown."""
from __future__ import annotations

import dataclasses
import json
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.common.settings import Settings
from bot.kb import load_kb
from bot.services import assist
from bot.services.agent_desk import rasa_api_bearer
from bot.store import handoffs
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import init_store
from bot.web.app import create_app
from bot.web.panel import COOKIE, CSRF_HEADER

from .conftest import RASA_API_SECRET

SECRET = "assist-test-secret-at-least-32-bytes-long"
AGENT, LEAD = ("agent01", "agent-password-for-tests"), ("lead01", "lead-password-for-tests")
STATIC_DIR = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
ROUTES = ("/api/assist", "/api/assist/feedback", "/api/assist/fees")


@pytest.fixture
def store(tmp_path):
    opened = init_store(f"sqlite:///{tmp_path / 'assist.db'}")
    with opened.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(AGENT[1], LEAD[1]))
    yield opened
    opened.dispose()


async def _client(store, rasa_url: str, rasa_token: str = SECRET) -> TestClient:
    settings = Settings(identity_secret=SECRET, rasa_socket_url="http://127.0.0.1:5999", demo_mode=True,
                        rasa_url=rasa_url, rasa_token=rasa_token)
    opened = TestClient(TestServer(create_app(settings, demo_directory=lambda: {}, store=lambda: store),
                                   host="127.0.0.1"))
    await opened.start_server()
    return opened


@pytest.fixture
async def client(store) -> AsyncIterator[TestClient]:
    """The web app with the assistant's API on a closed port: everything that needs no NLU."""
    opened = await _client(store, "http://127.0.0.1:9")
    yield opened
    await opened.close()


async def login(client: TestClient, who=AGENT) -> dict:
    answer = await client.post("/api/login", json={"login": who[0], "password": who[1]})
    assert answer.status == 200
    return {CSRF_HEADER: (await answer.json())["csrf"]}


def _hold(store, conversation_id: str, agent: str) -> None:
    now = datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        handoffs.enqueue(session, conversation_id, now, tier="normal", reason="客户要求人工")
        taken = handoffs.next_for_agent(session, agent, now)
        assert taken.conversation_id == conversation_id


# ---------------------------------------------------------------- closed by default, bad input


async def test_the_assist_routes_need_a_session_and_the_csrf_token(client: TestClient) -> None:
    for path in ROUTES:
        assert (await client.post(path, json={"text": "/开户"})).status == 401, path
    client.session.cookie_jar.update_cookies({COOKIE: "forged-session-value"})
    assert (await client.post("/api/assist", json={"text": "/开户"})).status == 401
    csrf = await login(client)
    for path in ROUTES:
        assert (await client.post(path, json={"text": "/开户"})).status == 403, path
        assert (await client.post(path, json={"text": "/开户"}, headers={CSRF_HEADER: "wrong"})).status == 403, path
    assert (await client.post("/api/assist", json={"text": "/开户"}, headers=csrf)).status == 200


@pytest.mark.parametrize("path, body", [
    ("/api/assist", {}),
    ("/api/assist", {"text": ""}),
    ("/api/assist", {"text": "   "}),
    ("/api/assist", {"text": 42}),
    ("/api/assist", {"text": "印" * 1001}),
    ("/api/assist", {"conversation_id": ""}),
    ("/api/assist", {"conversation_id": ["web-1"]}),
    ("/api/assist/feedback", {}),
    ("/api/assist/feedback", {"assist_id": "a", "suggestion_id": "canned:open_account", "event": "displayed"}),
    ("/api/assist/feedback", {"assist_id": "a", "suggestion_id": "canned:open_account", "event": "liked"}),
    ("/api/assist/feedback", {"assist_id": 1, "suggestion_id": "canned:open_account", "event": "used"}),
    ("/api/assist/fees", {}),
    ("/api/assist/fees", {"side": "buy", "price": "10", "quantity": "100", "market": "hk"}),
    ("/api/assist/fees", {"side": "buy", "price": "十块", "quantity": "100"}),
    ("/api/assist/fees", {"side": "sell", "price": "10", "quantity": "-100"}),
    ("/api/assist/fees", {"side": "sell", "price": "10", "quantity": "100", "rate_per_ten_thousand": "50"}),
])
async def test_bad_input_is_refused_with_400(client: TestClient, path: str, body: dict) -> None:
    csrf = await login(client)
    answer = await client.post(path, json=body, headers=csrf)
    assert answer.status == 400, await answer.text()
    assert (await answer.json())["error"]
    assert (await client.post(path, data=b"[1, 2]", headers=csrf)).status == 400  # not a JSON object


async def test_with_the_assistant_unreachable_the_card_says_so(client: TestClient) -> None:
    csrf = await login(client)
    answer = await client.post("/api/assist", json={"text": "开户要带什么"}, headers=csrf)
    assert answer.status == 503


async def test_only_a_conversation_the_agent_holds_can_be_read(client: TestClient, store) -> None:
    csrf = await login(client)
    assert (await client.post("/api/assist", json={"conversation_id": "web-nobody"}, headers=csrf)).status == 403
    _hold(store, "web-leads", "lead01")
    assert (await client.post("/api/assist", json={"conversation_id": "web-leads"}, headers=csrf)).status == 403


# ---------------------------------------------------------------- shortcuts, feedback, fees (no NLU needed)


async def test_a_shortcut_offers_the_canned_reply_and_feedback_is_recorded(client: TestClient, store) -> None:
    csrf = await login(client)
    card = await (await client.post("/api/assist", json={"text": "/开"}, headers=csrf)).json()
    assert card["reading"] is None and card["articles"] == []
    [suggestion] = card["suggestions"]
    canned = next(r for r in load_kb().canned_replies if r.shortcut == "/开户")
    assert suggestion == {"id": "canned:open_account", "kind": "canned", "title": canned.title, "text": canned.text,
                          "source": canned.source, "effective": canned.effective.isoformat(), "shortcut": "/开户"}
    feedback = {"assist_id": card["assist_id"], "suggestion_id": suggestion["id"]}
    edited = await client.post("/api/assist/feedback", json={**feedback, "event": "edited"}, headers=csrf)
    assert edited.status == 404  # not inserted yet
    used = await client.post("/api/assist/feedback", json={**feedback, "event": "used"}, headers=csrf)
    assert used.status == 200 and (await used.json()) == {"recorded": True}
    again = await client.post("/api/assist/feedback", json={**feedback, "event": "used"}, headers=csrf)
    assert (await again.json()) == {"recorded": False}  # once per showing
    assert (await client.post("/api/assist/feedback", json={**feedback, "event": "edited"}, headers=csrf)).status == 200
    assert assist.feedback_counts(store) == {"canned:open_account": {"displayed": 1, "used": 1, "edited": 1}}
    other = await client.post("/api/assist/feedback", headers=csrf,
                              json={**feedback, "suggestion_id": "canned:closing", "event": "used"})
    assert other.status == 404  # never shown

    await client.post("/api/logout", headers=csrf)
    lead = await login(client, LEAD)
    stolen = await client.post("/api/assist/feedback", json={**feedback, "event": "used"}, headers=lead)
    assert stolen.status == 404  # shown to agent01, not to lead01


async def test_the_fee_calculator_quotes_exact_money_in_the_bots_words(client: TestClient) -> None:
    csrf = await login(client)
    answer = await client.post("/api/assist/fees", headers=csrf, json={
        "side": "sell", "price": "25", "quantity": "2000", "market": "sh", "rate_per_ten_thousand": "2"})
    assert answer.status == 200
    quote = await answer.json()
    assert (quote["commission"], quote["stamp_duty"], quote["transfer_fee"], quote["total"]) == (
        "10.00", "25.00", "0.50", "35.50")
    assert quote["rate_basis"] == "stated" and "您给出的佣金费率万分之2" in quote["text"]


def test_the_assist_script_never_writes_html_from_text() -> None:
    script = (STATIC_DIR / "agent-assist.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


# ---------------------------------------------------------------- the running assistant reads the text


def _customer_writes(rasa_url: str, conversation_id: str, text: str) -> None:
    """The message enters the conversation as a customer's (Rasa's API; no reply is predicted)."""
    request = urllib.request.Request(
        f"{rasa_url}/conversations/{conversation_id}/messages", method="POST",
        data=json.dumps({"text": text, "sender": "user"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": rasa_api_bearer(RASA_API_SECRET)})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200


@pytest.fixture
async def live_client(store, full_stack) -> AsyncIterator[TestClient]:
    opened = await _client(store, full_stack.web.settings.rasa_url, RASA_API_SECRET)
    yield opened
    await opened.close()


@pytest.mark.model
async def test_a_pasted_question_is_read_with_articles_their_source_and_date(live_client, store) -> None:
    csrf = await login(live_client)
    answer = await live_client.post("/api/assist", json={"text": "开户需要带哪些材料？我手机13900001111"},
                                    headers=csrf)
    assert answer.status == 200, await answer.text()
    card = await answer.json()
    assert "13900001111" not in json.dumps(card, ensure_ascii=False)  # masked before it was read
    assert card["reading"]["intents"][0]["name"] == "faq"
    assert 0 < card["reading"]["intents"][0]["confidence"] <= 1
    kb = load_kb()
    best = card["articles"][0]
    assert best["id"] == "open_documents"
    article = kb.article("open_documents")
    assert (best["source"], best["effective"]) == (article.source, article.effective.isoformat())
    ids = [s["id"] for s in card["suggestions"]]
    assert "canned:open_account" in ids and "article:open_documents" in ids
    assert all(s["source"] and s["effective"] for s in card["suggestions"])
    assert all(kb.scope.gives_advice(s["text"]) == [] for s in card["suggestions"])
    counts = assist.feedback_counts(store)
    assert {i: counts[i]["displayed"] for i in ids} == {i: 1 for i in ids}


@pytest.mark.model
async def test_the_conversation_on_screen_is_read_from_its_last_customer_message(live_client, store, full_stack) -> None:
    conversation = f"web-assist-{uuid.uuid4().hex[:8]}"
    _customer_writes(full_stack.web.settings.rasa_url, conversation, "你好")
    _customer_writes(full_stack.web.settings.rasa_url, conversation, "卖股票要交印花税吗")
    _hold(store, conversation, "agent01")
    csrf = await login(live_client)
    answer = await live_client.post("/api/assist", json={"conversation_id": conversation}, headers=csrf)
    assert answer.status == 200, await answer.text()
    card = await answer.json()
    assert card["conversation_id"] == conversation and card["reading"]["text"] == "卖股票要交印花税吗"
    assert card["articles"][0]["id"] == "stamp_duty"


@pytest.mark.model
async def test_a_request_for_advice_is_flagged_and_only_the_no_advice_reply_offered(live_client) -> None:
    csrf = await login(live_client)
    card = await (await live_client.post("/api/assist", json={"text": "茅台现在值得买吗，会涨吗"}, headers=csrf)).json()
    assert card["reading"]["asks_for_advice"]
    assert [s["id"] for s in card["suggestions"]] == ["canned:no_advice"]
