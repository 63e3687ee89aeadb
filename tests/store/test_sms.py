"""SMS store: redelivered messages are processed once, the outbox retries with backoff, opt-outs stick."""
from __future__ import annotations

from datetime import timedelta

from bot.store import sms


def test_inbound_message_is_new_only_the_first_time(session, now) -> None:  # type: ignore[no-untyped-def]
    assert sms.record_inbound(session, "gw-1", "+8613912345678", now) is True
    assert sms.record_inbound(session, "gw-1", "13912345678", now + timedelta(seconds=5)) is False
    assert sms.record_inbound(session, "gw-2", "13912345678", now) is True
    session.commit()
    assert sms.record_inbound(session, "gw-1", "13912345678", now) is False


def test_outbox_claims_due_messages_and_marks_them_sent(session, now) -> None:  # type: ignore[no-untyped-def]
    first = sms.enqueue(session, "139 1234 5678", "您的工单CP-20261125-0001已受理", now, ref="CP-20261125-0001")
    second = sms.enqueue(session, "13800000002", "第二条", now + timedelta(seconds=1))
    session.commit()
    assert first.to_phone == "13912345678"

    claimed = sms.claim_due(session, now + timedelta(seconds=1))
    assert [m.id for m in claimed] == [first.id, second.id]
    assert all(m.attempts == 1 for m in claimed)
    # leased: a second sender does not get the same messages while they are in flight
    assert sms.claim_due(session, now + timedelta(seconds=2)) == []
    sms.mark_sent(session, first.id, now + timedelta(seconds=3))
    session.commit()
    assert first.status == "sent" and first.sent_at == now + timedelta(seconds=3)
    # an unmarked message (sender crashed) comes back after the lease
    assert [m.id for m in sms.claim_due(session, now + sms.DEFAULT_LEASE + timedelta(seconds=2))] == [second.id]


def test_failures_back_off_exponentially_then_give_up(session, now) -> None:  # type: ignore[no-untyped-def]
    message = sms.enqueue(session, "13912345678", "提醒", now)
    clock = now
    delays = []
    for _ in range(4):
        claimed = sms.claim_due(session, clock)
        assert [m.id for m in claimed] == [message.id]
        sms.mark_failed(session, message.id, clock, "gateway timeout for 13912345678", max_attempts=4)
        if message.status == "pending":
            delays.append(message.next_attempt_at - clock)
            assert sms.claim_due(session, message.next_attempt_at - timedelta(seconds=1)) == []
            clock = message.next_attempt_at
    assert delays == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert message.status == "failed" and message.attempts == 4
    assert message.last_error == "gateway timeout for 139****5678"
    assert sms.claim_due(session, clock + timedelta(days=1)) == []


def test_backoff_is_capped() -> None:
    assert sms.backoff(1) == timedelta(seconds=30)
    assert sms.backoff(20) == sms.DEFAULT_MAX_DELAY


def test_opt_out_is_recorded_once_and_can_be_cleared(session, now) -> None:  # type: ignore[no-untyped-def]
    assert sms.is_opted_out(session, "13912345678") is False
    assert sms.record_opt_out(session, "+86 139-1234-5678", now) is True
    assert sms.record_opt_out(session, "13912345678", now) is False
    session.commit()
    assert sms.is_opted_out(session, "8613912345678") is True
    assert sms.clear_opt_out(session, "13912345678") is True
    assert sms.is_opted_out(session, "13912345678") is False
    assert sms.clear_opt_out(session, "13912345678") is False


def test_an_inbound_turn_is_pending_until_finished_and_taken_over_only_when_its_lease_ends(session, now) -> None:  # type: ignore[no-untyped-def]
    from bot.store.models import SmsInbound

    lease = timedelta(seconds=30)
    assert sms.record_inbound(session, "gw-1", "13912345678", now, text="你好", lease=lease) is True
    assert sms.record_inbound(session, "gw-2", "13912345678", now) is True  # no turn to run: done at once
    session.commit()
    # Leased to the server running it: neither a redelivery nor a sweep takes it.
    assert sms.claim_redelivered(session, "gw-1", now + timedelta(seconds=29), lease) is None
    assert sms.claim_stale_inbound(session, now + timedelta(seconds=29), lease=lease) == []
    # That server is alive and renews; later it stops renewing (it died).
    assert sms.renew_inbound_leases(session, ["gw-1", "gw-2"], now + timedelta(seconds=60)) == 1
    session.commit()
    assert sms.claim_stale_inbound(session, now + timedelta(seconds=59), lease=lease) == []
    later = now + timedelta(seconds=60)
    [row] = sms.claim_stale_inbound(session, later, lease=lease)
    assert (row.msg_id, row.text, row.attempts, row.lease_until) == ("gw-1", "你好", 2, later + lease)
    session.commit()
    assert sms.claim_redelivered(session, "gw-1", later, lease) is None  # one claimant only
    # A redelivery after that lease too takes it over, as a third attempt.
    assert sms.claim_redelivered(session, "gw-1", later + lease, lease).attempts == 3
    assert sms.finish_inbound(session, "gw-1") is True
    assert sms.finish_inbound(session, "gw-1") is False  # a second run of the turn queues nothing
    session.commit()
    far = later + timedelta(days=1)
    assert sms.claim_redelivered(session, "gw-1", far, lease) is None
    assert sms.claim_redelivered(session, "gw-2", far, lease) is None
    assert sms.claim_stale_inbound(session, far, lease=lease) == []
    done = session.get(SmsInbound, "gw-1", populate_existing=True)
    assert (done.status, done.text, done.lease_until) == ("done", None, None)
