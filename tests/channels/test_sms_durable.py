"""Durable inbound SMS: the webhook acknowledges a message before its turn runs, so a server that
dies mid-turn must leave the message for another server (its sweep, or the gateway's redelivery),
and the customer gets exactly one reply in the end. Real Sanic servers on loopback, a real fake
gateway, one SQLite store shared by the servers as the production servers share PostgreSQL; the last
test kills a real process with SIGKILL."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.store.models import SmsInbound

from .sms_support import (
    IDENTITY_SECRET,
    SECRET,
    UNKNOWN_PHONE,
    FakeClock,
    eventually,
    free_port,
    sign,
)

ROOT = Path(__file__).resolve().parents[2]
SHORT_LEASE = 0.5  # seconds; a dead server's turns are taken over after this
ECHO = "【示例证券】收到：你好"
BUSY = "【示例证券】系统繁忙，请稍后再试或致电95500。"


def inbound_row(store, msg_id: str) -> SmsInbound:
    with store.session() as session:
        return session.execute(select(SmsInbound).where(SmsInbound.msg_id == msg_id)).scalar_one()


async def test_a_message_whose_server_died_mid_turn_is_answered_once_by_the_next_server(make_server, gateway, bot, store):
    bot.gate = asyncio.Event()  # the first server's turn never finishes
    first = await make_server(sms_turn_lease_seconds=SHORT_LEASE)
    assert (await first.sms("你好", msg_id="gw-1"))["status"] == "accepted"
    await eventually(lambda: bot.texts == ["你好"])
    await first.crash()
    assert gateway.requests == [] and inbound_row(store, "gw-1").status == "pending"

    bot.gate = None
    second = await make_server(sms_turn_lease_seconds=SHORT_LEASE)
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [ECHO]
    await asyncio.sleep(4 * SHORT_LEASE)  # several sweeps later: still one reply
    await second.channel.idle()
    assert bot.texts == ["你好", "你好"] and len(gateway.requests) == 1
    row = inbound_row(store, "gw-1")
    assert (row.status, row.text, row.attempts) == ("done", None, 2)  # the text is kept only while pending


async def test_a_redelivery_runs_an_unfinished_turn_only_once_its_lease_has_run_out(make_server, gateway, bot):
    clock = FakeClock()  # the servers' clock; their sweeps look every 10 s of real time, so only
    bot.gate = asyncio.Event()  # the redeliveries below can take the message over
    first = await make_server(clock=clock)
    await first.sms("你好", msg_id="gw-2")
    await eventually(lambda: bot.texts == ["你好"])
    await first.crash()

    bot.gate = None
    second = await make_server(clock=clock)
    # Still leased to the dead server: the gateway is told it is a duplicate.
    assert (await second.sms("你好", msg_id="gw-2"))["status"] == "duplicate"
    clock.advance(31)  # SMS_TURN_LEASE_SECONDS is 30 by default
    assert (await second.sms("你好", msg_id="gw-2"))["status"] == "resumed"
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [ECHO]
    # Answered now: later redeliveries are duplicates, however late.
    clock.advance(3600)
    assert (await second.sms("你好", msg_id="gw-2"))["status"] == "duplicate"
    assert await second.channel.sweep() == 0
    await second.channel.idle()
    assert bot.texts == ["你好", "你好"] and len(gateway.requests) == 1


async def test_an_answered_message_redelivered_gets_no_second_reply(make_server, gateway, bot):
    clock = FakeClock()
    server = await make_server(clock=clock)
    await server.sms("你好", msg_id="gw-3")
    await eventually(lambda: gateway.accepted)
    await server.channel.idle()
    for wait in (0, 31, 3600):
        clock.advance(wait)
        assert (await server.sms("你好", msg_id="gw-3"))["status"] == "duplicate"
        assert await server.channel.sweep() == 0
    await server.stop()
    restarted = await make_server(clock=clock)
    assert (await restarted.sms("你好", msg_id="gw-3"))["status"] == "duplicate"
    await restarted.channel.idle()
    assert bot.texts == ["你好"] and len(gateway.requests) == 1


async def test_two_servers_taking_over_the_same_turn_reply_once(make_server, gateway, bot):
    bot.gate = asyncio.Event()
    first = await make_server(sms_turn_lease_seconds=SHORT_LEASE)
    await first.sms("你好", msg_id="gw-4")
    await eventually(lambda: bot.texts == ["你好"])
    await first.crash()
    bot.gate = None
    survivors = await asyncio.gather(*(make_server(sms_turn_lease_seconds=SHORT_LEASE) for _ in range(2)))
    await eventually(lambda: gateway.accepted)
    await asyncio.sleep(4 * SHORT_LEASE)
    await asyncio.gather(*(server.channel.idle() for server in survivors))
    assert bot.texts == ["你好", "你好"] and gateway.texts_to(UNKNOWN_PHONE) == [ECHO]


async def test_a_turn_slower_than_its_lease_is_not_taken_over_while_its_server_lives(make_server, gateway, bot):
    lease = 1.0  # renewed every third of it: room for a busy machine's scheduling delays
    bot.gate = asyncio.Event()
    busy = await make_server(sms_turn_lease_seconds=lease)
    other = await make_server(sms_turn_lease_seconds=lease)
    await busy.sms("你好", msg_id="gw-5")
    await asyncio.sleep(3 * lease)  # the busy server renews its lease; the other keeps off
    assert (await other.sms("你好", msg_id="gw-5"))["status"] == "duplicate"
    bot.gate.set()
    await eventually(lambda: gateway.accepted)
    await asyncio.sleep(lease)
    assert bot.texts == ["你好"] and len(gateway.requests) == 1


async def test_a_server_stopping_hands_its_unfinished_turns_over_at_once(make_server, gateway, bot):
    bot.gate = asyncio.Event()
    first = await make_server()  # the default 30 s lease: only the hand-over explains a quick answer
    await first.sms("你好", msg_id="gw-6")
    await eventually(lambda: bot.texts == ["你好"])
    await first.channel.stop(grace=0.1)
    await first.stop()
    bot.gate = None
    await make_server()
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [ECHO]
    assert bot.texts == ["你好", "你好"]


async def test_a_message_that_keeps_killing_its_server_gets_the_busy_reply_in_the_end(make_server, gateway, bot, store):
    bot.gate = asyncio.Event()  # every server that runs this turn dies in it
    server = await make_server(sms_turn_lease_seconds=SHORT_LEASE)
    await server.sms("你好", msg_id="gw-7")
    for started in (1, 2, 3):
        await eventually(lambda: len(bot.received) == started)
        await server.crash()
        server = await make_server(sms_turn_lease_seconds=SHORT_LEASE)
    # Started three times without finishing: the fourth server answers "busy" instead of a fourth start.
    assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == [BUSY]
    await asyncio.sleep(3 * SHORT_LEASE)
    assert len(bot.received) == 3 and len(gateway.requests) == 1
    assert inbound_row(store, "gw-7").status == "done"


async def test_a_killed_process_loses_no_message(db_url, gateway, tmp_path):
    """SIGKILL while the turn runs; the next process started on the same database answers it once."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url, "BOT_IDENTITY_SECRET": IDENTITY_SECRET,
           "SMS_WEBHOOK_SECRET": SECRET, "SMS_GATEWAY_URL": gateway.url, "SMS_TURN_LEASE_SECONDS": "1",
           "SMS_OUTBOX_POLL_SECONDS": "0.1", "SMS_SIGNATURE": "【示例证券】"}

    logs = {}

    def start(hang: bool) -> subprocess.Popen:
        log = tmp_path / f"sms-{uuid.uuid4().hex[:6]}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "channels" / "sms_process.py"), str(port)],
                                       cwd=ROOT, env={**env, "SMS_TEST_HANG": "1" if hang else "0"},
                                       stdout=output, stderr=subprocess.STDOUT)
        logs[process.pid] = log
        return process

    def turn_started(process: subprocess.Popen) -> bool:
        return "turn started: gw-kill" in logs[process.pid].read_text(errors="replace")

    async def up(process: subprocess.Popen) -> bool:
        assert process.poll() is None, "the SMS process exited"
        try:
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/webhooks/sms/") as answer:
                return answer.status == 200
        except aiohttp.ClientError:
            return False

    raw = json.dumps({"msg_id": "gw-kill", "from": UNKNOWN_PHONE, "text": "你好", "ts": 1764000000},
                     ensure_ascii=False).encode()
    first = start(hang=True)
    second = None
    try:
        await _until(lambda: up(first), 60)
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{port}/webhooks/sms/webhook", data=raw, headers={"X-Signature": sign(raw)}) as answer:
            assert answer.status == 200 and (await answer.json())["status"] == "accepted"
        await eventually(lambda: turn_started(first))  # running, and never ending, in the first process
        first.kill()
        first.wait()
        assert gateway.requests == []

        second = start(hang=False)
        await _until(lambda: up(second), 60)
        replies = await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE), timeout=15)
        assert [text.replace("【示例证券】", "") for text in replies] == ["收到：你好"]
        await asyncio.sleep(2)  # a lease and more: nothing further is sent
        assert len(gateway.requests) == 1
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


async def _until(check, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the SMS process did not start"
        await asyncio.sleep(0.2)
