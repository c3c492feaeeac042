"""Small synthetic plant data for the detector tests: correlated variables with dynamics."""

from __future__ import annotations

import numpy as np

NAMES = ["Pressure", "Temperature", "Flow", "Level", "Current", "Vibration"]


def normal(n: int, seed: int = 0) -> np.ndarray:
    """Two latent factors (AR(1), a few rows of memory) mixed into six variables, plus sensor noise."""
    rng = np.random.default_rng(seed)
    f = np.zeros((n, 2))
    for i in range(1, n):
        f[i] = 0.8 * f[i - 1] + rng.normal(0.0, 0.6, 2)
    mix = np.array(
        [
            [1.0, 0.8, -0.6, 0.5, 0.9, 0.2],
            [0.3, -0.5, 0.9, 0.7, -0.2, 0.6],
        ]
    )
    X = f @ mix + rng.normal(0.0, 0.15, (n, 6))
    return X * np.array([2.0, 5.0, 10.0, 1.0, 3.0, 0.5]) + np.array([10.0, 80.0, 30.0, 5.0, 20.0, 1.0])


def with_fault(X: np.ndarray, start: int, seed: int = 1) -> np.ndarray:
    """From ``start`` on, Flow drifts away from what Pressure and Current say (a broken correlation),
    growing over 50 rows to five of Flow's own standard deviations."""
    out = X.copy()
    ramp = np.clip((np.arange(len(X)) - start) / 50.0, 0.0, 1.0)
    out[:, 2] += ramp * 5.0 * X[:start, 2].std()
    return out


def auc(negatives: np.ndarray, positives: np.ndarray) -> float:
    """Probability that a positive scores above a negative (ties count half)."""
    neg = np.asarray(negatives)[:, None]
    pos = np.asarray(positives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (neg.size * pos.size))
