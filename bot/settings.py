"""One settings object read from the environment; nothing else in `bot/` reads os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Demo default, documented in the README; production sets its own secret.
DEMO_IDENTITY_SECRET = "demo-identity-secret-change-me"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'bot.db'}"))
    identity_secret: str = field(default_factory=lambda: _env("BOT_IDENTITY_SECRET", DEMO_IDENTITY_SECRET))
    kb_dir: Path = field(default_factory=lambda: Path(_env("BOT_KB_DIR", str(PROJECT_ROOT / "kb"))))
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://localhost:5005"))
    rasa_token: str = field(default_factory=lambda: _env("RASA_TOKEN", "demo-rasa-token"))
    sms_webhook_secret: str = field(default_factory=lambda: _env("SMS_WEBHOOK_SECRET", "demo-sms-secret"))
    sms_gateway_url: str = field(default_factory=lambda: _env("SMS_GATEWAY_URL", "http://127.0.0.1:8090/send"))
    sms_signature: str = field(default_factory=lambda: _env("SMS_SIGNATURE", "【示例证券】"))
    sms_max_parts: int = field(default_factory=lambda: int(_env("SMS_MAX_PARTS", "3")))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings(...)` instead."""
    return Settings()
