"""Outside demo mode nothing starts with a missing, short or public secret, and the action server
answers no one but Rasa. These start the real processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.devtools.inprocess import ActionServer, free_port

ROOT = Path(__file__).resolve().parents[2]
STRONG = "a-production-secret-that-is-long-enough-0123456789"


def production_env(**values: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BOT_DEMO_MODE", "BOT_IDENTITY_SECRET", "RASA_TOKEN", "SMS_WEBHOOK_SECRET",
                        "ACTION_SERVER_TOKEN")}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", ACTION_SERVER_PORT=str(free_port()),
               BOT_WEB_PORT=str(free_port()), DATABASE_URL="sqlite:///:memory:")
    env.update(values)
    return env


def start(command: list, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("secret, says", [
    (None, "BOT_IDENTITY_SECRET is not set"),
    ("demo-identity-secret-change-me-in-production", "BOT_IDENTITY_SECRET is a public demo value"),
    ("short", "BOT_IDENTITY_SECRET is shorter than 32 bytes"),
])
def test_the_web_app_refuses_to_start_without_a_real_secret(secret, says):
    env = production_env(**({"BOT_IDENTITY_SECRET": secret} if secret else {}))
    result = start([sys.executable, "-m", "bot.web"], env)
    assert result.returncode != 0 and says in result.stderr


def test_the_action_server_refuses_a_demo_token():
    env = production_env(BOT_IDENTITY_SECRET=STRONG, ACTION_SERVER_TOKEN="demo-action-server-token")
    result = start([sys.executable, "-m", "bot.cli.action_server"], env)
    assert result.returncode != 0 and "ACTION_SERVER_TOKEN is a public demo value" in result.stderr


def test_the_rasa_server_with_our_channels_refuses_demo_secrets(tmp_path):
    env = production_env(BOT_IDENTITY_SECRET=STRONG, ACTION_SERVER_TOKEN=STRONG, SMS_WEBHOOK_SECRET=STRONG,
                         RASA_TOKEN="demo-rasa-token")
    command = [sys.executable, "-m", "rasa", "run", "--enable-api", "--jwt-secret", "demo-rasa-token", "--jwt-method", "HS256",
               "--interface", "127.0.0.1", "--port", str(free_port()), "--credentials", str(ROOT / "credentials.yml"),
               "--endpoints", str(ROOT / "endpoints.yml"), "--model", str(tmp_path / "no-model.tar.gz")]
    result = start(command, env, timeout=240)
    assert result.returncode != 0
    assert "RASA_TOKEN is a public demo value" in result.stdout + result.stderr


def test_in_demo_mode_the_same_processes_start(tmp_path):
    env = production_env(BOT_DEMO_MODE="1")
    proc = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{env['BOT_WEB_PORT']}/", timeout=2) as page:
                    assert page.status == 200
                    return
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                time.sleep(0.3)
        pytest.fail("the web app did not start in demo mode")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def post(url: str, body: dict, headers: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_direct_call_to_the_action_server_is_refused(tmp_path):
    server = ActionServer({"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})
    try:
        # A forged call: another customer's sender id and slots, straight to the action server.
        call = {"next_action": "action_complaint_status", "sender_id": "sms:13900000000",
                "tracker": {"sender_id": "sms:13900000000", "slots": {"ticket_id": "CP-20261201-0001"},
                            "latest_message": {"text": "进度", "intent": {"name": "ask_complaint_status"}},
                            "events": [], "paused": False, "followup_action": None, "active_loop": {},
                            "latest_action_name": "action_listen"},
                "domain": {}}
        assert post(server.url, call, {}) == 401
        assert post(server.url, call, {"X-Action-Token": "guess"}) == 401
        assert post(server.url, call, {"X-Action-Token": server.token}) == 200
    finally:
        server.stop()
