"""The KPI computations over activation timestamps (plain Python, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from anquan.monitoring import kpis
from anquan.monitoring.kpis import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    TARGETS,
    ChatterEpisode,
    FloodPeriod,
)

S = SECOND_MS
T0 = 1_764_300_000_000  # an arbitrary epoch-ms origin


def at(*seconds: float) -> list[int]:
    return [T0 + int(s * S) for s in seconds]


# --- targets -------------------------------------------------------------------------------------
def test_targets_carry_the_standard_figures() -> None:
    t = kpis.KpiTargets()
    assert (t.acceptable_per_interval, t.manageable_per_interval, t.rate_interval_ms) == (
        1.0,
        2.0,
        10 * MINUTE_MS,
    )
    assert (t.acceptable_per_hour, t.manageable_per_hour) == (6.0, 12.0)
    assert (t.acceptable_per_day, t.manageable_per_day) == (144.0, 288.0)
    assert (t.flood_start_above, t.flood_end_below, t.flood_window_ms) == (10, 5, 10 * MINUTE_MS)
    assert (t.chatter_activations, t.chatter_window_ms) == (3, MINUTE_MS)
    assert t.stale_after_ms == 24 * HOUR_MS
    assert t.priority_mix == (("low", 0.80), ("medium", 0.15), ("high", 0.05))
    assert (t.top_n, t.top_share_good, t.top_share_max, t.unauthorised_max) == (10, 0.01, 0.05, 0)


# --- floods --------------------------------------------------------------------------------------
def test_ten_alarms_in_ten_minutes_is_not_a_flood() -> None:
    ts = at(*range(0, 600, 60))  # 10 alarms, 0 … 540 s
    assert len(ts) == 10
    assert kpis.flood_periods(ts, until_ms=T0 + DAY_MS) == []


def test_eleven_alarms_within_exactly_ten_minutes_start_a_flood() -> None:
    ts = at(*range(0, 601, 60))  # 11 alarms, the last exactly 600 s after the first
    assert len(ts) == 11

    floods = kpis.flood_periods(ts, until_ms=T0 + DAY_MS)

    # Starts at the first of the 11; ends when the 7th (at 360 s) leaves the window at 960 s,
    # leaving 4 (420 … 600 s) in the trailing 10 minutes.
    assert floods == [FloodPeriod(start_ms=T0, end_ms=T0 + 960 * S, count=11, peak=11)]


def test_eleven_alarms_over_ten_minutes_and_one_millisecond_are_not_a_flood() -> None:
    ts = [*at(*range(0, 600, 60)), T0 + 600 * S + 1]
    assert kpis.flood_periods(ts, until_ms=T0 + DAY_MS) == []


def test_flood_continues_while_five_remain_in_ten_minutes() -> None:
    # A burst of 11 in 10 s, then one alarm every 120 s: exactly 5 in every 10 minutes.
    burst = at(*range(11))
    trickle = at(*range(120, 3601, 120))

    floods = kpis.flood_periods(burst + trickle, until_ms=T0 + DAY_MS)

    # The trickle stops at 3600 s; at 3720 s the alarm of 3120 s leaves and 4 remain: the end.
    # Busiest 10 minutes: [0 s, 600 s] holds the burst and 5 of the trickle.
    assert floods == [FloodPeriod(start_ms=T0, end_ms=T0 + 3720 * S, count=11 + 30, peak=16)]


def test_flood_ends_when_fewer_than_five_remain() -> None:
    # The same burst, then one alarm every 150 s: only 4 in 10 minutes once the burst has left.
    burst = at(*range(11))
    trickle = at(*range(150, 3601, 150))

    floods = kpis.flood_periods(burst + trickle, until_ms=T0 + DAY_MS)

    # At 609 s the alarm of 9 s leaves, 5 remain (10 s + 150/300/450/600 s); at 610 s only 4.
    assert floods == [FloodPeriod(start_ms=T0, end_ms=T0 + 610 * S, count=11 + 4, peak=15)]


def test_a_second_flood_needs_more_than_ten_again() -> None:
    first = at(*range(11))  # 11 in 10 s: a flood
    # After the first flood ended, 9 alarms in 10 minutes: not enough; then 11: a new flood.
    calm = at(*range(2000, 2540, 60))
    second = at(*range(5000, 5011))
    floods = kpis.flood_periods(first + calm + second, until_ms=T0 + DAY_MS)
    assert [(f.start_ms, f.end_ms, f.count) for f in floods] == [
        (T0, T0 + 606 * S, 11),  # at 606 s the alarm of 6 s leaves: 7, 8, 9, 10 s remain
        (T0 + 5000 * S, T0 + 5606 * S, 11),
    ]


def test_flood_still_running_at_the_end_of_the_window_has_no_end() -> None:
    ts = at(*range(11))
    floods = kpis.flood_periods(ts, until_ms=T0 + 300 * S)
    assert floods == [FloodPeriod(start_ms=T0, end_ms=None, count=11, peak=11)]
    # Activations after `until` are not seen at all.
    assert kpis.flood_periods(ts, until_ms=T0 + 5 * S) == []


def test_time_in_flood_is_clipped_to_the_window_and_counted_once() -> None:
    floods = [
        FloodPeriod(T0 - 600 * S, T0 + 600 * S, 20, 12),  # began before the window
        FloodPeriod(T0 + 1800 * S, T0 + 2400 * S, 11, 11),
        FloodPeriod(T0 + 2100 * S, T0 + 2700 * S, 11, 11, area_id=2),  # overlaps (another area)
        FloodPeriod(T0 + 3300 * S, None, 11, 11),  # still running at the window's end
    ]
    window = (T0, T0 + 3600 * S)

    assert kpis.flood_intervals(floods, *window) == [
        (T0, T0 + 600 * S),
        (T0 + 1800 * S, T0 + 2700 * S),
        (T0 + 3300 * S, T0 + 3600 * S),
    ]
    assert kpis.time_in_flood(floods, *window) == (600 + 900 + 300) / 3600


def test_time_in_flood_of_one_flood() -> None:
    ts = at(*range(0, 601, 60))
    floods = kpis.flood_periods(ts, until_ms=T0 + 3600 * S)
    assert kpis.time_in_flood(floods, T0, T0 + 3600 * S) == 960 / 3600
    assert kpis.time_in_flood([], T0, T0 + 3600 * S) == 0.0


# --- chattering ----------------------------------------------------------------------------------
def test_three_activations_within_sixty_seconds_chatter() -> None:
    assert kpis.chatter_episodes(at(0, 30, 60)) == [ChatterEpisode(T0, T0 + 60 * S, 3)]


def test_three_activations_over_sixty_one_seconds_do_not_chatter() -> None:
    assert kpis.chatter_episodes(at(0, 30, 61)) == []
    assert kpis.chatter_episodes(at(0, 30)) == []


def test_chatter_episodes_are_separated_by_quiet_gaps() -> None:
    ts = at(0, 20, 40, 70, 100, 500, 510, 520, 2000)
    assert kpis.chatter_episodes(ts) == [
        ChatterEpisode(T0, T0 + 100 * S, 5),  # 0/20/40 qualify, 40/70/100 too, gaps ≤ 60 s
        ChatterEpisode(T0 + 500 * S, T0 + 520 * S, 3),
    ]


# --- stale ---------------------------------------------------------------------------------------
def test_stale_is_active_for_more_than_24_hours() -> None:
    raised = T0
    assert not kpis.is_stale(raised, None, raised + DAY_MS)  # exactly 24 h: not yet
    assert kpis.is_stale(raised, None, raised + DAY_MS + 1)
    assert not kpis.is_stale(raised, raised + HOUR_MS, raised + 2 * DAY_MS)  # returned to normal
    assert kpis.is_stale(raised, raised + 3 * DAY_MS, raised + 2 * DAY_MS)  # returns only later


def test_stale_per_day_counts_alarms_stale_at_some_moment_of_each_day() -> None:
    edges = [T0, T0 + DAY_MS, T0 + 2 * DAY_MS, T0 + 3 * DAY_MS]
    alarms = [
        (T0 - DAY_MS, None),  # stale from T0 on: every day
        (T0, T0 + DAY_MS),  # returns exactly when it would turn stale: never stale
        (T0 + 12 * HOUR_MS, T0 + 40 * HOUR_MS),  # stale from 36 h to 40 h: day 2 only
        (T0 + DAY_MS, None),  # stale from 48 h: day 3
    ]
    assert kpis.stale_per_day(alarms, edges, until_ms=T0 + 3 * DAY_MS) == [1, 2, 2]
    # Cut at `until`: a day not yet reached counts nothing.
    assert kpis.stale_per_day(alarms, edges, until_ms=T0 + DAY_MS + 1) == [1, 1, 0]


# --- load ----------------------------------------------------------------------------------------
def test_top_ten_share_of_the_load() -> None:
    counts = {rule: n for rule, n in enumerate([50, 40, 30, 20, 10, 9, 8, 7, 6, 5, 3, 2], start=1)}

    top, share = kpis.top_contributors(counts)

    assert [(rule, n) for rule, n, _s in top] == [(r, counts[r]) for r in range(1, 11)]
    assert top[0][2] == 50 / 190
    assert share == 185 / 190
    assert kpis.top_contributors({}) == ([], 0.0)
    # Equal counts are ranked by key, so the page is stable.
    assert kpis.top_contributors({3: 1, 1: 1, 2: 1}, n=2)[0] == [(1, 1, 1 / 3), (2, 1, 1 / 3)]


def test_priority_mix_against_80_15_5() -> None:
    mix = kpis.priority_mix({"low": 8, "high": 2})
    assert [(p.priority, p.count, p.share, p.target) for p in mix] == [
        ("low", 8, 0.8, 0.80),
        ("medium", 0, 0.0, 0.15),
        ("high", 2, 0.2, 0.05),
    ]
    assert [p.share for p in kpis.priority_mix({})] == [0.0, 0.0, 0.0]


def test_rate_summary_over_the_window() -> None:
    # 12 alarms in one hour: 2 per 10 minutes on average, 6 of them in one 10-minute interval.
    start = T0 - T0 % (10 * MINUTE_MS)
    ts = [start + i * S for i in range(6)] + [start + (20 * 60 + i * 300) * S for i in range(6)]
    summary = kpis.rate_summary(ts, start, start + HOUR_MS)
    assert summary.total == 12
    assert summary.per_interval == 2.0
    assert summary.per_hour == 12.0
    assert summary.per_day == 288.0
    assert summary.peak_interval == 6
    assert summary.intervals_over_flood == 0.0
    assert kpis.grade_rate(1.0) == "ok"
    assert kpis.grade_rate(2.0) == "warn"
    assert kpis.grade_rate(2.01) == "bad"


def test_ack_summary() -> None:
    summary = kpis.ack_summary([(T0, T0 + 30 * S), (T0, T0 + 90 * S), (T0, None), (T0, T0 + 120 * S)])
    assert (summary.raised, summary.acked, summary.mean_s, summary.median_s) == (4, 3, 80.0, 90.0)
    assert kpis.ack_summary([]) == kpis.AckSummary(0, 0, None, None)


# --- buckets -------------------------------------------------------------------------------------
def test_buckets_align_to_local_time() -> None:
    start = T0 + 7 * MINUTE_MS + 5 * S
    edges = kpis.regular_edges(start, start + 25 * MINUTE_MS, 10 * MINUTE_MS)
    assert edges[0] <= start < edges[1]
    assert edges[-2] <= start + 25 * MINUTE_MS < edges[-1]
    assert all(e % (10 * MINUTE_MS) == 0 for e in edges)
    assert kpis.histogram([edges[0], edges[1] - 1, edges[1]], edges) == [2, 1, 0, 0]


def test_local_day_edges_are_local_midnights() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    start = kpis.to_ms(datetime(2026, 3, 1, 10, 0, tzinfo=shanghai))
    end = kpis.to_ms(datetime(2026, 3, 3, 9, 0, tzinfo=shanghai))
    edges = kpis.local_day_edges(start, end, shanghai)
    assert [kpis.from_ms(e).astimezone(shanghai).strftime("%m-%d %H:%M") for e in edges] == [
        "03-01 00:00",
        "03-02 00:00",
        "03-03 00:00",
        "03-04 00:00",
    ]
    assert kpis.to_ms(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1000
    assert TARGETS.top_n == 10
