"""The supervisor's review queue: conversations worth a look (a fallback, low confidence, a handoff, a
low CSAT rating), each opened with its transcript (every customer turn's intent and confidence), then
tagged, flagged and marked reviewed. Turning a message into a change is bot/services/review_proposals.py.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence

from bot.common.privacy import mask_text
from bot.services.agent_desk import RasaConversations, RasaUnavailable
from bot.store import reviews as review_store
from bot.store.db import Store
from bot.store.reviews import LOW_CSAT, ReviewFilter

__all__ = ["ReviewFilter", "LOW_CSAT", "STATES", "MAX_TAGS", "queue", "conversation", "update", "clean_tags",
           "UnknownConversation"]

STATES = ("all", "unreviewed", "reviewed", "flagged")
MAX_TAGS = 8
TAG_MAX_CHARS = 24
# A tag is a short label (letters of any script, digits, - and _); commas separate tags in the store.
_TAG = re.compile(r"^[\w\-]+$")
# The queue looks back this far unless asked otherwise.
DEFAULT_DAYS = 30


class UnknownConversation(LookupError):
    pass


@dataclass(frozen=True)
class ReviewState:
    tags: List[str]
    flagged: bool
    reviewed_by: Optional[str]
    reviewed_at: Optional[datetime]


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    channel: str
    last_text: str  # masked
    last_at: datetime
    customer_turns: int
    fallbacks: int
    low_confidence_turns: int
    handed_to_human: bool
    csat: Optional[int]
    review: ReviewState


@dataclass(frozen=True)
class Turn:
    who: str  # customer / bot
    text: str  # masked
    at: Optional[datetime]
    intent: Optional[str] = None
    confidence: Optional[float] = None


@dataclass(frozen=True)
class UnansweredView:
    id: int
    kind: str  # nlu_fallback / no_article
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    at: datetime


@dataclass(frozen=True)
class ConversationReviewView:
    item: QueueItem
    transcript: Optional[List[Turn]]  # None: Rasa could not be asked
    unanswered: List[UnansweredView]


def _state(review) -> ReviewState:  # type: ignore[no-untyped-def]
    if review is None:
        return ReviewState([], False, None, None)
    return ReviewState([t for t in review.tags.split(",") if t], review.flagged, review.reviewed_by, review.reviewed_at)


def _item(row, review, score, handed) -> QueueItem:  # type: ignore[no-untyped-def]
    return QueueItem(row.conversation_id, row.channel, row.last_text, row.last_at, row.customer_turns, row.fallbacks,
                     row.low_confidence_turns, handed, score, _state(review))


def review_filter(*, days: int = DEFAULT_DAYS, now: Optional[datetime] = None, **criteria) -> ReviewFilter:  # type: ignore[no-untyped-def]
    if criteria.get("state", "all") not in STATES:
        raise ValueError("state must be one of " + ", ".join(STATES))
    now = now or datetime.now(timezone.utc)
    return ReviewFilter(active_since=now - timedelta(days=days), **criteria)


def queue(store: Store, wanted: ReviewFilter) -> List[QueueItem]:
    with store.session() as session:
        return [_item(*found) for found in review_store.queue(session, wanted)]


def transcript(tracker: Dict) -> List[Turn]:
    """Customer and bot turns from Rasa's tracker JSON (already scrubbed by the tracker store; masked
    again here, as everywhere text leaves the store)."""
    turns: List[Turn] = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        try:
            at = datetime.fromtimestamp(float(event.get("timestamp")), tz=timezone.utc)
        except (TypeError, ValueError, OverflowError):
            at = None
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            confidence = intent.get("confidence")
            turns.append(Turn("customer", mask_text(event.get("text") or ""), at, intent.get("name"),
                              round(float(confidence), 2) if isinstance(confidence, (int, float)) else None))
        elif kind == "bot" and event.get("text"):
            turns.append(Turn("bot", mask_text(event["text"]), at))
    return turns


async def conversation(store: Store, conversation_id: str, rasa: Optional[RasaConversations]) -> ConversationReviewView:
    """The conversation with its review; the transcript comes from Rasa (None when Rasa cannot be
    reached: the review itself still works)."""
    with store.session() as session:
        found = review_store.conversation(session, conversation_id)
        if found is None:
            raise UnknownConversation(conversation_id)
        item = _item(*found)
        unanswered = [UnansweredView(m.id, m.kind, m.text, m.intent, m.confidence, m.at)
                      for m in review_store.unanswered_in(session, conversation_id)]
    turns = None
    if rasa is not None:
        try:
            turns = transcript(await rasa.tracker(conversation_id))
        except (RasaUnavailable, asyncio.TimeoutError):
            turns = None
    return ConversationReviewView(item, turns, unanswered)


def clean_tags(tags: Sequence[object]) -> List[str]:
    """Free tags, a short list: trimmed, deduplicated, each a short label."""
    cleaned: List[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ValueError("tags must be text")
        tag = tag.strip()
        if not tag or len(tag) > TAG_MAX_CHARS or not _TAG.match(tag):
            raise ValueError(f"a tag is 1 to {TAG_MAX_CHARS} letters, digits, - or _")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return cleaned


def update(store: Store, actor: str, conversation_id: str, *, tags: Optional[Sequence[object]] = None,
           flagged: Optional[bool] = None, reviewed: Optional[bool] = None,
           now: Optional[datetime] = None) -> ReviewState:
    now = now or datetime.now(timezone.utc)
    cleaned = clean_tags(tags) if tags is not None else None
    with store.session() as session, session.begin():
        if review_store.conversation(session, conversation_id) is None:
            raise UnknownConversation(conversation_id)
        review = review_store.save(session, conversation_id, actor, now, tags=cleaned, flagged=flagged,
                                   reviewed=reviewed)
        session.flush()
        return _state(review)
