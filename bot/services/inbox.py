"""The agents' inbox: every conversation on every channel, projected from Rasa's event stream.

Rasa's tracker store streams each saved event to the event broker (already scrubbed, with the
verified customer id added: bot/tracking/stores.py). `project` folds a batch of those events into
one row per conversation; the panel lists rows with `view`. The projection, not Rasa's tables, is
what the panel reads, so it answers fast whatever the size of the conversation history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from bot.common.clock import business_day
from bot.store import inbox as inbox_store
from bot.store.db import Store
from bot.store.inbox import ConversationUpdate, InboxFilter, UnansweredTurn

__all__ = ["InboxFilter", "InboxRow", "project", "updates_from", "view", "STATUSES", "CHANNELS",
           "LOW_CONFIDENCE", "FALLBACK_INTENT", "CSAT_PAYLOAD_KEY"]

# The band above the FallbackClassifier's threshold (config.yml) where the bot answered but was
# unsure: such turns are worth a supervisor's look.
LOW_CONFIDENCE = 0.6
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTION = "action_default_fallback"
ENDING_ACTION = "action_goodbye"
# The goodbye on the web chat carries this custom payload: the chat shows the 1–5 rating.
CSAT_PAYLOAD_KEY = "csat"
# action_answer_faq (actions/knowledge.py) clears this slot when it does not answer: either the kb has
# no article that fits (a knowledge gap) or the message asked for advice (refused, not a gap).
ARTICLE_SLOT = "kb_article"
ADVICE_REFUSAL = "utter_refuse_advice"
CHANNELS = {"socketio": "web", "rest": "rest", "sms": "sms"}
STATUSES = ("bot", "waiting", "with_agent", "ended")


def _channel(input_channel: Optional[str], conversation_id: str) -> Optional[str]:
    if input_channel:
        return CHANNELS.get(input_channel, "other")
    if conversation_id.startswith("sms:"):
        return "sms"
    return None


def _at(event: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return datetime.fromtimestamp(0, tz=timezone.utc)


def _refused_advice(event: Optional[Mapping[str, Any]]) -> bool:
    return bool(event) and event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == ADVICE_REFUSAL


def _apply_event(update: ConversationUpdate, event: Mapping[str, Any], at: datetime,
                 previous: Optional[Mapping[str, Any]] = None) -> None:
    kind = event.get("event")
    if kind == "user":
        intent = ((event.get("parse_data") or {}).get("intent") or {})
        # A knowledge question is the retrieval intent `faq`; the article it asked for is the point.
        name = next((n for n in (intent.get("full_retrieval_intent_name"), intent.get("name")) if isinstance(n, str)),
                    None)
        confidence = intent.get("confidence")
        confidence = float(confidence) if isinstance(confidence, (int, float)) else None
        update.channel = _channel(event.get("input_channel"), update.conversation_id) or update.channel
        if isinstance(event.get("customer_id"), str):
            update.customer_id = event["customer_id"]
        update.last_customer_at = at
        update.last_text = event.get("text") if isinstance(event.get("text"), str) else ""
        update.last_intent = name[:64] if name else None
        update.last_confidence = confidence
        update.customer_turns += 1
        update.reopened = True
        update.ended_at = None
        if name == FALLBACK_INTENT:
            update.fallbacks += 1
            update.unanswered.append(UnansweredTurn("nlu_fallback", at, update.last_text, name, confidence))
        elif confidence is not None and confidence < LOW_CONFIDENCE:
            update.low_confidence_turns += 1
        if name:
            key = (business_day(at), name[:64])
            update.intents[key] = update.intents.get(key, 0) + 1
    elif kind == "action" and event.get("name") == FALLBACK_ACTION:
        # The policies' fallback (nothing fitted the dialogue), not the NLU's: counted as well.
        if update.last_intent != FALLBACK_INTENT:
            update.fallbacks += 1
    elif kind == "action" and event.get("name") == ENDING_ACTION:
        update.ended_at = at
    elif kind == "bot":
        data = event.get("data") or {}
        custom = data.get("custom") if isinstance(data, dict) else None
        if isinstance(custom, dict) and isinstance(custom.get("data"), dict):
            custom = custom["data"]  # the socket.io form of a custom payload (actions/handoff.py)
        if isinstance(custom, dict) and CSAT_PAYLOAD_KEY in custom:
            update.csat_asked_at = at
    elif kind == "slot" and event.get("name") == ARTICLE_SLOT and event.get("value") is None:
        # The slot follows the action's reply: a refusal just before it means no gap.
        if not _refused_advice(previous):
            in_batch = update.last_customer_at is not None
            update.unanswered.append(UnansweredTurn(
                "no_article", update.last_customer_at if in_batch else at, update.last_text if in_batch else None,
                update.last_intent, update.last_confidence))
    elif kind == "pause":
        update.paused = True
    elif kind == "resume":
        update.paused = False


def updates_from(events: Iterable[Mapping[str, Any]]) -> List[ConversationUpdate]:
    """One update per conversation in the batch, events applied in order."""
    updates: Dict[str, ConversationUpdate] = {}
    previous: Dict[str, Mapping[str, Any]] = {}
    for event in events:
        conversation_id = event.get("sender_id")
        if not isinstance(conversation_id, str) or not conversation_id or len(conversation_id) > 128:
            continue
        at = _at(event)
        update = updates.get(conversation_id)
        if update is None:
            update = updates[conversation_id] = ConversationUpdate(
                conversation_id, first_at=at, last_at=at, channel=_channel(None, conversation_id))
        update.first_at = min(update.first_at, at)
        update.last_at = max(update.last_at, at)
        _apply_event(update, event, at, previous.get(conversation_id))
        previous[conversation_id] = event
    return list(updates.values())


def project(store: Store, events: Sequence[Mapping[str, Any]], *, cursor: Optional[tuple] = None) -> int:
    """Folds the events into the inbox in one transaction; with `cursor` = (source, position), the
    source's read position moves in the same transaction, so a batch counts exactly once."""
    updates = updates_from(events)
    with store.session() as session, session.begin():
        inbox_store.apply(session, updates)
        if cursor is not None:
            inbox_store.move_cursor(session, *cursor)
    return len(updates)


def read_position(store: Store, source: str) -> int:
    with store.session() as session:
        return inbox_store.cursor(session, source)


@dataclass(frozen=True)
class InboxRow:
    conversation_id: str
    channel: str
    customer_id: Optional[str]
    tier: Optional[str]
    status: str  # bot / waiting / with_agent / ended
    holder: Optional[str]  # the agent holding it
    last_text: str  # masked
    last_intent: Optional[str]
    last_confidence: Optional[float]
    last_at: datetime
    waiting_seconds: Optional[int]  # since the customer's last message, when a human is awaited
    customer_turns: int
    fallbacks: int
    low_confidence_turns: int


def _status(row, handoff) -> str:  # type: ignore[no-untyped-def]
    if handoff is not None:
        return "waiting" if handoff.status == "waiting" else "with_agent"
    if row.paused:
        return "with_agent"
    return "ended" if row.ended_at is not None else "bot"


def view(store: Store, wanted: InboxFilter, now: Optional[datetime] = None) -> List[InboxRow]:
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        found = inbox_store.search(session, wanted)
    rows = []
    for row, handoff, tier in found:
        status = _status(row, handoff)
        waiting = None
        if status == "waiting":
            waiting = int((now - handoff.created_at).total_seconds())
        elif row.last_customer_at is not None and status != "ended":
            waiting = int((now - row.last_customer_at).total_seconds())
        rows.append(InboxRow(
            row.conversation_id, row.channel, row.customer_id, tier or (handoff.tier if handoff else None), status,
            handoff.assigned_to if handoff else None, row.last_text, row.last_intent,
            round(row.last_confidence, 2) if row.last_confidence is not None else None, row.last_at,
            waiting, row.customer_turns, row.fallbacks, row.low_confidence_turns))
    return rows


def version(store: Store) -> tuple:
    with store.session() as session:
        return inbox_store.version(session)


def recent_filter(**kwargs: Any) -> InboxFilter:
    """Default inbox: conversations active in the last day."""
    kwargs.setdefault("active_since", datetime.now(timezone.utc) - timedelta(days=1))
    return InboxFilter(**kwargs)
