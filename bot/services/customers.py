"""Who the customer is, as a frozen view: the front ends never hold an ORM row."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from bot.store.customers import get_customer
from bot.store.db import Store


@dataclass(frozen=True)
class CustomerView:
    id: str
    name: str
    tier: str  # normal / silver / gold / platinum
    phone: Optional[str]
    commission_rate: Optional[Decimal]
    commission_minimum: Optional[Decimal]


def customer(store: Store, customer_id: Optional[str]) -> Optional[CustomerView]:
    """The customer with this (already verified) id, or None."""
    if not customer_id:
        return None
    with store.session() as session:
        row = get_customer(session, customer_id)
        if row is None:
            return None
        return CustomerView(id=row.id, name=row.name, tier=row.tier, phone=row.phone,
                            commission_rate=row.commission_rate, commission_minimum=row.commission_minimum)
