"""The outbox: every reply reaches the gateway exactly once, through outages and restarts."""
from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.services.sms_outbox import OutboxConfig, OutboxWorker
from bot.store import sms as outbox
from bot.store.db import init_store
from bot.store.models import SmsStatus

from .sms_support import KNOWN_PHONE, UNKNOWN_PHONE, FakeClock, eventually, outbox_rows, worker_for

ROOT = Path(__file__).resolve().parents[2]


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def test_a_gateway_answering_503_is_retried_with_backoff_until_it_accepts(sms_server, gateway, store):
    gateway.failing_status = 503
    await sms_server.sms("你好")
    await eventually(lambda: len(gateway.requests) >= 3)
    [row] = outbox_rows(store)
    assert row.status == SmsStatus.PENDING.value and "HTTP 503" in row.last_error
    gateway.failing_status = None
    await eventually(lambda: gateway.accepted)
    await eventually(lambda: outbox_rows(store)[0].status == SmsStatus.SENT.value)
    assert gateway.texts_to(UNKNOWN_PHONE) == ["【示例证券】收到：你好"]
    assert gateway.repeats == []


async def test_backoff_doubles_between_attempts_up_to_the_cap(store, gateway, settings):
    clock = FakeClock()
    with store.session() as session, session.begin():
        outbox.enqueue(session, KNOWN_PHONE, "【示例证券】您好", clock())
    worker = OutboxWorker(store, OutboxConfig.from_settings(settings), clock=clock)  # base 0.05 s, cap 0.2 s
    gateway.failing_status = 503
    delays = []
    try:
        for _ in range(4):
            assert await worker.run_once() == 1
            row = outbox_rows(store)[0]
            delays.append(round((row.next_attempt_at - clock()).total_seconds(), 3))
            assert await worker.run_once() == 0  # not due before its time
            clock.now = row.next_attempt_at
    finally:
        await worker.stop()
    assert delays == [0.05, 0.1, 0.2, 0.2]
    assert len(gateway.requests) == 4


async def test_a_gateway_that_is_down_gets_the_reply_when_it_is_back(sms_server, gateway, store):
    await gateway.stop()  # connection refused
    await sms_server.sms("你好")
    await eventually(lambda: outbox_rows(store) and outbox_rows(store)[0].attempts >= 2)
    assert outbox_rows(store)[0].status == SmsStatus.PENDING.value
    await gateway.start()
    await eventually(lambda: gateway.accepted)
    assert gateway.texts_to(UNKNOWN_PHONE) == ["【示例证券】收到：你好"] and gateway.repeats == []


async def test_replies_pending_at_a_server_restart_are_sent_once_by_the_next_server(make_server, gateway, store, bot):
    await gateway.stop()
    first = await make_server()
    for text in ("一", "二", "三"):
        await first.sms(text, phone=KNOWN_PHONE)
    await eventually(lambda: len(outbox_rows(store)) == 3 and all(r.attempts >= 1 for r in outbox_rows(store)))
    await first.stop()
    await gateway.start()
    await make_server()  # a new channel instance with a new worker, same database
    await eventually(lambda: len(gateway.accepted) == 3)
    assert sorted(gateway.texts_to(KNOWN_PHONE)) == sorted(f"【示例证券】收到：{t}" for t in ("一", "二", "三"))
    assert sorted(gateway.accepted) == sorted(str(r.id) for r in outbox_rows(store))  # ref = outbox row id
    await asyncio.sleep(0.2)  # a few more polls: nothing is sent again
    assert len(gateway.requests) == 3 and bot.texts == ["一", "二", "三"]


async def test_a_standalone_worker_process_sends_what_the_server_queued(make_server, gateway, store, db_url, settings):
    server = await make_server(worker=False)
    await server.sms("你好")
    await server.sms("在吗")
    await server.channel.idle()
    assert [r.status for r in outbox_rows(store)] == ["pending", "pending"]
    env = {**os.environ, "DATABASE_URL": db_url, "SMS_GATEWAY_URL": gateway.url, "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # the second run finds nothing to send
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli.sms_outbox", "--once", env=env, cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, output.decode()
        assert UNKNOWN_PHONE not in output.decode()  # numbers are masked in the log
    assert len(gateway.requests) == 2 and len(gateway.accepted) == 2
    assert [r.status for r in outbox_rows(store)] == ["sent", "sent"]


async def test_two_workers_on_one_database_never_send_the_same_row(store, gateway, settings, db_url):
    with store.session() as session, session.begin():
        for n in range(40):
            outbox.enqueue(session, KNOWN_PHONE, f"【示例证券】第{n}条", _now())
    other_store = init_store(db_url)  # as a second process would open it
    workers = [worker_for(store, settings, batch_size=5), worker_for(other_store, settings, batch_size=5)]
    try:
        for worker in workers:
            await worker.start()
        await eventually(lambda: len(gateway.accepted) == 40, timeout=15)
        await asyncio.sleep(0.2)
    finally:
        for worker in workers:
            await worker.stop()
        other_store.dispose()
    assert len(gateway.requests) == 40 and gateway.repeats == []


async def test_a_worker_dying_after_the_gateway_accepted_causes_no_second_delivery(store, gateway, settings):
    """The gateway saw the message but the worker died before recording it: the lease expires, another
    worker sends it again with the same `ref`, and the gateway drops the repeat."""
    with store.session() as session, session.begin():
        row = outbox.enqueue(session, KNOWN_PHONE, "【示例证券】成交回报", _now())
    dying = worker_for(store, settings, lease=timedelta(seconds=0.3), timeout=0.2)

    def crash(message_id: int) -> None:
        raise RuntimeError("killed before mark_sent")

    dying._mark_sent = crash  # type: ignore[assignment]
    try:
        await dying.run_once()
    except RuntimeError:
        pass
    finally:
        await dying.stop()
    assert list(gateway.accepted) == [str(row.id)]
    assert outbox_rows(store)[0].status == SmsStatus.PENDING.value
    survivor = worker_for(store, settings)
    await survivor.start()
    try:
        await eventually(lambda: outbox_rows(store)[0].status == SmsStatus.SENT.value)
    finally:
        await survivor.stop()
    assert gateway.repeats == [str(row.id)] and gateway.texts_to(KNOWN_PHONE) == ["【示例证券】成交回报"]


async def test_a_message_the_gateway_rejects_as_invalid_is_not_retried(sms_server, gateway, store):
    gateway.failing_status = 400
    await sms_server.sms("你好")
    await eventually(lambda: outbox_rows(store) and outbox_rows(store)[0].status == SmsStatus.FAILED.value)
    await asyncio.sleep(0.2)
    assert len(gateway.requests) == 1


def test_the_send_timeout_must_be_shorter_than_the_lease():
    try:
        OutboxConfig(gateway_url="http://127.0.0.1:1/send", timeout=300)
    except ValueError:
        return
    raise AssertionError("a timeout longer than the lease was accepted")
