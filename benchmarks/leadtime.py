"""Lead time of AI early warning on the plant simulator's fault scenarios, and false AI alerts per
unit per day of normal operation (issue 4, "Benchmarks: Lead time").

    python -m benchmarks.leadtime [--quick] [--detectors ensemble,pca] [--write]

The demo plant (``anquan.demo.site`` through ``anquan.demo.simulate.demo_spec``: no database) is
simulated with ``anquan.simulator``. Every tag is sampled at its own rate on multiples of its
sample interval, as the live simulator publishes, and turned into model rows on a 10 s grid by
``anquan.detectors.resample.align`` (sample and hold), the same function the platform uses.

Per plant seed (= run seed) and per process unit, one model per detector:

- **variables**: ``default_unit_tags`` — every tag of every piece of equipment the site assigns to
  the unit (its process equipment, their motors and the gas detectors placed in the unit), sorted
  by tag code; equipment without a unit (the weather station) is in no model;
- **training**: ``TRAIN_DAYS`` of normal history ending at the test start ``T0`` (1 July, local
  midnight; the same plant, earlier time), fitted on the first 80 %, threshold calibrated on the
  last 20 % scored as their continuation, with ``alerts_per_row = interval / 1 day``: the lowest
  threshold (times the detector's margin) at which those rows start at most one alert per day
  (the platform's setting);
- **normal operation**: the following ``NORMAL_DAYS`` days (tank receipts and truck loading,
  standby pump runs, spray cooling on hot afternoons, the hydrogen unit's daily load), scored
  causally from the end of training; false alerts = alert starts (a run of consecutive alarm rows
  is one alert);
- **faults**: each scenario once per seed, on the equipment ``applicable(...)[i % n]`` for seed
  index ``i`` (units only), severity 1, the scenario's default duration, starting at a time of day
  that moves with the seed, after ``NORMAL_DAYS``; the unit's rows are scored from two hours
  before the onset. First AI warning = the first alert start at or after the onset in the unit
  that holds the fault's equipment; conventional alarm = the first reading at or after the onset
  of any of that unit's tags at or beyond its H (or HH) / L (or LL) limit, from the data. The
  simulator's own ground truth (``ground_truth``: first crossing by any tag, and by the unit's
  tags) is reported beside it. Lead = alarm time − warning time, in minutes (negative: the AI was
  later). A run with no warning before the end of the fault is a miss; it ranks below every lead
  in the median; an alert that started before the onset is a false alert, and one still running
  at the onset is not a warning (the table counts those runs).

One configuration for everything: no per-scenario, per-unit or per-seed setting; the detectors
run with their registry defaults.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anquan.detectors import create
from anquan.detectors.registry import DETECTORS
from anquan.detectors.resample import align
from benchmarks import report

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
INTERVAL_S = 10
INTERVAL_MS = INTERVAL_S * 1000
T0 = int(dt.datetime(2026, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp() * 1000)
TRAIN_DAYS = 7
HOLDOUT = 0.2
ALERTS_PER_ROW = INTERVAL_S / 86_400  # at most one alert start per day of held-out normal data
FALSE_ALARM_RATE = ALERTS_PER_ROW  # passed too, unused when alerts_per_row is given
WARMUP_MS = 2 * HOUR_MS
CONTEXT_ROWS = 360  # rows of the training tail fed to a scorer before normal operation is counted
BLOCK_ROWS = 8640  # rows per scorer update (a day at 10 s)
SLOW = ("h2_leak", "cooling_failure", "bearing_wear")
INFO = ("sensor_drift", "stuck_sensor", "instrument_failure")
TARGET_LEAD_MIN = 30.0
TARGET_FALSE_PER_DAY = 1.0


@dataclass(frozen=True)
class Size:
    seeds: tuple[int, ...]
    normal_days: int  # per seed


QUICK = Size(seeds=(1, 2), normal_days=1)
FULL = Size(seeds=(1, 2, 3, 4, 5), normal_days=2)
DEFAULT_DETECTORS = ("ensemble", "pca", "dpca", "iforest")


# --- The plant --------------------------------------------------------------------------------
def demo_plant() -> tuple[Any, dict[str, str | None], list[str]]:
    """The demo plant's ``PlantSpec``, the unit of each equipment and the unit codes (no database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anquan.config.settings")
    import django

    django.setup()
    from anquan.demo import site as demo
    from anquan.demo.simulate import demo_spec

    unit_of = {e.code: e.unit for e in demo.EQUIPMENT}
    return demo_spec(), unit_of, [u.code for u in demo.UNITS]


def default_unit_tags(spec: Any, unit_of: Mapping[str, str | None], unit: str) -> list[str]:
    """The variables of a unit's model: every tag on equipment assigned to ``unit``, by tag code.

    One rule for every unit: a tag belongs to the equipment that carries it (a motor's current to
    the motor, a gas detector's reading to the detector) and the equipment to its unit; gas
    detectors are equipment like any other, so the detectors a site places in a unit are in its
    model and no others; equipment without a unit is in no model."""
    return sorted(t.code for t in spec.tags if unit_of.get(t.equipment) == unit)


def readings(
    plant: Any, tags: Sequence[str], start_ms: int, end_ms: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each tag's readings in ``[start_ms, end_ms)`` at its own sample interval (on its multiples),
    as the live simulator publishes them; computed a day at a time."""
    by_interval: dict[int, list[str]] = defaultdict(list)
    for code in tags:
        by_interval[plant.spec.tag(code).sample_interval_s * 1000].append(code)
    out: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {c: ([], []) for c in tags}
    for chunk in range(start_ms, end_ms, DAY_MS):
        for step, codes in by_interval.items():
            first = -(-chunk // step) * step
            times = np.arange(first, min(chunk + DAY_MS, end_ms), step, dtype=np.int64)
            if times.size == 0:
                continue
            values = plant.sample(times, codes)
            for c in codes:
                out[c][0].append(times)
                out[c][1].append(values[c])
    return {c: (np.concatenate(ts), np.concatenate(vs)) for c, (ts, vs) in out.items()}


def alert_starts(alarms: np.ndarray) -> np.ndarray:
    """Indices where an alert (a run of consecutive alarm rows) starts."""
    a = np.asarray(alarms, dtype=np.int64)
    return np.flatnonzero(a & (np.concatenate([[0], a[:-1]]) == 0))


def first_limit_crossing(
    spec: Any, series: Mapping[str, tuple[np.ndarray, np.ndarray]], tags: Sequence[str], from_ms: int
) -> tuple[int, str] | None:
    """(time, tag) of the first reading at or after ``from_ms`` at or beyond a tag's H/HH or L/LL."""
    best: tuple[int, str] | None = None
    for code in tags:
        tag = spec.tag(code)
        ts, vs = series[code]
        hit = np.zeros(ts.shape, dtype=bool)
        if tag.high is not None:
            hit |= vs >= tag.high
        if tag.low is not None:
            hit |= vs <= tag.low
        hit &= ts >= from_ms
        idx = np.flatnonzero(hit)
        if idx.size and (best is None or (int(ts[idx[0]]), code) < best):
            best = (int(ts[idx[0]]), code)
    return best


def score(scorer: Any, X: np.ndarray) -> np.ndarray:
    """Alarms (0/1) of ``X`` through an online scorer, a day of rows per update."""
    out = []
    for i in range(0, len(X), BLOCK_ROWS):
        scorer.update(X[i : i + BLOCK_ROWS])
        out.append(scorer.last_alarms)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


# --- One run ----------------------------------------------------------------------------------
@dataclass
class FaultRun:
    scenario: str
    seed: int
    equipment: str
    unit: str
    onset_ms: int
    alarm: tuple[int, str] | None  # from the data, the unit's tags
    truth_any: tuple[int, str] | None  # ground truth: first crossing by any tag
    truth_unit: tuple[int, str] | None  # ground truth: first crossing by a tag of the unit
    warning: dict[str, int | None] = field(default_factory=dict)  # detector -> first alert start
    before: dict[str, int] = field(default_factory=dict)  # detector -> alert starts before onset
    running: dict[str, bool] = field(default_factory=dict)  # detector -> an alert ran on at the onset

    def lead_min(self, det: str) -> float | None:
        """Minutes the warning came before the alarm; None without an alarm; -inf for a miss."""
        if self.alarm is None:
            return None
        w = self.warning.get(det)
        return -np.inf if w is None else (self.alarm[0] - w) / 60_000


@dataclass
class Result:
    runs: list[FaultRun] = field(default_factory=list)
    false_alerts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # (det, unit)
    normal_days: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # unit -> days
    normal_limit_alarms: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    fit_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    score_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def fit(name: str, X: np.ndarray, names: Sequence[str]) -> Any:
    n_hold = max(round(len(X) * HOLDOUT), 5)
    head, tail = X[: len(X) - n_hold], X[len(X) - n_hold :]
    det = create(name).fit(head, feature_names=list(names))
    det.calibrate(tail, FALSE_ALARM_RATE, context=head, alerts_per_row=ALERTS_PER_ROW)
    return det


def run_seed(seed: int, index: int, spec: Any, unit_of: Mapping[str, str | None], units: Sequence[str],
             detectors: Sequence[str], normal_days: int, train_days: int, result: Result, log: Any) -> None:  # fmt: skip
    from anquan.simulator import Fault, Plant, applicable, ground_truth
    from anquan.simulator import scenarios as sc

    began = time.perf_counter()
    plant = Plant(spec, seed=seed)
    unit_tags = {u: default_unit_tags(spec, unit_of, u) for u in units}
    all_tags = sorted({t for tags in unit_tags.values() for t in tags})
    train_start, normal_end = T0 - train_days * DAY_MS, T0 + normal_days * DAY_MS
    series = readings(plant, all_tags, train_start, normal_end)
    log(
        f"seed {seed}: {train_days + normal_days} days of {len(all_tags)} tags in {time.perf_counter() - began:.0f} s"
    )
    models: dict[tuple[str, str], Any] = {}
    for u in units:
        tags = unit_tags[u]
        _, X_train = align(series, tags, train_start, T0, INTERVAL_MS)
        _, X_normal = align(series, tags, T0, normal_end, INTERVAL_MS)
        result.normal_days[u] += len(X_normal) * INTERVAL_S / 86_400
        if first_limit_crossing(spec, series, tags, T0) is not None:
            result.normal_limit_alarms[u] += 1
        for name in detectors:
            t = time.perf_counter()
            det = fit(name, X_train, tags)
            result.fit_s[name] += time.perf_counter() - t
            models[(name, u)] = det
            t = time.perf_counter()
            scorer = det.scorer()
            context = score(scorer, X_train[-CONTEXT_ROWS:])
            alarms = score(scorer, X_normal)
            result.score_s[name] += time.perf_counter() - t
            # an alert already running at T0 started during training: not counted again
            result.false_alerts[(name, u)] += len(alert_starts(np.concatenate([context[-1:], alarms]))) - int(
                bool(context[-1:].any())
            )
    log(f"seed {seed}: trained and scored normal operation ({time.perf_counter() - began:.0f} s)")

    for j, scenario in enumerate(SLOW + INFO):
        choices = [e for e in applicable(spec, scenario) if unit_of.get(e)]
        onset = normal_end + WARMUP_MS + (index * 7 + j * 2) % 24 * HOUR_MS + 20 * 60_000 * j
        fault = Fault(scenario, choices[index % len(choices)], onset, sc.SCENARIOS[scenario].default_duration_s,
                      1.0, seed)  # fmt: skip
        fplant = Plant(spec, seed=seed, faults=[fault])
        resolved = fplant.faults[0]
        unit = unit_of[resolved.equipment]
        assert unit is not None
        tags = unit_tags[unit]
        start, end = onset - WARMUP_MS, resolved.end_ms
        fseries = readings(fplant, tags, start, end)
        truth = ground_truth(fplant, resolved)
        crossings = sorted(
            (at, row["tag"]) for row in truth["tags"] for at in row["crossings"].values() if at is not None
        )
        in_unit = [c for c in crossings if c[1] in tags]
        run = FaultRun(
            scenario, seed, resolved.equipment + (f"/{resolved.tag}" if resolved.tag else ""), unit, onset,
            first_limit_crossing(spec, fseries, tags, onset), crossings[0] if crossings else None,
            in_unit[0] if in_unit else None,
        )  # fmt: skip
        ts, X = align(fseries, tags, start, end, INTERVAL_MS)
        for name in detectors:
            t = time.perf_counter()
            alarms = score(models[(name, unit)].scorer(), X)
            result.score_s[name] += time.perf_counter() - t
            starts = ts[alert_starts(alarms)]
            after = starts[starts >= onset]
            run.warning[name] = int(after[0]) if after.size else None
            run.before[name] = int((starts < onset).sum())
            at_onset = np.flatnonzero(ts >= onset)
            run.running[name] = bool(at_onset.size and alarms[at_onset[0]] and ts[at_onset[0]] not in after)
        result.runs.append(run)
    log(f"seed {seed}: done ({time.perf_counter() - began:.0f} s)")


# --- Tables -----------------------------------------------------------------------------------
def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == -np.inf:
        return "missed"
    return f"{x:.0f}"


def _median(leads: list[float]) -> float | None:
    return statistics.median_low(leads) if leads else None


def tables(result: Result, detectors: Sequence[str], units: Sequence[str]) -> str:
    summary = []
    for name in detectors:
        slow_leads = [
            lead for r in result.runs if r.scenario in SLOW if (lead := r.lead_min(name)) is not None
        ]
        med = _median(slow_leads)
        per_unit = [
            result.false_alerts[(name, u)] / result.normal_days[u] for u in units if result.normal_days[u]
        ]
        total_days = sum(result.normal_days[u] for u in units)
        mean_rate = sum(result.false_alerts[(name, u)] for u in units) / total_days if total_days else 0.0
        worst = max(zip(per_unit, units, strict=True)) if per_unit else (0.0, "—")
        summary.append([
            name,
            _fmt(med), f"≥ {TARGET_LEAD_MIN:.0f}", "yes" if med is not None and med >= TARGET_LEAD_MIN else "no",
            f"{mean_rate:.2f}", f"{worst[0]:.2f} ({worst[1]})", f"≤ {TARGET_FALSE_PER_DAY:.0f}",
            "yes" if worst[0] <= TARGET_FALSE_PER_DAY else "no",
        ])  # fmt: skip
    out = [
        report.table(
            [
                "Detector",
                "Median lead, slow faults (min)",
                "Target",
                "Met",
                "False alerts/unit/day (mean)",
                "Worst unit",
                "Target",
                "Met",
            ],
            summary,
        )
    ]
    rows = []
    for name in detectors:
        for scenario in SLOW + INFO:
            runs = [r for r in result.runs if r.scenario == scenario]
            leads = [lead for r in runs if (lead := r.lead_min(name)) is not None]
            finite = [x for x in leads if x != -np.inf]
            rows.append([
                name, scenario + ("" if scenario in SLOW else " (info)"), len(runs),
                sum(r.alarm is not None for r in runs),
                sum(1 for x in leads if x > 0),
                sum(r.warning[name] is not None for r in runs),
                _fmt(_median(leads)), _fmt(min(finite)) if finite else "—", _fmt(max(finite)) if finite else "—",
                sum(r.before[name] for r in runs), sum(r.running[name] for r in runs),
            ])  # fmt: skip
    out.append(
        report.table(
            [
                "Detector",
                "Scenario",
                "Runs",
                "Limit alarm",
                "AI before alarm",
                "AI at all",
                "Median lead (min)",
                "Min",
                "Max",
                "False alerts before onset",
                "Alert running at onset",
            ],
            rows,
        )
    )
    out.append(
        report.table(
            ["False alerts/day", *units],
            [
                [name, *(f"{result.false_alerts[(name, u)] / result.normal_days[u]:.1f}" for u in units)]
                for name in detectors
            ],
        )
    )
    runs_rows = []
    for r in result.runs:
        agree = "yes" if r.alarm == r.truth_unit else "no"
        runs_rows.append([
            r.scenario, r.seed, r.equipment, r.unit,
            _when(r.alarm, r.onset_ms), _when(r.truth_unit, r.onset_ms), _when(r.truth_any, r.onset_ms), agree,
            *(_fmt(r.lead_min(n)) if r.alarm else ("no alarm; AI " + _fmt(_rel(r.warning[n], r.onset_ms)))
              for n in detectors),
        ])  # fmt: skip
    out.append(
        report.table(
            [
                "Scenario",
                "Seed",
                "Equipment",
                "Unit",
                "Limit alarm (data)",
                "Truth, unit",
                "Truth, any tag",
                "Agree",
                *(f"Lead {n}" for n in detectors),
            ],
            runs_rows,
        )
    )
    return "\n\n".join(out)


def _rel(at: int | None, onset: int) -> float | None:
    return None if at is None else (at - onset) / 60_000


def _when(c: tuple[int, str] | None, onset: int) -> str:
    return "—" if c is None else f"+{(c[0] - onset) / 60_000:.0f} min {c[1]}"


# --- Entry points -----------------------------------------------------------------------------
def run(
    quick: bool, detectors: Sequence[str] | None = None, log: Any = None, train_days: int = TRAIN_DAYS
) -> str:
    """Run the benchmark; the markdown tables and notes."""
    cfg = QUICK if quick else FULL
    chosen = [d for d in (detectors or DEFAULT_DETECTORS) if d in DETECTORS]
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    began = time.perf_counter()
    spec, unit_of, units = demo_plant()
    result = Result()
    seeds = cfg.seeds
    for i, seed in enumerate(seeds):
        run_seed(seed, i, spec, unit_of, units, chosen, cfg.normal_days, train_days, result, log)
    seconds = time.perf_counter() - began
    days = sum(result.normal_days.values()) / max(len(units), 1)
    times = ", ".join(f"{n} fit {result.fit_s[n]:.0f} s / score {result.score_s[n]:.0f} s" for n in chosen)
    notes = (
        f"Demo plant, {len(units)} units, seeds {', '.join(map(str, seeds))}; per seed and unit: "
        f"{train_days} days of normal history at {INTERVAL_S} s (fit on 80 %, threshold on the last 20 %: at "
        f"most one alert start per day, alerts_per_row {ALERTS_PER_ROW:.2e}), then {days:.0f} days of normal operation per unit in all "
        f"(limit alarms during it: {sum(result.normal_limit_alarms.values())} unit-runs), and each fault scenario "
        f"once per seed (severity 1, default duration). Detectors with their registry defaults. "
        f"Lead = conventional limit alarm − first AI alert start after the onset; 'missed' = no AI alert before "
        f"the fault ended. Total {seconds:.0f} s ({times})."
    )
    return tables(result, chosen, units) + "\n\n" + notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.leadtime", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2 seeds, 1 normal day per seed")
    parser.add_argument(
        "--detectors", default="", help=f"comma-separated (default: {','.join(DEFAULT_DETECTORS)})"
    )
    parser.add_argument(
        "--train-days",
        type=int,
        default=TRAIN_DAYS,
        help=f"days of normal history per model (default {TRAIN_DAYS})",
    )
    parser.add_argument("--write", action="store_true", help="write the section of BENCHMARKS.md")
    args = parser.parse_args(argv)
    detectors = [d.strip() for d in args.detectors.split(",") if d.strip()] or None
    body = run(args.quick, detectors, train_days=args.train_days)
    print(body)
    if args.write:
        title = "Lead time: AI warning before the limit alarm on simulated faults" + (
            " (quick)" if args.quick else ""
        )
        report.write_section("leadtime", title, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
