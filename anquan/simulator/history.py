"""History for training and benchmarks: a wide CSV of every tag plus the faults' ground truth.

``history.csv`` has a ``timestamp`` column (ISO 8601 with the site's UTC offset) and one column per
tag code, in the spec's tag order, each value at the tag's resolution; ``ground_truth.json`` says
which faults were played and what each did, on the same time grid. The plant is computed a day at
a time (vectorised), so a month at 10 s is written in seconds, and the same seed gives the same
bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from anquan.simulator import scenarios as sc
from anquan.simulator.environment import DAY_S
from anquan.simulator.plant import Plant, decimals
from anquan.simulator.spec import PlantSpec
from anquan.simulator.truth import ground_truth, iso

CSV_NAME = "history.csv"
TRUTH_NAME = "ground_truth.json"
CHUNK_S = DAY_S


@dataclass(frozen=True)
class HistoryResult:
    csv: Path
    truth: Path
    rows: int
    columns: int
    seconds: float


def timestamps(t_ms: np.ndarray, utc_offset_h: float) -> list[str]:
    """ISO 8601 local times with their offset, e.g. ``2026-07-01T08:00:00+08:00``."""
    offset_ms = round(utc_offset_h * 3_600_000)
    local = (t_ms + offset_ms).astype("datetime64[ms]")
    unit = "s" if not np.any(t_ms % 1000) else "ms"
    sign = "+" if offset_ms >= 0 else "-"
    minutes = abs(offset_ms) // 60_000
    suffix = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    text = np.datetime_as_string(local, unit=unit)  # type: ignore[call-overload]
    return [f"{s}{suffix}" for s in text.tolist()]


def write_history(
    spec: PlantSpec,
    out_dir: str | Path,
    *,
    seed: int,
    start_ms: int,
    days: float,
    interval_s: float,
    faults: Iterable[sc.Fault] = (),
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    """Write ``history.csv`` and ``ground_truth.json`` into ``out_dir`` (created if missing)."""
    began = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plant = Plant(spec, seed=seed, faults=faults)
    step_ms = round(interval_s * 1000)
    end_ms = start_ms + round(days * DAY_S * 1000)
    codes = [t.code for t in spec.tags]
    row_format = "%s," + ",".join(f"%.{decimals(t)}f" for t in spec.tags) + "\n"
    chunk_ms = max(step_ms, int(CHUNK_S * 1000) // step_ms * step_ms)
    rows = 0
    csv_path = out / CSV_NAME
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("timestamp," + ",".join(codes) + "\n")
        for chunk_start in range(start_ms, end_ms, chunk_ms):
            times = np.arange(chunk_start, min(chunk_start + chunk_ms, end_ms), step_ms, dtype=np.int64)
            values = plant.sample(times)
            columns = [(values[c] + 0.0).tolist() for c in codes]  # (+ 0.0 turns -0.0 into 0.0)
            stamps = timestamps(times, spec.utc_offset_h)
            fh.write("".join([row_format % row for row in zip(stamps, *columns, strict=True)]))
            rows += len(times)
            if progress is not None:
                progress(len(times))
    truth: dict[str, Any] = {
        "site": spec.site,
        "seed": seed,
        "start_ms": start_ms,
        "start": iso(start_ms, spec.utc_offset_h),
        "end_ms": end_ms,
        "end": iso(end_ms, spec.utc_offset_h),
        "interval_s": interval_s,
        "rows": rows,
        "tags": [
            {
                "tag": t.code,
                "equipment": t.equipment,
                "kind": t.kind,
                "unit": t.unit,
                "range": [t.range_low, t.range_high],
                "limits": t.limits(),
            }
            for t in spec.tags
        ],
        "faults": [ground_truth(plant, f, step_s=interval_s, origin_ms=start_ms) for f in plant.faults],
    }
    truth_path = out / TRUTH_NAME
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return HistoryResult(csv_path, truth_path, rows, len(codes) + 1, time.perf_counter() - began)
