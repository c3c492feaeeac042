"""Isolation forest (scikit-learn trains it) with the score sign flipped once, here.

scikit-learn's ``score_samples`` is "higher = more normal"; this detector's score is its negative,
``2 ** (-E[path length] / c(max_samples))`` in (0, 1], higher = more anomalous. After training, the
trees are copied into plain arrays and scored in numpy: the artefact holds no pickle, and online
scoring of small blocks avoids scikit-learn's per-call overhead. A conformance test checks the
numbers against scikit-learn's own. Contributions are the squared standardised deviations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from anquan.detectors.base import Z_CLIP, Detector
from anquan.detectors.registry import register


def average_path_length(n: np.ndarray) -> np.ndarray:
    """Average path length of an unsuccessful search in a binary search tree of ``n`` items."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@register("iforest")
class IsolationForestDetector(Detector):
    """Isolation forest on the standardised variables."""

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        max_samples: int | str = "auto",
        random_state: int = 0,
        smoothing: int = 1,
        alarm_k: int = 1,
        alarm_n: int = 1,
        threshold_margin: float = 1.0,
        z_clip: float | None = Z_CLIP,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state
        self.smoothing = smoothing
        self.alarm_k = alarm_k
        self.alarm_n = alarm_n
        self.threshold_margin = threshold_margin
        self.z_clip = z_clip

    def _fit(self, Z: np.ndarray) -> None:
        from sklearn.ensemble import IsolationForest

        forest = IsolationForest(
            n_estimators=int(self.n_estimators),
            max_samples=self.max_samples,
            random_state=self.random_state,
            n_jobs=1,
        ).fit(Z)
        left, right, feature, threshold, leaf, offsets = [], [], [], [], [], []
        offset = 0
        for est, feats in zip(forest.estimators_, forest.estimators_features_, strict=True):
            t = est.tree_
            n_nodes = t.node_count
            is_leaf = t.children_left == -1
            idx = np.arange(n_nodes)
            depth = np.zeros(n_nodes)
            for node in range(n_nodes):  # children always come after their parent
                if not is_leaf[node]:
                    depth[t.children_left[node]] = depth[node] + 1
                    depth[t.children_right[node]] = depth[node] + 1
            left.append(np.where(is_leaf, idx, t.children_left) + offset)
            right.append(np.where(is_leaf, idx, t.children_right) + offset)
            feature.append(np.where(is_leaf, 0, np.asarray(feats)[np.maximum(t.feature, 0)]))
            threshold.append(np.where(is_leaf, np.inf, t.threshold))
            leaf.append(depth + average_path_length(t.n_node_samples))
            offsets.append(offset)
            offset += n_nodes
        self.left_ = np.concatenate(left).astype(np.int64)
        self.right_ = np.concatenate(right).astype(np.int64)
        self.feature_ = np.concatenate(feature).astype(np.int64)
        self.threshold_split_ = np.concatenate(threshold)
        self.leaf_depth_ = np.concatenate(leaf)
        self.roots_ = np.asarray(offsets, dtype=np.int64)
        self.max_samples_ = int(forest.max_samples_)
        self.max_depth_ = int(max(est.tree_.max_depth for est in forest.estimators_))

    def _raw(self, Zext: np.ndarray) -> np.ndarray:
        # scikit-learn's trees compare float32 inputs: round the same way
        Xt = np.ascontiguousarray(Zext.astype(np.float32).astype(np.float64).T)  # p × n
        n = Xt.shape[1]
        node = np.repeat(self.roots_[:, None], n, axis=1)  # trees × n
        cols = np.arange(n)[None, :]
        for _ in range(self.max_depth_):
            go_left = Xt[self.feature_[node], cols] <= self.threshold_split_[node]
            node = np.where(go_left, self.left_[node], self.right_[node])
        depth = self.leaf_depth_[node].sum(axis=0)
        denominator = len(self.roots_) * float(average_path_length(np.array([self.max_samples_]))[0])
        if denominator == 0:
            return np.ones(n)
        return np.asarray(2.0 ** (-depth / denominator), dtype=np.float64)

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {
            "left_": self.left_,
            "right_": self.right_,
            "feature_": self.feature_,
            "threshold_split_": self.threshold_split_,
            "leaf_depth_": self.leaf_depth_,
            "roots_": self.roots_,
        }
        return arrays, {"max_samples": self.max_samples_, "max_depth": self.max_depth_}

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        for key in ("left_", "right_", "feature_", "roots_"):
            setattr(self, key, np.asarray(arrays[key], dtype=np.int64))
        self.threshold_split_ = np.asarray(arrays["threshold_split_"], dtype=np.float64)
        self.leaf_depth_ = np.asarray(arrays["leaf_depth_"], dtype=np.float64)
        self.max_samples_ = int(meta["max_samples"])
        self.max_depth_ = int(meta["max_depth"])
