"""The agent desk in headless Chromium against a real store: log in, read the queues, move a ticket,
and a customer's script payload stays text."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from bot.common.settings import Settings
from bot.store import handoffs, tickets
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import init_store

from .conftest import SECRET, serving

pytestmark = pytest.mark.browser
AGENT, LEAD = ("agent01", "agent-password-for-tests"), ("lead01", "lead-password-for-tests")
PAYLOAD = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'


@pytest.fixture(scope="module")
def desk(tmp_path_factory, browser):
    from bot.web.app import create_app

    store = init_store(f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.db'}")
    now = datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(AGENT[1], LEAD[1]))
        tickets.create_ticket(session, tickets.TicketDraft(
            idempotency_key="c1:d1", conversation_id="web-c1", category="system_failure", severity="high",
            priority="P2", sla_due_at=now - timedelta(hours=1), channel="socketio",
            description=f"{PAYLOAD} APP一直登录不上"), now)
        handoffs.enqueue(session, "web-waiting", now, tier="gold", priority=2, reason="客户要求人工")
    settings = dataclasses.replace(Settings(), identity_secret=SECRET, demo_mode=True,
                                   rasa_socket_url="http://127.0.0.1:5999")
    with serving(create_app(settings, demo_directory=lambda: {}, store=lambda: store), "agent-desk") as base:
        yield base + "agent"
    store.dispose()


def _log_in(page, who):
    page.fill("#login-name", who[0])
    page.fill("#login-password", who[1])
    page.click("#login button[type=submit]")


def test_an_agent_logs_in_reads_the_queues_and_moves_a_ticket(desk, new_page):
    page = new_page(width=1280, height=800)
    page.goto(desk)
    _log_in(page, (AGENT[0], "wrong"))
    page.wait_for_selector("#login-error:has-text('不正确')")
    _log_in(page, AGENT)
    page.wait_for_selector("#tickets tr")
    assert "web-waiting" in page.inner_text("#queue") and "客户要求人工" in page.inner_text("#queue")
    summary = page.inner_text("#tickets tr td.summary")
    assert "<script>" in summary and "APP一直登录不上" in summary  # shown as text
    assert page.evaluate("() => window.pwned") is None  # and never run
    assert "已超时" in page.inner_text("#tickets tr td.due")
    assert page.is_hidden("#audit-card")  # supervisors only
    page.click("#tickets tr button[data-to=in_progress]")
    page.wait_for_selector("#tickets tr:has-text('处理中')")
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    # The 401s of the first "who am I?" and of the wrong password are expected; nothing else failed.
    assert [e for e in page.errors if "status of 401" not in e] == [], page.errors


def test_a_supervisor_sees_the_audit_log(desk, new_page):
    page = new_page()
    page.goto(desk)
    _log_in(page, LEAD)
    page.wait_for_selector("#audit tr")
    actions = page.inner_text("#audit")
    assert "login" in actions and "login_refused" in actions and "ticket_status" in actions
