"""Plain-text hygiene for anything a customer typed: no markup in, no script echoed back out."""
from __future__ import annotations

import html
import re
from typing import Optional

MAX_CHARS = 500  # far longer than any real question; the rest is noise for classification
_TAG = re.compile(r"<[^>]{0,500}>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
# Anything a question can be made of: CJK, Latin letters, digits (also full-width).
_MEANINGFUL = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def clean_text(text: Optional[str], limit: int = MAX_CHARS) -> str:
    """Removes script blocks and tags, unescapes entities, collapses space and bounds the length."""
    text = _SCRIPT.sub(" ", text or "")
    text = html.unescape(_TAG.sub(" ", text))
    # Unescaping may have produced new angle brackets ("&lt;script&gt;"): never let them through.
    text = text.replace("<", "＜").replace(">", "＞")
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


# C0/C1 control characters except tab and line breaks: no customer types them, and PostgreSQL text
# cannot hold NUL. A lone UTF-16 surrogate (JSON allows "\ud800") cannot be encoded to UTF-8 at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """A message as every store, log and codec accepts it: control characters removed, a lone
    surrogate replaced by U+FFFD. Everything else, markup included, is kept (`clean_text` is for that)."""
    return _LONE_SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def has_meaning(text: Optional[str]) -> bool:
    """True when the text contains something a question can be made of (not only emoji/punctuation)."""
    return bool(_MEANINGFUL.search(text or ""))
