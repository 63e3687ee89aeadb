"""What a human agent does with a handoff: take it (the bot goes quiet), talk, hand it back.

The bot's silence uses Rasa's own pause/resume events on the conversation (through Rasa's HTTP API),
so it holds on every channel and every Rasa server sharing the tracker store.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional
from urllib.parse import quote

import aiohttp
import jwt

from bot.common.privacy import mask_text
from bot.common.sealing import is_sealed
from bot.common.settings import Settings
from bot.store import handoffs
from bot.store.db import Store


class RasaUnavailable(RuntimeError):
    pass


# A signed call to Rasa's API is good for this long: enough for one request, useless if it leaks.
API_CALL_LIFETIME_SECONDS = 60


def rasa_api_bearer(secret: str, *, now: Optional[float] = None) -> str:
    """The `Authorization` value for Rasa's HTTP API, started with `--jwt-secret RASA_TOKEN`.

    A short-lived JWT in a header rather than `?token=` in the URL: URLs end up in access logs and
    proxies, and Rasa's JWT check (sanic-jwt) also verifies the expiry.
    """
    issued = int(time.time() if now is None else now)
    claims = {"user": {"username": "agent-desk", "role": "admin"}, "iat": issued,
              "exp": issued + API_CALL_LIFETIME_SECONDS}
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class RasaConversations:
    """Rasa's conversation API (`rasa run --enable-api --jwt-secret …`)."""

    base_url: str
    token: str
    timeout: float = 10.0

    async def append(self, conversation_id: str, events: List[Dict], *, deliver: bool = False) -> None:
        url = f"{self.base_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/tracker/events"
        # A bot event is sent to the customer on the channel they last wrote on (Rasa runs the
        # "side effects" of appended events only when asked to).
        params = {"output_channel": "latest", "execute_side_effects": "true"} if deliver else {}
        headers = {"Authorization": rasa_api_bearer(self.token)}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(url, params=params, json=events, headers=headers) as response:
                    if response.status >= 300:
                        raise RasaUnavailable(f"Rasa answered {response.status}: {await response.text()}")
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(str(exc)) from exc

    async def tracker(self, conversation_id: str) -> Dict:
        """The conversation as Rasa keeps it (scrubbed by the tracker store), latest session only."""
        url = f"{self.base_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/tracker"
        headers = {"Authorization": rasa_api_bearer(self.token)}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.get(url, params={"include_events": "AFTER_RESTART"}, headers=headers) as response:
                    if response.status >= 300:
                        raise RasaUnavailable(f"Rasa answered {response.status}: {await response.text()}")
                    return await response.json()
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(str(exc)) from exc

    async def parse(self, text: str) -> Dict:
        """What the NLU makes of `text` (intent ranking, entities, the FAQ article ranking), without
        touching any conversation."""
        url = f"{self.base_url.rstrip('/')}/model/parse"
        headers = {"Authorization": rasa_api_bearer(self.token)}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                async with http.post(url, json={"text": text}, headers=headers) as response:
                    if response.status >= 300:
                        raise RasaUnavailable(f"Rasa answered {response.status}: {await response.text()}")
                    return await response.json()
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
    """The handoff does not exist, belongs to another conversation, or another agent holds it."""


def _held_by(session, handoff_id: int, conversation_id: str, agent: str) -> handoffs.Handoff:  # type: ignore[no-untyped-def]
    handoff = session.get(handoffs.Handoff, handoff_id)
    if (handoff is None or handoff.conversation_id != conversation_id or handoff.assigned_to != agent
            or handoff.status != handoffs.HandoffStatus.ASSIGNED.value):
        raise NotYourHandoff(f"handoff {handoff_id} is not {agent}'s for conversation {conversation_id!r}")
    return handoff


# A request older than this is from a customer long gone (the web chat closed, the call-back window
# over): it leaves the queue instead of being served.
STALE_AFTER = timedelta(hours=8)


async def take_next(store: Store, agent: str, rasa: RasaConversations,
                    now: Optional[datetime] = None) -> Optional[Taken]:
    """Assigns the head of the queue to `agent` and pauses the bot for that conversation."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        handoffs.expire_waiting(session, now - STALE_AFTER, now)
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


async def say(store: Store, agent: str, handoff_id: int, conversation_id: str, text: str,
              rasa: RasaConversations) -> None:
    """The agent's message reaches the customer on their channel: only in a handoff the agent holds."""
    with store.session() as session:
        _held_by(session, handoff_id, conversation_id, agent)
    await rasa.say(conversation_id, text)


async def hand_back(store: Store, agent: str, handoff_id: int, conversation_id: str, rasa: RasaConversations,
                    now: Optional[datetime] = None) -> None:
    """The agent is done: the bot answers again. The handoff must be this conversation's, held by `agent`."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        _held_by(session, handoff_id, conversation_id, agent)
    await rasa.resume(conversation_id)
    with store.session() as session, session.begin():
        handoffs.release(session, handoff_id, now)




@dataclass(frozen=True)
class WaitingView:
    handoff_id: int
    conversation_id: str
    tier: str
    reason: str
    status: str
    assigned_to: Optional[str]
    created_at: datetime


def queue_view(store: Store, limit: int = 200, now: Optional[datetime] = None) -> List[WaitingView]:
    """The active handoffs, in the order agents take them (tier priority, then waiting time)."""
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        handoffs.expire_waiting(session, now - STALE_AFTER, now)
        return [WaitingView(h.id, h.conversation_id, h.tier, h.reason, h.status, h.assigned_to, h.created_at)
                for h in handoffs.active(session, limit)]


@dataclass(frozen=True)
class TurnView:
    who: str  # customer / bot
    text: str
    intent: Optional[str] = None
    confidence: Optional[float] = None


@dataclass(frozen=True)
class HandoffPacket:
    """What an agent needs so as not to re-ask: why, what was said, what the bot understood and holds."""

    handoff_id: int
    conversation_id: str
    tier: str
    reason: str
    channel: Optional[str]
    wanted: List[str]  # the customer's last messages
    trail: List[TurnView]
    slots: Dict[str, str]
    open_form: Optional[str]


SEALED_SHOWN_AS = "已提供（加密保存）"


def packet_from_tracker(handoff: WaitingView, tracker: Dict, turns: int = 20) -> HandoffPacket:
    """The packet of a handoff from Rasa's tracker JSON (events are already scrubbed)."""
    trail: List[TurnView] = []
    channel = None
    for event in tracker.get("events") or []:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            trail.append(TurnView("customer", event.get("text") or "", intent.get("name"),
                                  round(float(intent.get("confidence") or 0.0), 2)))
            channel = event.get("input_channel") or channel
        elif event.get("event") == "bot" and event.get("text"):
            trail.append(TurnView("bot", event["text"]))
    slots = {}
    for name, value in (tracker.get("slots") or {}).items():
        if value in (None, "", [], False) or name in ("session_started_metadata", "requested_slot"):
            continue
        slots[name] = SEALED_SHOWN_AS if is_sealed(value) else mask_text(str(value))
    wanted = [t.text for t in trail if t.who == "customer" and t.text][-3:]
    return HandoffPacket(handoff.handoff_id, handoff.conversation_id, handoff.tier, handoff.reason, channel,
                         wanted, trail[-turns:], slots, (tracker.get("active_loop") or {}).get("name"))


async def packet(store: Store, handoff_id: int, rasa: RasaConversations) -> HandoffPacket:
    with store.session() as session:
        h = session.get(handoffs.Handoff, handoff_id)
        if h is None:
            raise NotYourHandoff(f"no handoff {handoff_id}")
        view = WaitingView(h.id, h.conversation_id, h.tier, h.reason, h.status, h.assigned_to, h.created_at)
    return packet_from_tracker(view, await rasa.tracker(view.conversation_id))
