"""The staff API of the web app over HTTP, against a real store: closed without a session, CSRF on
every change, roles, legal ticket transitions only, and an audit entry for each staff action."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.common.settings import Settings
from bot.services import agent_desk, staff
from bot.store import handoffs, tickets
from bot.web.app import create_app
from bot.web.panel import COOKIE, CSRF_HEADER, PUBLIC_ROUTES

from .conftest import AGENT, LEAD, log_in, staff_store

SECRET = "panel-test-secret-at-least-32-bytes-long"
NOW = datetime.now(timezone.utc)


@pytest.fixture
def store(tmp_path):
    opened = staff_store(tmp_path / "panel.db")
    with opened.session() as session, session.begin():
        tickets.create_ticket(session, tickets.TicketDraft(
            idempotency_key="c1:d1", conversation_id="c1", category="system_failure", severity="high",
            priority="P2", sla_due_at=NOW - timedelta(hours=1), channel="socketio",
            description="<script>alert(1)</script>APP登录不上，电话13900001111"), NOW)
        handoffs.enqueue(session, "web-waiting", NOW, tier="gold", priority=2, reason="要人工")
    yield opened
    opened.dispose()


def _settings(**overrides) -> Settings:
    base = Settings(identity_secret=SECRET, rasa_socket_url="http://127.0.0.1:5999", demo_mode=True,
                    rasa_url="http://127.0.0.1:9", rasa_token=SECRET)
    return dataclasses.replace(base, **overrides)


@pytest.fixture
async def client(store) -> AsyncIterator[TestClient]:
    opened = TestClient(TestServer(create_app(_settings(), demo_directory=lambda: {}, store=lambda: store),
                                   host="127.0.0.1"))
    await opened.start_server()
    yield opened
    await opened.close()



async def test_every_staff_route_is_closed_without_a_session(client: TestClient) -> None:
    routes = {(r.method, r.resource.canonical) for r in client.app.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/")
              and r.resource.canonical not in PUBLIC_ROUTES and r.method != "HEAD"}
    assert len(routes) >= 9
    for method, path in sorted(routes):
        answer = await client.request(method, path.replace("{ticket_id}", "CP-20261207-0001").replace("{handoff_id}", "1"), json={})
        assert answer.status == 401, (method, path)
    client.session.cookie_jar.update_cookies({COOKIE: "forged-session-value"})
    assert (await client.get("/api/me")).status == 401


async def test_login_sets_a_strict_http_only_cookie_and_wrong_passwords_are_refused(client, store) -> None:
    assert (await client.post("/api/login", json={"login": "agent01", "password": "guess"})).status == 401
    assert (await client.post("/api/login", json={"login": "nobody", "password": AGENT[1]})).status == 401
    assert (await client.post("/api/login", data=b"not json")).status == 400
    answer = await client.post("/api/login", json={"login": "agent01", "password": AGENT[1]})
    cookie = answer.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    me = await (await client.get("/api/me")).json()
    assert me["login"] == "agent01" and me["role"] == "agent" and me["csrf"]
    assert [e.action for e in staff.audit_trail(store)][:3] == ["login", "login_refused", "login_refused"]


async def test_changes_need_the_sessions_csrf_token(client: TestClient) -> None:
    csrf = await log_in(client)
    ticket = "/api/tickets/" + (await (await client.get("/api/tickets")).json())[0]["id"]
    assert (await client.post(f"{ticket}/notes", json={"text": "回访过了"})).status == 403
    assert (await client.post(f"{ticket}/notes", json={"text": "回访过了"}, headers={CSRF_HEADER: "x"})).status == 403
    assert (await client.post(f"{ticket}/notes", json={"text": "回访过了"}, headers={CSRF_HEADER: csrf})).status == 201


async def test_tickets_move_only_along_legal_transitions_with_history_and_audit(client, store) -> None:
    csrf = await log_in(client)
    [row] = await (await client.get("/api/tickets")).json()
    assert row["overdue"] and "13900001111" not in row["summary"] and "139****1111" in row["summary"]
    url, headers = f"/api/tickets/{row['id']}/transition", {CSRF_HEADER: csrf}
    assert (await client.post(url, json={"to": "closed"}, headers=headers)).status == 409
    assert (await client.post(url, json={"to": "flying"}, headers=headers)).status == 400
    moved = await client.post(url, json={"to": "in_progress", "note": "已联系客户 13900001111"}, headers=headers)
    assert moved.status == 200 and (await moved.json())["status"] == "in_progress"
    history = await (await client.get(f"/api/tickets/{row['id']}/history")).json()
    assert [(e["kind"], e["to_status"]) for e in history][-1] == ("status", "in_progress")
    assert "13900001111" not in str(history)
    assert (await client.post("/api/tickets/CP-20990101-0001/transition", json={"to": "resolved"},
                              headers=headers)).status == 404
    assert staff.audit_trail(store)[0].action == "ticket_status"


async def test_the_audit_log_is_for_supervisors_and_logout_ends_the_session(client: TestClient) -> None:
    csrf = await log_in(client)
    assert (await client.get("/api/audit")).status == 403
    assert (await client.post("/api/logout", headers={CSRF_HEADER: csrf})).status == 200
    assert (await client.get("/api/me")).status == 401
    await log_in(client, LEAD)
    trail = await (await client.get("/api/audit")).json()
    assert {"login", "logout"} <= {e["action"] for e in trail}


async def test_a_session_past_its_lifetime_is_closed(client, store) -> None:
    old = staff.log_in(store, *AGENT, now=NOW - staff.SESSION_LIFETIME - timedelta(minutes=1))
    client.session.cookie_jar.update_cookies({COOKIE: old.token})
    assert (await client.get("/api/me")).status == 401


async def test_take_over_with_the_assistant_unreachable_keeps_the_customer_queued(client, store) -> None:
    csrf = await log_in(client)
    [waiting] = await (await client.get("/api/handoffs")).json()
    assert waiting["conversation_id"] == "web-waiting" and waiting["status"] == "waiting"
    answer = await client.post("/api/handoffs/next", headers={CSRF_HEADER: csrf})
    assert answer.status == 503  # Rasa's API is on a closed port: the bot could not be paused
    assert [h.status for h in agent_desk.queue_view(store)] == ["waiting"]


async def test_outside_demo_mode_the_session_cookie_is_secure(store) -> None:
    app = create_app(_settings(demo_mode=False), demo_directory=lambda: {}, store=lambda: store)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        answer = await client.post("/api/login", json={"login": AGENT[0], "password": AGENT[1]})
        assert answer.cookies[COOKIE]["secure"]
    finally:
        await client.close()
