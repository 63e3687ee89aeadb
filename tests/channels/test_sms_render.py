"""How replies become SMS: carrier segments, signature, numbered options, clean truncation."""
from __future__ import annotations

import pytest

from bot.services.sms_render import (
    Option,
    is_gsm7,
    join_replies,
    normalize_signature,
    options_from_buttons,
    parse_choice,
    render_sms,
    segment_count,
    split_segments,
    units,
)
from bot.kb import load_kb

SIGNATURE = "【示例证券】"  # 6 characters, and it counts toward the length
TEXTS = load_kb().sms.with_hotline("95500")
HAN = "证"


@pytest.mark.parametrize(
    "length, parts",
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_chinese_text_is_billed_70_for_one_message_and_67_per_part(length, parts):
    assert segment_count(HAN * length) == parts


@pytest.mark.parametrize("length, parts", [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_plain_latin_text_is_billed_160_and_153_per_part(length, parts):
    assert segment_count("a" * length) == parts


def test_one_chinese_character_switches_the_whole_message_to_ucs2():
    assert is_gsm7("Balance 100 yuan")
    assert not is_gsm7("Balance 100 元")
    assert segment_count("a" * 69 + HAN) == 1
    assert segment_count("a" * 70 + HAN) == 2


def test_gsm_extension_characters_take_two_septets():
    assert units("{}") == 4
    assert segment_count("a" * 158 + "€") == 1
    assert segment_count("a" * 159 + "€") == 2


def test_an_emoji_takes_two_ucs2_units_and_is_never_split_across_parts():
    assert units("😀") == 2
    text = HAN * 66 + "😀" + HAN * 10
    parts = split_segments(text)
    assert parts[0] == HAN * 66 and parts[1].startswith("😀")


def test_the_signature_counts_toward_the_length():
    assert render_sms(HAN * 64, signature=SIGNATURE, max_parts=5).segments == 1
    assert render_sms(HAN * 65, signature=SIGNATURE, max_parts=5).segments == 2


def test_signature_is_always_in_brackets():
    assert normalize_signature("示例证券") == "【示例证券】"
    assert normalize_signature("【示例证券】") == "【示例证券】"
    assert render_sms("您好", signature="示例证券", max_parts=1).text == "【示例证券】您好"


@pytest.mark.parametrize("max_parts", [1, 2, 3])
def test_a_long_answer_is_cut_to_the_part_limit_with_a_clean_ending(max_parts):
    answer = "证券交易印花税只在卖出股票时收取，税率为成交金额的0.05%（万分之五），买入不收。" * 8
    sms = render_sms(answer, signature=SIGNATURE, max_parts=max_parts, texts=TEXTS)
    assert sms.segments == max_parts
    assert sms.text.startswith(SIGNATURE) and sms.text.endswith("详询热线95500")
    # Ends on a finished sentence or clause, never inside the brackets.
    head = sms.text[: -len("详询热线95500")].rstrip("…")
    assert head[-1] in "。，）" and head.count("（") == head.count("）")


def test_a_reply_that_fits_is_left_alone():
    sms = render_sms("您的佣金为万分之2.5。", signature=SIGNATURE, max_parts=1, texts=TEXTS)
    assert sms.text == "【示例证券】您的佣金为万分之2.5。"


def test_buttons_become_numbered_options_that_map_back_to_their_payloads():
    options = options_from_buttons(
        [{"title": "查询佣金", "payload": "/ask_my_commission"}, {"title": "转人工", "payload": "/request_human"}]
    )
    sms = render_sms("请问要办理什么？", options, signature=SIGNATURE, max_parts=1, texts=TEXTS)
    assert sms.text == "【示例证券】请问要办理什么？回复1查询佣金；回复2转人工"
    assert [o.payload for o in sms.options] == ["/ask_my_commission", "/request_human"]


def test_options_survive_truncation_of_the_answer():
    options = [Option("满意", "/affirm"), Option("不满意", "/deny")]
    sms = render_sms(HAN * 500, options, signature=SIGNATURE, max_parts=2, texts=TEXTS)
    assert sms.segments == 2
    assert sms.text.endswith("回复1满意；回复2不满意")
    assert "…详询热线95500" in sms.text
    assert sms.options == tuple(options)


def test_an_option_whose_title_starts_with_a_digit_is_kept_apart_from_its_number():
    sms = render_sms("数量？", [Option("2000股", "2000股")], signature=SIGNATURE, max_parts=1, texts=TEXTS)
    assert "回复1 2000股" in sms.text


def test_options_that_cannot_fit_are_not_shown_and_not_mapped():
    options = [Option(HAN * 30, f"/p{i}") for i in range(5)]
    sms = render_sms("请选择：", options, signature=SIGNATURE, max_parts=1, texts=TEXTS)
    assert sms.segments == 1
    assert len(sms.options) < 5
    assert f"回复{len(sms.options) + 1}" not in sms.text


def test_the_opt_out_hint_of_a_proactive_message_is_never_cut():
    sms = render_sms(HAN * 300, signature=SIGNATURE, max_parts=1, texts=TEXTS, suffix="回TD退订")
    assert sms.segments == 1 and sms.text.endswith("回TD退订")


def test_an_sms_is_one_line():
    sms = render_sms("第一行\n\n第二行\n第三行", signature=SIGNATURE, max_parts=1)
    assert "\n" not in sms.text


def test_several_bot_messages_become_one_sms():
    assert join_replies(["您好", "请问有什么可以帮您？"]) == "您好 请问有什么可以帮您？"
    assert join_replies(["已收到。", "请稍候。"]) == "已收到。请稍候。"


@pytest.mark.parametrize(
    "reply, number",
    [("1", 1), (" 2 ", 2), ("２", 2), ("回复3", 3), ("1。", 1), ("12", 12), ("一", None), ("1000股", None), ("", None)],
)
def test_numeric_replies_are_recognised(reply, number):
    assert parse_choice(reply) == number
