"""PCA monitoring: Hotelling's T² (variation inside the normal subspace) and SPE/Q (distance from it),
with a dynamic (lagged) variant that also models how the variables move together over time.

Feature rows are built causally from the standardised variables: optionally a rolling mean over the
last ``input_window`` rows (less noise, same level), then the current row beside its ``lags``
predecessors; the features are standardised again on the training rows (PCA of the correlation
matrix). The number of components keeps the fraction ``n_components`` of the training
variance (or is a count when ``n_components >= 1``), and always leaves at least one residual
direction so SPE means something.

The score is ``T²/mean(T²_train) + SPE/mean(SPE_train)`` (``statistic="combined"``), or either one
alone. Contributions split both exactly over the variables (summed over lags): T² through the
symmetric square root of ``P Λ⁻¹ Pᵀ``, SPE as the squared residual of each variable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from anquan.detectors.base import Z_CLIP, Detector
from anquan.detectors.registry import register

STATISTICS = ("combined", "t2", "spe")


@register("pca")
class PCADetector(Detector):
    """PCA T² + SPE on the standardised variables (``lags=0``: static PCA)."""

    def __init__(
        self,
        *,
        n_components: float = 0.9,
        lags: int = 0,
        input_window: int = 1,
        statistic: str = "combined",
        smoothing: int = 1,
        alarm_k: int = 1,
        alarm_n: int = 1,
        threshold_margin: float = 1.0,
        z_clip: float | None = Z_CLIP,
    ) -> None:
        self.n_components = n_components
        self.lags = lags
        self.input_window = input_window
        self.statistic = statistic
        self.smoothing = smoothing
        self.alarm_k = alarm_k
        self.alarm_n = alarm_n
        self.threshold_margin = threshold_margin
        self.z_clip = z_clip

    # -- features ------------------------------------------------------------------------------

    def _w(self) -> int:
        return max(int(self.input_window), 1)

    def _l(self) -> int:
        return max(int(self.lags), 0)

    def _history(self) -> int:
        return self._w() - 1 + self._l()

    def _features(self, Zext: np.ndarray) -> np.ndarray:
        w, L = self._w(), self._l()
        R = sliding_window_view(Zext, w, axis=0).mean(axis=-1) if w > 1 else Zext
        n = len(R) - L
        if L == 0:
            return R
        return np.concatenate([R[L - k : L - k + n] for k in range(L + 1)], axis=1)

    # -- model ---------------------------------------------------------------------------------

    def _fit(self, Z: np.ndarray) -> None:
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}")
        F = self._features(self._extended(Z))
        n, d = F.shape
        self.mean_ = F.mean(axis=0)
        sd = F.std(axis=0)
        self.feature_scale_ = np.where(sd > 1e-9, sd, 1.0)
        _, S, Vt = np.linalg.svd(self._centred(F), full_matrices=False)
        ev = S**2 / max(n - 1, 1)
        total = ev.sum()
        if self.n_components < 1:
            frac = np.cumsum(ev) / total if total > 0 else np.ones_like(ev)
            k = int(np.searchsorted(frac, float(self.n_components)) + 1)
        else:
            k = int(self.n_components)
        k = max(1, min(k, d - 1 if d > 1 else 1, len(ev)))
        self.n_components_ = k
        self.components_ = np.ascontiguousarray(Vt[:k].T)  # d × k
        self.explained_variance_ = np.maximum(ev[:k], 1e-12 * max(total, 1e-12))
        t2, spe = self._t2_spe(F)
        self.t2_scale_ = float(max(t2.mean(), 1e-12))
        self.spe_scale_ = float(max(spe.mean(), 1e-12 * d))
        self._prepare()

    def _prepare(self) -> None:
        inv_sqrt = 1.0 / np.sqrt(self.explained_variance_)
        self._proj = self.components_ * inv_sqrt  # d × k: whitened scores
        self._root = self._proj @ self.components_.T  # symmetric root of P Λ⁻¹ Pᵀ

    def _centred(self, F: np.ndarray) -> np.ndarray:
        """Features standardised on the training rows, clipped to ``±z_clip`` like the variables (a
        rolling mean has less noise than its variable, so a clipped variable can still stand out
        by more than ``z_clip`` here)."""
        Fc = (F - self.mean_) / self.feature_scale_
        if self.z_clip:
            np.clip(Fc, -float(self.z_clip), float(self.z_clip), out=Fc)
        return Fc

    def _t2_spe(self, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Fc = self._centred(F)
        T = Fc @ self.components_
        t2 = (T**2 / self.explained_variance_).sum(axis=1)
        R = Fc - T @ self.components_.T
        return t2, (R**2).sum(axis=1)

    def _raw(self, Zext: np.ndarray) -> np.ndarray:
        t2, spe = self._t2_spe(self._features(Zext))
        if self.statistic == "t2":
            return t2 / self.t2_scale_
        if self.statistic == "spe":
            return spe / self.spe_scale_
        return t2 / self.t2_scale_ + spe / self.spe_scale_

    def _contrib(self, Zext: np.ndarray) -> np.ndarray:
        Fc = self._centred(self._features(Zext))
        n, d = Fc.shape
        c = np.zeros((n, d))
        if self.statistic in ("combined", "t2"):
            c += (Fc @ self._root) ** 2 / self.t2_scale_
        if self.statistic in ("combined", "spe"):
            R = Fc - (Fc @ self.components_) @ self.components_.T
            c += R**2 / self.spe_scale_
        p = Zext.shape[1]
        return c.reshape(n, self._l() + 1, p).sum(axis=1)

    # -- artefact ------------------------------------------------------------------------------

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {
            "mean_": self.mean_,
            "feature_scale_": self.feature_scale_,
            "components_": self.components_,
            "explained_variance_": self.explained_variance_,
        }
        return arrays, {"t2_scale": self.t2_scale_, "spe_scale": self.spe_scale_}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.mean_ = np.asarray(arrays["mean_"], dtype=np.float64)
        self.feature_scale_ = np.asarray(arrays["feature_scale_"], dtype=np.float64)
        self.components_ = np.ascontiguousarray(arrays["components_"], dtype=np.float64)
        self.explained_variance_ = np.asarray(arrays["explained_variance_"], dtype=np.float64)
        self.n_components_ = self.components_.shape[1]
        self.t2_scale_ = float(meta["t2_scale"])
        self.spe_scale_ = float(meta["spe_scale"])
        self._prepare()


@register("dpca")
class DynamicPCADetector(PCADetector):
    """Dynamic PCA: the same statistics on the current row beside its recent predecessors."""

    def __init__(
        self,
        *,
        n_components: float = 0.9,
        lags: int = 5,
        input_window: int = 1,
        statistic: str = "combined",
        smoothing: int = 1,
        alarm_k: int = 1,
        alarm_n: int = 1,
        threshold_margin: float = 1.0,
        z_clip: float | None = Z_CLIP,
    ) -> None:
        super().__init__(
            n_components=n_components,
            lags=lags,
            input_window=input_window,
            statistic=statistic,
            smoothing=smoothing,
            alarm_k=alarm_k,
            alarm_n=alarm_n,
            threshold_margin=threshold_margin,
            z_clip=z_clip,
        )
