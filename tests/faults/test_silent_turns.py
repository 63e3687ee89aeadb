"""A turn in which the bot says nothing gets an honest answer, unless an agent has the conversation.
Rasa's app with the REST channel on loopback; the agent behind it is a script with Rasa's own
in-memory tracker store (the full path, with the action server really down, is
tests/live/test_action_server_down.py)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import List

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.run import configure_app
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.rest import TrustedRestInput
from bot.channels.silent_turns import listen_again, unavailable_text
from bot.kb import load_kb
from tests.channels.sms_support import SmsServer


@dataclass
class QuietAgent:
    """Says what it is told to for each message: nothing, or raises like a broken pipeline."""

    tracker_store: InMemoryTrackerStore = field(default_factory=lambda: InMemoryTrackerStore(Domain.empty()))
    processor: object = None
    script: List[str] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        step = self.script.pop(0)
        if step == "answer":
            await message.output_channel.send_text_message(message.sender_id, "您好")
        elif step == "crash":
            raise RuntimeError("pipeline broke")


@pytest.fixture
async def rest():
    agent = QuietAgent()

    def build():  # type: ignore[no-untyped-def]
        app = configure_app(input_channels=[TrustedRestInput()], enable_api=False, route="/webhooks/", port=0)
        app.ctx.agent = agent
        return app

    server = SmsServer(None, app_factory=build)  # type: ignore[arg-type]
    await server.start()
    url = f"http://127.0.0.1:{server.port}/webhooks/rest/webhook"

    async def say(sender: str, text: str) -> list:
        async with aiohttp.ClientSession() as http, http.post(url, json={"sender": sender, "message": text}) as answer:
            assert answer.status == 200
            return await answer.json()

    yield agent, say
    await server.stop()


async def test_a_silent_or_broken_turn_is_answered_honestly_with_the_hotline(rest):
    agent, say = rest
    agent.script = ["silent", "crash", "answer"]
    honest = [{"recipient_id": "crm-1", "text": unavailable_text()}]
    assert await say("crm-1", "印花税怎么收") == honest
    assert await say("crm-1", "印花税怎么收") == honest
    assert await say("crm-1", "你好") == [{"recipient_id": "crm-1", "text": "您好"}]  # a real answer is left alone
    assert load_kb().service.hotline in honest[0]["text"]


async def test_while_an_agent_has_the_conversation_the_bot_stays_quiet(rest):
    agent, say = rest
    sender = f"crm-{uuid.uuid4().hex[:6]}"
    await agent.tracker_store.save(DialogueStateTracker.from_events(sender, [ConversationPaused()]))
    agent.script = ["silent", "silent"]
    assert await say(sender, "在吗") == []
    assert await say("crm-other", "在吗") == [{"recipient_id": "crm-other", "text": unavailable_text()}]


def test_a_turn_stopped_by_the_circuit_breaker_ends_waiting_for_the_customer():
    tracker = DialogueStateTracker.from_events("crm-2", [ActionExecuted("action_default_fallback")] * 10)
    listen_again(tracker, None, None)
    assert tracker.latest_action_name == "action_listen"
