"""Declarative models. The schema itself is created only by the Alembic migrations in `migrations/`.

Status-like columns are short strings with CHECK constraints (readable in SQL, portable, and
extendable by a migration) and a `str` enum on the Python side.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import List, Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship

from bot.store.coltypes import DecimalText, UTCDateTime

# Deterministic constraint names: migrations (and SQLite batch operations) refer to them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class Tier(str, Enum):
    NORMAL = "normal"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"


class TicketStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"


class HandoffStatus(str, Enum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    DONE = "done"
    CANCELLED = "cancelled"


class RetentionOutcome(str, Enum):
    RETAINED = "retained"
    LEFT = "left"
    UNDECIDED = "undecided"


class FollowUpStatus(str, Enum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class AgentRole(str, Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class SmsStatus(str, Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _one_of(column: str, values: type[Enum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = Column(String(16), primary_key=True)  # C0001 …
    name: Mapped[str] = Column(String(64), nullable=False)
    tier: Mapped[str] = Column(String(16), nullable=False, default=Tier.NORMAL.value)
    # Raw, normalised to 11 digits: SMS identity is a lookup by sender number, and call-backs need it.
    phone: Mapped[Optional[str]] = Column(String(20), nullable=True, unique=True)
    # A negotiated rate; None means the kb's current fee schedule applies (as in kb/customers.yml).
    commission_rate: Mapped[Optional[Decimal]] = Column(DecimalText, nullable=True)
    commission_minimum: Mapped[Optional[Decimal]] = Column(DecimalText, nullable=True)
    account_manager: Mapped[Optional[str]] = Column(String(64), nullable=True)

    __table_args__ = (_one_of("tier", Tier, "tier"),)


class TicketSource(str, Enum):
    BOT = "bot"  # filed by the customer through the assistant
    HOTLINE_12386 = "12386"  # forwarded by the regulator's 12386 hotline, registered by staff


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = Column(String(20), primary_key=True)  # CP-YYYYMMDD-NNNN
    category: Mapped[str] = Column(String(32), nullable=False)
    severity: Mapped[str] = Column(String(16), nullable=False)
    priority: Mapped[str] = Column(String(16), nullable=False)
    sla_due_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    channel: Mapped[str] = Column(String(16), nullable=False)
    customer_id: Mapped[Optional[str]] = Column(String(16), ForeignKey("customers.id"), nullable=True, index=True)
    # The only unmasked personal datum, kept solely so an agent can call back an anonymous customer.
    contact_phone_raw: Mapped[Optional[str]] = Column(String(20), nullable=True)
    contact_masked: Mapped[Optional[str]] = Column(String(32), nullable=True)
    description_masked: Mapped[str] = Column(Text, nullable=False)
    transcript_masked: Mapped[str] = Column(Text, nullable=False, default="")
    assignee: Mapped[Optional[str]] = Column(String(64), nullable=True)
    status: Mapped[str] = Column(String(16), nullable=False, default=TicketStatus.OPEN.value, index=True)
    conversation_id: Mapped[str] = Column(String(128), nullable=False, index=True)  # Rasa sender id
    # A re-submitted confirmation (double click, channel retry) must find the first ticket.
    idempotency_key: Mapped[str] = Column(String(128), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    # What the SLA clocks read (bot.services.ticket_sla): sla_due_at is the first-response deadline.
    source: Mapped[str] = Column(String(8), nullable=False, default=TicketSource.BOT.value,
                                 server_default=TicketSource.BOT.value)
    first_response_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    last_update_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    resolved_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    events: Mapped[List["TicketEvent"]] = relationship(
        "TicketEvent", back_populates="ticket", order_by="(TicketEvent.at, TicketEvent.id)"
    )

    __table_args__ = (_one_of("status", TicketStatus, "status"), _one_of("source", TicketSource, "source"))


class TicketEvent(Base):
    """Append-only history of a ticket (creation, status changes, assignment, notes)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = Column(String(20), ForeignKey("tickets.id"), nullable=False, index=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    actor: Mapped[str] = Column(String(64), nullable=False)
    kind: Mapped[str] = Column(String(32), nullable=False)
    from_status: Mapped[Optional[str]] = Column(String(16), nullable=True)
    to_status: Mapped[Optional[str]] = Column(String(16), nullable=True)
    detail: Mapped[Optional[str]] = Column(Text, nullable=True)

    ticket: Mapped[Ticket] = relationship(Ticket, back_populates="events")


class HistoryIsAppendOnly(RuntimeError):
    """Raised when code tries to rewrite or delete a ticket's history."""


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _refuse_history_rewrite(mapper, connection, target) -> None:  # type: ignore[no-untyped-def]
    raise HistoryIsAppendOnly(f"ticket history is append-only (event {target.id} of {target.ticket_id})")


class DailySequence(Base):
    """Last number handed out per id prefix (CP, RT) and Beijing day."""

    __tablename__ = "daily_sequences"

    prefix: Mapped[str] = Column(String(8), primary_key=True)
    day: Mapped[date] = Column(Date, primary_key=True)
    last_value: Mapped[int] = Column(Integer, nullable=False)


class Handoff(Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = Column(String(128), nullable=False, index=True)
    customer_id: Mapped[Optional[str]] = Column(String(16), ForeignKey("customers.id"), nullable=True)
    tier: Mapped[str] = Column(String(16), nullable=False)
    priority: Mapped[int] = Column(Integer, nullable=False)  # the tier's handoff_priority (kb): higher first
    reason: Mapped[str] = Column(String(255), nullable=False, default="")
    status: Mapped[str] = Column(String(16), nullable=False, default=HandoffStatus.WAITING.value)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    assigned_to: Mapped[Optional[str]] = Column(String(64), nullable=True)
    assigned_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    closed_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        _one_of("status", HandoffStatus, "status"),
        _one_of("tier", Tier, "tier"),
        Index("ix_handoffs_queue", "status", "priority", "created_at"),
        # One active handoff per conversation, whichever server inserts it (migration 0003).
        Index("uq_handoffs_active_conversation", "conversation_id", unique=True,
              postgresql_where=text("status IN ('waiting', 'assigned')"),
              sqlite_where=text("status IN ('waiting', 'assigned')")),
    )


class RetentionCase(Base):
    __tablename__ = "retention_cases"

    id: Mapped[str] = Column(String(20), primary_key=True)  # RT-YYYYMMDD-NNNN
    conversation_id: Mapped[str] = Column(String(128), nullable=False, index=True)
    customer_id: Mapped[Optional[str]] = Column(String(16), ForeignKey("customers.id"), nullable=True, index=True)
    contact_masked: Mapped[Optional[str]] = Column(String(32), nullable=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    request_type: Mapped[str] = Column(String(32), nullable=False)  # transfer_custody, close_account, …
    reason_class: Mapped[Optional[str]] = Column(String(32), nullable=True)
    reason_text_masked: Mapped[Optional[str]] = Column(Text, nullable=True)
    offer: Mapped[Optional[str]] = Column(String(255), nullable=True)
    outcome: Mapped[str] = Column(String(16), nullable=False, default=RetentionOutcome.UNDECIDED.value)
    rate_review_requested: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    closed_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        _one_of("outcome", RetentionOutcome, "outcome"),
        # One open case per retention conversation, even if two action-server workers race.
        Index(
            "uq_retention_cases_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )


class FollowUpTask(Base):
    """Work for an account manager, e.g. calling back a customer who left."""

    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[Optional[str]] = Column(String(16), ForeignKey("customers.id"), nullable=True, index=True)
    contact_masked: Mapped[Optional[str]] = Column(String(32), nullable=True)
    assignee: Mapped[Optional[str]] = Column(String(64), nullable=True)  # the customer's account manager
    kind: Mapped[str] = Column(String(32), nullable=False)
    due_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    case_id: Mapped[Optional[str]] = Column(String(20), nullable=True, index=True)  # RT-… or CP-…
    status: Mapped[str] = Column(String(16), nullable=False, default=FollowUpStatus.OPEN.value)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    done_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    __table_args__ = (_one_of("status", FollowUpStatus, "status"),)


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = Column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = Column(String(64), nullable=False)
    role: Mapped[str] = Column(String(16), nullable=False, default=AgentRole.AGENT.value)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)

    __table_args__ = (_one_of("role", AgentRole, "role"),)


class InboundStatus(str, Enum):
    PENDING = "pending"  # admitted, its reply not yet in the outbox
    DONE = "done"


class SmsInbound(Base):
    """Every gateway message id seen (gateways redeliver on timeouts), and the messages whose turn
    has not yet queued its reply: a server that dies mid-turn leaves them `pending` for another."""

    __tablename__ = "sms_inbound"

    msg_id: Mapped[str] = Column(String(128), primary_key=True)
    phone: Mapped[str] = Column(String(20), nullable=False)
    received_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    # Rows from before migration 0006 were all handled (or lost): they are `done`.
    status: Mapped[str] = Column(String(16), nullable=False, server_default=InboundStatus.DONE.value)
    text: Mapped[Optional[str]] = Column(Text, nullable=True)  # kept only while pending, to run the turn again
    attempts: Mapped[int] = Column(Integer, nullable=False, server_default="0")  # turns started
    lease_until: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)  # a server is on it until then

    __table_args__ = (
        _one_of("status", InboundStatus, "status"),
        # The SMS channel's per-number rate limit counts a number's messages within a recent window.
        Index("ix_sms_inbound_phone_received_at", "phone", "received_at"),
        Index("ix_sms_inbound_status_lease_until", "status", "lease_until"),
    )


class SmsOutbox(Base):
    __tablename__ = "sms_outbox"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    to_phone: Mapped[str] = Column(String(20), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    ref: Mapped[Optional[str]] = Column(String(128), nullable=True)  # conversation or ticket id
    status: Mapped[str] = Column(String(16), nullable=False, default=SmsStatus.PENDING.value)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    last_error: Mapped[Optional[str]] = Column(Text, nullable=True)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        _one_of("status", SmsStatus, "status"),
        Index("ix_sms_outbox_due", "status", "next_attempt_at"),
    )


class SmsOptOut(Base):
    """Numbers that replied TD/退订: carriers require honouring it for non-transactional SMS."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = Column(String(20), primary_key=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class SmsMenu(Base):
    """The numbered options ("回复1…") last sent to a number, so a bare "1" reads as an answer.

    One row per number, replaced by every reply (and removed by a reply without options); kept in
    the database so a menu survives a restart and works when the answer reaches another Rasa server.
    """

    __tablename__ = "sms_menus"

    phone: Mapped[str] = Column(String(20), primary_key=True)  # normalised, as in sms_inbound / sms_opt_outs
    options: Mapped[str] = Column(Text, nullable=False)  # JSON list of {"title", "payload"}
    sent_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class SmsSender(Base):
    """The one place an SMS conversation's number is kept: conversations are keyed by a pseudonym.

    Rasa's conversation id (and so its tracker store, logs and HTTP API) carries `sms:<pseudonym>`;
    a message Rasa sends on its own (a reminder) finds the number to send to here.
    """

    __tablename__ = "sms_senders"

    pseudonym: Mapped[str] = Column(String(32), primary_key=True)
    phone: Mapped[str] = Column(String(20), nullable=False, unique=True)
    first_seen: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class StaffSession(Base):
    """A panel login: the cookie holds a random token, the table only its SHA-256 (a leaked table
    opens no session). `csrf` is what every state-changing request must echo in a header."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = Column(String(64), primary_key=True)
    login: Mapped[str] = Column(String(64), ForeignKey("agents.login"), nullable=False, index=True)
    csrf: Mapped[str] = Column(String(64), nullable=False)
    created_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    ended_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    """What a staff member did (append-only): logins, take-overs, ticket changes, overrides, reveals."""

    __tablename__ = "audit_log"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    actor: Mapped[str] = Column(String(64), nullable=False, index=True)
    action: Mapped[str] = Column(String(48), nullable=False)
    target: Mapped[Optional[str]] = Column(String(128), nullable=True)
    detail: Mapped[Optional[str]] = Column(Text, nullable=True)  # masked


class InboxConversation(Base):
    """One row per conversation, kept current from Rasa's event broker (bot/services/inbox.py).

    The panel's inbox and the supervisor's figures read this projection, never Rasa's own tables.
    Texts are masked before they arrive (the tracker store scrubs what it streams) and again here.
    """

    __tablename__ = "inbox_conversations"

    conversation_id: Mapped[str] = Column(String(128), primary_key=True)
    channel: Mapped[str] = Column(String(16), nullable=False)
    customer_id: Mapped[Optional[str]] = Column(String(16), nullable=True, index=True)
    started_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)
    last_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    last_customer_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    last_text: Mapped[str] = Column(String(200), nullable=False, default="")
    last_intent: Mapped[Optional[str]] = Column(String(64), nullable=True)
    last_confidence: Mapped[Optional[float]] = Column(Float, nullable=True)
    customer_turns: Mapped[int] = Column(Integer, nullable=False, default=0)
    fallbacks: Mapped[int] = Column(Integer, nullable=False, default=0)
    low_confidence_turns: Mapped[int] = Column(Integer, nullable=False, default=0)
    # Rasa's pause/resume: a human holds the conversation.
    paused: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    ended_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    csat_asked_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_inbox_conversations_channel_last_at", "channel", "last_at"),)


class IntentCount(Base):
    """Customer messages per day and recognised intent (the supervisor's top intents)."""

    __tablename__ = "intent_counts"

    day: Mapped[date] = Column(Date, primary_key=True)
    intent: Mapped[str] = Column(String(64), primary_key=True)
    count: Mapped[int] = Column(Integer, nullable=False, default=0)


class FeedCursor(Base):
    """How far the inbox has read an event source that is read by position (Rasa's SQL broker)."""

    __tablename__ = "feed_cursors"

    source: Mapped[str] = Column(String(255), primary_key=True)
    position: Mapped[int] = Column(Integer, nullable=False)


class CsatRating(Base):
    """The customer's 1–5 rating, asked when the conversation ends; one per conversation."""

    __tablename__ = "csat_ratings"

    conversation_id: Mapped[str] = Column(String(128), primary_key=True)
    score: Mapped[int] = Column(Integer, nullable=False)
    channel: Mapped[str] = Column(String(16), nullable=False)
    rated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)


class AssistEvent(str, Enum):
    DISPLAYED = "displayed"  # the assist card showed the suggestion
    USED = "used"  # the agent inserted it into the reply box
    EDITED = "edited"  # the reply the agent sent differed from it


class AssistFeedback(Base):
    """What became of each reply suggestion of the agent desk's assist card (bot/services/assist.py).

    `assist_id` names one showing of the card; a suggestion's events are recorded once per showing.
    No text is kept: the suggestion is known by its id (`article:<id>` / `canned:<id>`), and what the
    agent actually sent may hold the customer's personal data.
    """

    __tablename__ = "assist_feedback"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    assist_id: Mapped[str] = Column(String(32), nullable=False)
    suggestion_id: Mapped[str] = Column(String(80), nullable=False)
    event: Mapped[str] = Column(String(16), nullable=False)
    agent: Mapped[str] = Column(String(64), ForeignKey("agents.login"), nullable=False)
    conversation_id: Mapped[Optional[str]] = Column(String(128), nullable=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)

    __table_args__ = (
        _one_of("event", AssistEvent, "event"),
        Index("uq_assist_feedback_assist_id_suggestion_id_event", "assist_id", "suggestion_id", "event", unique=True),
        Index("ix_assist_feedback_suggestion_id_event", "suggestion_id", "event"),
    )


class UnansweredKind(str, Enum):
    NLU_FALLBACK = "nlu_fallback"  # the NLU did not understand the message
    NO_ARTICLE = "no_article"  # understood as a knowledge question, but no kb article could answer


class ConversationReview(Base):
    """A supervisor's review of one conversation (bot/services/review.py): tags, a flag, reviewed by whom."""

    __tablename__ = "conversation_reviews"

    conversation_id: Mapped[str] = Column(String(128), primary_key=True)
    tags: Mapped[str] = Column(String(400), nullable=False, default="")  # comma-separated, each short
    flagged: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    reviewed_by: Mapped[Optional[str]] = Column(String(64), ForeignKey("agents.login"), nullable=True)
    reviewed_at: Mapped[Optional[datetime]] = Column(UTCDateTime, nullable=True)
    updated_by: Mapped[str] = Column(String(64), ForeignKey("agents.login"), nullable=False)
    updated_at: Mapped[datetime] = Column(UTCDateTime, nullable=False)


class UnansweredMessage(Base):
    """A customer message the bot could not answer, recorded by the inbox projection: the raw material
    of the knowledge gaps (bot/services/knowledge_gaps.py). Text masked."""

    __tablename__ = "unanswered_messages"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = Column(String(128), nullable=False, index=True)
    at: Mapped[datetime] = Column(UTCDateTime, nullable=False, index=True)
    kind: Mapped[str] = Column(String(16), nullable=False)
    text: Mapped[str] = Column(String(200), nullable=False)
    intent: Mapped[Optional[str]] = Column(String(64), nullable=True)
    confidence: Mapped[Optional[float]] = Column(Float, nullable=True)

    __table_args__ = (_one_of("kind", UnansweredKind, "kind"),)
