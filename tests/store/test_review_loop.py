"""The review loop's store side on SQLite and PostgreSQL: unanswered messages recorded by the inbox
projection, the review queue's filters, tags / flag / reviewed, and knowledge gaps."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from bot.services import csat, inbox, knowledge_gaps, review
from bot.store import handoffs
from bot.store.agents import demo_agents, seed_demo_agents
from bot.store.db import Store
from bot.store.models import UnansweredMessage
from bot.tracking.stores import streamed_event


T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def store(engine, sessions) -> Store:  # type: ignore[no-untyped-def]
    opened = Store(engine=engine, sessions=sessions)
    with opened.session() as session, session.begin():
        seed_demo_agents(session, demo_agents("agent-pass-123456", "lead-pass-123456"))
    return opened


def user(sender: str, text: str, intent: str, confidence: float, at: datetime) -> Dict[str, Any]:
    event = UserUttered(text, intent={"name": intent, "confidence": confidence}, input_channel="socketio",
                        timestamp=at.timestamp())
    return streamed_event(event.as_dict(), sender)


def faq_turn(sender: str, text: str, at: datetime, *, answered: bool = True, refused: bool = False) -> List[Dict[str, Any]]:
    """A knowledge question and what action_answer_faq leaves in the stream."""
    events = [user(sender, text, "faq", 0.8, at),
              streamed_event(ActionExecuted("action_answer_faq", timestamp=at.timestamp() + 1).as_dict(), sender)]
    if refused:
        reply = BotUttered("不能给出买卖建议", metadata={"utter_action": "utter_refuse_advice"}, timestamp=at.timestamp() + 1)
    elif answered:
        reply = BotUttered("印花税……", metadata={"kb_article": "stamp_duty"}, timestamp=at.timestamp() + 1)
    else:
        reply = BotUttered("这个问题我没有把握", data={"buttons": [{"title": "转人工", "payload": "/request_human"}]},
                           timestamp=at.timestamp() + 1)
    events.append(streamed_event(reply.as_dict(), sender))
    slot = SlotSet("kb_article", "stamp_duty" if answered and not refused else None, timestamp=at.timestamp() + 1)
    events.append(streamed_event(slot.as_dict(), sender))
    return events


def unanswered(store: Store) -> List[tuple]:
    with store.session() as session:
        return sorted((m.conversation_id, m.kind, m.text, m.intent) for m in session.query(UnansweredMessage))


def test_fallbacks_and_questions_without_an_article_are_recorded_masked_but_refusals_are_not(store: Store) -> None:
    inbox.project(store, [user("web-1", "我手机13912345678，那个啥玩意", "nlu_fallback", 0.2, T0)]
                  + faq_turn("web-1", "科创板开通条件", T0 + timedelta(seconds=10), answered=False)
                  + faq_turn("web-2", "印花税怎么收", T0, answered=True)
                  + faq_turn("web-3", "茅台能买吗", T0, answered=False, refused=True)
                  + [user("web-4", "😀", "nlu_fallback", 1.0, T0)])
    rows = unanswered(store)
    assert [(c, k, i) for c, k, _, i in rows] == [("web-1", "nlu_fallback", "nlu_fallback"), ("web-1", "no_article", "faq")]
    assert "13912345678" not in rows[0][2] and "5678" in rows[0][2]
    assert rows[1][2] == "科创板开通条件"


def test_a_question_whose_answer_comes_in_the_next_batch_is_still_recorded_once(store: Store) -> None:
    events = faq_turn("web-5", "港股通怎么开", T0, answered=False)
    inbox.project(store, events[:2])
    inbox.project(store, events[2:])
    inbox.project(store, events[2:])  # redelivered (RabbitMQ): no second row
    assert [(c, k, t) for c, k, t, _ in unanswered(store)] == [("web-5", "no_article", "港股通怎么开")]


def test_the_queue_filters_by_fallback_low_confidence_handoff_and_low_csat(store: Store) -> None:
    inbox.project(store, [user("web-ok", "开户要带什么", "ask_documents", 0.95, T0),
                          user("web-lost", "asdf", "nlu_fallback", 0.1, T0),
                          user("web-unsure", "那个咋弄", "ask_password", 0.45, T0),
                          user("web-human", "转人工", "request_human", 0.99, T0),
                          user("web-angry", "太差了", "complain", 0.9, T0)])
    with store.session() as session, session.begin():
        handoffs.enqueue(session, "web-human", T0, reason="customer_asked")
        for conversation in ("web-angry", "web-ok"):
            row = inbox.inbox_store.get(session, conversation)
            row.csat_asked_at = T0
    assert csat.rate(store, "web-angry", 1) is csat.Rated.RECORDED and csat.rate(store, "web-ok", 5) is csat.Rated.RECORDED

    def ids(**criteria: Any) -> List[str]:
        return sorted(i.conversation_id for i in review.queue(store, review.review_filter(**criteria)))
    assert ids(fallback=True) == ["web-lost"]
    assert ids(low_confidence=True) == ["web-unsure"]
    assert ids(handoff=True) == ["web-human"]
    assert ids(low_csat=True) == ["web-angry"]
    assert len(ids()) == 5
    [angry] = [i for i in review.queue(store, review.review_filter(low_csat=True))]
    assert angry.csat == 1 and not angry.handed_to_human


def test_a_supervisor_tags_flags_and_marks_reviewed_and_the_queue_knows(store: Store) -> None:
    inbox.project(store, [user("web-a", "asdf", "nlu_fallback", 0.1, T0), user("web-b", "qwer", "nlu_fallback", 0.1, T0)])
    state = review.update(store, "lead01", "web-a", tags=["新业务", "nlu", "新业务"], flagged=True, reviewed=True, now=T0)
    assert (state.tags, state.flagged, state.reviewed_by, state.reviewed_at) == (["新业务", "nlu"], True, "lead01", T0)
    assert [i.conversation_id for i in review.queue(store, review.review_filter(state="unreviewed"))] == ["web-b"]
    assert [i.conversation_id for i in review.queue(store, review.review_filter(state="flagged"))] == ["web-a"]
    assert review.update(store, "lead01", "web-a", reviewed=False).reviewed_by is None
    assert review.update(store, "lead01", "web-a", flagged=False).tags == ["新业务", "nlu"]  # untouched
    with pytest.raises(ValueError):
        review.update(store, "lead01", "web-a", tags=["a,b"])
    with pytest.raises(ValueError):
        review.update(store, "lead01", "web-a", tags=[f"t{i}" for i in range(review.MAX_TAGS + 1)])
    with pytest.raises(review.UnknownConversation):
        review.update(store, "lead01", "web-nobody", flagged=True)


def test_similar_wordings_are_one_gap_with_counts_and_distinct_examples(store: Store) -> None:
    events = []
    for n, text in enumerate(["科创板开通条件", "开通科创板要什么条件", "科创板开通条件", "科创板开户门槛"]):
        events += faq_turn(f"web-k{n}", text, T0 + timedelta(minutes=n), answered=False)
    events += faq_turn("web-h", "港股通怎么开", T0, answered=False)
    events += [user("web-x", "北交所能打新吗", "nlu_fallback", 0.2, T0)]
    inbox.project(store, events)
    found = knowledge_gaps.gaps(store)
    assert [g.count for g in found] == [4, 1, 1]
    star = found[0]
    assert star.conversations == 4 and star.kinds == {"no_article": 4}
    assert [e.text for e in star.examples] == ["科创板开户门槛", "科创板开通条件", "开通科创板要什么条件"]
    assert {g.examples[0].text for g in found[1:]} == {"港股通怎么开", "北交所能打新吗"}


def test_the_transcript_shows_each_customer_turn_with_its_intent_and_confidence_masked() -> None:
    tracker = {"events": [
        {"event": "user", "text": "我手机13912345678，印花税怎么收", "timestamp": T0.timestamp(),
         "parse_data": {"intent": {"name": "faq", "confidence": 0.8765}}},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "bot", "text": "印花税按成交金额的0.05%单边征收", "timestamp": T0.timestamp() + 1},
        {"event": "user", "text": "嗯", "parse_data": {"intent": {}}}]}
    turns = review.transcript(tracker)
    assert [(t.who, t.intent, t.confidence) for t in turns] == [
        ("customer", "faq", 0.88), ("bot", None, None), ("customer", None, None)]
    assert "13912345678" not in turns[0].text and turns[0].at == T0
