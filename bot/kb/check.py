"""`python -m bot.kb check`: everything that makes the knowledge base unfit to answer customers.

Beyond the schema (see `read_kb`) this checks what depends on the day (review dates, a schedule in
force), references from outside the kb (`faq/<id>` in training data and domain files), and the files
other modules own (retention, complaints, entities) through their own loaders.
"""
from __future__ import annotations

import importlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable, List, Optional

from bot.kb.loader import COMPLAINTS_FILE, ENTITIES_FILE, RETENTION_FILE, KnowledgeBase, read_kb

# `faq/<id>` as a retrieval intent (`intent: faq/x`), not inside a word.
_FAQ_REF = re.compile(r"(?<![A-Za-z0-9])faq/([A-Za-z0-9_]+)")
_OWNED_ELSEWHERE = (
    (RETENTION_FILE, "bot.kb.playbooks", "load_retention"),
    (COMPLAINTS_FILE, "bot.kb.playbooks", "load_complaints"),
    (ENTITIES_FILE, "bot.kb.entities", "load_entities"),
    ("replies.yml", "bot.kb.replies", "load_replies"),
    ("sms.yml", "bot.kb.sms", "load_sms"),
    ("calendar.yml", "bot.kb.calendar", "load_calendar"),
    ("scope.yml", "bot.kb.scope", "load_scope"),
)


@dataclass
class CheckReport:
    problems: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _review_problems(kb: KnowledgeBase, today: date) -> Iterable[str]:
    records = [(f"articles: {a.id}", a.review_by) for a in kb.articles]
    records += [(f"fees.yml: {s.id}", s.review_by) for s in kb.schedules]
    records += [(f"tiers.yml: {t.id.value}", t.review_by) for t in kb.tiers]
    records += [("service.yml", kb.service.review_by), ("service.yml: points", kb.service.points.review_by)]
    for where, review_by in records:
        if review_by < today:
            yield f"{where}: review_by {review_by} is in the past; re-check the facts and the source"


def _reference_files(project_root: Path, kb_dir: Path) -> List[Path]:
    files = [p for p in kb_dir.glob("*.yml")]
    files += sorted((project_root / "data").rglob("*.yml")) if (project_root / "data").is_dir() else []
    files += [p for p in project_root.glob("domain*.yml")]
    domain_dir = project_root / "domain"
    if domain_dir.is_dir():
        # Generated files are derived from the kb itself; checking them would prove nothing.
        files += [p for p in domain_dir.rglob("*.yml") if "generated" not in p.relative_to(domain_dir).parts]
    return files


def _dangling_faq_refs(kb: KnowledgeBase, files: Iterable[Path], root: Path) -> Iterable[str]:
    known = set(kb.article_ids())
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield f"{file}: cannot read ({exc})"
            continue
        for ref, count in Counter(_FAQ_REF.findall(text)).items():
            if ref not in known:
                try:
                    name = file.relative_to(root)
                except ValueError:
                    name = file
                yield f"{name}: refers to faq/{ref} ({count}×), but no article has that id"


def _unreachable_articles(kb: KnowledgeBase, root: Path) -> Iterable[str]:
    """Articles no training example asks for: the NLU can never choose them."""
    data = root / "data" / "nlu"
    if not data.is_dir():
        return
    asked = set()
    for file in sorted(data.rglob("*.yml")):
        asked.update(re.findall(r"intent:\s*faq/([A-Za-z0-9_]+)", file.read_text(encoding="utf-8")))
    for article_id in kb.article_ids():
        if article_id not in asked:
            yield f"articles: {article_id} has no training examples (no `intent: faq/{article_id}` in data/nlu)"


def _check_owned_elsewhere(kb_dir: Path, today: date, report: CheckReport) -> List[str]:
    checked = []
    for file_name, module_name, loader_name in _OWNED_ELSEWHERE:
        file = kb_dir / file_name
        if not file.is_file():
            report.warnings.append(f"{file_name}: not present yet, not checked")
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            report.warnings.append(f"{file_name}: {module_name} is not available yet, not checked")
            continue
        try:
            loaded = getattr(module, loader_name)(kb_dir)  # their loaders take the kb directory
        except Exception as exc:  # any failure of their loader is a problem in that file
            report.problems.append(f"{file_name}: {type(exc).__name__}: {exc}")
            continue
        checked.append(file_name)
        if hasattr(loaded, "coverage_problems"):
            problems, warnings = loaded.coverage_problems(today)
            report.problems.extend(problems)
            report.warnings.extend(warnings)
        # Their sourced records expose (reference, record) pairs; expiry is checked the same way as ours.
        for ref, record in getattr(loaded, "fact_records", lambda: [])():
            if record.review_by < today:
                report.problems.append(f"{file_name}: {ref}: review_by {record.review_by} is in the past")
    return checked


def check_kb(kb_dir: Path, today: date, project_root: Optional[Path] = None) -> CheckReport:
    """All problems with the kb at `kb_dir` on `today`; `project_root` holds data/ and domain files."""
    kb_dir = Path(kb_dir)
    root = Path(project_root) if project_root is not None else kb_dir.parent
    report = CheckReport()
    kb, problems = read_kb(kb_dir)
    report.problems.extend(problems)
    checked = _check_owned_elsewhere(kb_dir, today, report) if kb_dir.is_dir() else []
    if kb is None:
        return report

    report.problems.extend(_review_problems(kb, today))
    try:
        in_force = kb.fee_schedule_on(today)
    except LookupError as exc:
        report.problems.append(f"fees.yml: {exc}")
        in_force = None
    files = _reference_files(root, kb_dir)
    report.problems.extend(_dangling_faq_refs(kb, files, root))
    report.problems.extend(_unreachable_articles(kb, root))

    topics = Counter(a.topic.value for a in kb.articles)
    report.summary = (
        f"kb OK ({kb_dir}): {len(kb.articles)} articles ("
        + ", ".join(f"{topic} {n}" for topic, n in topics.items())
        + f"), {len(kb.schedules)} fee schedules"
        + (f" (in force {today}: {in_force.id} from {in_force.effective})" if in_force else "")
        + f", {len(kb.tiers)} tiers, {len(kb.customers)} customers"
        + (f"; also checked {', '.join(checked)}" if checked else "")
    )
    return report
