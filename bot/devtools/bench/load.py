"""Simulated customers on loopback: aiohttp clients running the scripted conversations.

A level is a number of customers, each holding one conversation at a time (a new sender id for each
script), pausing `think` seconds (±50%) between messages, for a fixed time. Latency and throughput
count the replies completed in the measured window, after a warm-up in which the customers start up
staggered; an error counts whenever it happens. Requests still in flight at the end are awaited, so
the next level starts on an idle server.
"""
from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import aiohttp

from bot.devtools.bench.conversations import SCRIPTS, Turn, capture

REQUEST_TIMEOUT_S = 30.0
BROKEN_REPLY = re.compile(r"Traceback|Internal Server Error|Exception")


@dataclass
class Target:
    """Where the customers send: the REST webhook, and `/model/parse` of one Rasa server."""
    webhook_url: str
    parse_url: str
    webhook_headers: Dict[str, str] = field(default_factory=dict)
    parse_headers: Dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    unexpected: int = 0
    error_kinds: Dict[str, int] = field(default_factory=dict)
    replies_total: int = 0  # every completed request, in the measured window or not

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


@dataclass
class Window:
    start: float
    end: float

    def counts(self, finished: float) -> bool:
        return self.start <= finished <= self.end


async def _post(session: aiohttp.ClientSession, url: str, body: dict, headers: Dict[str, str]):
    async with session.post(url, json=body, headers=headers) as response:
        status = response.status
        payload = await response.json(content_type=None) if status == 200 else await response.text()
        return status, payload


async def _customer(n: int, session: aiohttp.ClientSession, target: Target, think: float, window: Window,
                    tally: Tally, run: str) -> None:
    rng = random.Random(f"{run}-{n}")
    if think:  # customers arrive spread over the warm-up, not all in the same second
        await asyncio.sleep(rng.uniform(0, max(think, window.start - time.monotonic())))
    conversation = 0
    while time.monotonic() < window.end:
        script = SCRIPTS[(n + conversation) % len(SCRIPTS)]
        sender = f"bench-{run}-{n}-{conversation}"
        captured: Dict[str, str] = {}
        for turn in script.turns:
            if time.monotonic() >= window.end:
                return
            await _one_turn(session, target, sender, turn, captured, rng, window, tally)
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        conversation += 1


async def _one_turn(session: aiohttp.ClientSession, target: Target, sender: str, turn: Turn,
                    captured: Dict[str, str], rng: random.Random, window: Window, tally: Tally) -> None:
    started = time.monotonic()
    kind: Optional[str] = None
    reply = ""
    try:
        body = {"sender": sender, "message": turn.text(captured, rng)}
        status, payload = await _post(session, target.webhook_url, body, target.webhook_headers)
        if status != 200:
            kind = f"http {status}"
        elif not isinstance(payload, list) or not payload:
            kind = "empty reply"
        else:
            reply = "\n".join(str(message.get("text") or "") for message in payload if isinstance(message, dict))
            if BROKEN_REPLY.search(reply):
                kind = "broken reply"
    except asyncio.TimeoutError:
        kind = "timeout"
    except aiohttp.ClientError as error:
        kind = type(error).__name__
    finished = time.monotonic()
    tally.replies_total += 1
    capture(reply, captured)
    if kind:  # an error counts whenever it happens, warm-up and drain included
        tally.error(kind)
        return
    if not window.counts(finished):
        return
    tally.latencies_ms.append((finished - started) * 1000)
    if not re.search(turn.expect, reply):
        tally.unexpected += 1


async def _parser(n: int, session: aiohttp.ClientSession, target: Target, window: Window, tally: Tally,
                  run: str) -> None:
    rng = random.Random(f"{run}-parse-{n}")
    turns = [turn for script in SCRIPTS for turn in script.turns]
    while time.monotonic() < window.end:
        text = rng.choice(turns).text({}, rng)
        started = time.monotonic()
        kind = None
        try:
            status, payload = await _post(session, target.parse_url, {"text": text}, target.parse_headers)
            if status != 200 or not isinstance(payload, dict) or "intent" not in payload:
                kind = f"http {status}"
        except asyncio.TimeoutError:
            kind = "timeout"
        except aiohttp.ClientError as error:
            kind = type(error).__name__
        finished = time.monotonic()
        tally.replies_total += 1
        if kind:
            tally.error(kind)
        elif window.counts(finished):
            tally.latencies_ms.append((finished - started) * 1000)


async def run_level(target: Target, customers: int, think: float, seconds: float, warmup: float,
                    parse_only: bool = False) -> tuple:
    """Runs one level; returns (tally, measured seconds)."""
    tally = Tally()
    now = time.monotonic()
    window = Window(now + warmup, now + warmup + seconds)
    run = uuid.uuid4().hex[:6]
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if parse_only:
            jobs = [_parser(n, session, target, window, tally, run) for n in range(customers)]
        else:
            jobs = [_customer(n, session, target, think, window, tally, run) for n in range(customers)]
        await asyncio.gather(*jobs)
    return tally, seconds
