"""Several Rasa servers are one assistant: a conversation's state lives in the shared stores, not in a
process. Turns alternate between servers, and a server that dies between two turns costs nothing.

The last test kills a Rasa server: it stays last in this module (the others need both)."""
from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Dict, List

import aio_pika
from sqlalchemy import select

from bot.channels.silent_turns import unavailable_text
from bot.store.db import init_store
from bot.store.models import Ticket

from .conftest import BROKER_QUEUE, RABBITMQ_URL, Production

TICKET = re.compile(r"CP-\d{8}-\d{4}")


def text_of(messages: List[Dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def form_state(production: Production, sender: str, port: int) -> Dict:
    tracker = production.tracker(sender, port)
    return {"form": (tracker.get("active_loop") or {}).get("name"),
            "asking": tracker["slots"].get("requested_slot"), "slots": tracker["slots"]}


def tickets_of(production: Production, sender: str) -> List[Ticket]:
    store = init_store(production.store_url)
    try:
        with store.session() as session:
            return session.execute(select(Ticket).where(Ticket.conversation_id == sender)).scalars().all()
    finally:
        store.engine.dispose()


def test_a_complaint_alternating_between_two_rasa_servers_keeps_its_form_and_slots(production):
    first, second = production.rasa_ports
    sender = f"prod-{uuid.uuid4().hex[:10]}"

    production.say(sender, "我要投诉", port=first)
    # Each turn's state is read back from the *other* server: it comes from the shared tracker store.
    assert form_state(production, sender, second)["asking"] == "complaint_description"

    asked = text_of(production.say(sender, "你们的APP今天上午一直登录不上", port=second))
    assert "联系电话" in asked
    state = form_state(production, sender, first)
    assert state["form"] == "complaint_form" and state["asking"] == "complaint_contact"
    assert "登录不上" in state["slots"]["complaint_description"]

    summary = text_of(production.say(sender, "13900001111", port=first))
    assert "139****1111" in summary and "13900001111" not in summary and "登录不上" in summary
    state = form_state(production, sender, second)
    assert state["asking"] == "complaint_confirmed" and state["slots"]["complaint_contact"].startswith("sealed:")

    done = text_of(production.say(sender, "确认提交", port=second))
    ticket_id = TICKET.search(done).group(0)
    state = form_state(production, sender, first)
    assert state["form"] is None and state["slots"]["filed_ticket_id"] == ticket_id
    [ticket] = tickets_of(production, sender)
    assert ticket.id == ticket_id and ticket.category == "system_failure"
    assert ticket.contact_phone_raw == "13900001111"


def test_the_events_streamed_to_rabbitmq_keep_no_identifier(production):
    sender = f"prod-{uuid.uuid4().hex[:10]}"
    production.say(sender, "我要投诉，你们的APP今天上午一直登录不上")
    production.say(sender, "联系电话13900001111，邮箱zhang.san@example.com")

    # Rasa publishes in the background after each turn: wait until both messages and the summary are in.
    deadline, streamed, said = time.monotonic() + 30, [], []
    while time.monotonic() < deadline:
        streamed = production.streamed(sender)
        said = [e["text"] for e in streamed if e.get("event") == "user"]
        if len(said) >= 2 and any(e.get("event") == "bot" and "139****1111" in (e.get("text") or "")
                                  for e in streamed):
            break
        time.sleep(0.3)
    assert len(said) == 2 and "登录不上" in said[0], said
    assert "139****1111" in said[1] and "z***@example.com" in said[1], said  # masked as bot.common.privacy does
    everything = json.dumps(streamed, ensure_ascii=False)
    assert "139****1111" in everything
    for secret in ("13900001111", "zhang.san@example.com"):
        assert secret not in everything, secret
    assert asyncio.run(_queue_exists(BROKER_QUEUE))


async def _queue_exists(name: str) -> bool:
    """The queue exists (declared by the Rasa servers, as endpoints.production.yml asks); passive: not redeclared."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, passive=True)
        return True


def test_a_rasa_server_killed_between_two_turns_loses_nothing(production):
    sender = f"prod-{uuid.uuid4().hex[:10]}"
    before = len(production.upstreams())
    production.say(sender, "我要投诉，撤单一直没成功")
    assert "139****1111" in text_of(production.say(sender, "13900001111"))
    served = production.upstreams(at_least=before + 2)[before:]
    assert len(served) == 2 and len(set(served)) == 2, served  # nginx spread the turns over both

    # Kill the server nginx would send the next turn to (the one that took the first turn).
    next_port = int(served[0].rsplit(":", 1)[1])
    production.kill_rasa(next_port)
    survivor = next(port for port in production.rasa_ports if port != next_port)

    done = text_of(production.say(sender, "确认"))
    ticket_id = TICKET.search(done).group(0)
    assert production.upstreams(at_least=before + 3)[-1].endswith(f":{survivor}")
    [ticket] = tickets_of(production, sender)
    assert ticket.id == ticket_id and ticket.contact_phone_raw == "13900001111"
    # And the conversation goes on there, remembering the ticket it filed.
    assert re.search(r"待处理|处理中|已受理", text_of(production.say(sender, f"{ticket_id}进度怎么样")))


def test_with_redis_down_the_customer_is_told_honestly_and_served_again_once_it_is_back(production):
    """The lock store is down: no server can take the conversation's lock. The turn fails clearly and
    quickly (the honest "cannot handle it now" text with the hotline, no hang, no 5xx), and once
    Redis is back the same conversation goes on."""
    port = production.rasa_ports[0]
    sender = f"redis-{uuid.uuid4().hex[:8]}"
    assert production.say(sender, "印花税怎么收", port=port)
    production.redis.stop()
    try:
        started = time.monotonic()
        reply = production.say(sender, "开户要带什么", port=port)
        assert time.monotonic() - started < 20
        assert [m.get("text") for m in reply] == [unavailable_text()]
    finally:
        production.redis.start()
    answered = " ".join(m.get("text", "") for m in production.say(sender, "开户要带什么", port=port))
    assert "身份证" in answered and answered != unavailable_text()
