from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from anquan.detectors import create
from anquan.detectors.pca import PCADetector


def plane(n: int, seed: int) -> np.ndarray:
    """Three variables on the plane z = x + y, plus a little noise."""
    rng = np.random.default_rng(seed)
    xy = rng.normal(size=(n, 2))
    return np.column_stack([xy, xy.sum(axis=1)]) + 0.01 * rng.normal(size=(n, 3))


def test_t2_sees_far_along_the_plane_and_spe_sees_off_the_plane() -> None:
    X = plane(400, 0)
    t2 = PCADetector(statistic="t2").fit(X)
    spe = PCADetector(statistic="spe").fit(X)
    assert t2.n_components_ == 2
    far_on_plane = np.array([[4.0, 4.0, 8.0]])
    off_plane = np.array([[0.0, 0.0, 0.5]])
    assert t2.decision_function(far_on_plane)[0] > 10 * t2.decision_function(off_plane)[0]
    assert spe.decision_function(off_plane)[0] > 100 * spe.decision_function(far_on_plane)[0]


def test_contributions_add_up_to_the_score() -> None:
    X = plane(400, 1)
    det = PCADetector().fit(X)
    probe = np.array([[0.0, 0.0, 0.5], [3.0, -1.0, 2.0]])
    np.testing.assert_allclose(det.explain(probe).sum(axis=1), det.decision_function(probe), rtol=1e-10)
    lagged = create("dpca", lags=3).fit(X)
    np.testing.assert_allclose(
        lagged.explain(X[:50]).sum(axis=1), lagged.decision_function(X[:50]), rtol=1e-10
    )


def test_components_keep_the_variance_fraction() -> None:
    X = plane(500, 2)  # standardised: eigenvalues about 2, 1 and 0 of 3
    assert PCADetector(n_components=0.5).fit(X).n_components_ == 1
    assert PCADetector(n_components=0.9).fit(X).n_components_ == 2
    assert PCADetector(n_components=3).fit(X).n_components_ == 2  # one residual direction is kept
    assert PCADetector(n_components=1).fit(X).n_components_ == 1


def test_dynamic_pca_sees_changed_dynamics_that_static_pca_cannot() -> None:
    """Two variables where y follows x one row later; in the fault y stops following (same spread)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=1200)
    y = np.concatenate([[0.0], x[:-1]]) + 0.05 * rng.normal(size=1200)
    X = np.column_stack([x, y])
    faulty = X[800:].copy()
    faulty[:, 1] = rng.permutation(faulty[:, 1])
    static = create("pca").fit(X[:800])
    dynamic = create("dpca", lags=1).fit(X[:800])
    ratio_static = static.decision_function(faulty).mean() / static.decision_function(X[:800]).mean()
    ratio_dynamic = dynamic.decision_function(faulty).mean() / dynamic.decision_function(X[:800]).mean()
    assert ratio_static < 1.5
    assert ratio_dynamic > 10


def test_smoothing_and_persistence() -> None:
    X = plane(400, 4)
    spike = np.concatenate([plane(50, 5), [[0.0, 0.0, 3.0]], plane(50, 6)])
    raw = PCADetector().fit(X).calibrate(plane(200, 7))
    smooth = PCADetector(smoothing=20).fit(X).calibrate(plane(200, 7))
    held = PCADetector(alarm_k=3, alarm_n=5).fit(X).calibrate(plane(200, 7))
    assert raw.predict(spike)[50] == 1  # one wild row alarms the raw detector
    assert held.predict(spike)[50:55].sum() == 0  # but not one that needs 3 of 5
    assert smooth.decision_function(spike)[50] < raw.decision_function(spike)[50] / 5


def test_isolation_forest_matches_scikit_learn_with_the_sign_flipped() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 4))
    det = create("iforest", random_state=3).fit(X)
    Z = (X - det.center_) / det.scale_
    forest = IsolationForest(n_estimators=100, random_state=3, n_jobs=1).fit(Z)
    probe = np.vstack([X[:50], rng.normal(scale=4.0, size=(50, 4))])
    Zp = (probe - det.center_) / det.scale_
    np.testing.assert_allclose(det.decision_function(probe), -forest.score_samples(Zp), rtol=1e-12)
