"""The exchanges' trading calendar (kb/calendar.yml): which weekdays are closed, year by year.

Weekends are always closed. A year is *announced* when the exchanges' holiday notice for it is in the
kb; any later year is *provisional*: weekends and the fixed-date holidays only, and every answer about
it says so. `python -m bot.kb check` warns 60 days before the announced years run out and fails after.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import yaml
from pydantic import Field, root_validator

from bot.kb.models import Record, Reviewed

CALENDAR_FILE = "calendar.yml"
WARN_DAYS_BEFORE_END = 60


class Closure(Record):
    name: str
    days: List[date] = Field(..., min_items=1)


class CalendarYear(Reviewed):
    year: int
    closures: List[Closure]

    @root_validator(skip_on_failure=True)
    def _days_in_year_and_weekdays(cls, values: dict) -> dict:
        for closure in values["closures"]:
            for day in closure.days:
                if day.year != values["year"]:
                    raise ValueError(f"{closure.name}: {day} is not in {values['year']}")
                if day.weekday() >= 5:
                    raise ValueError(f"{closure.name}: {day} is a weekend day; list only weekday closures")
        return values


class FixedHoliday(Record):
    name: str
    month: int = Field(..., ge=1, le=12)
    day: int = Field(..., ge=1, le=31)


class TradingCalendar(Record):
    years: List[CalendarYear] = Field(..., min_items=1)
    provisional_fixed_holidays: List[FixedHoliday] = []

    @property
    def last_announced_day(self) -> date:
        return date(max(y.year for y in self.years), 12, 31)

    def _year(self, year: int) -> Optional[CalendarYear]:
        return next((y for y in self.years if y.year == year), None)

    def is_announced(self, day: date) -> bool:
        return self._year(day.year) is not None

    def closure(self, day: date) -> Optional[str]:
        """The holiday a weekday is closed for, or None; weekends are not holidays here."""
        known = self._year(day.year)
        if known is not None:
            return next((c.name for c in known.closures if day in c.days), None)
        if day.year > self.last_announced_day.year:
            return next((h.name for h in self.provisional_fixed_holidays
                         if (h.month, h.day) == (day.month, day.day)), None)
        return None

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.closure(day) is None

    def next_trading_day(self, day: date) -> date:
        """The first trading day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_trading_day(day):
            day += timedelta(days=1)
        return day

    def holiday(self, name: str, after: date) -> Optional[Tuple[CalendarYear, Closure]]:
        """The next announced closure called `name` that has not ended before `after`, else the last one."""
        found = [(y, c) for y in sorted(self.years, key=lambda y: y.year) for c in y.closures if c.name == name]
        upcoming = [(y, c) for y, c in found if max(c.days) >= after]
        return (upcoming or found[-1:] or [None])[0]

    def source_for(self, day: date) -> Optional[CalendarYear]:
        return self._year(day.year)

    def coverage_problems(self, today: date) -> Tuple[List[str], List[str]]:
        """(problems, warnings) about how far the announced years reach."""
        end = self.last_announced_day
        if end < today:
            return [f"{CALENDAR_FILE}: the announced years ended on {end}; add the exchanges' notice for {today.year}"], []
        if (end - today).days <= WARN_DAYS_BEFORE_END:
            return [], [f"{CALENDAR_FILE}: the announced years end on {end} ({(end - today).days} days); "
                        f"add the exchanges' {end.year + 1} holiday notice when it is published"]
        return [], []

    def fact_records(self) -> Iterator[Tuple[str, Reviewed]]:
        for year in self.years:
            yield f"calendar.{year.year}", year


def load_calendar(kb_dir: Path) -> TradingCalendar:
    with open(Path(kb_dir) / CALENDAR_FILE, encoding="utf-8") as fh:
        return TradingCalendar(**yaml.safe_load(fh))


WEEKDAYS = "一二三四五六日"


def weekday_cn(day: date) -> str:
    return f"周{WEEKDAYS[day.weekday()]}"
