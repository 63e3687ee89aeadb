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
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, List, Optional, Tuple

import yaml

from bot.kb import citations
from bot.kb.loader import (
    CANNED_FILE,
    COMPLAINTS_FILE,
    ENTITIES_FILE,
    RETENTION_FILE,
    KnowledgeBase,
    read_canned_replies,
    read_kb,
)
from bot.kb.render import format_date_cn, is_branch_only

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


def _check_owned_elsewhere(
    kb_dir: Path, today: date, report: CheckReport, records: Optional[list] = None, loaded_files: Optional[dict] = None
) -> List[str]:
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
        if loaded_files is not None:
            loaded_files[file_name] = loaded
        if hasattr(loaded, "coverage_problems"):
            problems, warnings = loaded.coverage_problems(today)
            report.problems.extend(problems)
            report.warnings.extend(warnings)
        # Their sourced records expose (reference, record) pairs; expiry is checked the same way as ours.
        for ref, record in getattr(loaded, "fact_records", lambda: [])():
            if record.review_by < today:
                report.problems.append(f"{file_name}: {ref}: review_by {record.review_by} is in the past")
            if records is not None:
                records.append((f"{file_name}: {ref}" if ref != file_name else file_name, record))
    return checked


def check_kb(kb_dir: Path, today: date, project_root: Optional[Path] = None) -> CheckReport:
    """All problems with the kb at `kb_dir` on `today`; `project_root` holds data/ and domain files."""
    kb_dir = Path(kb_dir)
    root = Path(project_root) if project_root is not None else kb_dir.parent
    report = CheckReport()
    kb, problems = read_kb(kb_dir)
    report.problems.extend(problems)
    owned_records: list = []
    loaded_files: dict = {}
    checked = _check_owned_elsewhere(kb_dir, today, report, owned_records, loaded_files) if kb_dir.is_dir() else []
    if kb is None:
        return report

    canned = read_canned_replies(kb_dir, kb.branch, kb.article_ids(), report.problems)
    records = _kb_records(kb) + owned_records + [(f"{CANNED_FILE}: {c.id}", c) for c in canned]
    report.problems.extend(_effective_date_problems(kb, records, today))
    report.problems.extend(_source_problems(kb, records))
    report.problems.extend(_unverified_procedures(owned_records))
    report.problems.extend(_branch_article_problems(kb))
    report.problems.extend(_outdated_claims(kb))
    report.problems.extend(_advice_in_answers(kb))
    report.problems.extend(_canned_problems(kb, canned, root))
    report.problems.extend(_entities_problems(loaded_files))
    report.problems.extend(_duplicated_values(kb, kb_dir, root, loaded_files))

    report.problems.extend(_review_problems(kb, today))
    report.problems.extend(f"{CANNED_FILE}: {c.id}: review_by {c.review_by} is in the past; re-check the text and the source"
                           for c in canned if c.review_by < today)
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
        + f", {len(canned)} canned replies"
        + (f"; also checked {', '.join(checked)}" if checked else "")
    )
    return report


# ---------------------------------------------------------------- sources, dates, copies (issue 19)


def _kb_records(kb: KnowledgeBase) -> List[Tuple[str, Any]]:
    """(where, record) for every record of the core kb with a `source` or an `effective` date."""
    records: List[Tuple[str, Any]] = [(f"articles: {a.id}", a) for a in kb.articles]
    for schedule in kb.schedules:
        records.append((f"fees.yml: {schedule.id}", schedule))
        records += [(f"fees.yml: {schedule.id}: {item.item.value}", item) for item in schedule.items]
    records += [(f"tiers.yml: {t.id.value}", t) for t in kb.tiers]
    records += [("service.yml", kb.service), ("service.yml: points", kb.service.points)]
    if kb.branch is not None:
        records += [(f"branch.yml: documents: {d.name}", d) for d in kb.branch.documents]
    return records


def _effective_date_problems(kb: KnowledgeBase, records: List[Tuple[str, Any]], today: date) -> Iterable[str]:
    """A rule is cited as in force only once it is: a later date needs `announced: true` and an answer
    that says it is not yet in force; a past date must not keep the mark."""
    for where, record in records:
        effective = getattr(record, "effective", None)
        if effective is None:
            continue
        announced = bool(getattr(record, "announced", False))
        if effective > today and not announced:
            yield (f"{where}: effective {effective} is after today ({today}); a rule not yet in force is marked "
                   f"`announced: true` and its answer says when it takes effect")
        elif announced and effective <= today:
            yield f"{where}: marked announced but in force since {effective}; drop `announced`"
    for article in kb.articles:
        if article.announced and article.effective > today:
            day = format_date_cn(article.effective)
            if day not in article.answer or not ("将于" in article.answer or "尚未施行" in article.answer):
                yield f"articles: {article.id}: announced (not yet in force): the answer must say it takes effect on {day} (将于…/尚未施行)"


def _source_problems(kb: KnowledgeBase, records: List[Tuple[str, Any]]) -> Iterable[str]:
    """Every source names a document of an allow-listed issuer, no placeholder, no defunct body, and
    the newest edition the kb knows of."""
    documents = set(kb.branch.document_names()) if kb.branch is not None else set()
    sourced = [(where, record.source) for where, record in records if getattr(record, "source", None)]
    for where, source in sourced:
        placeholder = citations.placeholder_in(source)
        if placeholder:
            yield f"{where}: source {source!r} is a placeholder ({placeholder}), not a document"
            continue
        defunct = citations.defunct_in(source)
        if defunct:
            yield f"{where}: source names {defunct}, which no longer exists: cite the edition in force and its issuers"
        for part in citations.citations(source):
            found = citations.issuers(part)
            if not found:
                yield (f"{where}: {part!r} names no issuer on the allow-list "
                       f"({', '.join(citations.ISSUERS)}; the branch only for documents in branch.yml)")
                continue
            if citations.BRANCH in found:
                for named in citations.branch_documents_named(part):
                    if not any(named.startswith(name) or name.startswith(named) for name in documents):
                        yield f"{where}: {named!r} is not a branch document declared in branch.yml `documents`"
    yield from citations.superseded(sourced)


def _unverified_procedures(records: List[Tuple[str, Any]]) -> Iterable[str]:
    """A procedure resting on rules nobody could read tells the customer to rely on the latest notice
    (articles are held to the same by their model)."""
    for where, record in records:
        procedure = getattr(record, "procedure", None)
        if procedure and getattr(record, "verified", True) is False and citations.UNVERIFIED_NOTICE not in procedure:
            yield f"{where}: verified is false: the procedure must say “{citations.UNVERIFIED_NOTICE}”"


def _branch_article_problems(kb: KnowledgeBase) -> Iterable[str]:
    """An article that states a branch figure says 本营业部规定 and cites no regulator."""
    for article in kb.articles:
        if article.id in kb.branch_article_ids and not is_branch_only(article.source):
            yield (f"articles: {article.id}: states a branch figure ({{branch.…}}) but cites {article.source!r}: "
                   f"branch figures cite only the branch's own documents (本营业部规定)")


# Claims that were true once and are not any more (domain-facts.md): (what, pattern, unless).
OUTDATED_CLAIMS = (
    ("ST/*ST ±5% (main board, ended 2026-07-05)", re.compile(r"(ST|风险警示)[^。]*?(?<![0-9.])5%"),
     re.compile(r"由5%调(整)?为10%|5%调整为10%")),
    ("一人一户 (replaced by up to three accounts per market in 2016)", re.compile(r"一人一户"), None),
    ("no 转托管/撤指定 at noon (unverified)", re.compile(r"中午不能|午间不能"), None),
    ("超范围直接废单 (unverified)", re.compile(r"超范围直接废单"), None),
)


def _outdated_claims(kb: KnowledgeBase) -> Iterable[str]:
    for article in kb.articles:
        for field_name in ("answer", "short"):
            text = getattr(article, field_name)
            for what, pattern, unless in OUTDATED_CLAIMS:
                for sentence in re.split(r"(?<=[。；！？])", text):
                    if pattern.search(sentence) and not (unless and unless.search(sentence)):
                        yield f"articles: {article.id}: {field_name} states an outdated claim: {what}: {sentence.strip()!r}"


def _advice_in_answers(kb: KnowledgeBase) -> Iterable[str]:
    """The bot's own texts must not recommend, predict or promise (the agent desk's check on drafts)."""
    try:
        scope = kb.scope
    except Exception:  # reported by the owned-files check of scope.yml
        return
    for article in kb.articles:
        for field_name in ("answer", "short"):
            for reason in scope.gives_advice(getattr(article, field_name)):
                yield f"articles: {article.id}: {field_name} gives advice: {reason}"


def _domain_intents(root: Path) -> Optional[set]:
    """The intents the domain declares; None when `root` has no domain files (a kb checked alone)."""
    files = sorted((root / "domain").rglob("*.yml")) if (root / "domain").is_dir() else []
    files += sorted(root.glob("domain*.yml"))
    if not files:
        return None
    intents = {"nlu_fallback"}
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for intent in (data.get("intents") or []) if isinstance(data, dict) else []:
            intents.add(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    return intents


def _canned_problems(kb: KnowledgeBase, canned: Iterable[Any], root: Path) -> Iterable[str]:
    """An agent's ready-made answer does not advise either, and goes with intents the NLU knows."""
    canned = list(canned)
    try:
        scope = kb.scope
    except Exception:  # reported by the owned-files check of scope.yml
        scope = None
    known = _domain_intents(root)
    for reply in canned:
        for reason in scope.gives_advice(reply.text) if scope is not None else []:
            yield f"{CANNED_FILE}: {reply.id}: text gives advice: {reason}"
        for intent in reply.intents if known is not None else []:
            if intent not in known:
                yield f"{CANNED_FILE}: {reply.id}: goes with intent {intent!r}, which no domain file declares"


def _entities_problems(loaded: dict) -> Iterable[str]:
    catalogue = loaded.get(ENTITIES_FILE)
    if catalogue is not None and getattr(catalogue, "effective", None) is None:
        yield f"{ENTITIES_FILE}: no effective date: say from when the listed names and codes are current (effective: YYYY-MM-DD)"


# ---------------------------------------------------------------- numbers copied into reply texts

_RATE = (
    (re.compile(r"万分之([0-9]+(?:\.[0-9]+)?)"), Decimal("0.0001")),
    (re.compile(r"千分之([0-9]+(?:\.[0-9]+)?)"), Decimal("0.001")),
    (re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)%"), Decimal("0.01")),
    (re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)‰"), Decimal("0.001")),
    (re.compile(r"(?<![分0-9.])万([0-9]+(?:\.[0-9]+)?)"), Decimal("0.0001")),
)
_UNITS = {
    "money": re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)元"),
    "points": re.compile(r"(?<![0-9.])([0-9]+)分(?!钟|之)"),
    "multiplier": re.compile(r"(?<![0-9.])([0-9]+(?:\.[0-9]+)?)倍"),
    "trading_days": re.compile(r"(?<![0-9.])([0-9]+)个交易日"),
    "sla_hours": re.compile(r"(?<![0-9.])([0-9]+)小时"),
}
_HOURS = re.compile(r"(\d{1,2}:\d{2})\s*[–\-~至到]\s*(\d{1,2}:\d{2})")


def _kb_numbers(kb: KnowledgeBase, loaded: dict) -> dict:
    """kind → {value: what it is} for the figures the kb holds."""
    numbers: dict = {kind: {} for kind in ("rate", "money", "points", "multiplier", "trading_days", "sla_hours", "hours")}
    for schedule in kb.schedules:
        for item in schedule.items:
            numbers["rate"].setdefault(item.rate, f"fees.yml {item.item.value}")
            if item.minimum is not None:
                numbers["money"].setdefault(item.minimum, f"fees.yml {item.item.value} minimum")
    if kb.branch is not None:
        for kind, value, name in kb.branch.numbers():
            if kind == "hours":
                for start, end in _HOURS.findall(str(value)):
                    numbers["hours"].setdefault(f"{start}–{end}", f"branch.yml {name}")
            elif kind in numbers:
                numbers[kind].setdefault(value, f"branch.yml {name}")
    complaints = loaded.get(COMPLAINTS_FILE)
    for category in getattr(complaints, "categories", []) or []:
        for tier in ("normal", "silver", "gold", "platinum"):
            hours = getattr(category.sla_hours, tier, None)
            if hours is not None:
                numbers["sla_hours"].setdefault(Decimal(hours), f"complaints.yml {category.id}")
    return numbers


def _numbers_in(text: str) -> Iterable[Tuple[str, Any, str]]:
    """(kind, value, as written) for every figure written in `text`."""
    for pattern, scale in _RATE:
        for match in pattern.finditer(text):
            try:
                yield "rate", Decimal(match.group(1)) * scale, match.group(0)
            except InvalidOperation:
                continue
    for kind, pattern in _UNITS.items():
        for match in pattern.finditer(text):
            yield kind, Decimal(match.group(1)), match.group(0)
    for start, end in _HOURS.findall(text):
        yield "hours", f"{start}–{end}", f"{start}–{end}"


def _reply_texts(kb_dir: Path, root: Path, loaded: dict) -> Iterable[Tuple[str, str]]:
    """(where, text) of every text sent as written: replies.yml, sms.yml, the domain's responses and
    the retention/complaint messages."""
    for file_name in ("replies.yml", "sms.yml"):
        file = kb_dir / file_name
        data = yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else None
        for key, text in (data or {}).items():
            if isinstance(text, str):
                yield f"{file_name}: {key}", text
    domain_files = sorted((root / "domain").rglob("*.yml")) if (root / "domain").is_dir() else []
    domain_files += sorted(root.glob("domain*.yml"))
    for file in domain_files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        responses = data.get("responses") if isinstance(data, dict) else None
        for name, variants in (responses or {}).items():
            for variant in variants or []:
                if isinstance(variant, dict) and isinstance(variant.get("text"), str):
                    yield f"{file.relative_to(root)}: {name}", variant["text"]
    file = kb_dir / CANNED_FILE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else None
    except yaml.YAMLError:
        data = None
    replies = data.get("canned_replies") if isinstance(data, dict) else None
    for reply in replies if isinstance(replies, list) else []:
        if isinstance(reply, dict) and isinstance(reply.get("text"), str):
            yield f"{CANNED_FILE}: {reply.get('id', '?')}", reply["text"]
    for file_name in (RETENTION_FILE, COMPLAINTS_FILE):
        # As written (before `{branch.…}` placeholders are filled): a figure typed in is a copy.
        file = kb_dir / file_name
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else None
        except yaml.YAMLError:
            continue
        messages = data.get("messages") if isinstance(data, dict) else None
        for key, value in (messages or {}).items():
            values = value.items() if isinstance(value, dict) else [("", value)]
            for sub, text in values:
                if isinstance(text, str):
                    yield f"{file_name}: messages.{key}{'.' + str(sub) if sub else ''}", text


def _duplicated_values(kb: KnowledgeBase, kb_dir: Path, root: Path, loaded: dict) -> Iterable[str]:
    """A figure the kb holds, written out in a reply text instead of rendered from the kb: it goes
    stale the day the kb changes. Any fee rate in a reply text is one (rates change; a different
    rate from fees.yml is a wrong one)."""
    numbers = _kb_numbers(kb, loaded)
    for where, text in _reply_texts(kb_dir, root, loaded):
        for kind, value, written in _numbers_in(text):
            if kind == "rate":
                owner = numbers["rate"].get(value, "kb/fees.yml")
                yield f"{where}: states the rate {written!r}: render it from {owner} with a placeholder the action fills"
            elif value in numbers.get(kind, {}):
                yield f"{where}: states {written!r}, a kb value ({numbers[kind][value]}): render it with a placeholder"
