"""While a human agent has the conversation the bot stays quiet; handed back, it answers again.

Driven through the command-line desk as an agent uses it, against the running Rasa server: the desk
logs in against the `agents` table and acts only on handoffs its login holds.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import jwt

from bot.common.settings import DEMO_PASSWORDS
from bot.services.agent_desk import rasa_api_bearer

from .conftest import ROOT, SECRET, TOKEN

AGENT_PASSWORD = DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"]
LEAD_PASSWORD = DEMO_PASSWORDS["BOT_DEMO_LEAD_PASSWORD"]


def desk(live_bot, login, password, *args):
    env = dict(os.environ, DATABASE_URL=live_bot.store_url, RASA_URL=live_bot.rasa_url, RASA_TOKEN=TOKEN,
               BOT_IDENTITY_SECRET=SECRET, BOT_AGENT_PASSWORD=password, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "bot.cli.agent_desk", "--login", login, *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_bot_is_quiet_while_an_agent_has_the_conversation(live_bot):
    sender = f"live-{uuid.uuid4().hex[:8]}"
    queued = " ".join(m.get("text", "") for m in live_bot.say(sender, "转人工"))
    assert "人工" in queued
    assert desk(live_bot, "agent01", "a wrong password", "next").returncode == 2
    taken = desk(live_bot, "agent01", AGENT_PASSWORD, "next")
    assert taken.returncode == 0, taken.stderr
    handoff = re.search(r"handoff (\d+): (\S+)", taken.stdout)
    assert handoff and handoff.group(2) == sender
    assert live_bot.say(sender, "你好，在吗") == []  # the agent answers, not the bot
    # Another login cannot speak in or close this handoff; nor can its holder name another conversation.
    assert desk(live_bot, "lead01", LEAD_PASSWORD, "say", handoff.group(1), sender, "我是别人").returncode == 3
    assert desk(live_bot, "agent01", AGENT_PASSWORD, "done", handoff.group(1), "someone-else").returncode == 3
    spoken = desk(live_bot, "agent01", AGENT_PASSWORD, "say", handoff.group(1), sender, "您好，我是坐席小王")
    assert spoken.returncode == 0, spoken.stderr
    done = desk(live_bot, "agent01", AGENT_PASSWORD, "done", handoff.group(1), sender)
    assert done.returncode == 0, done.stderr
    assert live_bot.say(sender, "印花税是多少")


def _status(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasas_api_takes_a_short_lived_signed_header_not_a_token_in_the_url(live_bot):
    status = f"{live_bot.rasa_url}/status"
    assert _status(f"{status}?token={TOKEN}") == 401
    assert _status(status) == 401
    assert _status(status, {"Authorization": rasa_api_bearer(TOKEN)}) == 200
    assert _status(status, {"Authorization": rasa_api_bearer("another-secret-of-at-least-32-bytes")}) == 401
    expired = rasa_api_bearer(TOKEN, now=time.time() - 3600)
    assert _status(status, {"Authorization": expired}) == 401
    forged = "Bearer " + jwt.encode({"user": {"username": "x", "role": "admin"}}, "demo-rasa-token", algorithm="HS256")
    assert _status(status, {"Authorization": forged}) == 401
