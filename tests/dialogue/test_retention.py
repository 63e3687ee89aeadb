"""The retention dialogue: one respectful offer, the full procedure the moment the customer insists."""
from __future__ import annotations

import re

from sqlalchemy import select

ASKS_REASON = re.compile(r"原因")
PROCEDURE = re.compile(r"办理流程")


def _case(store_url: str, sender: str):
    from bot.store.db import init_store
    from bot.store.models import RetentionCase

    store = init_store(store_url)
    with store.session() as session:
        return session.execute(select(RetentionCase).where(RetentionCase.conversation_id == sender)).scalars().all()


def test_fee_reason_gets_a_rate_review_offer_and_acceptance_is_recorded(conversation, store_url):
    talk = conversation()
    assert ASKS_REASON.search(talk.say("我想转户"))
    offer = talk.say("你们佣金太高了，别家都万一免五")
    assert re.search(r"费率复核|佣金", offer)
    done = talk.say("好的，那帮我提交吧")
    assert re.search(r"RT-\d{8}-\d{4}", done)
    cases = _case(store_url, talk.sender)
    assert len(cases) == 1
    assert cases[0].outcome == "retained" and cases[0].reason_class == "fees_too_high"


def test_far_branch_reason_gets_online_options(conversation):
    talk = conversation()
    talk.say("我要办理转托管")
    assert re.search(r"APP|网上|手机|电话", talk.say("营业部离我住的地方太远了"))


def test_friend_at_another_broker_is_told_several_accounts_are_allowed(conversation):
    talk = conversation()
    talk.say("想把股票转到别的券商去")
    assert re.search(r"3个|三个|多家|同时", talk.say("我表哥在别的证券公司，叫我去他那开户"))


def test_hall_tips_reason_points_to_licensed_advisers(conversation):
    talk = conversation()
    talk.say("我想销户")
    assert re.search(r"投资顾问|投顾", talk.say("想去有大户室的营业厅，跟大家一起听消息"))


def test_customer_insisting_after_the_offer_gets_procedure_at_once(conversation, store_url):
    talk = conversation()
    talk.say("我要办理转托管")
    talk.say("离家太远")
    reply = talk.say("我已经决定了，告诉我怎么办")
    assert PROCEDURE.search(reply) and "身份证" in reply and "交易单元" in reply
    cases = _case(store_url, talk.sender)
    assert len(cases) == 1 and cases[0].outcome == "left"


def test_customer_insisting_instead_of_giving_a_reason_gets_procedure_at_once(conversation):
    talk = conversation()
    talk.say("我要撤销指定交易")
    reply = talk.say("别劝了")
    assert PROCEDURE.search(reply) and "身份证" in reply


def test_customer_refusing_persuasion_up_front_gets_procedure_directly(conversation):
    reply = conversation().say("我要销户，不用劝我，直接告诉我流程")
    assert PROCEDURE.search(reply) and not ASKS_REASON.search(reply.split("办理流程")[0])


def test_declining_the_offer_gives_the_procedure_and_no_second_offer(conversation):
    talk = conversation()
    talk.say("我想转户")
    talk.say("手续费太贵")
    reply = talk.say("不用了")
    assert PROCEDURE.search(reply)
    assert "复核" not in reply


def test_a_question_in_the_middle_is_answered_and_the_dialogue_resumes(conversation):
    talk = conversation()
    talk.say("我想转户")
    digression = talk.say("对了，印花税现在是多少")
    assert "0.05%" in digression.replace(" ", "") or "万分之五" in digression
    assert re.search(r"APP|网上|手机", talk.say("主要是营业部太远了"))


def test_customer_can_cancel_the_retention_dialogue(conversation, store_url):
    talk = conversation()
    talk.say("我想转户")
    reply = talk.say("算了，先不办了")
    assert re.search(r"取消|好的", reply)
    cases = _case(store_url, talk.sender)
    assert len(cases) == 1 and cases[0].outcome in ("undecided", "retained")


def test_identified_customer_case_records_the_customer(conversation, store_url):
    talk = conversation("C0002")
    talk.say("我想转户")
    talk.say("不方便说")
    cases = _case(store_url, talk.sender)
    assert len(cases) == 1 and cases[0].customer_id == "C0002"


def test_leaving_customer_gets_a_follow_up_task_for_the_account_manager(conversation, store_url):
    from bot.store.db import init_store
    from bot.store.models import FollowUpTask

    talk = conversation("C0004")
    talk.say("我要销户")
    talk.say("别劝了，我已经决定了")
    case = _case(store_url, talk.sender)[0]
    with init_store(store_url).session() as session:
        tasks = session.execute(select(FollowUpTask).where(FollowUpTask.case_id == case.id)).scalars().all()
    assert len(tasks) == 1
