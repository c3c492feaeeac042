"""Anomaly detectors and forecasters for AI early warning: plain numpy / scikit-learn (/ PyTorch for
the optional LSTM), no Django and no other part of Anquan (an import-linter contract keeps it so).

    det = registry.create("ensemble").fit(X_normal, feature_names=names)
    det.calibrate(X_holdout, false_alarm_rate=0.01)
    det.decision_function(X)      # higher = more anomalous, causal
    det.predict(X)                # 0/1 with persistence
    det.explain(X)                # per-variable contributions
    s = det.scorer(); s.update(block)   # online, same numbers
    det.save(path); Detector.load(path)

    time_to_limit(t, values, limit=H)   # when a tag will cross its H/HH limit, or None
"""

from anquan.detectors.base import ArtefactError, Detector, NotFittedError, OnlineScorer
from anquan.detectors.forecast import TimeToLimit, time_to_limit
from anquan.detectors.registry import DEFAULT, DETECTORS, create, get, register

__all__ = [
    "DEFAULT",
    "DETECTORS",
    "ArtefactError",
    "Detector",
    "NotFittedError",
    "OnlineScorer",
    "TimeToLimit",
    "create",
    "get",
    "register",
    "time_to_limit",
]
