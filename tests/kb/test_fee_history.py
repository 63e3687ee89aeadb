"""The fee schedule is effective-dated: a trade is priced by the rules of its own day."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.services.fees import OrderRequest, quote


def test_stamp_duty_halved_on_2023_08_28(kb):
    assert kb.fee_schedule_on(date(2023, 8, 27)).stamp_duty.rate == Decimal("0.001")
    assert kb.fee_schedule_on(date(2023, 8, 28)).stamp_duty.rate == Decimal("0.0005")
    assert kb.fee_schedule_on(date(2026, 11, 25)).stamp_duty.rate == Decimal("0.0005")


def test_stamp_duty_was_sell_only_before_the_cut_too(kb):
    old = kb.fee_schedule_on(date(2023, 1, 3)).stamp_duty
    assert old.side.value == "sell" and old.effective <= date(2023, 1, 3)


def test_a_sell_before_the_cut_paid_twice_the_stamp_duty(kb):
    order = OrderRequest("sell", 2000, Decimal("25.00"))
    before = quote(order, kb.fee_schedule_on(date(2023, 8, 25)))
    after = quote(order, kb.fee_schedule_on(date(2023, 8, 28)))
    assert before.stamp_duty == Decimal("50.00") and after.stamp_duty == Decimal("25.00")
    assert before.total - after.total == Decimal("25.00")


def test_transfer_fee_is_the_same_either_side_of_the_stamp_duty_cut(kb):
    assert kb.fee_schedule_on(date(2022, 4, 29)).transfer_fee.rate == Decimal("0.00001")
    assert kb.fee_schedule_on(date(2026, 11, 25)).transfer_fee.rate == Decimal("0.00001")


def test_dates_before_the_earliest_schedule_are_refused_not_guessed(kb):
    # Before 2022-04-29 the transfer fee was different and is not in the kb: better no quote than a wrong one.
    with pytest.raises(LookupError):
        kb.fee_schedule_on(date(2022, 4, 28))


def test_fees_on_is_the_same_lookup(kb):
    assert kb.fees_on(date(2024, 1, 2)) is kb.fee_schedule_on(date(2024, 1, 2))
