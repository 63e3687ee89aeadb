"""The production profile starts only with production secrets and shared stores: never in demo mode, never
on the embedded SQLite file, never half-configured. `scripts/production.sh start` is run as an operator
runs it, and must refuse before it starts anything."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.common.settings import InsecureConfiguration, Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "a-production-secret-that-is-long-enough-0123456789"
SECRETS = ("BOT_IDENTITY_SECRET", "RASA_TOKEN", "SMS_WEBHOOK_SECRET", "ACTION_SERVER_TOKEN")
STORES = {
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
    "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_NAME": "tracker", "TRACKER_DB_USER": "postgres",
    "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
    "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
}


def production_settings(**changes) -> Settings:
    values = dict(profile="production", demo_mode=False, database_url=STORES["DATABASE_URL"],
                  identity_secret=STRONG, rasa_token=STRONG, sms_webhook_secret=STRONG, action_server_token=STRONG)
    values.update(changes)
    return Settings(**values)


def test_the_production_profile_with_its_secrets_and_postgresql_is_accepted():
    production_settings().require(*SECRETS)


@pytest.mark.parametrize("changes, says", [
    ({"demo_mode": True}, "never runs in demo mode"),
    ({"database_url": "sqlite:////srv/bot.db"}, "needs DATABASE_URL on the shared PostgreSQL server"),
    ({"profile": "prod"}, "BOT_PROFILE is 'prod'"),
    ({"rasa_token": "demo-rasa-token"}, "RASA_TOKEN is a public demo value"),
])
def test_the_production_profile_refuses_what_only_the_demo_may_do(changes, says):
    with pytest.raises(InsecureConfiguration, match=says):
        production_settings(**changes).require(*SECRETS)


def run_production_script(tmp_path: Path, **values: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_DEMO_MODE", "REST_TOKEN", *SECRETS, *STORES)}
    env.update(BOT_RUN_DIR=str(tmp_path / "run"), **values)
    return subprocess.run([str(ROOT / "scripts" / "production.sh"), "start"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_production_script_names_every_missing_setting_and_starts_nothing(tmp_path):
    refused = run_production_script(tmp_path, **{name: STRONG for name in SECRETS[:2]})
    assert refused.returncode == 2
    for name in (*SECRETS[2:], *STORES):
        assert name in refused.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("changes, says", [
    ({"BOT_DEMO_MODE": "1"}, "never runs in demo mode"),
    ({"ACTION_SERVER_TOKEN": "demo-action-server-token"}, "ACTION_SERVER_TOKEN is a public demo value"),
    ({"DATABASE_URL": "sqlite:///var/bot.db"}, "needs DATABASE_URL on the shared PostgreSQL server"),
])
def test_production_script_refuses_demo_values_before_starting_anything(tmp_path, changes, says):
    values = {**{name: STRONG for name in SECRETS}, **STORES, **changes}
    refused = run_production_script(tmp_path, **values)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    assert not (tmp_path / "run").exists()
