"""Small builders shared by the store tests."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.store.models import Customer
from bot.store.tickets import TicketDraft

DEMO_CUSTOMERS = [
    {"id": "C0001", "name": "张三", "tier": "普通", "phone": "13800000001", "commission_rate": "0.00025",
     "commission_minimum": "5", "account_manager": "李经理"},
    {"id": "C0002", "name": "李四", "tier": "银卡", "phone": "13800000002", "commission_rate": "0.0002",
     "commission_minimum": "5", "account_manager": "李经理"},
    {"id": "C0003", "name": "王五", "tier": "金卡", "phone": "+86 138-0000-0003",
     "commission": {"rate": "0.00015", "minimum": "5"}, "account_manager": "赵经理"},
    {"id": "C0004", "name": "赵六", "tier": "platinum", "phone": "13800000004", "commission_rate": 0.0001,
     "commission_minimum": 5},
]


def add_customers(session: Session) -> None:
    from bot.store.customers import seed_demo_customers

    seed_demo_customers(session, DEMO_CUSTOMERS)
    session.commit()


def draft(key: str = "conv-1:msg-1", now: datetime | None = None, **overrides: Any) -> TicketDraft:
    values: dict[str, Any] = dict(
        idempotency_key=key,
        conversation_id="conv-1",
        category="service_attitude",
        severity="medium",
        priority="normal",
        sla_due_at=(now or datetime(2026, 11, 25, 2, 0)) + timedelta(hours=24),
        channel="web",
        description="客服态度差，我的手机13912345678，请回电",
    )
    values.update(overrides)
    return TicketDraft(**values)


def customer(session: Session, customer_id: str) -> Customer:
    found = session.get(Customer, customer_id)
    assert found is not None
    return found


__all__ = ["DEMO_CUSTOMERS", "Decimal", "add_customers", "customer", "draft"]
