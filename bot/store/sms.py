"""SMS persistence: inbound messages (de-duplication, and their turns kept until answered), the
outbox with retries, opt-outs, and the numbers behind the conversations' pseudonyms.

Gateways redeliver a message when our webhook answers late, so each gateway msg_id is answered
once. The webhook acknowledges before the turn runs, so a message with a turn to run stays `pending`
(with its text, and a lease held by the server running it) until `finish_inbound` commits with its
reply; a pending message whose lease ran out is claimed again (`claim_redelivered`,
`claim_stale_inbound`). Outgoing messages go through the outbox: a sender claims due rows (a lease
protects a row while it is in flight), then marks them sent or failed; failures are retried with
exponential backoff until `max_attempts`, then stay `failed` for an operator.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.common.privacy import mask_text
from bot.store.models import InboundStatus, SmsInbound, SmsOptOut, SmsOutbox, SmsSender, SmsStatus
from bot.common.phones import normalize_phone

DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_BASE_DELAY = timedelta(seconds=30)
DEFAULT_MAX_DELAY = timedelta(hours=1)
DEFAULT_MAX_ATTEMPTS = 6
# How long an inbound turn is a server's before another may take it over (renewed while it runs).
DEFAULT_TURN_LEASE = timedelta(seconds=30)


class OutboxMessageNotFound(LookupError):
    pass


def _phone(phone: str) -> str:
    normalized = normalize_phone(phone)
    if normalized is None:
        raise ValueError(f"not a phone number: {phone!r}")
    return normalized


def _insert_ignoring_duplicates(session: Session, table, values: dict) -> bool:  # type: ignore[no-untyped-def]
    """INSERT … ON CONFLICT DO NOTHING; True if a row was inserted. Atomic under concurrency."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        stmt = insert(table).values(**values)
    return session.execute(stmt).rowcount == 1


def record_inbound(
    session: Session, msg_id: str, phone: str, now: datetime, *, text: Optional[str] = None,
    lease: timedelta = DEFAULT_TURN_LEASE,
) -> bool:
    """True the first time this gateway message id is seen, False for a redelivery.

    With `text` the message has a turn to run: it is `pending`, leased to the caller for `lease`,
    until `finish_inbound`. Without, there is nothing more to do with it: `done`.
    """
    values = {"msg_id": msg_id, "phone": _phone(phone), "received_at": now}
    if text is None:
        values.update(status=InboundStatus.DONE.value, attempts=0)
    else:
        values.update(status=InboundStatus.PENDING.value, text=text, attempts=1, lease_until=now + lease)
    return _insert_ignoring_duplicates(session, SmsInbound.__table__, values)


def _claim_inbound(session: Session, msg_id: str, now: datetime, lease: timedelta) -> Optional[SmsInbound]:
    """Takes over a pending message whose lease has run out; None if it is done or still leased.
    One conditional UPDATE, so of several servers (or redeliveries) at most one gets it."""
    claimed = session.execute(
        update(SmsInbound)
        .where(SmsInbound.msg_id == msg_id, SmsInbound.status == InboundStatus.PENDING.value,
               or_(SmsInbound.lease_until.is_(None), SmsInbound.lease_until <= now))
        .values(attempts=SmsInbound.attempts + 1, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:
        return None
    row = session.get(SmsInbound, msg_id, populate_existing=True)
    assert row is not None
    return row


def claim_redelivered(session: Session, msg_id: str, now: datetime, lease: timedelta = DEFAULT_TURN_LEASE) -> Optional[SmsInbound]:
    """A redelivered message id: the row to run again if its turn never finished and nobody holds it."""
    return _claim_inbound(session, msg_id, now, lease)


def claim_stale_inbound(
    session: Session, now: datetime, *, limit: int = 20, lease: timedelta = DEFAULT_TURN_LEASE
) -> List[SmsInbound]:
    """Pending messages whose server stopped renewing their lease, oldest first, each claimed for
    `lease` and counted as one more attempt."""
    candidates = session.execute(
        select(SmsInbound.msg_id)
        .where(SmsInbound.status == InboundStatus.PENDING.value,
               or_(SmsInbound.lease_until.is_(None), SmsInbound.lease_until <= now))
        .order_by(SmsInbound.received_at, SmsInbound.msg_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()
    claimed = (_claim_inbound(session, msg_id, now, lease) for msg_id in candidates)
    return [row for row in claimed if row is not None]


def renew_inbound_leases(session: Session, msg_ids: List[str], until: datetime) -> int:
    """The server running these turns is alive: keeps other servers off them until `until`."""
    if not msg_ids:
        return 0
    return session.execute(
        update(SmsInbound)
        .where(SmsInbound.msg_id.in_(msg_ids), SmsInbound.status == InboundStatus.PENDING.value)
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    ).rowcount


def finish_inbound(session: Session, msg_id: str) -> bool:
    """Marks a message answered (its text is no longer needed); True only for the call that did it,
    so a turn that ran twice (a server too slow to renew its lease) queues one reply."""
    return session.execute(
        update(SmsInbound)
        .where(SmsInbound.msg_id == msg_id, SmsInbound.status == InboundStatus.PENDING.value)
        .values(status=InboundStatus.DONE.value, text=None, lease_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def enqueue(session: Session, to_phone: str, text: str, now: datetime, *, ref: Optional[str] = None) -> SmsOutbox:
    """Queues a message for sending now. Opt-outs are the caller's decision (see `is_opted_out`):
    replies to a customer's own question are transactional and still go out."""
    message = SmsOutbox(
        to_phone=_phone(to_phone),
        text=text,
        ref=ref,
        status=SmsStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def claim_due(session: Session, now: datetime, *, limit: int = 20, lease: timedelta = DEFAULT_LEASE) -> List[SmsOutbox]:
    """Due pending messages, oldest first, each counted as one attempt and leased for `lease`.

    If the sender dies before marking a message, the lease expires and it is sent again, so
    delivery is at-least-once. SKIP LOCKED lets several senders work without taking the same rows.
    """
    stmt = (
        select(SmsOutbox)
        .where(SmsOutbox.status == SmsStatus.PENDING.value, SmsOutbox.next_attempt_at <= now)
        .order_by(SmsOutbox.next_attempt_at, SmsOutbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(session.execute(stmt).scalars())
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = now + lease
    return messages


def _message(session: Session, message_id: int) -> SmsOutbox:
    message = session.get(SmsOutbox, message_id, with_for_update=True)
    if message is None:
        raise OutboxMessageNotFound(message_id)
    return message


def mark_sent(session: Session, message_id: int, now: datetime) -> SmsOutbox:
    message = _message(session, message_id)
    message.status = SmsStatus.SENT.value
    message.sent_at = now
    message.last_error = None
    return message


def backoff(attempts: int, base: timedelta = DEFAULT_BASE_DELAY, cap: timedelta = DEFAULT_MAX_DELAY) -> timedelta:
    """Delay after the `attempts`-th failure: base, 2×base, 4×base … capped."""
    return min(base * (2 ** max(attempts - 1, 0)), cap)


def mark_failed(
    session: Session,
    message_id: int,
    now: datetime,
    error: str,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    base_delay: timedelta = DEFAULT_BASE_DELAY,
    max_delay: timedelta = DEFAULT_MAX_DELAY,
) -> SmsOutbox:
    """Schedules a retry with exponential backoff, or gives up after `max_attempts`."""
    message = _message(session, message_id)
    message.last_error = mask_text(error)[:2000]
    if message.attempts >= max_attempts:
        message.status = SmsStatus.FAILED.value
    else:
        message.status = SmsStatus.PENDING.value
        message.next_attempt_at = now + backoff(message.attempts, base_delay, max_delay)
    return message


def record_opt_out(session: Session, phone: str, now: datetime) -> bool:
    """Records that `phone` replied TD/退订; True if it was not opted out before."""
    return _insert_ignoring_duplicates(session, SmsOptOut.__table__, {"phone": _phone(phone), "at": now})


def is_opted_out(session: Session, phone: str) -> bool:
    normalized = normalize_phone(phone)
    return normalized is not None and session.get(SmsOptOut, normalized) is not None


def clear_opt_out(session: Session, phone: str) -> bool:
    """The customer subscribed again; True if an opt-out was removed."""
    normalized = normalize_phone(phone)
    if normalized is None:
        return False
    return session.execute(delete(SmsOptOut).where(SmsOptOut.phone == normalized)).rowcount == 1


def remember_sender(session: Session, pseudonym: str, phone: str, now: datetime) -> None:
    """Keeps the number behind an SMS conversation's pseudonym (first message from it only)."""
    _insert_ignoring_duplicates(session, SmsSender.__table__,
                                {"pseudonym": pseudonym, "phone": _phone(phone), "first_seen": now})


def sender_phone(session: Session, pseudonym: str) -> Optional[str]:
    """The number an SMS conversation's pseudonym stands for, if it ever wrote to us."""
    return session.execute(select(SmsSender.phone).where(SmsSender.pseudonym == pseudonym)).scalar_one_or_none()
