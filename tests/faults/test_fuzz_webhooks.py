"""Fuzzing the two HTTP doors customers' text comes through: Rasa's app with the REST channel, and
the SMS webhook (signed and unsigned, on PostgreSQL). 1,100 generated requests in all — random Unicode (lone
surrogates and control characters included), huge bodies, malformed JSON, invalid UTF-8, wrong
types — must never get a 5xx, never crash a turn (no error logged by the bot), and leave the server
answering a normal message.

The servers are the real ones on loopback (Sanic as `rasa run` configures it, the real SmsInput with
its store and outbox, a fake SMS gateway peer); only the Rasa agent behind them is a script, because
the question here is what the channels let through, not what the model answers. The servers run on
an event loop of their own, in a thread, so that Hypothesis drives them with plain blocking requests.
"""
from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.core.run import configure_app
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.channels.rest import TrustedRestInput
from bot.channels.sms import SmsInput
from bot.common.settings import Settings
from bot.store.db import init_store
from bot.store.models import SmsInbound
from tests.channels.sms_support import (
    IDENTITY_SECRET,
    SECRET,
    TEXTS,
    FakeGateway,
    ScriptedBot,
    SmsServer,
    sign,
)

# Derandomized: the same 1,100 inputs on every run, so a failure here is reproducible anywhere.
SMS_EXAMPLES, REST_EXAMPLES = 600, 500


def fuzz(examples: int):  # type: ignore[no-untyped-def]
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class BackgroundLoop:
    """An event loop in a thread: the servers live there while the test thread sends requests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 60) -> Any:  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Client:
    """One keep-alive HTTP connection, reopened whenever the server closes it (after a 4xx it may)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: Optional[http.client.HTTPConnection] = None

    def post(self, path: str, body: bytes, headers: Dict[str, str]) -> Tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
                answer = self.connection.getresponse()
                return answer.status, answer.read()
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@pytest.fixture
def loop() -> BackgroundLoop:
    background = BackgroundLoop()
    yield background
    background.close()


# ---------------------------------------------------------------- generated inputs

# Every code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(exclude_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=80),
    st.text(st.sampled_from("\x00\x01\x07\x1b\x7f\u200b\u202e\ufeff\ud800\udfff\n\r\t 　"), max_size=20),
    st.sampled_from(["你好", "菜单", "1", "2", "TD", "退订", "印花税怎么收", "<script>alert(1)</script>", ""]),
    # huge: repeated, so that generating it costs nothing
    st.tuples(st.text(ANY_CHAR, min_size=1, max_size=4), st.integers(200, 60_000)).map(lambda t: t[0] * t[1]),
)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                          max_leaves=8)
PHONE = st.one_of(st.from_regex(r"\A1[3-9][0-9]{9}\Z"), st.from_regex(r"\A\+86 1[3-9][0-9] [0-9]{4} [0-9]{4}\Z"), JSON_VALUE)


def _dump(value: Any) -> bytes:
    # Lone surrogates can only travel escaped (\ud800), which JSON allows and ensure_ascii does.
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode("ascii")


MALFORMED = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b'{"msg_id": ', b"null", b"[]", b'"text"', b"\xff\xfe\x00", b"{}" * 5000,
                     b'{"a": NaN}', b'{"message": "\\ud800"}', b"\x00" * 100]),
    JSON_VALUE.map(_dump).map(lambda raw: raw[: len(raw) // 2]),  # cut short
)


# ---------------------------------------------------------------- SMS webhook

# Mostly well-formed (so that the text reaches the store, the bot and the outbox), some not at all.
# (A fresh msg_id each: Hypothesis would draw the same few ids, and a repeat is only a duplicate.)
SMS_MESSAGE = st.fixed_dictionaries(
    {"from": st.from_regex(r"\A1[3-9][0-9]{9}\Z"), "text": st.one_of(st.text(ANY_CHAR, min_size=1, max_size=80), TEXT),
     "ts": st.integers()}
).map(lambda fields: {"msg_id": uuid.uuid4().hex, **fields})
SMS_PAYLOAD = st.fixed_dictionaries(
    {},
    optional={"msg_id": st.one_of(st.uuids().map(str), TEXT, JSON_VALUE), "from": PHONE,
              "text": st.one_of(TEXT, JSON_VALUE), "ts": JSON_VALUE},
)
SMS_BODY = st.one_of(SMS_MESSAGE.map(_dump), SMS_MESSAGE.map(_dump), SMS_PAYLOAD.map(_dump), JSON_VALUE.map(_dump),
                     MALFORMED)
SIGNATURE = st.one_of(st.none(), st.just(""), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=70),
                      st.just("sha256=" + "0" * 64))


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh schema in the PostgreSQL every machine of this project runs (production's store, which,
    unlike SQLite, refuses NUL characters in text)."""
    base = os.environ.get("TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    schema = f"fuzz_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sms(loop):
    database = postgres_database()
    url = database.__enter__()

    async def start() -> Tuple[SmsServer, FakeGateway, ScriptedBot]:
        gateway = FakeGateway()
        await gateway.start()
        store = init_store(url)
        config = Settings(database_url=url,
                          identity_secret=IDENTITY_SECRET, sms_webhook_secret=SECRET, sms_gateway_url=gateway.url,
                          sms_signature="【示例证券】", sms_outbox_poll_seconds=0.05, sms_rate_limit=1_000_000)
        bot = ScriptedBot()
        server = SmsServer(SmsInput(config, store, texts=TEXTS, outbox_worker=True), bot)
        await server.start()
        return server, gateway, bot

    server, gateway, bot = loop.run(start())
    client = Client(server.port)
    yield server, gateway, bot, client
    client.close()

    async def stop() -> None:
        await server.stop()
        await gateway.stop()
        server.channel.store.dispose()

    loop.run(stop())
    database.__exit__(None, None, None)


def test_sms_webhook_survives_any_request(sms, loop, caplog):
    server, gateway, bot, client = sms
    caplog.set_level(logging.WARNING)
    statuses: List[int] = []
    admissions: List[str] = []

    @fuzz(SMS_EXAMPLES)
    @given(body=SMS_BODY, signature=SIGNATURE, signed=st.sampled_from([True, True, True, False]))
    def one_request(body: bytes, signature: Optional[str], signed: bool) -> None:
        headers = {"X-Signature": sign(body)} if signed else ({} if signature is None else {"X-Signature": signature})
        status, answer = client.post("/webhooks/sms/webhook", body, headers)
        statuses.append(status)
        assert status < 500, (status, answer[:300])
        if not signed:
            assert status in (401, 413), status  # nothing unsigned gets further
        else:
            assert status in (200, 400, 413), (status, answer[:300])
            if status == 200:
                admissions.append(json.loads(answer)["status"])

    one_request()
    loop.run(server.channel.idle())
    assert len(statuses) >= SMS_EXAMPLES
    assert {200, 400, 401}.issubset(statuses)  # the generator reached every door
    assert set(admissions) <= {"accepted", "duplicate", "opted_out", "ignored"}
    # Every accepted message had its turn and is answered: none is left pending.
    assert admissions.count("accepted") >= 100 and len(bot.received) == admissions.count("accepted")
    with server.channel.store.session() as session:
        assert session.execute(select(func.count()).select_from(SmsInbound).where(SmsInbound.status == "pending")).scalar_one() == 0
    _assert_no_bot_errors(caplog)
    # Still answering an ordinary message, through the bot and the gateway.
    normal = json.dumps({"msg_id": uuid.uuid4().hex, "from": "13911112222", "text": "你好", "ts": 1}).encode()
    before = len(bot.received)
    status, answer = client.post("/webhooks/sms/webhook", normal, {"X-Signature": sign(normal)})
    assert status == 200 and json.loads(answer)["status"] == "accepted"
    loop.run(server.channel.idle())
    assert bot.received[before].text == "你好"
    loop.run(_eventually(lambda: "【示例证券】收到：你好" in gateway.texts_to("13911112222")))


# ---------------------------------------------------------------- REST channel in Rasa's app


@dataclass
class RecordingAgent:
    """Stands in for Rasa's agent at `app.ctx.agent`; records what the channel let through."""

    received: List[UserMessage] = field(default_factory=list)
    wrong_types: List[str] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        # What the real agent needs to run a turn at all.
        if not isinstance(message.text, str):
            self.wrong_types.append(f"text {type(message.text).__name__}")
        if message.metadata is not None and not isinstance(message.metadata, dict):
            self.wrong_types.append(f"metadata {type(message.metadata).__name__}")
        if not isinstance(message.sender_id, str):
            self.wrong_types.append(f"sender {type(message.sender_id).__name__}")
        await message.output_channel.send_text_message(message.sender_id, "收到")


REST_PAYLOAD = st.fixed_dictionaries(
    {},
    optional={"sender": st.one_of(st.uuids().map(str), TEXT, JSON_VALUE), "message": st.one_of(TEXT, JSON_VALUE),
              "metadata": JSON_VALUE, "input_channel": JSON_VALUE},
)
REST_BODY = st.one_of(REST_PAYLOAD.map(_dump), REST_PAYLOAD.map(_dump), JSON_VALUE.map(_dump), MALFORMED)


@pytest.fixture
def rest(loop):
    agent = RecordingAgent()

    def build():  # type: ignore[no-untyped-def]
        app = configure_app(input_channels=[TrustedRestInput()], enable_api=False, route="/webhooks/", port=0)
        app.ctx.agent = agent
        return app

    server = SmsServer(None, app_factory=build)  # type: ignore[arg-type]
    loop.run(server.start())
    client = Client(server.port)
    yield agent, client
    client.close()
    loop.run(server.stop())


def test_rest_channel_survives_any_request(rest, caplog):
    agent, client = rest
    caplog.set_level(logging.WARNING)
    statuses: List[int] = []

    @fuzz(REST_EXAMPLES)
    @given(body=REST_BODY, stream=st.booleans())
    def one_request(body: bytes, stream: bool) -> None:
        before = len(agent.received)
        status, answer = client.post("/webhooks/rest/webhook" + ("?stream=true" if stream else ""), body, {})
        statuses.append(status)
        assert status < 500, (status, answer[:300])
        assert status in (200, 400, 403, 413), (status, answer[:300])
        if status == 200 and not stream:
            assert json.loads(answer) == [{"recipient_id": agent.received[-1].sender_id, "text": "收到"}]
        if status != 200:
            assert len(agent.received) == before  # refused means refused: the bot never saw it

    one_request()
    assert len(statuses) >= REST_EXAMPLES
    assert {200, 400}.issubset(statuses)
    assert agent.wrong_types == []
    _assert_no_bot_errors(caplog)
    status, answer = client.post("/webhooks/rest/webhook", json.dumps({"sender": "crm-1", "message": "你好"}).encode(), {})
    assert status == 200 and json.loads(answer) == [{"recipient_id": "crm-1", "text": "收到"}]
    assert agent.received[-1].text == "你好"


def _assert_no_bot_errors(caplog) -> None:  # type: ignore[no-untyped-def]
    errors = [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records
              if r.levelno >= logging.ERROR and (r.name.startswith("bot.") or r.name.startswith("rasa") or r.name.startswith("sanic"))]
    assert errors == []


async def _eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.02)
