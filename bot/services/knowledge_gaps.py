"""Knowledge gaps: what customers ask that the bot could not answer, similar wordings grouped together.

The messages are the ones the inbox projection recorded as unanswered (an NLU fallback, or a knowledge
question no kb article could answer: bot/services/inbox.py). Grouping is by the overlap of character
bigrams of the normalised text (the form the NLU's character n-grams use): Chinese questions about the
same thing share most of their bigrams however they are worded ("科创板开通条件" / "开通科创板要什么条件"),
and it needs no model. Greedy, newest first: a message joins the first group with a wording (one of its
first few distinct ones) it resembles enough, else it starts a group.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, FrozenSet, List, Optional

from bot.common.text import comparable
from bot.store import reviews as review_store
from bot.store.db import Store

# Jaccard similarity of bigram sets at or above which two messages are one question. Chosen by hand
# on paraphrase pairs such as those in tests/store/test_review_loop.py: 0.3 keeps "开通科创板要什么条件"
# with "科创板开通条件" and keeps "港股通怎么开" apart from "科创板怎么开".
SIMILAR = 0.3
EXAMPLES = 3
# Wordings of a group a new message is compared with (bounds the work on a long list).
KEYS_PER_GROUP = 10
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class GapExample:
    message_id: int
    text: str  # masked
    conversation_id: str
    intent: Optional[str]
    confidence: Optional[float]
    at: datetime


@dataclass(frozen=True)
class KnowledgeGap:
    count: int
    conversations: int
    kinds: Dict[str, int]  # nlu_fallback / no_article → messages
    last_at: datetime
    examples: List[GapExample]  # newest first, at most EXAMPLES


def bigrams(text: str) -> FrozenSet[str]:
    """Character bigrams of the normalised text, blanks and punctuation left out."""
    chars = [c for c in comparable(text) if c.isalnum()]
    if len(chars) == 1:
        return frozenset(chars)
    return frozenset(a + b for a, b in zip(chars, chars[1:]))


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class _Group:
    keys: List[FrozenSet[str]]
    examples: List[GapExample]
    conversations: set
    kinds: Dict[str, int]


def group(messages) -> List[KnowledgeGap]:  # type: ignore[no-untyped-def]
    """Groups unanswered messages (newest first) into gaps, the most frequent first."""
    groups: List[_Group] = []
    for message in messages:
        grams = bigrams(message.text)
        if not grams:
            continue
        home = next((g for g in groups if any(similarity(k, grams) >= SIMILAR for k in g.keys)), None)
        if home is None:
            home = _Group([], [], set(), {})
            groups.append(home)
        if grams not in home.keys and len(home.keys) < KEYS_PER_GROUP:
            home.keys.append(grams)
        home.examples.append(GapExample(message.id, message.text, message.conversation_id, message.intent,
                                        message.confidence, message.at))
        home.conversations.add(message.conversation_id)
        home.kinds[message.kind] = home.kinds.get(message.kind, 0) + 1
    gaps = [KnowledgeGap(len(g.examples), len(g.conversations), g.kinds, g.examples[0].at, _distinct(g.examples))
            for g in groups]
    return sorted(gaps, key=lambda gap: (-gap.count, -gap.last_at.timestamp()))


def _distinct(examples: List[GapExample]) -> List[GapExample]:
    """Up to EXAMPLES examples, different wordings first."""
    chosen: List[GapExample] = []
    for example in examples:
        if all(e.text != example.text for e in chosen):
            chosen.append(example)
        if len(chosen) == EXAMPLES:
            break
    return chosen


def gaps(store: Store, days: int = DEFAULT_DAYS, now: Optional[datetime] = None, limit: int = 50) -> List[KnowledgeGap]:
    now = now or datetime.now(timezone.utc)
    with store.session() as session:
        messages = review_store.unanswered_since(session, now - timedelta(days=days))
        return group(messages)[:limit]


def message(store: Store, message_id: int) -> Optional[GapExample]:
    """One unanswered message (the start of a proposal)."""
    with store.session() as session:
        found = review_store.unanswered_message(session, message_id)
        if found is None:
            return None
        return GapExample(found.id, found.text, found.conversation_id, found.intent, found.confidence, found.at)
