"""What the SMS conversation keeps beyond `bot.store.sms`: the options last sent to a number, recent traffic.

The numbered options ("回复1…") must survive a restart and work when the customer's answer reaches
another Rasa server, so they live in the database (`bot.store.models.SmsMenu`, table `sms_menus`),
one row per number, replaced by every reply. Like every table, it is created by the store's Alembic
migrations (revision 0002, which also indexes `sms_inbound` by number and time for the rate limit).
These functions work in the caller's session and never commit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.store.models import SmsInbound, SmsMenu


@dataclass(frozen=True)
class Option:
    """One numbered choice: what the customer sees and what a reply with its number sends to the bot."""

    title: str
    payload: str


def save_menu(session: Session, phone: str, options: Sequence[Option], now: datetime) -> None:
    """Remembers the options just sent to `phone`; a reply without options forgets the previous ones,
    so a later "1" is read as text rather than as an answer to an old question."""
    if not options:
        session.execute(delete(SmsMenu).where(SmsMenu.phone == phone))
        return
    values = {
        "phone": phone,
        "options": json.dumps([{"title": o.title, "payload": o.payload} for o in options], ensure_ascii=False),
        "sent_at": now,
    }
    table = SmsMenu.__table__
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.phone], set_={"options": values["options"], "sent_at": now}
    )
    session.execute(stmt)


def current_menu(session: Session, phone: str, now: datetime, ttl: timedelta) -> List[Option]:
    # Columns rather than the entity: an SmsMenu already in the session would not see an upsert.
    stmt = select(SmsMenu.options, SmsMenu.sent_at).where(SmsMenu.phone == phone)
    row = session.execute(stmt).first()
    if row is None or row.sent_at < now - ttl:
        return []
    return [Option(title=item["title"], payload=item["payload"]) for item in json.loads(row.options)]


def chosen_option(session: Session, phone: str, number: int, now: datetime, ttl: timedelta) -> Optional[Option]:
    """The option numbered `number` in the last menu sent to `phone`, if it is still valid."""
    menu = current_menu(session, phone, now, ttl)
    return menu[number - 1] if 1 <= number <= len(menu) else None


def inbound_count_since(session: Session, phone: str, since: datetime) -> int:
    """Messages received from `phone` since `since` (the rate limit counts the durable inbound log,
    so it holds across restarts and across several Rasa servers; `ix_sms_inbound_phone_received_at`)."""
    stmt = select(func.count()).select_from(SmsInbound).where(
        SmsInbound.phone == phone, SmsInbound.received_at > since
    )
    return int(session.execute(stmt).scalar_one())
