"""Reads Rasa's event broker and folds what it reads into the inbox (bot.services.inbox).

Two sources, one per profile (settings `event_source`):
- Rasa's SQL event broker (embedded): the broker appends every event to its `events` table; we read
  rows after the last position, and the position moves in the same transaction as the projection,
  so a restart neither skips nor repeats a batch.
- RabbitMQ (production, Rasa's `pika` broker): a durable queue; a batch is acknowledged after it has
  been projected, so a crash redelivers it rather than losing it.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import MetaData, Table, create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.services import inbox
from bot.store.db import Store

log = logging.getLogger(__name__)

BATCH = 500
# How often the SQL broker's table is looked at: a customer's message reaches the panel well
# within a second.
POLL_SECONDS = 0.25
BROKER_TABLE = "events"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit((parts.scheme, f"{user}:***@{netloc}", parts.path, parts.query, parts.fragment))


def _decoded(raw: Any) -> Optional[Dict[str, Any]]:
    try:
        event = json.loads(raw)
    except (TypeError, ValueError):
        return None
    return event if isinstance(event, dict) else None


class SqlBrokerSource:
    """The `events` table of Rasa's SQL event broker, read by position."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"sql:{_without_password(url)}"
        self._engine = create_engine(url, hide_parameters=True)
        self._table: Optional[Table] = None

    def _events_table(self) -> Optional[Table]:
        if self._table is None:
            database = make_url(self.url).database if self.url.startswith("sqlite") else None
            if database and not Path(database).exists():
                return None  # not created yet; connecting would create an empty file in its place
            if not inspect(self._engine).has_table(BROKER_TABLE):
                return None  # Rasa has not started yet: its broker creates the table
            self._table = Table(BROKER_TABLE, MetaData(), autoload_with=self._engine)
        return self._table

    def read(self, after: int, limit: int = BATCH) -> List[Tuple[int, Dict[str, Any]]]:
        table = self._events_table()
        if table is None:
            return []
        stmt = select(table.c.id, table.c.data).where(table.c.id > after).order_by(table.c.id).limit(limit)
        with self._engine.connect() as connection:
            rows = connection.execute(stmt).all()
        # An undecodable row is passed over (as {}) so that the position still moves past it.
        return [(row.id, _decoded(row.data) or {}) for row in rows]

    def close(self) -> None:
        self._engine.dispose()


def drain_sql(store: Store, source: SqlBrokerSource) -> int:
    """Projects every event the broker has written since the last call; the number of events read."""
    total = 0
    while True:
        position = inbox.read_position(store, source.name)
        batch = source.read(position)
        if not batch:
            return total
        events = [event for _, event in batch if event]
        inbox.project(store, events, cursor=(source.name, batch[-1][0]))
        total += len(batch)
        if len(batch) < BATCH:
            return total


async def follow_sql(store: Store, url: str, *, poll_seconds: float = POLL_SECONDS) -> None:
    """Runs until cancelled: projects new broker rows as they appear."""
    source = SqlBrokerSource(url)
    log.info("inbox: reading Rasa's SQL event broker at %s", source.name)
    try:
        while True:
            try:
                await asyncio.to_thread(drain_sql, store, source)
            except SQLAlchemyError:
                log.exception("inbox: the event broker's table could not be read; retrying")
                await asyncio.sleep(5)
            await asyncio.sleep(poll_seconds)
    finally:
        source.close()


async def follow_rabbitmq(store: Store, url: str, queue_name: str, *, batch_seconds: float = 0.1) -> None:
    """Runs until cancelled: consumes Rasa's `pika` broker queue, acknowledging after projecting."""
    import aio_pika

    log.info("inbox: consuming RabbitMQ queue %s at %s", queue_name, _without_password(url))
    while True:
        try:
            connection = await aio_pika.connect_robust(url)
            async with connection:
                channel = await connection.channel()
                await channel.set_qos(prefetch_count=BATCH)
                queue = await channel.declare_queue(queue_name, durable=True)
                arrived: "asyncio.Queue[Any]" = asyncio.Queue()
                await queue.consume(arrived.put)
                while True:
                    pending = [await arrived.get()]
                    # A short wait gathers a turn's events into one transaction.
                    with contextlib.suppress(asyncio.TimeoutError):
                        while len(pending) < BATCH:
                            pending.append(await asyncio.wait_for(arrived.get(), timeout=batch_seconds))
                    events = [e for m in pending if (e := _decoded(m.body)) is not None]
                    await asyncio.to_thread(inbox.project, store, events)
                    await pending[-1].ack(multiple=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Broker or store down: nothing unprojected was acknowledged; RabbitMQ redelivers it.
            log.exception("inbox: the RabbitMQ feed stopped; reconnecting in 5 s")
            await asyncio.sleep(5)


async def follow(store: Store, source_url: str, queue_name: str) -> None:
    if source_url.startswith(("amqp://", "amqps://")):
        await follow_rabbitmq(store, source_url, queue_name)
    else:
        await follow_sql(store, source_url)
