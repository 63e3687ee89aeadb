"""The fee engine: Decimal arithmetic, ROUND_HALF_UP per item, the per-order minimum, customer rates."""
from __future__ import annotations

from decimal import Decimal

import pytest

from bot.services.fees import IncompleteOrder, OrderRequest, Side, quote

D = Decimal


def order(side, quantity=None, price=None, amount=None) -> OrderRequest:
    return OrderRequest(
        side=side,
        quantity=quantity,
        price=None if price is None else D(price),
        amount=None if amount is None else D(amount),
    )


# ---------------------------------------------------------------- the DESIGN examples


def test_buy_1000_at_10_costs_the_minimum_commission_plus_transfer_fee(schedule):
    q = quote(order("buy", 1000, "10.00"), schedule)
    assert (q.commission, q.stamp_duty, q.transfer_fee, q.total) == (D("5.00"), D("0.00"), D("0.10"), D("5.10"))
    assert q.turnover == D("10000.00")
    assert q.commission_minimum_applied


def test_sell_2000_at_25_pays_commission_stamp_duty_and_transfer_fee(schedule):
    q = quote(order("sell", 2000, "25.00"), schedule)
    assert (q.commission, q.stamp_duty, q.transfer_fee, q.total) == (D("12.50"), D("25.00"), D("0.50"), D("38.00"))
    assert not q.commission_minimum_applied


def test_sell_order_pays_stamp_duty_but_buy_does_not(schedule):
    assert quote(order("sell", 2000, "25"), schedule).stamp_duty == D("25.00")
    assert quote(order("buy", 2000, "25"), schedule).stamp_duty == D("0.00")
    assert quote(order("buy", 2000, "25"), schedule).stamp_duty_rate == 0


def test_quote_reports_the_rates_it_used(schedule):
    q = quote(order("sell", 2000, "25"), schedule)
    assert (q.commission_rate, q.commission_minimum, q.stamp_duty_rate, q.transfer_fee_rate) == (
        D("0.00025"), D("5.00"), D("0.0005"), D("0.00001"))
    assert q.schedule_id == schedule.id and set(q.commission_includes) == {"经手费", "证管费"}


def test_every_money_field_is_in_cents_and_items_add_up(schedule):
    q = quote(order("sell", 777, "13.37"), schedule)
    for value in (q.commission, q.stamp_duty, q.transfer_fee, q.total):
        assert value == value.quantize(D("0.01")) and value.as_tuple().exponent == -2
    assert q.total == q.commission + q.stamp_duty + q.transfer_fee


# ---------------------------------------------------------------- rounding edges


def test_commission_half_cent_rounds_up_not_to_even(schedule):
    # 30100 × 0.00025 = 7.525: ROUND_HALF_UP gives 7.53 where banker's rounding would give 7.52.
    assert quote(order("buy", amount="30100"), schedule).commission == D("7.53")


def test_stamp_duty_half_cent_rounds_up(schedule):
    # 10050 × 0.0005 = 5.025 → 5.03 (half-even would be 5.02; float arithmetic gives 5.02 too).
    assert quote(order("sell", amount="10050"), schedule).stamp_duty == D("5.03")


def test_transfer_fee_half_cent_rounds_up(schedule):
    # 2500 × 0.00001 = 0.025 → 0.03
    assert quote(order("buy", 250, "10"), schedule).transfer_fee == D("0.03")


def test_just_below_half_a_cent_rounds_down(schedule):
    # 2499 × 0.00001 = 0.02499 → 0.02
    assert quote(order("buy", amount="2499"), schedule).transfer_fee == D("0.02")


def test_three_decimal_fund_price_is_exact(schedule):
    # 1,000,000 shares at 1.234 (a 0.001 tick) = 1,234,000 exactly; 308.50 commission.
    q = quote(order("buy", 1_000_000, "1.234"), schedule)
    assert q.turnover == D("1234000.000") and q.commission == D("308.50") and q.transfer_fee == D("12.34")


# ---------------------------------------------------------------- minimum commission


def test_minimum_applies_until_the_rate_reaches_five_yuan(schedule):
    # 5 / 0.00025 = 20000: below that the minimum decides, above it the rate does.
    assert quote(order("buy", amount="19999"), schedule).commission == D("5.00")
    assert quote(order("buy", amount="20000"), schedule).commission == D("5.00")
    assert quote(order("buy", amount="20040"), schedule).commission == D("5.01")
    assert not quote(order("buy", amount="20040"), schedule).commission_minimum_applied


def test_minimum_applies_per_order_even_for_one_lot(schedule):
    q = quote(order("buy", 100, "3.00"), schedule)
    assert q.commission == D("5.00") and q.total == D("5.00")  # transfer 0.003 rounds to 0.00


# ---------------------------------------------------------------- customer rates


def test_customer_rate_replaces_the_default(kb, schedule):
    c0003 = kb.customer("C0003")
    rate, minimum = c0003.commission_on(schedule)
    assert (rate, minimum) == (D("0.00015"), D("5.00"))
    q = quote(order("sell", 2000, "25.00"), schedule, commission_rate=rate, commission_minimum=minimum)
    assert q.commission == D("7.50") and q.total == D("33.00") and q.commission_rate == D("0.00015")


def test_customer_without_a_negotiated_rate_gets_the_default(kb, schedule):
    assert kb.customer("C0001").commission_on(schedule) == (D("0.00025"), D("5.00"))


def test_customer_minimum_can_differ(schedule):
    q = quote(order("buy", 1000, "10.00"), schedule, commission_rate=D("0.0001"), commission_minimum=D("0"))
    assert q.commission == D("1.00") and q.total == D("1.10")


# ---------------------------------------------------------------- amount-only and missing fields


def test_amount_only_sell_computes_on_the_amount(schedule):
    q = quote(order("sell", amount="50000"), schedule)  # 卖出5万元
    assert q.turnover == D("50000")
    assert (q.commission, q.stamp_duty, q.transfer_fee, q.total) == (D("12.50"), D("25.00"), D("0.50"), D("38.00"))


def test_quantity_and_price_win_over_a_rounded_amount(schedule):
    q = quote(order("sell", 2000, "25.00", amount="50001"), schedule)
    assert q.turnover == D("50000.00")


@pytest.mark.parametrize(
    "request_, missing",
    [
        (OrderRequest(), ["side", "quantity", "price"]),
        (OrderRequest(side="buy"), ["quantity", "price"]),
        (OrderRequest(side="buy", quantity=1000), ["price"]),
        (OrderRequest(side="sell", price=D("25")), ["quantity"]),
        (OrderRequest(quantity=1000, price=D("10")), ["side"]),
        (OrderRequest(amount=D("50000")), ["side"]),
        (OrderRequest(side="sell", amount=D("50000")), []),
        (OrderRequest(side="sell", quantity=100, amount=D("50000")), []),
    ],
)
def test_missing_fields(request_, missing):
    assert request_.missing == missing


def test_incomplete_order_is_refused_with_what_is_missing(schedule):
    with pytest.raises(IncompleteOrder) as raised:
        quote(OrderRequest(side="buy", quantity=1000), schedule)
    assert raised.value.missing == ["price"]


def test_side_is_normalised_and_checked():
    assert OrderRequest(side="sell").side is Side.SELL
    with pytest.raises(ValueError):
        OrderRequest(side="short")


@pytest.mark.parametrize(
    "kwargs",
    [dict(quantity=0), dict(quantity=-100), dict(price=D("0")), dict(amount=D("-1"))],
)
def test_non_positive_values_are_rejected(kwargs):
    with pytest.raises(ValueError):
        OrderRequest(side="buy", **kwargs)


@pytest.mark.parametrize("kwargs", [dict(price=10.0), dict(amount=50000.0), dict(quantity=100.0)])
def test_floats_are_rejected(kwargs):
    with pytest.raises(TypeError):
        OrderRequest(side="buy", **kwargs)
