"""Retention cases: one per retention conversation, logged whatever the outcome (compliance).

A case is opened when a customer asks to leave (转托管/撤指定/转户/销户), updated as the reason
and the (single) offer become known, and closed with an outcome. Closing as `left` creates a
win-back call for the account manager; a requested rate review becomes a task of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.common.privacy import mask_phone, mask_text
from bot.common.clock import business_day
from bot.store.customers import get_customer
from bot.store.follow_ups import RATE_REVIEW, WIN_BACK_CALL, create_follow_up
from bot.store.ids import RETENTION_PREFIX, next_id
from bot.store.models import RetentionCase, RetentionOutcome

# A customer who left is called back the next working day at the latest.
DEFAULT_FOLLOW_UP_IN = timedelta(days=1)
UNCLASSIFIED = "unclassified"


class CaseNotFound(LookupError):
    pass


class CaseClosed(ValueError):
    pass


def get_open_case(session: Session, conversation_id: str) -> Optional[RetentionCase]:
    stmt = select(RetentionCase).where(
        RetentionCase.conversation_id == conversation_id, RetentionCase.closed_at.is_(None)
    )
    return session.execute(stmt).scalar_one_or_none()


def open_case(
    session: Session,
    conversation_id: str,
    now: datetime,
    *,
    request_type: str,
    channel: str,
    customer_id: Optional[str] = None,
    contact_phone: Optional[str] = None,
) -> RetentionCase:
    """The conversation's open case, created on first call."""
    existing = get_open_case(session, conversation_id)
    if existing is not None:
        return existing
    case = RetentionCase(
        id=next_id(session, RETENTION_PREFIX, business_day(now)),
        conversation_id=conversation_id,
        customer_id=customer_id,
        contact_masked=mask_phone(contact_phone) if contact_phone else None,
        channel=channel,
        request_type=request_type,
        outcome=RetentionOutcome.UNDECIDED.value,
        rate_review_requested=False,
        created_at=now,
        updated_at=now,
    )
    try:
        # The partial unique index refuses a second open case if another worker won the race.
        with session.begin_nested():
            session.add(case)
    except IntegrityError:
        existing = get_open_case(session, conversation_id)
        if existing is None:
            raise
        return existing
    return case


_UNSET: Any = object()


def _require_open(session: Session, case_id: str) -> RetentionCase:
    case = session.get(RetentionCase, case_id.strip().upper(), with_for_update=True)
    if case is None:
        raise CaseNotFound(case_id)
    if case.closed_at is not None:
        raise CaseClosed(f"retention case {case.id} is closed ({case.outcome})")
    return case


def update_case(
    session: Session,
    case_id: str,
    now: datetime,
    *,
    request_type: Optional[str] = _UNSET,
    reason_class: Optional[str] = _UNSET,
    reason_text: Optional[str] = _UNSET,
    offer: Optional[str] = _UNSET,
    rate_review_requested: bool = _UNSET,
) -> RetentionCase:
    """Records what the dialogue learned; arguments left out are not changed."""
    case = _require_open(session, case_id)
    if request_type is not _UNSET:
        case.request_type = request_type
    if reason_class is not _UNSET:
        case.reason_class = reason_class
    if reason_text is not _UNSET:
        case.reason_text_masked = mask_text(reason_text) if reason_text else None
    if offer is not _UNSET:
        case.offer = offer
    if rate_review_requested is not _UNSET:
        case.rate_review_requested = bool(rate_review_requested)
    case.updated_at = now
    return case


def close_case(
    session: Session,
    case_id: str,
    outcome: str,
    now: datetime,
    *,
    follow_up_in: timedelta = DEFAULT_FOLLOW_UP_IN,
) -> RetentionCase:
    """Closes the case with `outcome`; closing again with the same outcome is a no-op."""
    target = RetentionOutcome(outcome)
    case = session.get(RetentionCase, case_id.strip().upper(), with_for_update=True)
    if case is None:
        raise CaseNotFound(case_id)
    if case.closed_at is not None:
        if case.outcome == target.value:
            return case
        raise CaseClosed(f"retention case {case.id} is already closed as {case.outcome}")
    case.outcome = target.value
    case.closed_at = now
    case.updated_at = now
    customer = get_customer(session, case.customer_id)
    manager = customer.account_manager if customer is not None else None
    common = dict(customer_id=case.customer_id, contact_masked=case.contact_masked, assignee=manager, case_id=case.id)
    if target is RetentionOutcome.LEFT:
        create_follow_up(session, WIN_BACK_CALL, now + follow_up_in, now, **common)
    if case.rate_review_requested:
        create_follow_up(session, RATE_REVIEW, now + follow_up_in, now, **common)
    return case


@dataclass
class OutcomeCounts:
    retained: int = 0
    left: int = 0
    undecided: int = 0

    @property
    def total(self) -> int:
        return self.retained + self.left + self.undecided

    @property
    def retention_rate(self) -> Optional[float]:
        """Retained among decided cases; None until one is decided (undecided ones would dilute it)."""
        decided = self.retained + self.left
        return round(self.retained / decided, 4) if decided else None

    def add(self, outcome: str, count: int) -> None:
        setattr(self, RetentionOutcome(outcome).value, getattr(self, outcome) + count)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "total": self.total,
            "retained": self.retained,
            "left": self.left,
            "undecided": self.undecided,
            "retention_rate": self.retention_rate,
        }


@dataclass
class RetentionReport:
    overall: OutcomeCounts = field(default_factory=OutcomeCounts)
    by_reason_class: Dict[str, OutcomeCounts] = field(default_factory=dict)
    by_request_type: Dict[str, OutcomeCounts] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_reason_class": {k: v.as_dict() for k, v in sorted(self.by_reason_class.items())},
            "by_request_type": {k: v.as_dict() for k, v in sorted(self.by_request_type.items())},
        }


def report(session: Session, *, since: Optional[datetime] = None, until: Optional[datetime] = None) -> RetentionReport:
    """Outcome counts and retention rates by reason class and by request type (cases created in [since, until))."""
    stmt = select(RetentionCase.reason_class, RetentionCase.request_type, RetentionCase.outcome, func.count())
    if since is not None:
        stmt = stmt.where(RetentionCase.created_at >= since)
    if until is not None:
        stmt = stmt.where(RetentionCase.created_at < until)
    stmt = stmt.group_by(RetentionCase.reason_class, RetentionCase.request_type, RetentionCase.outcome)
    result = RetentionReport()
    for reason_class, request_type, outcome, count in session.execute(stmt):
        result.overall.add(outcome, count)
        result.by_reason_class.setdefault(reason_class or UNCLASSIFIED, OutcomeCounts()).add(outcome, count)
        result.by_request_type.setdefault(request_type, OutcomeCounts()).add(outcome, count)
    return result
