"""Daily ids: CP-YYYYMMDD-NNNN by Beijing date, one sequence per prefix and day."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.common.clock import business_day
from bot.store.ids import ID_PATTERN, next_id


def test_ids_count_up_per_prefix_and_day(session) -> None:  # type: ignore[no-untyped-def]
    day = date(2026, 11, 25)
    assert [next_id(session, "CP", day) for _ in range(3)] == [
        "CP-20261125-0001",
        "CP-20261125-0002",
        "CP-20261125-0003",
    ]
    assert next_id(session, "RT", day) == "RT-20261125-0001"
    assert next_id(session, "CP", date(2026, 11, 26)) == "CP-20261126-0001"
    assert ID_PATTERN.match("CP-20261125-0003")


def test_sequence_survives_commit_and_rolls_back_with_the_transaction(sessions) -> None:  # type: ignore[no-untyped-def]
    day = date(2026, 11, 25)
    with sessions.begin() as session:
        assert next_id(session, "CP", day) == "CP-20261125-0001"
    with sessions() as session:
        assert next_id(session, "CP", day) == "CP-20261125-0002"
        session.rollback()
    with sessions.begin() as session:
        assert next_id(session, "CP", day) == "CP-20261125-0002"


def test_numbers_past_9999_widen_instead_of_wrapping(session) -> None:  # type: ignore[no-untyped-def]
    from bot.store.models import DailySequence

    session.add(DailySequence(prefix="CP", day=date(2026, 11, 25), last_value=9999))
    session.flush()
    assert next_id(session, "CP", date(2026, 11, 25)) == "CP-20261125-10000"


def test_bad_prefix_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        next_id(session, "cp; drop", date(2026, 11, 25))


def test_business_day_is_the_beijing_date() -> None:
    # 2026-11-25 17:30 UTC is already the 26th in Beijing.
    assert business_day(datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc)) == date(2026, 11, 26)
    assert business_day(datetime(2026, 11, 25, 15, 59, tzinfo=timezone.utc)) == date(2026, 11, 25)
