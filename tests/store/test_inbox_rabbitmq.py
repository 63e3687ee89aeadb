"""The production feed: Rasa's own `pika` broker publishes to RabbitMQ (running here), the inbox
consumes the queue and acknowledges only what it has projected."""
from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.core.events import UserUttered

from bot.services import event_feed, inbox
from bot.store.db import Store
from bot.tracking.stores import streamed_event

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"


def said(sender: str, text: str) -> dict:
    event = UserUttered(text, intent={"name": "ask_fees", "confidence": 0.9}, input_channel="sms",
                        timestamp=time.time())
    return streamed_event(event.as_dict(), sender)


async def _queue_depth(name: str) -> int:
    connection = await aio_pika.connect_robust(RABBITMQ)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, durable=True, passive=True)
        return queue.declaration_result.message_count


async def test_events_from_rasas_pika_broker_reach_the_inbox_and_are_acknowledged(engine, sessions) -> None:
    store = Store(engine=engine, sessions=sessions)
    queue = f"bot_events_test_{uuid.uuid4().hex[:8]}"
    broker = PikaEventBroker("127.0.0.1", "guest", "guest", queues=[queue], raise_on_failure=True)
    await broker.connect()
    try:
        for n in range(3):
            broker.publish(said("sms:pseudo1", f"第{n}条，印花税多少"))
        feed = asyncio.create_task(event_feed.follow_rabbitmq(store, RABBITMQ, queue))
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                rows = inbox.view(store, inbox.InboxFilter())
                if rows and rows[0].customer_turns == 3:
                    break
                await asyncio.sleep(0.1)
            [row] = inbox.view(store, inbox.InboxFilter())
            assert (row.conversation_id, row.channel, row.customer_turns) == ("sms:pseudo1", "sms", 3)
            await asyncio.sleep(0.3)
            assert await _queue_depth(queue) == 0  # all acknowledged once projected
        finally:
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)
    finally:
        await broker.close()
        connection = await aio_pika.connect_robust(RABBITMQ)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
