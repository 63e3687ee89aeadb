"""Sends the SMS outbox to the gateway: claim due rows, POST them, mark them sent or retry later.

Every reply and proactive message is first committed to `sms_outbox` (see `bot.store.sms`), so a
gateway outage or a restart loses nothing: this worker picks up whatever is due, in whichever
process runs it. It starts with the SMS channel inside the Rasa server, or on its own:

    python -m bot.cli.sms_outbox          # keep sending until SIGTERM/Ctrl-C
    python -m bot.cli.sms_outbox --once   # send what is due now, then exit

Exactly once per reply: a row is claimed in one transaction (SKIP LOCKED on PostgreSQL, the write
lock on SQLite) and leased, so two workers never send it at the same time; the gateway receives the
row id as `ref` and can drop a repeat if a worker died between the gateway's 2xx and `mark_sent`.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, List, Optional

import aiohttp

from bot.common.privacy import mask_phone
from bot.common.settings import Settings
from bot.store import sms as outbox
from bot.store.db import Store

log = logging.getLogger(__name__)

# `sms_outbox.ref` says what a row is; proactive rows are re-checked against opt-outs when sent.
REPLY_REF_PREFIX = "reply:"
PROACTIVE_REF_PREFIX = "proactive:"
# The gateway rejected the message itself (malformed, too long): sending it again cannot succeed.
# Anything else (5xx, 408, 429, auth or routing errors while an operator fixes the configuration,
# connection errors, timeouts) is retried with backoff.
PERMANENT_STATUSES = frozenset({400, 413, 422})
REF_MAX_LENGTH = 128


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Due:
    """A claimed row, detached from its session so the HTTP call holds no transaction open."""

    id: int
    to_phone: str
    text: str
    attempts: int


@dataclass(frozen=True)
class OutboxConfig:
    gateway_url: str
    poll_interval: float = 2.0
    base_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(minutes=10)
    max_attempts: int = 100
    timeout: float = 10.0
    batch_size: int = 20
    lease: timedelta = outbox.DEFAULT_LEASE

    def __post_init__(self) -> None:
        # A send still in flight when its lease ends could be claimed and sent by another worker.
        if self.timeout >= self.lease.total_seconds():
            raise ValueError("the send timeout must be shorter than the outbox lease")

    @classmethod
    def from_settings(cls, settings: Settings) -> "OutboxConfig":
        return cls(
            gateway_url=settings.sms_gateway_url,
            poll_interval=settings.sms_outbox_poll_seconds,
            base_delay=timedelta(seconds=settings.sms_backoff_base_seconds),
            max_delay=timedelta(seconds=settings.sms_backoff_max_seconds),
            max_attempts=settings.sms_max_attempts,
            timeout=settings.sms_send_timeout_seconds,
        )


class OutboxWorker:
    """Claims due outbox rows and POSTs `{"to", "text", "ref"}` to the gateway."""

    def __init__(self, store: Store, config: OutboxConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self._http: Optional[aiohttp.ClientSession] = None
        self._task: Optional["asyncio.Task[None]"] = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._task is not None:
            return
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="sms-outbox")
        log.info("SMS outbox worker started (gateway %s)", self.config.gateway_url)

    async def stop(self) -> None:
        """Finishes the sends in flight, then stops; rows not sent stay pending for the next worker."""
        if self._task is None:
            await self._close_http()
            return
        self._stopping.set()
        self._wake.set()
        try:
            await self._task
        finally:
            self._task = None
            await self._close_http()
        log.info("SMS outbox worker stopped")

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception:  # the database may be briefly unavailable; keep the worker alive
                log.exception("SMS outbox pass failed")
                handled = 0
            if handled >= self.config.batch_size:
                continue  # more may be due right now
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll_interval)
            except asyncio.TimeoutError:
                pass

    async def _close_http(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout))
        return self._http

    # ------------------------------------------------------------ one pass

    async def run_once(self) -> int:
        """Claims and sends what is due now; returns how many rows were claimed."""
        due = await asyncio.to_thread(self._claim, self.clock())
        if due:
            await asyncio.gather(*(self._send(message) for message in due))
        return len(due)

    async def drain(self) -> int:
        """Sends until nothing is due (failed sends are rescheduled into the future, so this ends)."""
        total = 0
        while True:
            handled = await self.run_once()
            total += handled
            if handled == 0:
                return total

    def _claim(self, now: datetime) -> List[Due]:
        with self.store.session() as session, session.begin():
            claimed = outbox.claim_due(session, now, limit=self.config.batch_size, lease=self.config.lease)
            due = []
            for row in claimed:
                if (row.ref or "").startswith(PROACTIVE_REF_PREFIX) and outbox.is_opted_out(session, row.to_phone):
                    # Opted out after the message was queued: an opt-out stops every proactive message.
                    outbox.mark_failed(session, row.id, now, "recipient opted out", max_attempts=0)
                    log.info("SMS %s to %s dropped: opted out", row.id, mask_phone(row.to_phone))
                    continue
                due.append(Due(id=row.id, to_phone=row.to_phone, text=row.text, attempts=row.attempts))
            return due

    async def _send(self, message: Due) -> None:
        body = {"to": message.to_phone, "text": message.text, "ref": str(message.id)}
        try:
            async with self._session().post(self.config.gateway_url, json=body) as response:
                detail = (await response.text())[:200]
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            await self._failed(message, f"{type(exc).__name__}: {exc}", permanent=False)
            return
        if 200 <= status < 300:
            await asyncio.to_thread(self._mark_sent, message.id)
            log.info("SMS %s to %s sent (attempt %d)", message.id, mask_phone(message.to_phone), message.attempts)
        else:
            await self._failed(message, f"HTTP {status}: {detail}", permanent=status in PERMANENT_STATUSES)

    def _mark_sent(self, message_id: int) -> None:
        with self.store.session() as session, session.begin():
            outbox.mark_sent(session, message_id, self.clock())

    async def _failed(self, message: Due, error: str, *, permanent: bool) -> None:
        def mark() -> str:
            with self.store.session() as session, session.begin():
                row = outbox.mark_failed(
                    session,
                    message.id,
                    self.clock(),
                    error,
                    max_attempts=0 if permanent else self.config.max_attempts,
                    base_delay=self.config.base_delay,
                    max_delay=self.config.max_delay,
                )
                return row.status

        status = await asyncio.to_thread(mark)
        level = logging.ERROR if status == "failed" else logging.WARNING
        log.log(
            level,
            "SMS %s to %s not accepted (attempt %d, now %s): %s",
            message.id,
            mask_phone(message.to_phone),
            message.attempts,
            status,
            error,
        )


# ---------------------------------------------------------------- standalone
