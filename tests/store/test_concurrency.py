"""Concurrent ticket creation: every confirmation gets its own id and its own row, none lost."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable, List, TypeVar

from sqlalchemy import func, select

from bot.store.db import make_engine, session_factory
from bot.store.models import DailySequence, Ticket
from bot.store.tickets import create_ticket

from .helpers import draft

T = TypeVar("T")


def _run_concurrently(count: int, work: Callable[[int], T]) -> List[T]:
    """Runs work(0..count-1) on `count` threads released together, each with its own session."""
    barrier = threading.Barrier(count)

    def start(i: int) -> T:
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def _threads_for(backend: str) -> int:
    # SQLite serialises writers on one file lock; fewer threads keep the test quick but still racing.
    return 100 if backend == "postgresql" else 20


def test_concurrent_creations_get_distinct_consecutive_ids(backend, db_url, sessions, now: datetime) -> None:  # type: ignore[no-untyped-def]
    count = _threads_for(backend)
    # 100 threads share 10 connections: they still race on the counter row, without exhausting a
    # server that other test runs share (max_connections is often 100).
    engine = make_engine(db_url, **({"pool_size": 10, "max_overflow": 0, "pool_timeout": 120} if backend == "postgresql" else {}))
    factory = session_factory(engine)

    def create(i: int) -> str:
        with factory.begin() as session:
            return create_ticket(session, draft(f"conv-{i}:confirm", now=now, conversation_id=f"conv-{i}"), now).id

    try:
        ids = _run_concurrently(count, create)
    finally:
        engine.dispose()

    assert len(set(ids)) == count
    assert sorted(ids) == [f"CP-20261125-{n:04d}" for n in range(1, count + 1)]
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == count
        assert session.execute(select(DailySequence.last_value)).scalar_one() == count
        stored = {t.id: t.conversation_id for t in session.execute(select(Ticket)).scalars()}
    assert stored == {ticket_id: f"conv-{i}" for i, ticket_id in enumerate(ids)}


def test_concurrent_resubmissions_of_one_confirmation_make_one_ticket(backend, db_url, sessions, now) -> None:  # type: ignore[no-untyped-def]
    count = 20 if backend == "postgresql" else 10
    engine = make_engine(db_url, **({"pool_size": 10, "max_overflow": 0, "pool_timeout": 120} if backend == "postgresql" else {}))
    factory = session_factory(engine)

    def create(_: int) -> str:
        with factory.begin() as session:
            return create_ticket(session, draft("conv-x:confirm-1", now=now), now).id

    try:
        ids = _run_concurrently(count, create)
    finally:
        engine.dispose()

    assert len(set(ids)) == 1
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 1
