"""Typed records of `kb/retention.yml` (leaving: reasons, offers, procedures) and `kb/complaints.yml`
(complaint categories, severity, SLA).

The customer-facing text lives in the YAML; these models only make sure it is complete, sourced and
renderable: every template may use only the placeholders its caller fills, so a typo fails
`python -m bot.kb check` instead of a conversation.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from pathlib import Path
from string import Formatter
from typing import Dict, Iterator, List, Optional, Tuple

import yaml
from pydantic import Field, root_validator, validator

from bot.kb.models import Record, Reviewed, TierId

RETENTION_FILE = "retention.yml"
COMPLAINTS_FILE = "complaints.yml"

_ID = r"^[a-z][a-z0-9_]*$"
# The fallback label of both classifiers: an unclear reason or complaint must still land somewhere.
OTHER = "other"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def _check_template(template: str, allowed: frozenset[str], where: str) -> str:
    # `{branch.…}` placeholders are filled from kb/branch.yml when the file is loaded (bot.kb.branch).
    unknown = {name for name in _placeholders(template) if not name.startswith("branch.")} - allowed
    if unknown:
        raise ValueError(f"{where}: unknown placeholder(s) {sorted(unknown)}; allowed {sorted(allowed)}")
    return template


def _non_blank(values: List[str]) -> List[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise ValueError("must not contain blank entries")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("must not contain duplicates")
    return cleaned


class Citation(Reviewed):
    """The rule an offer's factual claim rests on; `note` is internal (confidence, open checks)."""

    note: Optional[str] = None


class Labelled(Record):
    """Something the phrase classifier can learn: cue keywords plus natural example wordings."""

    id: str = Field(..., regex=_ID)
    keywords: List[str] = Field(..., min_items=1)
    examples: List[str] = Field(..., min_items=5)

    _clean_lists = validator("keywords", "examples", allow_reuse=True)(_non_blank)


# ---------------------------------------------------------------- retention


class OfferKind(str, Enum):
    FEE_REVIEW = "fee_review"  # a fee-rate review request; the approver sets the rate, never the bot
    CHANNEL_INFO = "channel_info"  # online/app/phone channels instead of visits
    MULTI_ACCOUNT_INFO = "multi_account_info"  # open a second account elsewhere, keep this one
    ADVISOR_REFERRAL = "advisor_referral"  # licensed investment advisers instead of hall rumours
    COMPLAINT_HANDOVER = "complaint_handover"  # escalate to the branch manager or file a complaint
    NONE = "none"  # no offer: thank and give the procedure


class RequestTypeId(str, Enum):
    TRANSFER_CUSTODY = "transfer_custody"  # 转托管, Shenzhen holdings move to the new broker
    CANCEL_DESIGNATION = "cancel_designation"  # 撤销指定交易, Shanghai holdings follow the designation
    CLOSE_ACCOUNT = "close_account"  # 销户
    CHANGE_BROKER = "change_broker"  # 转户: both markets at once


REQUIRED_REASONS = ("fees_too_high", "branch_far", "friend_elsewhere", "hall_tips", "service_unhappy", OTHER)
RETENTION_PLACEHOLDERS = frozenset({"request_label", "case_id"})


# Words with which an offer states a rule rather than a service ("按现行规定…", "《证券法》明令禁止…").
RULE_CUES = ("规定", "规则", "《", "法律", "法规", "禁止", "不得", "监管", "证监会", "交易所", "中国结算", "一人三户")


def states_a_rule(text: str) -> bool:
    return any(cue in text for cue in RULE_CUES)


class Offer(Record):
    kind: OfferKind
    text: str = Field(..., min_length=4)
    citation: Optional[Citation] = None  # required when the text states a rule (e.g. 一人三户)

    @validator("text")
    def _plain(cls, value: str) -> str:
        return _check_template(value.strip(), frozenset(), "offer text")

    @root_validator(skip_on_failure=True)
    def _a_rule_needs_its_citation(cls, values: dict) -> dict:
        if values.get("citation") is None and states_a_rule(values["text"]):
            cues = [cue for cue in RULE_CUES if cue in values["text"]]
            raise ValueError(f"the offer states a rule ({'、'.join(cues)}) but has no citation")
        return values


class Reason(Labelled):
    label: str = Field(..., min_length=2)
    offer: Offer


class RequestType(Reviewed):
    id: RequestTypeId
    label: str = Field(..., min_length=2)
    triggers: List[str] = Field(..., min_items=1)
    procedure: str = Field(..., min_length=40)
    note: Optional[str] = None

    _clean_triggers = validator("triggers", allow_reuse=True)(_non_blank)

    @validator("procedure")
    def _procedure_is_plain(cls, value: str) -> str:
        return _check_template(value.strip(), frozenset(), "procedure")


class CustomerRight(Reviewed):
    text: str = Field(..., min_length=10)
    note: Optional[str] = None


class RetentionMessages(Record):
    ack_and_ask_reason: str
    offer_followup: str
    insist_ack: str
    accepted_confirmation: Dict[OfferKind, str]
    declined: str
    cancelled: str
    # Asked when the answer to the offer is unclear: leaving must win every ambiguity.
    confirm_leaving: str
    # Asked when a message may not be a request to leave at all (no case is opened for it).
    clarify_request: str

    @root_validator(skip_on_failure=True)
    def _templates(cls, values: dict) -> dict:
        for key, value in values.items():
            if isinstance(value, str):
                _check_template(value, RETENTION_PLACEHOLDERS, f"messages.{key}")
        for kind, text in values["accepted_confirmation"].items():
            _check_template(text, RETENTION_PLACEHOLDERS, f"messages.accepted_confirmation.{kind.value}")
        return values


class RetentionPlaybook(Record):
    min_confidence: float = Field(0.15, ge=0, le=1)
    # Wordings with which a customer declines persuasion ("别劝了"): the procedure follows at once.
    insist_cues: List[str] = Field(..., min_items=3)
    continue_cues: List[str] = Field(..., min_items=3)
    customer_right: CustomerRight
    reasons: List[Reason]
    request_types: List[RequestType]
    messages: RetentionMessages

    @validator("reasons")
    def _required_reasons(cls, reasons: List[Reason]) -> List[Reason]:
        ids = [r.id for r in reasons]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate reason ids in {ids}")
        missing = [r for r in REQUIRED_REASONS if r not in ids]
        if missing:
            raise ValueError(f"missing reasons {missing}")
        return reasons

    @validator("request_types")
    def _every_request_type_once(cls, types: List[RequestType]) -> List[RequestType]:
        ids = [t.id for t in types]
        if sorted(ids) != sorted(RequestTypeId):
            raise ValueError(f"need each of {[t.value for t in RequestTypeId]} exactly once, got {[i.value for i in ids]}")
        return types

    @root_validator(skip_on_failure=True)
    def _every_offer_has_a_confirmation(cls, values: dict) -> dict:
        confirmations = values["messages"].accepted_confirmation
        missing = {r.offer.kind.value for r in values["reasons"]} - {k.value for k in confirmations}
        if missing:
            raise ValueError(f"messages.accepted_confirmation lacks offer kinds {sorted(missing)}")
        return values

    def reason(self, reason_id: str) -> Reason:
        return next(r for r in self.reasons if r.id == reason_id)

    def request_type(self, type_id: RequestTypeId | str) -> RequestType:
        type_id = RequestTypeId(type_id)
        return next(t for t in self.request_types if t.id is type_id)

    def fact_records(self) -> Iterator[Tuple[str, Reviewed]]:
        """(reference, record) for every sourced record, for `python -m bot.kb check`."""
        yield "retention.customer_right", self.customer_right
        for reason in self.reasons:
            if reason.offer.citation is not None:
                yield f"retention.reasons.{reason.id}.offer.citation", reason.offer.citation
        for request_type in self.request_types:
            yield f"retention.request_types.{request_type.id.value}", request_type


# ---------------------------------------------------------------- complaints


class Severity(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Chinese tier names as customers and agents say them; the kb uses the ids.
TIER_NAMES = {"普通": TierId.NORMAL, "银卡": TierId.SILVER, "金卡": TierId.GOLD, "白金卡": TierId.PLATINUM}

COMPLAINT_PLACEHOLDERS = {
    "confirm_summary": frozenset({"category_name", "description", "occurred_at", "phone_masked"}),
    "created": frozenset({"ticket_id", "hours", "deadline"}),
}


class SlaHours(Record):
    """Hours from submission to the first contact by a named person, per customer tier.

    complaints.yml gives the normal tier's hours per category; the other tiers' hours are derived on
    loading from the tier factors in kb/branch.yml (`tier_complaint_sla_factor`, e.g. 金卡 halves them),
    so the factor has one source.
    """

    normal: int = Field(..., gt=0)
    silver: Optional[int] = Field(None, gt=0)
    gold: Optional[int] = Field(None, gt=0)
    platinum: Optional[int] = Field(None, gt=0)

    @root_validator(skip_on_failure=True)
    def _better_tiers_are_not_slower(cls, values: dict) -> dict:
        order = [values[t.value] for t in TierId if values.get(t.value) is not None]  # normal → platinum
        if any(later > earlier for earlier, later in zip(order, order[1:])):
            raise ValueError(f"a higher tier must not wait longer: {order}")
        return values

    def for_tier(self, tier: TierId | str) -> int:
        tier = TIER_NAMES.get(tier, tier) if isinstance(tier, str) else tier
        hours = getattr(self, TierId(tier).value)
        if hours is None:
            raise LookupError(f"no complaint hours for {TierId(tier).value}: load the catalogue with load_complaints")
        return int(hours)


class ComplaintCategory(Labelled):
    name: str = Field(..., min_length=2)
    severity: Severity
    priority: int = Field(..., ge=1, le=3)  # 1 is handled first
    sla_hours: SlaHours


class Notice(Reviewed):
    text: str = Field(..., min_length=10)
    note: Optional[str] = None


class SlaPolicy(Reviewed):
    """The branch's complaint-handling policy the per-category hours come from (branch policy)."""

    note: Optional[str] = None
    policy: Optional[str] = None  # 本营业部规定
    approved_by: Optional[str] = None
    approved: Optional[date] = None


class ComplaintMessages(Record):
    apology: str
    ask_description: str
    ask_time: str
    ask_phone: str
    ask_phone_only: str
    confirm_summary: str
    created: str
    db_down: str
    # Asked when a message may be a grievance or a question; the customer's answer decides.
    clarify: str
    # A loss or market worry, not a grievance about the firm: empathy, no advice, a way onward.
    market_lament: str
    # The customer gives no call-back number: the ticket is still filed.
    no_phone: str

    @root_validator(skip_on_failure=True)
    def _templates(cls, values: dict) -> dict:
        for key, value in values.items():
            _check_template(value, COMPLAINT_PLACEHOLDERS.get(key, frozenset()), f"messages.{key}")
        # The customer must get the ticket id and be told of the regulator hotline (DESIGN.md).
        if not {"ticket_id", "hours"} <= _placeholders(values["created"]) or "12386" not in values["created"]:
            raise ValueError("messages.created must show {ticket_id}, {hours} and the 12386 hotline")
        return values


class ComplaintCatalogue(Record):
    min_confidence: float = Field(0.15, ge=0, le=1)
    # An angry customer also gets a human agent queued (the complaint is still filed).
    anger_cues: List[str] = Field(..., min_items=3)
    # Words that make a message a complaint whatever else it says ("投诉", "12386", "要求赔偿").
    explicit_cues: List[str] = Field(..., min_items=3)
    # Who a message is about (the firm, its staff, its systems) and whether it finds fault.
    firm_cues: List[str] = Field(..., min_items=3)
    fault_cues: List[str] = Field(..., min_items=3)
    # The market, not the firm: a message with these and no grievance about the firm is a lament.
    market_cues: List[str] = Field(..., min_items=3)
    # "不用了", "不留": the customer declines to leave a call-back number.
    no_phone_cues: List[str] = Field(..., min_items=3)
    sla_policy: SlaPolicy
    regulator_notice: Notice
    categories: List[ComplaintCategory]
    messages: ComplaintMessages

    @validator("regulator_notice")
    def _names_12386(cls, notice: Notice) -> Notice:
        if "12386" not in notice.text:
            raise ValueError("regulator_notice must name the 12386 hotline")
        return notice

    @validator("categories")
    def _unique_with_other(cls, categories: List[ComplaintCategory]) -> List[ComplaintCategory]:
        ids = [c.id for c in categories]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate category ids in {ids}")
        if OTHER not in ids:
            raise ValueError("needs an 'other' category for complaints that fit nowhere else")
        return categories

    def category(self, category_id: str) -> ComplaintCategory:
        return next(c for c in self.categories if c.id == category_id)

    def sla_hours(self, category_id: str, tier: TierId | str) -> int:
        return self.category(category_id).sla_hours.for_tier(tier)

    def fact_records(self) -> Iterator[Tuple[str, Reviewed]]:
        """(reference, record) for every sourced record, for `python -m bot.kb check`."""
        yield "complaints.sla_policy", self.sla_policy
        yield "complaints.regulator_notice", self.regulator_notice


# ---------------------------------------------------------------- loading


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def load_retention(kb_dir: Path) -> RetentionPlaybook:
    """Parse `<kb_dir>/retention.yml` with its `{branch.…}` placeholders filled from branch.yml;
    raises `pydantic.ValidationError` on a schema error, KeyError on an unknown placeholder."""
    from bot.kb.branch import load_branch

    return RetentionPlaybook.parse_obj(load_branch(kb_dir).fill_data(_read(Path(kb_dir) / RETENTION_FILE)))


SLA_FACTOR = "tier_complaint_sla_factor"


def load_complaints(kb_dir: Path) -> ComplaintCatalogue:
    """Parse `<kb_dir>/complaints.yml`; each category's hours for the better tiers are the normal tier's
    hours times the tier's factor in branch.yml. Raises `pydantic.ValidationError` on a schema error."""
    from bot.kb.branch import load_branch

    branch = load_branch(kb_dir)
    data = branch.fill_data(_read(Path(kb_dir) / COMPLAINTS_FILE))
    for category in data.get("categories") or []:
        hours = category.get("sla_hours") if isinstance(category, dict) else None
        if not isinstance(hours, dict) or "normal" not in hours:
            continue
        given = sorted(set(hours) - {"normal"})
        if given:
            raise ValueError(
                f"complaints.yml: {category.get('id')}: sla_hours gives {given}; only `normal` is written here, "
                f"the other tiers follow from {SLA_FACTOR} in branch.yml"
            )
        for tier in TierId:
            if tier is not TierId.NORMAL:
                factor = Decimal(branch.text(SLA_FACTOR, tier.value))
                hours[tier.value] = int((Decimal(hours["normal"]) * factor).to_integral_value(ROUND_HALF_UP))
    return ComplaintCatalogue.parse_obj(data)
