"""Proposals of the review loop against a scratch copy of the repo's kb/, data/, domain/ and config:
validated by the real kb check and `rasa data validate`, approved into the copy, never the repo."""
from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.services import review_proposals as proposals

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def files(tmp_path: Path) -> proposals.ReviewFiles:
    repo = tmp_path / "repo"
    for name in ("kb", "data", "domain"):
        shutil.copytree(ROOT / name, repo / name)
    shutil.copy2(ROOT / "config.yml", repo / "config.yml")
    return proposals.ReviewFiles(repo, tmp_path / "var" / "review")


def test_an_example_for_a_known_intent_passes_validation_and_approval_writes_the_repo_file(files) -> None:
    proposal = proposals.propose_example(files, "lead01", "印花税到底谁来交呀", "faq/stamp_duty", now=NOW)
    assert proposal.validation["rasa_validate"]["ok"], proposal.validation["rasa_validate"]["output"]
    assert proposal.validation["kb_check"]["ok"], proposal.validation["kb_check"]["output"]
    assert proposal.status == "validated"
    assert "+    - 印花税到底谁来交呀" in proposal.diff and "b/data/nlu/reviewed_examples.yml" in proposal.diff
    target = files.root / proposals.EXAMPLES_FILE
    assert not target.exists()  # proposing changes nothing in the repo
    folder = files.workspace / "proposals" / proposal.id
    assert {"proposal.json", "change.diff", "fragment.yml"} <= {p.name for p in folder.iterdir()}
    assert not (files.workspace / "scratch" / proposal.id).exists()  # the scratch copy is gone

    approved = proposals.approve(files, "lead02", proposal.id, now=NOW)
    assert (approved.status, approved.approved_by) == ("approved", "lead02")
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert written["nlu"] == [{"intent": "faq/stamp_duty", "examples": "- 印花税到底谁来交呀\n"}]
    with pytest.raises(proposals.ProposalRefused):
        proposals.approve(files, "lead01", proposal.id)


def test_an_example_for_an_unknown_intent_fails_rasa_validation_and_cannot_be_approved(files) -> None:
    proposal = proposals.propose_example(files, "lead01", "我想问问基金定投", "ask_fund_plans", now=NOW)
    assert proposal.status == "failed"
    assert not proposal.validation["rasa_validate"]["ok"]
    assert "ask_fund_plans" in proposal.validation["rasa_validate"]["output"]
    with pytest.raises(proposals.ProposalRefused):
        proposals.approve(files, "lead01", proposal.id)
    assert not (files.root / proposals.EXAMPLES_FILE).exists()


def test_an_article_draft_is_labelled_unverified_validated_and_refused_once_the_files_moved_on(files) -> None:
    draft = {"id": "fund_auto_invest", "topic": "markets_products", "title": "基金定投怎么办理",
             "answer": "基金定投可以在App的基金页面设置每期扣款日期和金额，到期自动从资金账户扣款申购。",
             "short": "App基金页面可设置定投日期和金额。", "source": "本营业部客户服务手册（2026版）",
             "effective": "2026-01-01", "questions": ["基金定投怎么弄", "怎么设置基金定投", "定投基金在哪里办"]}
    proposal = proposals.propose_article(files, "lead01", draft, now=NOW)
    assert proposal.files == [proposals.EXAMPLES_FILE, "kb/articles/markets_products.yml"]
    assert "verified: false" in proposal.fragment and "以本营业部/交易所最新公告为准" in proposal.fragment
    assert proposal.validation["kb_check"]["ok"], proposal.validation["kb_check"]["output"]
    assert proposal.status == "validated", proposal.validation
    (files.root / "kb/articles/markets_products.yml").write_text(
        (files.root / "kb/articles/markets_products.yml").read_text(encoding="utf-8") + "\n# edited by hand\n",
        encoding="utf-8")
    with pytest.raises(proposals.ProposalRefused, match="changed since"):
        proposals.approve(files, "lead01", proposal.id)


def test_bad_input_and_foreign_ids_are_refused_before_any_file_is_touched(files) -> None:
    with pytest.raises(proposals.InvalidProposal):
        proposals.propose_example(files, "lead01", "两行\n文字", "ask_fees")
    with pytest.raises(proposals.InvalidProposal):
        proposals.propose_example(files, "lead01", "印花税", "../../etc/passwd")
    with pytest.raises(proposals.InvalidProposal):
        proposals.propose_article(files, "lead01", {"id": "x", "topic": "../kb"})
    for foreign in ("../../../etc", "..", "0123456789ab/../..", "ABCDEF012345"):
        with pytest.raises(proposals.UnknownProposal):
            proposals.get(files, foreign)
    assert not files.workspace.exists()
