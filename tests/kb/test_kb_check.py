"""`python -m bot.kb check` passes on the real kb and names each kind of problem on a broken copy."""
from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.kb import load_kb, read_kb
from bot.kb.check import check_kb


def test_check_passes_on_the_real_kb(run_cli, project_root: Path):
    result = run_cli("check", "--kb", str(project_root / "kb"))
    assert result.returncode == 0, result.stderr
    assert re.search(r"kb OK .*: 1\d\d articles", result.stdout), result.stdout


def test_check_passes_on_an_untouched_copy(run_cli, kb_copy: Path):
    result = run_cli("check", "--kb", str(kb_copy))
    assert result.returncode == 0, result.stderr


def _article(data, article_id):
    return next(a for a in data if a["id"] == article_id)


BREAKAGES = {
    "missing_source": (
        "articles/fees.yml",
        lambda data: _article(data, "stamp_duty").pop("source"),
        "stamp_duty: source: field required",
    ),
    "missing_effective": (
        "articles/rules.yml",
        lambda data: _article(data, "price_limit").pop("effective"),
        "price_limit: effective: field required",
    ),
    "review_by_in_the_past": (
        "articles/account.yml",
        lambda data: _article(data, "custody").update(reviewed=date(2025, 1, 1), review_by=date(2026, 1, 1)),
        "custody: review_by 2026-01-01 is in the past",
    ),
    "duplicate_id": (
        "articles/service.yml",
        lambda data: data.append(dict(_article(data, "points"))),
        "duplicate article id 'points'",
    ),
    "short_too_long": (
        "articles/service.yml",
        lambda data: _article(data, "tiers").update(short="很长" * 31),
        "tiers: short: short is 62 characters",
    ),
    "markdown_answer": (
        "articles/fees.yml",
        lambda data: _article(data, "commission").update(answer="**佣金**协商确定，上限千分之三。每笔最低5元。"),
        "commission: answer: must be plain text",
    ),
    "float_rate": (
        "fees.yml",
        lambda data: data["schedules"][0]["items"][1].update(rate=0.0005),
        "as a quoted string",
    ),
    "fee_item_without_source": (
        "fees.yml",
        lambda data: data["schedules"][0]["items"][2].pop("source"),
        "fees.yml: schedules.0.items.2.source: field required",
    ),
    "customer_unknown_tier": (
        "customers.yml",
        lambda data: data["customers"][0].update(tier="diamond"),
        "customers.yml: customers.0.tier",
    ),
    "topic_in_wrong_file": (
        "articles/rules.yml",
        lambda data: _article(data, "lot_size").update(topic="fees"),
        "lot_size: topic 'fees' does not match the file",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_check_fails_on_a_broken_copy(name: str, run_cli, kb_copy: Path, edit_yaml):
    file, change, message = BREAKAGES[name]
    edit_yaml(kb_copy / file, change)
    result = run_cli("check", "--kb", str(kb_copy))
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_check_fails_on_a_dangling_faq_reference(run_cli, kb_copy: Path, tmp_path: Path):
    nlu = tmp_path / "data" / "nlu"
    nlu.mkdir(parents=True)
    (nlu / "faq.yml").write_text('version: "3.1"\nnlu:\n- intent: faq/stamp_tax\n  examples: |\n    - 印花税\n', encoding="utf-8")
    result = run_cli("check", "--kb", str(kb_copy))
    assert result.returncode != 0
    assert "refers to faq/stamp_tax" in result.stderr


def test_check_fails_when_the_kb_is_due_for_review(run_cli, kb_copy: Path):
    result = run_cli("check", "--kb", str(kb_copy), "--today", "2028-01-01")
    assert result.returncode != 0
    assert "is in the past" in result.stderr


def test_check_reports_every_problem_not_just_the_first(kb_copy: Path, edit_yaml):
    edit_yaml(kb_copy / "articles/fees.yml", lambda data: _article(data, "stamp_duty").pop("source"))
    edit_yaml(kb_copy / "articles/rules.yml", lambda data: _article(data, "lot_size").pop("answer"))
    report = check_kb(kb_copy, date(2026, 11, 25))
    assert not report.ok
    assert any("stamp_duty: source" in p for p in report.problems)
    assert any("lot_size: answer" in p for p in report.problems)


def test_missing_kb_file_is_a_problem(kb_copy: Path):
    (kb_copy / "tiers.yml").unlink()
    kb, problems = read_kb(kb_copy)
    assert kb is None and "tiers.yml: file is missing" in problems


def test_core_kb_works_without_the_playbook_and_entity_modules(kb_copy: Path, monkeypatch):
    # Other modules own retention/complaints/entities; ours must not depend on them being importable.
    monkeypatch.setitem(sys.modules, "bot.kb.playbooks", None)
    monkeypatch.setitem(sys.modules, "bot.kb.entities", None)
    kb = load_kb(kb_copy)
    assert kb.article("stamp_duty").id == "stamp_duty"
    with pytest.raises(ImportError):
        kb.retention
    report = check_kb(kb_copy, date(2026, 11, 25))
    assert report.ok, report.problems

