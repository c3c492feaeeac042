"""The default detector: several registered detectors on the same rows, their scores put on one scale
and averaged, then smoothed, thresholded and held (k of n) as one.

Members are named in the registry (``members=("pca", "dpca")``; add ``"lstm"`` when the deep extra
is installed), configured through ``member_params`` (``{"dpca": {"lags": 3}}``). Each member is
scored raw (its own smoothing and persistence are switched off: the ensemble does both once). A
member's score is normalised by its training distribution: the excess over its median in units of
(99th percentile - median), floored at zero, so 1.0 means "as high as the top 1 % of normal
training rows" for every member alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from anquan.detectors.base import Z_CLIP, Detector
from anquan.detectors.registry import get, register

# The one configuration used for every file of the SKAB benchmark and as the platform's default.
DEFAULT_MEMBERS = ("pca", "dpca")
DEFAULT_MEMBER_PARAMS: dict[str, dict[str, Any]] = {
    "pca": {"n_components": 0.9, "input_window": 10},
    "dpca": {"n_components": 0.9, "input_window": 10, "lags": 6},
}
_NEUTRAL = {"smoothing": 1, "alarm_k": 1, "alarm_n": 1, "threshold_margin": 1.0}


@register("ensemble")
class EnsembleDetector(Detector):
    """Mean (or max) of the members' normalised scores."""

    def __init__(
        self,
        *,
        members: tuple[str, ...] = DEFAULT_MEMBERS,
        member_params: dict[str, dict[str, Any]] | None = None,
        combine: str = "mean",
        random_state: int = 0,
        smoothing: int = 10,
        alarm_k: int = 1,
        alarm_n: int = 1,
        threshold_margin: float = 4.0,
        z_clip: float | None = Z_CLIP,
    ) -> None:
        self.members = members
        self.member_params = member_params
        self.combine = combine
        self.random_state = random_state
        self.smoothing = smoothing
        self.alarm_k = alarm_k
        self.alarm_n = alarm_n
        self.threshold_margin = threshold_margin
        self.z_clip = z_clip

    def _make_member(self, name: str) -> Detector:
        klass = get(name)
        params = dict(DEFAULT_MEMBER_PARAMS.get(name, {}) if self.member_params is None else {})
        params.update((self.member_params or {}).get(name, {}))
        known = set(klass._param_names())
        params.update({k: v for k, v in _NEUTRAL.items() if k in known})
        if "random_state" in known:
            params["random_state"] = self.random_state
        if "z_clip" in known:
            params["z_clip"] = self.z_clip
        return klass(**{k: v for k, v in params.items() if k in known})

    def _fit(self, Z: np.ndarray) -> None:
        if self.combine not in ("mean", "max"):
            raise ValueError("combine must be 'mean' or 'max'")
        if not self.members:
            raise ValueError("an ensemble needs at least one member")
        self.members_ = [self._make_member(name).fit(Z) for name in self.members]
        raw = self._member_raw(self._extended(Z))
        med = np.median(raw, axis=0)
        q = np.quantile(raw, 0.99, axis=0)
        self.median_ = med
        self.spread_ = np.maximum(q - med, 1e-12 * np.maximum(np.abs(med), 1.0))

    def _history(self) -> int:
        members = getattr(self, "members_", None)
        if members is None:
            return max(self._make_member(name)._history() for name in self.members)
        return max(m._history() for m in members)

    def _member_raw(self, Zext: np.ndarray) -> np.ndarray:
        h = self._history()
        cols = []
        for m in self.members_:
            Zm = m._standardise(Zext[h - m._history() :])
            cols.append(m._raw(Zm))
        return np.stack(cols, axis=1)

    def _raw(self, Zext: np.ndarray) -> np.ndarray:
        s = np.maximum((self._member_raw(Zext) - self.median_) / self.spread_, 0.0)
        return s.max(axis=1) if self.combine == "max" else s.mean(axis=1)

    def _contrib(self, Zext: np.ndarray) -> np.ndarray:
        h = self._history()
        total = np.zeros((len(Zext) - h, Zext.shape[1]))
        for m, spread in zip(self.members_, self.spread_, strict=True):
            Zm = m._standardise(Zext[h - m._history() :])
            total += np.maximum(m._contrib(Zm), 0.0) / spread
        return total / len(self.members_)

    # -- artefact ------------------------------------------------------------------------------

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays: dict[str, np.ndarray] = {"median_": self.median_, "spread_": self.spread_}
        metas = []
        for i, m in enumerate(self.members_):
            member_arrays, _ = m._all_state()
            arrays.update({f"m{i}.{k}": v for k, v in member_arrays.items()})
            metas.append(m.metadata())
        return arrays, {"members": metas}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.median_ = np.asarray(arrays["median_"], dtype=np.float64)
        self.spread_ = np.asarray(arrays["spread_"], dtype=np.float64)
        members = []
        for i, member_meta in enumerate(meta["members"]):
            prefix = f"m{i}."
            member_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            members.append(get(member_meta["detector"])._from_state(member_meta, member_arrays))
        self.members_ = members
