"""How a reply looks as an SMS: signature, numbered options, carrier segments, clean truncation.

Pure functions (no Rasa, no store, no clock) so the carrier rules are tested on their own. The
texts the channel adds (options, "…详询热线…") are the kb's (kb/sms.yml, `bot.kb.sms.SmsTexts`):
callers pass them with the hotline filled in (`kb_texts`), which is also the default.

Carrier billing (docs: ../shared/reference/domain-facts.md §5): a text that fits the GSM 7-bit
alphabet holds 160 characters in one message and 153 per part of a concatenated one; any other
character (every Chinese character, and the 【】 of the signature) switches the whole message to
UCS-2, which holds 70 UTF-16 units in one message and 67 per part. The signature and any opt-out
text count toward the length. Parts are filled greedily without splitting a GSM escape sequence or
a UTF-16 surrogate pair, which is how handsets and gateways split them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from bot.kb.sms import SmsTexts
from bot.store.sms_menus import Option

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

# GSM 03.38 basic character set (one septet each) and its extension table (escape + char = two).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

# Where a shortened answer may end cleanly, best first: the end of a sentence, then of a clause.
_SENTENCE_ENDS = "。！？!?；;"
_CLAUSE_ENDS = "，、,：:"
# After these a following piece needs no blank in between; a closing bracket still does, or
# "…（示例）回复1" would run the answer into the options.
_NO_BLANK_AFTER = "。！？!?；;，、,：:…"
_CLOSING_OF = {"（": "）", "(": ")", "「": "」", "『": "』", "【": "】", "“": "”", "‘": "’"}
# A cut that keeps less than this share of the room left for the answer looks broken: cut mid-clause.
_MIN_BOUNDARY_SHARE = 0.6
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_MENU_CHOICE = re.compile(r"^(?:回复|回|选|选择)?\s*([0-9]{1,2})\s*[。.!！]?$")


# ---------------------------------------------------------------- segments


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM 7-bit alphabet (then 160/153 per message apply)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def _width(ch: str, gsm7: bool) -> int:
    if gsm7:
        return 2 if ch in _GSM7_EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UCS-2/UTF-16: astral characters (emoji) take a surrogate pair


def units(text: str) -> int:
    """Length as the carrier counts it: septets for GSM 7-bit, UTF-16 code units otherwise."""
    gsm7 = is_gsm7(text)
    return sum(_width(ch, gsm7) for ch in text)


def split_segments(text: str) -> List[str]:
    """The parts a carrier sends (and bills) for `text`; one part for a text that fits a single SMS."""
    gsm7 = is_gsm7(text)
    single, per_part = (GSM7_SINGLE, GSM7_PART) if gsm7 else (UCS2_SINGLE, UCS2_PART)
    if sum(_width(ch, gsm7) for ch in text) <= single:
        return [text]
    parts: List[str] = []
    current: List[str] = []
    used = 0
    for ch in text:
        width = _width(ch, gsm7)
        if used + width > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += width
    parts.append("".join(current))
    return parts


def segment_count(text: str) -> int:
    """How many messages `text` costs (an empty text still costs one)."""
    return len(split_segments(text))


# ---------------------------------------------------------------- texts


def kb_texts(kb_dir: Optional[Path] = None, texts: Optional[SmsTexts] = None) -> SmsTexts:
    """`texts` (default: the kb's, kb/sms.yml) with the branch hotline from the kb's service.yml filled in.

    `kb_dir` defaults to the configured one; the kb is loaded once per directory.
    """
    from bot.kb import load_kb

    kb = load_kb(kb_dir)
    return (texts if texts is not None else kb.sms).with_hotline(kb.service.hotline)


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderedSms:
    text: str
    options: Tuple[Option, ...] = field(default_factory=tuple)

    @property
    def segments(self) -> int:
        return segment_count(self.text)


def normalize_signature(signature: Optional[str]) -> str:
    """`示例证券` or `【示例证券】` → `【示例证券】`; carriers reject messages without the 【】 form."""
    name = (signature or "").strip().strip("【】[]").strip()
    return f"【{name}】" if name else ""


def one_line(text: Optional[str]) -> str:
    """One line of plain text: a newline may make a carrier split the message, and blank runs cost money."""
    return re.sub(r"\s+", " ", (text or "").strip())


def options_from_buttons(buttons: Optional[Sequence[Mapping[str, Any]]]) -> List[Option]:
    """Rasa buttons (`{"title", "payload"}`) as options; a button without a payload sends its title."""
    options = []
    for button in buttons or ():
        title = one_line(str(button.get("title") or ""))
        payload = str(button.get("payload") or title).strip()
        if title and payload:
            options.append(Option(title=title, payload=payload))
    return options


def format_options(options: Sequence[Option], texts: Optional[SmsTexts] = None) -> str:
    texts = texts if texts is not None else kb_texts()
    items = []
    for n, option in enumerate(options, start=1):
        # "回复12000股" would read as option 12: keep a title that starts with a digit apart from its number.
        title = f" {option.title}" if option.title[:1].isascii() and option.title[:1].isalnum() else option.title
        items.append(texts.option.format(n=n, title=title))
    return texts.option_separator.join(items)


def _join(pieces: Sequence[str]) -> str:
    text = ""
    for piece in pieces:
        if not piece:
            continue
        if text and text[-1] not in _NO_BLANK_AFTER and piece[0] not in _NO_BLANK_AFTER:
            text += " "
        text += piece
    return text


def _fits(text: str, max_parts: int) -> bool:
    return segment_count(text) <= max_parts


def _cut_cleanly(body: str, keep: int) -> str:
    """`body[:keep]`, moved back to the last sentence (or clause) end when one is close enough."""
    head = body[:keep]
    for marks in (_SENTENCE_ENDS, _CLAUSE_ENDS):
        at = max(head.rfind(mark) for mark in marks)
        if at >= 0 and at + 1 >= keep * _MIN_BOUNDARY_SHARE:
            return head[: at + 1]
    return head


def _shortened(head: str, more: str) -> str:
    """The cut answer with its "…详询热线" ending; no "…" after a finished sentence."""
    # Never leave a bracket or quote open: cut back to before it.
    for opening, closing in _CLOSING_OF.items():
        at = head.rfind(opening)
        if at >= 0 and closing not in head[at:]:
            head = head[:at]
    head = head.rstrip(_CLAUSE_ENDS + " ")
    if head and head[-1] in _SENTENCE_ENDS:
        return head + more.lstrip("…")
    return head + more


def _truncate(prefix: str, body: str, suffix: str, more: str, max_parts: int) -> Optional[str]:
    """`prefix + shortened body + suffix` within `max_parts`, or None if less than a few characters fit."""
    if not body:
        return None
    low, high = 0, len(body)
    best = -1
    while low <= high:  # the parts needed grow with the characters kept, so bisect on that count
        mid = (low + high) // 2
        candidate = prefix + _join([_shortened(body[:mid], more), suffix])
        if _fits(candidate, max_parts):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    if best < min(len(body), 4):
        return None
    for keep in range(best, -1, -1):
        candidate = prefix + _join([_shortened(_cut_cleanly(body, keep), more), suffix])
        if _fits(candidate, max_parts):
            return candidate
    return None  # pragma: no cover - keep == best always fits


def _hard_cut(text: str, max_parts: int) -> str:
    while text and not _fits(text, max_parts):
        text = text[:-1]
    return text


def render_sms(
    body: str,
    options: Sequence[Option] = (),
    *,
    signature: str,
    max_parts: int,
    texts: Optional[SmsTexts] = None,
    suffix: str = "",
) -> RenderedSms:
    """The SMS for one reply: 【signature】 + body + numbered options + suffix, within `max_parts`.

    When it does not fit, the body is shortened (ending on a sentence where possible, then
    `texts.more`, e.g. "…详询热线…"); the options and the suffix (an opt-out hint) are never cut,
    since a half-shown option or a missing opt-out method is worse than a shorter answer. Options
    are dropped from the end only if even a few characters of the body would not fit beside them.
    `texts` defaults to the kb's (`kb_texts()`).
    """
    texts = texts if texts is not None else kb_texts()
    max_parts = max(1, int(max_parts))
    prefix = normalize_signature(signature)
    body = one_line(body)
    suffix = one_line(suffix)
    shown = list(options)
    while True:
        tail = _join([format_options(shown, texts), suffix])
        text = prefix + _join([body, tail])
        if _fits(text, max_parts):
            return RenderedSms(text=text, options=tuple(shown))
        shortened = _truncate(prefix, body, tail, texts.more, max_parts)
        if shortened is not None:
            return RenderedSms(text=shortened, options=tuple(shown))
        if not shown:
            return RenderedSms(text=_hard_cut(text, max_parts))
        shown.pop()


def parse_choice(text: Optional[str]) -> Optional[int]:
    """The option number in a reply such as "1", "１", "回复2" or " 3。", else None."""
    if not text:
        return None
    match = _MENU_CHOICE.match(text.strip().translate(_FULLWIDTH_DIGITS))
    return int(match.group(1)) if match else None


def join_replies(texts: Sequence[str]) -> str:
    """Several bot messages of one turn as one SMS body (one message costs less than several)."""
    return _join([one_line(text) for text in texts])
