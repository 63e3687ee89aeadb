"""Persistence: SQLAlchemy models, Alembic migrations and small repositories.

Repositories take the caller's `Session` and clock (`now`) and never commit: the caller's
`with session.begin():` decides what is one unit of work (see docs/store.md).
"""
from bot.store.db import Store, init_store, make_engine, session_factory, upgrade

__all__ = ["Store", "init_store", "make_engine", "session_factory", "upgrade"]
