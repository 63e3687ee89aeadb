"""The three ticket clocks on the branch's working time: trading days of kb/calendar.yml within the
hotline hours of kb/branch.yml. All times below are Beijing time."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.common.clock import BEIJING
from bot.kb import load_kb
from bot.services import ticket_sla
from bot.services.ticket_sla import (BREACHED, IDLE, MET, MISSED, OK, SOURCE_12386, SOURCE_BOT, WARNING,
                                     TicketTimes, clocks)


def bj(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def policy() -> ticket_sla.SlaPolicy:
    found = ticket_sla.policy_for(load_kb())
    # The branch policy (kb/branch.yml) these situations were worked out with; a new policy needs new dates.
    assert (found.first_response_12386, found.update_within, found.solve_within) == (
        timedelta(hours=4), timedelta(hours=8), timedelta(hours=40))
    assert (str(found.warning_share), found.warning_left) == ("0.8", timedelta(hours=1))
    return found


def forwarded(policy: ticket_sla.SlaPolicy, filed: datetime, **moments: datetime) -> TicketTimes:
    return TicketTimes(SOURCE_12386, filed, policy.first_response_due(SOURCE_12386, filed), **moments)


def test_working_hours_come_from_the_hotline_hours_on_trading_days(policy) -> None:
    assert ticket_sla.trading_hours(load_kb().service.hotline_hours) == (9 * 3600, 17 * 3600)
    assert policy.working.between(bj(2026, 12, 8, 8, 0), bj(2026, 12, 8, 20, 0)) == timedelta(hours=8)
    with pytest.raises(ValueError):
        ticket_sla.trading_hours("每天9:00–17:00")  # not a trading-day rule: refuse rather than guess


def test_12386_complaint_forwarded_on_friday_afternoon_is_due_monday_because_the_weekend_does_not_count(policy) -> None:
    times = forwarded(policy, bj(2026, 12, 4, 16, 30))  # Friday: half an hour of the day left
    assert times.first_response_due == bj(2026, 12, 7, 12, 30)  # Monday, after 3.5 more working hours
    saturday = clocks(times, policy, bj(2026, 12, 5, 11, 0)).first_response
    sunday_night = clocks(times, policy, bj(2026, 12, 6, 23, 0)).first_response
    assert saturday.state == OK and saturday.left_minutes == sunday_night.left_minutes == 210
    assert clocks(times, policy, bj(2026, 12, 7, 12, 30)).first_response.state == BREACHED


def test_12386_complaint_forwarded_before_the_national_day_holiday_is_due_after_it(policy) -> None:
    times = forwarded(policy, bj(2026, 9, 30, 16, 0))  # Wednesday; 国庆 closes 1–7 October
    assert times.first_response_due == bj(2026, 10, 8, 12, 0)
    on_holiday = clocks(times, policy, bj(2026, 10, 5, 10, 0))
    assert on_holiday.first_response.state == OK and on_holiday.first_response.left_minutes == 180


def test_solution_clock_skips_the_whole_national_day_closure(policy) -> None:
    times = forwarded(policy, bj(2026, 9, 30, 15, 0))
    # 2 h on 30 Sep, 8 h each on 8, 9, 12, 13 Oct, then 6 h on 14 Oct: 40 working hours.
    assert clocks(times, policy, bj(2026, 9, 30, 15, 0)).solution.due_at == bj(2026, 10, 14, 15, 0)
    before = clocks(times, policy, bj(2026, 9, 30, 20, 0)).solution.left_minutes
    assert clocks(times, policy, bj(2026, 10, 7, 16, 0)).solution.left_minutes == before == 38 * 60


def test_update_clock_over_the_spring_festival_waits_for_the_first_trading_day_after_it(policy) -> None:
    responded = bj(2026, 2, 13, 15, 0)  # Friday before 春节 (closed 16–20 and 23 February)
    times = TicketTimes(SOURCE_BOT, bj(2026, 2, 13, 10, 0), bj(2026, 2, 13, 18, 0),
                        first_response_at=responded, last_update_at=responded)
    update = clocks(times, policy, bj(2026, 2, 20, 12, 0)).update
    assert update.due_at == bj(2026, 2, 24, 15, 0) and update.state == OK
    assert clocks(times, policy, bj(2026, 2, 13, 16, 0)).first_response.state == MET


def test_complaint_registered_after_hours_starts_its_clock_at_the_next_opening(policy) -> None:
    times = forwarded(policy, bj(2026, 12, 8, 20, 0))  # Tuesday evening
    assert times.first_response_due == bj(2026, 12, 9, 13, 0)
    overnight = clocks(times, policy, bj(2026, 12, 9, 8, 59)).first_response
    assert overnight.state == OK and overnight.left_minutes == 240


def test_complaint_filed_through_the_bot_keeps_the_natural_hours_it_promised_the_customer(policy) -> None:
    # kb/complaints.yml promises natural hours; the desk must not show a later deadline than the customer was told.
    times = TicketTimes(SOURCE_BOT, bj(2026, 12, 4, 22, 0), bj(2026, 12, 5, 6, 0))
    saturday = clocks(times, policy, bj(2026, 12, 5, 7, 0)).first_response
    assert saturday.state == BREACHED and saturday.meter == "natural" and saturday.left_minutes == -60


def test_less_than_an_hour_left_warns_even_before_eighty_percent_is_used(policy) -> None:
    times = forwarded(policy, bj(2026, 12, 8, 9, 0))  # due 13:00
    assert clocks(times, policy, bj(2026, 12, 8, 11, 55)).first_response.state == OK  # 65 min left, 73 % used
    warned = clocks(times, policy, bj(2026, 12, 8, 12, 5))  # 55 min left, 77 % used
    assert warned.first_response.state == WARNING and warned.warning and not warned.overdue


def test_eighty_percent_used_warns_with_more_than_an_hour_left(policy) -> None:
    responded = bj(2026, 12, 8, 9, 0)
    times = TicketTimes(SOURCE_BOT, bj(2026, 12, 8, 8, 0), bj(2026, 12, 8, 16, 0),
                        first_response_at=responded, last_update_at=responded)  # update due 17:00
    assert clocks(times, policy, bj(2026, 12, 8, 15, 20)).update.state == OK  # 6 h 20 min used
    late = clocks(times, policy, bj(2026, 12, 8, 15, 30)).update  # 6.5 h of 8 used, 90 minutes left
    assert late.state == WARNING and late.left_minutes == 90


def test_a_breached_clock_makes_the_ticket_overdue_and_no_longer_just_a_warning(policy) -> None:
    times = forwarded(policy, bj(2026, 12, 8, 9, 0))
    found = clocks(times, policy, bj(2026, 12, 8, 13, 30))
    assert found.first_response.state == BREACHED and found.first_response.left_minutes == -30
    assert found.overdue and not found.warning
    assert found.next_due == bj(2026, 12, 8, 13, 0)


def test_stopped_clocks_say_whether_they_were_met_and_the_update_clock_rests_after_resolution(policy) -> None:
    filed = bj(2026, 12, 8, 9, 0)
    late_response = forwarded(policy, filed, first_response_at=bj(2026, 12, 8, 14, 0),
                              last_update_at=bj(2026, 12, 8, 14, 0), resolved_at=bj(2026, 12, 9, 10, 0))
    found = clocks(late_response, policy, bj(2026, 12, 20, 10, 0))
    assert (found.first_response.state, found.update.state, found.solution.state) == (MISSED, IDLE, MET)
    assert not found.overdue and found.next_due is None


def test_before_the_first_response_only_first_response_and_solution_run(policy) -> None:
    found = clocks(forwarded(policy, bj(2026, 12, 8, 9, 0)), policy, bj(2026, 12, 8, 10, 0))
    assert (found.first_response.state, found.update.state, found.solution.state) == (OK, IDLE, OK)


def test_a_reopened_ticket_runs_its_solution_clock_again_from_filing(policy) -> None:
    filed = bj(2026, 11, 2, 9, 0)  # solved within the week, reopened three weeks later
    reopened = forwarded(policy, filed, first_response_at=bj(2026, 11, 2, 10, 0),
                         last_update_at=bj(2026, 11, 23, 10, 0), resolved_at=None)
    found = clocks(reopened, policy, bj(2026, 11, 23, 11, 0))
    assert found.solution.state == BREACHED and found.update.state == OK and found.overdue


def test_clocks_hold_for_old_tickets_and_into_the_provisional_next_year(policy) -> None:
    old = forwarded(policy, bj(2024, 1, 2, 9, 0))
    now = bj(2026, 12, 8, 10, 0)
    assert clocks(old, policy, now).solution.left_minutes < -1000 * 60
    assert policy.working.add(bj(2026, 12, 31, 16, 0), timedelta(hours=2)) == bj(2027, 1, 4, 10, 0)  # 元旦 (provisional)
