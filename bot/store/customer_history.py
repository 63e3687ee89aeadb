"""What the branch has on record for one customer: tickets and retention cases, newest first."""
from __future__ import annotations

from typing import List

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import RetentionCase, Ticket


def tickets_of(session: Session, customer_id: str, limit: int = 20) -> List[Ticket]:
    stmt = (select(Ticket).where(Ticket.customer_id == customer_id)
            .order_by(Ticket.created_at.desc(), Ticket.id).limit(limit))
    return list(session.execute(stmt).scalars())


def retention_cases_of(session: Session, customer_id: str, limit: int = 20) -> List[RetentionCase]:
    stmt = (select(RetentionCase).where(RetentionCase.customer_id == customer_id)
            .order_by(RetentionCase.created_at.desc(), RetentionCase.id).limit(limit))
    return list(session.execute(stmt).scalars())
