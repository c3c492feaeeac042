"""Time-to-limit: when will a tag cross its H/HH (or L/LL) limit if its recent trend goes on?

The trend is a robust straight line (Huber-weighted least squares) through the recent window; its
standard error is widened for autocorrelated residuals. Correlated tags add a second estimate of
the same trend: the tag is regressed on them over the window and their own trends are carried
through that regression; the two estimates are averaged with inverse-variance weights.

The answer is ``None`` when the tag is not approaching the limit with the requested confidence
(flat, moving away, or too noisy to tell); otherwise ``eta_s`` with a band ``[low_s, high_s]`` from
the uncertainty of both the current level and the rate. A tag already beyond its limit gives 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

HUBER_K = 1.345


@dataclass(frozen=True)
class TimeToLimit:
    eta_s: float  # seconds from the last sample until the limit is crossed (best estimate)
    low_s: float  # early end of the band
    high_s: float  # late end of the band
    rate: float  # the trend used, units per second (signed)
    level: float  # the tag's current level, as the trend sees it
    limit: float


@dataclass(frozen=True)
class Trend:
    level: float  # fitted value at the last sample
    rate: float  # units per second
    level_se: float
    rate_se: float


def robust_trend(t: np.ndarray, y: np.ndarray, iterations: int = 6) -> Trend | None:
    """Huber-weighted straight line through (t, y); None with fewer than 4 distinct times."""
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(t) < 4 or np.ptp(t) <= 0:
        return None
    x = t - t[-1]
    A = np.column_stack([np.ones_like(x), x])
    w = np.ones_like(y)
    coef = np.zeros(2)
    r = y - y.mean()
    for _ in range(iterations):
        sw = np.sqrt(w)
        coef = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
        r = y - A @ coef
        mad = 1.4826 * np.median(np.abs(r - np.median(r)))
        scale = max(mad, 1e-12 * max(np.abs(y).max(), 1.0))
        w = np.minimum(1.0, HUBER_K * scale / np.maximum(np.abs(r), 1e-300))
    dof = max(w.sum() - 2.0, 1.0)
    sigma2 = float((w * r**2).sum() / dof)
    cov = sigma2 * np.linalg.pinv((A * w[:, None]).T @ A)
    # residuals that follow each other carry less information than their count suggests
    rho = 0.0
    if len(r) > 3 and (r**2).sum() > 0:
        rho = float(np.clip((r[1:] * r[:-1]).sum() / (r**2).sum(), 0.0, 0.95))
    inflate = (1.0 + rho) / (1.0 - rho)
    return Trend(
        level=float(coef[0]),
        rate=float(coef[1]),
        level_se=float(np.sqrt(max(cov[0, 0] * inflate, 0.0))),
        rate_se=float(np.sqrt(max(cov[1, 1] * inflate, 0.0))),
    )


def _related_rate(t: np.ndarray, y: np.ndarray, related: np.ndarray) -> tuple[float, float] | None:
    """The tag's rate as carried by correlated tags: y ≈ a + Rβ over the window, rate = Σ βⱼ rateⱼ."""
    R = np.asarray(related, dtype=np.float64)
    if R.ndim == 1:
        R = R[:, None]
    ok = np.isfinite(t) & np.isfinite(y) & np.isfinite(R).all(axis=1)
    t, y, R = t[ok], y[ok], R[ok]
    if len(t) < R.shape[1] + 4:
        return None
    Rc = R - R.mean(axis=0)
    sd = Rc.std(axis=0)
    keep = sd > 0
    if not keep.any():
        return None
    Rc, R = Rc[:, keep] / sd[keep], R[:, keep]
    ridge = 1e-3 * len(t)
    gram_inv = np.linalg.inv(Rc.T @ Rc + ridge * np.eye(Rc.shape[1]))
    beta = gram_inv @ Rc.T @ (y - y.mean()) / sd[keep]
    resid = y - y.mean() - (R - R.mean(axis=0)) @ beta
    if resid.std() >= y.std():  # the related tags explain nothing
        return None
    sigma2 = float((resid**2).sum() / max(len(t) - R.shape[1] - 1, 1))
    beta_var = sigma2 * np.diag(gram_inv) / sd[keep] ** 2
    rate, var = 0.0, 0.0
    for j in range(R.shape[1]):
        tr = robust_trend(t, R[:, j])
        if tr is None:
            return None
        rate += beta[j] * tr.rate
        var += (beta[j] * tr.rate_se) ** 2 + beta_var[j] * tr.rate**2
    return float(rate), float(np.sqrt(var))


def time_to_limit(
    t: np.ndarray,
    values: np.ndarray,
    limit: float,
    *,
    direction: str | None = None,
    related: np.ndarray | None = None,
    window_s: float | None = None,
    confidence: float = 0.9,
    horizon_s: float | None = None,
) -> TimeToLimit | None:
    """Estimated seconds until ``values`` (sampled at times ``t``, seconds) crosses ``limit``.

    ``direction``: "high" (crossing upwards, for H/HH) or "low" (L/LL); default from which side of
    the limit the tag is on. ``related``: correlated tags sampled at the same times, shape
    (n, m). ``window_s``: use only the last ``window_s`` seconds. ``horizon_s``: None beyond it.
    """
    t = np.asarray(t, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise ValueError("t and values must be 1-D arrays of the same length")
    R = None if related is None else np.asarray(related, dtype=np.float64).reshape(len(t), -1)
    if window_s is not None and len(t):
        recent = t >= t[-1] - window_s
        t, y = t[recent], y[recent]
        R = None if R is None else R[recent]
    own = robust_trend(t, y)
    if own is None:
        return None
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    rate, rate_se = own.rate, own.rate_se
    if R is not None and R.shape[1]:
        other = _related_rate(t, y, R)
        if other is not None and other[1] > 0 and rate_se > 0:
            w_own, w_other = 1.0 / rate_se**2, 1.0 / other[1] ** 2
            rate = (w_own * rate + w_other * other[0]) / (w_own + w_other)
            rate_se = float(np.sqrt(1.0 / (w_own + w_other)))
    if direction is None:
        direction = "high" if limit >= own.level else "low"
    if direction not in ("high", "low"):
        raise ValueError("direction must be 'high' or 'low'")
    sign = 1.0 if direction == "high" else -1.0
    distance = sign * (limit - own.level)
    if distance <= 0 or sign * (limit - y[np.isfinite(y)][-1]) <= 0:
        return TimeToLimit(0.0, 0.0, 0.0, rate, own.level, float(limit))
    approach = sign * rate
    slow = approach - z * rate_se
    if slow <= 0:  # not approaching with the requested confidence
        return None
    eta = distance / approach
    if horizon_s is not None and eta > horizon_s:
        return None
    near = max(distance - z * own.level_se, 0.0)
    far = distance + z * own.level_se
    return TimeToLimit(
        eta_s=float(eta),
        low_s=float(near / (approach + z * rate_se)),
        high_s=float(far / slow),
        rate=float(rate),
        level=own.level,
        limit=float(limit),
    )
