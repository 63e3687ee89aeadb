"""Knowledge answers, the customer's own tier and rate, and the fallback."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from bot import replies, runtime

# Two misunderstandings in a row: offer a human rather than a third "please rephrase".
FALLBACKS_BEFORE_HUMAN = 2


class ActionAnswerFaq(Action):
    """Answers from the kb article the ResponseSelector picked, with its source and effective date."""

    def name(self) -> Text:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        article_id = replies.selected_article_id(tracker.latest_message or {})
        kb = runtime.kb()
        article = kb.article(article_id) if article_id else None
        if article is None:
            dispatcher.utter_message(response="utter_faq_unknown")
        else:
            # The article id lets the SMS channel send the article's short form instead of the long answer.
            dispatcher.utter_message(text=replies.article_text(article), json_message={"kb_article": article.id})
        return [SlotSet("fallback_count", 0)]


class ActionMyTier(Action):
    def name(self) -> Text:
        return "action_my_tier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        customer = context.customer(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_my_tier_anonymous")
            return []
        tier = runtime.kb().tier(customer.tier)
        dispatcher.utter_message(
            response="utter_my_tier", tier=tier.name, benefits="；".join(tier.benefits)
        )
        return []


class ActionMyCommission(Action):
    def name(self) -> Text:
        return "action_my_commission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        customer = context.customer(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_my_commission_anonymous")
            return []
        dispatcher.utter_message(
            response="utter_my_commission",
            rate=replies.rate_text(customer.commission_rate),
            minimum=replies.money(customer.commission_minimum),
        )
        return []


class ActionDefaultFallback(Action):
    """Polite 'not understood'; after repeated misses, offers a human agent."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        if not context.text(tracker).strip() or not replies.has_meaning(context.text(tracker)):
            dispatcher.utter_message(response="utter_empty_input")
            return []
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses >= FALLBACKS_BEFORE_HUMAN:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_default")
        return [SlotSet("fallback_count", misses)]
