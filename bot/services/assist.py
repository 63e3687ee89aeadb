"""The agent desk's assist card: what the NLU reads in a customer's message, the kb articles that
answer it, approved replies to insert, the fee calculator, and what agents do with the suggestions.

Everything offered comes from reviewed files: articles (kb/articles) and canned replies
(kb/canned_replies.yml), each with its source and effective date; nothing is generated. Articles are
chosen as the bot chooses them (bot/services/article_choice.py), from Rasa's own reading of the text
(`/model/parse`), and a suggestion the compliance detector flags is never offered.

The message is masked before it is read: the reading runs in Rasa, and a number the agent pasted
from a phone call has no business there.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from bot.common.privacy import mask_text
from bot.kb import Article, KnowledgeBase
from bot.kb.models import COMMISSION_CAP, CannedReply
from bot.kb.render import basis_line, render_for_channel
from bot.services import article_choice, fee_text, fees
from bot.services.agent_desk import RasaConversations
from bot.store import assist_feedback, handoffs
from bot.store.db import Store
from bot.store.models import AssistEvent

log = logging.getLogger(__name__)

MAX_TEXT = 1000
INTENTS_SHOWN = 3
ARTICLES_SHOWN = 3
# An article the classifier gives less than this is noise, not a candidate worth an agent's glance.
ARTICLE_MIN_CONFIDENCE = 0.05
# The channel whose form an article is offered in when the agent is on the phone (read aloud in full).
DEFAULT_CHANNEL = "socketio"
ADVICE_INTENT = "ask_investment_advice"


class NotYourConversation(LookupError):
    """The conversation is not one the agent holds (no assigned handoff of theirs)."""


class NothingToRead(LookupError):
    """The conversation has no customer message yet."""


class UnknownSuggestion(LookupError):
    """No such suggestion was shown to this agent in that showing (or, for `edited`, inserted)."""


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True)
class EntityView:
    entity: str
    value: str  # masked
    text: str  # the words it was read from, masked


@dataclass(frozen=True)
class Reading:
    text: str  # masked: what was read
    intents: List[IntentScore]
    entities: List[EntityView]
    asks_for_advice: bool  # worded as a request for a buy/sell view (kb/scope.yml advice_cues)


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    confidence: float
    bot_answers: bool  # the bot itself answers this message with this article
    source: str
    effective: date
    basis: str  # the basis line customers read ("依据：…，自…起施行。")
    answer: str


@dataclass(frozen=True)
class Suggestion:
    id: str  # article:<id> or canned:<id>; what feedback names
    kind: str  # article / canned
    title: str
    text: str  # exactly what "insert into reply" puts in the reply box
    source: str
    effective: date
    shortcut: Optional[str] = None


@dataclass(frozen=True)
class Assist:
    assist_id: str  # this showing of the card; feedback names it
    conversation_id: Optional[str]
    reading: Optional[Reading]  # None for a shortcut lookup ("/开"), which is not sent to the NLU
    articles: List[ArticleView] = field(default_factory=list)
    suggestions: List[Suggestion] = field(default_factory=list)


# ---------------------------------------------------------------- reading and suggestions


def reading_from_parse(kb: KnowledgeBase, text: str, parse: Dict[str, Any]) -> Reading:
    ranking = parse.get("intent_ranking") or ([parse["intent"]] if parse.get("intent") else [])
    intents = [IntentScore(str(i.get("name")), round(float(i.get("confidence") or 0.0), 3))
               for i in ranking[:INTENTS_SHOWN] if i.get("name")]
    entities = [EntityView(str(e.get("entity")), mask_text(str(e.get("value"))), mask_text(str(e.get("text") or "")))
                for e in parse.get("entities") or [] if e.get("entity")]
    return Reading(text, intents, entities, kb.scope.asks_for_advice(text))


def candidate_articles(kb: KnowledgeBase, text: str, parse: Dict[str, Any]) -> List[ArticleView]:
    """The best articles for the message, as the bot ranks them, that are about what it asks."""
    best_id, best_confidence = article_choice.best_article(parse)
    answering = article_choice.answering_article(kb, text, best_id, best_confidence)
    found: List[ArticleView] = []
    for article_id, confidence in article_choice.ranked_articles(parse):
        if len(found) == ARTICLES_SHOWN or confidence < ARTICLE_MIN_CONFIDENCE:
            break
        if article_id not in kb.article_ids():
            continue
        article = kb.article(article_id)
        if not article_choice.fits(kb, text, article):
            continue
        found.append(ArticleView(article.id, article.title, round(confidence, 3),
                                 answering is not None and answering.id == article.id, article.source,
                                 article.effective, basis_line(article), article.answer))
    return found


def _article_suggestion(article: Article, channel: str) -> Suggestion:
    return Suggestion(f"article:{article.id}", "article", article.title, render_for_channel(article, channel),
                      article.source, article.effective)


def _canned_suggestion(reply: CannedReply) -> Suggestion:
    return Suggestion(f"canned:{reply.id}", "canned", reply.title, reply.text, reply.source, reply.effective,
                      reply.shortcut)


def suggestions_for(kb: KnowledgeBase, reading: Reading, articles: List[ArticleView], channel: str) -> List[Suggestion]:
    """Canned replies that go with the message's intent or articles, then the articles' own answers.

    A message asking for a buy/sell view gets no article answer (the bot answers it with the
    no-advice line whatever the article), only the canned replies for advice requests.
    """
    intent = reading.intents[0].name if reading.intents else None
    intents = {intent, ADVICE_INTENT} if reading.asks_for_advice else {intent}
    article_ids = {a.id for a in articles}
    found = [_canned_suggestion(r) for r in kb.canned_replies
             if intents & set(r.intents) or (not reading.asks_for_advice and article_ids & set(r.articles))]
    if not reading.asks_for_advice:
        found += [_article_suggestion(kb.article(a.id), channel) for a in articles]
    return _compliant(kb, found)


def shortcut_suggestions(kb: KnowledgeBase, typed: str) -> List[Suggestion]:
    """Canned replies whose shortcut starts with what the agent typed ("/开" → /开户)."""
    typed = typed.strip()
    return _compliant(kb, [_canned_suggestion(r) for r in kb.canned_replies if r.shortcut.startswith(typed)])


def _compliant(kb: KnowledgeBase, suggestions: List[Suggestion]) -> List[Suggestion]:
    # `kb check` keeps advice out of articles and canned replies; this holds even for a kb edited
    # in place without the check, since the reply box would refuse the text anyway.
    kept = []
    for suggestion in suggestions:
        flags = kb.scope.gives_advice(suggestion.text)
        if flags:
            log.warning("assist: %s not offered, it gives advice: %s", suggestion.id, "; ".join(flags))
        else:
            kept.append(suggestion)
    return kept


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _shown(store: Store, agent: str, conversation_id: Optional[str], reading: Optional[Reading],
           articles: List[ArticleView], suggestions: List[Suggestion], now: Optional[datetime]) -> Assist:
    assist_id = uuid.uuid4().hex
    with store.session() as session, session.begin():
        assist_feedback.record_displayed(session, assist_id, agent, conversation_id,
                                         [s.id for s in suggestions], now or _now())
    return Assist(assist_id, conversation_id, reading, articles, suggestions)


async def assist_text(store: Store, kb: KnowledgeBase, rasa: RasaConversations, agent: str, text: str, *,
                      conversation_id: Optional[str] = None, channel: Optional[str] = None,
                      now: Optional[datetime] = None) -> Assist:
    """The card for a message: a customer's (pasted, or the last of a conversation) or a shortcut."""
    text = text.strip()[:MAX_TEXT]
    if text.startswith("/"):
        return _shown(store, agent, conversation_id, None, [], shortcut_suggestions(kb, text), now)
    masked = mask_text(text)
    parse = await rasa.parse(masked)
    reading = reading_from_parse(kb, masked, parse)
    articles = candidate_articles(kb, masked, parse)
    suggestions = suggestions_for(kb, reading, articles, channel or DEFAULT_CHANNEL)
    return _shown(store, agent, conversation_id, reading, articles, suggestions, now)


def _last_customer_message(tracker: Dict[str, Any]) -> tuple:
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user" and (event.get("text") or "").strip():
            return event["text"], event.get("input_channel")
    raise NothingToRead("the customer has not written yet")


async def assist_conversation(store: Store, kb: KnowledgeBase, rasa: RasaConversations, agent: str,
                              conversation_id: str, now: Optional[datetime] = None) -> Assist:
    """The card for the last customer message of a conversation the agent holds."""
    with store.session() as session:
        handoff = handoffs.active_for_conversation(session, conversation_id)
        if (handoff is None or handoff.assigned_to != agent
                or handoff.status != handoffs.HandoffStatus.ASSIGNED.value):
            raise NotYourConversation(f"{agent} does not hold conversation {conversation_id!r}")
    text, channel = _last_customer_message(await rasa.tracker(conversation_id))
    return await assist_text(store, kb, rasa, agent, text, conversation_id=conversation_id,
                             channel=channel or DEFAULT_CHANNEL, now=now)


# ---------------------------------------------------------------- feedback

FEEDBACK_EVENTS = (AssistEvent.USED.value, AssistEvent.EDITED.value)


def record_feedback(store: Store, agent: str, assist_id: str, suggestion_id: str, event: str,
                    now: Optional[datetime] = None) -> bool:
    """`used` (inserted into the reply box) or `edited` (the reply sent differed from it), once per
    showing; True when newly recorded. `displayed` is recorded when the card is built."""
    kind = AssistEvent(event)
    if kind is AssistEvent.DISPLAYED:
        raise ValueError("displayed is recorded by the assist card itself")
    with store.session() as session, session.begin():
        shown = assist_feedback.displayed_to(session, assist_id, suggestion_id, agent)
        if shown is None:
            raise UnknownSuggestion(f"{suggestion_id} was not shown to {agent} in {assist_id}")
        if kind is AssistEvent.EDITED and not assist_feedback.was_used(session, shown):
            raise UnknownSuggestion(f"{suggestion_id} was not inserted, so it cannot have been edited")
        return assist_feedback.record(session, shown, kind, now or _now())


def feedback_counts(store: Store, since: Optional[datetime] = None) -> Dict[str, Dict[str, int]]:
    """suggestion id → {displayed, used, edited} counts (the supervisor's view of which help helps)."""
    with store.session() as session:
        return assist_feedback.counts(session, since)


# ---------------------------------------------------------------- fee calculator

# The fee engine quotes ordinary A-share orders: the schedule (commission with the exchanges' handling
# fee inside, stamp duty, transfer fee) is the same on both exchanges. Other markets differ (北交所's
# handling fee, Stock Connect's fees and currency) and are not quoted here.
MARKETS = {"sh": "沪市A股", "sz": "深市A股"}
# Beyond these an entry is a typo (an extra zero), not an order.
MAX_QUANTITY = 10 ** 9
MAX_PRICE = Decimal(10 ** 6)


@dataclass(frozen=True)
class FeeQuoteView:
    market: str
    side: str
    turnover: Decimal
    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    total: Decimal
    commission_rate: Decimal
    rate_basis: str  # stated / default
    schedule_effective: date
    text: str  # the itemised quote in the bot's own words, ready to insert


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if not number.is_finite():
        raise ValueError(f"{name} must be a number")
    return number


def quote_fees(kb: KnowledgeBase, *, side: Any, price: Any, quantity: Any, market: Any = "sh",
               rate_per_ten_thousand: Any = None, today: Optional[date] = None) -> FeeQuoteView:
    """An order's itemised fees under today's schedule; ValueError names the first bad field.

    `rate_per_ten_thousand` is the customer's commission as counters say it (万分之2 → "2"); without
    it the branch's default applies.
    """
    if side not in ("buy", "sell"):
        raise ValueError("side must be buy or sell")
    if market not in MARKETS:
        raise ValueError("the calculator quotes 沪深A股 orders only (market sh or sz)")
    price_value = _decimal(price, "price")
    quantity_value = _decimal(quantity, "quantity")
    if quantity_value != quantity_value.to_integral_value() or not 0 < quantity_value <= MAX_QUANTITY:
        raise ValueError("quantity must be a whole, positive number of shares")
    if not 0 < price_value <= MAX_PRICE:
        raise ValueError("price must be a positive price per share")
    rate = None
    if rate_per_ten_thousand not in (None, ""):
        rate = _decimal(rate_per_ten_thousand, "rate") / Decimal(10000)
        if not Decimal(0) < rate <= COMMISSION_CAP:
            raise ValueError(f"rate must be above 0 and at most the legal cap ({fee_text.rate_text(COMMISSION_CAP)})")
    order = fees.OrderRequest(side=side, quantity=int(quantity_value), price=price_value)
    schedule = kb.fee_schedule_on(today or date.today())
    quote = fees.quote(order, schedule, commission_rate=rate)
    basis = "stated" if rate is not None else "default"
    text = fee_text.fee_quote(order, quote, rate_basis=basis, effective=schedule.effective)
    return FeeQuoteView(market, side, quote.turnover, quote.commission, quote.stamp_duty, quote.transfer_fee,
                        quote.total, quote.commission_rate, basis, schedule.effective, text)
