"""Actions run with rasa_sdk's real dispatcher and tracker against a real (temporary) store."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import runtime
from bot.store.db import init_store


@pytest.fixture
def store(tmp_path):
    opened = init_store(f"sqlite:///{tmp_path / 'bot.db'}")
    runtime.seed_demo_data(opened)
    runtime.use_store(opened)
    yield opened
    runtime.use_store(None)
    opened.dispose()


def make_tracker(text: str, intent: str, *, slots: Optional[Dict[str, Any]] = None,
                 entities: Optional[List[Dict]] = None, metadata: Optional[Dict] = None,
                 sender: str = "action-test") -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    events = [{"event": "user", "text": text, "parse_data": message}]
    return Tracker(sender, slots or {}, message, events, False, None, {}, "action_listen")


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.fixture
def tracker():
    """Factory: `tracker(text, intent, slots=..., metadata=...)`."""
    return make_tracker


@pytest.fixture
def said():
    """The texts a dispatcher collected, joined."""
    return texts
