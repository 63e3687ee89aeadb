"""The human-agent queue: tier first (platinum > gold > silver > normal), then first come first served."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store import handoffs
from bot.store.handoffs import HandoffStateError

from .helpers import add_customers


def test_queue_serves_higher_tiers_first_then_in_arrival_order(session, now) -> None:  # type: ignore[no-untyped-def]
    add_customers(session)
    # The handoff service passes each tier's handoff_priority from kb/tiers.yml (0 normal … 3 platinum).
    arrivals = [
        ("c-normal-1", None, "normal", 0),
        ("c-gold", "C0003", "gold", 2),
        ("c-normal-2", None, "normal", 0),
        ("c-platinum", "C0004", "platinum", 3),
        ("c-silver", "C0002", "silver", 1),
        ("c-gold-2", None, "金卡", 2),
    ]
    created = {}
    for minute, (conversation, customer_id, tier, priority) in enumerate(arrivals):
        created[conversation] = handoffs.enqueue(
            session, conversation, now + timedelta(minutes=minute), customer_id=customer_id, tier=tier,
            priority=priority, reason="要人工"
        )
    session.commit()

    expected = ["c-platinum", "c-gold", "c-gold-2", "c-silver", "c-normal-1", "c-normal-2"]
    assert [h.conversation_id for h in handoffs.waiting(session)] == expected
    assert [handoffs.queue_position(session, created[c].id) for c in expected] == [1, 2, 3, 4, 5, 6]
    assert created["c-gold"].tier == "gold" and created["c-normal-1"].tier == "normal"

    served = [handoffs.next_for_agent(session, "agent", now + timedelta(minutes=10)) for _ in expected]
    assert [h.conversation_id for h in served] == expected
    assert all(h.status == "assigned" and h.assigned_to == "agent" for h in served)
    assert handoffs.next_for_agent(session, "agent", now) is None
    assert handoffs.queue_position(session, created["c-gold"].id) is None


def test_same_arrival_time_is_ordered_by_insertion(session, now) -> None:  # type: ignore[no-untyped-def]
    first = handoffs.enqueue(session, "a", now)
    second = handoffs.enqueue(session, "b", now)
    assert handoffs.queue_position(session, first.id) == 1
    assert handoffs.queue_position(session, second.id) == 2


def test_asking_twice_keeps_the_place_in_the_queue(session, now) -> None:  # type: ignore[no-untyped-def]
    first = handoffs.enqueue(session, "conv-1", now)
    handoffs.enqueue(session, "conv-2", now + timedelta(minutes=1))
    again = handoffs.enqueue(session, "conv-1", now + timedelta(minutes=2))
    assert again.id == first.id
    assert handoffs.queue_position(session, first.id) == 1
    assert len(handoffs.waiting(session)) == 2


def test_release_finishes_or_requeues_at_the_old_place(session, now) -> None:  # type: ignore[no-untyped-def]
    early = handoffs.enqueue(session, "early", now)
    late = handoffs.enqueue(session, "late", now + timedelta(minutes=5))
    taken = handoffs.next_for_agent(session, "agent", now + timedelta(minutes=6))
    assert taken.id == early.id and handoffs.queue_position(session, late.id) == 1

    handoffs.release(session, taken.id, now + timedelta(minutes=7), requeue=True)
    assert early.status == "waiting" and early.assigned_to is None
    assert handoffs.queue_position(session, early.id) == 1  # back in front of "late"

    taken = handoffs.next_for_agent(session, "agent2", now + timedelta(minutes=8))
    done = handoffs.release(session, taken.id, now + timedelta(minutes=9))
    assert done.status == "done" and done.closed_at == now + timedelta(minutes=9)
    with pytest.raises(HandoffStateError):
        handoffs.release(session, taken.id, now)

    # a finished conversation may ask for a human again later
    assert handoffs.enqueue(session, "early", now + timedelta(minutes=20)).id != early.id


def test_customer_can_cancel_waiting(session, now) -> None:  # type: ignore[no-untyped-def]
    handoff = handoffs.enqueue(session, "conv-1", now)
    assert handoffs.cancel(session, "conv-1", now).id == handoff.id
    assert handoff.status == "cancelled"
    assert handoffs.queue_position(session, handoff.id) is None
    assert handoffs.cancel(session, "conv-1", now) is None


def test_the_database_keeps_one_active_handoff_per_conversation(session, now) -> None:  # type: ignore[no-untyped-def]
    """Two servers that both found no active handoff: the second insert is refused by the partial
    unique index, and `enqueue` gives the first one back."""
    from sqlalchemy.exc import IntegrityError

    from bot.store.models import Handoff

    first = handoffs.enqueue(session, "conv-race", now)
    session.commit()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(Handoff(conversation_id="conv-race", tier="normal", priority=0, reason="",
                                status="waiting", created_at=now))
            session.flush()
    assert handoffs.enqueue(session, "conv-race", now) is first
    handoffs.release(session, handoffs.next_for_agent(session, "agent", now).id, now)
    session.commit()
    # Done handoffs do not count: the customer can ask for a human again.
    assert handoffs.enqueue(session, "conv-race", now).id != first.id


def test_a_waiting_customer_can_withdraw_and_stale_requests_expire(session, now) -> None:  # type: ignore[no-untyped-def]
    waiting = handoffs.enqueue(session, "c-waits", now, reason="要人工")
    handoffs.enqueue(session, "c-held", now, reason="要人工")
    held = handoffs.next_for_agent(session, "agent01", now)  # c-waits was first: the agent holds it now
    assert held.conversation_id == "c-waits"
    assert handoffs.withdraw(session, "c-waits", now) is None  # an agent's conversation stays the agent's
    assert handoffs.withdraw(session, "c-held", now).status == "cancelled"
    assert handoffs.withdraw(session, "c-nobody", now) is None
    old = handoffs.enqueue(session, "c-old", now - timedelta(hours=9), reason="要人工")
    fresh = handoffs.enqueue(session, "c-fresh", now - timedelta(hours=1), reason="要人工")
    session.commit()
    assert handoffs.expire_waiting(session, now - timedelta(hours=8), now) == 1
    session.commit()
    assert old.status == "cancelled" and fresh.status == "waiting" and waiting.status == "assigned"
    assert [h.conversation_id for h in handoffs.waiting(session)] == ["c-fresh"]
