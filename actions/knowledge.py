"""Knowledge answers, the customer's own tier and rate, and the fallback."""
from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.handoff import queue_for_human
from bot import replies, runtime

# Two misunderstandings in a row: offer a human rather than a third "please rephrase".
FALLBACKS_BEFORE_HUMAN = 2


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
        if customer is None:
            context.say(dispatcher, "my_commission_anonymous")
            return []
        # No negotiated rate on file means the branch's default schedule applies.
        default = runtime.kb().fee_schedule_on(date.today()).commission
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
        if not context.text(tracker).strip() or not replies.has_meaning(context.text(tracker)):
            context.say(dispatcher, "empty_input")
            return []
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses >= FALLBACKS_BEFORE_HUMAN:
            context.say(dispatcher, "offer_human")
            queue_for_human(dispatcher, tracker, reason="repeated_fallback")
            return [SlotSet("fallback_count", 0)]
        else:
            context.say(dispatcher, "default")
        return [SlotSet("fallback_count", misses)]
