"""Retention cases: one per conversation, outcome logged, follow-ups for leavers, the report."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store import follow_ups, retention_cases
from bot.store.retention_cases import CaseClosed, close_case, open_case, update_case

from .helpers import add_customers


def test_one_open_case_per_conversation(session, now) -> None:  # type: ignore[no-untyped-def]
    case = open_case(session, "conv-1", now, request_type="transfer_custody", channel="web", customer_id=None)
    again = open_case(session, "conv-1", now, request_type="close_account", channel="web")
    other = open_case(session, "conv-2", now, request_type="close_account", channel="sms", contact_phone="13912345678")
    session.commit()
    assert case.id == again.id == "RT-20261125-0001"
    assert other.id == "RT-20261125-0002"
    assert other.contact_masked == "139****5678"
    assert case.outcome == "undecided" and case.closed_at is None


def test_update_records_reason_offer_and_masks_free_text(session, now) -> None:  # type: ignore[no-untyped-def]
    case = open_case(session, "conv-1", now, request_type="transfer_custody", channel="web")
    update_case(session, case.id, now + timedelta(minutes=1), reason_class="fees", reason_text="佣金太高，打13912345678")
    update_case(session, case.id, now + timedelta(minutes=2), offer="rate_review", rate_review_requested=True)
    session.commit()
    assert case.reason_class == "fees"
    assert case.reason_text_masked == "佣金太高，打139****5678"
    assert case.offer == "rate_review" and case.rate_review_requested is True
    assert case.updated_at == now + timedelta(minutes=2)


def test_customer_who_left_gets_a_win_back_call_from_the_account_manager(session, now) -> None:  # type: ignore[no-untyped-def]
    add_customers(session)
    case = open_case(session, "conv-1", now, request_type="transfer_custody", channel="web", customer_id="C0003")
    closed = close_case(session, case.id, "left", now + timedelta(minutes=5))
    session.commit()
    assert closed.outcome == "left" and closed.closed_at == now + timedelta(minutes=5)
    tasks = follow_ups.tasks_for_case(session, case.id)
    assert [(t.kind, t.customer_id, t.assignee, t.status) for t in tasks] == [
        ("win_back_call", "C0003", "赵经理", "open")
    ]
    assert tasks[0].due_at == now + timedelta(minutes=5) + retention_cases.DEFAULT_FOLLOW_UP_IN
    assert [t.id for t in follow_ups.open_follow_ups(session, assignee="赵经理")] == [tasks[0].id]
    follow_ups.complete_follow_up(session, tasks[0].id, now + timedelta(days=1))
    assert follow_ups.open_follow_ups(session) == []


def test_retained_customer_needs_no_call_unless_a_rate_review_was_promised(session, now) -> None:  # type: ignore[no-untyped-def]
    plain = open_case(session, "conv-1", now, request_type="close_account", channel="web")
    close_case(session, plain.id, "retained", now)
    review = open_case(session, "conv-2", now, request_type="transfer_custody", channel="web")
    update_case(session, review.id, now, rate_review_requested=True)
    close_case(session, review.id, "retained", now)
    session.commit()
    assert follow_ups.tasks_for_case(session, plain.id) == []
    assert [t.kind for t in follow_ups.tasks_for_case(session, review.id)] == ["rate_review"]


def test_closed_case_is_final_and_a_new_request_opens_a_new_case(session, now) -> None:  # type: ignore[no-untyped-def]
    case = open_case(session, "conv-1", now, request_type="close_account", channel="web")
    close_case(session, case.id, "left", now)
    assert close_case(session, case.id, "left", now).id == case.id  # repeated close: no-op
    assert len(follow_ups.tasks_for_case(session, case.id)) == 1
    with pytest.raises(CaseClosed):
        close_case(session, case.id, "retained", now)
    with pytest.raises(CaseClosed):
        update_case(session, case.id, now, offer="x")
    assert open_case(session, "conv-1", now, request_type="close_account", channel="web").id != case.id


def test_report_gives_rates_by_reason_class_and_request_type(session, now) -> None:  # type: ignore[no-untyped-def]
    cases = [
        ("fees", "transfer_custody", "retained"),
        ("fees", "transfer_custody", "left"),
        ("fees", "close_account", "retained"),
        ("service", "transfer_custody", "left"),
        ("service", "close_account", None),
        (None, "cancel_designation", "undecided"),
    ]
    for i, (reason_class, request_type, outcome) in enumerate(cases):
        case = open_case(session, f"conv-{i}", now, request_type=request_type, channel="web")
        update_case(session, case.id, now, reason_class=reason_class)
        if outcome:
            close_case(session, case.id, outcome, now)
    session.commit()

    result = retention_cases.report(session)
    assert result.by_reason_class["fees"].as_dict() == {
        "total": 3, "retained": 2, "left": 1, "undecided": 0, "retention_rate": 0.6667,
    }
    assert result.by_reason_class["service"].retention_rate == 0.0
    assert result.by_reason_class["unclassified"].retention_rate is None
    assert result.by_request_type["transfer_custody"].as_dict() == {
        "total": 3, "retained": 1, "left": 2, "undecided": 0, "retention_rate": 0.3333,
    }
    assert result.by_request_type["close_account"].as_dict()["retention_rate"] == 1.0
    assert result.overall.total == 6 and result.overall.retained == 2 and result.overall.left == 2
    assert retention_cases.report(session, since=now + timedelta(days=1)).overall.total == 0
    assert set(result.as_dict()) == {"overall", "by_reason_class", "by_request_type"}
