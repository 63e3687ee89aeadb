"""The SMS channel as Rasa runs it: loaded from credentials.yml, mounted by `configure_app`.

The last test goes through the trained assistant and the real action server (marked `model`).
"""
from __future__ import annotations

import asyncio
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from rasa.core.run import configure_app, create_http_input_channels

from rasa.shared.core.events import ConversationPaused

from bot.channels.sms import SmsInput
from bot.services.sms import sender_id
from bot.store.models import SmsInbound
from bot.kb.render import render_for_channel
from bot.devtools.inprocess import ACTION_TOKEN, ACTION_TOKEN_HEADER
from bot.services.sms_render import segment_count
from bot.kb import load_kb
from bot.store.customers import seed_demo_customers

from .sms_support import IDENTITY_SECRET, TEXTS, UNKNOWN_PHONE, SmsServer, eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"


class _Agent:
    """What `rasa.core.channels.channel.register` expects at `app.ctx.agent`."""

    def __init__(self, handle, tracker_store=None) -> None:
        self.handle_message = handle
        self.tracker_store = tracker_store


def _sms_channel_from_credentials() -> SmsInput:
    channels = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    [channel] = [c for c in channels if isinstance(c, SmsInput)]
    return channel


def _rasa_app(channel: SmsInput, handle, tracker_store=None):
    def build():
        app = configure_app(input_channels=[channel], enable_api=False, route="/webhooks/", port=0)
        app.ctx.agent = _Agent(handle, tracker_store)
        return app

    return build


async def _served_by_rasa(channel: SmsInput, handle, tracker_store=None) -> SmsServer:
    server = SmsServer(channel, app_factory=_rasa_app(channel, handle, tracker_store))
    await server.start()
    return server


async def test_credentials_yml_mounts_the_channel_at_webhooks_sms_webhook(store, settings, gateway, bot):
    channel = _sms_channel_from_credentials()
    assert channel.name() == "sms"
    # The credentials entry carries no settings: they come from the environment (here: the test's).
    channel.settings, channel._store, channel._texts = settings, store, TEXTS
    channel.outbox_config = replace(channel.outbox_config, gateway_url=gateway.url, poll_interval=0.05)
    server = await _served_by_rasa(channel, bot)
    try:
        assert server.url.endswith("/webhooks/sms/webhook")
        assert (await server.sms("你好"))["status"] == "accepted"
        assert await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE)) == ["【示例证券】收到：你好"]
        assert bot.received[0].input_channel == "sms"
    finally:
        await server.stop()


@pytest.fixture
async def action_server(db_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "BOT_IDENTITY_SECRET": IDENTITY_SECRET, "PYTHONPATH": str(ROOT),
           "ACTION_SERVER_PORT": str(port), "ACTION_SERVER_TOKEN": ACTION_TOKEN}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli.action_server",
        cwd=str(ROOT), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    import aiohttp

    async def healthy() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/health") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    deadline = asyncio.get_running_loop().time() + 90
    while not await healthy():
        if process.returncode is not None or asyncio.get_running_loop().time() > deadline:
            process.kill()
            pytest.fail("the action server did not start")
        await asyncio.sleep(0.3)
    yield f"http://127.0.0.1:{port}/webhook"
    process.terminate()
    await process.wait()


@pytest.mark.model
@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL}: run `make train`")
async def test_sms_conversation_through_the_trained_assistant(store, settings, gateway, action_server):
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    kb = load_kb()
    with store.session() as session, session.begin():
        seed_demo_customers(session, kb.customers)
    agent = await load_agent(model_path=str(MODEL), endpoints=AvailableEndpoints(
        action=EndpointConfig(url=action_server, headers={ACTION_TOKEN_HEADER: ACTION_TOKEN})))
    channel = SmsInput(settings, store)  # the real texts: hotline from the kb
    server = await _served_by_rasa(channel, agent.handle_message, agent.tracker_store)
    gold_phone = "13800000003"  # C0003, 金卡, commission 万分之1.5
    try:
        await server.sms("印花税怎么收", phone=UNKNOWN_PHONE, msg_id=uuid.uuid4().hex)
        [faq] = await eventually(lambda: gateway.texts_to(UNKNOWN_PHONE), timeout=60)
        article = kb.article("stamp_duty")
        assert faq == "【示例证券】" + render_for_channel(article, "sms")
        assert faq.startswith("【示例证券】" + article.short) and "依据：" in faq

        await server.sms("我的佣金是多少", phone=gold_phone)
        [rate] = await eventually(lambda: gateway.texts_to(gold_phone), timeout=60)
        assert rate.startswith("【示例证券】") and "1.5" in rate
        assert segment_count(rate) <= settings.sms_max_parts

        # An agent takes the conversation over: the bot is paused and the customer's next SMS gets
        # no "system busy" text from the channel (the agent answers).
        conversation = sender_id(gold_phone, settings.identity_secret)
        tracker = await agent.tracker_store.get_or_create_tracker(conversation)
        tracker.update(ConversationPaused())
        await agent.tracker_store.save(tracker)
        msg_id = uuid.uuid4().hex
        await server.sms("好的，我等坐席回复", phone=gold_phone, msg_id=msg_id)

        def finished():
            with store.session() as session:
                row = session.get(SmsInbound, msg_id)
                return row is not None and row.status == "done"
        await eventually(finished, timeout=60)
        await asyncio.sleep(0.5)
        assert gateway.texts_to(gold_phone) == [rate]
    finally:
        await server.stop()
