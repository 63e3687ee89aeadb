"""The supervisor's review loop: one review per conversation (tags, flag, reviewed by whom) and the
review queue over the inbox projection; the unanswered messages the inbox projection recorded.

Read and written only through bot.services.review and bot.services.knowledge_gaps.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.store.models import ConversationReview, CsatRating, Handoff, InboxConversation, UnansweredMessage

# A rating at or below this is a dissatisfied customer (1–5 scale).
LOW_CSAT = 2


@dataclass(frozen=True)
class ReviewFilter:
    """Each criterion narrows the queue; `state`: all / unreviewed / reviewed / flagged."""

    fallback: bool = False
    low_confidence: bool = False
    handoff: bool = False
    low_csat: bool = False
    state: str = "all"
    active_since: Optional[datetime] = None
    limit: int = 100


QueueRow = Tuple[InboxConversation, Optional[ConversationReview], Optional[int], bool]


def queue(session: Session, wanted: ReviewFilter) -> List[QueueRow]:
    """(conversation, its review, its CSAT score, whether it was ever handed to a human), newest first."""
    handed = exists().where(Handoff.conversation_id == InboxConversation.conversation_id)
    stmt = (select(InboxConversation, ConversationReview, CsatRating.score, handed.label("handed"))
            .outerjoin(ConversationReview, ConversationReview.conversation_id == InboxConversation.conversation_id)
            .outerjoin(CsatRating, CsatRating.conversation_id == InboxConversation.conversation_id))
    if wanted.fallback:
        stmt = stmt.where(InboxConversation.fallbacks > 0)
    if wanted.low_confidence:
        stmt = stmt.where(InboxConversation.low_confidence_turns > 0)
    if wanted.handoff:
        stmt = stmt.where(handed)
    if wanted.low_csat:
        stmt = stmt.where(CsatRating.score <= LOW_CSAT)
    if wanted.state == "unreviewed":
        stmt = stmt.where(ConversationReview.reviewed_at.is_(None))
    elif wanted.state == "reviewed":
        stmt = stmt.where(ConversationReview.reviewed_at.is_not(None))
    elif wanted.state == "flagged":
        stmt = stmt.where(ConversationReview.flagged.is_(True))
    if wanted.active_since is not None:
        stmt = stmt.where(InboxConversation.last_at >= wanted.active_since)
    stmt = stmt.order_by(InboxConversation.last_at.desc(), InboxConversation.conversation_id).limit(wanted.limit)
    return [(row, review, score, bool(was_handed)) for row, review, score, was_handed in session.execute(stmt).all()]


def conversation(session: Session, conversation_id: str) -> Optional[QueueRow]:
    handed = session.execute(select(exists().where(Handoff.conversation_id == conversation_id))).scalar_one()
    row = session.get(InboxConversation, conversation_id)
    if row is None:
        return None
    rating = session.get(CsatRating, conversation_id)
    return row, session.get(ConversationReview, conversation_id), rating.score if rating else None, bool(handed)


def save(session: Session, conversation_id: str, actor: str, now: datetime, *, tags: Optional[Sequence[str]] = None,
         flagged: Optional[bool] = None, reviewed: Optional[bool] = None) -> ConversationReview:
    """Changes what is given; marking reviewed records who and when, unmarking clears both."""
    review = session.get(ConversationReview, conversation_id, with_for_update=True)
    if review is None:
        review = ConversationReview(conversation_id=conversation_id, tags="", flagged=False)
        session.add(review)
    if tags is not None:
        review.tags = ",".join(tags)
    if flagged is not None:
        review.flagged = flagged
    if reviewed is True:
        review.reviewed_by, review.reviewed_at = actor, now
    elif reviewed is False:
        review.reviewed_by, review.reviewed_at = None, None
    review.updated_by, review.updated_at = actor, now
    return review


def unanswered_since(session: Session, since: datetime, limit: int = 5000) -> List[UnansweredMessage]:
    stmt = (select(UnansweredMessage).where(UnansweredMessage.at >= since)
            .order_by(UnansweredMessage.at.desc(), UnansweredMessage.id.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


def unanswered_message(session: Session, message_id: int) -> Optional[UnansweredMessage]:
    return session.get(UnansweredMessage, message_id)


def unanswered_in(session: Session, conversation_id: str) -> List[UnansweredMessage]:
    stmt = (select(UnansweredMessage).where(UnansweredMessage.conversation_id == conversation_id)
            .order_by(UnansweredMessage.at))
    return list(session.execute(stmt).scalars())
