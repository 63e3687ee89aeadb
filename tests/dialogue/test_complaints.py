"""Complaints end with a committed ticket, an id and a response time; handoff to a human on request."""
from __future__ import annotations

import re

from sqlalchemy import select

TICKET = re.compile(r"CP-\d{8}-\d{4}")


def _tickets(store_url: str, sender: str):
    from bot.store.db import init_store
    from bot.store.models import Ticket

    with init_store(store_url).session() as session:
        return session.execute(select(Ticket).where(Ticket.conversation_id == sender)).scalars().all()


def test_anonymous_complaint_collects_a_phone_confirms_and_creates_a_ticket(conversation, store_url):
    talk = conversation()
    assert re.search(r"抱歉|对不起", talk.say("我要投诉，你们的APP今天上午一直登录不上"))
    summary = talk.say("联系电话13900001111")
    assert re.search(r"确认|核对", summary) and "139****1111" in summary and "13900001111" not in summary
    done = talk.say("确认提交")
    ticket_id = TICKET.search(done).group(0)
    assert "12386" in done and re.search(r"小时|工作日|交易日", done)
    [ticket] = _tickets(store_url, talk.sender)
    assert ticket.id == ticket_id and ticket.category == "system_failure"
    assert ticket.contact_phone_raw == "13900001111"


def test_identified_customer_confirms_the_phone_on_file(conversation, store_url):
    talk = conversation("C0003")
    talk.say("投诉一下，你们柜台的工作人员态度太差了")
    summary = talk.say("昨天下午去营业部办业务，柜员一直不耐烦")
    assert re.search(r"\*{4}", summary)  # the masked phone on file
    done = talk.say("对，提交")
    assert TICKET.search(done)
    [ticket] = _tickets(store_url, talk.sender)
    assert ticket.customer_id == "C0003" and ticket.category == "staff_attitude"


def test_customer_can_correct_the_phone_before_confirming(conversation, store_url):
    talk = conversation()
    talk.say("我要投诉，撤单一直没成功")
    talk.say("13900001111")
    corrected = talk.say("电话写错了，应该是13800002222")
    assert "138****2222" in corrected
    talk.say("确认")
    [ticket] = _tickets(store_url, talk.sender)
    assert ticket.contact_phone_raw == "13800002222"


def test_status_is_told_to_the_owner_and_to_nobody_else(conversation):
    owner = conversation()
    owner.say("我要投诉，我的个人信息被泄露了，老有人打电话推销")
    owner.say("13700003333")
    ticket_id = TICKET.search(owner.say("确认提交")).group(0)
    # The conversation that filed it remembers the ticket it filed.
    assert re.search(r"待处理|处理中|已受理", owner.say(f"{ticket_id}进度怎么样"))
    # Anywhere else, anonymous: the ticket id and the phone's last four digits.
    later = conversation()
    asked = later.say(f"{ticket_id}进度怎么样")
    assert "后四位" in asked and not re.search(r"待处理|处理中|已受理", asked)
    assert re.search(r"待处理|处理中|已受理", later.say(f"{ticket_id} 尾号3333"))
    stranger = conversation()
    assert not re.search(r"待处理|处理中|已受理|泄露", stranger.say(f"我的投诉{ticket_id}处理得怎么样了"))
    assert not re.search(r"待处理|处理中|已受理|泄露", stranger.say(f"{ticket_id} 尾号1234"))


def test_resubmitting_the_confirmation_creates_no_duplicate(conversation, store_url):
    talk = conversation()
    talk.say("投诉你们业务办错了，转账金额搞错了")
    talk.say("13600004444")
    talk.say("确认提交")
    talk.say("确认提交")
    assert len(_tickets(store_url, talk.sender)) == 1


def test_personal_data_in_the_description_is_masked(conversation, store_url):
    talk = conversation()
    talk.say("我要投诉，我的身份证110101199003071234和银行卡6222020200112233445被别人用了")
    talk.say("13500005555")
    done = talk.say("确认")
    assert "110101199003071234" not in done
    [ticket] = _tickets(store_url, talk.sender)
    assert "110101199003071234" not in ticket.description_masked
    assert "6222020200112233445" not in ticket.description_masked


def test_asking_for_a_human_queues_a_handoff(conversation):
    reply = conversation("C0004").say("转人工")
    assert re.search(r"人工|客服专员|坐席", reply)
    assert re.search(r"第\s*\d+\s*位|等待|排队|热线", reply)


def _active_handoffs(store_url: str, sender: str) -> int:
    from bot.store.db import init_store
    from bot.store.models import Handoff

    with init_store(store_url).session() as session:
        return len(session.execute(select(Handoff).where(Handoff.conversation_id == sender,
                                                         Handoff.status == "waiting")).scalars().all())


def test_a_customer_who_no_longer_wants_to_wait_leaves_the_queue(conversation, store_url):
    talk = conversation()
    talk.say("转人工")
    assert _active_handoffs(store_url, talk.sender) == 1
    withdrawn = talk.turn("算了不用了")
    assert "取消人工排队" in withdrawn.reply and _active_handoffs(store_url, talk.sender) == 0
    # Nothing is waiting any more: the same words are just "anything else?".
    assert "取消人工排队" not in talk.say("算了不用了")
    other = conversation()
    other.say("我要人工客服")
    other.say("再见")
    assert _active_handoffs(store_url, other.sender) == 0


def test_what_the_tracker_store_keeps_has_no_identifier_and_no_token(conversation, store_url, bot):
    """Said in a complaint: a call-back number, an ID number, a fund account and an e-mail. The ticket
    keeps the call-back number (it is needed to call back); the stored conversation keeps none of them,
    nor the customer's login token, and the number still reaches the ticket turns later."""
    talk = conversation("C0002")
    talk.say("我要投诉，你们把我身份证110101199003071234的信息登记错了，资金账号310012345678也查不到")
    talk.say("回电打13900001111，或者发邮件到zhang.san@example.com")
    done = talk.say("确认提交")
    assert TICKET.search(done)
    kept_by = bot.agent.tracker_store._tracker_store  # Rasa wraps the store of endpoints.yml in a fail-safe one
    assert type(kept_by).__name__ == "ScrubbingInMemoryTrackerStore"
    stored = kept_by.store[talk.sender]  # the serialised conversation, as kept
    for secret in ("13900001111", "110101199003071234", "310012345678", "zhang.san@example.com",
                   talk._metadata()["customer_token"].split(".")[0]):
        assert secret not in stored, secret
    assert "139****1111" in stored  # masked, still useful to an agent reading the conversation
    [ticket] = _tickets(store_url, talk.sender)
    assert ticket.contact_phone_raw == "13900001111" and ticket.customer_id == "C0002"


def test_a_complaint_confirmed_while_the_database_is_unavailable_gets_no_ticket_id_and_is_filed_on_retry(
        conversation, store_url):
    """The whole path: the trained model, the action server process and its store. Another process
    holds the SQLite write lock (as a long migration or a stuck writer would) until the action
    server's busy timeout gives up; the conversation keeps the details and "再试一次" files it once."""
    import sqlite3

    from sqlalchemy.engine import make_url

    talk = conversation()
    talk.say("我要投诉，你们的APP今天上午一直登录不上")
    talk.say("联系电话13900001111")
    blocker = sqlite3.connect(make_url(store_url).database, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        refused = talk.bot.send(talk.sender, "确认提交")  # (talk.turn would count rows: locked out too)
        assert refused.ran("action_submit_complaint") and not TICKET.search(refused.reply)
        assert "再试一次" in refused.reply and "尚未生成" in refused.reply
        assert talk.slot("complaint_pending") is True
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _tickets(store_url, talk.sender) == []
    done = talk.say("再试一次")
    ticket_id = TICKET.search(done).group(0)
    [ticket] = _tickets(store_url, talk.sender)
    assert ticket.id == ticket_id and "登录不上" in ticket.description_masked  # filled in before the outage
    assert ticket.contact_phone_raw == "13900001111"
