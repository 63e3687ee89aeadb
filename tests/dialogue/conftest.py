"""Whole conversations against the trained model, with the real action server on loopback.

The Rasa agent runs in-process on a background event loop (so tests stay plain functions); the
action server runs as a subprocess exactly as `make run` starts it, on a temporary SQLite store.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
SECRET = "dialogue-test-secret-of-at-least-32-bytes"



def pytest_collection_modifyitems(config, items):
    """Every test here needs the trained model (`make test` trains it first)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.model)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('dialogue') / 'bot.db'}"


@pytest.fixture(scope="session")
def action_server(store_url: str) -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=store_url, BOT_IDENTITY_SECRET=SECRET, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/health", timeout=60)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(proc.stderr.read().decode(errors="replace")[-3000:])
    yield f"http://127.0.0.1:{port}/webhook"
    proc.terminate()
    proc.wait(timeout=10)


class Bot:
    """Drives the in-process agent from synchronous tests."""

    def __init__(self, action_url: str) -> None:
        from rasa.core.agent import load_agent
        from rasa.core.utils import AvailableEndpoints
        from rasa.utils.endpoints import EndpointConfig

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        endpoints = AvailableEndpoints(action=EndpointConfig(url=action_url))
        self.agent = self._run(load_agent(model_path=str(MODEL), endpoints=endpoints))

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=120)

    def send(self, sender: str, text: str, metadata: Optional[Dict] = None) -> List[Dict]:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender, metadata=metadata)
        self._run(self.agent.handle_message(message))
        return output.messages

    def tracker(self, sender: str):
        return self._run(self.agent.tracker_store.retrieve(sender))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


class Conversation:
    """One customer's conversation; `say` returns all reply texts and button titles joined."""

    def __init__(self, bot: Bot, customer: Optional[str] = None) -> None:
        self.bot = bot
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.customer = customer
        self.replies: List[List[Dict]] = []

    def _metadata(self) -> Optional[Dict]:
        if not self.customer:
            return None
        from bot.identity import issue_token

        return {"customer_token": issue_token(self.customer, SECRET, ttl=3600)}

    def say(self, text: str) -> str:
        messages = self.bot.send(self.sender, text, self._metadata())
        self.replies.append(messages)
        parts: List[str] = []
        for m in messages:
            if m.get("text"):
                parts.append(m["text"])
            parts.extend(str(b.get("title", "")) for b in m.get("buttons") or [])
        return "\n".join(parts)

    def slot(self, name: str):
        return self.bot.tracker(self.sender).get_slot(name)


@pytest.fixture(scope="session")
def bot(action_server: str) -> Iterator[Bot]:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test does)")
    driver = Bot(action_server)
    yield driver
    driver.close()


@pytest.fixture
def conversation(bot: Bot):
    """Factory: `conversation()` anonymous, `conversation("C0003")` identified."""
    return lambda customer=None: Conversation(bot, customer)
