"""What the SMS channel keeps beyond `bot.store.sms`: the options last sent to a number, recent traffic.

The numbered options ("回复1…") must survive a restart and work when the customer's answer reaches
another Rasa server, so they live in the database, one row per number, replaced by every reply.

`sms_menus` is declared on its own metadata and created here with `CREATE TABLE IF NOT EXISTS`
(`ensure_schema`), not by the store's Alembic migrations, because this module was written while
the store was being written by someone else. Moving it into an Alembic migration is a follow-up;
the table has no foreign keys, so that move is mechanical (and `ensure_schema` then finds it).
"""
from __future__ import annotations

import json
import weakref
from datetime import datetime, timedelta
from typing import List, Optional, Sequence, Union

from sqlalchemy import Column, MetaData, String, Table, Text, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from bot.channels.sms_render import Option
from bot.store.coltypes import UTCDateTime
from bot.store.models import SmsInbound

metadata = MetaData()

sms_menus = Table(
    "sms_menus",
    metadata,
    Column("phone", String(20), primary_key=True),  # normalised, as in sms_inbound / sms_opt_outs
    Column("options", Text, nullable=False),  # JSON list of {"title", "payload"}
    Column("sent_at", UTCDateTime, nullable=False),
)


_ready: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def ensure_schema(bind: Union[Engine, Connection]) -> None:
    """Creates the channel's own table if it is missing (idempotent; checked once per engine).

    Given a connection, the check runs inside that connection's transaction, which matters on SQLite
    where a second connection would wait for the write lock the first one holds.
    """
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine in _ready:
        return
    metadata.create_all(bind, checkfirst=True)
    if isinstance(bind, Engine):  # committed; inside a caller's transaction it could still roll back
        _ready.add(engine)


def save_menu(session: Session, phone: str, options: Sequence[Option], now: datetime) -> None:
    """Remembers the options just sent to `phone`; a reply without options forgets the previous ones,
    so a later "1" is read as text rather than as an answer to an old question."""
    ensure_schema(session.connection())
    if not options:
        session.execute(delete(sms_menus).where(sms_menus.c.phone == phone))
        return
    values = {
        "phone": phone,
        "options": json.dumps([{"title": o.title, "payload": o.payload} for o in options], ensure_ascii=False),
        "sent_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(sms_menus).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[sms_menus.c.phone], set_={"options": values["options"], "sent_at": now}
    )
    session.execute(stmt)


def current_menu(session: Session, phone: str, now: datetime, ttl: timedelta) -> List[Option]:
    ensure_schema(session.connection())
    row = session.execute(select(sms_menus).where(sms_menus.c.phone == phone)).first()
    if row is None or row.sent_at < now - ttl:
        return []
    return [Option(title=item["title"], payload=item["payload"]) for item in json.loads(row.options)]


def chosen_option(session: Session, phone: str, number: int, now: datetime, ttl: timedelta) -> Optional[Option]:
    """The option numbered `number` in the last menu sent to `phone`, if it is still valid."""
    menu = current_menu(session, phone, now, ttl)
    return menu[number - 1] if 1 <= number <= len(menu) else None


def inbound_count_since(session: Session, phone: str, since: datetime) -> int:
    """Messages received from `phone` since `since` (the rate limit counts the durable inbound log,
    so it holds across restarts and across several Rasa servers)."""
    stmt = select(func.count()).select_from(SmsInbound).where(
        SmsInbound.phone == phone, SmsInbound.received_at > since
    )
    return int(session.execute(stmt).scalar_one())
