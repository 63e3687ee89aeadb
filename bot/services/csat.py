"""The customer's 1–5 rating of a conversation, asked when it ends (the web chat's goodbye)."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Optional

from bot.store import inbox as inbox_store
from bot.store.db import Store

SCORES = range(1, 6)


class Rated(str, Enum):
    RECORDED = "recorded"
    ALREADY_RATED = "already_rated"  # the first rating stands
    NOT_ASKED = "not_asked"  # no rating was asked in this conversation


def rate(store: Store, conversation_id: str, score: int, now: Optional[datetime] = None) -> Rated:
    if score not in SCORES:
        raise ValueError("score must be 1 to 5")
    now = now or datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        conversation = inbox_store.get(session, conversation_id)
        if conversation is None or conversation.csat_asked_at is None:
            return Rated.NOT_ASKED
        recorded = inbox_store.rate(session, conversation_id, score, conversation.channel, now)
        return Rated.RECORDED if recorded else Rated.ALREADY_RATED
