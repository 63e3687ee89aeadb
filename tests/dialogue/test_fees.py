"""The fee calculator: worked examples, any wording, asking only for what is missing."""
from __future__ import annotations

import re


def test_buy_order_quote_matches_the_worked_example(conversation):
    reply = conversation().say("买1000股，10块一股，手续费要多少")
    assert "5.10" in reply
    assert "印花税 0.00" in reply


def test_sell_order_quote_matches_the_worked_example(conversation):
    reply = conversation().say("卖出两千股，二十五块，费用多少")
    assert re.search(r"38\.00\s*元", reply)
    assert "25.00" in reply  # stamp duty itemised


def test_calculator_asks_only_for_what_is_missing(conversation):
    talk = conversation()
    first = talk.say("帮我算一下交易费用")
    assert re.search(r"买入还是卖出", first)
    second = talk.say("卖出，2000股，25元")
    assert re.search(r"38\.00\s*元", second)


def test_calculator_keeps_what_was_given_and_asks_for_the_rest(conversation):
    talk = conversation()
    first = talk.say("我想卖出2000股算下手续费")
    assert "买入还是卖出" not in first
    assert re.search(r"价格|金额", first)
    assert re.search(r"38\.00\s*元", talk.say("25元"))


def test_identified_customer_is_quoted_at_their_own_rate(conversation):
    # C0003 pays 万分之1.5 with a 5 元 minimum: 100,000 × 0.00015 = 15.00 commission.
    reply = conversation("C0003").say("买入10000股，每股10元，手续费多少")
    assert "15.00" in reply and "您账户的佣金费率" in reply


def test_amount_only_order_is_quoted(conversation):
    reply = conversation().say("卖出5万元的股票要交多少费用")
    # 50,000: commission 12.50 + stamp duty 25.00 + transfer 0.50 = 38.00
    assert re.search(r"38\.00\s*元", reply)
