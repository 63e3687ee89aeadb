"""The three SLA clocks of a ticket — first response, update, solution (as in Zammad) — on the branch's
working time. Pure: timestamps and policy in, due times and states out; nothing here reads the clock.

Working time is the trading days of the exchange calendar (kb/calendar.yml: weekends and exchange
holidays do not count) within the hotline hours in kb/branch.yml (`hotline_hours`, the hours agents
staff the desk). Each clock, with what starts and stops it (the store keeps the timestamps):

- first response: from filing until the first staff transition out of `open` (to in_progress, or
  resolved on first contact). Notes and assignment do not count: routing a ticket or writing to
  colleagues tells the customer nothing. Due at `sla_due_at`, fixed at filing: for a complaint filed
  through the bot, the promise the customer was given (kb/complaints.yml `sla_hours`, natural hours, so
  this clock runs in natural hours); for a complaint forwarded by the 12386 hotline,
  `ticket_12386_first_response_hours` working hours (branch policy; the regulator's own deadlines are
  not verified, see kb/branch.yml).
- update: once the first response is given and until resolution, from the last staff update (a status
  change or an internal note) to the next, `ticket_update_hours` working hours at most.
- solution: from filing until resolution, `ticket_solution_hours` working hours; reopening clears the
  resolution, so the clock runs again from filing.

A running clock is `ok`, `warning` (≥ `ticket_warning_share` of its time used, or less than
`ticket_warning_hours` left) or `breached`; a stopped one is `met` or `missed`; the update clock is
`idle` before the first response and after resolution.
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Callable, List, Optional, Protocol, Tuple

from bot.common.clock import as_utc
from bot.kb import KnowledgeBase

SOURCE_BOT, SOURCE_12386 = "bot", "12386"
SOURCES = (SOURCE_BOT, SOURCE_12386)

OK, WARNING, BREACHED, MET, MISSED, IDLE = "ok", "warning", "breached", "met", "missed", "idle"
FIRST_RESPONSE, UPDATE, SOLUTION = "first_response", "update", "solution"

_BEIJING_OFFSET = 8 * 3600  # China has no daylight saving time
_DAY = 86400
_HOURS = re.compile(r"(\d{1,2})[:：](\d{2})\s*[–\-~至到]\s*(\d{1,2})[:：](\d{2})")


class Meter(Protocol):
    """A clock's time: seconds counted from some origin, and back to an instant."""

    name: str

    def at(self, moment: datetime) -> float: ...

    def instant(self, seconds: float) -> datetime: ...


def _timestamp(moment: datetime) -> float:
    # A naive value is UTC already (what the database returns), never the machine's local time.
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)).timestamp()


class NaturalTime:
    name = "natural"

    def at(self, moment: datetime) -> float:
        return _timestamp(moment)

    def instant(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)


NATURAL = NaturalTime()


class WorkingTime:
    """Working seconds (from `origin`, a Beijing date) on the days `is_working_day` accepts, between
    `opens` and `closes` (seconds after Beijing midnight). A cumulative table per day makes both
    directions a lookup, so a queue of thousands of tickets costs no day-by-day walks."""

    name = "working"

    def __init__(self, is_working_day: Callable[[date], bool], opens: int, closes: int,
                 origin: date = date(2020, 1, 1)) -> None:
        if not 0 <= opens < closes <= _DAY:
            raise ValueError(f"working hours must open before they close, got {opens}–{closes} s")
        self._is_working_day = is_working_day
        self._opens, self._span = opens, closes - opens
        self._origin = origin
        self._origin_day = (origin - date(1970, 1, 1)).days
        self._ends: List[int] = []  # working seconds from the origin to the end of day i
        self._growing = threading.Lock()
        self._last: Tuple[Optional[datetime], float] = (None, 0.0)  # a queue asks about one `now` per ticket

    def _cover(self, day_index: int) -> None:
        if len(self._ends) > day_index:
            return
        with self._growing:  # the policy is shared: two threads must not both append the same days
            total = self._ends[-1] if self._ends else 0
            while len(self._ends) <= day_index:
                if self._is_working_day(self._origin + timedelta(days=len(self._ends))):
                    total += self._span
                self._ends.append(total)

    def at(self, moment: datetime) -> float:
        last = self._last
        if last[0] is moment:
            return last[1]
        local = _timestamp(moment) + _BEIJING_OFFSET
        index = int(local // _DAY) - self._origin_day
        if index < 0:
            return 0.0
        self._cover(index)
        before = self._ends[index - 1] if index else 0
        if self._ends[index] == before:  # not a working day
            value = float(before)
        else:
            into = local - (index + self._origin_day) * _DAY - self._opens
            value = before + min(max(into, 0.0), self._span)
        self._last = (moment, value)
        return value

    def instant(self, seconds: float) -> datetime:
        """The earliest moment by which `seconds` of working time have passed."""
        while not self._ends or self._ends[-1] < seconds:
            self._cover(len(self._ends) + 366)
        index = bisect_left(self._ends, seconds)
        before = self._ends[index - 1] if index else 0
        local = (index + self._origin_day) * _DAY + self._opens + (seconds - before)
        return datetime.fromtimestamp(local - _BEIJING_OFFSET, tz=timezone.utc)

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        return self.instant(self.at(moment) + duration.total_seconds())

    def between(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(seconds=self.at(end) - self.at(start))


def trading_hours(spec: str) -> Tuple[int, int]:
    """"交易日9:00–17:00" → (9 h, 17 h) in seconds after midnight; only trading-day hours are understood."""
    match = _HOURS.search(spec)
    if "交易日" not in spec or not match:
        raise ValueError(f"hotline_hours must read like 交易日9:00–17:00, got {spec!r}")
    opens = int(match.group(1)) * 3600 + int(match.group(2)) * 60
    return opens, int(match.group(3)) * 3600 + int(match.group(4)) * 60


@dataclass(frozen=True)
class SlaPolicy:
    working: WorkingTime
    first_response_12386: timedelta
    update_within: timedelta
    solve_within: timedelta
    warning_share: Decimal
    warning_left: timedelta

    def first_response_due(self, source: str, filed_at: datetime, promised: Optional[datetime] = None) -> datetime:
        """When the first response is due: the promise made at filing (bot), or the 12386 working hours."""
        if source == SOURCE_12386:
            return self.working.add(filed_at, self.first_response_12386)
        if promised is None:
            raise ValueError("a complaint filed through the bot carries the deadline it promised")
        return as_utc(promised)


@lru_cache(maxsize=4)
def policy_for(kb: KnowledgeBase) -> SlaPolicy:
    """The branch's clocks (kb/branch.yml) on the exchange calendar (kb/calendar.yml)."""
    branch = kb.branch
    if branch is None:
        raise ValueError("kb/branch.yml is missing: the ticket deadlines are branch policy")
    opens, closes = trading_hours(branch.text("hotline_hours"))

    def hours(name: str) -> timedelta:
        return timedelta(hours=int(branch.raw(name)))

    return SlaPolicy(
        working=WorkingTime(kb.calendar.is_trading_day, opens, closes),
        first_response_12386=hours("ticket_12386_first_response_hours"),
        update_within=hours("ticket_update_hours"),
        solve_within=hours("ticket_solution_hours"),
        warning_share=Decimal(branch.text("ticket_warning_share")),
        warning_left=hours("ticket_warning_hours"),
    )


@dataclass(frozen=True)
class TicketTimes:
    """What the clocks read from a ticket."""

    source: str
    filed_at: datetime
    first_response_due: datetime  # the ticket's sla_due_at
    first_response_at: Optional[datetime] = None
    last_update_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None


@dataclass(frozen=True)
class Clock:
    name: str
    state: str
    meter: str  # working / natural: what `left_minutes` counts
    due_at: Optional[datetime]
    left_minutes: Optional[int]  # while running; negative once breached
    stopped_at: Optional[datetime]

    @property
    def running(self) -> bool:
        return self.state in (OK, WARNING, BREACHED)


@dataclass(frozen=True)
class Clocks:
    first_response: Clock
    update: Clock
    solution: Clock
    overdue: bool  # a running clock is past its due time
    warning: bool  # about to escalate: a running clock is in its warning time and none is past due
    next_due: Optional[datetime]  # the earliest due time of the running clocks

    @classmethod
    def of(cls, first: Clock, update: Clock, solution: Clock) -> "Clocks":
        states = (first.state, update.state, solution.state)
        overdue = BREACHED in states
        running = [c.due_at for c in (first, update, solution) if c.running and c.due_at is not None]
        return cls(first, update, solution, overdue, not overdue and WARNING in states,
                   min(running) if running else None)

    def all(self) -> Tuple[Clock, Clock, Clock]:
        return self.first_response, self.update, self.solution


def _clock(name: str, meter: Meter, policy: SlaPolicy, start: datetime, due: datetime,
           stopped: Optional[datetime], now: datetime) -> Clock:
    if stopped is not None:
        return Clock(name, MET if as_utc(stopped) <= due else MISSED, meter.name, due, None, as_utc(stopped))
    due_s = meter.at(due)
    left = due_s - meter.at(now)
    if left <= 0:
        state = BREACHED
    else:
        budget = due_s - meter.at(start)
        used = (budget - left) / budget if budget > 0 else 1.0
        state = WARNING if left < policy.warning_left.total_seconds() or used >= float(policy.warning_share) else OK
    return Clock(name, state, meter.name, due, int(left // 60), None)


def clocks(times: TicketTimes, policy: SlaPolicy, now: datetime) -> Clocks:
    working = policy.working
    filed = as_utc(times.filed_at)
    first_meter: Meter = working if times.source == SOURCE_12386 else NATURAL
    first = _clock(FIRST_RESPONSE, first_meter, policy, filed, as_utc(times.first_response_due),
                   times.first_response_at, now)
    if times.first_response_at is None or times.resolved_at is not None:
        update = Clock(UPDATE, IDLE, working.name, None, None, None)
    else:
        since = max(as_utc(times.first_response_at), as_utc(times.last_update_at or times.first_response_at))
        update = _clock(UPDATE, working, policy, since, working.add(since, policy.update_within), None, now)
    solution = _clock(SOLUTION, working, policy, filed, working.add(filed, policy.solve_within),
                      times.resolved_at, now)
    return Clocks.of(first, update, solution)
