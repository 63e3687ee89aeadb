"""Test doubles for the SMS channel: the real channel in a real Sanic server, a fake gateway.

Everything listens on 127.0.0.1 ports chosen by the OS. The fake gateway is an aiohttp app that
records what it receives, drops a repeated `ref` the way a real gateway de-duplicates, and can be
switched to answer 503 or be stopped altogether (connection refused) to simulate an outage.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import func, select

from bot.channels.sms import SmsInput
from bot.services.sms_outbox import OutboxConfig, OutboxWorker
from bot.kb import load_kb
from bot.common.settings import Settings
from bot.store.db import Store
from bot.store.models import SmsInbound, SmsOutbox

SECRET = "sms-webhook-test-secret-0123456789abcdef"
IDENTITY_SECRET = "identity-test-secret-0123456789abcdef"
HOTLINE = "95500"
KNOWN_PHONE = "13800000001"  # customer C0001
UNKNOWN_PHONE = "13911112222"
TEXTS = load_kb().sms.with_hotline(HOTLINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sign(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def eventually(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Polls `check` until it returns something truthy; fails the test after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


# ---------------------------------------------------------------- fake gateway


class FakeGateway:
    def __init__(self) -> None:
        self.port = free_port()
        self.failing_status: Optional[int] = None
        self.requests: List[Dict[str, Any]] = []  # every POST, including refused and repeated ones
        self.accepted: Dict[str, Dict[str, Any]] = {}  # by ref, first delivery only
        self.repeats: List[str] = []
        self._runner: Optional[web.AppRunner] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/send", self._send)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.failing_status is not None:
            return web.json_response({"error": "unavailable"}, status=self.failing_status)
        if body["ref"] in self.accepted:
            self.repeats.append(body["ref"])
            return web.json_response({"status": "duplicate"})
        self.accepted[body["ref"]] = body
        return web.json_response({"status": "queued"})

    def texts_to(self, phone: str) -> List[str]:
        return [body["text"] for body in self.accepted.values() if body["to"] == phone]


# ---------------------------------------------------------------- scripted bot


MENU_BUTTONS = [
    {"title": "查询佣金", "payload": "/ask_my_commission"},
    {"title": "转人工", "payload": "/request_human"},
]
LONG_ANSWER = (
    "证券交易印花税只在卖出股票时收取，税率为成交金额的0.05%（万分之五），买入不收。"
    "这一税率自2023年8月28日起执行，此前为0.1%（千分之一）。ETF、LOF、可转债、债券和逆回购等不征收证券交易印花税。"
)


@dataclass
class ScriptedBot:
    """Stands in for the Rasa agent: records each message and answers through its output channel."""

    received: List[UserMessage] = field(default_factory=list)
    fail: bool = False
    silent: bool = False  # like Rasa's agent while no model is loaded: no error, no answer
    gate: Optional[asyncio.Event] = None  # when set, the bot answers only once the test opens it

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("bot down")
        if self.silent:
            return
        out, to = message.output_channel, message.sender_id
        text = message.text or ""
        if text == "菜单":
            await out.send_response(to, {"text": "请问要办理什么？", "buttons": MENU_BUTTONS})
        elif text == "/ask_my_commission":
            await out.send_response(to, {"text": "您的佣金为万分之2.5，最低5元。"})
        elif text == "/request_human":
            await out.send_response(to, {"text": "正在为您转接人工客服。"})
        elif text == "长文":
            await out.send_response(to, {"text": LONG_ANSWER * 3})
        elif text == "两条":
            await out.send_text_message(to, "您好")
            await out.send_text_message(to, "请问有什么可以帮您？")
        else:
            await out.send_response(to, {"text": f"收到：{text}"})

    @property
    def texts(self) -> List[str]:
        return [m.text or "" for m in self.received]


# ---------------------------------------------------------------- the channel in Sanic


class SmsServer:
    """SmsInput's blueprint in a real Sanic server on loopback, as Rasa mounts it (/webhooks/sms)."""

    def __init__(
        self,
        channel: SmsInput,
        bot: Optional[Callable[[UserMessage], Awaitable[Any]]] = None,
        app_factory: Optional[Callable[[], Sanic]] = None,
    ) -> None:
        self.channel = channel
        self.bot = bot
        self.app_factory = app_factory
        self.port = free_port()
        self._server: Any = None
        self._app: Any = None
        self._http: Optional[aiohttp.ClientSession] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/sms/webhook"

    async def start(self) -> None:
        # Sanic 21.12 rewrites its request handlers once per process unless in test mode, which
        # breaks every later app in the same process (several servers run here, one per test or more).
        Sanic.test_mode = True
        if self.app_factory is not None:
            app = self.app_factory()
        else:
            assert self.bot is not None
            app = Sanic(f"sms_test_{uuid.uuid4().hex[:12]}", configure_logging=False)
            app.blueprint(self.channel.blueprint(self.bot), url_prefix="/webhooks/sms")
        self._app = app
        # Sanic 21.12: create_server already awaits the listening socket; the listeners run here.
        server = await app.create_server("127.0.0.1", self.port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        self._server = server
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._server is not None:
            server, self._server = self._server, None
            await server.before_stop()  # the channel finishes its turns and stops its outbox worker
            server.close()
            await server.wait_closed()
            for connection in list(server.connections):
                connection.close_if_idle()
            await server.after_stop()
            Sanic._app_registry.pop(self._app.name, None)

    async def crash(self) -> None:
        """Stops as a killed process does: turns in progress end where they are, nothing is released
        or marked, and the webhook stops answering. (tests/channels/test_sms_durable.py also kills a
        real process.)"""
        channel = self.channel
        running = [task for task in (channel._sweeper, *channel._tasks) if task is not None]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        channel._sweeper = None
        channel._in_flight.clear()
        await self.stop()

    async def post_raw(self, raw: bytes, signature: Optional[str]) -> aiohttp.ClientResponse:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Signature"] = signature
        assert self._http is not None
        async with self._http.post(self.url, data=raw, headers=headers) as response:
            await response.read()
            return response

    async def sms(self, text: str, phone: str = UNKNOWN_PHONE, msg_id: Optional[str] = None) -> Dict[str, Any]:
        """Delivers an SMS as the gateway does; returns the webhook's JSON answer."""
        payload = {"msg_id": msg_id or uuid.uuid4().hex, "from": phone, "text": text, "ts": 1764000000}
        raw = json.dumps(payload, ensure_ascii=False).encode()
        assert self._http is not None
        async with self._http.post(self.url, data=raw, headers={"X-Signature": sign(raw)}) as response:
            assert response.status == 200, await response.text()
            return await response.json()


def worker_for(store: Store, settings: Settings, **config: Any) -> OutboxWorker:
    return OutboxWorker(store, replace(OutboxConfig.from_settings(settings), **config))


class FakeClock:
    """A clock the test moves forward (rate-limit windows) instead of sleeping through them."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def outbox_rows(store: Store) -> List[SmsOutbox]:
    with store.session() as session:
        return list(session.execute(select(SmsOutbox).order_by(SmsOutbox.id)).scalars())


def inbound_count(store: Store) -> int:
    with store.session() as session:
        return int(session.execute(select(func.count()).select_from(SmsInbound)).scalar_one())
