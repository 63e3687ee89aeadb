"""Turns articles into the text customers read.

The basis line is added here, from `source` and `effective`, rather than written into each answer: a
customer always learns which rule an answer rests on and since when, and it cannot drift from the data.
"""
from __future__ import annotations

import re
from datetime import date

from bot.kb.models import Article

CHANGED_LABEL = "变化："


def format_date_cn(day: date) -> str:
    """2026-07-06 → 2026年7月6日 (no zero padding, as in official notices)."""
    return f"{day.year}年{day.month}月{day.day}日"


def render_article(article: Article) -> str:
    """The answer, then 依据：<source>，自<date>起施行。 and, when present, what changed."""
    text = f"{article.answer}\n依据：{article.source}，自{format_date_cn(article.effective)}起施行。"
    if article.changed:
        text += f"\n{CHANGED_LABEL}{article.changed}"
    return text


# Numbered steps written inline in one paragraph (①…②…); the web chat shows each on its own line.
_STEP = re.compile(r"(?<=[^\n])\s*(?=[②③④⑤⑥⑦⑧⑨⑩])")
SMS_CHANNEL = "sms"


def render_for_channel(article: Article, channel: str) -> str:
    """The SMS short form on SMS; elsewhere the full answer with its steps on separate lines."""
    if channel == SMS_CHANNEL:
        return article.short
    return _STEP.sub("\n", render_article(article))
