"""kb/retention.yml and kb/complaints.yml: complete, sourced, honest, and every template renders."""
import copy
import re
from datetime import date

import pytest
import yaml
from pydantic import ValidationError

from bot.kb.playbooks import (
    COMPLAINT_PLACEHOLDERS,
    RETENTION_PLACEHOLDERS,
    ComplaintCatalogue,
    OfferKind,
    RequestTypeId,
    RetentionPlaybook,
    load_complaints,
    load_retention,
)
from bot.common.settings import PROJECT_ROOT

KB_DIR = PROJECT_ROOT / "kb"
TODAY = date(2026, 11, 25)
# [C] in domain-facts §3.3: "no 转托管/撤指定 at noon" is unverified and must not reach customers.
UNVERIFIED_CLAIMS = ("中午", "午间", "午休", "11:30", "13:00")


@pytest.fixture(scope="module")
def raw_retention() -> dict:
    return yaml.safe_load((KB_DIR / "retention.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw_complaints() -> dict:
    return yaml.safe_load((KB_DIR / "complaints.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def playbook() -> RetentionPlaybook:
    return load_retention(KB_DIR)


@pytest.fixture(scope="module")
def catalogue() -> ComplaintCatalogue:
    return load_complaints(KB_DIR)


def _all_text(node) -> str:
    return yaml.safe_dump(node, allow_unicode=True)


def _fill(template: str, names) -> str:
    return template.format(**{name: "X" for name in names})


# ---------------------------------------------------------------- retention playbook


def test_every_reason_has_10_to_15_examples_and_an_offer(playbook):
    for reason in playbook.reasons:
        assert 10 <= len(reason.examples) <= 15, reason.id
        assert reason.keywords and reason.offer.text


def test_every_request_type_has_a_complete_procedure(playbook):
    for request_type in playbook.request_types:
        text = request_type.procedure
        assert "交易日营业时间内" in text and "身份证" in text, request_type.id
        assert "可通过本公司APP预约/办理（以APP实际开放功能为准）" in text, request_type.id
        assert "银证转账" in text and "冻结" in text, request_type.id
        assert "《证券经纪业务管理办法》" in request_type.source, request_type.id


def test_transfer_procedures_name_the_seat_number_and_t_plus_1(playbook):
    for type_id in (RequestTypeId.TRANSFER_CUSTODY, RequestTypeId.CHANGE_BROKER):
        text = playbook.request_type(type_id).procedure
        assert "交易单元号" in text and "席位号" in text and "T+1" in text
    change = playbook.request_type("change_broker").procedure
    assert "转托管" in change and "撤销指定交易" in change  # 转户 covers both markets


def test_closing_requires_no_holdings_orders_or_debts_and_settles_interest(playbook):
    text = playbook.request_type("close_account").procedure
    for condition in ("没有持仓", "未成交的委托", "负债", "利息"):
        assert condition in text


def test_no_unverified_claims_reach_customers(raw_retention, raw_complaints):
    customer_text = _all_text(raw_retention) + _all_text(raw_complaints)
    # Internal notes may discuss [C] items; only customer-facing text is checked.
    customer_text = re.sub(r"note: .*", "", customer_text)
    for claim in UNVERIFIED_CLAIMS:
        assert claim not in customer_text


def test_fee_offer_requests_a_review_and_promises_no_rate(playbook):
    offer = playbook.reason("fees_too_high").offer
    assert offer.kind is OfferKind.FEE_REVIEW
    assert "审批" in offer.text and not re.search(r"万[分之]*[0-9零一二三四五六七八九点.]", offer.text)


def test_second_account_offer_is_phrased_as_current_practice_and_cited(playbook):
    offer = playbook.reason("friend_elsewhere").offer
    assert "按现行规定，一般同一市场最多可开立3个A股账户" in offer.text
    assert offer.citation is not None and offer.citation.effective == date(2016, 10, 15)
    assert "中国结算" in offer.citation.source


def test_unhappy_customers_are_offered_the_complaint_route(playbook):
    assert playbook.reason("service_unhappy").offer.kind is OfferKind.COMPLAINT_HANDOVER


def test_asking_the_reason_is_optional_and_states_the_right(playbook):
    ask = playbook.messages.ack_and_ask_reason
    assert "这是您的权利" in ask and "方便说一下原因吗" in ask and "不方便也没关系" in ask


def test_retention_templates_render(playbook):
    messages = playbook.messages
    for template in (messages.ack_and_ask_reason, messages.insist_ack, messages.declined, messages.cancelled,
                     *messages.accepted_confirmation.values()):
        assert "{" not in _fill(template, RETENTION_PLACEHOLDERS)
    assert "1个交易日内致电" in messages.accepted_confirmation[OfferKind.FEE_REVIEW]


def test_unknown_placeholder_is_rejected(raw_retention):
    broken = copy.deepcopy(raw_retention)
    broken["messages"]["declined"] = "好的，{customer_name}，以下是流程："
    with pytest.raises(ValidationError, match="customer_name"):
        RetentionPlaybook.parse_obj(broken)


def test_missing_required_reason_is_rejected(raw_retention):
    broken = copy.deepcopy(raw_retention)
    broken["reasons"] = [r for r in broken["reasons"] if r["id"] != "hall_tips"]
    with pytest.raises(ValidationError, match="hall_tips"):
        RetentionPlaybook.parse_obj(broken)


def test_missing_procedure_source_is_rejected(raw_retention):
    broken = copy.deepcopy(raw_retention)
    del broken["request_types"][0]["source"]
    with pytest.raises(ValidationError, match="source"):
        RetentionPlaybook.parse_obj(broken)


def test_sourced_records_are_reviewed_and_not_due(playbook, catalogue):
    for ref, record in [*playbook.fact_records(), *catalogue.fact_records()]:
        assert record.reviewed == TODAY and record.review_by > TODAY, ref
        assert record.effective <= TODAY, ref


# ---------------------------------------------------------------- complaint catalogue


def test_the_six_categories_with_12_to_15_examples(catalogue):
    assert [c.id for c in catalogue.categories] == [
        "system_failure", "business_error", "data_leak", "cancellation_delay", "staff_attitude", "other"]
    for category in catalogue.categories:
        assert 12 <= len(category.examples) <= 15, category.id
        assert any(e.startswith("我要投诉") for e in category.examples), category.id


def test_sla_comes_from_branch_policy_and_better_tiers_are_faster(catalogue):
    assert catalogue.sla_policy.source == "本营业部客户投诉处理办法（2026版）"
    for category in catalogue.categories:
        hours = category.sla_hours
        assert hours.platinum <= hours.gold < hours.normal, category.id


def test_regulator_notice_and_created_message_name_12386(catalogue):
    assert "12386" in catalogue.regulator_notice.text
    created = _fill(catalogue.messages.created, COMPLAINT_PLACEHOLDERS["created"])
    assert "12386" in created and "{" not in created


def test_no_ticket_id_when_the_database_is_down(catalogue):
    assert "{ticket_id}" not in catalogue.messages.db_down and "尚未生成" in catalogue.messages.db_down


def test_confirm_summary_renders(catalogue):
    summary = _fill(catalogue.messages.confirm_summary, COMPLAINT_PLACEHOLDERS["confirm_summary"])
    assert "{" not in summary


def test_created_message_without_ticket_id_is_rejected(raw_complaints):
    broken = copy.deepcopy(raw_complaints)
    broken["messages"]["created"] = "已登记，我们会尽快联系您。"
    with pytest.raises(ValidationError, match="ticket_id"):
        ComplaintCatalogue.parse_obj(broken)


def test_slower_sla_for_a_better_tier_is_rejected(raw_complaints):
    broken = copy.deepcopy(raw_complaints)
    broken["categories"][0]["sla_hours"]["platinum"] = 999
    with pytest.raises(ValidationError, match="higher tier"):
        ComplaintCatalogue.parse_obj(broken)


def test_duplicate_examples_are_rejected(raw_complaints):
    broken = copy.deepcopy(raw_complaints)
    broken["categories"][0]["examples"].append(broken["categories"][0]["examples"][0])
    with pytest.raises(ValidationError, match="duplicates"):
        ComplaintCatalogue.parse_obj(broken)


def test_tier_sla_hours_agree_with_the_tier_factors_in_tiers_yml(catalogue):
    from bot.kb import load_kb  # the tiers are another file's; only their factor is compared here

    kb = load_kb(KB_DIR)
    for category in catalogue.categories:
        for tier in kb.tiers:
            expected = category.sla_hours.normal * tier.complaint_sla_factor
            assert category.sla_hours.for_tier(tier.id) == expected, (category.id, tier.id.value)
