"""What a `source` string says about itself: who issued each document, which edition, how to name it in an SMS.

A source is free text written for customers ("《上海证券交易所交易规则（2026年修订）》（上证发〔2026〕41号）；…"),
one or more citations separated by "；". `python -m bot.kb check` reads it with these functions:

- every citation must name an issuer on the allow-list (`ISSUERS`); the branch counts as an issuer only
  for the documents `kb/branch.yml` declares;
- a placeholder ("待补") is not a source;
- a defunct body (银保监会) cannot be the issuer of a rule in force;
- each 《title》 may carry its edition (a year inside or right after the title); when the kb cites a newer
  edition of the same title anywhere, an older one is superseded.

`sms_basis` gives the short basis an SMS answer ends with ("依据：交易所规则").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

BRANCH = "本营业部"

# Issuer → the ways a citation names it (document titles, document-number prefixes, body names).
# The order is the order of preference for the SMS basis when a citation names several.
ISSUERS: Dict[str, Tuple[str, ...]] = {
    "全国人大": ("《中华人民共和国", "全国人民代表大会", "全国人大", "《民法典》", "《证券法》", "《印花税法》"),
    "国务院": ("国务院",),
    # A rule the central bank issues with others (customer due diligence) is named after it.
    "人民银行": ("中国人民银行", "人民银行"),
    "金融监管总局": ("国家金融监督管理总局", "金融监管总局"),
    "证监会": ("中国证监会", "证监会", "中国证券监督管理委员会", "证监发"),
    "财政部/税务总局": ("财政部", "税务总局", "财税〔"),
    "上交所": ("上海证券交易所", "上交所", "上证发", "沪深交易所", "沪深北交易所", "沪深证券交易所"),
    "深交所": ("深圳证券交易所", "深交所", "深证上", "深证会", "沪深交易所", "沪深北交易所", "沪深证券交易所"),
    "北交所": ("北京证券交易所", "北交所", "北证公告"),
    "中国结算": ("中国结算", "中国证券登记结算"),
    "证券业协会": ("中国证券业协会", "证券业协会", "中证协"),
    BRANCH: (BRANCH,),
}
EXCHANGES = frozenset({"上交所", "深交所", "北交所"})

# Bodies that no longer exist: a rule they issued has been replaced or re-issued by their successors.
DEFUNCT = ("银保监会", "中国银行保险监督管理委员会", "保监会", "银监会")

# What a source must never be: a note to self instead of a document.
PLACEHOLDERS = ("待补", "待定", "待核", "待查", "暂无", "未知", "TBD", "TODO", "FIXME", "XXX")

# The SMS basis: short enough to end a 60-character answer.
_SMS_LABELS = {
    "全国人大": "法律规定",
    "国务院": "国务院规定",
    "证监会": "证监会规定",
    "人民银行": "人民银行等规定",
    "金融监管总局": "监管规定",
    "财政部/税务总局": "财税规定",
    "中国结算": "中国结算规定",
    "证券业协会": "证券业协会规范",
    BRANCH: "本营业部规定",
}
EXCHANGE_LABEL = "交易所规则"
UNVERIFIED_LABEL = "以最新公告为准"
# What an answer resting on a citation nobody could check must tell the customer.
UNVERIFIED_NOTICE = "以本营业部/交易所最新公告为准"

_SPLIT = re.compile(r"[；;]")
_TITLE = re.compile(r"《([^》]+)》(（[^（）]*）)?")
_YEAR = re.compile(r"((?:19|20)\d\d)")
# An edition written inside a title: 《上海证券交易所交易规则（2026年修订）》.
_INNER_EDITION = re.compile(r"（[^（）]*(?:19|20)\d\d[^（）]*）$")


def citations(source: str) -> List[str]:
    """The citations of a source, one per "；"-separated part."""
    return [part.strip() for part in _SPLIT.split(source) if part.strip()]


def issuers(citation: str) -> List[str]:
    """The allow-listed issuers a citation names, in `ISSUERS` order."""
    return [name for name, marks in ISSUERS.items() if any(mark in citation for mark in marks)]


def branch_documents_named(citation: str) -> List[str]:
    """The branch documents a citation names: "本营业部…" up to the end of its first closing bracket."""
    found = []
    for match in re.finditer(BRANCH, citation):
        rest = citation[match.start():]
        end = rest.find("）")
        found.append(rest[: end + 1] if end >= 0 else rest)
    return found


def placeholder_in(source: str) -> Optional[str]:
    upper = source.upper()
    return next((p for p in PLACEHOLDERS if p.upper() in upper), None)


def defunct_in(source: str) -> Optional[str]:
    return next((body for body in DEFUNCT if body in source), None)


@dataclass(frozen=True)
class Edition:
    title: str  # without the edition in brackets
    year: Optional[int]
    text: str  # as cited


def editions(source: str) -> List[Edition]:
    """Every 《title》 a source cites, with the edition year found inside or right after the title."""
    found = []
    for match in _TITLE.finditer(source):
        inner, after = match.group(1), match.group(2) or ""
        inner_edition = _INNER_EDITION.search(inner)
        title = inner[: inner_edition.start()] if inner_edition else inner
        year_text = (inner_edition.group(0) if inner_edition else "") or after
        year = _YEAR.search(year_text)
        found.append(Edition(title=title.strip(), year=int(year.group(1)) if year else None, text=match.group(0)))
    return found


def superseded(cited: Iterable[Tuple[str, str]]) -> List[str]:
    """Problems for every (where, source) citing an older edition of a title the kb also cites newer."""
    cited = list(cited)
    newest: Dict[str, Tuple[int, str]] = {}
    for _, source in cited:
        for edition in editions(source):
            if edition.year is not None and edition.year > newest.get(edition.title, (0, ""))[0]:
                newest[edition.title] = (edition.year, edition.text)
    problems = []
    for where, source in cited:
        for edition in editions(source):
            year, text = newest.get(edition.title, (None, ""))
            if edition.year is not None and year is not None and edition.year < year:
                problems.append(f"{where}: cites {edition.text}, superseded by {text} (also in the kb): cite the edition in force")
    return problems


def sms_basis(source: str, verified: bool = True) -> str:
    """"依据：交易所规则" and the like, from the first citation that names an issuer."""
    if not verified:
        return f"依据：{UNVERIFIED_LABEL}"
    for citation in citations(source):
        found = issuers(citation)
        if not found:
            continue
        if all(name in EXCHANGES for name in found if name != BRANCH) and any(n in EXCHANGES for n in found):
            return f"依据：{EXCHANGE_LABEL}"
        first = next((n for n in found if n not in EXCHANGES), found[0])
        return f"依据：{_SMS_LABELS.get(first, EXCHANGE_LABEL)}"
    return f"依据：{UNVERIFIED_LABEL}"


def sms_answer(short: str, source: str, verified: bool = True) -> str:
    """The SMS form of an answer: the short answer, then its short basis."""
    body = short.strip()
    if body and body[-1] not in "。！？；":
        body += "。"
    return body + sms_basis(source, verified)
