"""History as CSV: its shape, its timestamps, the same bytes for the same seed, and its ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from pathlib import Path

import numpy as np

from anquan.simulator import Fault, Plant, write_history
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.history import timestamps
from anquan.simulator.tests.conftest import SUMMER


def write(spec: s.PlantSpec, out: Path, seed: int = 1, **kwargs: object) -> dict[str, object]:
    faults = [Fault(sc.H2_LEAK, "FV-404", SUMMER + 6 * 3_600_000, 7200, severity=1.5)]
    result = write_history(
        spec, out, seed=seed, start_ms=SUMMER, days=0.5, interval_s=30, faults=faults, **kwargs
    )
    assert result.csv == out / "history.csv" and result.truth == out / "ground_truth.json"
    return {"result": result, "csv": result.csv.read_bytes(), "truth": json.loads(result.truth.read_text())}


def test_a_wide_csv_one_row_per_instant_and_one_column_per_tag(spec: s.PlantSpec, tmp_path: Path) -> None:
    seen: list[int] = []
    out = write(spec, tmp_path, progress=seen.append)

    with (tmp_path / "history.csv").open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header, body = table[0], table[1:]
    assert header == ["timestamp", *(t.code for t in spec.tags)]
    assert len(body) == 12 * 120 == out["result"].rows == sum(seen)  # type: ignore[attr-defined]
    assert {len(row) for row in body} == {82}
    assert body[0][0] == "2026-07-15T00:00:00+08:00" and body[1][0] == "2026-07-15T00:00:30+08:00"
    assert body[-1][0] == "2026-07-15T11:59:30+08:00"
    stamps = [dt.datetime.fromisoformat(row[0]) for row in body]
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(stamps)} == {30.0}
    # The values are the plant's, as published.
    plant = Plant(
        spec, seed=1, faults=[Fault(sc.H2_LEAK, "FV-404", SUMMER + 6 * 3_600_000, 7200, severity=1.5)]
    )
    at = plant.values(SUMMER + 100 * 30_000)
    assert [float(v) for v in body[100][1:]] == [at[t.code] for t in spec.tags]


def test_the_same_seed_writes_the_same_bytes(spec: s.PlantSpec, tmp_path: Path) -> None:
    first = write(spec, tmp_path / "a")
    again = write(spec, tmp_path / "b")
    other = write(spec, tmp_path / "c", seed=2)

    assert first["csv"] == again["csv"] and first["truth"] == again["truth"]
    assert first["csv"] != other["csv"]


def test_the_ground_truth_names_the_fault_and_its_crossings_are_rows_of_the_csv(
    spec: s.PlantSpec, tmp_path: Path
) -> None:
    out = write(spec, tmp_path)
    truth = out["truth"]
    assert isinstance(truth, dict)

    assert truth["seed"] == 1 and truth["interval_s"] == 30 and truth["start"] == "2026-07-15T00:00:00+08:00"
    assert [t["tag"] for t in truth["tags"]] == [t.code for t in spec.tags]
    (fault,) = truth["faults"]
    assert (fault["scenario"], fault["equipment"], fault["start"]) == (
        "h2_leak",
        "FV-404",
        "2026-07-15T06:00:00+08:00",
    )
    leak = next(row for row in fault["tags"] if row["tag"] == "AI-406")
    crossing = leak["crossings_at"]["h"]
    with (tmp_path / "history.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    index = next(i for i, row in enumerate(rows) if row["timestamp"] == crossing)
    assert float(rows[index]["AI-406"]) >= 25.0 > float(rows[index - 1]["AI-406"])
    assert all(float(row["AI-406"]) < 25.0 for row in rows[:index])


def test_timestamps_carry_the_sites_offset() -> None:
    t = np.array([SUMMER, SUMMER + 1500], dtype=np.int64)

    assert timestamps(t, 8.0) == ["2026-07-15T00:00:00.000+08:00", "2026-07-15T00:00:01.500+08:00"]
    assert timestamps(t[:1], -3.5) == ["2026-07-14T12:30:00-03:30"]
