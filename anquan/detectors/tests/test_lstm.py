"""LSTM-specific tests (the conformance suite covers the shared contract).

Training needs the optional deep extra (PyTorch). Without it these tests skip, except in CI
(``CI=true``), where the extra is installed and a missing PyTorch must fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from anquan.detectors import Detector, registry
from anquan.detectors.lstm import INPUT, ONNX_OPSET, OUTPUT, LSTMDetector

torch: Any
try:
    import torch
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI installs requirements-deep.txt: the LSTM tests must run there
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="training the LSTM needs PyTorch: pip install -r requirements-deep.txt"
)

ROOT = Path(__file__).resolve().parents[3]
NAMES = ["flow", "pressure", "current", "temperature"]
SMALL = {"window": 10, "hidden": 8, "epochs": 15}
QUICK = {"window": 10, "hidden": 8, "epochs": 4}

# A subprocess in which PyTorch cannot be imported at all (as on a machine without the deep extra).
NO_TORCH = textwrap.dedent(
    """
    import sys

    class NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("No module named 'torch' (blocked)")
            return None

    sys.meta_path.insert(0, NoTorch())
    """
)


def plant(n: int, seed: int) -> np.ndarray:
    """A pump loop: flow follows a slow set-point cycle, pressure and current follow flow."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    flow = 30 + 3 * np.sin(2 * np.pi * t / 40) + rng.normal(0, 0.2, n)
    pressure = 0.1 * flow + rng.normal(0, 0.03, n)
    current = 0.05 * flow + 0.5 + rng.normal(0, 0.02, n)
    temperature = 60 + 0.5 * np.sin(2 * np.pi * t / 97) + rng.normal(0, 0.05, n)
    return np.column_stack([flow, pressure, current, temperature])


@pytest.fixture(scope="module")
def fitted() -> LSTMDetector:
    if torch is None:
        pytest.skip("training the LSTM needs PyTorch: pip install -r requirements-deep.txt")
    det = LSTMDetector(**SMALL).fit(plant(240, 0), feature_names=NAMES)
    det.calibrate(plant(120, 1), false_alarm_rate=0.01)
    return det


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_registered_as_lstm() -> None:
    assert registry.get("lstm") is LSTMDetector
    assert LSTMDetector.name == "lstm"


def test_fit_without_torch_names_the_deep_extra() -> None:
    code = NO_TORCH + textwrap.dedent(
        """
        import numpy as np
        from anquan.detectors import registry
        try:
            registry.create("lstm").fit(np.random.default_rng(0).normal(size=(50, 3)))
        except ImportError as e:
            print("ImportError:", e)
        """
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "ImportError: training the LSTM detector needs PyTorch (the optional deep extra): "
        "pip install -r requirements-deep.txt"
    )


@needs_torch
def test_onnx_and_torch_agree(fitted: LSTMDetector) -> None:
    Z = fitted._extended(fitted._standardise(plant(300, 2)))
    windows = np.ascontiguousarray(fitted._windows(Z), dtype=np.float32)
    assert windows.shape == (300, 11, 4)
    with torch.no_grad():
        expected = fitted._net(torch.from_numpy(windows)).numpy()
    got = fitted._sq_errors(Z)
    assert got.shape == (300, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@needs_torch
def test_onnx_graph_takes_any_batch_of_windows(fitted: LSTMDetector) -> None:
    session = fitted._ort_session()
    assert [i.name for i in session.get_inputs()] == [INPUT]
    assert [o.name for o in session.get_outputs()] == [OUTPUT]
    for n in (1, 7, 9000):
        out = session.run([OUTPUT], {INPUT: np.zeros((n, 11, 4), dtype=np.float32)})[0]
        assert out.shape == (n, 4)
    import onnx

    model = onnx.load_from_string(fitted.onnx_model_)
    assert [op.version for op in model.opset_import if op.domain in ("", "ai.onnx")] == [ONNX_OPSET]


@needs_torch
def test_saved_model_scores_identically_in_a_process_without_torch(
    fitted: LSTMDetector, tmp_path: Path
) -> None:
    X = plant(400, 3)
    X[250:, 0] += 2.0  # a blocked line: flow drops out of step with pressure and current
    path = tmp_path / "lstm.npz"
    fitted.save(path)
    np.save(tmp_path / "X.npy", X)
    code = NO_TORCH + textwrap.dedent(
        f"""
        import numpy as np
        from anquan.detectors import Detector
        det = Detector.load({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "scores.npy")!r}, det.decision_function(X))
        np.save({str(tmp_path / "contrib.npy")!r}, det.explain(X))
        np.save({str(tmp_path / "alarms.npy")!r}, det.predict(X))
        s = det.scorer(explain=True)
        np.save({str(tmp_path / "online.npy")!r}, np.concatenate([s.update(X[i : i + 33]) for i in range(0, 400, 33)]))
        print(type(det).__name__, "torch" in sys.modules, sorted(m for m in sys.modules if m.startswith("torch")))
        """
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "LSTMDetector False []"
    scores = fitted.decision_function(X)
    np.testing.assert_array_equal(np.load(tmp_path / "scores.npy"), scores)
    np.testing.assert_array_equal(np.load(tmp_path / "online.npy"), scores)
    np.testing.assert_array_equal(np.load(tmp_path / "contrib.npy"), fitted.explain(X))
    np.testing.assert_array_equal(np.load(tmp_path / "alarms.npy"), fitted.predict(X))
    loaded = Detector.load(path)
    assert isinstance(loaded, LSTMDetector)
    assert loaded.onnx_model_ == fitted.onnx_model_
    assert loaded.get_params() == fitted.get_params()
    assert loaded.threshold_ == fitted.threshold_


@needs_torch
def test_same_seed_same_model_other_seed_other_model() -> None:
    X = plant(200, 4)
    a = LSTMDetector(**QUICK, seed=7).fit(X)
    b = LSTMDetector(**QUICK, seed=7).fit(X)
    c = LSTMDetector(**QUICK, seed=8).fit(X)
    Y = plant(100, 5)
    np.testing.assert_array_equal(a.decision_function(Y), b.decision_function(Y))
    assert a.train_loss_ == b.train_loss_
    assert not np.array_equal(a.decision_function(Y), c.decision_function(Y))


@needs_torch
def test_training_leaves_the_global_torch_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    LSTMDetector(**SMALL).fit(plant(100, 6))
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


@needs_torch
def test_contributions_add_up_to_the_score_and_name_the_faulty_variable(fitted: LSTMDetector) -> None:
    X = plant(300, 7)
    X[200:, 1] += 1.0  # pressure alone steps up, out of step with flow
    scores = fitted.decision_function(X)
    contrib = fitted.explain(X)
    assert contrib.shape == (300, 4)
    assert (contrib >= 0).all()
    np.testing.assert_allclose(contrib.sum(axis=1), scores, rtol=1e-12)
    assert scores[200:].mean() > 5 * scores[20:200].mean()
    assert np.bincount(contrib[200:].argmax(axis=1), minlength=4).argmax() == NAMES.index("pressure")
    assert fitted.predict(X)[200:].mean() > 0.9


@needs_torch
def test_each_score_uses_only_past_and_present_rows(fitted: LSTMDetector) -> None:
    X = plant(150, 8)
    full = fitted.decision_function(X)
    Y = X.copy()
    Y[100:] += 5.0
    changed = fitted.decision_function(Y)
    np.testing.assert_array_equal(changed[:100], full[:100])
    assert changed[100] != full[100]


@needs_torch
def test_online_scorer_across_batch_chunks(fitted: LSTMDetector) -> None:
    X = plant(9100, 9)  # more windows than one onnxruntime batch (8192)
    scores = fitted.decision_function(X)
    s = fitted.scorer()
    online = np.concatenate([s.update(X[:5000]), s.update(X[5000:5001]), s.update(X[5001:])])
    np.testing.assert_array_equal(online, scores)


@needs_torch
def test_fits_fewer_rows_than_the_window() -> None:
    det = LSTMDetector(**SMALL).fit(plant(6, 10))
    assert det.decision_function(plant(3, 11)).shape == (3,)


@needs_torch
def test_max_steps_bounds_training_on_long_histories() -> None:
    det = LSTMDetector(window=5, hidden=4, epochs=50, batch_size=16, max_steps=3)
    det.fit(plant(20000, 12))  # 50 epochs would be 62 500 steps; three take milliseconds
    assert np.isfinite(det.train_loss_)
