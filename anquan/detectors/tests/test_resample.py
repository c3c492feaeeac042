from __future__ import annotations

import numpy as np

from anquan.detectors.resample import Aligner, align, grid


def arr(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float64)


def ms(*xs: int) -> np.ndarray:
    return np.array(xs, dtype=np.int64)


SERIES = {
    # a fast tag (every 2 s) and a slow one (every 30 s), on a 10 s grid
    "fast": (
        ms(0, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 20_000, 30_000),
        arr(1, 2, 3, 4, 5, 6, 7, 8, 9),
    ),
    "slow": (ms(5_000, 35_000), arr(100, 200)),
}


def test_grid_is_the_multiples_of_the_interval_in_a_half_open_span() -> None:
    assert grid(1, 30_000, 10_000).tolist() == [10_000, 20_000]
    assert grid(0, 30_001, 10_000).tolist() == [0, 10_000, 20_000, 30_000]


def test_align_holds_the_latest_reading_at_or_before_each_grid_time_and_drops_incomplete_rows() -> None:
    ts, X = align(SERIES, ["fast", "slow"], 0, 50_000, 10_000)
    # 0: slow has no value yet -> dropped; 10 s: fast 6 (read at 10 s), slow 100 (read at 5 s) ...
    assert ts.tolist() == [10_000, 20_000, 30_000, 40_000]
    assert X.tolist() == [[6, 100], [8, 100], [9, 100], [9, 200]]


def test_align_ignores_non_finite_readings_and_sorts_unsorted_input_stably() -> None:
    series = {
        "a": (ms(20_000, 0, 10_000, 10_000), arr(3, 1, np.nan, 2)),
        "b": (ms(0, 10_000, 10_000), arr(5, 6, 7)),  # equal times: the one given last wins
    }
    ts, X = align(series, ["a", "b"], 0, 30_000, 10_000)
    assert ts.tolist() == [0, 10_000, 20_000]
    assert X.tolist() == [[1, 5], [2, 7], [3, 7]]


def test_align_with_max_age_drops_rows_where_a_tag_went_silent() -> None:
    ts, X = align(SERIES, ["fast", "slow"], 0, 50_000, 10_000, max_age_ms=15_000)
    # slow's 5 s reading is 15 s old at 20 s (kept), 25 s old at 30 s (dropped)
    assert ts.tolist() == [10_000, 20_000, 40_000]
    assert X.tolist() == [[6, 100], [8, 100], [9, 200]]


def test_align_with_a_tag_without_readings_returns_no_rows() -> None:
    ts, X = align(SERIES, ["fast", "missing"], 0, 50_000, 10_000)
    assert ts.shape == (0,) and X.shape == (0, 2)


def feed(aligner: Aligner, series: dict[str, tuple[np.ndarray, np.ndarray]], dues: list[int]) -> tuple:
    """Readings in time order (ties: tag order), ``due`` at each of ``dues`` once data time passes it."""
    events = sorted(
        (int(t), k, tag, float(v))
        for k, (tag, (tt, vv)) in enumerate(series.items())
        for t, v in zip(tt, vv, strict=True)
    )
    out_t, out_x = [], []
    todo = list(dues)
    for t, _, tag, v in events:
        while todo and todo[0] <= t:
            g, rows = aligner.due(todo.pop(0))
            out_t.append(g)
            out_x.append(rows)
        aligner.add(tag, t, v)
    for now in todo:
        g, rows = aligner.due(now)
        out_t.append(g)
        out_x.append(rows)
    return np.concatenate(out_t), np.concatenate(out_x)


def test_aligner_returns_the_rows_once_data_time_has_passed_them() -> None:
    a = Aligner(["fast", "slow"], 10_000)
    a.add("fast", 0, 1.0)
    a.add("slow", 5_000, 100.0)
    a.add("fast", 10_000, 6.0)
    t, X = a.due(10_000)  # 10 s has not passed yet: a reading stamped 10 s may still come
    assert t.tolist() == [] and X.shape == (0, 2)
    t, X = a.due(10_001)
    assert t.tolist() == [10_000] and X.tolist() == [[6.0, 100.0]]
    t, X = a.due(35_000)  # nothing new: the values are held
    assert t.tolist() == [20_000, 30_000] and X.tolist() == [[6.0, 100.0], [6.0, 100.0]]


def test_aligner_gives_the_same_rows_as_align_on_irregular_readings() -> None:
    rng = np.random.default_rng(7)
    series = {}
    for name, every in (("a", 2_000), ("b", 5_000), ("c", 30_000), ("d", 60_000)):
        t = np.arange(3_000 + int(rng.integers(0, every)), 600_000, every, dtype=np.int64)
        t = np.sort(t + rng.integers(-900, 900, size=t.size))  # jitter
        v = np.round(rng.normal(size=t.size), 3)
        v[rng.random(t.size) < 0.05] = np.nan  # bad-quality readings
        series[name] = (t, v)
    tags = ["a", "b", "c", "d"]
    bt, bX = align(series, tags, 0, 600_000, 10_000)
    dues = [*sorted(int(x) for x in rng.integers(1, 600_000, size=40)), 600_000]
    ot, oX = feed(Aligner(tags, 10_000), series, dues)
    assert bt.size > 40
    np.testing.assert_array_equal(ot, bt)
    np.testing.assert_array_equal(oX, bX)
    # with a staleness limit and a start time too
    bt, bX = align(series, tags, 100_000, 600_000, 10_000, max_age_ms=45_000)
    ot, oX = feed(Aligner(tags, 10_000, start_ms=100_000, max_age_ms=45_000), series, dues)
    assert 0 < bt.size < 50
    np.testing.assert_array_equal(ot, bt)
    np.testing.assert_array_equal(oX, bX)


def test_a_late_reading_only_changes_the_rows_still_to_come() -> None:
    a = Aligner(["x"], 10_000)
    a.add("x", 0, 1.0)
    assert a.due(20_001)[1].tolist() == [[1.0], [1.0], [1.0]]
    a.add("x", 15_000, 2.0)  # late: 20 s was returned already
    a.add("x", 5_000, 9.0)  # late and older than what is held: ignored
    t, X = a.due(40_001)
    assert t.tolist() == [30_000, 40_000] and X.tolist() == [[2.0], [2.0]]
