"""Customers asking about accounts, trading rules, fees and the service system get sourced answers."""
from __future__ import annotations

import re

import pytest

BASIS = re.compile(r"依据：.+，自\d{4}年\d{1,2}月\d{1,2}日起")


@pytest.mark.parametrize(
    "question, article",
    [
        # accounts
        ("开个股票账户需要满多少岁", "open_eligibility"),
        ("办开户的话要带哪些东西过去", "open_documents"),
        ("能不能在手机上开户", "open_online"),
        ("风险测评的等级是怎么分的", "risk_assessment"),
        ("交易密码忘了怎么弄", "password_reset"),
        ("我想开通创业板，有什么条件", "perm_chinext"),
        ("科创板权限的门槛是多少", "perm_star"),
        ("北交所开通要求", "perm_bse"),
        ("融资融券开通条件是啥", "perm_margin"),
        ("第三方存管是什么意思", "custody"),
        ("银证转账几点可以转", "bank_transfer"),
        ("父亲去世了股票怎么继承", "non_trade_transfer"),
        ("一个人最多能开几个证券账户", "account_limit"),
        ("账户被法院冻结了怎么办", "account_frozen"),
        ("好几年没用的账户还能用吗，要激活吗", "account_dormant"),
        # trading rules
        ("几点开盘几点收盘", "trading_hours"),
        ("集合竞价的时候能撤单吗", "cancel_window"),
        ("今天买的股票今天能卖吗", "t_plus_one"),
        ("科创板一次最少买几股", "lot_size"),
        ("ST股的涨跌幅现在是多少", "st_rules"),
        ("创业板涨跌幅限制多少", "price_limit"),
        ("新股上市头几天有没有涨跌幅限制", "ipo_no_limit"),
        ("收盘后还能交易吗", "after_hours_trading"),
        ("股票停牌了怎么办", "suspension"),
        ("除权除息是什么意思", "ex_rights_price"),
        ("港股通几点开始交易", "hk_trading_hours"),
        ("可转债怎么申购", "cb_subscription"),
        ("逆回购怎么操作", "repo_how_to"),
        # fees
        ("卖股票的印花税怎么收", "stamp_duty"),
        ("买股票要交哪些费用", "fee_overview"),
        ("经手费和证管费是多少", "exchange_fees"),
        # service system
        ("白金卡有什么特别的服务", "tiers"),
        ("积分可以怎么用", "points"),
        ("你们的客服电话多少", "hotline_hours"),
        # the branch's service system (its brochure)
        ("你们有哪些服务是不要钱的", "free_services"),
        ("金卡客户的佣金变现产品是什么", "commission_products"),
        ("总部、营业部和呼叫中心分别管什么", "service_structure"),
        ("你们的投资策略报告会怎么参加", "strategy_briefing"),
    ],
)
def test_knowledge_questions_get_the_right_sourced_article(conversation, question, article):
    turn = conversation().turn(question)
    assert turn.article == article, (turn.article, turn.reply[:80])
    assert BASIS.search(turn.reply), f"no source/effective date in: {turn.reply}"


def test_branch_figures_are_labelled_as_the_branchs_own_policy(conversation):
    reply = conversation().say("积分可以怎么用")
    assert "本营业部规定" in reply and "证监会" not in reply


@pytest.mark.parametrize("text", ["这只转债现在还值不值得拿", "帮我看看明天能不能抄底"])
def test_a_request_for_advice_gets_the_no_advice_line_whatever_the_intent(conversation, text):
    turn = conversation().turn(text)
    assert turn.ran("utter_refuse_advice") and turn.article is None


def test_a_question_no_article_covers_is_not_answered_with_a_neighbouring_one(conversation):
    turn = conversation().turn("股指期货怎么开户")
    assert turn.article is None and "转人工" in turn.reply and not BASIS.search(turn.reply)


def test_a_day_is_answered_from_the_trading_calendar(conversation):
    turn = conversation().turn("这周六能交易吗")
    assert turn.article == "trading_calendar"
    assert "周六" in turn.reply and "休市" in turn.reply and "下一个交易日" in turn.reply


def test_the_fee_overview_states_the_identified_customers_own_rate(conversation):
    reply = conversation("C0003").say("炒股都要交哪些费用")
    assert "印花税" in reply and "过户费" in reply and "万分之1.5" in reply


def test_a_loss_lament_gets_empathy_not_a_complaint_form(conversation):
    turn = conversation().turn("我买的基金最近一直跌，亏了不少，心里没底")
    assert not turn.complaint_filed_start and turn.active_loop is None
    assert "投资顾问" in turn.reply and "联系电话" not in turn.reply


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
    from bot.common.identity import issue_token

    talk = conversation()
    forged = issue_token("C0004", "not-the-secret", ttl=3600)
    text = bot.send(talk.sender, "我是什么等级", {"customer_token": forged}).reply
    assert "登录" in text and "您目前是" not in text
