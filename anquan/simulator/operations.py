"""Normal operation as schedules: tank receipts and truck loading, standby pump runs, unit load.

Every schedule is a pure function of time. A tank's life is cut into fixed cycles (four days,
staggered by a day between tanks so that only one tank receives from the jetty header at a time):
a night-time receipt raises the level from the cycle's starting level, then daytime truck loading
(08:00–18:00 local, a truck every so often) draws it down to the next cycle's starting level. Each
cycle is computed on its own from the seed and its number, so any instant can be evaluated
without simulating what came before, and the level always stays inside the tank's normal band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from anquan.simulator import noise
from anquan.simulator.environment import DAY_S

CYCLE_DAYS = 4
ORIGIN_LOCAL_DAY = 18_262  # 2020-01-01: cycles are counted from this local midnight
LOADING_HOURS = (8.0, 18.0)  # the loading team's day shift (demo site: 常白班 08:00–17:00, plus overtime)
SLOT_S = 50 * 60  # one truck per arm per slot at most
RUN_RAMP_S = 60.0  # a loading arm's flow ramps up and down over a minute
RECEIPT_RAMP_S = 300.0
TRUCK_M3 = (26.0, 34.0)  # a road tanker's load (GB 1589-2016 limits a 5-axle tanker to ~30 m³)
SETTLE_S = 1800.0  # a received tank settles before it is loaded from


@dataclass(frozen=True)
class TankCycle:
    start_s: float
    end_s: float
    level_t: np.ndarray
    level_v: np.ndarray
    inflow_t: np.ndarray
    inflow_q: np.ndarray
    arm_t: tuple[np.ndarray, ...]
    arm_q: tuple[np.ndarray, ...]
    runs: tuple[tuple[float, float, float, int], ...]  # (start, end, rate m³/h, arm index)


class TankOps:
    """The receipts and loading runs of one tank."""

    def __init__(
        self,
        *,
        stream: int,
        area_m2: float,
        band: tuple[float, float],
        phase_days: int,
        receipt_rate: tuple[float, float],
        arm_rates: tuple[float, ...],
        utc_offset_s: float,
    ) -> None:
        self.stream = stream
        self.area = area_m2
        self.lo, self.hi = band
        self.phase_days = phase_days
        self.receipt_rate = receipt_rate
        self.arm_rates = arm_rates or (80.0,)
        self.n_arms = len(arm_rates)
        self.offset_s = utc_offset_s
        self.cycle_s = CYCLE_DAYS * DAY_S
        self.t0 = (ORIGIN_LOCAL_DAY + phase_days) * DAY_S - utc_offset_s
        self.cycle = lru_cache(maxsize=64)(self._cycle)

    def _u(self, k: int, n: int) -> float:
        return noise.uniform1(self.stream, k * 64 + n)

    def start_level(self, k: int) -> float:
        band = self.hi - self.lo
        return self.lo + band * (0.06 + 0.3 * self._u(k, 0))

    def _cycle(self, k: int) -> TankCycle:
        band = self.hi - self.lo
        start = self.t0 + k * self.cycle_s
        end = start + self.cycle_s
        level0, level_next = self.start_level(k), self.start_level(k + 1)
        receipt_start = start + (0.5 + 2.0 * self._u(k, 2)) * 3600.0
        q_in = self.receipt_rate[0] + (self.receipt_rate[1] - self.receipt_rate[0]) * self._u(k, 3)
        top = min(level0 + band * (0.2 + 0.25 * self._u(k, 1)), self.hi)
        slot_starts = [
            start + d * DAY_S + LOADING_HOURS[0] * 3600.0 + j * SLOT_S
            for d in range(CYCLE_DAYS)
            for j in range(int((LOADING_HOURS[1] - LOADING_HOURS[0]) * 3600.0 // SLOT_S))
        ]
        rates = [r * (0.93 + 0.07 * self._u(k, 8 + a)) for a, r in enumerate(self.arm_rates)]
        # The most one slot can carry: a run ends five minutes before the next slot begins.
        per_slot = min(rates) * (SLOT_S - 300.0 - 2 * RUN_RAMP_S) / 3600.0
        receipt_end, free = self._receipt_end(receipt_start, level0, top, q_in, slot_starts)
        if (top - level_next) * self.area > 0.9 * len(free) * per_slot:
            top = max(level0, level_next + 0.9 * len(free) * per_slot / self.area)
            receipt_end, free = self._receipt_end(receipt_start, level0, top, q_in, slot_starts)
        volume_out = (top - level_next) * self.area
        n_runs = max(1, min(len(free), round(volume_out / (0.5 * (TRUCK_M3[0] + TRUCK_M3[1])))))
        while True:
            # Truck sizes vary; scaled so that the loads add up to exactly what the cycle draws down.
            sizes = np.array(
                [TRUCK_M3[0] + (TRUCK_M3[1] - TRUCK_M3[0]) * self._u(k, 100 + j) for j in range(n_runs)]
            )
            sizes *= volume_out / sizes.sum()
            if sizes.max() <= per_slot or n_runs >= len(free):
                break
            n_runs += 1
        order = np.argsort(
            noise.uniform(self.stream ^ 0xC0FFEE, np.arange(len(free)) + k * 1024), kind="stable"
        )
        chosen = sorted(free[i] for i in order[:n_runs])

        level_t = [start, receipt_start, receipt_end]
        level_v = [level0, level0, top]
        ramp = min(RECEIPT_RAMP_S, (receipt_end - receipt_start) / 3.0)
        inflow_t = [start, receipt_start, receipt_start + ramp, receipt_end - ramp, receipt_end, end]
        plateau = (top - level0) * self.area / ((receipt_end - receipt_start - ramp) / 3600.0)
        inflow_q = [0.0, 0.0, plateau, plateau, 0.0, 0.0]
        arm_t: list[list[float]] = [[start] for _ in range(self.n_arms)]
        arm_q: list[list[float]] = [[0.0] for _ in range(self.n_arms)]
        runs = []
        level = top
        for j, (slot, volume) in enumerate(zip(chosen, sizes, strict=True)):
            arm = j % self.n_arms if self.n_arms else -1  # -1: sent out by a line with no arm
            rate = rates[max(arm, 0)]
            duration = volume / rate * 3600.0 + RUN_RAMP_S
            run_start = slot + max(0.0, SLOT_S - 300.0 - duration) * self._u(k, 300 + j)
            run_end = run_start + duration
            runs.append((run_start, run_end, rate, arm))
            level_t += [run_start, run_end]
            level_v += [level, level - volume / self.area]
            level -= volume / self.area
            if arm >= 0:
                arm_t[arm] += [run_start, run_start + RUN_RAMP_S, run_end - RUN_RAMP_S, run_end]
                arm_q[arm] += [0.0, rate, rate, 0.0]
        level_t.append(end)
        level_v.append(level_next)
        for a in range(self.n_arms):
            arm_t[a].append(end)
            arm_q[a].append(0.0)
        return TankCycle(
            start_s=start,
            end_s=end,
            level_t=np.array(level_t),
            level_v=np.array(level_v),
            inflow_t=np.array(inflow_t),
            inflow_q=np.array(inflow_q),
            arm_t=tuple(np.array(t) for t in arm_t),
            arm_q=tuple(np.array(q) for q in arm_q),
            runs=tuple(runs),
        )

    def _receipt_end(
        self, receipt_start: float, level0: float, top: float, q_in: float, slot_starts: list[float]
    ) -> tuple[float, list[float]]:
        end = receipt_start + (top - level0) * self.area / q_in * 3600.0 + RECEIPT_RAMP_S
        return end, [s for s in slot_starts if s >= end + SETTLE_S]

    def _cycles(self, t_s: np.ndarray) -> list[TankCycle]:
        first = math.floor((float(np.min(t_s)) - self.t0) / self.cycle_s)
        last = math.floor((float(np.max(t_s)) - self.t0) / self.cycle_s)
        return [self.cycle(k) for k in range(first, last + 1)]

    def _interp(self, t_s: np.ndarray, xs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
        # Each cycle's curve starts and ends at its boundaries; joined, they are one curve.
        return np.interp(t_s, np.concatenate(xs), np.concatenate(ys))

    def level(self, t_s: np.ndarray) -> np.ndarray:
        cycles = self._cycles(t_s)
        return self._interp(t_s, [c.level_t for c in cycles], [c.level_v for c in cycles])

    def inflow(self, t_s: np.ndarray) -> np.ndarray:
        cycles = self._cycles(t_s)
        return self._interp(t_s, [c.inflow_t for c in cycles], [c.inflow_q for c in cycles])

    def arm_flow(self, arm: int, t_s: np.ndarray) -> np.ndarray:
        cycles = self._cycles(t_s)
        return self._interp(t_s, [c.arm_t[arm] for c in cycles], [c.arm_q[arm] for c in cycles])

    def outflow(self, t_s: np.ndarray) -> np.ndarray:
        return sum((self.arm_flow(a, t_s) for a in range(self.n_arms)), np.zeros(np.shape(t_s)))


def standby_test(stream: int, day_index: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """A standby machine's weekly test run: 30 minutes from 10:00 on one weekday (企业设备管理:
    备用设备定期试运转)."""
    weekday = int(noise.uniform1(stream, 0) * 7)
    return ((day_index.astype(np.int64) % 7) == weekday) & (hour >= 10.0) & (hour < 10.5)
