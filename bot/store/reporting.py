"""Read-only queries behind the supervisor's dashboard (bot.services.dashboard computes the figures)."""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import AuditEntry, Handoff, Ticket


def handoffs_between(session: Session, since: datetime, until: datetime) -> List[Handoff]:
    stmt = select(Handoff).where(Handoff.created_at >= since, Handoff.created_at < until)
    return list(session.execute(stmt).scalars())


def first_agent_messages(session: Session, conversation_ids: List[str], since: datetime) -> Dict[str, datetime]:
    """The first message an agent sent in each conversation since `since` (from the audit log)."""
    if not conversation_ids:
        return {}
    stmt = (select(AuditEntry.target, func.min(AuditEntry.at))
            .where(AuditEntry.action == "agent_message", AuditEntry.at >= since,
                   AuditEntry.target.in_(conversation_ids))
            .group_by(AuditEntry.target))
    return {target: at for target, at in session.execute(stmt).all()}


def tickets_created_between(session: Session, since: datetime, until: datetime) -> List[Ticket]:
    stmt = select(Ticket).where(Ticket.created_at >= since, Ticket.created_at < until)
    return list(session.execute(stmt).scalars())
