"""The fee calculator: quotes an order once side and size are known, asking only for what is missing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from bot import fees, replies, runtime

ORDER_SLOTS = ("order_side", "order_quantity", "order_price", "order_amount", "order_rate")


def _decimal(value: Any) -> Optional[Decimal]:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def order_from_tracker(tracker: Tracker) -> fees.OrderRequest:
    """Slots hold the normalised entity values of this and earlier turns ("2000", "25", "sell")."""
    quantity = _decimal(tracker.get_slot("order_quantity"))
    side = tracker.get_slot("order_side")
    return fees.OrderRequest(
        side=side if side in ("buy", "sell") else None,
        quantity=int(quantity) if quantity else None,
        price=_decimal(tracker.get_slot("order_price")),
        amount=_decimal(tracker.get_slot("order_amount")),
    )


class ActionQuoteFees(Action):
    """Quotes the itemised cost of one order from the fee engine."""

    def name(self) -> Text:
        return "action_quote_fees"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        order = order_from_tracker(tracker)
        if order.missing:
            context.say(dispatcher, "ask_order_details", missing=replies.missing_order_fields(order.missing))
            return [SlotSet("awaiting_order_details", True)]

        today = date.today()
        schedule = runtime.kb().fee_schedule_on(today)
        customer = context.customer(tracker)
        stated_rate = _decimal(tracker.get_slot("order_rate"))
        # A customer without a negotiated rate pays the default schedule (None → the engine's default).
        rate = stated_rate or (customer.commission_rate if customer else None)
        minimum = customer.commission_minimum if customer else None
        basis = "stated" if stated_rate else ("account" if customer and customer.commission_rate else "default")
        quote = fees.quote(order, schedule, commission_rate=rate, commission_minimum=minimum)
        dispatcher.utter_message(
            text=replies.fee_quote(order, quote, rate_basis=basis, effective=schedule.effective)
        )
        return [SlotSet(slot, None) for slot in ORDER_SLOTS] + [SlotSet("awaiting_order_details", False)]
