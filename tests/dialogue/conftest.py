"""Whole conversations against the trained model, with the real action server on loopback
(bot.devtools.inprocess), on a temporary SQLite store."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from bot.devtools.inprocess import MODEL, ActionServer, InProcessBot, Turn

SECRET = "dialogue-test-secret-of-at-least-32-bytes"
# The reply to a message nobody understood; a test that expects it says so (`say(..., fallback=True)`).
NOT_UNDERSTOOD = "没有理解"



def pytest_collection_modifyitems(config, items):
    """Every test here needs the trained model (`make test` trains it first)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('dialogue') / 'bot.db'}"


@pytest.fixture(scope="session")
def action_server(store_url: str) -> Iterator[str]:
    server = ActionServer({"DATABASE_URL": store_url, "BOT_IDENTITY_SECRET": SECRET})
    yield server.url
    server.stop()


class Conversation:
    """One customer's conversation. `say` checks what every turn must do and returns the reply text.

    Every turn: at least one message, no message twice, the turn ends waiting for the customer
    (`action_listen`), at most one handoff requested, and no "not understood" unless the test expects
    it. `turn(...)` returns the whole `Turn` (actions, article, slots) for closer checks.
    """

    def __init__(self, bot: InProcessBot, store_url: str, customer: Optional[str] = None) -> None:
        self.bot = bot
        self.store_url = store_url
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.customer = customer
        self.turns: List[Turn] = []

    def _metadata(self) -> Optional[dict]:
        if not self.customer:
            return None
        from bot.common.identity import issue_token

        return {"customer_token": issue_token(self.customer, SECRET, ttl=3600)}

    def records(self) -> Dict[str, int]:
        """How many tickets, handoffs and retention cases this conversation has in the store."""
        from sqlalchemy import func, select

        from bot.store.db import init_store
        from bot.store.models import Handoff, RetentionCase, Ticket

        counts = {}
        with init_store(self.store_url).session() as session:
            for name, model in (("tickets", Ticket), ("handoffs", Handoff), ("retention_cases", RetentionCase)):
                counts[name] = session.execute(
                    select(func.count()).select_from(model).where(model.conversation_id == self.sender)).scalar_one()
        return counts

    def turn(self, text: str, *, fallback: bool = False) -> Turn:
        before = self.records()
        turn = self.bot.send(self.sender, text, self._metadata())
        self.turns.append(turn)
        written = {name: count - before[name] for name, count in self.records().items()}
        # A record only from the step that writes it, and at most one of each per turn.
        assert written["tickets"] <= (1 if turn.ran("action_submit_complaint") else 0), (written, turn.actions)
        assert written["retention_cases"] <= (1 if turn.retention_started else 0), (written, turn.actions)
        assert written["handoffs"] <= 1, (written, turn.actions)
        assert turn.messages, f"no reply to {text!r}: {turn.actions}"
        assert not turn.repeated_messages, f"repeated in one reply to {text!r}: {turn.repeated_messages}"
        assert turn.ended_listening, f"the turn did not end waiting for the customer: {turn.actions}"
        assert turn.actions.count("action_request_handoff") <= 1, turn.actions
        if not fallback:
            assert NOT_UNDERSTOOD not in turn.reply, f"{text!r} was not understood: {turn.reply}"
        return turn

    def say(self, text: str, *, fallback: bool = False) -> str:
        return self.turn(text, fallback=fallback).reply

    def slot(self, name: str):
        return self.bot.tracker(self.sender).get_slot(name)


@pytest.fixture(scope="session")
def bot(action_server: str) -> Iterator[InProcessBot]:
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test does)")
    driver = InProcessBot(action_server)
    yield driver
    driver.close()


@pytest.fixture
def conversation(bot: InProcessBot, store_url: str):
    """Factory: `conversation()` anonymous, `conversation("C0003")` identified."""
    return lambda customer=None: Conversation(bot, store_url, customer)
