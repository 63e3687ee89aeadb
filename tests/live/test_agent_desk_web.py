"""The agent desk's web API against the running assistant: a customer asks for a human, an agent
logs in, takes the conversation, reads the handoff packet, is stopped from sending advice, sends a
proper reply, and hands back — the bot answers again."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import urllib.request
import uuid

from aiohttp.test_utils import TestClient, TestServer

from bot.common.settings import DEMO_PASSWORDS, Settings
from bot.services.agent_desk import rasa_api_bearer
from bot.store.db import init_store
from bot.web.app import create_app
from bot.web.panel import CSRF_HEADER

from .conftest import SECRET, TOKEN


def _tracker(live_bot, sender):
    request = urllib.request.Request(f"{live_bot.rasa_url}/conversations/{sender}/tracker",
                                     headers={"Authorization": rasa_api_bearer(TOKEN)})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_an_agent_takes_over_replies_and_hands_back_through_the_web_api(live_bot):
    sender = f"live-web-{uuid.uuid4().hex[:8]}"
    live_bot.say(sender, "我想问一下创业板开通要什么条件")
    live_bot.say(sender, "转人工")
    store = init_store(live_bot.store_url)
    settings = dataclasses.replace(Settings(), identity_secret=SECRET, demo_mode=True, rasa_url=live_bot.rasa_url,
                                   rasa_token=TOKEN, rasa_socket_url="http://127.0.0.1:5999")

    async def desk():
        client = TestClient(TestServer(create_app(settings, demo_directory=lambda: {}, store=lambda: store),
                                       host="127.0.0.1"))
        await client.start_server()
        try:
            login = await client.post("/api/login", json={"login": "agent01",
                                                          "password": DEMO_PASSWORDS["BOT_DEMO_AGENT_PASSWORD"]})
            headers = {CSRF_HEADER: (await login.json())["csrf"]}
            taken = (await (await client.post("/api/handoffs/next", headers=headers)).json())["taken"]
            while taken and taken["conversation_id"] != sender:  # earlier tests' customers are served first
                await client.post(f"/api/handoffs/{taken['handoff_id']}/release", headers=headers,
                                  json={"conversation_id": taken["conversation_id"]})
                taken = (await (await client.post("/api/handoffs/next", headers=headers)).json())["taken"]
            assert taken and taken["conversation_id"] == sender
            base = f"/api/handoffs/{taken['handoff_id']}"
            packet = await (await client.get(f"{base}/packet")).json()
            assert any("创业板" in w for w in packet["wanted"])
            assert [t["intent"] for t in packet["trail"] if t["who"] == "customer"][-1] == "request_human"
            advice = {"conversation_id": sender, "text": "这只票我建议您买一点，下周肯定涨"}
            refused = await client.post(f"{base}/reply", headers=headers, json=advice)
            assert refused.status == 409 and len((await refused.json())["flags"]) == 2
            proper = {"conversation_id": sender, "text": "您好，我是坐席小王，创业板开通需要满足两个条件。"}
            assert (await client.post(f"{base}/reply", headers=headers, json=proper)).status == 200
            assert live_bot.say(sender, "好的，谢谢") == []  # the agent has the conversation
            released = await client.post(f"{base}/release", headers=headers, json={"conversation_id": sender})
            assert released.status == 200
            audit = await client.post("/api/logout", headers=headers)
            assert audit.status == 200
        finally:
            await client.close()

    try:
        asyncio.run(desk())
        said = [e.get("text") for e in _tracker(live_bot, sender)["events"] if e.get("event") == "bot"]
        assert "您好，我是坐席小王，创业板开通需要满足两个条件。" in said
        assert not any("肯定涨" in (t or "") for t in said)  # the refused draft never reached the customer
        assert live_bot.say(sender, "印花税是多少")  # the bot answers again
    finally:
        store.dispose()
