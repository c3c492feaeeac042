"""What every part of the engine shares: one evaluation (``Frame``), lags, and where a tag's normal
value lives (``window``/``place``) at what resolution (``decimals``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s

if TYPE_CHECKING:
    from anquan.simulator.plant import Plant

Signal = Callable[[np.ndarray], np.ndarray]


def decimals(tag: s.Tag) -> int:
    """The transmitter's resolution: about five significant digits of its span."""
    return int(min(5, max(0, 4 - math.floor(math.log10(tag.span)))))


def window(tag: s.Tag) -> tuple[float, float]:
    """Where the normal value of ``tag`` lives: the process card's window, or well inside its
    alarm limits."""
    if tag.normal is not None:
        return tag.normal
    low, high = tag.low, tag.high
    if low is not None and high is not None:
        m = 0.2 * (high - low)
        return low + m, high - m
    if high is not None:
        w = high - tag.range_low
        return tag.range_low + 0.35 * w, high - 0.3 * w
    if low is not None:
        w = tag.range_high - low
        return low + 0.3 * w, tag.range_high - 0.4 * w
    return tag.range_low + 0.3 * tag.span, tag.range_low + 0.6 * tag.span


def place(tag: s.Tag, z: np.ndarray) -> np.ndarray:
    """Map ``z`` in [-1, 1] onto the tag's normal window (softly bounded)."""
    lo, hi = window(tag)
    return lo + (hi - lo) * 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=np.float64) * 0.9) / math.tanh(0.9))


def lag(fn: Signal, t_s: np.ndarray, tau_s: float, grid_s: float) -> np.ndarray:
    """First-order lag of ``fn`` at ``t_s``: a truncated exponential filter on a grid anchored at
    multiples of ``grid_s``, so the result at an instant never depends on what else is asked."""
    k = math.ceil(6.0 * tau_s / grid_s)
    g0 = math.floor(float(np.min(t_s)) / grid_s) - k
    g1 = math.floor(float(np.max(t_s)) / grid_s) + 1
    grid = np.arange(g0, g1 + 1, dtype=np.float64) * grid_s
    a = math.exp(-grid_s / tau_s)
    w = a ** np.arange(k + 1)
    w /= w.sum()
    y = np.convolve(fn(grid), w)[k : len(grid)]
    return np.interp(t_s, grid[k:], y)


def every(step_s: float, start_ms: int, end_ms: int) -> np.ndarray:
    """Instants on the grid of multiples of ``step_s`` from ``start_ms`` up to ``end_ms`` inclusive."""
    step = int(step_s * 1000)
    first = -(-start_ms // step) * step
    return np.arange(first, end_ms + 1, step, dtype=np.int64)


@dataclass
class Frame:
    """One evaluation: the instants asked for, the faults in play, and what was computed."""

    plant: Plant
    t_ms: np.ndarray
    faults: tuple[sc.Fault, ...]
    memo: dict[object, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t_ms = np.asarray(self.t_ms, dtype=np.int64)
        self.t_s = self.t_ms / 1000.0

    def get(self, key: object, fn: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.memo:
            self.memo[key] = fn()
        return self.memo[key]

    def at(self, t_s: np.ndarray) -> Frame:
        """A frame at other instants with the same faults (for lags evaluated on a grid)."""
        return Frame(self.plant, np.round(np.asarray(t_s) * 1000.0).astype(np.int64), self.faults)

    def on(self, scenario: str, equipment: str) -> list[sc.Fault]:
        return [f for f in self.faults if f.scenario == scenario and f.equipment == equipment]

    def tau(self, fault: sc.Fault) -> np.ndarray:
        return self.t_s - fault.start_ms / 1000.0
