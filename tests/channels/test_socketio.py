"""The socket.io channel with session persistence, against a real python-socketio server and client.

Rasa's channel runs on Sanic; each test serves it on a free loopback port and talks to it with
python-socketio's AsyncClient (polling transport: the client's websocket transport needs a newer
aiohttp than Rasa 3.6 allows, and the handlers under test are the same on either transport).
"""
from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest
import socketio
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Sanic

from bot.channels.socketio import PersistentSocketIOInput, issued_here
from bot.common.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_KEY = "bot.channels.socketio.PersistentSocketIOInput"
REPLY_TIMEOUT = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _project_credentials() -> Dict[str, Any]:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    return credentials[CHANNEL_KEY]


class Served:
    """One channel served on loopback; `messages` are what reached Rasa's message handler."""

    def __init__(self, channel: SocketIOInput) -> None:
        self.channel = channel
        self.messages: List[UserMessage] = []
        self.url = ""

    async def on_new_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


async def _serve(channel: SocketIOInput) -> AsyncIterator[Served]:
    served = Served(channel)
    # Sanic 21.12 rewrites its request handlers once per process unless in test mode, which breaks
    # a second app in the same process.
    previous_mode = Sanic.test_mode
    Sanic.test_mode = True
    app = Sanic(f"socketio_test_{uuid.uuid4().hex}")
    app.blueprint(channel.blueprint(served.on_new_message))
    # A polling client's disconnect waits for its pending long poll, which the server holds for up to
    # ping interval + ping timeout (45 s by default): short ones keep each teardown near a second.
    channel.sio.eio.ping_interval = 0.5
    channel.sio.eio.ping_timeout = 0.5
    port = _free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    serving = asyncio.ensure_future(server.serve_forever())
    served.url = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        server.close()
        await server.wait_closed()
        serving.cancel()
        Sanic.test_mode = previous_mode
        Sanic._app_registry.pop(app.name, None)


@pytest.fixture
async def persistent() -> AsyncIterator[Served]:
    async for served in _serve(PersistentSocketIOInput.from_credentials(_project_credentials())):
        yield served


class Browser:
    """A socket.io client that records the events a web chat page listens to."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()
        self.client.on("session_confirm", lambda data: self.events.put_nowait(("session_confirm", data)))
        self.client.on("bot_uttered", lambda data: self.events.put_nowait(("bot_uttered", data)))

    async def open(self, url: str, session_id: Any) -> str:
        await self.client.connect(url, transports=["polling"], socketio_path="/socket.io")
        await self.client.emit("session_request", {"session_id": session_id})
        kind, data = await asyncio.wait_for(self.events.get(), REPLY_TIMEOUT)
        assert kind == "session_confirm"
        return data

    async def say(self, text: str, session_id: str, **extra: Any) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id, **extra})

    async def next_reply(self, timeout: float = REPLY_TIMEOUT) -> Dict[str, Any]:
        kind, data = await asyncio.wait_for(self.events.get(), timeout)
        assert kind == "bot_uttered"
        return data

    async def close(self) -> None:
        await self.client.disconnect()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    opened = Browser()
    yield opened
    await opened.close()


def test_project_credentials_use_the_persistent_channel_with_persistence_on() -> None:
    credentials = _project_credentials()
    assert credentials["session_persistence"] is True
    assert credentials["user_message_evt"] == "user_uttered"
    assert credentials["bot_message_evt"] == "bot_uttered"
    assert credentials["metadata_key"] == "customData"
    # Rasa resolves the channel by module path but it keeps the name the rest of Rasa knows.
    assert PersistentSocketIOInput.name() == "socketio"


async def test_the_server_issues_the_session_and_the_reply_reaches_its_page(persistent: Served,
                                                                           browser: Browser) -> None:
    session_id = await browser.open(persistent.url, None)
    assert issued_here(session_id, get_settings().identity_secret)

    await browser.say("手续费多少", session_id)

    assert await browser.next_reply() == {"text": "收到：手续费多少"}
    assert persistent.messages[0].sender_id == session_id


async def test_reloaded_page_with_its_issued_session_continues_the_conversation(persistent: Served) -> None:
    first, reloaded = Browser(), Browser()
    try:
        session_id = await first.open(persistent.url, None)
        await first.say("你好", session_id)
        assert (await first.next_reply())["text"] == "收到：你好"
        await first.close()

        # A reload is a new socket: with the id the server issued, it joins the same conversation.
        assert await reloaded.open(persistent.url, session_id) == session_id
        await reloaded.say("转人工", session_id)
        assert (await reloaded.next_reply())["text"] == "收到：转人工"
    finally:
        await reloaded.close()
    assert {m.sender_id for m in persistent.messages} == {session_id}


@pytest.mark.parametrize("chosen", ["web-session-1", "sms:13900000000", {"not": "a string"}, "a" * 500,
                                    "0123456789abcdef0123456789abcdef.000000000000000000000000"])
async def test_a_session_id_the_client_chose_is_replaced(persistent: Served, browser: Browser, chosen) -> None:
    session_id = await browser.open(persistent.url, chosen)
    assert session_id != chosen and issued_here(session_id, get_settings().identity_secret)


async def test_a_socket_cannot_speak_in_or_listen_to_another_session(persistent: Served) -> None:
    victim, attacker = Browser(), Browser()
    try:
        victim_session = await victim.open(persistent.url, None)
        attacker_session = await attacker.open(persistent.url, None)
        # The attacker names the victim's session in its message: it still speaks in its own.
        await attacker.say("我的投诉进度", victim_session)
        assert (await attacker.next_reply())["text"] == "收到：我的投诉进度"
        assert persistent.messages[-1].sender_id == attacker_session
        # And the victim's replies do not reach the attacker.
        await victim.say("我的手机号13912345678", victim_session)
        assert (await victim.next_reply())["text"] == "收到：我的手机号13912345678"
        with pytest.raises(asyncio.TimeoutError):
            await attacker.next_reply(timeout=1.0)
    finally:
        await victim.close()
        await attacker.close()


async def test_a_message_before_a_session_is_ignored(persistent: Served, browser: Browser) -> None:
    await browser.client.connect(persistent.url, transports=["polling"], socketio_path="/socket.io")
    await browser.say("你好", "web-session-9")
    await asyncio.sleep(0.5)
    assert persistent.messages == []


async def test_custom_data_reaches_rasa_as_message_metadata(persistent: Served, browser: Browser) -> None:
    session_id = await browser.open(persistent.url, None)

    await browser.say("我是什么等级", session_id, customData={"customer_token": "a.signed.token"})
    await browser.next_reply()

    message = persistent.messages[0]
    assert message.metadata == {"customer_token": "a.signed.token"}
    assert message.input_channel == "socketio"


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_rasa_own_channel_still_drops_replies_with_persistence(browser: Browser) -> None:
    """Documents the bug the subclass fixes; when this fails, Rasa has fixed it and the subclass can go."""
    async for served in _serve(SocketIOInput(session_persistence=True)):
        session_id = await browser.open(served.url, "web-session-4")
        await browser.say("你好", session_id)
        with pytest.raises(asyncio.TimeoutError):
            await browser.next_reply(timeout=1.5)
        assert len(served.messages) == 1  # the message was handled; only the reply was lost
