"""While a human agent has the conversation the bot stays quiet; handed back, it answers again."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.services.agent_desk import NotYourHandoff, RasaConversations, hand_back, take_next
from bot.store.db import init_store

TOKEN = "live-test-token"  # as in conftest.py


def test_bot_is_quiet_while_an_agent_has_the_conversation(live_bot):
    store = init_store(live_bot.store_url)
    try:
        sender = f"live-{uuid.uuid4().hex[:8]}"
        queued = " ".join(m.get("text", "") for m in live_bot.say(sender, "转人工"))
        assert "人工" in queued
        rasa = RasaConversations(live_bot.rasa_url, TOKEN)
        taken = asyncio.run(take_next(store, "agent", rasa))
        assert taken is not None and taken.conversation_id == sender
        assert live_bot.say(sender, "你好，在吗") == []  # the agent answers, not the bot
        # A handoff is handed back only for its own conversation.
        with pytest.raises(NotYourHandoff):
            asyncio.run(hand_back(store, taken.handoff_id, "someone-else", rasa))
        asyncio.run(hand_back(store, taken.handoff_id, sender, rasa))
        assert live_bot.say(sender, "印花税是多少")
    finally:
        store.dispose()
