"""Time conventions of the store: instants are timezone-aware UTC, business days are Beijing days."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# China has no daylight saving time, so a fixed offset is exact and needs no tz database.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def as_utc(moment: datetime) -> datetime:
    """Aware UTC instant; a naive value is taken to be UTC already (what the database returns)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def business_day(now: datetime) -> date:
    """The branch's calendar day for `now`: ids like CP-YYYYMMDD-NNNN follow Beijing dates, not UTC."""
    return as_utc(now).astimezone(BEIJING).date()
