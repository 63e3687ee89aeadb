"""What a message may start: a complaint, a leave request, an advice refusal — decided by its words.

The NLU's intent comes first; these rules decide what a record-writing flow needs on top of it
(DESIGN.md: such flows start only on a specific request, and leaving wins every ambiguity).
"""
from __future__ import annotations

import pytest

from bot.common.short_answers import is_conditional, is_hesitation, yes_or_no
from bot.kb import load_kb
from bot.services import complaints, retention


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.mark.parametrize("text, confidence, route", [
    ("我要投诉你们营业部", 0.5, complaints.FILE),
    ("/complain", 0.2, complaints.FILE),  # the button under the clarifying question
    ("你们的交易软件又闪退了，单子发不出去", 0.7, complaints.FILE),
    ("客服电话一直打不通，你们怎么回事", 0.5, complaints.FILE),
    ("基金净值一直在跌，亏了一万多，睡不着", 0.9, complaints.LAMENT),
    ("大盘天天绿，散户就是韭菜", 0.9, complaints.LAMENT),
    ("你们的人说这个基金稳赚，现在亏了一半", 0.8, complaints.FILE),  # the firm, and a fault
    ("你们要是再不降佣金我就去别家", 0.8, complaints.CLARIFY),  # a condition, not a grievance now
    ("帮我看看我的持仓", 0.5, complaints.LAMENT),
    ("封闭期到期了还收申购费吗", 0.5, complaints.CLARIFY),
])
def test_a_complaint_form_starts_only_on_a_grievance_about_the_firm(kb, text, confidence, route):
    assert complaints.route(text, confidence, kb.complaints) == route


@pytest.mark.parametrize("text, confidence, specific", [
    ("我要转户", 0.5, True),
    ("把账户注销了吧", 0.6, True),
    ("/request_account_transfer", 0.1, True),
    ("行情不好的话明年我就转走", 0.95, False),  # a plan, not a request made now
    ("要是再不降佣金我就销户", 0.95, False),
    ("我想去你们公司上班", 0.85, False),  # heard as leaving, but it names no request
])
def test_a_leave_request_must_be_specific(kb, text, confidence, specific):
    assert retention.is_specific_request(text, confidence, kb.retention) is specific


@pytest.mark.parametrize("text", ["算了，我还是要办", "还是转吧", "我坚持转户，别说了", "照样办"])
def test_going_ahead_after_the_offer_is_read_before_any_yes(kb, text):
    assert retention.goes_ahead(text, kb.retention) or retention.refuses_persuasion(text, kb.retention)


@pytest.mark.parametrize("text, answer", [("嗯……那个就是说", None), ("嗯", True), ("那个，好的", True),
                                          ("我再想想", None), ("不用了", False)])
def test_hesitation_is_no_answer(text, answer):
    assert yes_or_no(text) is answer


def test_hesitation_and_conditions_are_recognised():
    assert is_hesitation("呃……那个") and not is_hesitation("好的")
    assert is_conditional("如果下个月还跌我就赎回") and not is_conditional("我要赎回")


@pytest.mark.parametrize("text", ["这只转债还值不值得拿", "现在能抄底吗", "明天会涨吗", "给我推荐几只股票"])
def test_advice_wordings_are_recognised(kb, text):
    assert kb.scope.asks_for_advice(text)


@pytest.mark.parametrize("text", ["创业板怎么开通", "印花税多少", "ST股的涨跌幅是多少"])
def test_ordinary_questions_are_not_advice(kb, text):
    assert not kb.scope.asks_for_advice(text)


def test_a_question_about_a_product_no_article_covers_is_flagged(kb):
    stock_opening = kb.article("open_online")
    assert kb.scope.uncovered_term("股指期货怎么开户", stock_opening.title + stock_opening.answer) == "期货"
    assert kb.scope.uncovered_term("手机上怎么开户", stock_opening.title + stock_opening.answer) is None
