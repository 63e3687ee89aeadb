"""What a human agent does with a handoff: take it (the bot goes quiet), talk, hand it back.

The bot's silence uses Rasa's own pause/resume events on the conversation (through Rasa's HTTP API),
so it holds on every channel and every Rasa server sharing the tracker store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot.common.settings import Settings
from bot.store import handoffs
from bot.store.db import Store


class RasaUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class RasaConversations:
    """Rasa's conversation API (`rasa run --enable-api --auth-token …`)."""

    base_url: str
    token: str
    timeout: float = 10.0

    async def append(self, conversation_id: str, events: List[Dict], *, deliver: bool = False) -> None:
        url = f"{self.base_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/tracker/events"
        params = {"token": self.token}
        if deliver:
            params["output_channel"] = "latest"  # a bot event is sent to the customer's channel
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(url, params=params, json=events) as response:
                    if response.status >= 300:
                        raise RasaUnavailable(f"Rasa answered {response.status}: {await response.text()}")
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(str(exc)) from exc

    async def pause(self, conversation_id: str) -> None:
        await self.append(conversation_id, [{"event": "pause"}])

    async def resume(self, conversation_id: str) -> None:
        await self.append(conversation_id, [{"event": "resume"}])

    async def say(self, conversation_id: str, text: str) -> None:
        await self.append(conversation_id, [{"event": "bot", "text": text}], deliver=True)


def conversations(settings: Settings) -> RasaConversations:
    return RasaConversations(settings.rasa_url, settings.rasa_token)


@dataclass(frozen=True)
class Taken:
    handoff_id: int
    conversation_id: str
    customer_id: Optional[str]
    tier: str


class NotYourHandoff(LookupError):
    """The handoff does not exist or belongs to another conversation."""


async def take_next(store: Store, agent: str, rasa: RasaConversations,
                    now: Optional[datetime] = None) -> Optional[Taken]:
    """Assigns the head of the queue to `agent` and pauses the bot for that conversation."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        handoff = handoffs.next_for_agent(session, agent, now)
        if handoff is None:
            return None
        taken = Taken(handoff.id, handoff.conversation_id, handoff.customer_id, handoff.tier)
    try:
        await rasa.pause(taken.conversation_id)
    except RasaUnavailable:
        # The customer must not be left with a silent agent and a bot that still answers: undo.
        with store.session() as session, session.begin():
            handoffs.release(session, taken.handoff_id, now, requeue=True)
        raise
    return taken


async def hand_back(store: Store, handoff_id: int, conversation_id: str, rasa: RasaConversations,
                    now: Optional[datetime] = None) -> None:
    """The agent is done: the bot answers again. The handoff must be this conversation's."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        handoff = session.get(handoffs.Handoff, handoff_id)
        if handoff is None or handoff.conversation_id != conversation_id:
            raise NotYourHandoff(f"handoff {handoff_id} is not conversation {conversation_id!r}'s")
    await rasa.resume(conversation_id)
    with store.session() as session, session.begin():
        handoffs.release(session, handoff_id, now)


