"""The chat page in headless Chromium against Rasa's socket.io channel with a scripted bot.

These need no trained model: they pin down what the page does with what the channel sends
(see `ScriptedRasa` in conftest.py for the scripted replies).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_chat(new_page: Callable[..., Any], stack: Dict[str, Any], **viewport: Any) -> Any:
    page = new_page(**viewport)
    page.goto(stack["web"].url)
    expect(page.locator("#connection-status")).to_be_hidden(timeout=TIMEOUT)
    return page


def ask(page: Any, text: str) -> None:
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")


def bot_bubbles(page: Any) -> Any:
    return page.locator("#messages .msg.bot .bubble")


def test_customer_question_gets_an_answer_after_a_typing_indicator(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)

    ask(page, "手续费怎么算")

    expect(page.locator("#messages .msg.user .bubble")).to_have_text(["手续费怎么算"])
    expect(page.locator("#typing")).to_be_visible(timeout=TIMEOUT)
    expect(bot_bubbles(page)).to_have_text(["收到：手续费怎么算"], timeout=TIMEOUT)
    expect(page.locator("#typing")).to_be_hidden()
    expect(page.locator("#composer-input")).to_have_value("")
    assert page.errors == []


def test_quick_reply_sends_its_payload_and_shows_its_title(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)
    ask(page, "有什么可以问")
    buttons = page.locator("#messages .quick-reply")
    expect(buttons).to_have_text(["交易时间", "印花税"], timeout=TIMEOUT)

    buttons.filter(has_text="印花税").click()

    expect(page.locator("#messages .msg.user .bubble").last).to_have_text("印花税")
    expect(bot_bubbles(page).last).to_have_text("收到：/faq_stamp_duty", timeout=TIMEOUT)
    expect(page.locator("#messages .quick-reply")).to_have_count(0)  # spent once answered


def test_bot_and_customer_text_is_never_rendered_as_html(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)

    ask(page, '<img src=x onerror="window.__injected=3">')
    ask(page, "标记")

    expect(bot_bubbles(page).last).to_contain_text("<b>粗体</b>", timeout=TIMEOUT)
    expect(page.locator("#messages .msg.user .bubble").first).to_have_text('<img src=x onerror="window.__injected=3">')
    assert page.locator("#messages img, #messages b").count() == 0
    assert page.evaluate("window.__injected") is None
    # Only the http(s) URL became a link, and a safe one; javascript: and ftp: stay text.
    links = page.locator("#messages a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://www.sse.com.cn/rules/")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    expect(links).to_have_text("https://www.sse.com.cn/rules/")  # the Chinese comma is not part of it
    expect(bot_bubbles(page).last).to_contain_text("javascript:window.__injected=2")


def test_reload_keeps_the_history_and_the_conversation(new_page, scripted_stack) -> None:
    rasa = scripted_stack["rasa"]
    page = open_chat(new_page, scripted_stack)
    ask(page, "第一句")
    expect(bot_bubbles(page)).to_have_text(["收到：第一句"], timeout=TIMEOUT)
    session_id = page.evaluate("JSON.parse(localStorage.getItem('hotline-webchat:v1:session_id'))")

    page.reload()
    expect(page.locator("#connection-status")).to_be_hidden(timeout=TIMEOUT)
    expect(bot_bubbles(page)).to_have_text(["收到：第一句"])
    ask(page, "第二句")

    expect(bot_bubbles(page)).to_have_text(["收到：第一句", "收到：第二句"], timeout=TIMEOUT)
    texts = {m.text: m.sender_id for m in rasa.received}
    assert texts["第一句"] == texts["第二句"] == session_id


def test_human_button_asks_for_an_agent(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)

    page.click("#human-button")

    expect(page.locator("#messages .msg.user .bubble")).to_have_text(["转人工"])
    expect(bot_bubbles(page)).to_have_text(["好的，正在为您转接人工客服，请稍候。"], timeout=TIMEOUT)


def test_new_conversation_clears_the_history_and_starts_a_new_session(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)
    ask(page, "旧对话")
    expect(bot_bubbles(page)).to_have_count(1, timeout=TIMEOUT)
    old_session = page.evaluate("JSON.parse(localStorage.getItem('hotline-webchat:v1:session_id'))")

    page.click("#new-chat-button")
    expect(bot_bubbles(page)).to_have_count(0)
    ask(page, "新对话")

    expect(bot_bubbles(page)).to_have_text(["收到：新对话"], timeout=TIMEOUT)
    new_session = page.evaluate("JSON.parse(localStorage.getItem('hotline-webchat:v1:session_id'))")
    assert new_session and new_session != old_session


def test_demo_login_sends_the_customer_token_with_every_message(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)
    ask(page, "我是什么等级")
    expect(bot_bubbles(page)).to_have_text(["您还没有登录。"], timeout=TIMEOUT)

    expect(page.locator("#login-select option")).to_have_count(5, timeout=TIMEOUT)
    page.select_option("#login-select", "C0004")
    page.click("#login-button")
    expect(page.locator("#login-status")).to_have_text("已登录演示客户 C0004（白金卡）", timeout=TIMEOUT)
    ask(page, "我是什么等级")

    expect(bot_bubbles(page)).to_have_text(["您是已登录客户 C0004。"], timeout=TIMEOUT)
    # The login survives a reload.
    page.reload()
    expect(page.locator("#login-status")).to_have_text("已登录演示客户 C0004（白金卡）", timeout=TIMEOUT)
    expect(page.locator("#login-select")).to_have_value("C0004")


def test_the_chat_works_with_the_keyboard_alone(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)

    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("有什么可以问")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    expect(page.locator("#messages .msg.user")).to_have_count(0)
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(page.locator("#messages .quick-reply")).to_have_count(2, timeout=TIMEOUT)

    # Quick replies are real buttons in the tab order, with a visible focus ring.
    page.locator("#messages .quick-reply").first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(bot_bubbles(page).last).to_have_text("收到：/faq_trading_hours", timeout=TIMEOUT)


def test_layout_fits_a_phone_screen(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack, width=360, height=740, is_mobile=True, has_touch=True)
    ask(page, "一段很长的问题" * 20)
    expect(bot_bubbles(page)).to_have_count(1, timeout=TIMEOUT)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("#human-button", "#send-button", "#composer-input"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, selector
    # The composer stays on screen under a long conversation.
    composer = page.locator("#composer").bounding_box()
    assert composer and composer["y"] + composer["height"] <= 740


def test_page_runs_under_its_content_security_policy_without_violations(new_page, scripted_stack) -> None:
    page = open_chat(new_page, scripted_stack)
    ask(page, "你好")
    expect(bot_bubbles(page)).to_have_count(1, timeout=TIMEOUT)
    assert not [e for e in page.errors if "Content Security Policy" in e]
