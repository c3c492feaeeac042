from __future__ import annotations

import numpy as np
import pytest

from anquan.detectors import time_to_limit


def ramp(rate: float, noise: float, n: int = 360, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(n) * 10.0  # one hour at 10 s
    return t, 50.0 + rate * t + noise * np.random.default_rng(seed).normal(size=n)


def test_a_rising_tag_reaches_its_limit_when_the_trend_says() -> None:
    t, y = ramp(rate=0.005, noise=0.2)  # 50 → ~68 in an hour; H = 80 is ~2.4 h after the last sample
    f = time_to_limit(t, y, limit=80.0)
    assert f is not None
    truth = (80.0 - (50.0 + 0.005 * t[-1])) / 0.005
    assert f.low_s <= truth <= f.high_s
    assert abs(f.eta_s - truth) / truth < 0.05
    assert f.rate == pytest.approx(0.005, rel=0.03)
    assert f.low_s < f.eta_s < f.high_s


def test_outliers_do_not_move_the_robust_trend() -> None:
    t, y = ramp(rate=0.005, noise=0.2)
    spiky = y.copy()
    spiky[::37] += 15.0
    a, b = time_to_limit(t, y, 80.0), time_to_limit(t, spiky, 80.0)
    assert a is not None and b is not None
    assert b.eta_s == pytest.approx(a.eta_s, rel=0.05)


def test_flat_falling_or_too_noisy_gives_none() -> None:
    t, flat = ramp(rate=0.0, noise=0.2)
    assert time_to_limit(t, flat, 80.0) is None
    t, falling = ramp(rate=-0.005, noise=0.2)
    assert time_to_limit(t, falling, 80.0) is None
    t, noisy = ramp(rate=0.0005, noise=20.0, n=30)
    assert time_to_limit(t, noisy, 80.0) is None


def test_low_limits_beyond_the_limit_horizon_and_window() -> None:
    t, falling = ramp(rate=-0.005, noise=0.1)
    low = time_to_limit(t, falling, 20.0)
    assert low is not None and low.rate < 0
    assert low.eta_s == pytest.approx((50.0 - 0.005 * t[-1] - 20.0) / 0.005, rel=0.05)
    t, rising = ramp(rate=0.005, noise=0.1)
    at = time_to_limit(t, rising, 60.0, direction="high")
    assert at is not None and (at.eta_s, at.low_s, at.high_s) == (0.0, 0.0, 0.0)
    assert time_to_limit(t, rising, 80.0, horizon_s=1800.0) is None
    # only the last 10 minutes: a rise that started there
    y = np.where(t < t[-1] - 600, 50.0, 50.0 + 0.02 * (t - (t[-1] - 600)))
    y = y + 0.05 * np.random.default_rng(1).normal(size=len(t))
    recent = time_to_limit(t, y, 80.0, window_s=600.0)
    assert recent is not None and recent.rate == pytest.approx(0.02, rel=0.1)
    with pytest.raises(ValueError):
        time_to_limit(t, y[:-1], 80.0)


def test_correlated_tags_inform_the_band() -> None:
    """A noisy pressure follows a clean temperature: the temperature's trend joins the estimate."""
    rng = np.random.default_rng(4)
    t = np.arange(120) * 10.0
    temperature = 100.0 + 0.01 * t + 0.02 * rng.normal(size=len(t))
    pressure = 0.5 * temperature + 1.0 * rng.normal(size=len(t))
    alone = time_to_limit(t, pressure, 60.0)
    helped = time_to_limit(t, pressure, 60.0, related=temperature[:, None])
    assert alone is not None and helped is not None
    assert helped.high_s - helped.low_s < alone.high_s - alone.low_s
    truth = (60.0 - 0.5 * (100.0 + 0.01 * t[-1])) / 0.005
    assert helped.low_s <= truth <= helped.high_s
