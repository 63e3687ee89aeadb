"""Engines, sessions and migrations: the one place that knows how to open the database."""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Rides out other writers' short transactions; short enough not to stall an event loop for long.
SQLITE_BUSY_TIMEOUT_MS = 5_000


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _use_wal(cursor: Any) -> None:
    """WAL mode, which the file keeps once set. Switching needs the file to itself and answers
    "database is locked" at once (no busy wait) while another process is migrating: then it is
    either set already by that process, or tried again until the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            try:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                    return
            except sqlite3.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _prepare_sqlite(engine: Engine, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that SQLAlchemy's BEGIN (below) is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            _use_wal(cursor)  # readers do not block the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front. A deferred transaction that read first and
        # writes later fails at once with SQLITE_BUSY under WAL when another writer got in between;
        # taking the lock at BEGIN makes id generation and idempotency checks serial and the wait
        # governed by busy_timeout. The embedded database serves a demo-sized load, so this is cheap.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: Union[str, URL], **kwargs: Any) -> Engine:
    """A future-style engine configured for the store (SQLite pragmas, PostgreSQL pre-ping)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = _is_memory(parsed)
        connect_args = {"check_same_thread": False, **kwargs.pop("connect_args", {})}
        if memory:
            # One shared connection, otherwise every pooled connection would see its own empty database.
            kwargs.setdefault("poolclass", StaticPool)
        else:
            Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            # Pooled (SQLAlchemy 1.4 would open and close a file connection per unit of work: a connect,
            # its pragmas, and a WAL checkpoint on close, three times what the work itself costs).
            kwargs.setdefault("poolclass", QueuePool)
        engine = create_engine(parsed, future=True, hide_parameters=True, connect_args=connect_args, **kwargs)
        _prepare_sqlite(engine, memory)
        return engine
    # Pre-ping: the PostgreSQL server or a proxy may drop idle connections between customer messages.
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, future=True, hide_parameters=True, **kwargs)


def session_factory(engine: Engine) -> "sessionmaker[Session]":
    """Sessions for `with factory.begin() as session:` units of work.

    expire_on_commit=False: a ticket returned from a committed unit of work can still be rendered
    (its id told to the customer) without a new round trip.
    """
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def alembic_config(url: Optional[str] = None) -> Config:
    """Alembic configuration for programmatic use (no alembic.ini or logging config needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = url
    return config


# Keys of the PostgreSQL advisory locks that serialise start-up work across processes.
MIGRATION_LOCK, SEEDING_LOCK = 7_410_001, 7_410_002


def serialized(connection_or_session: Union[Connection, Session], key: int) -> None:
    """Holds a transaction-scoped advisory lock on PostgreSQL (several servers starting at once);
    SQLite serialises writers itself."""
    bind = connection_or_session.get_bind() if isinstance(connection_or_session, Session) else connection_or_session
    if bind.dialect.name == "postgresql":
        connection_or_session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def upgrade(engine_or_url: Union[Engine, str, URL], revision: str = "head") -> None:
    """Apply the migrations up to `revision`; the schema is never created any other way."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, (str, URL)) else engine_or_url
    try:
        with engine.begin() as connection:
            serialized(connection, MIGRATION_LOCK)
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    """Roll back to `revision` (tests and operators; the application never downgrades)."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@dataclass
class Store:
    engine: Engine
    sessions: "sessionmaker[Session]"

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def init_store(url: Optional[str] = None, *, migrate: bool = True) -> Store:
    """Engine + migrated schema + session factory for `url` (default: the configured DATABASE_URL)."""
    if url is None:
        from bot.common.settings import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Store(engine=engine, sessions=session_factory(engine))
