"""Servers and a headless browser for the web chat tests.

Browser tests (`@pytest.mark.browser`) drive Debian's Chromium (`scripts/install-browser.sh`) with
Playwright and skip with a reason when it is missing. Two back ends:
- `scripted_stack`: the real socket.io channel (`PersistentSocketIOInput`) on loopback with a scripted
  bot behind it: tests the page (rendering, quick replies, history, login) without a model.
- `full_stack`: the action server, `rasa run` with the trained model and the web app, as `make run`
  starts them, on free loopback ports (needs `models/assistant.tar.gz`; Rasa takes 20–60 s to load).
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, TypeVar

import pytest
import yaml

from bot.devtools.inprocess import ACTION_TOKEN, ACTION_TOKEN_HEADER

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
CHROMIUM = Path("/usr/bin/chromium")
SECRET = "web-browser-test-secret-32-bytes-or-more"
RASA_API_SECRET = "web-browser-test-rasa-api-secret-32-bytes"
# The staff logins every panel test seeds (bot.store.agents.demo_agents with these passwords).
AGENT, LEAD = ("agent01", "agent-password-for-tests"), ("lead01", "lead-password-for-tests")


def staff_store(path: Path) -> Any:
    """A migrated SQLite store at `path` with the two staff logins."""
    from bot.store.agents import demo_agents, seed_demo_agents
    from bot.store.db import init_store

    opened = init_store(f"sqlite:///{path}")
    with opened.session() as session, session.begin():
        seed_demo_agents(session, demo_agents(AGENT[1], LEAD[1]))
    return opened


async def log_in(client: Any, who: Tuple[str, str] = AGENT) -> str:
    """Logs `who` in on the test client (its cookie jar keeps the session); the CSRF token."""
    answer = await client.post("/api/login", json={"login": who[0], "password": who[1]})
    assert answer.status == 200, await answer.text()
    return (await answer.json())["csrf"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
RASA_START_TIMEOUT = 300.0
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float, proc: Optional[subprocess.Popen] = None, log: Optional[Path] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=3):
                return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.5)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s\n{tail}")


class LoopThread:
    """An asyncio loop on a daemon thread, so servers run beside Playwright's synchronous API."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


# ---------------------------------------------------------------- the web app


class WebApp:
    """`bot.web.app.create_app` served on a loopback port in its own loop thread."""

    def __init__(self, rasa_socket_url: str, store_url: Optional[str] = None,
                 event_source: Optional[str] = None) -> None:
        from aiohttp import web

        from bot.common.settings import Settings
        from bot.store.db import init_store
        from bot.web.app import create_app

        self.settings = dataclasses.replace(
            Settings(), identity_secret=SECRET, rasa_socket_url=rasa_socket_url, demo_login=True,
            rasa_url=rasa_socket_url, rasa_token=RASA_API_SECRET,
            # The inbox reads the stack's own event broker, never the project's var/events.db.
            inbox_feed=event_source is not None, event_source=event_source or "",
        )
        # The agent desk works on the bot's store (the customer chat itself needs none).
        self.store = init_store(store_url) if store_url else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = LoopThread("web-app")

        async def start() -> web.AppRunner:
            store = (lambda: self.store) if self.store is not None else None
            runner = web.AppRunner(create_app(self.settings, store=store))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            return runner

        self._runner = self._thread.run(start())

    def close(self) -> None:
        self._thread.run(self._runner.cleanup())
        self._thread.stop()
        if self.store is not None:
            self.store.dispose()



@contextmanager
def serving(app: Any, name: str) -> Iterator[str]:
    """An aiohttp app (the desk, built by a test) on a loopback port in its own loop thread: its base URL.
    A page's live event stream may still be open at the end: shutdown does not wait long for it."""
    from aiohttp import web

    port, thread = free_port(), LoopThread(name)

    async def start() -> Any:
        runner = web.AppRunner(app, shutdown_timeout=2)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = thread.run(start())
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        thread.run(runner.cleanup())
        thread.stop()

# ---------------------------------------------------------------- scripted Rasa (socket.io channel)


class ScriptedRasa:
    """Rasa's socket.io channel as configured in credentials.yml, with a scripted bot behind it."""

    def __init__(self) -> None:
        from rasa.core.channels.channel import UserMessage
        from sanic import Sanic

        from bot.channels.socketio import PersistentSocketIOInput
        from bot.common.identity import verify_token

        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
        self.channel = PersistentSocketIOInput.from_credentials(
            credentials["bot.channels.socketio.PersistentSocketIOInput"]
        )
        self.received: List[UserMessage] = []
        self.reply_delay = 0.4
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = LoopThread("scripted-rasa")

        async def on_new_message(message: UserMessage) -> None:
            self.received.append(message)
            await asyncio.sleep(self.reply_delay)  # long enough for the page to show it is typing
            out, to = message.output_channel, message.sender_id
            text = message.text or ""
            customer = verify_token((message.metadata or {}).get("customer_token"), SECRET)
            if text == "/request_human":
                await out.send_text_message(to, "好的，正在为您转接人工客服，请稍候。")
            elif text == "有什么可以问":
                await out.send_text_with_buttons(
                    to,
                    "您可以这样问：",
                    [{"title": "交易时间", "payload": "/faq_trading_hours"}, {"title": "印花税", "payload": "/faq_stamp_duty"}],
                )
            elif text == "标记":
                await out.send_text_message(
                    to,
                    '<img src=x onerror="window.__injected=1"><b>粗体</b> 详见 https://www.sse.com.cn/rules/，'
                    "或 javascript:window.__injected=2 以及 ftp://files.example.test/x",
                )
            elif text == "我是什么等级":
                await out.send_text_message(to, f"您是已登录客户 {customer}。" if customer else "您还没有登录。")
            else:
                await out.send_text_message(to, f"收到：{text}")

        Sanic.test_mode = True  # several Sanic apps per process (see tests/channels/test_socketio.py)
        app = Sanic(f"scripted_rasa_{uuid.uuid4().hex}")
        app.blueprint(self.channel.blueprint(on_new_message))

        async def start() -> Any:
            server = await app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            await server.startup()
            self._serving = asyncio.ensure_future(server.serve_forever())
            return server

        self._server = self._thread.run(start())

    def senders(self) -> List[str]:
        return [m.sender_id for m in self.received]

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()
            self._serving.cancel()

        self._thread.run(stop())
        self._thread.stop()


# ---------------------------------------------------------------- browser


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("Python playwright is not installed (requirements.txt)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Factory: a page in a fresh context (own localStorage); console errors collected on `page.errors`."""
    contexts: List[Any] = []

    def make(width: int = 1024, height: int = 760, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def scripted_stack() -> Iterator[Dict[str, Any]]:
    _require_chromium()
    rasa = ScriptedRasa()
    app = WebApp(rasa.url)
    yield {"rasa": rasa, "web": app}
    app.close()
    rasa.close()


# ---------------------------------------------------------------- the whole stack


class FullStack:
    """Action server + `rasa run` (socket.io channel from credentials.yml) + web app, on loopback."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: List[subprocess.Popen] = []
        self.logs: List[Any] = []
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            DATABASE_URL=f"sqlite:///{workdir / 'bot.db'}",
            BOT_IDENTITY_SECRET=SECRET,
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_TELEMETRY_ENABLED="false",
            ACTION_SERVER_TOKEN=ACTION_TOKEN,
        )
        action_port, rasa_port = free_port(), free_port()
        env["ACTION_SERVER_PORT"] = str(action_port)
        credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
        (workdir / "credentials.yml").write_text(yaml.safe_dump(credentials, allow_unicode=True), encoding="utf-8")
        # The tracker store and event broker of endpoints.yml, with the broker's file in the workdir.
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
        endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook",
                                        "headers": {ACTION_TOKEN_HEADER: ACTION_TOKEN}}
        endpoints["event_broker"]["db"] = str(workdir / "events.db")
        (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints), encoding="utf-8")
        try:
            actions = self._start(
                "actions",
                [sys.executable, "-m", "bot.cli.action_server"],
                env,
            )
            rasa = self._start(
                "rasa",
                [
                    sys.executable, "-m", "rasa", "run",
                    "--interface", "127.0.0.1", "--port", str(rasa_port), "--enable-api",
                    "--jwt-secret", RASA_API_SECRET, "--jwt-method", "HS256",
                    "--model", str(MODEL),
                    "--credentials", str(workdir / "credentials.yml"),
                    "--endpoints", str(workdir / "endpoints.yml"),
                ],
                env,
            )
            wait_for_http(f"http://127.0.0.1:{action_port}/health", 120, actions, workdir / "actions.log")
            # Rasa listens only once the model is loaded.
            wait_for_http(f"http://127.0.0.1:{rasa_port}/", RASA_START_TIMEOUT, rasa, workdir / "rasa.log")
            self.store_url = env["DATABASE_URL"]
            self.web = WebApp(f"http://127.0.0.1:{rasa_port}", self.store_url,
                              event_source=f"sqlite:///{workdir / 'events.db'}")
        except BaseException:
            self.close()
            raise

    def _start(self, name: str, command: List[str], env: Dict[str, str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")
        self.logs.append(log)
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        web = getattr(self, "web", None)
        if web is not None:
            web.close()
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in self.logs:
            log.close()


@pytest.fixture(scope="session")
def full_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullStack]:
    _require_chromium()
    if not MODEL.exists():
        pytest.skip(f"no trained model at {MODEL}: run `make train` (make test does)")
    stack = FullStack(tmp_path_factory.mktemp("webstack"))
    yield stack
    stack.close()


@pytest.fixture
def screenshot_dir() -> Optional[Path]:
    """Where to save README screenshots: set WEBCHAT_SCREENSHOTS=docs/screenshots to refresh them."""
    target = os.environ.get("WEBCHAT_SCREENSHOTS", "").strip()
    if not target:
        return None
    path = Path(target) if Path(target).is_absolute() else ROOT / target
    path.mkdir(parents=True, exist_ok=True)
    return path

