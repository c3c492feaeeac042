"""What an AI alert shows besides its score: the contribution heatmap, the propagation path over the
process topology, and time-to-limit forecasts. Pure functions over the scorer's recent rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from anquan.detectors.forecast import time_to_limit

DEVIATION_Z = 4.0  # a variable "deviates" once it is this many σ from its own recent normal
HORIZON_S = 8 * 3600  # time-to-limit estimates further out than this are not shown


@dataclass(frozen=True)
class TagInfo:
    code: str
    equipment: str  # equipment code
    equipment_name: str
    limits: dict[str, float]  # level ("h", "hh", "l", "ll") → value


def contributors(contrib: np.ndarray, codes: Sequence[str], top: int = 5) -> list[dict[str, Any]]:
    """The variables' shares of the latest rows' contributions, largest first."""
    total = contrib.sum(axis=0)
    s = float(total.sum())
    if s <= 0:
        return []
    order = np.argsort(-total)[:top]
    return [{"tag": codes[j], "share": round(float(total[j] / s), 3)} for j in order if total[j] > 0]


def heatmap(times: np.ndarray, contrib: np.ndarray, codes: Sequence[str]) -> dict[str, Any]:
    """Tags × time of each row's contribution share (rows normalised to 1), for ECharts."""
    sums = contrib.sum(axis=1, keepdims=True)
    shares = np.divide(contrib, sums, out=np.zeros_like(contrib), where=sums > 0)
    return {
        "tags": list(codes),
        "times": [int(t) for t in times],
        "values": [[round(float(v), 3) for v in row] for row in shares.T],  # per tag, over time
    }


def propagation(
    times: np.ndarray,
    X: np.ndarray,
    codes: Sequence[str],
    info: dict[str, TagInfo],
    links: Sequence[tuple[str, str]],
) -> list[dict[str, Any]]:
    """Which equipment deviated first and how it spread: per equipment, the first row at which one
    of its variables left its own recent normal band (mean ± DEVIATION_Z σ of the oldest third of
    the rows); ordered by that time, each step naming the linked upstream equipment (process
    topology) that had deviated before it."""
    n = len(times)
    if n < 6:
        return []
    base = X[: max(n // 3, 3)]
    mu, sd = base.mean(axis=0), base.std(axis=0)
    sd = np.maximum(sd, 1e-6 + 1e-3 * np.abs(mu))
    first: dict[str, tuple[int, list[str]]] = {}
    for j, code in enumerate(codes):
        over = np.nonzero(np.abs(X[:, j] - mu[j]) > DEVIATION_Z * sd[j])[0]
        over = over[over >= len(base)]
        if over.size == 0 or code not in info:
            continue
        eq = info[code].equipment
        at = int(times[int(over[0])])
        if eq not in first or at < first[eq][0]:
            first[eq] = (at, [code, *first.get(eq, (0, []))[1]])
        else:
            first[eq][1].append(code)
    names = {i.equipment: i.equipment_name for i in info.values()}
    upstream: dict[str, set[str]] = {}
    for src, dst in links:
        upstream.setdefault(dst, set()).add(src)
    steps = []
    seen: dict[str, int] = {}
    for eq, (at, tags) in sorted(first.items(), key=lambda kv: (kv[1][0], kv[0])):
        origin = sorted(u for u in upstream.get(eq, ()) if u in seen and seen[u] <= at)
        steps.append({"equipment": eq, "name": names.get(eq, eq), "at": at, "tags": tags, "from": origin})
        seen[eq] = at
    return steps


def forecasts(
    times: np.ndarray, X: np.ndarray, codes: Sequence[str], info: dict[str, TagInfo]
) -> list[dict[str, Any]]:
    """Per variable with an H/HH (or L/LL) limit it is heading for: the estimated time until it
    crosses, with a band, from its trend and its correlated variables."""
    out: list[dict[str, Any]] = []
    if len(times) < 6:
        return out
    t = (times - times[-1]) / 1000.0
    for j, code in enumerate(codes):
        tag = info.get(code)
        if tag is None or not tag.limits:
            continue
        others = np.delete(X, j, axis=1)
        best = None
        for level in ("h", "hh", "l", "ll"):
            limit = tag.limits.get(level)
            if limit is None:
                continue
            direction = "high" if level in ("h", "hh") else "low"
            y = X[:, j]
            if (direction == "high" and y[-1] >= limit) or (direction == "low" and y[-1] <= limit):
                continue  # already there: the threshold alarm says so
            est = time_to_limit(t, y, limit, direction=direction, related=others, horizon_s=HORIZON_S)
            if est is None or not np.isfinite(est.eta_s):
                continue
            if best is None or est.eta_s < best[1].eta_s:
                best = (level, est)
        if best is not None:
            level, est = best
            out.append(
                {
                    "tag": code,
                    "level": level.upper(),
                    "limit": est.limit,
                    "value": round(float(X[-1, j]), 4),
                    "eta_s": round(float(est.eta_s)),
                    "low_s": round(float(est.low_s)),
                    "high_s": round(float(est.high_s)),
                }
            )
    return sorted(out, key=lambda f: f["eta_s"])
