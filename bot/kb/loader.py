"""Reads `kb/*.yml` into a validated, read-only `KnowledgeBase`.

`read_kb` collects every problem it finds (so `python -m bot.kb check` can list them all at once);
`load_kb` is what the running bot uses: cached per directory, and it refuses a knowledge base with
problems rather than answering customers from half of one.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from bot.kb.branch import BRANCH_FILE, BranchPolicy, placeholders_in
from bot.kb.models import (
    Article,
    CannedReply,
    Customer,
    CustomersFile,
    FeeSchedule,
    FeesFile,
    Service,
    Tier,
    TierId,
    TiersFile,
    Topic,
)

ARTICLES_DIR = "articles"
RETENTION_FILE = "retention.yml"
COMPLAINTS_FILE = "complaints.yml"
ENTITIES_FILE = "entities.yml"
CANNED_FILE = "canned_replies.yml"
FAQ_PREFIX = "faq/"

M = TypeVar("M", bound=BaseModel)


class KbError(Exception):
    """The knowledge base cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("knowledge base is invalid:\n" + "\n".join(f"- {p}" for p in self.problems))


class KnowledgeBase:
    """The loaded knowledge base. Treat it as read-only: it is shared by every conversation."""

    def __init__(
        self,
        path: Path,
        articles: Sequence[Article],
        schedules: Sequence[FeeSchedule],
        tiers: Sequence[Tier],
        service: Service,
        customers: Sequence[Customer],
        branch: Optional[BranchPolicy] = None,
        branch_article_ids: Iterable[str] = (),
    ):
        self.path = path
        # kb/branch.yml: the branch's own figures, each approved by name and date.
        self.branch = branch
        # Articles that state a branch figure (their text had a `{branch.…}` placeholder).
        self.branch_article_ids = frozenset(branch_article_ids)
        self.articles: Tuple[Article, ...] = tuple(articles)
        # Newest first, so the first schedule that has started is the one in force.
        self.schedules: Tuple[FeeSchedule, ...] = tuple(sorted(schedules, key=lambda s: s.effective, reverse=True))
        self.tiers: Tuple[Tier, ...] = tuple(tiers)
        self.service = service
        self.customers: Tuple[Customer, ...] = tuple(customers)
        self._articles = {a.id: a for a in self.articles}
        self._tiers: Dict[str, Tier] = {}
        for tier in self.tiers:
            self._tiers[tier.id.value] = tier
            self._tiers[tier.name] = tier
        self._customers = {c.id: c for c in self.customers}

    # ------------------------------------------------------------ articles

    def article(self, article_id: str) -> Article:
        """The article for `stamp_duty` or for the retrieval intent `faq/stamp_duty`."""
        key = article_id[len(FAQ_PREFIX):] if article_id.startswith(FAQ_PREFIX) else article_id
        try:
            return self._articles[key]
        except KeyError:
            raise KeyError(f"no FAQ article {article_id!r}") from None

    def article_ids(self) -> List[str]:
        return [a.id for a in self.articles]

    # ------------------------------------------------------------ fees

    def fee_schedule_on(self, on: date) -> FeeSchedule:
        """The schedule in force on the trade date `on` (the newest that had started by then)."""
        for schedule in self.schedules:
            if schedule.effective <= on:
                return schedule
        raise LookupError(f"no fee schedule in force on {on.isoformat()} (earliest starts {self.schedules[-1].effective})")

    fees_on = fee_schedule_on  # the shorter name used in docs/STYLE examples

    # ------------------------------------------------------------ tiers and customers

    def tier(self, name: Union[str, TierId]) -> Tier:
        """A tier by id (`gold`) or by its Chinese name (`金卡`, `金卡客户`)."""
        key = name.value if isinstance(name, TierId) else str(name).strip()
        tier = self._tiers.get(key) or self._tiers.get(key.removesuffix("客户"))
        if tier is None:
            raise KeyError(f"no customer tier {name!r}")
        return tier

    def customer(self, customer_id: str) -> Customer:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise KeyError(f"no demo customer {customer_id!r}") from None

    # ------------------------------------------------------------ other engineers' files
    # Imported lazily: their modules (bot.kb.playbooks, bot.kb.entities) own those formats and may be
    # absent; everything above must keep working without them. Their loaders take the kb directory.

    @cached_property
    def retention(self) -> Any:
        from bot.kb.playbooks import load_retention

        return load_retention(self.path)

    @cached_property
    def calendar(self) -> Any:
        from bot.kb.calendar import load_calendar

        return load_calendar(self.path)

    @cached_property
    def scope(self) -> Any:
        from bot.kb.scope import load_scope

        return load_scope(self.path)

    @cached_property
    def complaints(self) -> Any:
        from bot.kb.playbooks import load_complaints

        return load_complaints(self.path)

    @cached_property
    def replies(self) -> Any:
        from bot.kb.replies import load_replies

        return load_replies(self.path)

    @cached_property
    def sms(self) -> Any:
        from bot.kb.sms import load_sms

        return load_sms(self.path)

    @cached_property
    def entities(self) -> Any:
        from bot.kb.entities import load_entities

        return load_entities(self.path)

    @cached_property
    def canned_replies(self) -> Tuple[CannedReply, ...]:
        """The agents' approved ready-made answers (kb/canned_replies.yml); only the agent desk uses them,
        so a broken file fails there (and in `kb check`), not in the bot."""
        problems: List[str] = []
        replies = read_canned_replies(self.path, self.branch, self.article_ids(), problems)
        if problems:
            raise KbError(problems)
        return tuple(replies)


# ---------------------------------------------------------------- reading


def _read_yaml(file: Path, problems: List[str], root: Path) -> Any:
    name = _rel(file, root)
    if not file.is_file():
        problems.append(f"{name}: file is missing")
        return None
    try:
        with file.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        problems.append(f"{name}: not valid YAML: {exc}")
        return None


def _rel(file: Path, root: Path) -> str:
    try:
        return str(file.relative_to(root))
    except ValueError:
        return str(file)


def _errors(where: str, exc: ValidationError) -> Iterable[str]:
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"] if part != "__root__")
        yield f"{where}: {loc + ': ' if loc else ''}{error['msg']}"


def _parse(model: Type[M], data: Any, where: str, problems: List[str]) -> Optional[M]:
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        problems.extend(_errors(where, exc))
        return None


def _duplicates(ids: Iterable[str]) -> List[str]:
    return sorted(i for i, n in Counter(ids).items() if n > 1)


# Fields whose values are branch policy: in tiers.yml and service.yml they must be `{branch.…}`
# placeholders, so that branch.yml stays the one place the figure is written.
BRANCH_FIELDS = {
    "tiers.yml": ("points_multiplier", "min_commission_rate_offer", "complaint_sla_factor"),
    "service.yml": ("hotline", "hotline_hours", "branch_hours", "bank_transfer_hours"),
    "service.yml info_products": ("paid",),
    "service.yml points.earn": ("points", "per_yuan"),
}


def _literal_branch_fields(where: str, records: Any, fields: Sequence[str], problems: List[str]) -> None:
    """A branch figure written as a literal (a copy) instead of its `{branch.…}` placeholder."""
    for record in records if isinstance(records, list) else [records]:
        if not isinstance(record, dict):
            continue
        label = record.get("id", "")
        for field_name in fields:
            if field_name in record and record[field_name] is not None and not placeholders_in(record[field_name]):
                problems.append(
                    f"{where}: {label + ': ' if label else ''}{field_name} is branch policy: write "
                    f"{{branch.…}} and set the value in branch.yml (found {record[field_name]!r})"
                )


def _filled(data: Any, branch: Optional[BranchPolicy], where: str, problems: List[str]) -> Any:
    """`data` with its branch placeholders filled; an unknown placeholder is a problem."""
    if branch is None:
        return data
    try:
        return branch.fill_data(data)
    except KeyError as exc:
        problems.append(f"{where}: {exc.args[0]}")
        return None


def _read_articles(
    kb_dir: Path, problems: List[str], branch: Optional[BranchPolicy] = None, branch_ids: Optional[set] = None
) -> List[Article]:
    articles: List[Article] = []
    article_dir = kb_dir / ARTICLES_DIR
    files = sorted(article_dir.glob("*.yml"))
    if not files:
        problems.append(f"{ARTICLES_DIR}/: no article files")
    for file in files:
        name = _rel(file, kb_dir)
        data = _read_yaml(file, problems, kb_dir)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(f"{name}: must be a list of articles")
            continue
        # The file name is the topic: keeps each topic's articles in one place.
        topic = file.stem
        if topic not in {t.value for t in Topic}:
            problems.append(f"{name}: unknown topic file (expected one of {', '.join(t.value for t in Topic)})")
        for index, raw in enumerate(data):
            label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            if placeholders_in(raw) and branch_ids is not None:
                branch_ids.add(label)  # states a branch figure: must cite the branch, never a regulator
            raw = _filled(raw, branch, f"{name}: {label}", problems)
            if raw is None:
                continue
            article = _parse(Article, raw, f"{name}: {label}", problems)
            if article is None:
                continue
            if article.topic.value != topic:
                problems.append(f"{name}: {article.id}: topic {article.topic.value!r} does not match the file")
            articles.append(article)
    for dup in _duplicates(a.id for a in articles):
        problems.append(f"{ARTICLES_DIR}/: duplicate article id {dup!r}")
    return articles


def _check_schedules(schedules: Sequence[FeeSchedule], problems: List[str]) -> None:
    for dup in _duplicates(s.id for s in schedules):
        problems.append(f"fees.yml: duplicate schedule id {dup!r}")
    for dup in _duplicates(s.effective.isoformat() for s in schedules):
        problems.append(f"fees.yml: two schedules take effect on {dup}")


def _check_tiers(tiers: Sequence[Tier], schedules: Sequence[FeeSchedule], problems: List[str]) -> None:
    for dup in _duplicates(t.id.value for t in tiers):
        problems.append(f"tiers.yml: duplicate tier id {dup!r}")
    for dup in _duplicates(t.name for t in tiers):
        problems.append(f"tiers.yml: duplicate tier name {dup!r}")
    missing = {t.value for t in TierId} - {t.id.value for t in tiers}
    for tier_id in sorted(missing):
        problems.append(f"tiers.yml: tier {tier_id!r} is not defined")
    if schedules:
        default = max(schedules, key=lambda s: s.effective).commission.rate
        for tier in tiers:
            if tier.min_commission_rate_offer > default:
                problems.append(
                    f"tiers.yml: {tier.id.value}: offer floor {tier.min_commission_rate_offer} is above the default rate {default}"
                )


def _check_customers(customers: Sequence[Customer], tiers: Sequence[Tier], problems: List[str]) -> None:
    for dup in _duplicates(c.id for c in customers):
        problems.append(f"customers.yml: duplicate customer id {dup!r}")
    for dup in _duplicates(c.phone for c in customers):
        problems.append(f"customers.yml: duplicate phone {dup!r}")
    defined = {t.id for t in tiers}
    for customer in customers:
        if tiers and customer.tier not in defined:
            problems.append(f"customers.yml: {customer.id}: tier {customer.tier.value!r} is not in tiers.yml")


def _check_service(service: Service, problems: List[str]) -> None:
    for dup in _duplicates(p.id for p in service.info_products):
        problems.append(f"service.yml: duplicate information product id {dup!r}")
    for dup in _duplicates(r.id for r in service.points.earn):
        problems.append(f"service.yml: duplicate points rule id {dup!r}")


def read_kb(path: Path) -> Tuple[Optional[KnowledgeBase], List[str]]:
    """Reads and validates the kb directory; returns (kb or None, every problem found)."""
    kb_dir = Path(path)
    problems: List[str] = []
    if not kb_dir.is_dir():
        return None, [f"{kb_dir}: not a directory"]

    branch_data = _read_yaml(kb_dir / BRANCH_FILE, problems, kb_dir)
    branch = None if branch_data is None else _parse(BranchPolicy, branch_data, BRANCH_FILE, problems)
    branch_ids: set = set()
    articles = _read_articles(kb_dir, problems, branch, branch_ids)

    def part(file: str, model: Type[M]) -> Optional[M]:
        data = _read_yaml(kb_dir / file, problems, kb_dir)
        if isinstance(data, dict) and file == "tiers.yml":
            _literal_branch_fields(file, data.get("tiers"), BRANCH_FIELDS[file], problems)
        if isinstance(data, dict) and file == "service.yml":
            _literal_branch_fields(file, data, BRANCH_FIELDS[file], problems)
            _literal_branch_fields(file, data.get("info_products"), BRANCH_FIELDS["service.yml info_products"], problems)
            earn = (data.get("points") or {}).get("earn") if isinstance(data.get("points"), dict) else None
            _literal_branch_fields(file, earn, BRANCH_FIELDS["service.yml points.earn"], problems)
        data = _filled(data, branch, file, problems)
        return None if data is None else _parse(model, data, file, problems)

    fees = part("fees.yml", FeesFile)
    tiers = part("tiers.yml", TiersFile)
    service = part("service.yml", Service)
    customers = part("customers.yml", CustomersFile)

    schedules = fees.schedules if fees else []
    _check_schedules(schedules, problems)
    _check_tiers(tiers.tiers if tiers else [], schedules, problems)
    if customers:
        _check_customers(customers.customers, tiers.tiers if tiers else [], problems)
    if service:
        _check_service(service, problems)

    if problems or not (fees and tiers and service and customers and branch):
        return None, problems
    kb = KnowledgeBase(kb_dir, articles, schedules, tiers.tiers, service, customers.customers, branch, branch_ids)
    return kb, problems


def read_canned_replies(
    kb_dir: Path, branch: Optional[BranchPolicy], article_ids: Iterable[str], problems: List[str]
) -> List[CannedReply]:
    """kb/canned_replies.yml with its `{branch.…}` placeholders filled; every article it names must exist."""
    kb_dir = Path(kb_dir)
    data = _read_yaml(kb_dir / CANNED_FILE, problems, kb_dir)
    if data is None:
        return []
    raw_replies = data.get("canned_replies") if isinstance(data, dict) else None
    if not isinstance(raw_replies, list) or not raw_replies:
        problems.append(f"{CANNED_FILE}: must hold a non-empty list `canned_replies`")
        return []
    replies: List[CannedReply] = []
    for index, raw in enumerate(raw_replies):
        label = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
        raw = _filled(raw, branch, f"{CANNED_FILE}: {label}", problems)
        reply = None if raw is None else _parse(CannedReply, raw, f"{CANNED_FILE}: {label}", problems)
        if reply is not None:
            replies.append(reply)
    for what in ("id", "shortcut"):
        for dup in _duplicates(getattr(r, what) for r in replies):
            problems.append(f"{CANNED_FILE}: duplicate {what} {dup!r}")
    known = set(article_ids)
    for reply in replies:
        for article_id in reply.articles:
            if article_id not in known:
                problems.append(f"{CANNED_FILE}: {reply.id}: goes with article {article_id!r}, which does not exist")
    return replies


@lru_cache(maxsize=8)
def _load_cached(kb_dir: Path) -> KnowledgeBase:
    kb, problems = read_kb(kb_dir)
    if kb is None:
        raise KbError(problems)
    return kb


def load_kb(path: Optional[Path] = None) -> KnowledgeBase:
    """The knowledge base at `path` (default: settings `kb_dir`), loaded once per directory."""
    if path is None:
        from bot.common.settings import get_settings

        path = get_settings().kb_dir
    return _load_cached(Path(path).resolve())


def clear_cache() -> None:
    """Forget loaded knowledge bases (tests, or after editing kb files in a running process)."""
    _load_cached.cache_clear()
