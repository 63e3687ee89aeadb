"""Process-wide handles shared by the action server and the web app: the knowledge base and the store.

The store is opened lazily and, on first use, migrated and — in demo mode only — seeded with the demo
customers and agents, so `make run` on a fresh machine needs no separate set-up step (idempotent).
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from bot.kb import KnowledgeBase, load_kb
from bot.common.settings import get_settings
from bot.store.db import Store, init_store

log = logging.getLogger(__name__)
_lock = threading.Lock()
_store: Optional[Store] = None


def kb() -> KnowledgeBase:
    return load_kb()


def seed_demo_data(store: Store) -> None:
    from bot.store.agents import demo_agents, seed_demo_agents
    from bot.store.customers import seed_demo_customers

    from bot.store.db import SEEDING_LOCK, serialized

    with store.session() as session, session.begin():
        serialized(session, SEEDING_LOCK)
        seed_demo_customers(session, kb().customers)
        settings = get_settings()
        seed_demo_agents(session, demo_agents(settings.demo_agent_password, settings.demo_lead_password))


def open_store(settings) -> Store:
    """A store for other settings than the process's (tests, tools): migrated, not seeded."""
    return init_store(settings.database_url)


def store() -> Store:
    """The configured store, migrated and seeded on first use; raises if the database is down."""
    global _store
    with _lock:
        if _store is None:
            settings = get_settings()
            candidate = init_store(settings.database_url)
            if settings.demo_mode:
                seed_demo_data(candidate)  # only demo mode has demo customers and staff logins
            _store = candidate
        return _store


def use_store(replacement: Optional[Store]) -> None:
    """Points the process at another store (tests, tools); None reopens the configured one on next use."""
    global _store
    with _lock:
        _store = replacement


def main() -> None:
    """`python -m bot.runtime`: migrate and seed the configured database (used by `make run`)."""
    logging.basicConfig(level=logging.INFO)
    opened = store()
    log.info("store ready at %s", opened.engine.url.render_as_string(hide_password=True))


if __name__ == "__main__":
    main()
