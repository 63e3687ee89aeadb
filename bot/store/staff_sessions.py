"""Panel sessions and the audit log (see models.StaffSession, models.AuditEntry)."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.common.privacy import mask_text
from bot.store.models import Agent, AuditEntry, StaffSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, login: str, token: str, csrf: str, now: datetime, expires_at: datetime) -> None:
    session.add(StaffSession(token_hash=token_hash(token), login=login, csrf=csrf, created_at=now,
                             expires_at=expires_at))


def live_session(session: Session, token: str, now: datetime) -> Optional[tuple]:
    """(agent row, csrf) for a session that has not expired or ended, else None."""
    row = session.execute(
        select(StaffSession, Agent).join(Agent, Agent.login == StaffSession.login)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    staff_session, agent = row
    if staff_session.ended_at is not None or staff_session.expires_at <= now:
        return None
    return agent, staff_session.csrf


def end_session(session: Session, token: str, now: datetime) -> None:
    found = session.get(StaffSession, token_hash(token))
    if found is not None and found.ended_at is None:
        found.ended_at = now


def record(session: Session, actor: str, action: str, now: datetime, target: Optional[str] = None,
           detail: Optional[str] = None) -> None:
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target,
                           detail=mask_text(detail) if detail else None))


def recent(session: Session, limit: int = 200) -> List[AuditEntry]:
    return list(session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).scalars())
