"""The inbox projection from Rasa's event stream, the supervisor's figures, the customer card and
CSAT ratings, on SQLite and PostgreSQL (the `sessions` fixture empties the tables after each test)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered

from bot import runtime
from bot.services import csat, customer_card, dashboard, event_feed, inbox
from bot.store import handoffs, inbox as inbox_store, retention_cases, staff_sessions, tickets
from bot.store.db import Store
from bot.store.models import AuditEntry
from bot.tracking.brokers import BatchingSQLEventBroker
from bot.tracking.stores import streamed_event

from .helpers import add_customers, draft

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing


@pytest.fixture
def store(engine, sessions) -> Store:  # type: ignore[no-untyped-def]
    return Store(engine=engine, sessions=sessions)


def user(sender: str, text: str, intent: str, confidence: float, at: datetime, channel: str = "socketio",
         **extra: Any) -> Dict[str, Any]:
    event = UserUttered(text, intent={"name": intent, "confidence": confidence}, input_channel=channel,
                        timestamp=at.timestamp())
    return streamed_event(event.as_dict(), sender) | extra


def action(sender: str, name: str, at: datetime) -> Dict[str, Any]:
    return streamed_event(ActionExecuted(name, timestamp=at.timestamp()).as_dict(), sender)


def bot(sender: str, text: str, at: datetime, custom: Any = None) -> Dict[str, Any]:
    data = {"custom": custom} if custom is not None else {}
    return streamed_event(BotUttered(text, data=data, timestamp=at.timestamp()).as_dict(), sender)


def conversation(sender: str, at: datetime, *turns: tuple, channel: str = "socketio") -> List[Dict[str, Any]]:
    events = []
    for offset, (text, intent, confidence) in enumerate(turns):
        moment = at + timedelta(seconds=10 * offset)
        events.append(user(sender, text, intent, confidence, moment, channel))
        events.append(bot(sender, "好的", moment + timedelta(seconds=1)))
    return events


def test_a_conversation_appears_with_its_channel_last_message_and_intent(store: Store) -> None:
    inbox.project(store, conversation("web-1", T0, ("你好", "greet", 0.98), ("印花税怎么收", "ask_fees", 0.91)))
    [row] = inbox.view(store, inbox.InboxFilter(), now=T0 + timedelta(minutes=1))
    assert (row.conversation_id, row.channel, row.status) == ("web-1", "web", "bot")
    assert (row.last_text, row.last_intent, row.customer_turns) == ("印花税怎么收", "ask_fees", 2)
    assert row.waiting_seconds == 50  # since the customer's last message


def test_a_knowledge_question_is_listed_under_the_article_it_asked_for(store: Store) -> None:
    event = UserUttered("印花税怎么收", intent={"name": "faq", "confidence": 0.99, "full_retrieval_intent_name": "faq/stamp_duty"},
                        input_channel="socketio", timestamp=T0.timestamp())
    inbox.project(store, [streamed_event(event.as_dict(), "web-faq")])
    assert inbox.view(store, inbox.InboxFilter())[0].last_intent == "faq/stamp_duty"
    with store.session() as session:
        assert inbox_store.intent_totals(session, T0.date(), T0.date()) == [("faq/stamp_duty", 1)]


def test_personal_data_in_a_message_never_reaches_the_inbox(store: Store) -> None:
    inbox.project(store, [user("web-2", "我手机13912345678，身份证110101199003071234", "inform", 0.9, T0)])
    [row] = inbox.view(store, inbox.InboxFilter())
    assert "13912345678" not in row.last_text and "110101199003071234" not in row.last_text
    assert "5678" in row.last_text  # masked, not dropped: the agent still sees what kind of thing was said


def test_fallbacks_and_low_confidence_turns_are_counted_and_filterable(store: Store) -> None:
    inbox.project(store, conversation("web-ok", T0, ("开户要带什么", "ask_documents", 0.95)))
    inbox.project(store, conversation("web-lost", T0, ("asdfgh", "nlu_fallback", 0.2)) +
                  [action("web-lost", "action_default_fallback", T0 + timedelta(seconds=2))])
    inbox.project(store, conversation("web-unsure", T0, ("那个东西咋弄", "ask_password", 0.45)))
    assert [r.conversation_id for r in inbox.view(store, inbox.InboxFilter(fallback=True))] == ["web-lost"]
    assert [r.conversation_id for r in inbox.view(store, inbox.InboxFilter(low_confidence=True))] == ["web-unsure"]
    lost = inbox.view(store, inbox.InboxFilter(fallback=True))[0]
    assert lost.fallbacks == 1  # the NLU's fallback and the action it triggers are one miss


def test_status_follows_the_handoff_and_the_pause(store: Store) -> None:
    inbox.project(store, conversation("web-h", T0, ("转人工", "request_human", 0.99)))
    with store.session() as session, session.begin():
        queued = handoffs.enqueue(session, "web-h", T0, tier="gold", priority=2, reason="要人工")
    [row] = inbox.view(store, inbox.InboxFilter(statuses=["waiting"]), now=T0 + timedelta(seconds=90))
    assert (row.status, row.waiting_seconds, row.tier) == ("waiting", 90, "gold")
    with store.session() as session, session.begin():
        handoffs.next_for_agent(session, "agent01", T0 + timedelta(minutes=2))
    inbox.project(store, [streamed_event(ConversationPaused(timestamp=(T0 + timedelta(minutes=2)).timestamp()).as_dict(), "web-h")])
    [row] = inbox.view(store, inbox.InboxFilter(statuses=["with_agent"]))
    assert (row.status, row.holder) == ("with_agent", "agent01")
    with store.session() as session, session.begin():
        handoffs.release(session, queued.id, T0 + timedelta(minutes=5))
    inbox.project(store, [streamed_event(ConversationResumed(timestamp=(T0 + timedelta(minutes=5)).timestamp()).as_dict(), "web-h")])
    assert inbox.view(store, inbox.InboxFilter(statuses=["bot"]))[0].conversation_id == "web-h"


def test_goodbye_ends_a_conversation_and_a_new_message_reopens_it(store: Store) -> None:
    inbox.project(store, conversation("web-bye", T0, ("谢谢再见", "goodbye", 0.99)) +
                  [action("web-bye", "action_goodbye", T0 + timedelta(seconds=2))])
    assert inbox.view(store, inbox.InboxFilter(statuses=["ended"]))[0].conversation_id == "web-bye"
    inbox.project(store, [user("web-bye", "还有个问题", "ask_fees", 0.9, T0 + timedelta(minutes=3))])
    assert inbox.view(store, inbox.InboxFilter(statuses=["ended"])) == []


def test_a_verified_customer_shows_with_tier_and_an_unverified_id_is_ignored(store: Store) -> None:
    with store.session() as session:
        add_customers(session)
    inbox.project(store, [user("web-c", "我的佣金多少", "ask_my_rate", 0.9, T0, customer_id="C0003"),
                          user("web-x", "你好", "greet", 0.9, T0, metadata={"customer_id": "C0003"})])
    rows = {r.conversation_id: r for r in inbox.view(store, inbox.InboxFilter())}
    assert (rows["web-c"].customer_id, rows["web-c"].tier) == ("C0003", "gold")
    assert rows["web-x"].customer_id is None


def test_rasa_sql_broker_rows_are_read_once_across_restarts(store: Store, tmp_path) -> None:
    broker = BatchingSQLEventBroker(db=str(tmp_path / "events.db"))
    broker.publish_many(conversation("web-b", T0, ("交易时间", "ask_trading_hours", 0.97)))
    SQLEventBroker.publish(broker, user("sms:abc", "开户", "ask_account_opening", 0.9, T0, channel="sms"))
    source = event_feed.SqlBrokerSource(f"sqlite:///{tmp_path / 'events.db'}")
    assert event_feed.drain_sql(store, source) == 3
    assert event_feed.drain_sql(store, source) == 0  # a restart reads from the stored position
    broker.publish_many([user("web-b", "几点收盘", "ask_trading_hours", 0.97, T0 + timedelta(minutes=1))])
    assert event_feed.drain_sql(store, event_feed.SqlBrokerSource(source.url)) == 1
    rows = {r.conversation_id: r for r in inbox.view(store, inbox.InboxFilter())}
    assert rows["web-b"].customer_turns == 2 and rows["sms:abc"].channel == "sms"


def test_a_missing_broker_database_is_not_created_by_the_reader(tmp_path) -> None:
    source = event_feed.SqlBrokerSource(f"sqlite:///{tmp_path / 'not-yet.db'}")
    assert source.read(0) == []
    assert not (tmp_path / "not-yet.db").exists()


def test_dashboard_figures_for_a_day(store: Store) -> None:
    with store.session() as session:
        add_customers(session)
    inbox.project(store, conversation("web-a", T0, ("印花税", "ask_fees", 0.95), ("谢谢", "thank", 0.99)) +
                  conversation("web-b", T0 + timedelta(hours=1), ("asdf", "nlu_fallback", 0.1)) +
                  conversation("sms:s1", T0, ("开户", "ask_account_opening", 0.5), channel="sms") +
                  [bot("web-a", "", T0 + timedelta(minutes=1), custom={"csat": {"scale": 5}}),
                   bot("web-b", "", T0 + timedelta(hours=1, minutes=1), custom={"csat": {"scale": 5}})])
    with store.session() as session, session.begin():
        handoffs.enqueue(session, "web-b", T0 + timedelta(hours=1), tier="normal", priority=0, reason="要人工")
        staff_sessions.record(session, "agent01", "agent_message", T0 + timedelta(hours=1, minutes=3), "web-b")
        late = tickets.create_ticket(session, draft("k1", category="system_failure", sla_due_at=T0 + timedelta(hours=2)), T0)
        tickets.create_ticket(session, draft("k2", category="system_failure", sla_due_at=T0 + timedelta(days=3)), T0)
        tickets.transition(session, late.id, "resolved", "agent01", T0 + timedelta(hours=5))
    assert csat.rate(store, "web-a", 4, now=T0 + timedelta(minutes=2)) is csat.Rated.RECORDED
    assert csat.rate(store, "web-a", 1, now=T0 + timedelta(minutes=3)) is csat.Rated.ALREADY_RATED
    assert csat.rate(store, "sms:s1", 5) is csat.Rated.NOT_ASKED

    since, until = dashboard.last_days(1, now=T0)
    board = dashboard.figures(store, runtime.kb(), since, until, now=T0 + timedelta(hours=6))
    assert board.conversations == 3
    assert board.conversations_by_channel_hour["web"][10] == 1 and board.conversations_by_channel_hour["web"][11] == 1
    assert board.conversations_by_channel_hour["sms"][10] == 1
    assert (board.handoff_rate, board.containment_rate) == (round(1 / 3, 4), round(2 / 3, 4))
    assert (board.first_response.count, board.first_response.median_seconds) == (1, 180.0)
    assert board.fallback_rate == 0.25 and board.low_confidence_rate == 0.25  # of 4 customer turns
    assert dict(board.top_intents) == {"ask_fees": 1, "thank": 1, "nlu_fallback": 1, "ask_account_opening": 1}
    [line] = board.complaints
    assert (line.category, line.tickets, line.sla_met, line.sla_missed, line.pending) == ("system_failure", 2, 0, 1, 1)
    assert (board.csat.asked, board.csat.ratings, board.csat.average, board.csat.response_rate) == (2, 1, 4.0, 0.5)
    exported = dashboard.as_csv(board)
    assert "containment_rate,,0.6667" in exported and "csat_distribution,4,1" in exported


def test_customer_card_is_masked_and_a_reveal_needs_a_reason_that_is_audited(store: Store) -> None:
    with store.session() as session:
        add_customers(session)
    inbox.project(store, [user("web-c", "查下我的工单", "ask_ticket_status", 0.9, T0, customer_id="C0001")])
    card = customer_card.card(store, "C0001")
    assert card.name == "张*" and card.phone == "138****0001" and card.tier == "normal"
    assert [c.conversation_id for c in card.conversations] == ["web-c"]
    with pytest.raises(customer_card.RevealRefused):
        customer_card.reveal(store, "agent01", "C0001", "phone", "")
    assert customer_card.reveal(store, "agent01", "C0001", "phone", "客户要求回拨") == "13800000001"
    with store.session() as session:
        [entry] = session.query(AuditEntry).filter_by(action="personal_data_revealed").all()
        assert (entry.actor, entry.target) == ("agent01", "C0001")
        assert "客户要求回拨" in entry.detail and "13800000001" not in entry.detail
    with pytest.raises(customer_card.UnknownCustomer):
        customer_card.card(store, "C9999")
