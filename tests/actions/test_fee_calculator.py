"""The calculator's answers to its own question: entities, bare numbers, and replies that are neither."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fees import ActionQuoteFees, bare_number_answer

WAITING_FOR_PRICE = {"order_side": "sell", "order_quantity": "2000", "awaiting_order_details": True}


def _slots(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize("text, missing, expected", [
    ("25", ["price"], {"order_price": "25"}),
    ("二十五。", ["price"], {"order_price": "25"}),
    ("两千", ["quantity"], {"order_quantity": "2000"}),
    ("10.5", ["quantity"], {}),                      # no fractional shares
    ("25", ["quantity", "price"], {}),               # which one? ask again
    ("25", ["side"], {}),
    ("随便问问", ["price"], {}),
])
def test_a_bare_number_answers_the_one_number_asked_for(text, missing, expected):
    assert bare_number_answer(text, missing) == expected


async def test_unsure_nlu_with_a_price_entity_still_completes_the_quote(store, tracker, said):
    dispatcher = CollectingDispatcher()
    price = [{"entity": "price", "value": "25", "start": 0, "end": 3}]
    events = await ActionQuoteFees().run(
        dispatcher, tracker("25元", "nlu_fallback", slots=WAITING_FOR_PRICE, entities=price), {})
    assert "38.00" in said(dispatcher)
    assert _slots(events)["awaiting_order_details"] is False


async def test_a_bare_number_completes_the_quote(store, tracker, said):
    dispatcher = CollectingDispatcher()
    await ActionQuoteFees().run(dispatcher, tracker("25", "nlu_fallback", slots=WAITING_FOR_PRICE), {})
    assert "38.00" in said(dispatcher)


async def test_an_unrelated_unclear_reply_stops_the_waiting(store, tracker, said):
    dispatcher = CollectingDispatcher()
    events = await ActionQuoteFees().run(dispatcher, tracker("嗯那个啥", "nlu_fallback", slots=WAITING_FOR_PRICE), {})
    assert "38.00" not in said(dispatcher) and said(dispatcher)
    assert _slots(events) == {"awaiting_order_details": False}


async def test_a_partial_answer_is_kept_and_the_rest_asked(store, tracker, said):
    dispatcher = CollectingDispatcher()
    quantity = [{"entity": "quantity", "value": "2000", "start": 0, "end": 5}]
    events = await ActionQuoteFees().run(
        dispatcher, tracker("2000股", "nlu_fallback", slots={"order_side": "sell", "awaiting_order_details": True},
                            entities=quantity), {})
    assert _slots(events) == {"order_quantity": "2000", "awaiting_order_details": True}
    assert "价格" in said(dispatcher)
