"""The action server goes down and comes back: the customer is told honestly, nothing false is
recorded, and the same conversation works again once it is back. Against the running `rasa run` of
this folder's session (REST channel, as credentials.yml mounts it); the action server is SIGKILLed."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from bot.channels.silent_turns import unavailable_text
from bot.kb import load_kb
from bot.store.db import init_store
from bot.store.models import Ticket

QUESTION = "印花税怎么收"


def _tickets(live_bot, sender: str) -> int:
    store = init_store(live_bot.store_url)
    try:
        with store.session() as session:
            return session.execute(select(func.count()).select_from(Ticket).where(Ticket.conversation_id == sender)).scalar_one()
    finally:
        store.dispose()


def test_with_the_action_server_down_the_customer_is_told_so_and_served_again_once_it_is_back(live_bot):
    sender = f"live-{uuid.uuid4().hex[:8]}"
    [answer] = live_bot.say(sender, QUESTION)  # (an HTTP error status would raise here)
    assert "印花税" in answer["text"] and "0.05%" in answer["text"]

    live_bot.stop_actions()
    try:
        honest = [{"recipient_id": sender, "text": unavailable_text()}]
        assert live_bot.say(sender, QUESTION) == honest  # not silence, not a 5xx, not a made-up answer
        assert live_bot.say(sender, "我要投诉，你们APP下单一直失败") == honest
        assert load_kb().service.hotline in honest[0]["text"]  # a human is reachable
        # A reply that needs no action server (a new customer's greeting) is still the bot's own.
        [greeting] = live_bot.say(f"live-{uuid.uuid4().hex[:8]}", "你好")
        assert greeting["text"] != unavailable_text() and greeting["buttons"]
    finally:
        live_bot.start_actions()

    assert _tickets(live_bot, sender) == 0  # nothing was recorded while the actions were away
    assert live_bot.say(sender, QUESTION) == [answer]
    started = " ".join(m.get("text", "") for m in live_bot.say(sender, "我要投诉，你们APP下单一直失败"))
    assert started and started != honest[0]["text"]
