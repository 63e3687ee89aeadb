"""Human-readable daily ids: CP-20261125-0001 (complaint tickets), RT-20261125-0001 (retention cases)."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models import DailySequence

TICKET_PREFIX = "CP"
RETENTION_PREFIX = "RT"

_PREFIX = re.compile(r"^[A-Z]{2,8}$")
ID_PATTERN = re.compile(r"^(?P<prefix>[A-Z]{2,8})-(?P<day>\d{8})-(?P<n>\d{4,})$")


def format_id(prefix: str, day: date, value: int) -> str:
    # Four digits are the contract; a 10,000th id in one day widens rather than wraps.
    return f"{prefix}-{day:%Y%m%d}-{value:04d}"


def next_id(session: Session, prefix: str, day: date) -> str:
    """The next id for `prefix` on `day`, unique across concurrent transactions and processes.

    The counter row stays locked until the caller commits, so ids are handed out in commit order;
    a rolled-back transaction gives its number back.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"id prefix must be 2-8 capital letters, got {prefix!r}")
    return format_id(prefix, day, _next_value(session, prefix, day))


def _next_value(session: Session, prefix: str, day: date) -> int:
    dialect = session.get_bind().dialect.name
    table = DailySequence.__table__
    key = (DailySequence.prefix == prefix) & (DailySequence.day == day)
    if dialect == "postgresql":
        # One atomic statement: concurrent callers queue on the row lock instead of racing a read.
        stmt = pg_insert(table).values(prefix=prefix, day=day, last_value=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.day], set_={"last_value": table.c.last_value + 1}
        ).returning(table.c.last_value)
        return int(session.execute(stmt).scalar_one())
    if dialect == "sqlite":
        # The engine opens every transaction with BEGIN IMMEDIATE (bot.store.db), so the upsert and
        # the read below run under the database write lock; SQLAlchemy 1.4 has no SQLite RETURNING.
        stmt = sqlite_insert(table).values(prefix=prefix, day=day, last_value=1)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.prefix, table.c.day], set_={"last_value": table.c.last_value + 1}
            )
        )
        return int(session.execute(select(DailySequence.last_value).where(key)).scalar_one())
    # Other databases: lock the row, then update or insert (a concurrent first insert fails loudly).
    current = session.execute(select(DailySequence.last_value).where(key).with_for_update()).scalar_one_or_none()
    if current is None:
        session.add(DailySequence(prefix=prefix, day=day, last_value=1))
        session.flush()
        return 1
    session.execute(update(DailySequence).where(key).values(last_value=current + 1))
    return current + 1
