"""The assist card's service: suggestions come only from reviewed kb texts (articles, canned replies),
each with its source and effective date; the bot's own rules pick the articles; the fee calculator is
the bot's; what agents do with a suggestion is recorded once per showing.

The NLU's output is built with the classifier's own functions (bot/nlu/intent_classifier.py), so
these tests read exactly the shape Rasa returns; tests/web/test_assist_api.py reads a live Rasa.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import numpy as np
import pytest

from bot.kb import load_kb
from bot.nlu.intent_classifier import article_selection, intent_ranking
from bot.services import article_choice, assist
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import init_store

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.fixture
def store(tmp_path):
    opened = init_store(f"sqlite:///{tmp_path / 'assist.db'}")
    with opened.session() as session, session.begin():
        seed_demo_agents(session, demo_agents("agent-password-for-tests", "lead-password-for-tests"))
    yield opened
    opened.dispose()


def parse(text: str, **probabilities: float) -> dict:
    """Rasa's parse of `text` when the classifier gives these labels (faq/<id>, intents) these probabilities."""
    labels = list(probabilities)
    row = np.array([probabilities[label] for label in labels])
    ranking = intent_ranking(labels, row)
    found = {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}
    selection = article_selection(labels, row)
    if selection:
        found["response_selector"] = selection
    return found


def card(kb, text, parsed, channel="socketio"):
    reading = assist.reading_from_parse(kb, text, parsed)
    articles = assist.candidate_articles(kb, text, parsed)
    return reading, articles, assist.suggestions_for(kb, reading, articles, channel)


def test_a_clear_question_gets_the_article_the_bot_answers_with_its_source_and_date(kb):
    text = "开户要带什么"
    parsed = parse(text, **{"faq/open_documents": 0.71, "faq/open_eligibility": 0.12, "faq/custody": 0.02,
                            "greet": 0.15})
    reading, articles, suggestions = card(kb, text, parsed)
    assert [i.name for i in reading.intents] == ["faq", "greet"]
    assert [a.id for a in articles] == ["open_documents", "open_eligibility"]  # 0.02 is noise
    documents = kb.article("open_documents")
    assert articles[0].bot_answers and not articles[1].bot_answers
    assert (articles[0].source, articles[0].effective) == (documents.source, documents.effective)
    assert articles[0].basis.startswith("依据：") and documents.source in articles[0].basis
    by_id = {s.id: s for s in suggestions}
    # The canned reply that goes with these articles, then the articles' own answers as the bot sends them.
    assert list(by_id) == ["canned:open_account", "article:open_documents", "article:open_eligibility"]
    assert by_id["article:open_documents"].text.startswith(documents.answer.split("。")[0])
    assert articles[0].basis in by_id["article:open_documents"].text  # what customers read, basis line included
    canned = next(r for r in kb.canned_replies if r.id == "open_account")
    assert (by_id["canned:open_account"].text, by_id["canned:open_account"].source,
            by_id["canned:open_account"].effective, by_id["canned:open_account"].shortcut) == (
        canned.text, canned.source, canned.effective, "/开户")


def test_on_sms_the_article_is_offered_in_its_short_form(kb):
    text = "印花税多少"
    parsed = parse(text, **{"faq/stamp_duty": 0.8, "faq/commission": 0.1})
    *_, suggestions = card(kb, text, parsed, channel="sms")
    stamp = next(s for s in suggestions if s.id == "article:stamp_duty")
    assert stamp.text.startswith(kb.article("stamp_duty").short)


def test_an_article_about_other_business_is_not_offered(kb):
    # "股指期货怎么开户" is not about opening a stock account: the bot abstains, the card offers nothing.
    text = "股指期货怎么开户"
    parsed = parse(text, **{"faq/open_online": 0.6, "faq/open_eligibility": 0.3})
    _, articles, suggestions = card(kb, text, parsed)
    assert articles == [] and not [s for s in suggestions if s.kind == "article"]
    assert article_choice.answering_article(kb, text, "open_online", 0.6) is None


def test_a_request_for_advice_gets_the_no_advice_reply_and_no_article(kb):
    text = "ST的票能不能博一把"
    parsed = parse(text, **{"faq/st_rules": 0.7, "faq/st_removal": 0.2})
    reading, articles, suggestions = card(kb, text, parsed)
    assert reading.asks_for_advice
    assert [a.id for a in articles] == ["st_rules", "st_removal"]  # shown for the agent's background
    assert [s.id for s in suggestions] == ["canned:no_advice"]


def test_no_suggestion_gives_advice_and_every_one_carries_source_and_date(kb):
    for reply in kb.canned_replies:
        assert kb.scope.gives_advice(reply.text) == []
    suggestions = assist.shortcut_suggestions(kb, "/")
    assert len(suggestions) == len(kb.canned_replies)
    assert all(s.source and isinstance(s.effective, date) for s in suggestions)


def test_a_suggestion_that_advises_is_never_offered(kb):
    risky = assist.Suggestion("canned:x", "canned", "荐股", "这只票建议买入，下周肯定涨", "本营业部客户服务手册（2026版）",
                              date(2026, 1, 1))
    assert assist._compliant(kb, [risky]) == []


def test_a_shortcut_is_looked_up_without_reading_it(kb):
    assert [s.shortcut for s in assist.shortcut_suggestions(kb, "/开")] == ["/开户"]
    assert assist.shortcut_suggestions(kb, "/没有这个") == []


def test_entities_and_the_text_read_are_masked(kb):
    parsed = parse("x", **{"complain": 0.9})
    parsed["entities"] = [{"entity": "phone", "value": "13900001111", "text": "13900001111"}]
    reading = assist.reading_from_parse(kb, "电话139****1111", parsed)
    assert reading.entities[0].value == reading.entities[0].text == "139****1111"


class _OfflineNlu:
    """Stands in for Rasa where a test must show the NLU is never asked (a shortcut)."""

    async def parse(self, text):
        raise AssertionError("a shortcut must not be sent to the NLU")


async def test_feedback_is_recorded_once_per_showing_and_only_for_what_was_shown(kb, store):
    shown = await assist.assist_text(store, kb, _OfflineNlu(), "agent01", "/开户", now=NOW)
    [suggestion] = shown.suggestions
    assert assist.feedback_counts(store) == {"canned:open_account": {"displayed": 1}}
    with pytest.raises(assist.UnknownSuggestion):  # not inserted yet, so not edited either
        assist.record_feedback(store, "agent01", shown.assist_id, suggestion.id, "edited", now=NOW)
    assert assist.record_feedback(store, "agent01", shown.assist_id, suggestion.id, "used", now=NOW)
    assert not assist.record_feedback(store, "agent01", shown.assist_id, suggestion.id, "used", now=NOW)
    assert assist.record_feedback(store, "agent01", shown.assist_id, suggestion.id, "edited", now=NOW)
    with pytest.raises(assist.UnknownSuggestion):  # shown to agent01, not to lead01
        assist.record_feedback(store, "lead01", shown.assist_id, suggestion.id, "used", now=NOW)
    with pytest.raises(assist.UnknownSuggestion):
        assist.record_feedback(store, "agent01", shown.assist_id, "canned:closing", "used", now=NOW)
    with pytest.raises(ValueError):
        assist.record_feedback(store, "agent01", shown.assist_id, suggestion.id, "displayed", now=NOW)
    assert assist.feedback_counts(store) == {"canned:open_account": {"displayed": 1, "used": 1, "edited": 1}}


def test_the_fee_calculator_is_the_bots_quote(kb):
    quote = assist.quote_fees(kb, side="sell", price="25", quantity="2000", market="sz", today=date(2026, 12, 7))
    assert (quote.turnover, quote.commission, quote.stamp_duty, quote.transfer_fee, quote.total) == (
        Decimal("50000"), Decimal("12.50"), Decimal("25.00"), Decimal("0.50"), Decimal("38.00"))
    assert quote.rate_basis == "default" and quote.schedule_effective == date(2023, 8, 28)
    assert "合计 38.00 元" in quote.text and "营业部默认佣金费率" in quote.text
    own = assist.quote_fees(kb, side="buy", price="10", quantity="1000", rate_per_ten_thousand="1.5",
                            today=date(2026, 12, 7))
    assert own.commission == Decimal("5.00") and own.stamp_duty == Decimal("0.00")  # the minimum, no duty
    assert own.commission_rate == Decimal("0.00015") and "您给出的佣金费率万分之1.5" in own.text


@pytest.mark.parametrize("fields, complaint", [
    ({"side": "hold"}, "side"),
    ({"market": "hk"}, "沪深A股"),
    ({"price": "abc"}, "price"),
    ({"price": "-1"}, "price"),
    ({"quantity": "10.5"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"rate_per_ten_thousand": "31"}, "legal cap"),
    ({"rate_per_ten_thousand": "NaN"}, "rate"),
])
def test_the_fee_calculator_refuses_what_is_not_an_a_share_order(kb, fields, complaint):
    order = {"side": "buy", "price": "10", "quantity": "100", "market": "sh", **fields}
    with pytest.raises(ValueError, match=complaint):
        assist.quote_fees(kb, **order)
