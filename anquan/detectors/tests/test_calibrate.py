"""Shared machinery of the base class: bounded standardisation, calibration on alert starts, and a
failed fit leaving the detector unfitted."""

from __future__ import annotations

import numpy as np
import pytest

from anquan.detectors import Detector, NotFittedError, create
from anquan.detectors.base import alert_rate_threshold, alert_starts, persist
from anquan.detectors.tests.data import normal

TRAIN = normal(400, seed=0)
HOLDOUT = normal(700, seed=0)[400:]


def brute_force(scores: np.ndarray, start: int, allowed: float, k: int, n: int) -> float:
    """The same rule as alert_rate_threshold, one candidate at a time."""

    def starts(t: float) -> int:
        alarms, _ = persist(scores > t, k, n, None)
        return len(alert_starts(alarms[start:], int(alarms[start - 1]) if start else 0))

    best = float(scores[start:].max())
    for t in np.unique(scores[start:])[::-1]:
        if starts(t) > allowed:
            break
        best = float(t)
    return best


def test_alert_rate_threshold_on_a_small_series() -> None:
    s = np.array([0.0, 5.0, 1.0, 4.0, 1.0, 3.0, 3.0, 1.0, 2.0, 0.0])
    assert alert_rate_threshold(s, 0, 0, 1, 1) == 5.0  # no alert: above the highest score
    assert alert_rate_threshold(s, 0, 1, 1, 1) == 4.0  # one alert: only the 5 alarms
    assert alert_rate_threshold(s, 0, 2, 1, 1) == 3.0  # 5 and 4
    assert alert_rate_threshold(s, 0, 3, 1, 1) == 2.0  # 5, 4 and the run 3, 3 (at 1: 2 makes four)
    # the context's rows count in the persistence window but their starts do not: with 2 of 3,
    # a held-out series starting at row 2 sees the 5 of row 1 in its first windows
    assert alert_rate_threshold(s, 2, 0, 2, 3) == 4.0
    assert alert_rate_threshold(s, 2, 1, 2, 3) == 3.0  # the 4 with the 5: one start
    assert alert_rate_threshold(s, 2, 2, 2, 3) == 0.0  # one run from row 2 to the end


def test_alert_rate_threshold_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        m = int(rng.integers(5, 60))
        s = np.round(rng.normal(size=m), 1)
        start = int(rng.integers(0, m - 1))
        n = int(rng.integers(1, 5))
        k = int(rng.integers(1, n + 1))
        allowed = float(rng.integers(0, 4)) + 0.5
        assert alert_rate_threshold(s, start, allowed, k, n) == brute_force(s, start, allowed, k, n)


@pytest.mark.parametrize("name", ["pca", "ensemble"])
def test_calibrate_on_alert_starts(name: str) -> None:
    det = create(name, alarm_k=2, alarm_n=3).fit(TRAIN)
    per_row = 2 / len(HOLDOUT)  # at most two alert starts in the held-out rows
    det.calibrate(HOLDOUT, 0.5, context=TRAIN, alerts_per_row=per_row)
    margin = det.get_params()["threshold_margin"]
    scores = det.decision_function(np.concatenate([TRAIN, HOLDOUT]))
    assert det.threshold_ == pytest.approx(brute_force(scores, len(TRAIN), 2.0, 2, 3) * margin, rel=1e-12)
    assert det.alerts_per_row_ == per_row
    # at the unmargined threshold, the held-out rows scored as the continuation start <= 2 alerts
    det.threshold_ = det.threshold_ / margin
    alarms = det.predict(np.concatenate([TRAIN, HOLDOUT]))
    assert len(alert_starts(alarms[len(TRAIN) :], int(alarms[len(TRAIN) - 1]))) <= 2
    # without alerts_per_row: the row quantile, as before
    det.calibrate(HOLDOUT, 0.5, context=TRAIN)
    assert det.threshold_ == pytest.approx(float(np.median(scores[len(TRAIN) :])) * margin, rel=1e-12)
    assert det.alerts_per_row_ is None


def test_calibrate_rejects_a_bad_rate() -> None:
    det = create("pca").fit(TRAIN)
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="alerts_per_row"):
            det.calibrate(HOLDOUT, alerts_per_row=bad)


def test_alerts_per_row_is_saved(tmp_path) -> None:
    det = create("pca").fit(TRAIN).calibrate(HOLDOUT, context=TRAIN, alerts_per_row=0.01)
    det.save(tmp_path / "m.npz")
    loaded = Detector.load(tmp_path / "m.npz")
    assert loaded.alerts_per_row_ == 0.01 and loaded.metadata()["alerts_per_row"] == 0.01
    assert loaded.threshold_ == det.threshold_


@pytest.mark.parametrize("name", ["pca", "dpca", "iforest", "ensemble"])
def test_a_mode_switch_counts_as_z_clip_deviations_at_most(name: str) -> None:
    """A variable that sat still in training (a closed spray valve) and then jumps: the score is
    the same however far it jumps beyond z_clip standard deviations."""
    X = TRAIN.copy()
    X[:, 2] = 0.05 * np.random.default_rng(1).normal(size=len(X))  # tiny noise around zero
    det = create(name).fit(X)
    clip = det.get_params()["z_clip"]
    sd = X[:, 2].std()
    probe = np.stack([X[-20:]] * 3)
    probe[1, 10:, 2] = 2 * clip * sd  # twice the bound
    probe[2, 10:, 2] = 1e6 * sd  # a spray start: far beyond
    s = [det.decision_function(p) for p in probe]
    np.testing.assert_array_equal(s[1], s[2])
    assert s[1][-1] > s[0][-1]
    if name == "iforest":
        return  # its trees saturate beyond the training range anyway
    unclipped = create(name, z_clip=None).fit(X)
    assert unclipped.decision_function(probe[2])[-1] > unclipped.decision_function(probe[1])[-1]


@pytest.mark.parametrize("name", ["pca", "ensemble"])
def test_a_failed_fit_leaves_the_detector_unfitted(name: str) -> None:
    bad = {"statistic": "nope"} if name == "pca" else {"combine": "nope"}
    det = create(name, **bad)
    with pytest.raises(ValueError):
        det.fit(TRAIN)
    assert set(vars(det)) == set(det.get_params())
    with pytest.raises(NotFittedError):
        det.decision_function(TRAIN)
    # a fitted detector whose refit fails is not left with the old or a half-new model either
    det.set_params(**{next(iter(bad)): "combined" if name == "pca" else "mean"}).fit(TRAIN)
    det.set_params(**bad)
    with pytest.raises(ValueError):
        det.fit(TRAIN)
    with pytest.raises(NotFittedError):
        det.scorer()
