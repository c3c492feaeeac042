"""When a plan's rounds fall: periods of a cycle and the calendar rule (plain functions).

All in local time (``settings.TIME_ZONE``, Asia/Shanghai by default). A period is an hour, a day
(from the plan's start time), a week (from Monday at the start time) or a month (from the 1st at the
start time). Hourly and daily plans keep only the periods whose day the calendar rule accepts;
``is_working_day`` is the one place that says what a working day is, so a holiday calendar can
replace it (pass ``working_day=`` to ``day_matches`` / ``current_period``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings

from anquan.inspections.choices import Cycle, DayRule

WorkingDay = Callable[[dt.date], bool]


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday (a holiday calendar slots in here)."""
    return day.weekday() < 5


def day_matches(rule: str, day: dt.date, working_day: WorkingDay = is_working_day) -> bool:
    if rule == DayRule.WORKING_DAYS:
        return working_day(day)
    if rule == DayRule.NON_WORKING_DAYS:
        return not working_day(day)
    return True


def _at(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def period_of(cycle: str, start_time: dt.time, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) of the period of ``cycle`` that ``now`` falls in (aware, local time)."""
    tz = zone()
    local = now.astimezone(tz)
    if cycle == Cycle.HOUR:
        start = local.replace(minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(hours=1)
    if cycle == Cycle.DAY:
        day = (
            local.date()
            if local.timetz().replace(tzinfo=None) >= start_time
            else local.date() - dt.timedelta(1)
        )
        return _at(day, start_time, tz), _at(day + dt.timedelta(1), start_time, tz)
    if cycle == Cycle.WEEK:
        monday = local.date() - dt.timedelta(days=local.weekday())
        start = _at(monday, start_time, tz)
        if local < start:
            start = _at(monday - dt.timedelta(7), start_time, tz)
        return start, _at(start.date() + dt.timedelta(7), start_time, tz)
    if cycle == Cycle.MONTH:
        first = local.date().replace(day=1)
        start = _at(first, start_time, tz)
        if local < start:
            start = _at((first - dt.timedelta(1)).replace(day=1), start_time, tz)
        return start, _at(_next_month(start.date()), start_time, tz)
    raise ValueError(f"unknown cycle: {cycle!r}")


def current_period(
    cycle: str,
    day_rule: str,
    start_time: dt.time,
    window_minutes: int,
    now: dt.datetime,
    working_day: WorkingDay = is_working_day,
) -> tuple[dt.datetime, dt.datetime] | None:
    """(start, due) of the round due in the period ``now`` falls in; None when the calendar rule skips
    that day. The due time is the start plus the window, never beyond the period's end."""
    start, end = period_of(cycle, start_time, now)
    if cycle in (Cycle.HOUR, Cycle.DAY) and not day_matches(day_rule, start.date(), working_day):
        return None
    return start, min(start + dt.timedelta(minutes=window_minutes), end)
