"""The assist card in headless Chromium against the running assistant: an agent with a conversation
open pastes what a customer asked on the phone, reads the kb article with its source, inserts a
suggested reply into the reply box, and the insertion is recorded as used."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from bot.common.settings import DEMO_PASSWORDS
from bot.kb import load_kb
from bot.services import assist
from bot.store import handoffs
from bot.store.agents import demo_agents, seed_demo_agents

pytestmark = [pytest.mark.browser, pytest.mark.model]
# The demo passwords: the app may already have seeded its demo logins in this store (never reset).
AGENT = ("agent01", DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"])
ANSWER_TIMEOUT = 60_000  # ms


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_an_agent_pastes_a_question_reads_the_article_and_inserts_a_reply(full_stack, new_page):
    store = full_stack.web.store
    conversation = f"web-assist-{uuid.uuid4().hex[:8]}"
    with store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(AGENT[1], DEMO_PASSWORDS["BOT_DEMO_LEAD_PASSWORD"]))
        # Served before anyone other tests left waiting.
        handoffs.enqueue(session, conversation, datetime.now(timezone.utc), tier="platinum", priority=99,
                         reason="电话客户转在线")

    page = new_page(width=1280, height=900)
    page.goto(full_stack.web.url + "agent")
    page.fill("#login-name", AGENT[0])
    page.fill("#login-password", AGENT[1])
    page.click("#login button[type=submit]")
    page.click("#take-next")  # pauses the bot in that conversation through Rasa's API
    expect(page.locator("#current-id")).to_have_text(conversation, timeout=ANSWER_TIMEOUT)

    page.fill("#assist-text", "开户需要带哪些材料")
    page.click("#assist-form button[type=submit]")
    article = load_kb().article("open_documents")
    first = page.locator("#assist-articles li").first
    expect(first).to_contain_text(article.title, timeout=ANSWER_TIMEOUT)
    expect(first).to_contain_text(article.source)
    expect(first).to_contain_text(article.effective.isoformat())
    expect(page.locator("#assist-intents")).to_contain_text("faq")

    canned = page.locator("#assist-suggestions li[data-suggestion='canned:open_account']")
    expect(canned).to_contain_text("/开户")
    canned.locator("button.insert").click()
    text = next(r.text for r in load_kb().canned_replies if r.id == "open_account")
    expect(page.locator("#reply-text")).to_have_value(text)
    expect(page.locator("#assist-note")).to_contain_text("已插入")
    assert assist.feedback_counts(store)["canned:open_account"]["used"] == 1

    page.click("#hand-back")  # the bot answers this conversation again
    expect(page.locator("#current")).to_be_hidden()
    # The conversation had no customer message, so the card's own read of it was a 404; nothing else failed.
    assert [e for e in page.errors if "status of 404" not in e and "status of 401" not in e] == [], page.errors
