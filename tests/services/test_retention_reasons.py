"""Free-text reasons for leaving map to the right playbook entry, on wordings the kb has never seen."""
import pytest

from bot.cli.classifier_report import DATA_DIR, RETENTION_HELDOUT, load_heldout, retention_report
from bot.kb.playbooks import RequestTypeId, load_retention
from bot.services.retention_reasons import classify_reason, match_request_type
from bot.common.settings import PROJECT_ROOT

KB_DIR = PROJECT_ROOT / "kb"
MIN_ACCURACY = 0.85


@pytest.fixture(scope="module")
def playbook():
    return load_retention(KB_DIR)


def test_heldout_reasons_are_not_kb_examples(playbook):
    examples = {e for r in playbook.reasons for e in r.examples}
    heldout = load_heldout(DATA_DIR / RETENTION_HELDOUT)
    assert len(heldout) >= 40
    assert not [text for text, _ in heldout if text in examples]


def test_heldout_reason_accuracy_is_at_least_85_percent(capsys):
    report = retention_report(KB_DIR)
    with capsys.disabled():
        print("\n" + report.format())
    assert report.accuracy >= MIN_ACCURACY, report.format()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("你们家手续费比别人贵一倍", "fees_too_high"),
        ("隔壁券商万0.854免五，你们呢", "fees_too_high"),
        ("傭金太高", "fees_too_high"),
        ("我搬到外地去了，过去办事不方便", "branch_far"),
        ("營業部離我太遠", "branch_far"),
        ("我表弟在券商上班，要我去支持下他业绩", "friend_elsewhere"),
        ("朋友那边有开户任务", "friend_elsewhere"),
        ("想去有大户室的营业部，大家一起看盘", "hall_tips"),
        ("那边能打听到内幕消息", "hall_tips"),
        ("你们态度太差了，打电话都没人理", "service_unhappy"),
        ("不想说原因", "other"),
        ("要用钱，不炒了", "other"),
    ],
)
def test_customer_reason_wordings(playbook, text, reason):
    assert classify_reason(text, playbook).label == reason


def test_a_disclaimed_reason_gives_way_to_the_real_one(playbook):
    assert classify_reason("倒不是因为佣金，主要是搬家了", playbook).label == "branch_far"


@pytest.mark.parametrize("text", ["", "嗯", "？？"])
def test_no_reason_is_other_without_guessing(playbook, text):
    result = classify_reason(text, playbook)
    assert (result.label, result.confidence) == ("other", 0.0)


def test_classification_reports_the_cues_it_matched(playbook):
    result = classify_reason("别家都万一免五了", playbook)
    assert result.label == "fees_too_high" and "免五" in result.matched and result.confidence > 0.5


@pytest.mark.parametrize(
    ("text", "request_type"),
    [
        ("我要办转托管", RequestTypeId.TRANSFER_CUSTODY),
        ("帮我撤销指定交易", RequestTypeId.CANCEL_DESIGNATION),
        ("想把沪市转走，怎么撤指定", RequestTypeId.CANCEL_DESIGNATION),
        ("我要销户", RequestTypeId.CLOSE_ACCOUNT),
        ("我要註銷賬戶", RequestTypeId.CLOSE_ACCOUNT),
        ("想换个券商", RequestTypeId.CHANGE_BROKER),
        ("怎么转户", RequestTypeId.CHANGE_BROKER),
    ],
)
def test_request_type_from_triggers(playbook, text, request_type):
    assert match_request_type(text, playbook) is request_type


def test_no_trigger_means_no_request_type(playbook):
    assert match_request_type("佣金是多少", playbook) is None
