"""Customers: lookups for identity (token subject, SMS sender) and idempotent demo seeding."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Customer, Tier
from bot.common.phones import normalize_phone

# The kb and the design speak of 普通/银卡/金卡/白金卡; the store keeps the English codes.
TIER_ALIASES = {
    "普通": Tier.NORMAL,
    "普通客户": Tier.NORMAL,
    "银卡": Tier.SILVER,
    "金卡": Tier.GOLD,
    "白金卡": Tier.PLATINUM,
    "白金": Tier.PLATINUM,
}


def parse_tier(value: Any) -> Tier:
    """Tier from an English code, a Chinese name or a Tier; ValueError otherwise."""
    if isinstance(value, Tier):
        return value
    text = str(getattr(value, "value", value)).strip()
    if text in TIER_ALIASES:
        return TIER_ALIASES[text]
    return Tier(text.lower())


def get_customer(session: Session, customer_id: Optional[str]) -> Optional[Customer]:
    if not customer_id:
        return None
    return session.get(Customer, customer_id)


def find_by_phone(session: Session, phone: Optional[str]) -> Optional[Customer]:
    """The customer whose registered mobile is `phone` (any common spelling), or None."""
    normalized = normalize_phone(phone)
    if normalized is None:
        return None
    return session.execute(select(Customer).where(Customer.phone == normalized)).scalar_one_or_none()


def _field(record: Any, *names: str, default: Any = None) -> Any:
    """First present field among `names`, from a mapping or an object (kb models, dicts, YAML)."""
    for name in names:
        value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
        if value is not None:
            return value
    return default


def _decimal(value: Any) -> Optional[Decimal]:
    return None if value is None else Decimal(str(value))


def customer_from_record(record: Any) -> Customer:
    """A Customer from a demo record (a bot.kb Customer, a dict from YAML, …).

    The commission is `commission_rate`/`commission_minimum` or a nested `commission: {rate, minimum}`;
    absent means no negotiated rate, so the kb's fee schedule applies.
    """
    commission = _field(record, "commission", default={})
    return Customer(
        id=str(_field(record, "id", "customer_id")),
        name=str(_field(record, "name")),
        tier=parse_tier(_field(record, "tier", default=Tier.NORMAL)).value,
        phone=normalize_phone(_field(record, "phone", "mobile")),
        commission_rate=_decimal(_field(record, "commission_rate", default=_field(commission, "rate"))),
        commission_minimum=_decimal(_field(record, "commission_minimum", default=_field(commission, "minimum"))),
        account_manager=_field(record, "account_manager", "manager"),
    )


def seed_demo_customers(session: Session, customers: Iterable[Any]) -> int:
    """Inserts the customers that do not exist yet; returns how many were inserted.

    Existing rows are left as they are, so restarting never overwrites changes made since.
    """
    inserted = 0
    for record in customers:
        customer = customer_from_record(record)
        if session.get(Customer, customer.id) is None:
            session.add(customer)
            inserted += 1
    session.flush()
    return inserted
