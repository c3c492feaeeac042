"""Pure functions from OPC UA data changes (as plain ``Sample`` data) to readings or rejects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anquan.streaming.choices import RejectReason
from anquan.streaming.types import RawReading, Reject, cut


@dataclass(frozen=True, slots=True)
class Sample:
    """One data change: the value, its quality and its timestamps (epoch ms, or None when absent)."""

    value: Any
    quality: str  # "good" | "uncertain" | "bad" (the status code's severity)
    status: str  # the status code's name, e.g. "Good", "BadSensorFailure"
    source_ts: int | None
    server_ts: int | None


def engineering_value(value: Any) -> Any:
    """Booleans (discrete states) become 1/0; everything else goes to the pipeline as sent."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return value


def to_reading(tag: str, sample: Sample) -> RawReading | Reject:
    """A reading stamped with the source timestamp (else the server's, else time of receipt).

    A value with a bad status code is refused (``bad_quality``); good and uncertain values pass.
    """
    ts = sample.source_ts if sample.source_ts is not None else sample.server_ts
    if sample.quality == "bad":
        raw = json.dumps(
            {"tag": tag, "value": sample.value, "status": sample.status}, ensure_ascii=False, default=str
        )
        return Reject(
            reason=RejectReason.BAD_QUALITY, raw=cut(raw), detail=cut(sample.status, 300), tag=tag, ts=ts
        )
    return RawReading(tag=tag, ts=ts, value=engineering_value(sample.value))


def split(items: list[tuple[str, Sample]]) -> tuple[list[RawReading], list[Reject]]:
    readings: list[RawReading] = []
    rejects: list[Reject] = []
    for tag, sample in items:
        result = to_reading(tag, sample)
        if isinstance(result, RawReading):
            readings.append(result)
        else:
            rejects.append(result)
    return readings, rejects
