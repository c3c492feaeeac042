"""Online scoring throughput of the detectors: samples/s through ``scorer().update(block)``.

    python -m benchmarks.detector_throughput [--quick]

Blocks of 100 rows × 20 tags, as the stream hands them over. The reference beside each figure is
measured in the same run on the same data: one numpy matrix product per block (the block times a
20 × 20 matrix), the least work any detector does per block; the ratio is what to compare across
machines. Target on 2 cores: ≥ 50,000 samples/s for the PCA-class detectors.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anquan.detectors import Detector, registry
from benchmarks import report

TAGS = 20
BLOCK = 100
TARGET = 50_000
LSTM_TARGET = 5_000


@dataclass
class Case:
    label: str
    detector: str
    params: dict[str, Any] = field(default_factory=dict)
    target: int | None = None
    unit: str = "samples/s"
    available: Callable[[], bool] = lambda: True
    # More rows about the fitted detector: (detector, stream, min_seconds, rate) -> rows.
    extra: Callable[[Detector, np.ndarray, float, float], list[list[object]]] | None = None


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def lstm_raw_onnx(det: Any, stream: np.ndarray, min_seconds: float, rate: float) -> list[list[object]]:
    """The LSTM's own ceiling: its ONNX model's bare ``session.run`` on all the stream's windows
    as one batch (no standardisation, windowing or per-block calls)."""
    session, windows = det.onnx_session(), det.onnx_windows(stream)
    session.run(None, {"windows": windows})  # warm-up: the first run of a batch size allocates
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_seconds:
        session.run(None, {"windows": windows})
        n += len(windows)
    raw = n / (time.perf_counter() - t0)
    return [
        [
            f"  Reference: the same ONNX model, raw `session.run` on one batch of {len(windows):,} windows",
            f"{raw:,.0f} windows/s",
            f"{rate / raw:.3f} (LSTM online ÷ raw)",
            "—",
            "—",
        ]
    ]


# Add a row: one more Case.
CASES = [
    Case("PCA T² + SPE", "pca", target=TARGET),
    Case("Dynamic PCA (lags 5)", "dpca", target=TARGET),
    Case("Ensemble (default: PCA + dynamic PCA, windowed, smoothed)", "ensemble", target=TARGET),
    Case("Isolation forest (100 trees)", "iforest"),
    Case(
        "LSTM forecaster (window 30, hidden 16; ONNX Runtime, 1 thread)",
        "lstm",
        target=LSTM_TARGET,
        unit="windows/s",
        available=_torch_installed,
        extra=lstm_raw_onnx,
    ),
]


def data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 4))
    return latent @ rng.normal(size=(4, TAGS)) + 0.3 * rng.normal(size=(n, TAGS))


def _timed(blocks: list[np.ndarray], step: Callable[[np.ndarray], object], min_seconds: float) -> float:
    """Samples/s over repeated passes until ``min_seconds`` have gone by."""
    n, t0 = 0, time.perf_counter()
    while True:
        for b in blocks:
            step(b)
            n += len(b)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return n / elapsed


def reference(blocks: list[np.ndarray], min_seconds: float) -> float:
    W = np.random.default_rng(1).normal(size=(TAGS, TAGS))
    return _timed(blocks, lambda b: b @ W, min_seconds)


def measure(
    case: Case, train: np.ndarray, blocks: list[np.ndarray], min_seconds: float
) -> tuple[float, Detector]:
    det = registry.create(case.detector, **case.params).fit(train[:1500])
    det.calibrate(train[1500:], 0.01, context=train[:1500])
    scorer = det.scorer()
    return _timed(blocks, scorer.update, min_seconds), det


def run(quick: bool = False) -> str:
    min_seconds = 1.0 if quick else 3.0
    train = data(2000, seed=0)
    stream = data(BLOCK * 50, seed=1)
    blocks = [stream[i : i + BLOCK] for i in range(0, len(stream), BLOCK)]
    ref = reference(blocks, min_seconds)
    rows: list[list[object]] = []
    for case in CASES:
        if case.detector not in registry.DETECTORS or not case.available():
            rows.append([case.label, "—", "—", "—", "not installed"])
            continue
        rate, det = measure(case, train, blocks, min_seconds)
        verdict = "—" if case.target is None else ("met" if rate >= case.target else "NOT met")
        target = "—" if case.target is None else f"≥ {case.target:,} {case.unit}"
        rows.append([case.label, f"{rate:,.0f} {case.unit}", f"{rate / ref:.3f}", target, verdict])
        if case.extra is not None:
            rows.extend(case.extra(det, stream, min_seconds, rate))
    rows.append(["Reference: numpy block @ (20 × 20) matrix", f"{ref:,.0f} rows/s", "1", "—", "—"])
    return (
        report.table(["Detector", "Online scoring", "Ratio to reference", "Target", "Result"], rows)
        + f"\n\nBlocks of {BLOCK} rows × {TAGS} tags through `scorer().update(block)`, one process, "
        "after fitting on 1,500 rows."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.detector_throughput")
    parser.add_argument("--quick", action="store_true")
    print(run(parser.parse_args(argv).quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
