"""The customer card an agent sees: tier, tickets, retention cases and recent conversations, with
personal data masked; a field is shown in full only when the agent gives a reason, which goes to
the audit log with the field (never the value)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

from bot.common.privacy import mask_phone
from bot.store import customer_history, inbox as inbox_store, staff_sessions
from bot.store.customers import get_customer
from bot.store.db import Store

REVEALABLE = ("phone", "name")
MIN_REASON = 4


class UnknownCustomer(LookupError):
    pass


class RevealRefused(ValueError):
    pass


def mask_name(name: str) -> str:
    """"张三丰" → "张**": enough for the agent to address the customer, not to identify them."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


@dataclass(frozen=True)
class CardTicket:
    id: str
    category: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class CardRetention:
    id: str
    request_type: str
    reason_class: Optional[str]
    outcome: str
    created_at: datetime


@dataclass(frozen=True)
class CardConversation:
    conversation_id: str
    channel: str
    last_at: datetime
    last_text: str


@dataclass(frozen=True)
class CustomerCard:
    id: str
    name: str  # masked
    tier: str
    phone: Optional[str]  # masked
    account_manager: Optional[str]
    tickets: List[CardTicket]
    retention_cases: List[CardRetention]
    conversations: List[CardConversation]


def card(store: Store, customer_id: str) -> CustomerCard:
    with store.session() as session:
        customer = get_customer(session, customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        tickets = [CardTicket(t.id, t.category, t.status, t.created_at)
                   for t in customer_history.tickets_of(session, customer.id)]
        cases = [CardRetention(c.id, c.request_type, c.reason_class, c.outcome, c.created_at)
                 for c in customer_history.retention_cases_of(session, customer.id)]
        conversations = [CardConversation(c.conversation_id, c.channel, c.last_at, c.last_text)
                         for c in inbox_store.customer_conversations(session, customer.id)]
        return CustomerCard(customer.id, mask_name(customer.name), customer.tier,
                            mask_phone(customer.phone) if customer.phone else None, customer.account_manager,
                            tickets, cases, conversations)


def reveal(store: Store, actor: str, customer_id: str, field: str, reason: str,
           now: Optional[datetime] = None) -> Optional[str]:
    """The field in full, after writing who asked and why to the audit log (in one transaction: no
    value leaves without its record)."""
    if field not in REVEALABLE:
        raise RevealRefused(f"field must be one of {', '.join(REVEALABLE)}")
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise RevealRefused(f"a reason of at least {MIN_REASON} characters is required")
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        customer = get_customer(session, customer_id)
        if customer is None:
            raise UnknownCustomer(customer_id)
        staff_sessions.record(session, actor, "personal_data_revealed", now, customer.id,
                              f"{field} | reason: {reason.strip()[:200]}")
        return customer.phone if field == "phone" else customer.name
