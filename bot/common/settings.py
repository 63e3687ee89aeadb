"""One settings object read from the environment; nothing else in `bot/` reads os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Demo mode (`BOT_DEMO_MODE=1`, set by `make run`) is the only place these public values are used;
# without it every secret must be set, at least MIN_SECRET_BYTES long and none of these.
DEMO_SECRETS = {
    "BOT_IDENTITY_SECRET": "demo-identity-secret-change-me-in-production",
    "RASA_TOKEN": "demo-rasa-token",
    "SMS_WEBHOOK_SECRET": "demo-sms-secret",
    "ACTION_SERVER_TOKEN": "demo-action-server-token",
}
DEMO_IDENTITY_SECRET = DEMO_SECRETS["BOT_IDENTITY_SECRET"]
# The demo staff logins' passwords (demo mode only; the README lists them): agent01 and lead01.
DEMO_PASSWORDS = {
    "BOT_DEMO_AGENT_PASSWORD": "agent01-demo-password",
    "BOT_DEMO_LEAD_PASSWORD": "lead01-demo-password",
}
MIN_SECRET_BYTES = 32
# BOT_PROFILE: "embedded" (one process of each, SQLite, in-memory tracker store: endpoints.yml) or
# "production" (scripts/production.sh: shared PostgreSQL, Redis and RabbitMQ, endpoints.production.yml).
PROFILES = ("embedded", "production")
_TRUE = ("1", "true", "yes", "on")


class InsecureConfiguration(RuntimeError):
    """A process was asked to start outside demo mode with a missing, short or public secret."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _demo_mode() -> bool:
    return _env("BOT_DEMO_MODE", "0").lower() in _TRUE


def _secret(name: str) -> str:
    """The secret from the environment; its public demo value only in demo mode."""
    return _env(name, DEMO_SECRETS[name] if _demo_mode() else "")


def _demo_password(name: str) -> str:
    """A demo login's password: only demo mode has demo logins."""
    return _env(name, DEMO_PASSWORDS[name]) if _demo_mode() else ""


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'bot.db'}"))
    demo_mode: bool = field(default_factory=_demo_mode)
    profile: str = field(default_factory=lambda: _env("BOT_PROFILE", "embedded"))
    identity_secret: str = field(default_factory=lambda: _secret("BOT_IDENTITY_SECRET"))
    kb_dir: Path = field(default_factory=lambda: Path(_env("BOT_KB_DIR", str(PROJECT_ROOT / "kb"))))
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://localhost:5005"))
    rasa_token: str = field(default_factory=lambda: _secret("RASA_TOKEN"))
    sms_webhook_secret: str = field(default_factory=lambda: _secret("SMS_WEBHOOK_SECRET"))
    # Rasa sends it in `X-Action-Token` (endpoints.yml); the action server answers nothing without it.
    action_server_token: str = field(default_factory=lambda: _secret("ACTION_SERVER_TOKEN"))
    # The REST channel's credential for trusted integrations (outside demo mode it is closed without one).
    rest_token: str = field(default_factory=lambda: _env("REST_TOKEN", ""))
    action_server_host: str = field(default_factory=lambda: _env("ACTION_SERVER_HOST", "127.0.0.1"))
    action_server_port: int = field(default_factory=lambda: int(_env("ACTION_SERVER_PORT", "5055")))
    sms_gateway_url: str = field(default_factory=lambda: _env("SMS_GATEWAY_URL", "http://127.0.0.1:8090/send"))
    sms_signature: str = field(default_factory=lambda: _env("SMS_SIGNATURE", "【示例证券】"))
    sms_max_parts: int = field(default_factory=lambda: int(_env("SMS_MAX_PARTS", "3")))
    # SMS outbox (bot/channels/sms_outbox.py): the Rasa server runs the sender unless SMS_OUTBOX_WORKER=0
    # (then run `python -m bot.services.sms_outbox` on its own). A refused send is retried after
    # base, 2×base, 4×base … (capped) until the gateway accepts or the attempts run out.
    sms_outbox_worker: bool = field(default_factory=lambda: _env("SMS_OUTBOX_WORKER", "1") not in ("0", "false", "no", "off"))
    sms_outbox_poll_seconds: float = field(default_factory=lambda: float(_env("SMS_OUTBOX_POLL_SECONDS", "2")))
    sms_backoff_base_seconds: float = field(default_factory=lambda: float(_env("SMS_BACKOFF_BASE_SECONDS", "10")))
    sms_backoff_max_seconds: float = field(default_factory=lambda: float(_env("SMS_BACKOFF_MAX_SECONDS", "600")))
    sms_max_attempts: int = field(default_factory=lambda: int(_env("SMS_MAX_ATTEMPTS", "100")))
    sms_send_timeout_seconds: float = field(default_factory=lambda: float(_env("SMS_SEND_TIMEOUT_SECONDS", "10")))
    # Loop protection against auto-responders: at most SMS_RATE_LIMIT messages per number are answered
    # within SMS_RATE_WINDOW_SECONDS; the rest are recorded and dropped without a reply.
    sms_rate_limit: int = field(default_factory=lambda: int(_env("SMS_RATE_LIMIT", "10")))
    sms_rate_window_seconds: float = field(default_factory=lambda: float(_env("SMS_RATE_WINDOW_SECONDS", "600")))
    # A numeric reply ("1") maps to the options last sent to that number for this long.
    sms_menu_ttl_seconds: float = field(default_factory=lambda: float(_env("SMS_MENU_TTL_SECONDS", "86400")))
    # An inbound SMS's turn is the server's that runs it for this long, renewed while it runs; after
    # that (the server died) another server, or the gateway's redelivery, runs it again.
    sms_turn_lease_seconds: float = field(default_factory=lambda: float(_env("SMS_TURN_LEASE_SECONDS", "30")))
    # Proactive messages (follow-ups, surveys) go out only between these Beijing hours, e.g. "9-20".
    sms_proactive_hours: str = field(default_factory=lambda: _env("SMS_PROACTIVE_HOURS", "9-20"))
    # Web chat (bot/web): where it listens, and Rasa's socket.io channel as the *browser* reaches it.
    web_host: str = field(default_factory=lambda: _env("BOT_WEB_HOST", "127.0.0.1"))
    web_port: int = field(default_factory=lambda: int(_env("BOT_WEB_PORT", "8000")))
    rasa_socket_url: str = field(default_factory=lambda: _env("RASA_SOCKET_URL", "http://localhost:5005"))
    rasa_socket_path: str = field(default_factory=lambda: _env("RASA_SOCKET_PATH", "/socket.io"))
    # Where the panel's inbox reads Rasa's event stream: the SQL event broker's database (embedded,
    # endpoints.yml) or an amqp:// URL of RabbitMQ (production, queue BOT_EVENT_QUEUE).
    event_source: str = field(default_factory=lambda: _env("BOT_EVENT_SOURCE", f"sqlite:///{PROJECT_ROOT / 'var' / 'events.db'}"))
    event_queue: str = field(default_factory=lambda: _env("BOT_EVENT_QUEUE", "bot_events"))
    # Set to 0 on all but one web app process when several share a positional (SQL) source.
    inbox_feed: bool = field(default_factory=lambda: _env("BOT_INBOX_FEED", "1") not in ("0", "false", "no", "off"))
    # The demo login hands out customer tokens for the demo customers: demo mode only.
    demo_login: bool = field(default_factory=_demo_mode)
    demo_agent_password: str = field(default_factory=lambda: _demo_password("BOT_DEMO_AGENT_PASSWORD"))
    demo_lead_password: str = field(default_factory=lambda: _demo_password("BOT_DEMO_LEAD_PASSWORD"))

    def require(self, *names: str) -> "Settings":
        """Refuses to run outside demo mode with a missing, short or public secret; returns self.

        `names` are the environment variables this process needs (BOT_IDENTITY_SECRET, RASA_TOKEN,
        SMS_WEBHOOK_SECRET, ACTION_SERVER_TOKEN). The message names the variable to set. The production
        profile also refuses demo mode and a SQLite database.
        """
        if self.profile not in PROFILES:
            raise InsecureConfiguration(f"BOT_PROFILE is {self.profile!r}: use one of {', '.join(PROFILES)}")
        if self.profile == "production":
            if self.demo_mode:
                raise InsecureConfiguration("BOT_PROFILE=production never runs in demo mode: unset BOT_DEMO_MODE")
            # Several processes on several hosts share one database: a local SQLite file cannot be it.
            if self.database_url.startswith("sqlite"):
                raise InsecureConfiguration("BOT_PROFILE=production needs DATABASE_URL on the shared PostgreSQL server")
        if self.demo_mode:
            return self
        values = {"BOT_IDENTITY_SECRET": self.identity_secret, "RASA_TOKEN": self.rasa_token,
                  "SMS_WEBHOOK_SECRET": self.sms_webhook_secret, "ACTION_SERVER_TOKEN": self.action_server_token}
        for name in names:
            value = values[name]
            if not value:
                raise InsecureConfiguration(f"{name} is not set (or run with BOT_DEMO_MODE=1 for the demo)")
            if value in DEMO_SECRETS.values():
                raise InsecureConfiguration(f"{name} is a public demo value: set your own secret")
            if len(value.encode("utf-8")) < MIN_SECRET_BYTES:
                raise InsecureConfiguration(f"{name} is shorter than {MIN_SECRET_BYTES} bytes")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return Settings()
