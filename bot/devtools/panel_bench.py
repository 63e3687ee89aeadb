"""The panel's speed at branch scale (part of `make bench`): 10,000 conversations and 5,000 tickets
in a fresh store, the web app on a loopback port, and a logged-in supervisor asking for the inbox
and the ticket queue; plus how long a customer's message takes from Rasa's event broker to the
inbox list. Run: `python -m bot.devtools.panel_bench [--store URL] [--json PATH]`.
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from bot.common.settings import Settings
from bot.services import inbox
from bot.store import handoffs, tickets
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import init_store
from bot.tracking.brokers import BatchingSQLEventBroker
from bot.web.app import create_app

CONVERSATIONS = 10_000
TICKETS = 5_000
REQUESTS = 200
SECRET = "panel-bench-secret-at-least-32-bytes-long"
PASSWORD = "panel-bench-password"
INTENTS = ["ask_fees", "ask_trading_hours", "ask_account_opening", "nlu_fallback", "greet", "goodbye"]
CHANNELS = ["socketio", "sms", "rest"]
CATEGORIES = ["system_failure", "service_attitude", "fees_dispute", "other"]


def _user(sender: str, at: datetime, rng: random.Random) -> Dict[str, Any]:
    intent = rng.choice(INTENTS)
    return {"sender_id": sender, "event": "user", "timestamp": at.timestamp(), "text": f"第{rng.randint(1, 999)}个问题",
            "input_channel": rng.choice(CHANNELS), "parse_data": {"intent": {"name": intent, "confidence": rng.random()}}}


def seed(store_url: str, now: datetime) -> None:
    rng = random.Random(7)
    store = init_store(store_url)
    events = []
    for n in range(CONVERSATIONS):
        started = now - timedelta(minutes=rng.randint(0, 23 * 60))
        for turn in range(3):
            events.append(_user(f"bench-{n:05d}", started + timedelta(seconds=20 * turn), rng))
    for start in range(0, len(events), 3000):
        inbox.project(store, events[start:start + 3000])
    with store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(PASSWORD, PASSWORD))
        for n in range(TICKETS):
            created = now - timedelta(hours=rng.randint(0, 24 * 30))
            tickets.create_ticket(session, tickets.TicketDraft(
                idempotency_key=f"bench:{n}", conversation_id=f"bench-{n:05d}", category=rng.choice(CATEGORIES),
                severity="medium", priority="normal", sla_due_at=created + timedelta(hours=24), channel="web",
                description="APP下单失败"), created)
        for n in range(50):
            handoffs.enqueue(session, f"bench-{n:05d}", now - timedelta(minutes=n), tier="normal", priority=0,
                             reason="要人工")
    # A realistic mix: most tickets are done.
    with store.session() as session, session.begin():
        for ticket in tickets.list_tickets(session, limit=TICKETS)[: int(TICKETS * 0.9)]:
            tickets.transition(session, ticket.id, "resolved", "bench", now)
    store.dispose()


def _percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


async def measure(store_url: str, events_db: Path) -> Dict[str, Any]:
    store = init_store(store_url)
    settings = dataclasses.replace(Settings(), identity_secret=SECRET, demo_mode=True, rasa_url="http://127.0.0.1:9",
                                   rasa_token=SECRET, inbox_feed=True, event_source=f"sqlite:///{events_db}")
    broker = BatchingSQLEventBroker(db=str(events_db))
    runner = web.AppRunner(create_app(settings, demo_directory=lambda: {}, store=lambda: store))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    results: Dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:  # an IP host
            async with http.post(f"{base}/api/login", json={"login": "lead01", "password": PASSWORD}) as answer:
                assert answer.status == 200, await answer.text()
            for name, path in [("inbox", "/api/inbox"), ("inbox_fallback", "/api/inbox?flag=fallback"),
                               ("inbox_waiting", "/api/inbox?status=waiting&sort=waiting"),
                               ("ticket_queue", "/api/tickets"), ("ticket_queue_overdue", "/api/tickets?sla=overdue")]:
                times = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    async with http.get(base + path) as answer:
                        assert answer.status == 200, (path, answer.status)
                        await answer.read()
                    times.append(time.perf_counter() - started)
                results[name] = {"requests": REQUESTS, "p50_ms": _percentile(times, 0.5), "p95_ms": _percentile(times, 0.95)}
            delays = []
            for n in range(20):
                sender = f"bench-live-{n}"
                written = time.perf_counter()
                broker.publish_many([{"sender_id": sender, "event": "user", "timestamp": time.time(), "text": "在吗",
                                      "input_channel": "socketio",
                                      "parse_data": {"intent": {"name": "greet", "confidence": 0.99}}}])
                while True:
                    async with http.get(f"{base}/api/inbox?limit=5") as answer:
                        rows = await answer.json()
                    if any(r["conversation_id"] == sender for r in rows):
                        break
                    await asyncio.sleep(0.02)
                delays.append(time.perf_counter() - written)
            results["message_to_inbox"] = {"samples": len(delays), "p50_ms": _percentile(delays, 0.5),
                                           "max_ms": round(max(delays) * 1000, 1),
                                           "mean_ms": round(statistics.mean(delays) * 1000, 1)}
    finally:
        await runner.cleanup()
        store.dispose()
    return results


def run(store_url: str) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        seed(store_url, datetime.now(timezone.utc))
        seeded = round(time.perf_counter() - started, 1)
        results = asyncio.run(measure(store_url, Path(scratch) / "events.db"))
    results["seed_seconds"] = seeded
    results["conversations"], results["tickets"] = CONVERSATIONS, TICKETS
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.store or f"sqlite:///{Path(scratch) / 'panel-bench.db'}"
        results = run(url)
    for name in ("inbox", "inbox_fallback", "inbox_waiting", "ticket_queue", "ticket_queue_overdue"):
        r = results[name]
        print(f"bench: panel {name}, {CONVERSATIONS} conversations / {TICKETS} tickets, "
              f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms")
    live = results["message_to_inbox"]
    print(f"bench: panel message to inbox, p50 {live['p50_ms']} ms, max {live['max_ms']} ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
