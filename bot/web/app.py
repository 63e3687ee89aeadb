"""The web app: the customer web chat page, its static assets and the demo login; the agent desk at
`/agent` and its staff API (bot/web/panel.py).

The page talks to Rasa's socket.io channel directly (the browser connects to `rasa_socket_url`); this
app only serves it and, for the demo, hands out customer tokens for the demo customers. In production
the broker's own login issues the token (the JWT contract in DESIGN.md).
"""
from __future__ import annotations

import functools
import html
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional
from urllib.parse import urlsplit

from aiohttp import web

from bot.common import identity
from bot.kb import load_kb
from bot.common.settings import Settings
from bot.web import dashboard_api, inbox_api, messages, panel, review_api

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
CHAT_PAGE = WEB_DIR / "templates" / "chat.html"
AGENT_PAGE = WEB_DIR / "templates" / "agent.html"

# Long enough for a demo session; the page forgets an expired login and the bot then sees a guest.
DEMO_TOKEN_TTL = timedelta(hours=2)
MAX_API_BODY = 4 * 1024

# Chinese stays readable in responses and logs.
_dumps = functools.partial(json.dumps, ensure_ascii=False)

SETTINGS_KEY = web.AppKey("settings", Settings)
PAGE_KEY = web.AppKey("chat_page", bytes)
CSP_KEY = web.AppKey("content_security_policy", str)


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    tier: str  # the tier's Chinese name: 普通/银卡/金卡/白金卡


DIRECTORY_KEY = web.AppKey("demo_directory", Callable[[], Dict[str, DemoCustomer]])


def socket_origins(socket_url: str) -> List[str]:
    """The origins the page's socket.io client connects to: the http(s) URL and its ws(s) twin."""
    parts = urlsplit(socket_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"RASA_SOCKET_URL must be an http(s) URL, not {socket_url!r}")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return [f"{parts.scheme}://{parts.netloc}", f"{ws_scheme}://{parts.netloc}"]


def content_security_policy(socket_url: str) -> str:
    """No inline script or style, nothing from elsewhere except Rasa's socket."""
    connect = " ".join(["'self'", *socket_origins(socket_url)])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def render_chat_page(settings: Settings) -> bytes:
    """The chat page with its configuration in data attributes (the CSP forbids inline script)."""
    values = {
        "socket_url": settings.rasa_socket_url,
        "socket_path": settings.rasa_socket_path,
        "demo_login": "1" if settings.demo_login else "0",
    }
    page = CHAT_PAGE.read_text(encoding="utf-8")
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page.encode("utf-8")


def kb_demo_directory(settings: Settings) -> Callable[[], Dict[str, DemoCustomer]]:
    """The demo customers of the knowledge base (`kb/customers.yml`), read on first use."""

    def directory() -> Dict[str, DemoCustomer]:
        kb = load_kb(settings.kb_dir)  # cached per directory by bot.kb
        return {c.id: DemoCustomer(customer_id=c.id, tier=kb.tier(c.tier).name) for c in kb.customers}

    return directory


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, dumps=_dumps)


def _directory(request: web.Request) -> Optional[Dict[str, DemoCustomer]]:
    try:
        return request.app[DIRECTORY_KEY]()
    except Exception:  # a broken kb must not take the chat page down; anonymous chat still works
        log.exception("demo customers unavailable")
        return None


async def chat_page(request: web.Request) -> web.Response:
    return web.Response(body=request.app[PAGE_KEY], content_type="text/html", charset="utf-8")


async def agent_page(request: web.Request) -> web.Response:
    """The agent desk; it asks for a login itself (the staff API is closed without one)."""
    return web.Response(body=AGENT_PAGE.read_bytes(), content_type="text/html", charset="utf-8")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def demo_customers(request: web.Request) -> web.Response:
    """The demo customers for the page's login list; 404 when the demo login is disabled."""
    if not request.app[SETTINGS_KEY].demo_login:
        return _error(404, messages.DEMO_LOGIN_DISABLED)
    directory = _directory(request)
    if directory is None:
        return _error(503, messages.DEMO_DATA_UNAVAILABLE)
    customers = sorted(directory.values(), key=lambda c: c.customer_id)
    return web.json_response(
        {"customers": [{"customer_id": c.customer_id, "tier": c.tier} for c in customers]}, dumps=_dumps
    )


async def demo_login(request: web.Request) -> web.Response:
    """`{"customer_id"}` → `{"token", "customer_id", "tier", "expires_at"}` for a demo customer."""
    settings = request.app[SETTINGS_KEY]
    if not settings.demo_login:
        return _error(404, messages.DEMO_LOGIN_DISABLED)
    if request.content_length is not None and request.content_length > MAX_API_BODY:
        return _error(400, messages.MALFORMED_REQUEST)
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return _error(400, messages.MALFORMED_REQUEST)
    if not isinstance(body, dict):
        return _error(400, messages.MALFORMED_REQUEST)
    customer_id = body.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id.strip():
        return _error(400, messages.MISSING_CUSTOMER_ID)
    directory = _directory(request)
    if directory is None:
        return _error(503, messages.DEMO_DATA_UNAVAILABLE)
    customer = directory.get(customer_id.strip())
    if customer is None:
        return _error(404, messages.UNKNOWN_DEMO_CUSTOMER)
    now = datetime.now(timezone.utc)
    token = identity.issue_token(customer.customer_id, settings.identity_secret, ttl=DEMO_TOKEN_TTL, now=now)
    expires_at = int(now.timestamp()) + int(DEMO_TOKEN_TTL.total_seconds())
    log.info("demo login as %s", customer.customer_id)
    return web.json_response(
        {"token": token, "customer_id": customer.customer_id, "tier": customer.tier, "expires_at": expires_at},
        headers={"Cache-Control": "no-store"},
        dumps=_dumps,
    )


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Content-Security-Policy"] = request.app[CSP_KEY]
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    # Revalidate the page and its assets: an upgraded chat.js must not meet a cached chat.html.
    headers.setdefault("Cache-Control", "no-cache")


def create_app(
    settings: Settings, demo_directory: Optional[Callable[[], Dict[str, DemoCustomer]]] = None,
    store: Optional[Callable] = None,
) -> web.Application:
    """The aiohttp application; `demo_directory` and `store` replace the kb's demo customers and the
    process's store (tests)."""
    app = web.Application(client_max_size=MAX_API_BODY * 16)
    app[SETTINGS_KEY] = settings
    app[CSP_KEY] = content_security_policy(settings.rasa_socket_url)
    app[PAGE_KEY] = render_chat_page(settings)
    app[DIRECTORY_KEY] = demo_directory or kb_demo_directory(settings)
    app.router.add_get("/", chat_page)
    app.router.add_get("/agent", agent_page)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/demo-customers", demo_customers)
    app.router.add_post("/api/demo-login", demo_login)
    panel.install(app, settings, store)
    inbox_api.install(app)
    dashboard_api.install(app)
    review_api.install(app)
    app.router.add_static("/static", STATIC_DIR, follow_symlinks=False)
    app.on_response_prepare.append(_security_headers)
    return app

