"""Counter-based randomness: every random number is a pure function of (seed, stream, index).

Nothing here keeps state, so the value of a signal at time ``t`` is the same whether it is computed
alone (live mode, one instant) or inside a month of history (one vectorised call), and the same
seed always gives the same data. The mixer is SplitMix64's finaliser; streams are named by a
stable 64-bit key (BLAKE2b of the name, never Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / float(1 << 53)
_MASK = (1 << 64) - 1
NOISE_CLIP = 4.0  # measurement noise is bounded at ±4 σ, as a transmitter's output is


def key(*parts: object) -> int:
    """A stable 64-bit key naming a random stream, e.g. ``key(seed, "tag", "TI-101")``."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def _bits(stream: int, index: np.ndarray) -> np.ndarray:
    idx = np.asarray(index).astype(np.int64).view(np.uint64)
    return _mix(idx * _GOLDEN + np.uint64(stream))


def uniform(stream: int, index: np.ndarray | int) -> np.ndarray:
    """Uniform numbers in [0, 1), one per integer index."""
    bits = _bits(stream, np.atleast_1d(np.asarray(index)))
    return (bits >> _S11).astype(np.float64) * _TO_UNIT


def uniform1(stream: int, index: int) -> float:
    return float(uniform(stream, index)[0])


def normal(stream: int, index: np.ndarray | int, clip: float = NOISE_CLIP) -> np.ndarray:
    """Standard normal numbers (Box–Muller), bounded at ±``clip``."""
    u1 = uniform(stream, index)
    u2 = uniform(stream ^ 0x5DEECE66D, index)
    z = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    return np.clip(z, -clip, clip)


def smooth(stream: int, t_s: np.ndarray, period_s: float) -> np.ndarray:
    """A smooth random process in [-1, 1]: knots every ``period_s``, cosine-interpolated."""
    x = np.asarray(t_s, dtype=np.float64) / period_s
    k = np.floor(x)
    frac = x - k
    ki = k.astype(np.int64)
    a = 2.0 * uniform(stream, ki) - 1.0
    b = 2.0 * uniform(stream, ki + 1) - 1.0
    w = 0.5 - 0.5 * np.cos(np.pi * frac)
    return a + (b - a) * w


def fractal(
    stream: int, t_s: np.ndarray, periods: tuple[float, ...], weights: tuple[float, ...]
) -> np.ndarray:
    """A weighted sum of ``smooth`` octaves; bounded by the sum of the weights."""
    out = np.zeros(np.shape(t_s))
    for n, (period, weight) in enumerate(zip(periods, weights, strict=True)):
        out += weight * smooth((stream + n * 0x2545F491) & _MASK, t_s, period)
    return out
