"""The supervisor's review loop in headless Chromium: mark a conversation reviewed, see a knowledge
gap (a customer's script payload stays text), propose a training example and read its validation.
Proposals work on a scratch copy of the repo's kb/, data/, domain/ and config.yml."""
from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import pytest
from rasa.shared.core.events import UserUttered

from bot.common.settings import Settings
from bot.services import inbox, review_proposals
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import init_store
from bot.tracking.stores import streamed_event

from .conftest import ROOT, SECRET, serving

pytestmark = pytest.mark.browser
LEAD = ("lead01", "lead-password-for-tests")
PAYLOAD = '<img src=x onerror="window.pwned=1">'


@pytest.fixture
def desk(tmp_path: Path, browser):
    from bot.web import review_api
    from bot.web.app import create_app

    store = init_store(f"sqlite:///{tmp_path / 'review.db'}")
    with store.session() as session, session.begin():
        seed_demo_agents(session, demo_agents("agent-password-for-tests", LEAD[1]))
    said = UserUttered(f"基金定投怎么弄{PAYLOAD}", intent={"name": "nlu_fallback", "confidence": 0.21},
                       input_channel="socketio", timestamp=time.time())
    inbox.project(store, [streamed_event(said.as_dict(), "web-lost")])
    repo = tmp_path / "repo"
    for name in ("kb", "data", "domain"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy2(ROOT / "config.yml", repo / "config.yml")
    files = review_proposals.ReviewFiles(repo, tmp_path / "var" / "review")
    settings = dataclasses.replace(Settings(), identity_secret=SECRET, demo_mode=True,
                                   rasa_socket_url="http://127.0.0.1:5999", rasa_url="http://127.0.0.1:9")
    app = create_app(settings, demo_directory=lambda: {}, store=lambda: store)
    app[review_api.FILES] = files
    with serving(app, "review-desk") as base:
        yield base + "agent", files
    store.dispose()


def test_a_supervisor_reviews_a_conversation_sees_the_gap_and_proposes_an_example(desk, new_page):
    url, files = desk
    page = new_page(width=1280, height=900)
    page.goto(url)
    page.fill("#login-name", LEAD[0])
    page.fill("#login-password", LEAD[1])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#review-list tr:has-text('web-lost')")
    page.check(".review-flag[value=fallback]")
    page.click("#review-list td:has-text('web-lost')")
    page.wait_for_selector("#review-open:not([hidden])")
    page.fill("#review-tags", "基金,新业务")
    page.click("#review-save")
    page.wait_for_selector("#review-list tr:has-text('基金，新业务')")
    page.click("#review-done")
    page.wait_for_selector("#review-state-note:has-text('已复盘：lead01')")
    page.wait_for_selector("#review-list tr:has-text('web-lost')", state="detached")  # off the unreviewed list

    gap = page.inner_text("#gap-list tr")
    assert "基金定投怎么弄" in gap and "<img" in gap  # shown as text
    assert page.evaluate("() => window.pwned") is None  # and never run
    page.click("#gap-list tr button:has-text('转为训练样例')")
    page.fill("#proposal-text", "基金定投怎么弄")
    page.fill("#proposal-intent", "ask_fund_auto_invest")  # no such intent: validation must say so
    page.click("#proposal-submit")
    page.wait_for_selector("#proposal-status:has-text('校验未通过')", timeout=120000)
    assert "ask_fund_auto_invest" in page.text_content("#proposal-output")
    assert page.is_hidden("#proposal-approve")
    assert not (files.root / review_proposals.EXAMPLES_FILE).exists()
    assert [e for e in page.errors if "status of 401" not in e] == [], page.errors
