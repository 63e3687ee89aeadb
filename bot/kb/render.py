"""Turns articles into the text customers read.

The basis line is added here, from `source` and `effective`, rather than written into each answer: a
customer always learns which rule an answer rests on and since when, and it cannot drift from the data.
"""
from __future__ import annotations

import re
from datetime import date

from bot.kb.citations import BRANCH, UNVERIFIED_NOTICE, citations, issuers, sms_answer
from bot.kb.models import Article

POLICY = "本营业部规定"

CHANGED_LABEL = "变化："


def format_date_cn(day: date) -> str:
    """2026-07-06 → 2026年7月6日 (no zero padding, as in official notices)."""
    return f"{day.year}年{day.month}月{day.day}日"


def basis_line(article: Article) -> str:
    """依据：<source>，自<date>起施行。 — worded for branch policy, a rule not yet in force, or an unchecked one."""
    day = format_date_cn(article.effective)
    if is_branch_only(article.source):
        basis = f"依据：{POLICY}（{article.source}），自{day}起执行。"
    elif article.announced:
        basis = f"依据：{article.source}，将于{day}起施行（已公布，尚未施行）。"
    else:
        basis = f"依据：{article.source}，自{day}起施行。"
    if not article.verified:
        basis = f"{basis[:-1]}；本条未能与原文逐条核对，{UNVERIFIED_NOTICE}。"
    return basis


def render_article(article: Article) -> str:
    """The answer, then its basis line (`basis_line`) and, when present, what changed."""
    text = f"{article.answer}\n{basis_line(article)}"
    if article.changed:
        text += f"\n{CHANGED_LABEL}{article.changed}"
    return text


# Numbered steps written inline in one paragraph (①…②…); the web chat shows each on its own line.
_STEP = re.compile(r"(?<=[^\n])\s*(?=[②③④⑤⑥⑦⑧⑨⑩])")
SMS_CHANNEL = "sms"


def is_branch_only(source: str) -> bool:
    """True when every citation of `source` is one of the branch's own documents."""
    parts = citations(source)
    return bool(parts) and all(issuers(part) == [BRANCH] for part in parts)


def render_for_channel(article: Article, channel: str) -> str:
    """On SMS the short form with a short basis ("…。依据：交易所规则", within one SMS with the
    signature); elsewhere the full answer with its steps on separate lines."""
    if channel == SMS_CHANNEL:
        return sms_answer(article.short, article.source, article.verified)
    return _STEP.sub("\n", render_article(article))
