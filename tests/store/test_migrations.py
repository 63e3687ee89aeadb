"""The schema comes from the migrations alone, and it is exactly what the models describe."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store.db import downgrade, init_store, make_engine, upgrade
from bot.store.models import Base, Customer

from .conftest import BACKENDS, new_database

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = {t.name for t in Base.metadata.sorted_tables}


def _diff(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrated_schema_matches_the_models(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        assert _diff(engine) == []
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade_round_trip(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0010"
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        upgrade(engine)  # already at head: a no-op, as on every restart
        assert _diff(engine) == []
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_alembic_cli_uses_database_url(backend: str, tmp_path: Path) -> None:
    with new_database(backend, tmp_path) as url:
        env = {**os.environ, "DATABASE_URL": url}
        alembic = Path(sys.executable).with_name("alembic")
        result = subprocess.run(
            [str(alembic), "upgrade", "head"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        engine = make_engine(url)
        assert TABLES <= set(inspect(engine).get_table_names())
        engine.dispose()


def test_upgrade_by_url_creates_the_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'nested' / 'bot.db'}"
    upgrade(url)
    assert (tmp_path / "var" / "nested" / "bot.db").exists()


def test_sqlite_engine_uses_wal_and_waits_for_locks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_init_store_gives_a_migrated_store(tmp_path: Path) -> None:
    store = init_store(f"sqlite:///{tmp_path / 'bot.db'}")
    with store.sessions.begin() as session:
        session.add(Customer(id="C9", name="测试", tier="gold", commission_rate=Decimal("0.00015"), commission_minimum=5))
    with store.session() as session:
        customer = session.get(Customer, "C9")
        assert customer.commission_rate == Decimal("0.00015")  # exact, not a float
        assert customer.commission_minimum == Decimal("5")
    store.dispose()


def test_in_memory_sqlite_works_across_sessions() -> None:
    store = init_store("sqlite://")
    with store.sessions.begin() as session:
        session.add(Customer(id="C1", name="甲", tier="normal", commission_rate="0.00025", commission_minimum="5"))
    with store.session() as session:
        assert session.get(Customer, "C1") is not None
    store.dispose()


def test_datetimes_come_back_as_aware_utc(session, now) -> None:  # type: ignore[no-untyped-def]
    from bot.store.models import SmsOptOut

    session.add(SmsOptOut(phone="13912345678", at=now))
    session.commit()
    session.expire_all()
    stored = session.get(SmsOptOut, "13912345678").at
    assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0
    assert stored == now == datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_processes_starting_at_once_migrate_once(backend: str, tmp_path: Path) -> None:
    """Rasa servers, the action server and the web app start together: the advisory lock (PostgreSQL)
    or SQLite's writer lock lets one migrate while the others wait, and nobody fails."""
    from concurrent.futures import ThreadPoolExecutor

    with new_database(backend, tmp_path) as url:
        with ThreadPoolExecutor(max_workers=4) as pool:
            stores = list(pool.map(lambda _: init_store(url), range(4)))
        engine = stores[0].engine
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert len(versions) == 1
        for store in stores:
            store.dispose()
