"""Which kb article answers a message: the NLU's article ranking, held to the bot's rules for answering.

The classifier ranks the articles (Rasa's `response_selector` output, bot/nlu/intent_classifier.py);
this module decides which of them may answer. The bot's answering action and the agent desk's
assist card both read it, so an agent is offered the articles the bot itself would stand behind.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from bot.kb import Article, KnowledgeBase

RETRIEVAL_INTENT = "faq"
# Below this probability of its best article the classifier is guessing: a wrong article with a
# citation looks authoritative, so the customer hears "not sure" and the way to a human instead.
# Chosen on the out-of-distribution set: the highest value that loses no correct answer there
# (docs/measurements.md).
ANSWER_MIN_CONFIDENCE = 0.40


def _selection(parse_data: Dict[str, Any]) -> Dict[str, Any]:
    return ((parse_data or {}).get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}


def _article_id(intent_response_key: Any) -> Optional[str]:
    key = str(intent_response_key or "")
    return key.split("/", 1)[1] if "/" in key else None


def best_article(parse_data: Dict[str, Any]) -> Tuple[Optional[str], float]:
    """The article the NLU chose for a message (its parse data) and its probability, or (None, 0)."""
    response = _selection(parse_data).get("response") or {}
    return _article_id(response.get("intent_response_key")), float(response.get("confidence") or 0.0)


def ranked_articles(parse_data: Dict[str, Any]) -> List[Tuple[str, float]]:
    """Every article the NLU ranked for a message, best first, with its probability."""
    ranked = []
    for entry in _selection(parse_data).get("ranking") or []:
        article_id = _article_id(entry.get("intent_response_key"))
        if article_id:
            ranked.append((article_id, float(entry.get("confidence") or 0.0)))
    return ranked


def fits(kb: KnowledgeBase, text: str, article: Article) -> bool:
    """False when the message names business the kb does not cover and the article does not mention
    it: "股指期货怎么开户" is not a question about opening a stock account."""
    return kb.scope.uncovered_term(text, article.title + article.answer) is None


def answering_article(kb: KnowledgeBase, text: str, article_id: Optional[str], confidence: float) -> Optional[Article]:
    """The article the bot answers `text` with, or None when it should abstain."""
    if article_id not in kb.article_ids():
        return None
    article = kb.article(article_id)
    if not fits(kb, text, article) or confidence < ANSWER_MIN_CONFIDENCE:
        return None
    return article
