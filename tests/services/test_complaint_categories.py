"""Complaint texts map to a category (and so a severity and SLA), on wordings the kb has never seen."""
import pytest

from bot.cli.classifier_report import COMPLAINTS_HELDOUT, DATA_DIR, complaints_report, load_heldout
from bot.services.complaint_categories import classify_complaint
from bot.kb.playbooks import Severity, load_complaints
from bot.common.settings import PROJECT_ROOT

KB_DIR = PROJECT_ROOT / "kb"
MIN_ACCURACY = 0.85


@pytest.fixture(scope="module")
def catalogue():
    return load_complaints(KB_DIR)


def test_heldout_complaints_are_not_kb_examples(catalogue):
    examples = {e for c in catalogue.categories for e in c.examples}
    heldout = load_heldout(DATA_DIR / COMPLAINTS_HELDOUT)
    assert len(heldout) >= 40
    assert not [text for text, _ in heldout if text in examples]


def test_heldout_complaint_category_accuracy_is_at_least_85_percent(capsys):
    report = complaints_report(KB_DIR)
    with capsys.disabled():
        print("\n" + report.format())
    assert report.accuracy >= MIN_ACCURACY, report.format()


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我要投诉，你们APP今天早上登录不了", "system_failure"),
        ("你们APP又崩了，太坑了", "system_failure"),
        ("交易软件一开盘就卡死", "system_failure"),
        ("佣金扣得比约定的多，你们算错了", "business_error"),
        ("科创板权限到现在都没给我开通", "business_error"),
        ("我的个人信息被泄露，天天接骚扰电话", "data_leak"),
        ("有骗子冒充你们员工，知道我的持仓", "data_leak"),
        ("撤单没撤掉，亏了好几千", "cancellation_delay"),
        ("转托管拖了一个礼拜还没办", "cancellation_delay"),
        ("撤指定一直不给办", "cancellation_delay"),
        ("柜台工作人员态度恶劣", "staff_attitude"),
        ("客服電話永遠打不通", "staff_attitude"),
        ("营销短信退订了还一直发", "other"),
        ("客户经理承诺保本，结果亏了", "other"),
    ],
)
def test_complaint_wordings(catalogue, text, category):
    assert classify_complaint(text, catalogue).label == category


def test_an_empty_complaint_is_other(catalogue):
    assert classify_complaint("", catalogue).label == "other"


def test_category_gives_severity_and_a_faster_sla_for_gold_and_platinum(catalogue):
    category = catalogue.category(classify_complaint("我的资料被泄露了", catalogue).label)
    assert category.id == "data_leak" and category.severity is Severity.HIGH
    assert catalogue.sla_hours("data_leak", "platinum") <= catalogue.sla_hours("data_leak", "gold")
    assert catalogue.sla_hours("data_leak", "金卡") < catalogue.sla_hours("data_leak", "普通")
