"""Per-tag readings → model rows on a regular time grid: the one rule the platform and the benchmarks use.

Readings of a tag arrive at its own rate (a gas detector every 2 s, a tank temperature every 30 s),
a model wants one row per grid time with every variable in it. The rule, batch and online alike:

- **Grid.** Times are the multiples of ``interval_ms`` (counted from the epoch, so every caller
  agrees on the grid whatever its start): for ``align`` those in ``[start_ms, end_ms)``.
- **Sample and hold.** A variable's value at grid time ``g`` is its latest reading with
  ``ts <= g`` (of two readings with the same time, the one given last). Nothing is interpolated,
  nothing comes from the future: row ``g`` is exactly what was known at ``g``.
- **Non-finite readings** (NaN, ±inf: a bad-quality value) are ignored: the previous value stays
  held.
- **Missing values.** Before a tag's first reading — or, with ``max_age_ms``, when its latest
  reading is older than ``max_age_ms`` at ``g`` (a stale or silent transmitter) — the variable has
  no value at ``g``. A row with any variable missing is **dropped** (never filled from other
  rows); so the rows returned are all finite and their times need not be consecutive.

``Aligner`` is the online counterpart: ``add`` readings as they come, ``due(now_ms)`` returns the
rows of every grid time ``g < now_ms`` not returned before — the same rows, with the same values,
as ``align`` over all the readings, provided every reading was added before a ``due`` call whose
``now_ms`` passed its time. A reading that comes later than that (its time at or before a grid time
already returned) cannot change rows already returned; it only updates the held value for the rows
still to come, if it is newer than the value held.

Plain numpy; no Django and no other part of Anquan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def grid(start_ms: int, end_ms: int, interval_ms: int) -> np.ndarray:
    """The multiples of ``interval_ms`` in ``[start_ms, end_ms)`` (int64 epoch ms)."""
    if interval_ms <= 0:
        raise ValueError("interval_ms must be positive")
    first = -(-int(start_ms) // int(interval_ms)) * int(interval_ms)
    return np.arange(first, int(end_ms), int(interval_ms), dtype=np.int64)


def _clean(ts: object, values: object) -> tuple[np.ndarray, np.ndarray]:
    """Finite readings sorted by time (stable: of equal times the last given stays last)."""
    t = np.asarray(ts, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if t.shape != v.shape:
        raise ValueError(f"{t.size} times for {v.size} values")
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
    return t, v


def hold(ts: np.ndarray, values: np.ndarray, at: np.ndarray, max_age_ms: int | None = None) -> np.ndarray:
    """Sample and hold of one tag's sorted finite readings at the times ``at`` (NaN where none)."""
    out = np.full(at.shape, np.nan)
    if ts.size == 0 or at.size == 0:
        return out
    idx = np.searchsorted(ts, at, side="right") - 1
    ok = idx >= 0
    if max_age_ms is not None:
        ok &= (at - ts[np.maximum(idx, 0)]) <= max_age_ms
    out[ok] = values[idx[ok]]
    return out


def align(
    series: Mapping[str, tuple[np.ndarray, np.ndarray]],
    tags: Sequence[str],
    start_ms: int,
    end_ms: int,
    interval_ms: int,
    *,
    max_age_ms: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``tags`` (columns, in this order) at the grid times in ``[start_ms, end_ms)``.

    ``series[tag]`` is ``(ts_ms, values)``; a tag absent from ``series`` has no readings (so no
    row survives). Returns ``(grid_ts, X)``: the grid times whose row is complete, and the rows
    (``len(grid_ts) × len(tags)``, all finite). See the module docstring for the rule."""
    g = grid(start_ms, end_ms, interval_ms)
    X = np.empty((g.size, len(tags)))
    for j, tag in enumerate(tags):
        ts, values = series.get(tag, (np.zeros(0, np.int64), np.zeros(0)))
        t, v = _clean(ts, values)
        X[:, j] = hold(t, v, g, max_age_ms)
    complete = np.isfinite(X).all(axis=1)
    return g[complete], X[complete]


class Aligner:
    """Online ``align``: ``add`` readings, ``due(now_ms)`` returns the rows whose grid time passed.

    ``start_ms``: no row before it (default: rows start at the first grid time where every tag has
    a value). Memory stays small: per tag the held reading and the readings not yet passed."""

    def __init__(
        self,
        tags: Sequence[str],
        interval_ms: int,
        *,
        start_ms: int | None = None,
        max_age_ms: int | None = None,
    ) -> None:
        if interval_ms <= 0:
            raise ValueError("interval_ms must be positive")
        if len(set(tags)) != len(tags):
            raise ValueError("tags must be unique")
        self.tags = list(tags)
        self.interval_ms = int(interval_ms)
        self.max_age_ms = max_age_ms
        self._index = {tag: j for j, tag in enumerate(self.tags)}
        # The next grid time to consider (None: decided by the first due() call).
        self._next: int | None = None
        if start_ms is not None:
            self._next = int(grid(start_ms, start_ms + self.interval_ms, self.interval_ms)[0])
        self._last: int | None = None  # the last grid time returned
        self._held_t = np.full(len(self.tags), np.iinfo(np.int64).min, dtype=np.int64)
        self._held_v = np.full(len(self.tags), np.nan)
        self._pending: list[list[tuple[int, float]]] = [[] for _ in self.tags]

    def add(self, tag: str, ts: int, value: float) -> None:
        """One reading. Unknown tags and non-finite values are ignored."""
        j = self._index.get(tag)
        if j is None:
            return
        v = float(value)
        if not np.isfinite(v):
            return
        t = int(ts)
        if self._last is not None and t <= self._last:  # its grid times were returned already
            if t >= self._held_t[j]:
                self._held_t[j], self._held_v[j] = t, v
            return
        self._pending[j].append((t, v))

    def due(self, now_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """``(grid_ts, rows)`` for the grid times before ``now_ms`` not returned yet (complete
        rows only, as ``align``)."""
        now = int(now_ms)
        if self._next is None:
            firsts = [min(t for t, _ in p) for p in self._pending if p]
            if not firsts:
                return np.zeros(0, np.int64), np.zeros((0, len(self.tags)))
            self._next = int(grid(min(firsts), min(firsts) + self.interval_ms, self.interval_ms)[0])
        g = grid(self._next, now, self.interval_ms)
        if g.size == 0:
            return g, np.zeros((0, len(self.tags)))
        last = int(g[-1])
        X = np.empty((g.size, len(self.tags)))
        for j, pending in enumerate(self._pending):
            pending.sort(key=lambda r: r[0])  # stable: equal times keep their order
            ts = np.array([self._held_t[j]] + [t for t, _ in pending], dtype=np.int64)
            vs = np.array([self._held_v[j]] + [v for _, v in pending])
            if np.isnan(vs[0]):
                ts, vs = ts[1:], vs[1:]
            X[:, j] = hold(ts, vs, g, self.max_age_ms)
            used = [r for r in pending if r[0] <= last]
            if used:
                self._held_t[j], self._held_v[j] = used[-1]
            self._pending[j] = [r for r in pending if r[0] > last]
        self._next = last + self.interval_ms
        self._last = last
        complete = np.isfinite(X).all(axis=1)
        return g[complete], X[complete]
