"""kb/canned_replies.yml, the agents' ready-made answers: `python -m bot.kb check` holds them to the
rules of the bot's own texts (source, dates, no advice, no copied figures) and to the articles and
intents they name."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.kb import KbError, load_kb
from bot.kb.check import check_kb

CANNED = "canned_replies.yml"
TODAY = date(2026, 12, 7)


def _reply(data, reply_id):
    return next(r for r in data["canned_replies"] if r["id"] == reply_id)


def test_the_real_canned_replies_load_with_unique_shortcuts(kb):
    replies = kb.canned_replies
    assert len(replies) >= 5
    assert len({r.shortcut for r in replies}) == len(replies)
    assert next(r for r in replies if r.shortcut == "/开户").articles == ["open_eligibility", "open_documents", "open_online"]


BREAKAGES = {
    "advice": (lambda data: _reply(data, "closing").update(text="感谢咨询，这只股票下周肯定涨，建议买入。"),
               "closing: text gives advice"),
    "missing_source": (lambda data: _reply(data, "closing").pop("source"), "closing: source: field required"),
    "source_of_no_issuer": (lambda data: _reply(data, "closing").update(source="坐席的经验"),
                            "names no issuer on the allow-list"),
    "duplicate_shortcut": (lambda data: _reply(data, "closing").update(shortcut="/开户"), "duplicate shortcut '/开户'"),
    "bad_shortcut": (lambda data: _reply(data, "closing").update(shortcut="结束"), "shortcut"),
    "unknown_article": (lambda data: _reply(data, "open_account").update(articles=["open_acount"]),
                        "open_account: goes with article 'open_acount', which does not exist"),
    "unknown_intent": (lambda data: _reply(data, "closing").update(intents=["bye_bye"]),
                       "closing: goes with intent 'bye_bye', which no domain file declares"),
    "copied_fee_rate": (lambda data: _reply(data, "fee_details_needed").update(text="默认佣金万分之2.5，每笔最低5元。"),
                        "states the rate '万分之2.5'"),
    "markdown": (lambda data: _reply(data, "closing").update(text="**感谢**您的耐心"), "must be plain text"),
    "review_due": (lambda data: _reply(data, "closing").update(reviewed=date(2025, 1, 1), review_by=date(2026, 1, 1)),
                   "closing: review_by 2026-01-01 is in the past"),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_check_fails_on_a_broken_canned_reply(name: str, kb_copy: Path, edit_yaml, project_root: Path):
    change, message = BREAKAGES[name]
    edit_yaml(kb_copy / CANNED, change)
    report = check_kb(kb_copy, TODAY, project_root)
    assert any(message in p for p in report.problems), report.problems


def test_the_untouched_copy_passes_with_the_domain_intents(kb_copy: Path, project_root: Path):
    report = check_kb(kb_copy, TODAY, project_root)
    assert report.ok, report.problems
    assert "canned replies" in report.summary


def test_a_broken_file_fails_the_desk_not_the_bot(kb_copy: Path, edit_yaml):
    edit_yaml(kb_copy / CANNED, lambda data: _reply(data, "open_account").update(articles=["nothing_here"]))
    kb = load_kb(kb_copy)
    assert kb.article("stamp_duty")  # the bot still answers
    with pytest.raises(KbError, match="nothing_here"):
        kb.canned_replies
