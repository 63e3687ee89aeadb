"""Human handoff: queue the conversation and tell the customer their place, or the hotline out of hours."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from bot.kb import KnowledgeBase
from bot.store import handoffs
from bot.store.customers import get_customer
from bot.common.clock import BEIJING, as_utc
from bot.store.db import Store

# An agent typically needs a few minutes per conversation; used only for the wait estimate.
MINUTES_PER_CUSTOMER_AHEAD = 3
_HOURS = re.compile(r"(\d{1,2})[:：](\d{2})\s*[–\-~至到]\s*(\d{1,2})[:：](\d{2})")


def in_service_hours(kb: KnowledgeBase, now: datetime) -> bool:
    """Agents work the hotline hours (kb `hotline_hours`, e.g. 交易日9:00–17:00), Monday to Friday.

    Exchange holidays are not modelled; out of hours the customer always also gets the hotline.
    """
    local = as_utc(now).astimezone(BEIJING)
    match = _HOURS.search(kb.service.hotline_hours)
    if local.weekday() >= 5 or not match:
        return False
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    return start <= local.hour * 60 + local.minute < end


@dataclass(frozen=True)
class Queued:
    handoff_id: int
    position: Optional[int]
    wait_minutes: int
    tier: str
    account_manager: Optional[str]
    in_hours: bool


def request_human(store: Store, kb: KnowledgeBase, conversation_id: str, now: datetime, *,
                  customer_id: Optional[str], reason: str) -> Queued:
    """Queues (or finds the queued) handoff; the tier's `handoff_priority` (kb/tiers.yml) orders the queue."""
    with store.session() as session, session.begin():
        customer = get_customer(session, customer_id)
        tier = kb.tier(customer.tier if customer is not None else "normal")
        handoff = handoffs.enqueue(session, conversation_id, now, customer_id=customer_id, tier=tier.id.value,
                                   priority=tier.handoff_priority, reason=reason)
        position = handoffs.queue_position(session, handoff.id)
        handoff_id, queued_tier = handoff.id, handoff.tier
        manager = customer.account_manager if customer is not None and tier.account_manager_on_handoff else None
    wait = max(1, (position or 1) - 1) * MINUTES_PER_CUSTOMER_AHEAD
    return Queued(handoff_id, position, wait, queued_tier, manager, in_service_hours(kb, now))


def withdraw(store: Store, conversation_id: str, now: datetime) -> bool:
    """The customer leaves the queue; True if they were waiting."""
    with store.session() as session, session.begin():
        return handoffs.withdraw(session, conversation_id, now) is not None
