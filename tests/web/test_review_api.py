"""The review loop's routes over HTTP against a real store: supervisors only, CSRF on changes, bad
input refused, proposal ids the server did not make refused, and the repo's own files left alone
(the routes work on a scratch copy of kb/, data/, domain/ and config.yml)."""
from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.events import UserUttered

from bot.common.settings import Settings
from bot.services import inbox, review_proposals, staff
from bot.tracking.stores import streamed_event
from bot.web import review_api
from bot.web.app import create_app
from bot.web.panel import CSRF_HEADER

from .conftest import AGENT, LEAD, log_in, staff_store

ROOT = Path(__file__).resolve().parents[2]
SECRET = "review-test-secret-at-least-32-bytes-long"


@pytest.fixture
def store(tmp_path):
    opened = staff_store(tmp_path / "panel.db")
    event = UserUttered("科创板开通条件是什么", intent={"name": "nlu_fallback", "confidence": 0.2},
                        input_channel="socketio", timestamp=time.time())
    inbox.project(opened, [streamed_event(event.as_dict(), "web-r1")])
    yield opened
    opened.dispose()


@pytest.fixture
def files(tmp_path) -> review_proposals.ReviewFiles:
    repo = tmp_path / "repo"
    for name in ("kb", "data", "domain"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy2(ROOT / "config.yml", repo / "config.yml")
    return review_proposals.ReviewFiles(repo, tmp_path / "var" / "review")


@pytest.fixture
async def client(store, files) -> AsyncIterator[TestClient]:
    settings = dataclasses.replace(Settings(), identity_secret=SECRET, demo_mode=True, rasa_url="http://127.0.0.1:9",
                                   rasa_token=SECRET, inbox_feed=False)
    app = create_app(settings, demo_directory=lambda: {}, store=lambda: store)
    app[review_api.FILES] = files
    opened = TestClient(TestServer(app, host="127.0.0.1"))
    await opened.start_server()
    yield opened
    await opened.close()



ROUTES = [("GET", "/api/review/conversations"), ("GET", "/api/review/conversations/web-r1"),
          ("POST", "/api/review/conversations/web-r1"), ("GET", "/api/review/gaps"),
          ("GET", "/api/review/proposals"), ("POST", "/api/review/proposals"),
          ("GET", "/api/review/proposals/0123456789ab"), ("POST", "/api/review/proposals/0123456789ab/approve")]


async def test_every_review_route_needs_a_session_and_refuses_agents(client) -> None:
    for method, url in ROUTES:
        assert (await client.request(method, url, json={})).status == 401, url
    csrf = await log_in(client, AGENT)
    for method, url in ROUTES:
        answer = await client.request(method, url, json={"flagged": True}, headers={CSRF_HEADER: csrf})
        assert answer.status == 403 and (await answer.json())["error"] == "supervisors only", url


async def test_a_supervisor_reviews_a_conversation_with_csrf_and_the_audit_log_says_so(client, store) -> None:
    csrf = await log_in(client, LEAD)
    [item] = await (await client.get("/api/review/conversations?flag=fallback&state=unreviewed")).json()
    assert (item["conversation_id"], item["fallbacks"], item["review"]["reviewed_by"]) == ("web-r1", 1, None)
    opened = await (await client.get("/api/review/conversations/web-r1")).json()
    assert opened["transcript"] is None  # no Rasa here: the review works without the transcript
    assert [u["text"] for u in opened["unanswered"]] == ["科创板开通条件是什么"]
    url = "/api/review/conversations/web-r1"
    assert (await client.post(url, json={"reviewed": True})).status == 403  # no CSRF token
    changed = await client.post(url, json={"tags": ["科创板"], "flagged": True, "reviewed": True},
                                headers={CSRF_HEADER: csrf})
    assert changed.status == 200
    state = await changed.json()
    assert (state["tags"], state["flagged"], state["reviewed_by"]) == (["科创板"], True, "lead01")
    assert await (await client.get("/api/review/conversations?state=unreviewed")).json() == []
    entry = staff.audit_trail(store)[0]
    assert (entry.action, entry.actor, entry.target) == ("conversation_reviewed", "lead01", "web-r1")
    [gap] = await (await client.get("/api/review/gaps")).json()
    assert gap["count"] == 1 and gap["examples"][0]["text"] == "科创板开通条件是什么"


async def test_bad_input_is_refused(client) -> None:
    csrf = await log_in(client, LEAD)
    headers = {CSRF_HEADER: csrf}
    assert (await client.get("/api/review/conversations?flag=everything")).status == 400
    assert (await client.get("/api/review/conversations?state=maybe")).status == 400
    assert (await client.get("/api/review/conversations?limit=lots")).status == 400
    url = "/api/review/conversations/web-r1"
    for body in ({}, {"flagged": "yes"}, {"tags": "a"}, {"tags": ["<b>x</b>"]}, {"tags": ["x" * 30]}):
        assert (await client.post(url, json=body, headers=headers)).status == 400, body
    assert (await client.post("/api/review/conversations/web-none", json={"flagged": True}, headers=headers)).status == 404
    for body in ({"kind": "patch"}, {"kind": "example", "text": "", "intent": "faq/stamp_duty"},
                 {"kind": "example", "text": "a\nb", "intent": "faq/stamp_duty"},
                 {"kind": "example", "text": "印花税", "intent": "../../kb/fees"},
                 {"kind": "example", "text": "印花税", "intent": "faq/stamp_duty", "message_id": 999},
                 {"kind": "article", "article": {"id": "new_one", "topic": "../../etc"}},
                 {"kind": "article", "article": "x"}):
        assert (await client.post("/api/review/proposals", json=body, headers=headers)).status == 400, body


async def test_proposal_ids_the_server_did_not_make_are_refused(client, files, tmp_path) -> None:
    csrf = await log_in(client, LEAD)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "proposal.json").write_text("{}")
    for foreign in ("..%2F..%2Fsecret", "..", "%2e%2e", "0123456789ab%2F..", "..%2F..%2F..%2Fetc%2Fpasswd"):
        assert (await client.get(f"/api/review/proposals/{foreign}")).status in (404,), foreign
        answer = await client.post(f"/api/review/proposals/{foreign}/approve", headers={CSRF_HEADER: csrf})
        assert answer.status == 404, foreign
    assert not (files.root / review_proposals.EXAMPLES_FILE).exists()


async def test_a_proposed_example_is_validated_then_approved_into_the_repo_copy(client, store, files) -> None:
    csrf = await log_in(client, LEAD)
    [gap] = await (await client.get("/api/review/gaps")).json()
    created = await client.post("/api/review/proposals", headers={CSRF_HEADER: csrf}, json={
        "kind": "example", "text": "科创板开通条件是什么", "intent": "faq/perm_star",
        "message_id": gap["examples"][0]["message_id"]})
    assert created.status == 201
    proposal = await created.json()
    assert proposal["status"] == "validated", proposal["validation"]
    assert proposal["validation"]["rasa_validate"]["ok"] and proposal["validation"]["kb_check"]["ok"]
    assert proposal["origin"]["conversation_id"] == "web-r1"
    assert (await client.post(f"/api/review/proposals/{proposal['id']}/approve")).status == 403  # CSRF
    approved = await client.post(f"/api/review/proposals/{proposal['id']}/approve", headers={CSRF_HEADER: csrf})
    assert approved.status == 200 and (await approved.json())["approved_by"] == "lead01"
    assert "科创板开通条件是什么" in (files.root / review_proposals.EXAMPLES_FILE).read_text(encoding="utf-8")
    again = await client.post(f"/api/review/proposals/{proposal['id']}/approve", headers={CSRF_HEADER: csrf})
    assert again.status == 409
    actions = [e.action for e in staff.audit_trail(store)]
    assert "change_proposed" in actions and "change_approved" in actions
    assert not (ROOT / "data" / "nlu" / "reviewed_examples.yml").exists()
