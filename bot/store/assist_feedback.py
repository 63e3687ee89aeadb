"""What agents do with the assist card's reply suggestions (see models.AssistFeedback)."""
from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import AssistEvent, AssistFeedback


def _exists(session: Session, assist_id: str, suggestion_id: str, event: AssistEvent,
            agent: Optional[str] = None) -> bool:
    query = select(AssistFeedback.id).where(AssistFeedback.assist_id == assist_id,
                                            AssistFeedback.suggestion_id == suggestion_id,
                                            AssistFeedback.event == event.value)
    if agent is not None:
        query = query.where(AssistFeedback.agent == agent)
    return session.execute(query.limit(1)).first() is not None


def record_displayed(session: Session, assist_id: str, agent: str, conversation_id: Optional[str],
                     suggestion_ids: Iterable[str], now: datetime) -> None:
    for suggestion_id in dict.fromkeys(suggestion_ids):
        session.add(AssistFeedback(assist_id=assist_id, suggestion_id=suggestion_id, event=AssistEvent.DISPLAYED.value,
                                   agent=agent, conversation_id=conversation_id, at=now))


def displayed_to(session: Session, assist_id: str, suggestion_id: str, agent: str) -> Optional[AssistFeedback]:
    """The `displayed` row of this suggestion in this showing, if `agent` was the one shown it."""
    return session.execute(
        select(AssistFeedback).where(AssistFeedback.assist_id == assist_id,
                                     AssistFeedback.suggestion_id == suggestion_id,
                                     AssistFeedback.event == AssistEvent.DISPLAYED.value,
                                     AssistFeedback.agent == agent)
    ).scalars().first()


def record(session: Session, shown: AssistFeedback, event: AssistEvent, now: datetime) -> bool:
    """Records `event` for a displayed suggestion once; False when it was already recorded."""
    if _exists(session, shown.assist_id, shown.suggestion_id, event):
        return False
    session.add(AssistFeedback(assist_id=shown.assist_id, suggestion_id=shown.suggestion_id, event=event.value,
                               agent=shown.agent, conversation_id=shown.conversation_id, at=now))
    return True


def was_used(session: Session, shown: AssistFeedback) -> bool:
    return _exists(session, shown.assist_id, shown.suggestion_id, AssistEvent.USED)


def counts(session: Session, since: Optional[datetime] = None) -> Dict[str, Dict[str, int]]:
    """suggestion id → event → how many showings had it."""
    query = select(AssistFeedback.suggestion_id, AssistFeedback.event, func.count()).group_by(
        AssistFeedback.suggestion_id, AssistFeedback.event)
    if since is not None:
        query = query.where(AssistFeedback.at >= since)
    found: Dict[str, Dict[str, int]] = {}
    for suggestion_id, event, n in session.execute(query):
        found.setdefault(suggestion_id, {})[event] = int(n)
    return found
