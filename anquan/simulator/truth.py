"""Ground truth of a fault: what it really did, to score warnings against.

The plant is evaluated over the fault's span twice, with and without the fault (any other fault
in play stays in both), on the grid the data is published on. A tag is affected where the two
differ; its onset is the first instant they differ, "noticeable" the first instant the difference
exceeds three times the transmitter's noise, and each crossing the first instant the faulted
reading reaches a limit in the direction the fault pushes (H/HH up, L/LL down) — what a
conventional limit alarm without delay or deadband would do. Because the values come from the
same computation as the data, the crossing times match the published data exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np

from anquan.simulator import scenarios as sc
from anquan.simulator.plant import Plant

UP_LEVELS = ("h", "hh")
DOWN_LEVELS = ("l", "ll")


def iso(ms: int | None, utc_offset_h: float = 0.0) -> str | None:
    if ms is None:
        return None
    zone = dt.timezone(dt.timedelta(hours=utc_offset_h))
    return dt.datetime.fromtimestamp(ms / 1000, tz=zone).isoformat()


def ground_truth(
    plant: Plant,
    fault: sc.Fault,
    *,
    step_s: float | None = None,
    origin_ms: int = 0,
) -> dict[str, Any]:
    """What ``fault`` (one of ``plant.faults``, or a new one) does to the plant's tags.

    ``step_s`` is the grid the data is sampled on (default: each tag's own sample interval, on
    multiples of it as the live simulator publishes); ``origin_ms`` anchors a history's grid.
    """
    resolved = fault if fault in plant.faults else sc.resolve(plant.spec, fault)
    others = tuple(f for f in plant.faults if f != resolved)
    with_fault = (*others, resolved)
    start, end = resolved.start_ms, resolved.end_ms
    offset = plant.spec.utc_offset_h

    candidates = plant.spec.tags
    if resolved.family == sc.SENSOR:
        candidates = tuple(t for t in candidates if t.code == resolved.tag)
    groups: dict[float, list[str]] = defaultdict(list)
    for tag in candidates:
        groups[float(step_s or tag.sample_interval_s)].append(tag.code)

    rows = []
    for step, codes in sorted(groups.items()):
        step_ms = int(step * 1000)
        first = origin_ms + -(-(start - origin_ms) // step_ms) * step_ms
        times = np.arange(first, end + 1, step_ms, dtype=np.int64)
        if times.size == 0:
            continue
        faulted = plant.sample(times, codes, faults=with_fault)
        normal = plant.sample(times, codes, faults=others)
        for code in codes:
            row = _affected(plant, code, times, faulted[code], normal[code])
            if row is not None:
                rows.append(row)
    rows.sort(key=lambda r: (r["onset_ms"], r["tag"]))
    crossings = [
        (at, row["tag"], level) for row in rows for level, at in row["crossings"].items() if at is not None
    ]
    first_crossing = None
    if crossings:
        at, tag, level = min(crossings)
        first_crossing = {"tag": tag, "level": level, "at_ms": at, "at": iso(at, offset)}
    equipment = sorted({plant.spec.tag(r["tag"]).equipment for r in rows} | {resolved.equipment})
    for row in rows:
        row["onset"] = iso(row["onset_ms"], offset)
        row["noticeable"] = iso(row["noticeable_ms"], offset)
        row["crossings_at"] = {level: iso(at, offset) for level, at in row["crossings"].items()}
    return {
        **resolved.as_dict(),
        "start": iso(start, offset),
        "end_ms": end,
        "end": iso(end, offset),
        "step_s": step_s,
        "equipment_affected": equipment,
        "tags": rows,
        "first_crossing": first_crossing,
    }


def _affected(
    plant: Plant, code: str, times: np.ndarray, faulted: np.ndarray, normal: np.ndarray
) -> dict[str, Any] | None:
    diff = faulted - normal
    changed = np.flatnonzero(diff != 0.0)
    if changed.size == 0:
        return None
    tag = plant.spec.tag(code)
    peak_at = int(np.argmax(np.abs(diff)))
    direction = "up" if diff[peak_at] > 0 else "down"
    noise = float(np.median(plant.sigma(tag, np.abs(normal))))
    big = np.flatnonzero(np.abs(diff) > 3.0 * noise)
    crossings: dict[str, int | None] = {}
    for level, limit in tag.limits().items():
        if (level in UP_LEVELS) != (direction == "up"):
            continue
        hit = np.flatnonzero(faulted >= limit) if direction == "up" else np.flatnonzero(faulted <= limit)
        crossings[level] = int(times[hit[0]]) if hit.size else None
    peak = float(faulted.max() if direction == "up" else faulted.min())
    return {
        "tag": code,
        "equipment": tag.equipment,
        "kind": tag.kind,
        "direction": direction,
        "onset_ms": int(times[changed[0]]),
        "noticeable_ms": int(times[big[0]]) if big.size else None,
        "peak": peak,
        "normal": float(normal[peak_at]),
        "crossings": crossings,
        "out_of_range": bool(((faulted < tag.range_low) | (faulted > tag.range_high)).any()),
    }
