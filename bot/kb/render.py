"""Turns articles into the text customers read.

The basis line is added here, from `source` and `effective`, rather than written into each answer: a
customer always learns which rule an answer rests on and since when, and it cannot drift from the data.
"""
from __future__ import annotations

from datetime import date
from typing import Dict, List

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


def nlu_responses(articles: List[Article]) -> Dict[str, object]:
    """A Rasa domain with one `utter_faq/<id>` response per article.

    The bot answers with these responses (`utter_faq`); `make train` regenerates them whenever the kb
    changes, and a test fails when the committed copy is out of date. The custom payload names the
    article so that the SMS channel can send its short form instead.
    """
    return {
        "version": "3.1",
        "intents": ["faq"],
        "responses": {
            f"utter_faq/{a.id}": [{"text": render_article(a), "custom": {"kb_article": a.id}}] for a in articles
        },
    }
