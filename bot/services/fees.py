"""The fee engine: the itemised cost of one A-share order under a fee schedule.

All arithmetic is `Decimal`; each item is rounded to the cent with ROUND_HALF_UP (the way brokers'
statements round, and what customers check by hand) and the total is the sum of the rounded items, so
the lines of a quote always add up to its total.

Scope: ordinary A-share orders. Products exempt from stamp duty (ETFs, LOFs, convertible bonds, bonds,
repos) are not distinguished here; the caller must not quote them with this engine as if they were
shares.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import List, Optional, Tuple, Union

from bot.kb.models import FeeSchedule

CENT = Decimal("0.01")


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"


class IncompleteOrder(ValueError):
    """The order lacks what a quote needs; `missing` names the fields to ask the customer for."""

    def __init__(self, missing: List[str]):
        self.missing = missing
        super().__init__(f"order is missing: {', '.join(missing)}")


def _positive(name: str, value: Optional[Decimal]) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


@dataclass(frozen=True)
class OrderRequest:
    """What the customer told us about one order; any field may still be unknown (None).

    Either `quantity` and `price` or the turnover `amount` (e.g. 卖出5万元) is enough. When all three
    are given, quantity × price wins: the amount a customer states is usually rounded.
    """

    side: Optional[Union[Side, str]] = None
    quantity: Optional[int] = None
    price: Optional[Decimal] = None
    amount: Optional[Decimal] = None

    def __post_init__(self) -> None:
        if self.side is not None:
            object.__setattr__(self, "side", Side(self.side))  # "buy"/"sell"; anything else is a bug upstream
        if isinstance(self.quantity, bool) or (self.quantity is not None and not isinstance(self.quantity, int)):
            raise TypeError(f"quantity must be an int number of shares, got {self.quantity!r}")
        for name in ("price", "amount"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                # Floats would make the cent rounding depend on binary representation.
                raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
        _positive("quantity", None if self.quantity is None else Decimal(self.quantity))
        _positive("price", self.price)
        _positive("amount", self.amount)

    @property
    def missing(self) -> List[str]:
        """Field names still needed: `side`, and `quantity`/`price` unless an `amount` is known."""
        missing = [] if self.side is not None else ["side"]
        if self.amount is None:
            missing += [name for name in ("quantity", "price") if getattr(self, name) is None]
        return missing

    @property
    def turnover(self) -> Decimal:
        """成交金额 in yuan, exact (not rounded)."""
        if self.missing:
            raise IncompleteOrder(self.missing)
        if self.quantity is not None and self.price is not None:
            return self.price * self.quantity
        assert self.amount is not None
        return self.amount


@dataclass(frozen=True)
class Quote:
    """An itemised quote; every money field is rounded to the cent, rates are as applied."""

    side: Side
    turnover: Decimal
    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    total: Decimal
    commission_rate: Decimal
    commission_minimum: Decimal
    commission_minimum_applied: bool  # the per-order minimum, not the rate, set the commission
    stamp_duty_rate: Decimal  # 0 when the order's side does not pay it
    transfer_fee_rate: Decimal
    commission_includes: Tuple[str, ...]  # fees inside the commission (经手费, 证管费), for the explanation
    schedule_id: str
    schedule_effective: date


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quote(
    order: OrderRequest,
    schedule: FeeSchedule,
    commission_rate: Optional[Decimal] = None,
    commission_minimum: Optional[Decimal] = None,
) -> Quote:
    """Itemised fees for `order` under `schedule`.

    `commission_rate`/`commission_minimum` are the customer's negotiated terms (None → the schedule's
    default). Commission = max(turnover × rate, minimum per order); stamp duty and transfer fee follow
    the sides the schedule gives them. Raises `IncompleteOrder` when `order.missing` is not empty.
    """
    if order.missing:
        raise IncompleteOrder(order.missing)
    side = Side(order.side)
    turnover = order.turnover

    default = schedule.commission
    rate = default.rate if commission_rate is None else commission_rate
    minimum = default.minimum if commission_minimum is None else commission_minimum
    assert minimum is not None  # FeeSchedule guarantees the commission has a minimum
    by_rate = _cents(turnover * rate)
    commission = max(by_rate, _cents(minimum))

    stamp = schedule.stamp_duty
    stamp_rate = stamp.rate if stamp.side.applies_to(side.value) else Decimal("0")
    transfer = schedule.transfer_fee
    transfer_rate = transfer.rate if transfer.side.applies_to(side.value) else Decimal("0")
    stamp_duty = _cents(turnover * stamp_rate)
    transfer_fee = _cents(turnover * transfer_rate)

    return Quote(
        side=side,
        turnover=turnover,
        commission=commission,
        stamp_duty=stamp_duty,
        transfer_fee=transfer_fee,
        total=commission + stamp_duty + transfer_fee,
        commission_rate=rate,
        commission_minimum=minimum,
        commission_minimum_applied=by_rate < commission,
        stamp_duty_rate=stamp_rate,
        transfer_fee_rate=transfer_rate,
        commission_includes=tuple(default.includes),
        schedule_id=schedule.id,
        schedule_effective=schedule.effective,
    )
