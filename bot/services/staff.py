"""Who is at the agent desk: staff logins checked against the `agents` table (front ends hold a view)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from bot.store import agents
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
