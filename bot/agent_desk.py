"""What a human agent does with a handoff: take it (the bot goes quiet), talk, hand it back.

The bot's silence uses Rasa's own pause/resume events on the conversation (through Rasa's HTTP API),
so it holds on every channel and every Rasa server sharing the tracker store.
"""
from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, List, Optional
from urllib.parse import quote

import aiohttp

from bot import runtime
from bot.settings import get_settings
from bot.store import handoffs


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


def conversations() -> RasaConversations:
    settings = get_settings()
    return RasaConversations(settings.rasa_url, settings.rasa_token)


@dataclass(frozen=True)
class Taken:
    handoff_id: int
    conversation_id: str
    customer_id: Optional[str]
    tier: str


async def take_next(agent: str, rasa: RasaConversations, now: Optional[datetime] = None) -> Optional[Taken]:
    """Assigns the head of the queue to `agent` and pauses the bot for that conversation."""
    now = now or datetime.now(timezone.utc)
    store = runtime.store()
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


async def hand_back(handoff_id: int, conversation_id: str, rasa: RasaConversations,
                    now: Optional[datetime] = None) -> None:
    """The agent is done: the bot answers again."""
    now = now or datetime.now(timezone.utc)
    await rasa.resume(conversation_id)
    with runtime.store().session() as session, session.begin():
        handoffs.release(session, handoff_id, now)


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m bot.agent_desk next AGENT | say CONVERSATION TEXT | done HANDOFF CONVERSATION`."""
    parser = argparse.ArgumentParser(prog="python -m bot.agent_desk", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("next")
    take.add_argument("agent")
    say = commands.add_parser("say")
    say.add_argument("conversation")
    say.add_argument("text")
    done = commands.add_parser("done")
    done.add_argument("handoff", type=int)
    done.add_argument("conversation")
    args = parser.parse_args(argv)
    rasa = conversations()
    if args.command == "next":
        taken = asyncio.run(take_next(args.agent, rasa))
        print("nobody is waiting" if taken is None else f"handoff {taken.handoff_id}: {taken.conversation_id} ({taken.tier})")
    elif args.command == "say":
        asyncio.run(rasa.say(args.conversation, args.text))
    else:
        asyncio.run(hand_back(args.handoff, args.conversation, rasa))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
