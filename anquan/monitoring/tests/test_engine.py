"""The rule engine alone (plain Python): every kind, the delay/deadband state machine, memory that
survives a restart, and properties (hypothesis) of deadband, delays and clock independence."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from anquan.monitoring.alarms.engine import Engine, RuleSpec, Transition, tags_of

TAG, OTHER = 101, 202
S = 1000  # ms per second
MIN = 60 * S


def limit(level: str = "H", value: float = 50.0, **kw: Any) -> RuleSpec:
    return RuleSpec(id=1, kind="limit", tags=(TAG,), params={"level": level, "value": value}, **kw)


def engine(*specs: RuleSpec) -> Engine:
    e = Engine()
    for spec in specs:
        e.load(spec)
    return e


def feed(e: Engine, *values: tuple[int, float], tag: int = TAG) -> list[tuple[bool, int, float | None]]:
    return [(t.active, t.ts, t.value) for t in e.feed([(tag, ts, v) for ts, v in values])]


def ticks(e: Engine, *times: int) -> list[tuple[bool, int, float | None]]:
    out: list[Transition] = []
    for now in times:
        out += e.tick(now)
    return [(t.active, t.ts, t.value) for t in out]


# --- limits and deadband ------------------------------------------------------------------------
def test_high_limit_activates_at_the_limit_and_returns_below_the_deadband() -> None:
    e = engine(limit("H", 50.0, deadband=2.0))

    assert feed(
        e, (1 * S, 49.9), (2 * S, 50.0), (3 * S, 51.0), (4 * S, 48.0), (5 * S, 47.9), (6 * S, 48.5)
    ) == [
        (True, 2 * S, 50.0),
        (False, 5 * S, 47.9),
    ]


def test_low_limits_activate_at_or_below_and_return_above_the_deadband() -> None:
    e = engine(limit("LL", 10.0, deadband=1.0))

    assert feed(e, (1 * S, 10.5), (2 * S, 9.0), (3 * S, 10.9), (4 * S, 11.0), (5 * S, 11.01)) == [
        (True, 2 * S, 9.0),
        (False, 5 * S, 11.01),  # strictly beyond limit + deadband, as H returns strictly below
    ]


def test_limit_levels_are_case_insensitive() -> None:
    e = engine(limit("hh", 80.0))

    assert feed(e, (1 * S, 81.0)) == [(True, 1 * S, 81.0)]


# --- the state machine with delays --------------------------------------------------------------
def test_on_delay_activates_when_the_condition_held_for_the_delay_at_that_time() -> None:
    e = engine(limit(on_delay_s=10))

    assert feed(e, (0, 55.0), (4 * S, 56.0)) == []  # normal → pending on
    assert ticks(e, 9 * S + 999) == []
    assert ticks(e, 10 * S) == [(True, 10 * S, 56.0)]  # pending → active, with the value then held


def test_a_reading_after_the_delay_ran_out_activates_at_the_due_time() -> None:
    e = engine(limit(on_delay_s=10))

    # No tick in between: the reading at 15 s resolves the delay first (at 10 s), then applies.
    assert feed(e, (0, 55.0), (15 * S, 40.0)) == [(True, 10 * S, 55.0), (False, 15 * S, 40.0)]


def test_on_delay_is_cancelled_when_the_condition_drops_before_it() -> None:
    e = engine(limit(on_delay_s=10))

    assert feed(e, (0, 55.0), (9 * S, 49.0)) == []  # pending → normal
    assert ticks(e, 30 * S) == []
    assert feed(e, (31 * S, 55.0)) == []  # a fresh delay from 31 s
    assert ticks(e, 40 * S, 41 * S) == [(True, 41 * S, 55.0)]


def test_off_delay_returns_when_the_condition_stayed_clear_for_the_delay() -> None:
    e = engine(limit(off_delay_s=5))

    assert feed(e, (0, 55.0)) == [(True, 0, 55.0)]  # normal → active (no on delay)
    assert feed(e, (1 * S, 45.0)) == []  # active → pending off
    assert ticks(e, 5 * S) == []
    assert ticks(e, 6 * S) == [(False, 6 * S, 45.0)]  # pending off → normal


def test_off_delay_is_cancelled_when_the_condition_comes_back() -> None:
    e = engine(limit(off_delay_s=5))

    feed(e, (0, 55.0))
    assert feed(e, (1 * S, 45.0), (3 * S, 51.0)) == []  # pending off → active again
    assert ticks(e, 60 * S) == []
    assert e.active(1)


def test_older_and_repeated_readings_are_ignored() -> None:
    e = engine(limit())

    assert feed(e, (10 * S, 40.0)) == []
    assert feed(e, (5 * S, 99.0), (10 * S, 99.0)) == []  # older, then the same timestamp again
    assert feed(e, (11 * S, 99.0)) == [(True, 11 * S, 99.0)]


def test_readings_of_unknown_tags_are_skipped() -> None:
    e = engine(limit())

    assert feed(e, (1 * S, 99.0), tag=999) == []
    assert e.tag_ids() == frozenset({TAG})


# --- the other kinds ----------------------------------------------------------------------------
def test_rate_of_change_rise_over_a_one_minute_window() -> None:
    e = engine(RuleSpec(1, "rate", (TAG,), {"per_minute": 5.0, "direction": "rise"}, deadband=1.0))

    # +1 per 10 s = 6 per minute from the second reading on; then flat.
    assert feed(e, (0, 10.0), (10 * S, 11.0)) == [(True, 10 * S, 11.0)]
    # Rate over the window [t-60 s, t]: at 70 s the oldest in the window is the 10 s reading (11.0).
    assert feed(e, (20 * S, 12.0), (70 * S, 15.5)) == []  # (15.5-11)/60 s = 4.5/min: within the deadband
    assert feed(e, (130 * S, 15.5)) == [(False, 130 * S, 15.5)]  # 0/min since 70 s


def test_rate_of_change_fall_and_both() -> None:
    fall = engine(RuleSpec(1, "rate", (TAG,), {"per_minute": 2.0, "direction": "fall"}))
    both = engine(RuleSpec(1, "rate", (TAG,), {"per_minute": 2.0, "direction": "both"}))

    assert feed(fall, (0, 10.0), (30 * S, 11.5)) == []  # rising 3/min: not a fall
    assert feed(fall, (60 * S, 9.0)) == []  # over the minute since 0 s: (9 - 10) / 1 min = -1/min
    assert feed(fall, (90 * S, 7.0)) == [(True, 90 * S, 7.0)]  # since 30 s: (7 - 11.5) / 1 min = -4.5/min
    assert feed(both, (0, 10.0), (30 * S, 11.5)) == [(True, 30 * S, 11.5)]


def test_deviation_from_a_setpoint() -> None:
    e = engine(RuleSpec(1, "deviation", (TAG,), {"setpoint": 100.0, "max_difference": 5.0}, deadband=1.0))

    assert feed(e, (1 * S, 104.0), (2 * S, 94.0), (3 * S, 95.5), (4 * S, 96.0)) == [
        (True, 2 * S, 94.0),
        (False, 4 * S, 96.0),
    ]


def test_deviation_from_a_reference_tag_uses_the_latest_of_both() -> None:
    e = engine(RuleSpec(1, "deviation", (TAG, OTHER), {"reference_tag": OTHER, "max_difference": 3.0}))

    out = e.feed([(TAG, 1 * S, 50.0), (OTHER, 2 * S, 48.0), (OTHER, 3 * S, 46.0), (TAG, 4 * S, 49.0)])

    assert [(t.active, t.ts, t.value) for t in out] == [(True, 3 * S, 50.0), (False, 4 * S, 49.0)]


def test_deviation_rules_read_interleaved_batches_in_time_order() -> None:
    e = engine(RuleSpec(1, "deviation", (TAG, OTHER), {"reference_tag": OTHER, "max_difference": 3.0}))

    # Grouped per tag (each in order): the engine interleaves them by time before evaluating.
    out = e.feed([(TAG, 1 * S, 50.0), (TAG, 3 * S, 50.0), (OTHER, 2 * S, 50.0), (OTHER, 4 * S, 40.0)])

    assert [(t.active, t.ts) for t in out] == [(True, 4 * S)]


def test_stale_data_activates_by_the_clock_and_returns_with_the_next_reading() -> None:
    e = engine(RuleSpec(1, "stale", (TAG,), {"seconds": 30}))

    assert feed(e, (0, 1.0)) == []
    assert ticks(e, 29 * S) == []
    assert ticks(e, 45 * S) == [(True, 30 * S, None)]  # at the time it became stale
    assert feed(e, (50 * S, 2.0)) == [(False, 50 * S, 2.0)]


def test_stale_data_found_in_a_gap_between_readings_without_ticks() -> None:
    e = engine(RuleSpec(1, "stale", (TAG,), {"seconds": 30}))

    assert feed(e, (0, 1.0), (20 * S, 1.0), (60 * S, 1.0)) == [(True, 50 * S, None), (False, 60 * S, 1.0)]


def test_a_tag_that_never_reports_goes_stale_from_the_first_tick() -> None:
    e = engine(RuleSpec(1, "stale", (TAG,), {"seconds": 30}))

    assert ticks(e, 100 * S, 129 * S) == []
    assert ticks(e, 130 * S) == [(True, 130 * S, None)]


def test_stale_with_an_on_delay_counts_from_when_the_data_stopped() -> None:
    e = engine(RuleSpec(1, "stale", (TAG,), {"seconds": 30}, on_delay_s=10))

    feed(e, (0, 1.0))
    assert ticks(e, 35 * S) == []
    assert ticks(e, 40 * S) == [(True, 40 * S, None)]


def test_flatline_within_the_tolerance_for_the_duration() -> None:
    e = engine(RuleSpec(1, "flatline", (TAG,), {"seconds": 60, "tolerance": 0.1}))

    assert feed(e, (0, 5.0), (30 * S, 5.05), (59 * S, 4.95)) == []
    assert feed(e, (60 * S, 5.0)) == [(True, 60 * S, 5.0)]
    assert feed(e, (70 * S, 5.2)) == [(False, 70 * S, 5.2)]  # moved: settles again from 70 s
    assert feed(e, (129 * S, 5.2), (130 * S, 5.2)) == [(True, 130 * S, 5.2)]


def test_discrete_state() -> None:
    e = engine(RuleSpec(1, "discrete", (TAG,), {"alarm_value": 1}))

    assert feed(e, (1 * S, 0.0), (2 * S, 1.0), (3 * S, 1.0), (4 * S, 0.0)) == [
        (True, 2 * S, 1.0),
        (False, 4 * S, 0.0),
    ]


def test_compound_and_of_a_comparison_and_a_falling_trend() -> None:
    h2, pressure = TAG, OTHER
    spec = RuleSpec(
        1,
        "compound",
        tags_of("compound", None, params := {
            "op": "and",
            "terms": [
                {"tag": h2, "cmp": ">", "value": 0.4},
                {"tag": pressure, "trend": "falling", "per_minute": 1.0},
            ],
        }),
        params,
        deadband=0.1,
    )  # fmt: skip
    e = engine(spec)

    def run(*rows: tuple[int, int, float]) -> list[tuple[bool, int]]:
        return [(t.active, t.ts) for t in e.feed(list(rows))]

    assert run((h2, 0, 0.5), (pressure, 0, 100.0), (pressure, 30 * S, 100.0)) == []  # pressure steady
    assert run((pressure, 60 * S, 98.0)) == [(True, 60 * S)]  # -2/min over the minute, H2 0.5 > 0.4
    assert run((h2, 61 * S, 0.35)) == []  # 0.35 > 0.4 - deadband: holds
    assert run((h2, 62 * S, 0.29)) == [(False, 62 * S)]


def test_compound_or() -> None:
    params = {
        "op": "or",
        "terms": [{"tag": TAG, "cmp": ">=", "value": 10}, {"tag": OTHER, "cmp": "<", "value": 0}],
    }
    e = engine(RuleSpec(1, "compound", (TAG, OTHER), params))

    out = e.feed([(TAG, 1 * S, 5.0), (OTHER, 2 * S, -1.0), (OTHER, 3 * S, 1.0), (TAG, 4 * S, 10.0)])

    assert [(t.active, t.ts) for t in out] == [(True, 2 * S), (False, 3 * S), (True, 4 * S)]


def test_tags_of_lists_the_primary_first_without_duplicates() -> None:
    assert tags_of("limit", 5, {"level": "H", "value": 1}) == (5,)
    assert tags_of("deviation", 5, {"reference_tag": 7, "max_difference": 1}) == (5, 7)
    assert tags_of("compound", 7, {"terms": [{"tag": 5}, {"tag": 7}, {"tag": 9}]}) == (7, 5, 9)


# --- memory and restart -------------------------------------------------------------------------
def test_memory_is_json_and_a_restarted_engine_keeps_a_running_delay() -> None:
    e = engine(limit(on_delay_s=600))
    feed(e, (0, 55.0), (300 * S, 56.0))
    memory = json.loads(json.dumps(e.memory(1)))

    restarted = Engine()
    restarted.load(limit(on_delay_s=600), memory, active=False)

    assert memory["on"] == 0
    assert ticks(restarted, 599 * S) == []
    assert ticks(restarted, 600 * S) == [(True, 600 * S, 56.0)]


def test_only_restart_relevant_changes_make_a_rule_dirty() -> None:
    e = engine(limit(on_delay_s=10), RuleSpec(2, "rate", (TAG,), {"per_minute": 100.0}))

    feed(e, *[(i * S, 40.0 + i % 3) for i in range(1, 100)])
    assert e.dirty() == frozenset()  # nothing happened to remember
    assert e.soft() == frozenset({2})  # the rate's window moves with every reading
    feed(e, (200 * S, 60.0))
    assert e.dirty() == frozenset({1})  # a delay started
    e.saved({1, 2})
    assert e.dirty() == e.soft() == frozenset()


def test_unloading_a_rule_stops_it() -> None:
    e = engine(limit())
    e.unload(1)

    assert feed(e, (1 * S, 99.0)) == []
    assert e.rule_ids() == frozenset()


# --- properties ---------------------------------------------------------------------------------
LIMIT, DEADBAND = 50.0, 2.0
times = st.lists(st.integers(min_value=1, max_value=10 * S), min_size=1, max_size=60).map(
    lambda gaps: [sum(gaps[: i + 1]) for i in range(len(gaps))]
)


@given(
    data=st.data(),
    ts=times,
    high=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_a_value_moving_inside_the_deadband_never_chatters(
    data: st.DataObject, ts: list[int], high: bool
) -> None:
    level, sign = ("H", 1) if high else ("L", -1)
    e = engine(limit(level, LIMIT, deadband=DEADBAND))
    # Anywhere within the deadband around the limit: [limit - db, limit + db] for H (mirrored for L).
    offsets = data.draw(st.lists(st.floats(-DEADBAND, DEADBAND), min_size=len(ts), max_size=len(ts)))

    out = e.feed([(TAG, t, LIMIT + sign * off) for t, off in zip(ts, offsets, strict=True)])

    assert len(out) <= 1
    assert all(t.active for t in out)


@given(
    delay_s=st.integers(min_value=1, max_value=900),
    hold_fraction=st.floats(min_value=0, max_value=0.999),
    steps=st.integers(min_value=1, max_value=30),
    tick_every_s=st.integers(min_value=1, max_value=60),
)
@settings(max_examples=200, deadline=None)
def test_no_activation_when_the_condition_lasts_less_than_the_on_delay(
    delay_s: int, hold_fraction: float, steps: int, tick_every_s: int
) -> None:
    e = engine(limit(on_delay_s=delay_s))
    held_ms = max(1, int(delay_s * S * hold_fraction))
    start = 1_000_000
    readings = [(TAG, start + held_ms * i // steps, 60.0) for i in range(steps)]
    readings.append((TAG, start + held_ms, 40.0))  # the condition ends before the delay ran out

    out: list[Transition] = []
    clock = start
    for reading in readings:
        while clock < reading[1]:  # the clock ticks in between, as the stream's does
            out += e.tick(clock)
            clock += tick_every_s * S
        out += e.feed([reading])
    out += e.tick(start + 10 * delay_s * S)

    assert out == []


@given(
    delay_s=st.integers(min_value=1, max_value=900),
    extra_s=st.integers(min_value=0, max_value=900),
    tick_every_s=st.integers(min_value=1, max_value=60),
)
@settings(max_examples=200, deadline=None)
def test_activation_happens_exactly_when_the_on_delay_ran_out(
    delay_s: int, extra_s: int, tick_every_s: int
) -> None:
    e = engine(limit(on_delay_s=delay_s))
    start = 1_000_000
    out = e.feed([(TAG, start, 60.0)])
    now = start
    while now < start + (delay_s + extra_s) * S:
        now += tick_every_s * S
        out += e.tick(now)

    assert [(t.active, t.ts) for t in out] == [(True, start + delay_s * S)]


@given(
    delay_s=st.integers(min_value=1, max_value=900),
    clear_fraction=st.floats(min_value=0, max_value=0.999),
    tick_every_s=st.integers(min_value=1, max_value=60),
)
@settings(max_examples=200, deadline=None)
def test_no_return_when_the_condition_clears_for_less_than_the_off_delay(
    delay_s: int, clear_fraction: float, tick_every_s: int
) -> None:
    e = engine(limit(off_delay_s=delay_s, deadband=DEADBAND))
    start = 1_000_000
    cleared_ms = max(1, int(delay_s * S * clear_fraction))
    out = e.feed([(TAG, start, 60.0), (TAG, start + 1, 40.0)])  # active, then clear from start + 1
    now = start + 1
    while now + tick_every_s * S < start + 1 + cleared_ms:
        now += tick_every_s * S
        out += e.tick(now)
    out += e.feed([(TAG, start + 1 + cleared_ms, 55.0)])  # back before the off delay ran out
    out += e.tick(start + 10 * delay_s * S)

    assert [(t.active, t.ts) for t in out] == [(True, start)]


values = st.floats(min_value=30, max_value=70, allow_nan=False)


@given(
    rows=st.lists(st.tuples(st.integers(1, 20 * S), values), min_size=1, max_size=80),
    on_delay=st.integers(0, 30),
    off_delay=st.integers(0, 30),
    tick_points=st.lists(st.integers(0, 79), max_size=20),
)
@settings(max_examples=200, deadline=None)
def test_transitions_do_not_depend_on_how_often_the_clock_ticks(
    rows: list[tuple[int, float]], on_delay: int, off_delay: int, tick_points: list[int]
) -> None:
    spec = limit(deadband=1.0, on_delay_s=on_delay, off_delay_s=off_delay)
    readings, t = [], 0
    for gap, value in rows:
        t += gap
        readings.append((TAG, t, value))
    plain, ticked = engine(spec), engine(spec)

    expected = plain.feed(readings)
    got: list[Transition] = []
    for i, reading in enumerate(readings):
        if i in tick_points and i > 0:  # a tick somewhere between the previous reading and this one
            got += ticked.tick((readings[i - 1][1] + reading[1]) // 2)
        got += ticked.feed([reading])

    assert got == expected


@given(
    rows=st.lists(st.tuples(st.integers(1, 20 * S), values), min_size=2, max_size=80),
    cut=st.integers(0, 79),
    on_delay=st.integers(0, 30),
    off_delay=st.integers(0, 30),
    kind=st.sampled_from(["limit", "rate", "flatline"]),
)
@settings(max_examples=200, deadline=None)
def test_a_restart_from_memory_continues_exactly(
    rows: list[tuple[int, float]], cut: int, on_delay: int, off_delay: int, kind: str
) -> None:
    params = {
        "limit": {"level": "H", "value": 50.0},
        "rate": {"per_minute": 20.0, "direction": "both"},
        "flatline": {"seconds": 20, "tolerance": 5.0},
    }[kind]
    spec = RuleSpec(1, kind, (TAG,), params, deadband=1.0, on_delay_s=on_delay, off_delay_s=off_delay)
    readings, t = [], 0
    for gap, value in rows:
        t += gap
        readings.append((TAG, t, value))
    cut = min(cut, len(readings))

    expected = engine(spec).feed(readings)
    first = engine(spec)
    got = first.feed(readings[:cut])
    restarted = Engine()
    restarted.load(spec, json.loads(json.dumps(first.memory(1))), active=first.active(1))
    got += restarted.feed(readings[cut:])

    assert got == expected


# --- interlocks (联锁/自动控制失效) ----------------------------------------------------------------
OUT = 303  # the output (action) tag: a valve position in %


def interlock(rule_id: int = 7, **params: Any) -> RuleSpec:
    """Level > 90 must close the inlet valve (position within 5 % of 0) within 10 s."""
    p: dict[str, Any] = {
        "cmp": ">", "setpoint": 90.0, "output_tag": OUT, "output_value": 0.0, "tolerance": 5.0, "response_s": 10,
    }  # fmt: skip
    p.update(params)
    return RuleSpec(id=rule_id, kind="interlock", tags=tags_of("interlock", TAG, p), params=p)


def mixed(e: Engine, *rows: tuple[int, int, float]) -> list[tuple[bool, int, float | None]]:
    return [(t.active, t.ts, t.value) for t in e.feed(list(rows))]


def test_an_interlock_reads_its_trigger_then_its_output_tag() -> None:
    assert interlock().tags == (TAG, OUT)


def test_an_interlock_fails_when_the_output_is_still_wrong_after_the_response_time() -> None:
    e = engine(interlock())

    # the valve stands open at 80 %; the level crosses 90 at 1 s and the valve does not move
    assert mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0), (OUT, 5 * S, 80.0), (TAG, 6 * S, 93.0)) == []
    assert ticks(e, 10 * S + 999) == []
    assert ticks(e, 11 * S) == [(True, 11 * S, 93.0)]  # demand held 10 s: failed then
    assert e.active(7)


def test_an_interlock_whose_output_follows_never_alarms() -> None:
    e = engine(interlock())

    assert mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0), (OUT, 8 * S, 4.0), (TAG, 9 * S, 95.0)) == []
    assert ticks(e, 11 * S, 60 * S) == []
    assert mixed(e, (TAG, 61 * S, 96.0), (OUT, 62 * S, 0.0)) == []
    assert not e.active(7)


def test_an_interlock_does_not_alarm_before_its_output_is_known_or_without_demand() -> None:
    e = engine(interlock())

    assert mixed(e, (TAG, 1 * S, 92.0)) == []
    assert ticks(e, 30 * S) == []  # no output reading yet: not known to be wrong
    other = engine(interlock())
    assert mixed(other, (OUT, 0, 80.0), (TAG, 1 * S, 89.0), (TAG, 20 * S, 90.0)) == []  # 90 is not > 90
    assert ticks(other, 60 * S) == []


def test_a_reading_after_the_response_time_places_the_failure_at_its_due_time() -> None:
    e = engine(interlock())

    # no tick at all: the next reading finds the response time ran out at 11 s
    assert mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0), (TAG, 20 * S, 94.0)) == [
        (True, 11 * S, 92.0),
    ]


def test_a_failed_interlock_returns_when_the_output_acts_late() -> None:
    e = engine(interlock())
    mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0))
    ticks(e, 11 * S)

    assert mixed(e, (OUT, 30 * S, 20.0)) == []  # closing, not closed yet
    assert mixed(e, (OUT, 40 * S, 5.0)) == [(False, 40 * S, 92.0)]


def test_a_failed_interlock_returns_when_the_demand_goes_away_beyond_the_deadband() -> None:
    spec = RuleSpec(id=7, kind="interlock", tags=(TAG, OUT), params=interlock().params, deadband=2.0)
    e = engine(spec)
    mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0))
    ticks(e, 11 * S)

    assert mixed(e, (TAG, 20 * S, 88.5)) == []  # within the deadband: the demand still holds
    assert mixed(e, (TAG, 30 * S, 87.9)) == [(False, 30 * S, 87.9)]
    # a new demand starts its response time afresh
    assert mixed(e, (TAG, 40 * S, 91.0)) == []
    assert ticks(e, 49 * S) == []
    assert ticks(e, 50 * S) == [(True, 50 * S, 91.0)]


def test_a_low_trip_interlock_compares_below_its_setpoint() -> None:
    # header flow < 250 must start the standby pump: its motor current within 60 A of 205 A
    e = engine(interlock(cmp="<", setpoint=250.0, output_value=205.0, tolerance=60.0, response_s=30))

    assert mixed(e, (OUT, 0, 0.0), (TAG, 1 * S, 240.0)) == []
    assert mixed(e, (OUT, 20 * S, 180.0)) == []  # the standby pump started within 30 s
    assert ticks(e, 60 * S) == []
    assert mixed(e, (OUT, 70 * S, 0.0)) == [(True, 70 * S, 240.0)]  # and tripped while still needed


def test_an_interlock_remembers_its_demand_across_a_restart() -> None:
    spec = interlock()
    e = engine(spec)
    mixed(e, (OUT, 0, 80.0), (TAG, 1 * S, 92.0))

    assert 7 in e.dirty()  # the demand's onset is written at once, not at the next checkpoint
    memory = json.loads(json.dumps(e.memory(7)))
    assert memory == {"v": 1, "active": False, "val": 92.0, "out": 80.0, "since": 1 * S}

    restarted = Engine()
    restarted.load(spec, memory)
    assert ticks(restarted, 10 * S) == []
    assert ticks(restarted, 11 * S) == [(True, 11 * S, 92.0)]
    # and back from an active state: the output acting returns it
    again = Engine()
    again.load(spec, json.loads(json.dumps(restarted.memory(7))))
    assert again.active(7)
    assert mixed(again, (OUT, 20 * S, 0.0)) == [(False, 20 * S, 92.0)]
