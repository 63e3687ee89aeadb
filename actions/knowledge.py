"""Knowledge answers, the customer's own tier and rate, and the fallback."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.complaints import answer_ticket_status
from actions.handoff import queue_for_human
from bot.services import fee_text as replies
from bot import runtime
from bot.services.article_choice import answering_article, best_article
from bot.services.calendar_answers import calendar_answer
from bot.kb.render import render_for_channel
from bot.common.privacy import mask_text

log = logging.getLogger(__name__)

# Two misunderstandings in a row: offer a human rather than a third "please rephrase".
FALLBACKS_BEFORE_HUMAN = 2
# Which article may answer (and the confidence below which the bot abstains) is decided in
# bot/services/article_choice.py, shared with the agent desk's assist card.
CALENDAR_ARTICLE = "trading_calendar"
# Articles about what a trade costs also state the identified customer's own commission.
PERSONAL_RATE_ARTICLES = {"fee_overview", "commission"}


def chosen_article(tracker: Tracker):
    """The article the NLU chose for this message and its probability, or (None, 0)."""
    return best_article(tracker.latest_message or {})


class ActionAnswerFaq(Action):
    """The knowledge answer in the channel's form, or an honest "not sure" when no article fits."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        article_id, confidence = chosen_article(tracker)
        kb = runtime.kb()
        if kb.scope.asks_for_advice(context.text(tracker)):
            # Compliance first: "ST的票能不能博一把" is a request for advice, not a question on ST rules.
            dispatcher.utter_message(response="utter_refuse_advice")
            return [SlotSet("kb_article", None)]
        article = answering_article(kb, context.text(tracker), article_id, confidence)
        if article is None:
            # The knowledge-gap list: what customers ask that the kb does not answer (masked).
            log.info("knowledge gap (best %s at %.2f): %s", article_id, confidence, mask_text(context.text(tracker)))
            dispatcher.utter_message(
                text=kb.replies.render("faq_unsure"),
                buttons=[{"title": "转人工", "payload": "/request_human"}],
            )
            return [SlotSet("kb_article", None)]
        if article.id == CALENDAR_ARTICLE and context.channel(tracker) != "sms":
            # A question about a day is answered for that day, from the calendar.
            text = calendar_answer(context.text(tracker), kb.calendar, date.today())
        else:
            text = render_for_channel(article, context.channel(tracker))
        if article.id in PERSONAL_RATE_ARTICLES:
            own = _own_rate_line(tracker)
            text = f"{text}\n{own}" if own else text
        dispatcher.utter_message(text=text, kb_article=article.id)
        return [SlotSet("kb_article", article.id)]


def _own_rate_line(tracker: Tracker) -> Optional[str]:
    """For an identified customer, the commission they actually pay."""
    customer = context.customer(tracker)
    if customer is None or not customer.commission_rate:
        return None
    minimum = customer.commission_minimum or runtime.kb().fee_schedule_on(date.today()).commission.minimum
    return runtime.kb().replies.render("my_commission", rate=replies.rate_text(customer.commission_rate),
                                       minimum=replies.money(minimum))


class ActionMyTier(Action):
    def name(self) -> Text:
        return "action_my_tier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        customer = context.customer(tracker)
        if customer is None:
            context.say(dispatcher, "my_tier_anonymous")
            return []
        tier = runtime.kb().tier(customer.tier)
        context.say(dispatcher, "my_tier", tier=tier.name, benefits="；".join(tier.benefits))
        return []


class ActionMyCommission(Action):
    def name(self) -> Text:
        return "action_my_commission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        customer = context.customer(tracker)
        # No negotiated rate on file means the branch's default schedule applies.
        default = runtime.kb().fee_schedule_on(date.today()).commission
        if customer is None:
            # The default rate is kb/fees.yml's, rendered here rather than typed into the reply (issue 19).
            context.say(dispatcher, "my_commission_anonymous",
                        rate=replies.rate_text(default.rate), minimum=replies.money(default.minimum))
            return []
        context.say(dispatcher, "my_commission",
            rate=replies.rate_text(customer.commission_rate or default.rate),
            minimum=replies.money(customer.commission_minimum or default.minimum),
        )
        return []


class ActionDefaultFallback(Action):
    """Polite 'not understood'; after repeated misses, offers a human agent."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if tracker.latest_action_name not in (None, "action_listen"):
            # A core fallback after this turn's reply (no policy sure what comes next): the turn is
            # over. Ending it here, rather than predicting again, is what keeps a flow from looping.
            return [FollowupAction("action_listen")]
        if not context.text(tracker).strip() or not replies.has_meaning(context.text(tracker)):
            context.say(dispatcher, "empty_input")
            return []
        if runtime.kb().scope.asks_for_advice(context.text(tracker)):
            dispatcher.utter_message(response="utter_refuse_advice")
            return [FollowupAction("action_listen")] if context.intent(tracker) != "nlu_fallback" else []
        if context.entity_values(tracker, "ticket_id"):
            # "CP-20261201-0001 尾号3333": a ticket id is a status question, however it is worded.
            return answer_ticket_status(dispatcher, tracker)
        if context.intent(tracker) != "nlu_fallback":
            # The message was understood but no policy knows what to do with it here.
            context.say(dispatcher, "default")
            return [FollowupAction("action_listen")]
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses >= FALLBACKS_BEFORE_HUMAN:
            context.say(dispatcher, "offer_human")
            queue_for_human(dispatcher, tracker, reason="repeated_fallback")
            return [SlotSet("fallback_count", 0)]
        else:
            context.say(dispatcher, "default")
        return [SlotSet("fallback_count", misses)]
