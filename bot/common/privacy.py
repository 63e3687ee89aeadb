"""Masking of personal data in free text and logs: the one module that knows the identifiers.

ID numbers (18 and 15 digits, also written in groups), mobile and landline numbers, bank cards, fund
and shareholder accounts (by their cue words, or the Shanghai letter-and-nine-digits form), e-mail
addresses, passports and the house numbers of an address. Compliance requires these to be masked
in replies, tickets, logs, transcripts, stored events and the agent panel. The patterns are anchored
on digit boundaries so that ticket ids (CP-20261125-0001), stock codes (600519), prices, quantities
and dates are left alone. Full-width digits (１３９…), which Chinese input methods produce, are
matched too.
"""
from __future__ import annotations

import logging
import re
from typing import AbstractSet, Any, Optional

from bot.common.phones import MOBILE_BODY
from bot.common.sealing import is_sealed

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")

_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_UNIT_AFTER = r"(?:元|块|角|股|手|份|万|亿|%|％)"
# Not inside a longer number and not the fraction of a decimal (log lines carry 0.91234567890123456).
_START = r"(?<![0-9])(?<![0-9]\.)"
_END = r"(?![0-9])(?!\.[0-9])"

# Words that introduce an account number: what follows is masked whatever its length.
_ACCOUNT_CUES = r"(?:资金账号|资金帐号|资金账户|资金帐户|客户号|客户代码|股东账户|股东帐户|股东账号|股东帐号|股东代码|证券账户|证券账号|一码通账户|一码通|账号|帐号)"
_SEP = r"[ -]?"
_CUE_PREFIX = re.compile(rf"{_ACCOUNT_CUES}[:：是为 ]{{0,3}}")

_PATTERN = re.compile(
    # An account number after its cue word: 资金账号：310012345678, 股东账户 A123456789.
    rf"(?P<account>{_ACCOUNT_CUES}[:：是为 ]{{0,3}}[A-Za-z]?[0-9]{{6,12}}{_END})"
    # Resident ID, 18 digits: region(6) + birth date YYYYMMDD + sequence(3) + check digit (0-9 or X),
    # also written in groups ("110101 1990 0101 123X").
    rf"|(?P<id18>{_START}[1-9][0-9]{{5}}{_SEP}(?:18|19|20)[0-9]{{2}}{_SEP}{_DATE}{_SEP}[0-9]{{3}}[0-9Xx]{_END})"
    # Old resident ID, 15 digits: region(6) + YYMMDD + sequence(3).
    rf"|(?P<id15>{_START}[1-9][0-9]{{5}}[0-9]{{2}}{_DATE}[0-9]{{3}}{_END})"
    # Bank card, 16-19 digits written as one run ...
    rf"|(?P<card>{_START}[0-9]{{16,19}}{_END})"
    # ... or in groups of four separated by spaces or dashes (length checked in _replace).
    rf"|(?P<card_grouped>{_START}[0-9]{{4}}(?:[ -][0-9]{{4}}){{2,3}}(?:[ -][0-9]{{1,4}})?{_END})"
    # Mainland mobile, optionally +86/86 and written 3-4-4; not a decimal or an amount (13800000000元).
    rf"|(?P<mobile>{_START}(?<![¥￥$])(?P<cc>(?:\+|00)?86[ -]?)?{MOBILE_BODY}"
    rf"{_END}(?!{_UNIT_AFTER}))"
    # Landline with its area code: 010-12345678, 0755 8765 4321.
    rf"|(?P<landline>{_START}0[1-9][0-9]{{1,2}}[ -]?[0-9]{{3,4}}[ -]?[0-9]{{4}}{_END}(?!{_UNIT_AFTER}))"
    # Shanghai shareholder account: a letter and nine digits (A123456789).
    rf"|(?P<sh_account>(?<![A-Za-z0-9])[A-DFa-df][0-9]{{9}}{_END})"
    # Passport: E/G (and EA…) plus seven or eight digits.
    rf"|(?P<passport>(?<![A-Za-z0-9])[EGeg][A-Za-z]?[0-9]{{7,8}}{_END})"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})"
    # The numbers of a street address: 幸福路123号3单元501室.
    r"|(?P<address>(?<=[路街道巷弄])[0-9]{1,5}号(?:[0-9]{1,4}(?:栋|幢|单元|楼|层|室|号))*)"
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_FULLWIDTH_DIGITS) if ch.isascii() and ch.isalnum())


def _mask_card(digits: str) -> str:
    return f"{digits[:4]} **** **** {digits[-4:]}"


def _keep_last4(raw: str) -> str:
    """Every digit and letter but the last four starred; separators and cue punctuation kept."""
    total = sum(ch.isalnum() for ch in raw)
    seen, out = 0, []
    for ch in raw:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - 4 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _replace(match: "re.Match[str]", original: str) -> str:
    kind = match.lastgroup if match.lastgroup != "cc" else "mobile"
    raw = original[match.start() : match.end()]
    if kind == "id18" and not raw.isalnum():
        return raw[:3] + _keep_last4(raw[3:])
    if kind in ("id18", "id15"):
        return raw[:3] + "*" * (len(raw) - 7) + raw[-4:]
    if kind == "account":
        cue = _CUE_PREFIX.match(raw)
        return cue.group(0) + _keep_last4(raw[cue.end():])
    if kind in ("sh_account", "passport", "landline"):
        return _keep_last4(raw)
    if kind == "email":
        user, _, domain = raw.partition("@")
        return f"{user[:1]}***@{domain}"
    if kind == "address":
        return re.sub(r"[0-9]", "*", raw)
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
    """`text` with every personal identifier masked (see the module docstring); idempotent."""
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


def mask_tree(value: Any, *, drop: AbstractSet[str] = frozenset(), keep: AbstractSet[str] = frozenset()) -> Any:
    """A copy of a JSON-like value with every string masked: keys in `drop` removed, values under
    keys in `keep` left as they are (names and ids the reader needs), sealed values left sealed."""
    if isinstance(value, str):
        return value if is_sealed(value) else mask_text(value)
    if isinstance(value, dict):
        return {key: item if key in keep else mask_tree(item, drop=drop, keep=keep)
                for key, item in value.items() if key not in drop}
    if isinstance(value, (list, tuple)):
        return [mask_tree(item, drop=drop, keep=keep) for item in value]
    return value


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
