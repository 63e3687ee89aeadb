"""Agent and supervisor logins for the web panel, with salted scrypt password hashes (stdlib only)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Agent, AgentRole

# scrypt cost: ~16 MiB and tens of milliseconds per check, fine for a login form, costly to brute-force.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


@dataclass(frozen=True)
class DemoAgent:
    login: str
    display_name: str
    role: str
    password: str


def demo_agents(agent_password: str, lead_password: str) -> Tuple[DemoAgent, ...]:
    """The demo's agent and supervisor (demo mode only); a login without a password is not created."""
    agents = (
        DemoAgent("agent01", "示例坐席", AgentRole.AGENT.value, agent_password),
        DemoAgent("lead01", "示例班长", AgentRole.SUPERVISOR.value, lead_password),
    )
    return tuple(agent for agent in agents if agent.password)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: Optional[bytes] = None) -> str:
    """'scrypt$n$r$p$salt$hash': parameters travel with the hash so they can be raised later."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        expected_bytes = base64.b64decode(expected)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected_bytes),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected_bytes)


# Checked when the login is unknown, so that a wrong login costs as much time as a wrong password.
_DUMMY_HASH = hash_password("no such agent", salt=b"\0" * 16)


def get_agent(session: Session, login: str) -> Optional[Agent]:
    return session.execute(select(Agent).where(Agent.login == login)).scalar_one_or_none()


def list_agents(session: Session) -> List[Agent]:
    """Every staff login, by login (who a ticket can be assigned to)."""
    return list(session.execute(select(Agent).order_by(Agent.login)).scalars())


def create_agent(session: Session, login: str, display_name: str, role: str, password: str, now: datetime) -> Agent:
    agent = Agent(
        login=login,
        display_name=display_name,
        role=AgentRole(role).value,
        password_hash=hash_password(password),
        created_at=now,
    )
    session.add(agent)
    session.flush()
    return agent


def authenticate(session: Session, login: str, password: str) -> Optional[Agent]:
    """The agent if the password is right, else None (no hint whether the login exists)."""
    agent = get_agent(session, login)
    if agent is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return agent if verify_password(password, agent.password_hash) else None


def seed_demo_agents(session: Session, agents: Iterable[DemoAgent], now: Optional[datetime] = None) -> int:
    """Creates the demo logins that do not exist yet (existing passwords are never reset).

    `now` may be left out at start-up: only the rows' created_at depends on it.
    """
    now = now or datetime.now(timezone.utc)
    created = 0
    for demo in agents:
        if get_agent(session, demo.login) is None:
            create_agent(session, demo.login, demo.display_name, demo.role, demo.password, now)
            created += 1
    return created
