"""Typed records of the knowledge base (`kb/*.yml`).

Every fact-bearing record carries `source`, `effective` and `reviewed` so that an answer can always say
which rule it rests on and since when; `python -m bot.kb check` rejects records without them.
Rates are `Decimal` (YAML strings), never float: a fee quoted to a customer must be exact to the cent.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Dict, List, Optional

from pydantic import BaseModel, Extra, Field, root_validator, validator

from bot.kb.citations import UNVERIFIED_NOTICE, placeholder_in, sms_answer

# The SMS form must fit one 70-character SMS together with the 【…】 signature.
SHORT_MAX_CHARS = 60
# The legal cap on commission (0.3% of turnover), including handling and regulatory fees.
COMMISSION_CAP = Decimal("0.003")


class Record(BaseModel):
    class Config:
        extra = Extra.forbid  # a misspelt field is an error, not a silently ignored one
        allow_mutation = False


def _exact(value: object) -> object:
    """Money and rates must be written as strings in YAML: a float has already lost exactness."""
    if isinstance(value, float):
        raise ValueError(f"write {value!r} as a quoted string so it is read as an exact Decimal")
    return value


class Sourced(Record):
    """A fact with its official source and the date the source took effect.

    `announced`: the source is published but not yet in force (`effective` is in the future); the
    answer must say so, and `python -m bot.kb check` fails once the date has passed and the mark is
    still there. `verified: false`: nobody has read the cited document for this fact; the answer then
    tells the customer to rely on the latest notice (`UNVERIFIED_NOTICE`) instead of citing with
    confidence, and a `# note:` comment in the YAML says what is missing.
    """

    source: str = Field(..., min_length=2)
    effective: date
    announced: bool = False
    verified: bool = True

    @validator("source")
    def _source_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("source must name the official rule or notice")
        placeholder = placeholder_in(value)
        if placeholder:
            raise ValueError(f"source {value.strip()!r} is a placeholder ({placeholder}), not a document")
        return value.strip()


class ReviewDates(Record):
    """When the facts were last checked, and when they must be checked again."""

    reviewed: date
    review_by: date

    @root_validator(skip_on_failure=True)
    def _review_after_check(cls, values: dict) -> dict:
        if values["review_by"] <= values["reviewed"]:
            raise ValueError("review_by must be after reviewed")
        return values


class Reviewed(Sourced, ReviewDates):
    """A sourced fact with its review dates."""


# ---------------------------------------------------------------- articles


class Topic(str, Enum):
    ACCOUNT = "account"
    RULES = "rules"
    FEES = "fees"
    SERVICE = "service"
    IPO_BONDS_REPO = "ipo_bonds_repo"  # new issues, convertible bonds, treasury reverse repos
    CORPORATE_ETF = "corporate_etf"  # dividends and other corporate actions, exchange-traded funds
    HK_MARGIN = "hk_margin"  # HK Stock Connect, margin trading
    ORDERS_HALTS = "orders_halts"  # order types, suspensions, risk warnings, delisting
    ACCOUNT_SERVICES = "account_services"  # account states, statements, changing details
    MARKETS_PRODUCTS = "markets_products"  # board differences, funds and bonds off the stock lists, other counter questions


# Answers are sent as plain text over web chat and SMS: markdown would show up literally.
_MARKDOWN_MARKS = ("**", "__", "`", "](", "#")


def plain_paragraph(value: str) -> str:
    """The value stripped, if it is one paragraph without markdown; ValueError otherwise."""
    value = value.strip()
    if "\n" in value:
        raise ValueError("must be one paragraph of plain text (no line breaks)")
    for mark in _MARKDOWN_MARKS:
        if mark in value:
            raise ValueError(f"must be plain text, found markdown {mark!r}")
    return value


class Article(Reviewed):
    """One FAQ answer; `id` is the retrieval sub-intent `faq/<id>`."""

    id: str = Field(..., regex=r"^[a-z][a-z0-9_]*$")
    topic: Topic
    title: str = Field(..., min_length=2)
    answer: str = Field(..., min_length=10)
    short: str = Field(..., min_length=4)
    changed: Optional[str] = None

    @validator("answer", "short", "changed")
    def _plain_text(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else plain_paragraph(value)

    @validator("short")
    def _short_fits_sms(cls, value: str) -> str:
        if len(value) > SHORT_MAX_CHARS:
            raise ValueError(f"short is {len(value)} characters, at most {SHORT_MAX_CHARS}")
        return value

    @root_validator(skip_on_failure=True)
    def _sms_with_basis_fits_and_unverified_says_so(cls, values: dict) -> dict:
        sms = sms_answer(values["short"], values["source"], values["verified"])
        if len(sms) > SHORT_MAX_CHARS:
            raise ValueError(
                f"short with its basis is {len(sms)} characters ({sms}), at most {SHORT_MAX_CHARS}: shorten short"
            )
        if not values["verified"] and UNVERIFIED_NOTICE not in values["answer"]:
            raise ValueError(f"verified is false: the answer must say “{UNVERIFIED_NOTICE}”")
        return values


# ---------------------------------------------------------------- fees


class FeeItemName(str, Enum):
    COMMISSION = "commission"
    STAMP_DUTY = "stamp_duty"
    TRANSFER_FEE = "transfer_fee"


class FeeSide(str, Enum):
    BUY = "buy"
    SELL = "sell"
    BOTH = "both"

    def applies_to(self, side: str) -> bool:
        return self is FeeSide.BOTH or self.value == side


class FeeItem(Sourced):
    item: FeeItemName
    rate: Decimal
    side: FeeSide
    minimum: Optional[Decimal] = None  # per order; only commission has one
    includes: List[str] = []  # fees collected inside this item (e.g. 经手费, 证管费 in a 全佣 rate)
    note: Optional[str] = None

    _exact_money = validator("rate", "minimum", pre=True, allow_reuse=True)(_exact)

    @validator("rate")
    def _rate_is_a_fraction(cls, value: Decimal) -> Decimal:
        if not Decimal(0) <= value < Decimal("0.01"):
            raise ValueError(f"rate {value} is not a plausible fraction of turnover")
        return value

    @validator("minimum")
    def _minimum_not_negative(cls, value: Optional[Decimal]) -> Optional[Decimal]:
        if value is not None and value < 0:
            raise ValueError("minimum must not be negative")
        return value


class FeeSchedule(ReviewDates):
    """The fees in force from `effective` until the next schedule's `effective`; each item has its source."""

    id: str = Field(..., regex=r"^[a-z0-9][a-z0-9_-]*$")
    effective: date
    announced: bool = False  # published, not yet in force (see Sourced)
    items: List[FeeItem]

    @validator("items")
    def _one_of_each_item(cls, items: List[FeeItem]) -> List[FeeItem]:
        names = [i.item for i in items]
        for name in FeeItemName:
            if names.count(name) != 1:
                raise ValueError(f"needs exactly one {name.value} item, found {names.count(name)}")
        commission = next(i for i in items if i.item is FeeItemName.COMMISSION)
        if commission.minimum is None:
            raise ValueError("commission needs a per-order minimum")
        if commission.rate > COMMISSION_CAP:
            raise ValueError(f"commission rate {commission.rate} exceeds the legal cap {COMMISSION_CAP}")
        return items

    @root_validator(skip_on_failure=True)
    def _items_in_force(cls, values: dict) -> dict:
        for item in values["items"]:
            if item.effective > values["effective"]:
                raise ValueError(f"{item.item.value} takes effect after its schedule ({item.effective})")
        return values

    def item(self, name: FeeItemName | str) -> FeeItem:
        name = FeeItemName(name)
        return next(i for i in self.items if i.item is name)

    @property
    def commission(self) -> FeeItem:
        return self.item(FeeItemName.COMMISSION)

    @property
    def stamp_duty(self) -> FeeItem:
        return self.item(FeeItemName.STAMP_DUTY)

    @property
    def transfer_fee(self) -> FeeItem:
        return self.item(FeeItemName.TRANSFER_FEE)


# ---------------------------------------------------------------- tiers


class TierId(str, Enum):
    NORMAL = "normal"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class Tier(Reviewed):
    id: TierId
    name: str  # 普通/银卡/金卡/白金卡
    benefits: List[str] = Field(..., min_items=1)
    # The lowest commission rate the retention playbook may offer this tier (branch approval limits).
    min_commission_rate_offer: Decimal
    # A float on purpose: it scales hours (timedelta), not money.
    complaint_sla_factor: float = Field(..., gt=0, le=1)
    handoff_priority: int = Field(..., ge=0)  # higher is served first
    # Complaints of this tier are one priority step more urgent (the branch's service design).
    complaint_priority_boost: bool = False
    # A handoff also notifies the customer's own account manager.
    account_manager_on_handoff: bool = False
    points_multiplier: Decimal = Field(..., gt=0)

    _exact_rates = validator("min_commission_rate_offer", "points_multiplier", pre=True, allow_reuse=True)(_exact)

    @validator("min_commission_rate_offer")
    def _offer_within_cap(cls, value: Decimal) -> Decimal:
        if not Decimal(0) < value <= COMMISSION_CAP:
            raise ValueError(f"commission offer floor {value} must be above 0 and within the legal cap")
        return value


# ---------------------------------------------------------------- service


class InfoProduct(Record):
    id: str = Field(..., regex=r"^[a-z][a-z0-9_]*$")
    name: str
    paid: bool
    description: str


class PointsRule(Record):
    id: str = Field(..., regex=r"^[a-z][a-z0-9_]*$")
    description: str
    points: Optional[int] = None  # fixed award; None when the rule is per yuan (see `per_yuan`)
    per_yuan: Optional[Decimal] = None  # points per yuan of commission paid

    _exact_per_yuan = validator("per_yuan", pre=True, allow_reuse=True)(_exact)

    @root_validator(skip_on_failure=True)
    def _one_kind_of_award(cls, values: dict) -> dict:
        if (values.get("points") is None) == (values.get("per_yuan") is None):
            raise ValueError("a points rule needs exactly one of points or per_yuan")
        return values


class Points(Reviewed):
    earn: List[PointsRule] = Field(..., min_items=1)
    redeem: List[str] = Field(..., min_items=1)
    note: Optional[str] = None


class Service(Reviewed):
    """Branch configuration: the demo values are marked （示例） and replaced per deployment."""

    branch_name: str
    branch_address: str
    hotline: str
    hotline_hours: str
    branch_hours: str
    bank_transfer_hours: str
    online_hours: str
    points: Points
    info_products: List[InfoProduct] = Field(..., min_items=1)


# ---------------------------------------------------------------- customers


class Customer(Record):
    """A demo customer; loaded into the store on first start."""

    id: str = Field(..., regex=r"^C\d{4}$")
    name: str
    tier: TierId
    phone: str = Field(..., regex=r"^1\d{10}$")
    # None means the default schedule applies; set only for a negotiated rate.
    commission_rate: Optional[Decimal] = None
    commission_minimum: Optional[Decimal] = None
    account_manager: Optional[str] = None

    _exact_money = validator("commission_rate", "commission_minimum", pre=True, allow_reuse=True)(_exact)

    @validator("commission_rate")
    def _rate_within_cap(cls, value: Optional[Decimal]) -> Optional[Decimal]:
        if value is not None and not Decimal(0) < value <= COMMISSION_CAP:
            raise ValueError(f"commission rate {value} must be above 0 and within the legal cap")
        return value

    @validator("commission_minimum")
    def _minimum_not_negative(cls, value: Optional[Decimal]) -> Optional[Decimal]:
        if value is not None and value < 0:
            raise ValueError("commission minimum must not be negative")
        return value

    def commission_on(self, schedule: FeeSchedule) -> tuple[Decimal, Decimal]:
        """(rate, minimum) for this customer: the negotiated values, else the schedule's defaults."""
        default = schedule.commission
        rate = self.commission_rate if self.commission_rate is not None else default.rate
        minimum = self.commission_minimum if self.commission_minimum is not None else default.minimum
        assert minimum is not None  # FeeSchedule guarantees a commission minimum
        return rate, minimum


# ---------------------------------------------------------------- files


class FeesFile(Record):
    schedules: List[FeeSchedule] = Field(..., min_items=1)


class TiersFile(Record):
    tiers: List[Tier]


class CustomersFile(Record):
    customers: List[Customer]


KB_FILES: Dict[str, type] = {
    "fees.yml": FeesFile,
    "tiers.yml": TiersFile,
    "service.yml": Service,
    "customers.yml": CustomersFile,
}


# ---------------------------------------------------------------- canned replies (the agent desk)

# One message in the reply box (agent.html caps a reply at 1000); short enough to read on a call.
CANNED_MAX_CHARS = 300


class CannedReply(Reviewed):
    """An approved answer an agent inserts by its shortcut (`/开户`) or from the assist card.

    It is suggested beside the articles (`articles`) or the intents (`intents`) it goes with; one with
    neither is reached only by its shortcut. Sourced and reviewed like an article: an agent's ready-made
    words are held to the same rules as the bot's.
    """

    id: str = Field(..., regex=r"^[a-z][a-z0-9_]*$")
    shortcut: str = Field(..., regex=r"^/[^\s/]{1,12}$")
    title: str = Field(..., min_length=2)
    text: str = Field(..., min_length=4, max_length=CANNED_MAX_CHARS)
    articles: List[str] = []
    intents: List[str] = []

    @validator("text")
    def _plain_paragraph(cls, value: str) -> str:
        return plain_paragraph(value)
