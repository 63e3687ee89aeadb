"""The answer to the retention offer, when the classifier filed it under another intent or was unsure."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.retention import ValidateRetentionForm
from bot.services import retention

ASKED = {"requested_slot": "retention_decision", "retention_reason": "fees_too_high"}


@pytest.mark.parametrize("text, intent, decision", [
    ("好的，那帮我提交吧", "nlu_fallback", retention.ACCEPTED),
    ("可以啊", "greet", retention.ACCEPTED),
    ("不用了，谢谢", "thank", retention.DECLINED),
    ("那就帮我办转户", "affirm", retention.INSIST),      # naming the request again is insisting
    ("我还是要转托管", "nlu_fallback", retention.INSIST),
    ("别劝了", "affirm", retention.INSIST),
    ("算了，不转了", "deny", retention.STAY),
    ("嗯……我再想想", "nlu_fallback", retention.UNDECIDED),
])
async def test_the_answer_to_the_offer(store, tracker, text, intent, decision):
    form = ValidateRetentionForm()
    found = await form.extract_retention_decision(CollectingDispatcher(), tracker(text, intent, slots=ASKED), {})
    assert found == {"retention_decision": decision}


async def test_a_question_in_the_middle_is_left_to_its_own_answer(store, tracker):
    form = ValidateRetentionForm()
    found = await form.extract_retention_decision(CollectingDispatcher(), tracker("可以网上办吗", "faq", slots=ASKED), {})
    assert found == {}
