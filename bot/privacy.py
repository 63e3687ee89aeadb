"""Masking of personal data (ID numbers, mobile numbers, bank cards) in free text and logs.

Compliance requires these to be masked in replies, logs, transcripts and the agent panel. The
patterns are anchored on digit boundaries so that ticket ids (CP-20261125-0001), stock codes
(600519), prices, quantities and dates are left alone. Full-width digits (１３９…), which Chinese
input methods produce, are matched too.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_UNIT_AFTER = r"(?:元|块|角|股|手|份|万|亿|%|％)"
# Not inside a longer number and not the fraction of a decimal (log lines carry 0.91234567890123456).
_START = r"(?<![0-9])(?<![0-9]\.)"
_END = r"(?![0-9])(?!\.[0-9])"

_PATTERN = re.compile(
    # Resident ID, 18 digits: region(6) + birth date YYYYMMDD + sequence(3) + check digit (0-9 or X).
    rf"(?P<id18>{_START}[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_DATE}[0-9]{{3}}[0-9Xx]{_END})"
    # Old resident ID, 15 digits: region(6) + YYMMDD + sequence(3).
    rf"|(?P<id15>{_START}[1-9][0-9]{{5}}[0-9]{{2}}{_DATE}[0-9]{{3}}{_END})"
    # Bank card, 16-19 digits written as one run ...
    rf"|(?P<card>{_START}[0-9]{{16,19}}{_END})"
    # ... or in groups of four separated by spaces or dashes (length checked in _replace).
    rf"|(?P<card_grouped>{_START}[0-9]{{4}}(?:[ -][0-9]{{4}}){{2,3}}(?:[ -][0-9]{{1,4}})?{_END})"
    # Mainland mobile, optionally +86/86 and written 3-4-4; not a decimal or an amount (13800000000元).
    rf"|(?P<mobile>{_START}(?<![¥￥$])(?P<cc>(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{{4}}){{2}}"
    rf"{_END}(?!{_UNIT_AFTER}))"
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_FULLWIDTH_DIGITS) if ch.isascii() and ch.isalnum())


def _mask_card(digits: str) -> str:
    return f"{digits[:4]} **** **** {digits[-4:]}"


def _replace(match: "re.Match[str]", original: str) -> str:
    kind = match.lastgroup if match.lastgroup != "cc" else "mobile"
    raw = original[match.start() : match.end()]
    if kind in ("id18", "id15"):
        return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]
    if kind == "card":
        return _mask_card(_digits(raw))
    if kind == "card_grouped":
        digits = _digits(raw)
        return _mask_card(digits) if 16 <= len(digits) <= 19 else raw
    # mobile: keep a written country code, then 139****5678
    prefix = original[match.start("cc") : match.end("cc")] if match.group("cc") else ""
    number = _digits(raw[len(prefix) :])
    return f"{prefix}{number[:3]}****{number[-4:]}"


def mask_text(text: Optional[str]) -> str:
    """`text` with ID numbers, mobile numbers and bank card numbers masked; idempotent."""
    if not text:
        return text or ""
    # Match on an ASCII view (same length, one char per char) but keep the original characters.
    view = text.translate(_FULLWIDTH_DIGITS)
    pieces = []
    last = 0
    for match in _PATTERN.finditer(view):
        pieces.append(text[last : match.start()])
        pieces.append(_replace(match, text))
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def mask_phone(phone: Optional[str]) -> str:
    """A phone number for display: 13912345678 → 139****5678 (country code dropped)."""
    digits = _digits(phone or "")
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


class MaskingFilter(logging.Filter):
    """Masks personal data in log records before any handler formats or ships them.

    Attach it to handlers (not loggers): a logger's filters do not see records that propagate
    from child loggers, a handler's do. `install_log_masking()` does that for the root handlers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's error to report, not ours
            return True
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def install_log_masking(logger: Optional[logging.Logger] = None) -> MaskingFilter:
    """Adds one MaskingFilter to every handler of `logger` (default: root); idempotent."""
    target = logger or logging.getLogger()
    masking = next(
        (f for h in target.handlers for f in h.filters if isinstance(f, MaskingFilter)), MaskingFilter()
    )
    for handler in target.handlers:
        if masking not in handler.filters:
            handler.addFilter(masking)
    return masking
