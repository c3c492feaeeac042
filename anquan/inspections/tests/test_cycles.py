"""Periods of each cycle and the calendar rules (local time, Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest

from anquan.inspections import cycles
from anquan.inspections.choices import Cycle, DayRule
from anquan.inspections.tests.conftest import SHANGHAI

EIGHT = dt.time(8, 0)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_an_hourly_period_is_the_clock_hour() -> None:
    assert cycles.period_of(Cycle.HOUR, EIGHT, at(2026, 11, 25, 9, 42)) == (
        at(2026, 11, 25, 9),
        at(2026, 11, 25, 10),
    )


def test_a_daily_period_runs_from_the_start_time_to_the_next_day_s() -> None:
    assert cycles.period_of(Cycle.DAY, EIGHT, at(2026, 11, 25, 9)) == (
        at(2026, 11, 25, 8),
        at(2026, 11, 26, 8),
    )
    # before 08:00 it is still yesterday's period
    assert cycles.period_of(Cycle.DAY, EIGHT, at(2026, 11, 25, 7, 59)) == (
        at(2026, 11, 24, 8),
        at(2026, 11, 25, 8),
    )


def test_a_weekly_period_starts_on_monday() -> None:
    assert cycles.period_of(Cycle.WEEK, EIGHT, at(2026, 11, 25, 9)) == (
        at(2026, 11, 23, 8),
        at(2026, 11, 30, 8),
    )
    assert cycles.period_of(Cycle.WEEK, EIGHT, at(2026, 11, 23, 7)) == (
        at(2026, 11, 16, 8),
        at(2026, 11, 23, 8),
    )


def test_a_monthly_period_starts_on_the_first_and_crosses_the_year() -> None:
    assert cycles.period_of(Cycle.MONTH, EIGHT, at(2026, 12, 31, 23)) == (
        at(2026, 12, 1, 8),
        at(2027, 1, 1, 8),
    )
    assert cycles.period_of(Cycle.MONTH, EIGHT, at(2027, 1, 1, 7)) == (at(2026, 12, 1, 8), at(2027, 1, 1, 8))


def test_utc_input_is_read_in_local_time() -> None:
    utc = dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    assert cycles.period_of(Cycle.DAY, EIGHT, utc)[0] == at(2026, 11, 25, 8)


@pytest.mark.parametrize(
    ("rule", "day", "expected"),
    [
        (DayRule.EVERY_DAY, dt.date(2026, 11, 28), True),  # Saturday
        (DayRule.WORKING_DAYS, dt.date(2026, 11, 27), True),  # Friday
        (DayRule.WORKING_DAYS, dt.date(2026, 11, 28), False),
        (DayRule.NON_WORKING_DAYS, dt.date(2026, 11, 29), True),  # Sunday
        (DayRule.NON_WORKING_DAYS, dt.date(2026, 11, 30), False),  # Monday
    ],
)
def test_calendar_rules(rule: str, day: dt.date, expected: bool) -> None:
    assert cycles.day_matches(rule, day) is expected


def test_the_window_gives_the_due_time_and_the_rule_skips_days() -> None:
    saturday = at(2026, 11, 28, 9)
    assert cycles.current_period(Cycle.DAY, DayRule.WORKING_DAYS, EIGHT, 120, saturday) is None
    assert cycles.current_period(Cycle.DAY, DayRule.NON_WORKING_DAYS, EIGHT, 120, saturday) == (
        at(2026, 11, 28, 8),
        at(2026, 11, 28, 10),
    )
    # the due time never passes the period's end
    assert cycles.current_period(Cycle.HOUR, DayRule.EVERY_DAY, EIGHT, 90, saturday) == (
        at(2026, 11, 28, 9),
        at(2026, 11, 28, 10),
    )


def test_a_holiday_calendar_slots_in() -> None:
    national_day = dt.date(2026, 10, 1)  # a Thursday

    def with_holidays(day: dt.date) -> bool:
        return cycles.is_working_day(day) and day != national_day

    moment = at(2026, 10, 1, 9)
    assert cycles.current_period(Cycle.DAY, DayRule.WORKING_DAYS, EIGHT, 60, moment) is not None
    assert cycles.current_period(Cycle.DAY, DayRule.WORKING_DAYS, EIGHT, 60, moment, with_holidays) is None
