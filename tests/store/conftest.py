"""Store fixtures: every test using `session`/`engine` runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each
test session works in its own uniquely named schema, dropped afterwards, so parallel runs do not
clash. PostgreSQL runs on every machine of this project: an unreachable server fails the
PostgreSQL variants, unless TEST_POSTGRES_URL is set explicitly empty (then they are skipped).
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot.store.db import make_engine, session_factory, upgrade
from bot.store.models import Base

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
BEIJING = timezone(timedelta(hours=8))


def pg_base_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG_URL)


def pg_deliberately_off() -> bool:
    return os.environ.get("TEST_POSTGRES_URL") == ""


@lru_cache(maxsize=1)
def pg_unreachable_reason() -> Optional[str]:
    try:
        engine = create_engine(pg_base_url(), future=True, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "not available here", reported as the skip reason
        return f"PostgreSQL at {make_url(pg_base_url()).render_as_string(hide_password=True)} unreachable: {exc}"
    return None


def require_pg() -> None:
    if pg_deliberately_off():
        pytest.skip("TEST_POSTGRES_URL is set empty: PostgreSQL variants are off on purpose")
    reason = pg_unreachable_reason()
    if reason:
        pytest.fail(reason.splitlines()[0])


@contextmanager
def new_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """URL of an empty database (a file for SQLite, a fresh schema for PostgreSQL), removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'store-{uuid.uuid4().hex[:8]}.db'}"
        return
    require_pg()
    schema = f"test_store_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_base_url(), future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # search_path makes the schema the default one for the app, Alembic and reflection alike.
        yield make_url(pg_base_url()).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def db_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_database(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def sessions(engine: Engine) -> Iterator["sessionmaker[Session]"]:  # noqa: F821
    yield session_factory(engine)
    _empty_tables(engine)


@pytest.fixture
def session(sessions) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        yield session
        session.rollback()


@pytest.fixture
def now() -> datetime:
    """10:00 in Beijing on 2026-11-25 (02:00 UTC)."""
    return datetime(2026, 11, 25, 10, 0, tzinfo=BEIJING)
