"""Customers asking about accounts, trading rules, fees and the service system get sourced answers."""
from __future__ import annotations

import re

import pytest

BASIS = re.compile(r"依据：.+，自\d{4}年\d{1,2}月\d{1,2}日起")


@pytest.mark.parametrize(
    "question, expected",
    [
        # accounts
        ("开个股票账户需要满多少岁", r"18"),
        ("办开户的话要带哪些东西过去", r"身份证"),
        ("能不能在手机上开户", r"APP|App|手机|线上|网上"),
        ("风险测评的等级是怎么分的", r"C1|C5"),
        ("交易密码忘了怎么弄", r"重置|找回|身份证"),
        ("我想开通创业板，有什么条件", r"10\s*万|十万"),
        ("科创板权限的门槛是多少", r"50\s*万|五十万"),
        ("北交所开通要求", r"50\s*万|五十万"),
        ("融资融券开通条件是啥", r"50\s*万|五十万"),
        ("第三方存管是什么意思", r"银行"),
        ("银证转账几点可以转", r"交易日|9[:：]00|转账"),
        ("父亲去世了股票怎么继承", r"非交易过户|继承"),
        ("一个人最多能开几个证券账户", r"3|三"),
        # trading rules
        ("几点开盘几点收盘", r"9[:：]30.*11[:：]30|11[:：]30.*9[:：]30"),
        ("集合竞价的时候能撤单吗", r"9[:：]20|14[:：]57"),
        ("今天买的股票今天能卖吗", r"T\s*\+\s*1|下一个?交易日|次日"),
        ("科创板一次最少买几股", r"200"),
        ("ST股的涨跌幅现在是多少", r"10\s*%"),
        ("创业板涨跌幅限制多少", r"20\s*%"),
        ("北交所涨跌幅是多少", r"30\s*%"),
        ("新股上市头几天有没有涨跌幅限制", r"5个交易日|前5|五个交易日|首日"),
        ("收盘后还能交易吗", r"15[:：]05|15[:：]30"),
        # fees
        ("卖股票的印花税怎么收", r"0\.05\s*%|万分之五|万分之5"),
        ("买ETF要交印花税吗", r"ETF|基金"),
        ("经手费和证管费是多少", r"经手费|证管费"),
        # service system
        ("白金卡有什么特别的服务", r"白金"),
        ("积分可以怎么用", r"积分"),
        ("你们的客服电话多少", r"热线|电话|\d{3}"),
    ],
)
def test_knowledge_questions_get_a_sourced_answer(conversation, question, expected):
    reply = conversation().say(question)
    assert re.search(expected, reply, re.S), reply
    assert BASIS.search(reply), f"no source/effective date in: {reply}"


def test_stamp_duty_answer_says_sell_side_and_the_2023_change(conversation):
    reply = conversation().say("印花税是买卖双方都要交吗")
    assert re.search(r"卖出|卖方", reply)
    assert "2023年8月28日" in reply


def test_st_limit_answer_says_what_changed_and_when(conversation):
    reply = conversation().say("ST股票涨跌幅是5%吗")
    assert "10%" in reply.replace(" ", "")
    assert "2026年7月6日" in reply


def test_traditional_characters_are_understood(conversation):
    reply = conversation().say("開戶需要帶什麼證件")
    assert "身份证" in reply


def test_no_recommendation_of_a_named_security(conversation):
    reply = conversation().say("贵州茅台明天会涨吗，能不能买")
    assert re.search(r"不能|无法|不提供", reply)
    assert re.search(r"投资顾问|投顾", reply)
    assert not re.search(r"建议(买入|卖出)|会涨|会跌", reply.replace("会涨吗", ""))


def test_out_of_domain_question_gets_an_honest_answer_and_a_way_to_a_human(conversation):
    reply = conversation().say("今天北京天气怎么样")
    assert re.search(r"抱歉|无法|暂时", reply)
    assert re.search(r"人工", reply)


@pytest.mark.parametrize("text", ["你好", "在吗", "谢谢你", "再见", "你是机器人吗"])
def test_small_talk_gets_a_short_friendly_reply(conversation, text):
    assert conversation().say(text).strip()


def test_identified_customer_is_told_their_own_tier(conversation):
    assert "白金" in conversation("C0004").say("我现在是什么等级的客户")
    assert "金卡" in conversation("C0003").say("查一下我的客户级别")


def test_anonymous_customer_is_told_how_to_log_in_for_their_tier(conversation):
    assert "登录" in conversation().say("我是什么等级")


def test_forged_token_is_treated_as_anonymous(conversation, bot):
    from bot.identity import issue_token

    talk = conversation()
    forged = issue_token("C0004", "not-the-secret", ttl=3600)
    messages = bot.send(talk.sender, "我是什么等级", {"customer_token": forged})
    text = " ".join(m.get("text", "") for m in messages)
    assert "登录" in text and "您目前是" not in text
