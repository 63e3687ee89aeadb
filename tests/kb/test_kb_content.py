"""The facts customers are told: each test names the fact and the words an answer must carry.

These mirror /work/shared/reference/domain-facts.md and the 2026-07-06 trading-rule revision; if a
fact changes, the kb and this file change together.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.kb import KnowledgeBase, render_article

RULES_2026 = date(2026, 7, 6)


def answer(kb: KnowledgeBase, article_id: str) -> str:
    return render_article(kb.article(article_id))


def assert_mentions(text: str, *phrases: str) -> None:
    missing = [p for p in phrases if p not in text]
    assert not missing, f"missing {missing} in: {text}"


def test_stamp_duty_is_half_a_permille_on_sells_since_2023_08_28(kb):
    article = kb.article("stamp_duty")
    assert_mentions(article.answer, "0.05%", "万分之五", "卖出", "2023年8月28日", "0.1%")
    assert "财政部 税务总局公告2023年第39号" in article.source
    assert article.effective == date(2023, 8, 28)
    assert article.changed and "0.1%" in article.changed


def test_transfer_fee_is_0_001_percent_both_sides_since_2022_04_29(kb):
    article = kb.article("transfer_fee")
    assert_mentions(article.answer, "0.001%", "双向", "2022年4月29日")
    assert article.effective == date(2022, 4, 29)


def test_commission_is_negotiated_capped_with_branch_default_and_minimum(kb):
    text = kb.article("commission").answer
    assert_mentions(text, "协商", "0.3%", "千分之三", "万分之2.5", "0.025%", "经手费", "证管费", "不足5元按5元收取")


def test_trading_hours_cover_every_session_including_after_hours(kb):
    article = kb.article("trading_hours")
    assert_mentions(article.answer, "9:15–9:25", "集合竞价", "9:30–11:30", "13:00–15:00", "14:57–15:00", "15:05–15:30")
    assert article.changed and "2026年7月6日" in article.changed


def test_after_hours_trading_says_it_widened_on_2026_07_06(kb):
    article = kb.article("after_hours_trading")
    assert_mentions(article.answer, "15:05–15:30", "收盘价", "2026年7月6日", "全部沪深A股和ETF")
    assert article.effective == RULES_2026 and article.changed
    # BSE coverage is unconfirmed ([C]): the answer must not claim it either way.
    assert "以北交所公告为准" in article.answer


def test_sse_fund_closing_auction_is_mentioned_as_a_2026_change(kb):
    assert_mentions(kb.article("call_auction").answer, "上交所基金", "14:57–15:00", "2026年7月6日")


def test_cancel_is_impossible_in_both_call_auction_windows(kb):
    assert_mentions(kb.article("cancel_window").answer, "9:20–9:25", "14:57–15:00", "不接受撤单")


def test_t_plus_one_and_which_products_trade_t_plus_zero(kb):
    text = kb.article("t_plus_one").answer
    assert_mentions(text, "T+1", "下一个交易日才能卖出", "可转债", "T+0", "债券ETF", "黄金ETF", "跨境ETF", "货币ETF")
    # The ETF list is practice ([M]), so it must be hedged.
    assert "通常" in text


def test_lot_sizes_by_board_and_odd_lots(kb):
    text = kb.article("lot_size").answer
    assert_mentions(text, "100股", "1手", "科创板", "200股", "北交所", "1股递增", "零股", "只能卖出", "一次性")


def test_price_limits_for_every_board_with_st_change(kb):
    article = kb.article("price_limit")
    assert_mentions(article.answer, "主板10%", "创业板20%", "科创板20%", "北交所30%", "ST", "2026年7月6日", "5%", "前5个交易日", "首日")
    assert article.changed and "5%" in article.changed and "10%" in article.changed


def test_st_limit_is_no_longer_described_as_5_percent_today(kb):
    # Older brochures say ST stocks move ±5%; that ended on 2026-07-05. Any 5% mention must be history.
    for article in kb.articles:
        if "ST" in article.answer and "5%" in article.answer:
            assert "由5%调整为10%" in article.answer, article.id


@pytest.mark.parametrize(
    "article_id, phrases",
    [
        ("perm_chinext", ["20个交易日日均资产不低于10万元", "24个月"]),
        ("perm_star", ["50万元", "24个月"]),
        ("perm_bse", ["50万元", "24个月"]),
        ("perm_hk_connect", ["50万元"]),
        ("perm_margin", ["50万元", "6个月"]),
    ],
)
def test_permission_thresholds(kb, article_id, phrases):
    assert_mentions(kb.article(article_id).answer, *phrases)


@pytest.mark.parametrize("article_id", ["perm_hk_connect", "perm_margin", "perm_bse"])
def test_practice_only_thresholds_are_hedged(kb, article_id):
    # [M]/[VS-weak] facts may only be given as common practice, subject to the branch's review.
    text = kb.article(article_id).answer
    assert ("一般" in text or "通常" in text) and "以营业部审核" in text


def test_opening_documents_and_eligibility(kb):
    assert_mentions(kb.article("open_documents").answer, "身份证", "本人一类银行卡", "本人手机号")
    assert_mentions(kb.article("open_eligibility").answer, "年满18周岁", "本人", "16至18周岁", "劳动收入", "主要生活来源")


def test_password_reset_explains_both_passwords_and_both_channels(kb):
    assert_mentions(kb.article("password_reset").answer, "交易密码", "资金密码", "重置", "身份证", "人脸识别", "App", "营业部")


def test_custody_explains_third_party_custody_and_changing_bank(kb):
    assert_mentions(kb.article("custody").answer, "银行", "第三方存管", "变更存管银行")


def test_tiers_article_names_every_tier_and_the_premium_benefits(kb):
    assert_mentions(kb.article("tiers").answer, "普通", "银卡", "金卡", "白金卡", "一对一专属服务", "优先热线", "优先通道")
    for tier in kb.tiers:
        assert f"{tier.name}{tier.points_multiplier.normalize():f}倍" in kb.article("tiers").answer
    assert any("一对一专属服务" in b for b in kb.tier("gold").benefits)
    assert any("一对一专属服务" in b for b in kb.tier("platinum").benefits)
    assert not any("一对一" in b for b in kb.tier("normal").benefits)


def test_points_article_matches_the_points_rules(kb):
    # The brochure: points can be used to apply for a tier upgrade or converted into paid SMS.
    assert_mentions(kb.article("points").answer, "积分", "佣金", "推荐开户", "满一年", "建议被采纳", "申请客户等级升级", "付费短信", "礼品")
    assert {r.id for r in kb.service.points.earn} == {"commission", "referral", "loyalty", "suggestion"}
    commission_rule = next(r for r in kb.service.points.earn if r.id == "commission")
    per_yuan = kb.branch.text("points_per_yuan")
    assert commission_rule.per_yuan == Decimal(per_yuan) and f"每1元佣金积{per_yuan}分" in kb.article("points").answer
    referral = next(r for r in kb.service.points.earn if r.id == "referral")
    assert f"{referral.points}分" in kb.article("points").answer


def test_info_products_are_paid_as_the_brochure_says_without_stock_advice(kb):
    # The branch's brochure lists 投资咨询短信、账户管理短信、IPO短信 as paid products (the kb used to say free).
    text = kb.article("info_products").answer
    assert_mentions(text, "付费", "投资咨询短信", "账户管理短信", "IPO短信", "不构成对具体证券的买卖建议")
    products = {p.name: p for p in kb.service.info_products}
    assert products["账户管理短信"].paid and products["IPO短信"].paid and products["投资咨询短信"].paid
    assert "免费账户管理短信" not in "".join(b for t in kb.tiers for b in t.benefits)


def test_hotline_article_matches_branch_configuration(kb):
    service = kb.service
    text = kb.article("hotline_hours").answer
    assert "示例" in service.hotline, "the demo hotline must be recognisably fake"
    assert_mentions(text, service.hotline, service.branch_hours.replace("交易日", ""))
    assert kb.article("hotline_hours").source.startswith("本营业部服务公告")


def test_bank_transfer_hours_come_from_branch_configuration(kb):
    hours = kb.service.bank_transfer_hours
    assert hours in kb.article("bank_transfer").answer
    assert kb.article("bank_transfer").source.startswith("本营业部")


def test_fee_articles_agree_with_the_fee_schedule(kb):
    current = kb.fee_schedule_on(date(2026, 11, 25))
    assert current.stamp_duty.rate == Decimal("0.0005") and current.stamp_duty.side.value == "sell"
    assert current.transfer_fee.rate == Decimal("0.00001") and current.transfer_fee.side.value == "both"
    assert current.commission.rate == Decimal("0.00025") and current.commission.minimum == Decimal("5.00")
    assert set(current.commission.includes) == {"经手费", "证管费"}


def test_no_article_states_unverified_claims(kb):
    # [C] items in domain-facts.md: never to customers as fact.
    banned = ["超范围直接废单", "中午不能", "2025年4月1日", "一人一户"]
    for article in kb.articles:
        for phrase in banned:
            assert phrase not in render_article(article), (article.id, phrase)


def test_rule_articles_cite_the_2026_trading_rules(kb):
    for article in kb.articles:
        # The calendar rests on the exchanges' holiday notices.
        if article.topic.value == "rules" and article.id != "trading_calendar":
            assert "上证发〔2026〕41号" in article.source and "深证上〔2026〕551号" in article.source
            assert article.effective == RULES_2026


def test_price_cage_cites_the_rules_in_force_and_leaves_c_items_open(kb):
    # The 2023 editions were replaced on 2026-07-06; 2023-04-10 is when the main-board cage began (history).
    article = kb.article("price_cage")
    assert article.effective == RULES_2026 and "上证发〔2026〕41号" in article.source and "2023年修订" not in article.source
    assert "2023年4月10日" in article.answer and article.changed and "2023年4月10日" in article.changed
    # The 2026 cage articles were not read: unverified, and the answer says to rely on the latest notice.
    assert article.verified is False and "以本营业部/交易所最新公告为准" in article.answer
    # [C]: whether ChiNext/STAR also have the 10-tick floor; the SMS form must not imply either way.
    assert "主板另有" not in article.short and "10个价位" not in article.short
    assert_mentions(article.answer, "102%", "98%", "可能被拒绝或暂不成交", "以交易所")


def test_bse_facts_cite_the_bse_trading_rules(kb):
    for article_id in ("lot_size", "price_tick", "price_limit", "st_rules", "ipo_no_limit"):
        assert "北证公告〔2026〕17号" in kb.article(article_id).source, article_id


def test_branch_practice_is_attributed_to_the_branch(kb):
    from bot.kb.render import is_branch_only

    for article in kb.articles:
        if article.topic.value == "service":
            assert is_branch_only(article.source), article.id
            assert "依据：本营业部规定（" in render_article(article), article.id
    for tier in kb.tiers:
        assert "本营业部佣金审批权限（2026版）" in tier.source
