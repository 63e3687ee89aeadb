"""The REST channel is for trusted integrations: a token outside demo mode, never an SMS conversation,
never another channel's name — served by Sanic as Rasa serves it, with a real HTTP client."""
from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.channels.rest import MAX_MESSAGE_LENGTH, MAX_SENDER_LENGTH, TrustedRestInput
from bot.common import settings as settings_module
from bot.devtools.inprocess import free_port

TOKEN = "a-rest-integration-token-of-at-least-32-bytes"


@pytest.fixture
async def served(monkeypatch):
    received = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    previous = Sanic.test_mode
    Sanic.test_mode = True
    app = Sanic(f"rest_test_{uuid.uuid4().hex}")
    app.blueprint(TrustedRestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    serving = asyncio.ensure_future(server.serve_forever())
    try:
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook", received
    finally:
        serving.cancel()
        Sanic.test_mode = previous
        Sanic._app_registry.pop(app.name, None)


def configure(monkeypatch, **env):
    for name in ("BOT_DEMO_MODE", "REST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings_module.get_settings.cache_clear()


async def post(url, body, headers=None):
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers or {}) as answer:
        return answer.status


async def test_outside_demo_mode_rest_needs_the_token(served, monkeypatch):
    url, received = served
    configure(monkeypatch, REST_TOKEN=TOKEN)
    try:
        assert await post(url, {"sender": "crm-1", "message": "你好"}) == 401
        assert await post(url, {"sender": "crm-1", "message": "你好"}, {"X-Rest-Token": "guess"}) == 401
        assert await post(url, {"sender": "crm-1", "message": "你好"}, {"X-Rest-Token": TOKEN}) == 200
        assert [m.sender_id for m in received] == ["crm-1"]
    finally:
        settings_module.get_settings.cache_clear()


async def test_without_a_configured_token_rest_answers_nobody(served, monkeypatch):
    url, received = served
    configure(monkeypatch)
    try:
        assert await post(url, {"sender": "crm-1", "message": "你好"}, {"X-Rest-Token": ""}) == 401
        assert received == []
    finally:
        settings_module.get_settings.cache_clear()


async def test_an_sms_conversation_and_another_channel_cannot_be_claimed(served, monkeypatch):
    url, received = served
    configure(monkeypatch, BOT_DEMO_MODE="1")
    try:
        assert await post(url, {"sender": "sms:13900000000", "message": "我的投诉进度"}) == 403
        assert await post(url, {"sender": "crm-2", "message": "你好", "input_channel": "sms"}) == 200
        assert [(m.sender_id, m.input_channel) for m in received] == [("crm-2", "rest")]
    finally:
        settings_module.get_settings.cache_clear()


async def test_sender_ids_are_bounded_at_the_edge(served, monkeypatch):
    url, received = served
    configure(monkeypatch, BOT_DEMO_MODE="1")
    try:
        longest = "crm-" + "x" * (MAX_SENDER_LENGTH - 4)
        assert await post(url, {"sender": longest + "y", "message": "你好"}) == 400
        assert await post(url, {"sender": ["crm-3"], "message": "你好"}) == 400
        assert await post(url, {"sender": "crm\n3", "message": "你好"}) == 400
        assert await post(url, {"sender": longest, "message": "你好"}) == 200
        assert [m.sender_id for m in received] == [longest]
    finally:
        settings_module.get_settings.cache_clear()


async def test_a_body_rasa_could_not_take_is_refused_before_it_reaches_the_bot(served, monkeypatch):
    url, received = served
    configure(monkeypatch, BOT_DEMO_MODE="1")
    try:
        async with aiohttp.ClientSession() as http:
            for raw in (b"", b"[]", b'"hi"', b"null", b'{"sender": "crm-4", "message": '):
                async with http.post(url, data=raw, headers={"Content-Type": "application/json"}) as answer:
                    assert answer.status == 400, raw
        assert await post(url, {"message": "你好"}) == 400  # no sender: Rasa would file it under "default"
        assert await post(url, {"sender": "crm-4", "message": 42}) == 400
        assert await post(url, {"sender": "crm-4"}) == 400
        assert await post(url, {"sender": "crm-4", "message": "你好", "metadata": ["x"]}) == 400
        assert await post(url, {"sender": "crm-4", "message": "长" * (MAX_MESSAGE_LENGTH + 1)}) == 413
        assert received == []
        # Control characters and lone surrogates never reach the bot or the stores.
        assert await post(url, {"sender": "crm-4", "message": "你\x00好\ud800"}) == 200
        assert [m.text for m in received] == ["你好\ufffd"]
    finally:
        settings_module.get_settings.cache_clear()
