"""The fee calculator: quotes an order once side and size are known, asking only for what is missing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from bot.services import fees, fee_text as replies
from bot import runtime
from bot.nlu.numbers import parse_number

ORDER_SLOTS = ("order_side", "order_quantity", "order_price", "order_amount", "order_rate")


def _decimal(value: Any) -> Optional[Decimal]:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def details_in_latest_message(tracker: Tracker) -> Dict[str, Any]:
    """Order details the extractor found in this message, as slot values.

    Slot mappings only read calc_fee/inform messages; a bare "25元" the classifier was unsure about
    (nlu_fallback) still answers the calculator's question, so the action reads it itself.
    """
    found = {f"order_{e.get('entity')}": e.get("value") for e in tracker.latest_message.get("entities", [])}
    return {slot: value for slot, value in found.items() if slot in ORDER_SLOTS and value not in (None, "")}


def bare_number_answer(text: str, missing: List[str]) -> Dict[str, Any]:
    """A bare "10.5" or "两千" answers the one number the calculator asked for; ambiguous otherwise."""
    numeric = [name for name in missing if name in ("quantity", "price")]
    value = parse_number(text.strip(" ，,。.！!~～"))
    if len(numeric) != 1 or value is None or value <= 0:
        return {}
    if numeric[0] == "quantity" and value != value.to_integral_value():
        return {}  # "10.5" is no number of shares
    return {f"order_{numeric[0]}": str(value)}


def order_from_slots(slots: Dict[str, Any]) -> fees.OrderRequest:
    """Slots hold the normalised entity values of this and earlier turns ("2000", "25", "sell")."""
    quantity = _decimal(slots.get("order_quantity"))
    side = slots.get("order_side")
    return fees.OrderRequest(
        side=side if side in ("buy", "sell") else None,
        quantity=int(quantity) if quantity else None,
        price=_decimal(slots.get("order_price")),
        amount=_decimal(slots.get("order_amount")),
    )


class ActionQuoteFees(Action):
    """Quotes the itemised cost of one order from the fee engine."""

    def name(self) -> Text:
        return "action_quote_fees"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        known = {slot: tracker.get_slot(slot) for slot in ORDER_SLOTS}
        latest = details_in_latest_message(tracker)
        if not latest and tracker.get_slot("awaiting_order_details"):
            latest = bare_number_answer(context.text(tracker), order_from_slots(known).missing)
        if context.intent(tracker) == "nlu_fallback" and not latest:
            # Not an answer to "价格是多少?": say so, and stop waiting so the customer is not stuck here.
            context.say(dispatcher, "default")
            return [SlotSet("awaiting_order_details", False)]
        slots = {**known, **latest}
        order = order_from_slots(slots)
        if order.missing:
            context.say(dispatcher, "ask_order_details", missing=replies.missing_order_fields(order.missing))
            return [SlotSet(slot, value) for slot, value in latest.items()] + [SlotSet("awaiting_order_details", True)]

        today = date.today()
        schedule = runtime.kb().fee_schedule_on(today)
        customer = context.customer(tracker)
        stated_rate = _decimal(slots.get("order_rate"))
        # A customer without a negotiated rate pays the default schedule (None → the engine's default).
        rate = stated_rate or (customer.commission_rate if customer else None)
        minimum = customer.commission_minimum if customer else None
        basis = "stated" if stated_rate else ("account" if customer and customer.commission_rate else "default")
        quote = fees.quote(order, schedule, commission_rate=rate, commission_minimum=minimum)
        dispatcher.utter_message(
            text=replies.fee_quote(order, quote, rate_basis=basis, effective=schedule.effective)
        )
        return [SlotSet(slot, None) for slot in ORDER_SLOTS] + [SlotSet("awaiting_order_details", False)]
