"""Every flow at every step survives every kind of interruption, and takes its own question's
natural answers (a refusal, "不知道", a correction, the value given early or late).

Generated: each flow step is reached by a few turns, then one interruption is sent. The fixture
checks every turn (a reply, no message twice, the turn ends listening, at most one handoff, no
"not understood" unless the cell allows it); each cell adds what must hold for the flow afterwards:
it is still active (resumed) or cleanly ended, and a record is written only when asked.
"""
from __future__ import annotations

import re

import pytest

# (flow step, the turns that reach it, the form active there or None)
STEPS = {
    "fee_waiting": (["我想算一下手续费"], None),
    "complaint_description": (["我要投诉"], "complaint_form"),
    "complaint_phone": (["我要投诉，你们APP昨天一直闪退，委托发不出去"], "complaint_form"),
    "complaint_confirm": (["我要投诉，你们APP昨天一直闪退，委托发不出去", "13912345678"], "complaint_form"),
    "retention_reason": (["我想把账户转到别的券商去"], "retention_form"),
    "retention_offer": (["我想把账户转到别的券商去", "佣金太高了"], "retention_form"),
    "ticket_status": (["我的投诉处理得怎么样了"], None),
    "handoff": (["转人工"], None),
}

# (kind, message, may the reply be "not understood")
INTERRUPTIONS = [
    ("unclear", "嗯……那个就是说", True),
    ("out_of_scope", "明天北京天气怎么样", True),
    ("advice", "茅台现在能买吗", False),
    ("faq", "印花税现在怎么收", False),
    ("greeting", "你好", False),
    ("thanks", "谢谢你", False),
    ("cancel", "算了，不弄了", True),
    ("human", "我要找人工客服", False),
    ("other_flow", "我要查一下我的佣金是多少", False),
    ("empty", " ", True),
    ("emoji", "🙏🙏😂", True),
    ("long", "我想问一下就是那个" * 120, True),
]


@pytest.mark.parametrize("kind, message, fallback", INTERRUPTIONS, ids=[i[0] for i in INTERRUPTIONS])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_flow_survives_an_interruption(conversation, step, kind, message, fallback):
    setup, form = STEPS[step]
    talk = conversation()
    for text in setup:
        talk.turn(text)
    if form:
        assert talk.turns[-1].active_loop == form, f"{step} not reached: {talk.turns[-1].actions}"
    turn = talk.turn(message, fallback=fallback)
    # Nothing the customer did not ask for.
    assert not turn.retention_started, turn.actions
    assert not (turn.complaint_filed_start and not step.startswith("complaint")), turn.actions
    assert not turn.ran("action_submit_complaint"), turn.actions
    if kind == "human":
        assert turn.handoff_requested and turn.active_loop is None, turn.actions
    elif kind == "cancel" and form:
        assert turn.active_loop is None, turn.actions
    elif form == "retention_form" and turn.active_loop is None:
        # Leaving wins an unclear answer: the dialogue may end, with the procedure or the question
        # whether to go ahead, never with a stay the customer did not say.
        assert turn.slots.get("retention_stage") == "done" and "感谢您继续信任" not in turn.reply, turn.reply
    elif form:
        # Resumed: still in the form, and the form's question was asked again in this reply.
        assert turn.active_loop == form, turn.actions
        assert turn.actions[-2] == form, turn.actions
    if kind == "faq":
        assert turn.article == "stamp_duty", turn.actions
    if kind == "advice":
        assert turn.ran("utter_refuse_advice")


# Natural answers to each step's own question: (step, answer, what must hold afterwards)
def _phone_declined(turn):
    return turn.slots.get("complaint_contact") == "declined" and turn.active_loop == "complaint_form"


def _time_kept(turn):
    return turn.slots.get("complaint_time") and turn.active_loop == "complaint_form"


def _procedure(turn):
    return turn.slots.get("retention_stage") == "done" and "流程" in turn.reply and "感谢您继续信任" not in turn.reply


def _quoted(turn):
    return re.search(r"38\.00\s*元", turn.reply) is not None and turn.actions.count("action_quote_fees") == 1


def _asks_whether_to_continue(turn):
    return "继续办理" in turn.reply and turn.slots.get("retention_stage") == "done"


ANSWERS = [
    ("fee_waiting", "卖出，2000股，25元", _quoted),
    ("fee_waiting", "卖出2000股", lambda t: "价格" in t.reply or "金额" in t.reply),
    ("complaint_phone", "不用了", _phone_declined),
    ("complaint_phone", "不方便", _phone_declined),
    ("complaint_phone", "不留", _phone_declined),
    ("complaint_phone", "不留电话", _phone_declined),
    ("complaint_phone", "昨天上午", _time_kept),
    ("complaint_phone", "13912345678", lambda t: "请确认投诉内容" in t.reply),
    ("complaint_confirm", "电话写错了，是13812345678", lambda t: "5678" in t.reply and "请确认" in t.reply),
    ("complaint_confirm", "昨天上午十点左右", lambda t: t.slots.get("complaint_time") and "请确认" in t.reply),
    ("complaint_confirm", "确认", lambda t: re.search(r"CP-\d{8}-\d{4}", t.reply) is not None),
    ("retention_reason", "不方便说", lambda t: t.active_loop == "retention_form" or _procedure(t)),
    ("retention_reason", "别劝了，直接告诉我怎么办", _procedure),
    ("retention_offer", "算了，我还是要办", _procedure),
    ("retention_offer", "还是转吧", _procedure),
    ("retention_offer", "不用了", _procedure),
    ("retention_offer", "我再想想", _asks_whether_to_continue),
    ("ticket_status", "CP-20261201-0001", lambda t: t.ran("action_complaint_status")),
]


@pytest.mark.parametrize("step, answer, holds", ANSWERS, ids=[f"{a[0]}:{a[1]}" for a in ANSWERS])
def test_a_natural_answer_to_the_step_question(conversation, step, answer, holds):
    setup, _ = STEPS[step]
    talk = conversation()
    for text in setup:
        talk.turn(text)
    turn = talk.turn(answer)
    assert holds(turn), (turn.reply, turn.actions, {k: v for k, v in turn.slots.items() if v is not None})
    assert not (turn.retention_started and not step.startswith("retention")), turn.actions
