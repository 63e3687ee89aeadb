"""Text normalisation shared by the NLU components and the services.

`normalise` (and the functions it is made of) returns a string of exactly the same length as its
input, so a character offset found in the normalised text is also the offset in the customer's
original message. `comparable` is for matching only: it also lower-cases and collapses blanks.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

# Full-width digits, Latin letters and the symbols that occur inside numbers and codes
# (２０００、ＥＴＦ、０．０２５％、Ｔ＋１). Chinese punctuation such as ，。？ is left alone:
# it is ordinary Chinese text, and folding ， to "," would glue "2000，25" into one number.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_FOLD.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FOLD.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FOLD.update({ord(c): ord(c) - 0xFEE0 for c in "％．＋＠／＊－＃"})
_FOLD[0x3000] = ord(" ")  # ideographic space


def fold_width(text: str) -> str:
    """Full-width digits/letters/number symbols → ASCII (one character for one)."""
    return text.translate(_FOLD)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc  # imported lazily: only components that see free text need it

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese with OpenCC t2s, guaranteed to keep the length.

    t2s converts phrase by phrase and is 1:1 per character for practically all input; if a phrase
    rule ever changes the length we convert character by character instead and keep any character
    whose conversion is not a single character, so offsets stay valid.
    """
    if not text:
        return text
    converter = _t2s()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    chars = []
    for char in text:
        single = converter.convert(char)
        chars.append(single if len(single) == 1 else char)
    return "".join(chars)


def normalise(text: str) -> str:
    """The form our components analyse: simplified Chinese with ASCII digits and letters."""
    return to_simplified(fold_width(text))


def comparable(text: str) -> str:
    """For matching words and phrases, not offsets: NFKC, simplified, lower case, blanks collapsed."""
    return " ".join(normalise(unicodedata.normalize("NFKC", text or "")).lower().split())
