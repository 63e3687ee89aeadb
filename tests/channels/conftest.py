"""SMS channel fixtures: a temporary SQLite store, the fake gateway, the channel served by Sanic.

The test doubles themselves live in `sms_support.py`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, List, Optional

import pytest

from bot.channels.sms import SmsInput
from bot.kb.sms import SmsTexts
from bot.common.settings import Settings
from bot.store.customers import seed_demo_customers
from bot.store.db import Store, init_store

from .sms_support import IDENTITY_SECRET, KNOWN_PHONE, SECRET, TEXTS, FakeGateway, ScriptedBot, SmsServer


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sms.db'}"


@pytest.fixture
def store(db_url: str) -> Store:
    opened = init_store(db_url)
    with opened.session() as session, session.begin():
        customer = {"id": "C0001", "name": "张伟", "tier": "normal", "phone": KNOWN_PHONE, "commission_rate": "0.00025"}
        seed_demo_customers(session, [customer])
    yield opened
    opened.dispose()


@pytest.fixture
async def gateway() -> FakeGateway:
    fake = FakeGateway()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings(db_url: str, gateway: FakeGateway) -> Settings:
    # Fast clocks: backoff from 50 ms, polling every 50 ms, so outage tests take well under a second.
    return Settings(
        database_url=db_url,
        identity_secret=IDENTITY_SECRET,
        sms_webhook_secret=SECRET,
        sms_gateway_url=gateway.url,
        sms_signature="【示例证券】",
        sms_max_parts=3,
        sms_outbox_worker=True,
        sms_outbox_poll_seconds=0.05,
        sms_backoff_base_seconds=0.05,
        sms_backoff_max_seconds=0.2,
        sms_max_attempts=100,
        sms_send_timeout_seconds=2,
        sms_rate_limit=10,
        sms_rate_window_seconds=600,
    )


@pytest.fixture
def bot() -> ScriptedBot:
    return ScriptedBot()


@pytest.fixture
async def make_server(store: Store, settings: Settings, bot: ScriptedBot):
    """Builds and starts SmsServers (several may run one after the other on the same database)."""
    started: List[SmsServer] = []

    async def make(
        *, worker: bool = True, texts: Optional[SmsTexts] = TEXTS, clock: Any = None, **overrides: Any
    ) -> SmsServer:
        extra = {"clock": clock} if clock is not None else {}
        channel = SmsInput(replace(settings, **overrides), store, texts=texts, outbox_worker=worker, **extra)
        server = SmsServer(channel, bot)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        await server.stop()


@pytest.fixture
async def sms_server(make_server) -> SmsServer:
    return await make_server()
