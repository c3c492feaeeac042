"""Training a model version from stored history: readings → grid rows → fit → calibrate → artefact.

The rows come from ``anquan.detectors.resample.align`` — the same rule the stream's online scoring
uses — so a model sees in training exactly what it will see online. The last part of the window
(``HOLDOUT``) is held out: the threshold is the lowest at which that normal data, scored as the
continuation of the training rows, starts no more alerts per day than the model's target. Never
from labels.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from anquan.detectors import registry
from anquan.detectors.base import Detector
from anquan.detectors.resample import align
from anquan.monitoring.models import Reading

HOLDOUT = 0.2  # the share of the window held out for calibration
MIN_ROWS = 200  # fewer complete rows than this is not enough to learn normal operation
ROW_RATE = 0.01  # the per-row rate calibrate() requires; with alerts_per_row it only bounds the search
STALE_INTERVALS = 6  # a tag silent for this many grid intervals has no value (no row then)


class TrainingError(Exception):
    """Training cannot go on; the message says why, in the user's language."""


@dataclass(frozen=True)
class Trained:
    detector: Detector
    artefact: bytes
    rows: int
    data_hash: str
    threshold: float
    metrics: dict[str, Any]


def history(tag_ids: Sequence[int], start_ms: int, end_ms: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """tag id → (ts_ms, values) of the stored readings in ``[start_ms, end_ms)``, time-ordered."""
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for tag_id in tag_ids:
        rows = list(
            Reading.objects.filter(tag_id=tag_id, ts__gte=start_ms, ts__lt=end_ms)
            .order_by("ts")
            .values_list("ts", "value")
            .iterator(chunk_size=20_000)
        )
        if rows:
            arr = np.asarray(rows, dtype=np.float64)
            out[tag_id] = (arr[:, 0].astype(np.int64), arr[:, 1])
        else:
            out[tag_id] = (np.zeros(0, np.int64), np.zeros(0))
    return out


def to_bytes(detector: Detector) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        detector.save(path)
        return path.read_bytes()


def from_bytes(data: bytes) -> Detector:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        path.write_bytes(bytes(data))
        return Detector.load(path)


def rows_of(
    tag_ids: Sequence[int], codes: Sequence[str], start_ms: int, end_ms: int, interval_s: int
) -> tuple[np.ndarray, np.ndarray]:
    series = history(tag_ids, start_ms, end_ms)
    by_code = {codes[i]: series[tag_id] for i, tag_id in enumerate(tag_ids)}
    interval_ms = interval_s * 1000
    return align(
        by_code, list(codes), start_ms, end_ms, interval_ms, max_age_ms=STALE_INTERVALS * interval_ms
    )


def train(
    *,
    detector_name: str,
    tag_ids: Sequence[int],
    codes: Sequence[str],
    start_ms: int,
    end_ms: int,
    interval_s: int,
    alerts_per_day: float,
    progress: Callable[[int, str], None] = lambda pct, msg: None,
) -> Trained:
    began = time.monotonic()
    progress(5, _("读取历史数据"))
    grid_ts, X = rows_of(tag_ids, codes, start_ms, end_ms, interval_s)
    if len(X) < MIN_ROWS:
        raise TrainingError(
            _("训练窗口内完整样本只有 %(n)d 个（至少需要 %(min)d 个）：请确认这些测点在该时段有数据。")
            % {"n": len(X), "min": MIN_ROWS}
        )
    constant = [codes[j] for j in range(X.shape[1]) if float(np.ptp(X[:, j])) == 0.0]
    progress(35, _("训练模型"))
    split = int(len(X) * (1 - HOLDOUT))
    detector = registry.create(detector_name)
    try:
        detector.fit(X[:split], feature_names=list(codes))
        progress(75, _("按目标误报率标定阈值"))
        detector.calibrate(
            X[split:], ROW_RATE, context=X[:split], alerts_per_row=alerts_per_day * interval_s / 86_400
        )
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise TrainingError(_("训练失败：%(error)s") % {"error": exc}) from exc
    holdout_alarms = detector.predict(np.concatenate([X[:split], X[split:]]))[split:]
    digest = hashlib.sha256()
    digest.update("\x1f".join(codes).encode())
    digest.update(np.ascontiguousarray(grid_ts).tobytes())
    digest.update(np.ascontiguousarray(X).tobytes())
    metrics = {
        "rows": len(X),
        "train_rows": int(split),
        "holdout_rows": int(len(X) - split),
        "holdout_alarm_rate": float(np.mean(holdout_alarms)) if len(holdout_alarms) else 0.0,
        "alerts_per_day": float(alerts_per_day),
        "holdout_alert_starts": int(np.sum(np.diff(np.concatenate([[0], holdout_alarms])) == 1)),
        "constant_tags": constant,
        "seconds": round(time.monotonic() - began, 2),
        # the training envelope, per tag, for drift: the share of recent data outside it
        "envelope": {
            codes[j]: {
                "low": float(np.quantile(X[:, j], 0.005)),
                "high": float(np.quantile(X[:, j], 0.995)),
                "mean": float(np.mean(X[:, j])),
                "std": float(np.std(X[:, j])),
            }
            for j in range(X.shape[1])
        },
    }
    progress(95, _("保存模型"))
    assert detector.threshold_ is not None
    return Trained(
        detector=detector,
        artefact=to_bytes(detector),
        rows=len(X),
        data_hash=digest.hexdigest(),
        threshold=float(detector.threshold_),
        metrics=metrics,
    )


def outside_envelope(envelope: dict[str, dict[str, float]], codes: Sequence[str], X: np.ndarray) -> float:
    """The share of rows of ``X`` with any variable outside the training envelope (drift)."""
    if len(X) == 0:
        return 0.0
    low = np.array([envelope[c]["low"] for c in codes])
    high = np.array([envelope[c]["high"] for c in codes])
    span = np.maximum(high - low, 1e-9)
    outside = (low - 0.1 * span > X) | (high + 0.1 * span < X)
    return float(np.mean(outside.any(axis=1)))
