"""The detector contract: scikit-learn style estimators whose one score is "higher = more anomalous".

A subclass declares its parameters as keyword-only ``__init__`` arguments (stored unchanged as
same-named attributes) and implements four hooks on *standardised* data (``Z``):

- ``_fit(Z)``: learn from normal data (rows in time order); learned attributes end in ``_``.
- ``_history()``: how many past rows a score needs besides the current one (0 for row-wise models).
- ``_raw(Zext)``: raw scores of the rows ``Zext[h:]`` where ``h = _history()``; the first ``h`` rows
  of ``Zext`` are context only.
- ``_state()`` / ``_set_state(arrays, meta)``: the learned arrays and JSON-able facts, for save/load.

Optionally ``_contrib(Zext)`` for per-variable contributions (default: squared standardised
deviation of the current row).

Everything else is shared: standardisation, causal padding of the first rows, EWMA smoothing of the
score (``smoothing``: span in rows), calibration of ``threshold_`` from held-out normal data and a
target false-alarm rate (times ``threshold_margin``), persistence (``alarm_k`` of the last
``alarm_n`` rows above the threshold), the online scorer and the artefact format.

The artefact is one ``.npz`` file (a zip of numpy arrays) holding the learned arrays and a JSON
metadata record; it is read with ``allow_pickle=False``, so loading never executes code from the file.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import inspect
import io
import json
import platform
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

FORMAT = "anquan-detector"
FORMAT_VERSION = 1
_META_KEY = "__meta__"
# Default bound of the standardised variables (``z_clip`` parameter of the built-in detectors).
# Measured (one value for everything): 10 gave the fewest false alerts on the lead-time benchmark
# but cost the ensemble 0.08 F1 on SKAB (300 training rows: real faults go far beyond 10 sigma);
# 50 keeps SKAB's F1 and still meets the false-alert target.
Z_CLIP = 50.0


class NotFittedError(ValueError):
    """The detector was used before ``fit`` (or ``predict`` before ``calibrate``)."""


class ArtefactError(ValueError):
    """A file is not a detector artefact this version can read."""


def as_matrix(X: Any, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float64 2-D array (one row per sample)."""
    A = np.asarray(X, dtype=np.float64)
    if A.ndim == 1:
        A = A.reshape(1, -1) if n_features is not None and A.shape[0] == n_features else A.reshape(-1, 1)
    if A.ndim != 2:
        raise ValueError(f"expected a 2-D array (samples × variables), got {A.ndim} dimensions")
    if n_features is not None and A.shape[1] != n_features:
        raise ValueError(f"expected {n_features} variables, got {A.shape[1]}")
    if not np.isfinite(A).all():
        raise ValueError("X holds NaN or infinite values")
    return A


def ewma(x: np.ndarray, span: int, last: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Causal exponentially weighted mean along axis 0 (span in rows; ``span <= 1``: unchanged).

    ``last`` is the previous smoothed row (None: start from the first row itself). Returns the
    smoothed array and its last row, so that splitting a sequence gives the same numbers."""
    if span <= 1 or len(x) == 0:
        return x, last
    from scipy.signal import lfilter

    alpha = 2.0 / (span + 1.0)
    prev = x[0] if last is None else last
    zi = np.asarray((1.0 - alpha) * prev, dtype=np.float64).reshape(1, *x.shape[1:])
    y, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], x, axis=0, zi=zi)
    return y, y[-1].copy()


def persist(exceed: np.ndarray, k: int, n: int, past: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Alarm where at least ``k`` of the last ``n`` rows exceed (rows before the start count as not
    exceeding). ``past`` holds the previous ``n - 1`` flags. Returns alarms and the new ``past``."""
    e = exceed.astype(np.int64)
    if n <= 1:
        return e, np.zeros(0, dtype=np.int64)
    prev = np.zeros(n - 1, dtype=np.int64) if past is None else past
    full = np.concatenate([prev, e])
    c = np.concatenate([[0], np.cumsum(full)])
    counts = c[n:] - c[:-n]
    return (counts >= k).astype(np.int64), full[len(full) - (n - 1) :].copy()


def alert_starts(alarms: np.ndarray, before: int = 0) -> np.ndarray:
    """Indices where an alert (a run of consecutive alarm rows) starts; ``before``: the alarm flag
    of the row before the first (1: an alert already running is not a new start)."""
    a = np.asarray(alarms, dtype=np.int64)
    return np.flatnonzero(a & (np.concatenate([[before], a[:-1]]) == 0))


def alert_rate_threshold(scores: np.ndarray, start: int, allowed: float, k: int, n: int) -> float:
    """The lowest threshold ``t`` such that the alarms ``persist(scores > t', k, n)`` start at most
    ``allowed`` alerts in ``scores[start:]`` for ``t' = t`` and every higher ``t'`` (rows before
    ``start`` are context: their flags count in the persistence windows, their starts do not).

    The candidates are the held-out scores themselves, tried from the highest down. An alert
    starts on a row whose own score is above the threshold, so a threshold with at most
    ``allowed`` held-out rows above it needs no check."""
    s = np.asarray(scores, dtype=np.float64)
    n = max(n, 1)
    first = max(start - n, 0)  # older context rows reach no held-out row's window (nor the one before)
    s, start = s[first:], start - first
    held = np.sort(s[start:])
    cand = np.unique(held)[::-1]  # descending
    best = float(cand[0])  # nothing held out is above the highest held-out score
    above = len(held) - np.searchsorted(held, cand, side="right")  # held-out rows above each candidate
    i = int(np.searchsorted(above, allowed, side="right"))  # candidates with above <= allowed
    if i:
        best = float(cand[i - 1])
    m = len(s)
    chunk = 64
    while i < len(cand):
        T = cand[i : i + chunk]
        e = (s[None, :] > T[:, None]).astype(np.int32)
        c = np.concatenate(
            [np.zeros((len(T), n), dtype=np.int32), np.cumsum(e, axis=1, dtype=np.int32)], axis=1
        )
        alarm = (c[:, n:] - c[:, :m]) >= k
        prev = np.concatenate([np.zeros((len(T), 1), dtype=bool), alarm[:, :-1]], axis=1)
        starts = (alarm & ~prev)[:, start:].sum(axis=1)
        bad = np.flatnonzero(starts > allowed)
        if bad.size:
            j = int(bad[0])
            return float(T[j - 1]) if j else best
        best = float(T[-1])
        i += len(T)
        chunk = min(chunk * 2, max(1, 4_000_000 // m))
    return best


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        import sklearn

        out["scikit-learn"] = sklearn.__version__
    except ImportError:  # pragma: no cover - scikit-learn is a runtime dependency
        pass
    return out


class Detector:
    """Base class; see the module docstring for what a subclass implements."""

    name: ClassVar[str] = ""

    # -- parameters ------------------------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        known = set(self._param_names())
        for key, value in params.items():
            if key not in known:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}")
            setattr(self, key, value)
        return self

    def clone(self) -> Self:
        """An unfitted copy with the same parameters."""
        return type(self)(**copy.deepcopy(self.get_params()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- hooks -------------------------------------------------------------------------------------

    def _fit(self, Z: np.ndarray) -> None:
        raise NotImplementedError

    def _history(self) -> int:
        return 0

    def _raw(self, Zext: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _contrib(self, Zext: np.ndarray) -> np.ndarray:
        return Zext[self._history() :] ** 2

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        pass

    # -- common parameters, read with defaults so a subclass may leave some out ------------------

    def _smoothing(self) -> int:
        return int(getattr(self, "smoothing", 1) or 1)

    def _persistence(self) -> tuple[int, int]:
        n = max(int(getattr(self, "alarm_n", 1) or 1), 1)
        k = min(max(int(getattr(self, "alarm_k", 1) or 1), 1), n)
        return k, n

    # -- fitting and scoring ---------------------------------------------------------------------

    def fit(self, X: Any, feature_names: Sequence[str] | None = None) -> Self:
        """Learn from normal operation; rows in time order. Returns ``self``.

        The learned attributes are only kept when training succeeds: if ``_fit`` raises, the
        detector is left unfitted (``NotFittedError`` on use), not half-trained."""
        A = as_matrix(X)
        if len(A) < 2:
            raise ValueError("fit needs at least 2 rows")
        names = [f"x{i}" for i in range(A.shape[1])] if feature_names is None else list(feature_names)
        if len(names) != A.shape[1]:
            raise ValueError(f"{len(names)} feature names for {A.shape[1]} variables")
        center = A.mean(axis=0)
        scale = A.std(axis=0)
        floor = 1e-6 * np.maximum(np.abs(center), 1.0)
        self._forget()
        # _fit works on standardised rows, so the scaling must be in place while it runs
        self.center_ = center
        self.scale_ = np.where(scale > floor, scale, 1.0)
        try:
            self._fit(self._standardise(A))
        except BaseException:
            self._forget()
            raise
        self.feature_names_ = [str(n) for n in names]
        self.n_features_in_ = A.shape[1]
        self.n_train_ = len(A)
        self.train_sha256_ = hashlib.sha256(np.ascontiguousarray(A).tobytes()).hexdigest()
        self.threshold_: float | None = None
        return self

    def _forget(self) -> None:
        """Drop everything but the parameters (learned and cached attributes alike)."""
        params = set(self._param_names())
        for key in [k for k in vars(self) if k not in params]:
            delattr(self, key)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    def _standardise(self, A: np.ndarray) -> np.ndarray:
        """``(A - center_) / scale_``, clipped to ``±z_clip`` when the detector has that parameter
        (None or 0: not clipped), so that one variable leaving its training range (a mode the
        training rows never showed, e.g. a flow that was always near zero) counts as a large
        deviation, not as one that outweighs every other variable by orders of magnitude."""
        Z = (A - self.center_) / self.scale_
        clip = getattr(self, "z_clip", None)
        if clip:
            np.clip(Z, -float(clip), float(clip), out=Z)
        return Z

    def _extended(self, Z: np.ndarray) -> np.ndarray:
        """``Z`` with its first row repeated ``_history()`` times in front (causal padding)."""
        h = self._history()
        return np.concatenate([np.repeat(Z[:1], h, axis=0), Z]) if h and len(Z) else Z

    def decision_function(self, X: Any) -> np.ndarray:
        """One score per row, higher = more anomalous; row i uses only rows <= i."""
        self._check_fitted()
        Z = self._standardise(as_matrix(X, self.n_features_in_))
        if len(Z) == 0:
            return np.zeros(0)
        scores, _ = ewma(self._raw(self._extended(Z)), self._smoothing(), None)
        return np.asarray(scores, dtype=np.float64)

    def explain(self, X: Any) -> np.ndarray:
        """Non-negative per-variable contributions, shape (n_samples, n_features), smoothed like
        the score."""
        self._check_fitted()
        Z = self._standardise(as_matrix(X, self.n_features_in_))
        if len(Z) == 0:
            return np.zeros((0, self.n_features_in_))
        c, _ = ewma(np.maximum(self._contrib(self._extended(Z)), 0.0), self._smoothing(), None)
        return np.asarray(c, dtype=np.float64)

    def calibrate(
        self,
        X_normal_holdout: Any,
        false_alarm_rate: float = 0.01,
        context: Any = None,
        alerts_per_row: float | None = None,
    ) -> Self:
        """Set ``threshold_`` from held-out normal data (no labels), times ``threshold_margin``.

        Without ``alerts_per_row``: the (1 - false_alarm_rate) quantile of the held-out rows' scores
        (a budget of alarm *rows*).

        With ``alerts_per_row`` (e.g. ``interval_s / 86400`` for "at most one alert a day"): a budget
        of alert *starts*. The threshold is the lowest at which the held-out rows, smoothed and
        held (``alarm_k`` of ``alarm_n``) exactly as ``predict`` does, start at most
        ``alerts_per_row × len(X_normal_holdout)`` alerts (an alert is a run of consecutive alarm
        rows), and so does every higher threshold; ``false_alarm_rate`` is then not used.

        ``context``: rows that came just before the held-out ones (e.g. the end of the training
        rows). They are scored first, so the held-out rows are scored as they would be online, past
        the start-up of the windows and the smoothing; only the held-out rows count."""
        if not 0.0 < false_alarm_rate < 1.0:
            raise ValueError("false_alarm_rate must be between 0 and 1")
        if alerts_per_row is not None and not 0.0 <= alerts_per_row < 1.0:
            raise ValueError("alerts_per_row must be at least 0 and below 1")
        holdout = as_matrix(X_normal_holdout, getattr(self, "n_features_in_", None))
        if len(holdout) == 0:
            raise ValueError("calibrate needs at least one held-out row")
        n_ctx = 0
        if context is not None and len(context):
            ctx = as_matrix(context, getattr(self, "n_features_in_", None))
            n_ctx = len(ctx)
            all_scores = self.decision_function(np.concatenate([ctx, holdout]))
        else:
            all_scores = self.decision_function(holdout)
        margin = float(getattr(self, "threshold_margin", 1.0) or 1.0)
        if alerts_per_row is None:
            base = float(np.quantile(all_scores[n_ctx:], 1.0 - false_alarm_rate))
        else:
            k, n = self._persistence()
            base = alert_rate_threshold(all_scores, n_ctx, alerts_per_row * len(holdout), k, n)
        self.threshold_ = base * margin
        self.false_alarm_rate_ = float(false_alarm_rate)
        self.alerts_per_row_ = None if alerts_per_row is None else float(alerts_per_row)
        return self

    def _check_calibrated(self) -> float:
        self._check_fitted()
        if self.threshold_ is None:
            raise NotFittedError(f"{type(self).__name__} has no threshold: call calibrate() first")
        return self.threshold_

    def predict(self, X: Any) -> np.ndarray:
        """0/1 per row: the score above ``threshold_`` in ``alarm_k`` of the last ``alarm_n`` rows."""
        threshold = self._check_calibrated()
        k, n = self._persistence()
        alarms, _ = persist(self.decision_function(X) > threshold, k, n, None)
        return alarms

    def scorer(self, explain: bool = False) -> OnlineScorer:
        """A streaming scorer that keeps the window and smoothing state between calls."""
        self._check_fitted()
        return OnlineScorer(self, explain=explain)

    # -- artefact ----------------------------------------------------------------------------------

    def _all_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = self._state()
        arrays = {"center_": self.center_, "scale_": self.scale_, **arrays}
        return arrays, meta

    def metadata(self) -> dict[str, Any]:
        self._check_fitted()
        _, state_meta = self._all_state()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "detector": self.name,
            "class": f"{type(self).__module__}.{type(self).__qualname__}",
            "params": self.get_params(),
            "feature_names": self.feature_names_,
            "threshold": self.threshold_,
            "false_alarm_rate": getattr(self, "false_alarm_rate_", None),
            "alerts_per_row": getattr(self, "alerts_per_row_", None),
            "n_train": self.n_train_,
            "train_sha256": self.train_sha256_,
            "versions": _versions(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "state": state_meta,
        }

    def save(self, path: str | Path) -> None:
        """Write the artefact (one .npz file: learned arrays + JSON metadata)."""
        meta = self.metadata()
        arrays, _ = self._all_state()
        blob = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        buf = io.BytesIO()
        contents: dict[str, Any] = {_META_KEY: blob, **{f"a/{k}": np.asarray(v) for k, v in arrays.items()}}
        np.savez(buf, **contents)
        Path(path).write_bytes(buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Detector:
        """Read an artefact written by ``save`` (raises ``ArtefactError`` for anything else)."""
        try:
            with np.load(Path(path), allow_pickle=False) as f:
                if _META_KEY not in f.files:
                    raise ArtefactError(f"{path} is not a detector artefact")
                meta = json.loads(bytes(f[_META_KEY]).decode("utf-8"))
                arrays = {k[2:]: f[k] for k in f.files if k.startswith("a/")}
        except (OSError, ValueError, zipfile.BadZipFile, UnicodeDecodeError, EOFError) as e:
            if isinstance(e, ArtefactError):
                raise
            if isinstance(e, FileNotFoundError):
                raise ArtefactError(f"{path}: no such file") from e
            raise ArtefactError(f"{path} is not a detector artefact") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ArtefactError(f"{path} is not a detector artefact")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ArtefactError(f"{path}: artefact format {meta.get('format_version')} is not supported")
        from anquan.detectors.registry import DETECTORS

        klass = DETECTORS.get(meta.get("detector", ""))
        if klass is None:
            raise ArtefactError(f"{path}: detector {meta.get('detector')!r} is not installed")
        if not issubclass(klass, cls):
            raise ArtefactError(f"{path} holds a {klass.__name__}, not a {cls.__name__}")
        return klass._from_state(meta, arrays)

    @classmethod
    def _from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Detector:
        try:
            det = cls(**meta["params"])
            det.feature_names_ = list(meta["feature_names"])
            det.n_features_in_ = len(det.feature_names_)
            det.n_train_ = int(meta["n_train"])
            det.train_sha256_ = str(meta["train_sha256"])
            det.center_ = np.asarray(arrays["center_"], dtype=np.float64)
            det.scale_ = np.asarray(arrays["scale_"], dtype=np.float64)
            det.threshold_ = None if meta["threshold"] is None else float(meta["threshold"])
            if meta.get("false_alarm_rate") is not None:
                det.false_alarm_rate_ = float(meta["false_alarm_rate"])
            if meta.get("alerts_per_row") is not None:
                det.alerts_per_row_ = float(meta["alerts_per_row"])
            det._set_state(arrays, meta.get("state") or {})
        except (KeyError, TypeError, ValueError) as e:
            raise ArtefactError(f"damaged detector artefact ({e})") from e
        return det


class OnlineScorer:
    """Scores rows as they arrive, with the same numbers as ``decision_function`` over the
    concatenation of every block passed to ``update``.

    After each ``update``: ``last_alarms`` (0/1 per row, when the detector is calibrated) and, if
    made with ``explain=True``, ``last_contributions`` (n_rows × n_features)."""

    def __init__(self, detector: Detector, explain: bool = False) -> None:
        self.detector = detector
        self.explain = explain
        self._h = detector._history()
        self._span = detector._smoothing()
        self._k, self._n = detector._persistence()
        self._tail: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._last_c: np.ndarray | None = None
        self._past: np.ndarray | None = None
        self.n_seen = 0
        self.last_alarms: np.ndarray | None = None
        self.last_contributions: np.ndarray | None = None

    def update(self, x: Any) -> np.ndarray:
        det = self.detector
        Z = det._standardise(as_matrix(x, det.n_features_in_))
        if len(Z) == 0:
            return np.zeros(0)
        if self._h:
            ctx = np.repeat(Z[:1], self._h, axis=0) if self._tail is None else self._tail
            Zext = np.concatenate([ctx, Z])
            self._tail = Zext[len(Zext) - self._h :].copy()
        else:
            Zext = Z
        scores, self._last = ewma(det._raw(Zext), self._span, self._last)
        scores = np.asarray(scores, dtype=np.float64)
        if self.explain:
            c, self._last_c = ewma(np.maximum(det._contrib(Zext), 0.0), self._span, self._last_c)
            self.last_contributions = c
        if det.threshold_ is not None:
            self.last_alarms, self._past = persist(scores > det.threshold_, self._k, self._n, self._past)
        self.n_seen += len(Z)
        return scores
