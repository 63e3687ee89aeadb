"""Composes the bot's multi-part replies (itemised fee quotes) from service results.

Fixed phrases live in the domain's responses and the kb; this module only assembles replies whose
shape depends on the data (how many fee items, which fields are missing).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable

from bot.services.fees import OrderRequest, Quote
from bot.common.sanitize import has_meaning  # re-exported for actions

__all__ = ["money", "rate_text", "fee_quote", "missing_order_fields", "has_meaning"]

_SIDE = {"buy": "买入", "sell": "卖出"}
_MISSING = {
    "side": "买入还是卖出",
    "quantity": "数量（多少股）",
    "price": "成交价格（每股多少元）",
    "amount": "或直接告诉我成交金额",
}
_ITEM_NAMES = {"commission": "佣金", "stamp_duty": "印花税", "transfer_fee": "过户费"}


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def rate_text(rate: Decimal) -> str:
    """0.00025 → 万分之2.5 — how rates are quoted at the counter."""
    per_ten_thousand = (rate * 10000).normalize()
    return f"万分之{per_ten_thousand:f}"


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def missing_order_fields(missing: Iterable[str]) -> str:
    missing = list(missing)
    parts = [_MISSING[m] for m in missing if m in _MISSING and m != "amount"]
    if "price" in missing or "quantity" in missing:
        parts.append(_MISSING["amount"])
    return "、".join(parts)


_RATE_BASIS = {"stated": "您给出的佣金费率", "account": "您账户的佣金费率", "default": "营业部默认佣金费率"}


def fee_quote(order: OrderRequest, quote: Quote, rate_basis: str, effective: date) -> str:
    """Itemised quote; `rate_basis` says whose commission rate was used (stated/account/default)."""
    side = _SIDE.get(order.side or "", "")
    if order.quantity and order.price:
        what = f"{order.quantity}股，每股{money(order.price)}元（成交金额{money(quote.turnover)}元）"
    else:
        what = f"成交金额{money(quote.turnover)}元"
    lines = [f"{side}{what}，预计交易费用合计 {money(quote.total)} 元："]
    for item in ("commission", "stamp_duty", "transfer_fee"):
        value: Decimal = getattr(quote, item)
        note = ""
        if item == "stamp_duty" and order.side == "buy":
            note = "（仅卖出时收取）"
        if item == "commission" and quote.commission_minimum_applied:
            note = f"（不足{money(quote.commission_minimum)}元按{money(quote.commission_minimum)}元收取）"
        lines.append(f"· {_ITEM_NAMES[item]} {money(value)} 元{note}")
    basis = _RATE_BASIS[rate_basis]
    lines.append(
        f"按{basis}{rate_text(quote.commission_rate)}（含规费）、每笔最低{money(quote.commission_minimum)}元，"
        f"及自{_chinese_date(effective)}起执行的收费标准计算，实际以成交回报为准。"
    )
    return "\n".join(lines)
