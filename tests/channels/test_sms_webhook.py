"""The SMS webhook against a real Sanic server and a real fake gateway on loopback."""
from __future__ import annotations

import asyncio
import json
import logging

from bot.services.sms_render import segment_count
from bot.common.identity import verify_token
from bot.services.sms import sender_id

from .sms_support import (
    KNOWN_PHONE,
    SECRET,
    UNKNOWN_PHONE,
    eventually,
    inbound_count,
    sign,
)


def _raw(**fields):
    payload = {"msg_id": "m-1", "from": UNKNOWN_PHONE, "text": "你好", "ts": 1764000000, **fields}
    return json.dumps(payload, ensure_ascii=False).encode()


async def test_request_with_missing_or_wrong_signature_is_refused_and_nothing_is_processed(sms_server, store, bot, gateway):
    raw = _raw()
    assert (await sms_server.post_raw(raw, None)).status == 401
    assert (await sms_server.post_raw(raw, "")).status == 401
    assert (await sms_server.post_raw(raw, sign(raw, "another-secret"))).status == 401
    assert (await sms_server.post_raw(raw, sign(raw + b" "))).status == 401  # signed a different body
    assert (await sms_server.post_raw(raw, "不是十六进制")).status == 401
    await sms_server.channel.idle()
    assert inbound_count(store) == 0 and bot.received == [] and gateway.requests == []


async def test_request_with_the_right_signature_is_answered_by_sms(sms_server, gateway, bot):
    raw = _raw()
    response = await sms_server.post_raw(raw, sign(raw))
    assert response.status == 200
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == ["【示例证券】收到：你好"]
    assert bot.texts == ["你好"]


async def test_malformed_json_gets_a_polite_400(sms_server, store, bot):
    for raw in (b'{"msg_id": "m-1", "from": ', "[1, 2]".encode(), b"\xff\xfe", _raw(**{"from": "nobody"}), _raw(text=None)):
        async with sms_server._http.post(sms_server.url, data=raw, headers={"X-Signature": sign(raw)}) as response:
            assert response.status == 400
            answer = await response.json()
            assert answer["error"] == "bad request" and answer["detail"]
    missing = json.dumps({"from": UNKNOWN_PHONE, "text": "你好"}).encode()
    async with sms_server._http.post(sms_server.url, data=missing, headers={"X-Signature": sign(missing)}) as response:
        assert response.status == 400
        assert "msg_id" in (await response.json())["detail"]
    assert inbound_count(store) == 0 and bot.received == []


async def test_a_redelivered_msg_id_is_processed_once(sms_server, gateway, bot):
    answers = await asyncio.gather(*(sms_server.sms("你好", msg_id="gw-42") for _ in range(3)))
    assert sorted(a["status"] for a in answers) == ["accepted", "duplicate", "duplicate"]
    assert (await sms_server.sms("你好", msg_id="gw-42"))["status"] == "duplicate"
    await eventually(lambda: gateway.accepted)
    await sms_server.channel.idle()
    assert bot.texts == ["你好"]
    assert len(gateway.requests) == 1


async def test_the_webhook_answers_before_the_bot_has_finished(sms_server, gateway, bot):
    bot.gate = asyncio.Event()
    answer = await asyncio.wait_for(sms_server.sms("你好"), timeout=2)
    assert answer["status"] == "accepted"
    await eventually(lambda: bot.texts == ["你好"])  # the bot is working on it, nothing is sent yet
    assert not gateway.requests
    bot.gate.set()
    await eventually(lambda: gateway.accepted)


async def test_log_lines_never_show_a_phone_number(sms_server, gateway, bot, caplog):
    caplog.set_level(logging.DEBUG)
    gateway.failing_status = 503
    await sms_server.sms("你好", phone=KNOWN_PHONE)
    await eventually(lambda: len(gateway.requests) >= 2)
    gateway.failing_status = None
    bot.fail = True
    await sms_server.sms("再问", phone=KNOWN_PHONE)
    await sms_server.sms("TD", phone=KNOWN_PHONE)
    await eventually(lambda: len(gateway.accepted) == 3)
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("bot.")]
    assert any("138****0001" in line for line in lines)
    assert not any(KNOWN_PHONE in line for line in lines)


async def test_a_customer_on_file_is_identified_by_the_sender_number(sms_server, gateway, bot, settings):
    await sms_server.sms("我的佣金是多少", phone="+86 138-0000-0001")
    await sms_server.sms("我的佣金是多少", phone=UNKNOWN_PHONE)
    await sms_server.channel.idle()
    [known] = [m for m in bot.received if "customer_token" in m.metadata]
    [unknown] = [m for m in bot.received if m is not known]
    # The conversation is a keyed pseudonym of the number: the tracker store never sees the number.
    assert known.sender_id == sender_id(KNOWN_PHONE, settings.identity_secret) and known.input_channel == "sms"
    assert known.sender_id.startswith("sms:") and "0001" not in known.sender_id
    assert verify_token(known.metadata["customer_token"], settings.identity_secret, purpose="sms") == "C0001"
    assert verify_token(known.metadata["customer_token"], SECRET) is None  # signed with the identity secret
    assert unknown.sender_id == sender_id(UNKNOWN_PHONE, settings.identity_secret)
    assert unknown.sender_id != known.sender_id
    # Another secret, another pseudonym: it cannot be computed from the number alone.
    assert sender_id(KNOWN_PHONE, SECRET) != known.sender_id


async def test_numbered_options_round_trip_to_the_button_payloads(sms_server, gateway, bot):
    await sms_server.sms("菜单")
    menu = await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE))
    assert menu == ["【示例证券】请问要办理什么？回复1查询佣金；回复2转人工"]
    await sms_server.sms("2")
    await eventually(lambda: len(gateway.texts_to(UNKNOWN_PHONE)) == 2)
    assert bot.texts == ["菜单", "/request_human"]
    assert gateway.texts_to(UNKNOWN_PHONE)[1] == "【示例证券】正在为您转接人工客服。"
    # That reply had no options, so a later "2" is just text again.
    await sms_server.sms("2")
    await sms_server.channel.idle()
    assert bot.texts[-1] == "2"


async def test_a_number_outside_the_menu_is_passed_on_as_text(sms_server, bot):
    await sms_server.sms("菜单")
    await sms_server.channel.idle()
    await sms_server.sms("7")
    await sms_server.channel.idle()
    assert bot.texts == ["菜单", "7"]


async def test_the_menu_survives_a_server_restart(make_server, gateway, bot):
    first = await make_server()
    await first.sms("菜单", phone=KNOWN_PHONE)
    await eventually(lambda: gateway.texts_to(KNOWN_PHONE))
    await first.stop()
    second = await make_server()
    await second.sms("1", phone=KNOWN_PHONE)
    await eventually(lambda: len(gateway.texts_to(KNOWN_PHONE)) == 2)
    assert bot.texts == ["菜单", "/ask_my_commission"]


async def test_a_long_answer_stays_within_the_configured_parts(make_server, gateway):
    for sent, parts in enumerate((3, 1), start=1):
        server = await make_server(sms_max_parts=parts)
        await server.sms("长文")
        await eventually(lambda: len(gateway.accepted) == sent)
        await server.stop()
    three, one = gateway.texts_to(UNKNOWN_PHONE)
    assert segment_count(three) == 3 and segment_count(one) == 1
    assert three.endswith("详询热线95500") and one.endswith("详询热线95500")


async def test_all_messages_of_one_turn_become_one_sms(sms_server, gateway):
    await sms_server.sms("两条")
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == ["【示例证券】您好 请问有什么可以帮您？"]
    await sms_server.channel.idle()
    assert len(gateway.requests) == 1


async def test_when_the_bot_fails_the_customer_is_told_to_try_again(sms_server, gateway, bot):
    bot.fail = True
    await sms_server.sms("你好")
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == ["【示例证券】系统繁忙，请稍后再试或致电95500。"]


async def test_a_bot_that_is_not_ready_still_gets_the_customer_an_answer(sms_server, gateway, bot):
    bot.silent = True
    await sms_server.sms("你好")
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == ["【示例证券】系统繁忙，请稍后再试或致电95500。"]


async def test_health_route(sms_server):
    async with sms_server._http.get(sms_server.url.rsplit("/", 1)[0] + "/") as response:
        assert response.status == 200 and (await response.json()) == {"status": "ok"}
