"""Short yes/no answers read from their words, for turns where the classifier was unsure."""
from __future__ import annotations

import pytest

from bot.common.short_answers import yes_or_no


@pytest.mark.parametrize("text", ["好的，那帮我提交吧", "可以", "行吧", "嗯嗯", "OK", "好", "没问题，提交", "確認無誤", "那试试吧"])
def test_agreement_is_yes(text):
    assert yes_or_no(text) is True


@pytest.mark.parametrize("text", ["不用了", "不可以", "算了吧", "不需要，谢谢", "no", "不好，没兴趣", "不对，时间错了", "暫時不考慮"])
def test_refusal_is_no_even_when_it_contains_an_agreeing_word(text):
    assert yes_or_no(text) is False


@pytest.mark.parametrize("text", [
    "可以网上办吗",          # a question that happens to contain 可以
    "好的，佣金是多少？",
    "那就帮我办转户",        # not an answer to the offer
    "",
    "我觉得你们这个APP的行情刷新太慢了，可以改进一下，我真的等了好久都没有刷新出来",  # long: a new topic
    "notebook",
    "嗯……我再想想",          # hesitation
])
def test_anything_else_is_no_answer(text):
    assert yes_or_no(text) is None
