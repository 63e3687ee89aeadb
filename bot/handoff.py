"""Human handoff: queue the conversation and tell the customer their place, or the hotline out of hours."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from bot.kb import KnowledgeBase
from bot.store import handoffs
from bot.store.clock import BEIJING, as_utc
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
    """Queues (or finds the queued) handoff; tier decides the priority (白金卡/金卡 first)."""
    with store.session() as session, session.begin():
        handoff = handoffs.enqueue(session, conversation_id, now, customer_id=customer_id, reason=reason)
        position = handoffs.queue_position(session, handoff.id)
        tier = handoff.tier
        handoff_id = handoff.id
    manager = None
    if customer_id:
        known = next((c for c in kb.customers if c.id == customer_id), None)
        manager = known.account_manager if known and tier in ("gold", "platinum") else None
    wait = max(1, (position or 1) - 1) * MINUTES_PER_CUSTOMER_AHEAD
    return Queued(handoff_id, position, wait, tier, manager, in_service_hours(kb, now))
