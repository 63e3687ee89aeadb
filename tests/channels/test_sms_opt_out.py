"""TD/退订 opt-outs, proactive messages and the per-number rate limit."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.services.sms import is_opt_out, sender_id
from bot.services.sms_proactive import next_sending_time, send_proactive, sending_hours
from bot.services.sms_render import Option
from bot.store import sms as outbox
from bot.store.models import SmsStatus

from .sms_support import (
    KNOWN_PHONE,
    TEXTS,
    UNKNOWN_PHONE,
    FakeClock,
    eventually,
    outbox_rows,
    worker_for,
)

CONFIRMATION = "【示例证券】您已退订，我们将不再发送回访、调查等短信；如需咨询可直接回复或致电95500。"


@pytest.fixture
def anytime(settings):
    """Settings whose proactive sending hours are the whole day, so tests do not depend on the time."""
    return replace(settings, sms_proactive_hours="0-24")


def _proactive(store, settings, phone, text="请您对本次服务评价", **kwargs):
    with store.session() as session, session.begin():
        return send_proactive(session, phone, text, datetime.now(timezone.utc), settings=settings, texts=TEXTS, **kwargs)


@pytest.mark.parametrize("text", ["TD", "td", "Ｔｄ", "退订", " 退订。", "T", "回复TD", "TD退订"])
def test_carrier_opt_out_replies_are_recognised(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["TD是什么", "我不想退订", "1", "TDX", "转托管"])
def test_other_messages_are_not_opt_outs(text):
    assert not is_opt_out(text)


async def test_td_records_the_opt_out_and_is_confirmed_once(sms_server, gateway, store, bot):
    assert (await sms_server.sms("TD"))["status"] == "opted_out"
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [CONFIRMATION]
    assert (await sms_server.sms("退订"))["status"] == "opted_out"
    assert (await sms_server.sms("td"))["status"] == "opted_out"
    await sms_server.channel.idle()
    assert gateway.texts_to(UNKNOWN_PHONE) == [CONFIRMATION]
    assert bot.received == []  # the bot never sees the keyword
    with store.session() as session:
        assert outbox.is_opted_out(session, UNKNOWN_PHONE)


async def test_proactive_messages_are_refused_after_an_opt_out(sms_server, gateway, store, anytime):
    assert _proactive(store, anytime, KNOWN_PHONE) is not None
    await eventually(lambda: gateway.accepted)
    await sms_server.sms("退订", phone=KNOWN_PHONE)
    assert _proactive(store, anytime, KNOWN_PHONE, kind="survey") is None
    await eventually(lambda: len(gateway.accepted) == 2)
    survey, confirmation = gateway.texts_to(KNOWN_PHONE)
    assert survey == "【示例证券】请您对本次服务评价 回TD退订"  # a proactive message carries the opt-out method
    assert confirmation == CONFIRMATION
    assert len(outbox_rows(store)) == 2


async def test_a_proactive_message_queued_before_the_opt_out_is_not_sent(make_server, gateway, store, anytime):
    server = await make_server(worker=False)
    _proactive(store, anytime, KNOWN_PHONE, kind="follow_up")
    await server.sms("TD", phone=KNOWN_PHONE)
    worker = worker_for(store, anytime)
    try:
        await worker.drain()
    finally:
        await worker.stop()
    assert gateway.texts_to(KNOWN_PHONE) == [CONFIRMATION]
    follow_up = outbox_rows(store)[0]
    assert follow_up.status == SmsStatus.FAILED.value and follow_up.last_error == "recipient opted out"


async def test_a_customer_who_opted_out_still_gets_answers_to_own_questions(sms_server, gateway, bot):
    await sms_server.sms("TD")
    # The confirmation and the answer are independent sends: wait for the first before asking, or
    # under load the answer can reach the gateway first.
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [CONFIRMATION]
    await sms_server.sms("佣金多少")
    await eventually(lambda: len(gateway.texts_to(UNKNOWN_PHONE)) == 2)
    assert gateway.texts_to(UNKNOWN_PHONE)[1] == "【示例证券】收到：佣金多少"


async def test_proactive_options_map_numeric_answers_like_replies(sms_server, gateway, store, bot, anytime):
    _proactive(store, anytime, KNOWN_PHONE, text="您对本次服务满意吗？", options=[Option("满意", "/affirm"), Option("不满意", "/deny")])
    [survey] = await eventually(lambda: gateway.texts_to(KNOWN_PHONE))
    assert survey == "【示例证券】您对本次服务满意吗？回复1满意；回复2不满意 回TD退订"
    await sms_server.sms("2", phone=KNOWN_PHONE)
    await sms_server.channel.idle()
    assert bot.texts == ["/deny"]


async def test_proactive_messages_through_rasas_output_channel_respect_opt_outs(sms_server, gateway, store, bot):
    output = sms_server.channel.get_output_channel()
    sms_server.channel.settings = replace(sms_server.channel.settings, sms_proactive_hours="0-24")
    await sms_server.sms("你好", phone=KNOWN_PHONE)
    await sms_server.channel.idle()
    [known] = bot.received
    await output.send_response(known.sender_id, {"text": "您的工单已处理完毕。"})
    await sms_server.sms("TD", phone=UNKNOWN_PHONE)
    await output.send_response(sender_id(UNKNOWN_PHONE, sms_server.channel.settings.identity_secret),
                               {"text": "您的工单已处理完毕。"})
    # Rasa's API names conversations, not numbers: the old `sms:<phone>` form reaches nobody.
    await output.send_response(f"sms:{KNOWN_PHONE}", {"text": "不该发出"})
    await eventually(lambda: len(gateway.accepted) == 3)
    await sms_server.channel.idle()
    assert sorted(gateway.texts_to(KNOWN_PHONE)) == sorted(["【示例证券】收到：你好", "【示例证券】您的工单已处理完毕。回TD退订"])
    assert gateway.texts_to(UNKNOWN_PHONE) == [CONFIRMATION]


def test_proactive_messages_wait_for_the_sending_hours():
    hours = sending_hours("9-20")
    beijing_9pm = datetime(2026, 11, 25, 13, 0, tzinfo=timezone.utc)  # 21:00 in Beijing
    beijing_8am = datetime(2026, 11, 25, 0, 0, tzinfo=timezone.utc)
    beijing_10am = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
    assert next_sending_time(beijing_9pm, hours) == datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)
    assert next_sending_time(beijing_8am, hours) == datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    assert next_sending_time(beijing_10am, hours) == beijing_10am
    with pytest.raises(ValueError):
        sending_hours("20-9")


async def test_a_number_sending_too_fast_stops_getting_replies(make_server, gateway, bot):
    clock = FakeClock()
    server = await make_server(sms_rate_limit=3, sms_rate_window_seconds=60, clock=clock)
    answers = [(await server.sms(f"自动回复{n}"))["status"] for n in range(6)]
    assert answers == ["accepted"] * 3 + ["rate_limited"] * 3
    await eventually(lambda: len(gateway.accepted) == 3)
    await server.channel.idle()
    assert bot.texts == ["自动回复0", "自动回复1", "自动回复2"]
    # Other numbers are not affected, and an opt-out is honoured even while limited.
    assert (await server.sms("你好", phone=KNOWN_PHONE))["status"] == "accepted"
    assert (await server.sms("TD"))["status"] == "opted_out"
    # Once the window has passed the number is answered again.
    clock.advance(61)
    assert (await server.sms("还在吗"))["status"] == "accepted"
    await eventually(lambda: len(gateway.accepted) == 6)
