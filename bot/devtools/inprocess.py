"""The trained assistant in process, with the real action server on loopback, turn by turn.

The Rasa agent runs on a background event loop (so callers stay plain functions); the action server
runs as a subprocess exactly as `make run` starts it. Each turn is returned with what it did — the
messages, the actions run, the article that answered, the slots after it — so that tests and the
out-of-distribution evaluation judge the whole turn, not a fragment of its text.
"""
from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_run_of_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (scripts/production.sh numbers servers
    from a base).

    Below Linux's ephemeral range (32768+): there, an outgoing connection of any process may take the
    port between our check and the server's bind.
    """
    for _ in range(200):
        base = random.randrange(20000, 32768 - count)
        socks = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


def wait_for(url: str, timeout: float, proc: Optional[subprocess.Popen] = None) -> None:
    """Until `url` answers; a process that exits first is reported at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


# The action server's token in tests and evaluations (at least 32 bytes, not a demo value).
ACTION_TOKEN = "in-process-action-token-of-at-least-32-bytes"
ACTION_TOKEN_HEADER = "X-Action-Token"


class ActionServer:
    """`python -m bot.cli.action_server` (as `make run` starts it) on a free loopback port."""

    def __init__(self, env: Dict[str, str]) -> None:
        self.port = free_port()
        self.token = ACTION_TOKEN
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.action_server"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "ACTION_SERVER_HOST": "127.0.0.1",
                           "ACTION_SERVER_PORT": str(self.port), "ACTION_SERVER_TOKEN": self.token, **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            wait_for(f"http://127.0.0.1:{self.port}/health", timeout=90)
        except RuntimeError:
            self.proc.kill()
            raise RuntimeError(self.proc.stderr.read().decode(errors="replace")[-3000:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@dataclass
class Turn:
    """One customer message and everything the assistant did in reply."""

    text: str
    intent: Optional[str]
    confidence: float
    article_confidence: float
    messages: List[Dict[str, Any]]
    actions: List[str]
    articles: List[str]
    slots: Dict[str, Any]
    active_loop: Optional[str]
    events: List[Dict[str, Any]] = field(repr=False)

    @property
    def reply(self) -> str:
        """Every message's text and button titles, one per line."""
        parts: List[str] = []
        for m in self.messages:
            if m.get("text"):
                parts.append(m["text"])
            parts.extend(str(b.get("title", "")) for b in m.get("buttons") or [])
        return "\n".join(parts)

    @property
    def article(self) -> Optional[str]:
        return self.articles[-1] if self.articles else None

    def ran(self, action: str) -> bool:
        """The action ran, or a custom action sent that domain response (`utter_…`)."""
        return action in self.actions or action in self.responses

    @property
    def responses(self) -> List[str]:
        return [(e.get("metadata") or {}).get("utter_action") for e in self.events
                if e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action")]

    @property
    def ended_listening(self) -> bool:
        return bool(self.actions) and self.actions[-1] == "action_listen"

    @property
    def repeated_messages(self) -> List[str]:
        texts = [m.get("text") for m in self.messages if m.get("text")]
        return sorted({t for t in texts if texts.count(t) > 1})

    @property
    def complaint_filed_start(self) -> bool:
        """A complaint form was started this turn (not a clarifying question or a lament)."""
        return self.ran("complaint_form") and self.ran("action_complaint_start")

    @property
    def retention_started(self) -> bool:
        """A retention case was opened (not a clarifying question)."""
        return self.ran("action_retention_start") and self.slots.get("retention_stage") != "clarify"

    @property
    def handoff_requested(self) -> bool:
        return self.ran("action_request_handoff")


def _endpoints() -> Dict[str, Any]:
    import yaml

    return yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))


class InProcessBot:
    """Drives the in-process agent from synchronous code."""

    def __init__(self, action_url: str, model: Path = MODEL, token: str = ACTION_TOKEN) -> None:
        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints
        from rasa.utils.endpoints import EndpointConfig

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        # The tracker store of endpoints.yml, as `make run` uses it (it scrubs what it keeps).
        endpoints = AvailableEndpoints(action=EndpointConfig(url=action_url, headers={ACTION_TOKEN_HEADER: token}),
                                       tracker_store=EndpointConfig.from_dict(_endpoints()["tracker_store"]))
        self.agent = self._run(load_agent(model_path=str(model), endpoints=endpoints))

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)

    def send(self, sender: str, text: str, metadata: Optional[Dict] = None) -> Turn:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        before = len(self.tracker(sender).events) if self.tracker(sender) is not None else 0
        output = CollectingOutputChannel()
        self._run(self.agent.handle_message(UserMessage(text, output, sender, metadata=metadata)))
        tracker = self.tracker(sender)
        events = [e.as_dict() for e in list(tracker.events)[before:]]
        user_at = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        turn_events = events[user_at + 1:]
        parsed = events[user_at].get("parse_data") or {} if user_at >= 0 else {}
        selected = ((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return Turn(
            intent=(parsed.get("intent") or {}).get("name"),
            confidence=float((parsed.get("intent") or {}).get("confidence") or 0.0),
            article_confidence=float(selected.get("confidence") or 0.0),
            text=text,
            messages=output.messages,
            actions=[e["name"] for e in turn_events if e.get("event") == "action"],
            articles=[e["metadata"]["kb_article"] for e in turn_events
                      if e.get("event") == "bot" and (e.get("metadata") or {}).get("kb_article")],
            slots=tracker.current_slot_values(),
            active_loop=tracker.active_loop_name,
            events=turn_events,
        )

    def tracker(self, sender: str):
        return self._run(self.agent.tracker_store.retrieve(sender))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


def running(env: Dict[str, str]) -> Iterator[InProcessBot]:
    """An action server and the in-process bot, stopped afterwards (a generator for `with`-less use)."""
    server = ActionServer(env)
    try:
        bot = InProcessBot(server.url)
        try:
            yield bot
        finally:
            bot.close()
    finally:
        server.stop()
