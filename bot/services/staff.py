"""Who is at the agent desk: staff logins checked against the `agents` table, panel sessions, and
the audit log of what staff do (front ends hold views, never rows)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from bot.store import agents, staff_sessions
from bot.store.db import Store


@dataclass(frozen=True)
class StaffMember:
    login: str
    display_name: str
    role: str  # agent / supervisor

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def authenticate(store: Store, login: str, password: str) -> Optional[StaffMember]:
    """The staff member if login and password match, else None (no hint which one was wrong)."""
    if not login or not password or len(login) > 64 or len(password) > 1024:
        return None
    with store.session() as session:
        found = agents.authenticate(session, login, password)
        return StaffMember(found.login, found.display_name, found.role) if found else None


# A working day; the panel asks for the password again after it (and at logout).
SESSION_LIFETIME = timedelta(hours=10)


@dataclass(frozen=True)
class StaffLogin:
    member: StaffMember
    token: str  # the cookie's value; only its hash is stored
    csrf: str   # echoed by the panel in X-CSRF-Token on every state-changing request


def _now() -> datetime:
    return datetime.now(timezone.utc)


def log_in(store: Store, login: str, password: str, now: Optional[datetime] = None) -> Optional[StaffLogin]:
    """Checks the password and opens a session; every attempt is in the audit log."""
    now = now or _now()
    member = authenticate(store, login, password)
    with store.session() as session, session.begin():
        if member is None:
            staff_sessions.record(session, (login or "?")[:64], "login_refused", now)
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        staff_sessions.open_session(session, member.login, token, csrf, now, now + SESSION_LIFETIME)
        staff_sessions.record(session, member.login, "login", now)
    return StaffLogin(member, token, csrf)


def session_for(store: Store, token: Optional[str], now: Optional[datetime] = None) -> Optional[StaffLogin]:
    """The live session this cookie value opens, else None."""
    if not token or len(token) > 128:
        return None
    with store.session() as session:
        found = staff_sessions.live_session(session, token, now or _now())
        if found is None:
            return None
        agent, csrf = found
        return StaffLogin(StaffMember(agent.login, agent.display_name, agent.role), token, csrf)


def log_out(store: Store, current: StaffLogin, now: Optional[datetime] = None) -> None:
    now = now or _now()
    with store.session() as session, session.begin():
        staff_sessions.end_session(session, current.token, now)
        staff_sessions.record(session, current.member.login, "logout", now)


def audit(store: Store, actor: str, action: str, target: Optional[str] = None, detail: Optional[str] = None,
          now: Optional[datetime] = None) -> None:
    with store.session() as session, session.begin():
        staff_sessions.record(session, actor, action, now or _now(), target, detail)


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    target: Optional[str]
    detail: Optional[str]


def audit_trail(store: Store, limit: int = 200) -> List[AuditView]:
    with store.session() as session:
        return [AuditView(e.at, e.actor, e.action, e.target, e.detail) for e in staff_sessions.recent(session, limit)]
