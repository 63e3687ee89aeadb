"""Issue 19: every citation names the document that really says it, branch figures live once in
kb/branch.yml, the brochure's service system answers, and `python -m bot.kb check` fails on each way
of getting this wrong (each mutation is applied to a temp copy of kb/)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.kb import load_kb, read_kb, render_article
from bot.kb.branch import POLICY, load_branch
from bot.kb.check import check_kb
from bot.kb.citations import UNVERIFIED_NOTICE, editions, issuers, sms_basis
from bot.kb.models import SHORT_MAX_CHARS
from bot.kb.playbooks import load_complaints, load_retention
from bot.kb.render import render_for_channel

TODAY = date(2026, 12, 7)
CDD = "《金融机构客户尽职调查和客户身份资料及交易记录保存管理办法》"


def _article(data, article_id):
    return next(a for a in data if a["id"] == article_id)


# ---------------------------------------------------------------- corrected citations (pinned)


@pytest.mark.parametrize("article_id", ["open_documents", "change_details", "institutional_account"])
def test_due_diligence_cites_the_2026_edition_by_its_three_issuers(kb, article_id):
    article = kb.article(article_id)
    assert CDD in article.source and "国家金融监督管理总局" in article.source and "中国证监会" in article.source
    assert "银保监会" not in article.source and "2025年公布" in article.source
    assert article.effective == date(2026, 1, 1) or article_id == "institutional_account"


def test_price_cage_cites_the_2026_rules_and_keeps_2023_04_10_as_history(kb):
    article = kb.article("price_cage")
    assert "《上海证券交易所交易规则（2026年修订）》" in article.source and "深证上〔2026〕551号" in article.source
    assert "2023" not in article.source and article.effective == date(2026, 7, 6)
    assert "2023年4月10日" in article.changed


def test_margin_and_hk_connect_thresholds_cite_regulatory_rules_not_broker_practice(kb):
    margin, hk = kb.article("perm_margin"), kb.article("perm_hk_connect")
    assert "《证券公司融资融券业务管理办法》（中国证监会令第117号）" in margin.source
    assert "融资融券交易实施细则（2023年修订）" in margin.source
    assert "《上海证券交易所沪港通业务实施办法（2024年修订）》" in hk.source and "深港通业务实施办法（2024年修订）" in hk.source
    for article in (margin, hk):
        assert "通行要求" not in article.source and "令第130号" not in article.source
        # The clause with the 500,000-yuan test was not read: marked, and the answer defers to the notice.
        assert article.verified is False and UNVERIFIED_NOTICE in article.answer


def test_star_threshold_cites_the_star_special_provisions_not_the_opening_day(kb):
    article = kb.article("perm_star")
    assert "《上海证券交易所科创板股票交易特别规定》（2019年）" in article.source
    assert article.effective != date(2019, 7, 22)
    assert article.verified is False and UNVERIFIED_NOTICE in article.answer


def test_account_limit_and_its_retention_offer_cite_the_csdc_account_guide(kb):
    guide = "中国结算《证券账户业务指南》（2016年10月版）"
    article = kb.article("account_limit")
    assert article.source.startswith(guide) and article.effective == date(2016, 10, 15)
    offer = kb.retention.reason("friend_elsewhere").offer
    assert offer.citation.source == guide and offer.citation.effective == date(2016, 10, 15)
    assert "相关规定" not in offer.text and "相关规定" not in article.source


def test_request_types_are_not_dated_by_the_brokerage_measures_without_an_article(kb):
    playbook = kb.retention
    designation = playbook.request_type("cancel_designation")
    assert "《上海证券交易所指定交易实施细则》" in designation.source and "通行做法" not in designation.source
    for request_type in playbook.request_types:
        # No article of 《证券经纪业务管理办法》 about 转户/销户 was found: its 2023-03-01 dates no procedure.
        assert request_type.effective != date(2023, 3, 1), request_type.id
        assert request_type.verified is False and UNVERIFIED_NOTICE in request_type.procedure
    assert playbook.customer_right.verified is False


def test_online_opening_cites_the_2013_account_opening_standard(kb):
    article = kb.article("open_online")
    assert "中国证券业协会《证券公司开立客户账户规范》（2013年）" in article.source
    assert "中国结算《证券账户非现场开户实施暂行办法》（2013年）" in article.source
    assert article.effective == date(2013, 3, 15)


def test_suitability_ban_is_about_the_lowest_category_not_c1(kb):
    article = kb.article("risk_assessment")
    assert "风险承受能力最低类别" in article.answer and "C1（最低类别）" not in article.answer
    assert "第十九条、第二十二条" in article.source


def test_regulatory_fee_cites_its_document(kb):
    article = kb.article("exchange_fees")
    assert "《国家发展改革委、财政部关于降低证券、期货市场监管费收费标准等问题的通知》" in article.source
    assert "证管费0.002%自2012年7月1日起执行" not in article.source


def test_every_source_names_an_allowed_issuer(kb):
    for article in kb.articles:
        assert issuers(article.source), article.id


# ---------------------------------------------------------------- branch policy


def test_every_branch_value_is_marked_as_branch_policy_with_approver_and_date(kb):
    branch = kb.branch
    assert branch is not None and branch.values
    for name, value in branch.values.items():
        assert value.policy == POLICY and value.approved_by and value.approved == date(2026, 12, 1), name
        assert value.document in branch.document_names(), name
    assert branch.raw("paid_sms_products", "account_sms") is True and branch.raw("paid_sms_products", "ipo_sms") is True


def test_branch_figures_reach_every_consumer_from_branch_yml(kb):
    branch = kb.branch
    for tier in kb.tiers:
        assert tier.points_multiplier == Decimal(branch.text("tier_points_multiplier", tier.id.value))
        assert tier.min_commission_rate_offer == Decimal(branch.text("tier_min_commission_rate", tier.id.value))
        assert tier.complaint_sla_factor == float(branch.text("tier_complaint_sla_factor", tier.id.value))
    assert kb.service.hotline_hours == branch.text("hotline_hours") and kb.service.hotline == branch.text("hotline")
    catalogue = load_complaints(kb.path)
    for category in catalogue.categories:
        assert category.sla_hours.gold == category.sla_hours.normal * Decimal(branch.text("tier_complaint_sla_factor", "gold"))
    promise = f"{branch.text('callback_trading_days')}个交易日内致电"
    assert promise in load_retention(kb.path).messages.accepted_confirmation["fee_review"]
    assert "{" not in render_article(kb.article("tiers")) + render_article(kb.article("hotline_hours"))


def test_changing_a_branch_value_changes_every_answer_that_states_it(kb_copy: Path, edit_yaml):
    edit_yaml(kb_copy / "branch.yml", lambda d: d["values"]["tier_points_multiplier"]["value"].update(gold="1.8"))
    edit_yaml(kb_copy / "branch.yml", lambda d: d["values"]["callback_trading_days"].update(value=2))
    copy = load_kb(kb_copy)
    assert copy.tier("gold").points_multiplier == Decimal("1.8") and "金卡1.8倍" in copy.article("tiers").answer
    assert any("1.8倍" in b for b in copy.tier("gold").benefits)
    assert "2个交易日内致电" in load_retention(kb_copy).messages.accepted_confirmation["fee_review"]


def test_branch_answers_say_branch_policy_and_cite_no_regulator(kb):
    for article_id in sorted(kb.branch_article_ids):
        text = render_article(kb.article(article_id))
        assert "本营业部规定" in text, article_id
        assert not (set(issuers(kb.article(article_id).source)) - {"本营业部"}), article_id


# ---------------------------------------------------------------- the brochure's service system


@pytest.mark.parametrize(
    "article_id, phrases",
    [
        ("tiers", ["资产或佣金", "银卡客户拨打客服电话优先接入", "专属客服中心号码", "专属服务团队", "在线、电话、网上、短信和柜台"]),
        ("points", ["申请客户等级升级", "付费短信"]),
        ("free_services", ["研究报告", "自助语音", "营业部公告栏"]),
        ("commission_products", ["金卡和白金卡", "投资咨询短信", "账户管理短信", "IPO短信", "普通和银卡客户不能"]),
        ("service_structure", ["总部的投资顾问平台", "营业部的现场服务平台", "客服中心"]),
        ("strategy_briefing", ["投资策略报告会", "不构成对具体证券的买卖建议"]),
        ("account_limit", ["证券账户合并"]),
        ("institutional_account", ["以机构自己的名义", "营业执照", "法定代表人"]),
    ],
)
def test_the_brochure_service_facts_are_answered(kb, article_id, phrases):
    text = kb.article(article_id).answer
    missing = [p for p in phrases if p not in text]
    assert not missing, (article_id, missing)


def test_new_service_articles_have_25_examples_of_their_own(project_root: Path):
    data = yaml.safe_load((project_root / "data/nlu/faq_service_system.yml").read_text(encoding="utf-8"))
    counts = {b["intent"]: len([line for line in b["examples"].splitlines() if line.strip().startswith("- ")]) for b in data["nlu"]}
    for article_id in ("free_services", "commission_products", "service_structure", "strategy_briefing"):
        assert counts[f"faq/{article_id}"] >= 25, article_id


# ---------------------------------------------------------------- SMS basis


def test_sms_answers_end_with_a_short_basis_within_one_sms(kb):
    for article in kb.articles:
        sms = render_for_channel(article, "sms")
        assert sms.startswith(article.short.rstrip("。")) and "依据：" in sms, article.id
        assert len(sms) <= SHORT_MAX_CHARS, (article.id, len(sms))  # + 【signature】 fits 70
    assert render_for_channel(kb.article("lot_size"), "sms").endswith("依据：交易所规则")
    assert render_for_channel(kb.article("stamp_duty"), "sms").endswith("依据：财税规定")
    assert render_for_channel(kb.article("tiers"), "sms").endswith("依据：本营业部规定")
    assert render_for_channel(kb.article("perm_margin"), "sms").endswith("依据：以最新公告为准")
    assert sms_basis("《中华人民共和国证券法》（2019年修订）") == "依据：法律规定"


def test_editions_are_read_from_the_title():
    [edition] = editions("《上海证券交易所交易规则（2026年修订）》（上证发〔2026〕41号）")
    assert edition.title == "上海证券交易所交易规则" and edition.year == 2026
    [edition] = editions(CDD + "（中国人民银行、国家金融监督管理总局、中国证监会，2025年公布）")
    assert edition.year == 2025


# ---------------------------------------------------------------- the check fails on each mutation


def _set_article(file: str, article_id: str, **changes):
    return file, lambda data: _article(data, article_id).update(changes)


MUTATIONS = {
    "source_placeholder": (
        *_set_article("articles/fees.yml", "stamp_duty", source="待补"),
        "is a placeholder (待补)",
    ),
    "effective_after_today": (
        *_set_article("articles/rules.yml", "lot_size", effective=date(2030, 1, 1)),
        "effective 2030-01-01 is after today",
    ),
    "announced_but_answer_silent": (
        *_set_article("articles/rules.yml", "lot_size", effective=date(2030, 1, 1), announced=True),
        "the answer must say it takes effect on 2030年1月1日",
    ),
    "announced_mark_left_after_the_date": (
        *_set_article("articles/rules.yml", "lot_size", announced=True),
        "marked announced but in force since 2026-07-06",
    ),
    "issuer_outside_allow_list": (
        *_set_article("articles/account.yml", "open_eligibility", source="某财经网站整理的开户指南"),
        "names no issuer on the allow-list",
    ),
    "defunct_issuer": (
        *_set_article("articles/account.yml", "open_documents",
                      source=CDD + "（中国人民银行、银保监会、证监会）", effective=date(2022, 3, 1)),
        "names 银保监会, which no longer exists",
    ),
    "superseded_edition": (
        *_set_article("articles/rules.yml", "price_cage",
                      source="《上海证券交易所交易规则（2023年修订）》（上证发〔2023〕32号）", effective=date(2023, 4, 10)),
        "superseded by 《上海证券交易所交易规则（2026年修订）》",
    ),
    "superseded_due_diligence_edition": (
        *_set_article("articles/account.yml", "change_details",
                      source=CDD + "（中国人民银行、中国证监会等，令〔2022〕第1号）", effective=date(2022, 3, 1)),
        "superseded by " + CDD,
    ),
    "undeclared_branch_document": (
        *_set_article("articles/service.yml", "points", source="本营业部积分细则（2027版）"),
        "is not a branch document declared in branch.yml",
    ),
    "branch_figure_cites_a_regulator": (
        *_set_article("articles/service.yml", "tiers", source="《证券期货投资者适当性管理办法》（中国证监会令第130号）"),
        "states a branch figure",
    ),
    "st_limit_back_to_5_percent": (
        *_set_article("articles/rules.yml", "st_rules",
                      answer="沪深主板ST和*ST股票的涨跌幅限制为5%。创业板、科创板的ST股票为20%，北交所为30%。",
                      changed=None),
        "outdated claim: ST/*ST ±5%",
    ),
    "unverified_without_notice": (
        *_set_article("articles/fees.yml", "commission", verified=False),
        "verified is false: the answer must say",
    ),
    "sms_basis_over_budget": (
        *_set_article("articles/fees.yml", "transfer_fee", short="过" * 55),
        "short with its basis is",
    ),
    "rule_stating_offer_without_citation": (
        "retention.yml",
        lambda data: next(r for r in data["reasons"] if r["id"] == "friend_elsewhere")["offer"].pop("citation"),
        "states a rule",
    ),
    "entities_without_effective": (
        "entities.yml",
        lambda data: data.pop("effective"),
        "entities.yml: no effective date",
    ),
    "replies_with_a_different_commission": (
        "replies.yml",
        lambda data: data.update(my_commission_anonymous="本营业部默认佣金为万分之3（含规费），每笔最低{minimum}元。"),
        "my_commission_anonymous: states the rate '万分之3'",
    ),
    "replies_copying_the_commission": (
        "replies.yml",
        lambda data: data.update(my_commission_anonymous="本营业部默认佣金为万分之2.5（含规费），每笔最低5元。"),
        "states '5元', a kb value (fees.yml commission minimum)",
    ),
    "sms_copying_branch_hours": (
        "sms.yml",
        lambda data: data.update(unavailable="系统繁忙，人工服务时间9:00–17:00，请致电{hotline}。"),
        "states '9:00–17:00', a kb value (branch.yml",
    ),
    "retention_copying_the_callback_promise": (
        "retention.yml",
        lambda data: data["messages"]["accepted_confirmation"].update(none="好的（编号{case_id}），1个交易日内回电。"),
        "states '1个交易日', a kb value (branch.yml callback_trading_days)",
    ),
    "tiers_copying_a_branch_figure": (
        "tiers.yml",
        lambda data: data["tiers"][2].update(points_multiplier="1.5"),
        "points_multiplier is branch policy",
    ),
    "complaints_copying_derived_hours": (
        "complaints.yml",
        lambda data: data["categories"][0]["sla_hours"].update(gold=4),
        "only `normal` is written here",
    ),
    "branch_value_without_approval": (
        "branch.yml",
        lambda data: data["values"]["referral_points"].pop("approved_by"),
        "approved_by",
    ),
    "branch_value_not_marked_as_branch_policy": (
        "branch.yml",
        lambda data: data["values"]["referral_points"].update(policy="证监会规定"),
        "policy must be",
    ),
}


def test_the_real_kb_passes_today():
    report = check_kb(Path(__file__).resolve().parents[2] / "kb", TODAY)
    assert report.ok, report.problems


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_check_fails_on_each_mutation(name: str, kb_copy: Path, edit_yaml):
    file, change, message = MUTATIONS[name]
    assert check_kb(kb_copy, TODAY).ok  # the untouched copy passes
    edit_yaml(kb_copy / file, change)
    report = check_kb(kb_copy, TODAY)
    assert not report.ok, name
    assert any(message in p for p in report.problems), report.problems


def test_an_announced_rule_whose_answer_says_so_passes(kb_copy: Path, edit_yaml):
    def announce(data):
        article = _article(data, "lot_size")
        article.update(effective=date(2030, 1, 1), announced=True,
                       answer=article["answer"] + "本条规定将于2030年1月1日起施行，目前尚未施行。")
    edit_yaml(kb_copy / "articles/rules.yml", announce)
    report = check_kb(kb_copy, TODAY)
    assert not [p for p in report.problems if "lot_size" in p], report.problems
    assert "将于2030年1月1日起施行（已公布，尚未施行）" in render_article(read_kb(kb_copy)[0].article("lot_size"))


def test_a_number_in_a_domain_response_that_copies_the_kb_fails(kb_copy: Path, tmp_path: Path):
    domain = tmp_path / "domain"
    domain.mkdir()
    (domain / "extra.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_rate:\n  - text: 默认佣金万分之2.5，最低5元\n', encoding="utf-8")
    report = check_kb(kb_copy, TODAY, tmp_path)
    assert any("domain/extra.yml: utter_rate: states the rate" in p for p in report.problems), report.problems


def test_the_cli_fails_on_a_mutation(run_cli, kb_copy: Path, edit_yaml):
    edit_yaml(kb_copy / "articles/fees.yml", lambda data: _article(data, "stamp_duty").update(source="待补"))
    result = run_cli("check", "--kb", str(kb_copy), "--today", TODAY.isoformat())
    assert result.returncode != 0 and "待补" in result.stderr


def test_anonymous_commission_reply_is_rendered_from_fees_yml(kb):
    template = kb.replies.templates["my_commission_anonymous"]
    assert "{rate}" in template and "{minimum}" in template and "2.5" not in template


def test_branch_yml_loads_on_its_own(kb):
    assert load_branch(kb.path).document_names() == kb.branch.document_names()
