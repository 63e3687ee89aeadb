"""Follow-up tasks for account managers (call back a customer who left, review a rate)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import FollowUpStatus, FollowUpTask

WIN_BACK_CALL = "win_back_call"
RATE_REVIEW = "rate_review"


def create_follow_up(
    session: Session,
    kind: str,
    due_at: datetime,
    now: datetime,
    *,
    customer_id: Optional[str] = None,
    contact_masked: Optional[str] = None,
    assignee: Optional[str] = None,
    case_id: Optional[str] = None,
) -> FollowUpTask:
    task = FollowUpTask(
        kind=kind,
        due_at=due_at,
        customer_id=customer_id,
        contact_masked=contact_masked,
        assignee=assignee,
        case_id=case_id,
        status=FollowUpStatus.OPEN.value,
        created_at=now,
    )
    session.add(task)
    return task


def open_follow_ups(session: Session, assignee: Optional[str] = None, limit: int = 100) -> List[FollowUpTask]:
    """Open tasks, earliest due first; `assignee` narrows to one account manager."""
    stmt = select(FollowUpTask).where(FollowUpTask.status == FollowUpStatus.OPEN.value)
    if assignee is not None:
        stmt = stmt.where(FollowUpTask.assignee == assignee)
    return list(session.execute(stmt.order_by(FollowUpTask.due_at, FollowUpTask.id).limit(limit)).scalars())


def tasks_for_case(session: Session, case_id: str) -> List[FollowUpTask]:
    stmt = select(FollowUpTask).where(FollowUpTask.case_id == case_id).order_by(FollowUpTask.id)
    return list(session.execute(stmt).scalars())


def complete_follow_up(session: Session, task_id: int, now: datetime) -> Optional[FollowUpTask]:
    task = session.get(FollowUpTask, task_id)
    if task is not None and task.status == FollowUpStatus.OPEN.value:
        task.status = FollowUpStatus.DONE.value
        task.done_at = now
    return task
