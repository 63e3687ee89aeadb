"""The web chat against the real bot: action server, `rasa run` with the trained model, web app.

Set WEBCHAT_SCREENSHOTS=docs/screenshots to refresh the README's screenshots from this run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

ANSWER_TIMEOUT = 60_000  # ms: the first message also warms up the model's components


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_chat(new_page: Callable[..., Any], full_stack: Any, **viewport: Any) -> Any:
    page = new_page(**viewport)
    page.goto(full_stack.web.url)
    expect(page.locator("#connection-status")).to_be_hidden(timeout=ANSWER_TIMEOUT)
    return page


def ask(page: Any, text: str) -> None:
    before = page.locator("#messages .msg.bot").count()
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")
    expect(page.locator("#messages .msg.bot")).not_to_have_count(before, timeout=ANSWER_TIMEOUT)
    expect(page.locator("#typing")).to_be_hidden(timeout=ANSWER_TIMEOUT)


def bot_text(page: Any) -> str:
    return "\n".join(page.locator("#messages .msg.bot .bubble").all_inner_texts())


def test_guest_asks_a_fee_question_follows_up_and_keeps_the_history_on_reload(new_page, full_stack) -> None:
    page = open_chat(new_page, full_stack)

    ask(page, "买入1000股，每股10元，手续费多少")
    expect(page.locator("#messages .msg.bot .bubble").filter(has_text="5.10")).not_to_have_count(0, timeout=ANSWER_TIMEOUT)

    replies_before = page.locator("#messages .msg.bot").count()
    quick_replies = page.locator("#messages .quick-reply")
    if quick_replies.count():
        title = quick_replies.first.inner_text()
        quick_replies.first.click()
        expect(page.locator("#messages .msg.user .bubble").last).to_have_text(title)
    else:
        # No reply of the bot offers buttons yet: the always-present 转人工 button is the follow-up.
        page.click("#human-button")
        expect(page.locator("#messages .msg.user .bubble").last).to_have_text("转人工")
    expect(page.locator("#messages .msg.bot")).not_to_have_count(replies_before, timeout=ANSWER_TIMEOUT)
    expect(page.locator("#typing")).to_be_hidden(timeout=ANSWER_TIMEOUT)
    history = bot_text(page)

    page.reload()
    expect(page.locator("#connection-status")).to_be_hidden(timeout=ANSWER_TIMEOUT)

    expect(page.locator("#messages .msg.user .bubble").first).to_have_text("买入1000股，每股10元，手续费多少")
    assert bot_text(page) == history
    # The conversation goes on under the same session after the reload.
    ask(page, "谢谢")
    assert page.errors == []


def test_demo_login_as_platinum_customer_gets_the_tier_answer(
    new_page, full_stack, screenshot_dir: Optional[Path]
) -> None:
    page = open_chat(new_page, full_stack)
    expect(page.locator("#login-select option")).to_have_count(5, timeout=ANSWER_TIMEOUT)

    page.select_option("#login-select", "C0004")
    page.click("#login-button")
    expect(page.locator("#login-status")).to_have_text("已登录演示客户 C0004（白金卡）", timeout=ANSWER_TIMEOUT)
    ask(page, "我是什么等级")

    expect(page.locator("#messages .msg.bot .bubble").last).to_contain_text("白金", timeout=ANSWER_TIMEOUT)
    assert "先登录" not in bot_text(page)
    if screenshot_dir is not None:
        ask(page, "买入1000股，每股10元，手续费多少")
        page.screenshot(path=str(screenshot_dir / "webchat-desktop.png"))


def test_guest_is_asked_to_log_in_for_the_own_tier(new_page, full_stack) -> None:
    page = open_chat(new_page, full_stack)

    ask(page, "我是什么等级")

    assert "登录" in bot_text(page)


def test_phone_screenshot(new_page, full_stack, screenshot_dir: Optional[Path]) -> None:
    page = open_chat(new_page, full_stack, width=390, height=800, is_mobile=True, has_touch=True, device_scale_factor=2)
    ask(page, "买入1000股，每股10元，手续费多少")
    assert "5.10" in bot_text(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if screenshot_dir is not None:
        page.screenshot(path=str(screenshot_dir / "webchat.png"))


def test_an_agent_takes_over_in_the_desk_and_the_reply_reaches_the_web_chat(new_page, full_stack, screenshot_dir) -> None:
    from datetime import datetime, timezone

    from bot.common.settings import DEMO_PASSWORDS
    from bot.store import handoffs
    from bot.store.agents import demo_agents, seed_demo_agents

    store = full_stack.web.store
    customer = open_chat(new_page, full_stack)
    ask(customer, "我想开通创业板，需要什么条件")
    customer.click("#human-button")
    expect(customer.locator("#messages .msg.bot .bubble").filter(has_text="人工")).not_to_have_count(
        0, timeout=ANSWER_TIMEOUT)
    with store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"], ""))
        # Earlier tests' customers may still be queued: this test's is the newest.
        *earlier, ours = sorted(handoffs.waiting(session), key=lambda h: h.created_at)
        for handoff in earlier:
            handoffs.cancel(session, handoff.conversation_id, datetime.now(timezone.utc))

    agent = new_page(width=1280, height=900)
    agent.goto(full_stack.web.url + "agent")
    agent.fill("#login-name", "agent01")
    agent.fill("#login-password", DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"])
    agent.click("#login button[type=submit]")
    expect(agent.locator("#queue tr")).not_to_have_count(0)
    agent.click("#take-next")
    expect(agent.locator("#wanted")).to_contain_text("创业板", timeout=20_000)
    expect(agent.locator("#trail")).to_contain_text("request_human")

    agent.fill("#reply-text", "这只票我建议您买一点，下周肯定涨")
    agent.click("#reply button[type=submit]")
    expect(agent.locator("#flags")).to_be_visible()
    expect(agent.locator("#flag-text")).to_contain_text("预测价格或涨跌")
    agent.fill("#reply-text", "您好，我是坐席小王。开通创业板需要前20个交易日日均资产不低于10万元，并有24个月交易经验。")
    agent.fill("#override-reason", "")
    agent.click("#reply button[type=submit]")
    expect(agent.locator("#reply-note")).to_have_text("已发送", timeout=20_000)
    expect(customer.locator("#messages .msg.bot .bubble").filter(has_text="我是坐席小王")).to_have_count(
        1, timeout=20_000)
    assert "肯定涨" not in bot_text(customer)  # the flagged draft never reached the customer
    if screenshot_dir:
        agent.screenshot(path=str(screenshot_dir / "agent-desk.png"), full_page=True)
    agent.click("#hand-back")
    expect(agent.locator("#current")).to_be_hidden(timeout=20_000)
    ask(customer, "印花税是多少")  # the bot answers again
    # Expected: the first "who am I?" (401) and the flagged draft (409); nothing else failed.
    assert [e for e in agent.errors if "status of 401" not in e and "status of 409" not in e] == [], agent.errors


def _desk_login(new_page: Callable[..., Any], full_stack: Any, login: str, password: str) -> Any:
    desk = new_page(width=1280, height=900)
    desk.goto(full_stack.web.url + "agent")
    desk.fill("#login-name", login)
    desk.fill("#login-password", password)
    desk.click("#login button[type=submit]")
    expect(desk.locator("#desk")).to_be_visible()
    return desk


def test_a_customer_appears_live_in_the_inbox_rates_the_chat_and_the_supervisor_sees_it(
    new_page, full_stack, screenshot_dir
) -> None:
    import time

    from bot.common.settings import DEMO_PASSWORDS
    from bot.store.agents import demo_agents, seed_demo_agents

    with full_stack.web.store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"],
                                              DEMO_PASSWORDS["BOT_DEMO_LEAD_PASSWORD"]))
    lead = _desk_login(new_page, full_stack, "lead01", DEMO_PASSWORDS["BOT_DEMO_LEAD_PASSWORD"])
    customer = open_chat(new_page, full_stack)
    question = "融资融券开户要什么条件<img src=x onerror=alert(1)>"
    ask(customer, question)
    replied = time.monotonic()
    # The reply came first; the inbox shows the message (masked, as text) shortly after.
    row = lead.locator("#inbox tr").filter(has_text="融资融券开户要什么条件")
    expect(row).to_have_count(1, timeout=5_000)
    shown_after = time.monotonic() - replied
    assert shown_after < 3, shown_after
    assert lead.locator("#inbox img").count() == 0  # the payload stayed text
    expect(row).to_contain_text("网页")

    ask(customer, "好的谢谢，再见")
    rating = customer.locator("#messages .msg.csat")
    expect(rating).to_have_count(1, timeout=ANSWER_TIMEOUT)
    rating.locator("button", has_text="5 分").click()
    expect(rating).to_contain_text("谢谢您的评价", timeout=10_000)

    lead.select_option("#dash-days", "1")
    expect(lead.locator("#dash-tiles")).to_contain_text("5 / 5", timeout=10_000)
    expect(lead.locator("#chart-hours")).to_be_visible()
    assert lead.evaluate("typeof Chart") == "function"  # the vendored library, served locally
    # The same conversation (its last message now the goodbye) is shown as ended.
    expect(lead.locator("#inbox tr").filter(has_text="好的谢谢，再见")).to_contain_text("已结束", timeout=10_000)
    if screenshot_dir:
        lead.screenshot(path=str(screenshot_dir / "supervisor-dashboard.png"), full_page=True)
    # Allowed: a 409 while the goodbye that asked for the rating is being recorded (the page retries),
    # and the desk's first "who am I?" (401).
    assert [e for e in customer.errors if "status of 409" not in e] == []
    assert [e for e in lead.errors if "status of 401" not in e] == []
