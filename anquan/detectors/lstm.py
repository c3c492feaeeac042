"""LSTM forecaster: the score of a row is how badly a small LSTM, trained on normal operation,
predicts that row from the ``window`` rows before it.

For every row ``t`` the network reads the standardised rows ``t - window … t - 1`` and forecasts row
``t``; the raw score is the squared forecast error summed over the variables, and a variable's
contribution (``explain``) is its own squared error, so the contributions add up to the score.
A forecaster rather than an autoencoder: in a trial on SKAB (pump, valves, tank) an LSTM autoencoder
of the same size reached the same F1 (0.78) but with a false-alarm rate of 42 % against the
forecaster's 25 %, and took twice as long to train; the forecaster trains in about a second on 400
rows × 8 variables.

Training needs PyTorch (the optional deep extra: ``pip install -r requirements-deep.txt``). ``fit``
exports the trained network to ONNX and keeps those bytes on the detector (and in the saved
artefact); scoring, explanations and the online scorer run the ONNX model through ``onnxruntime``
only, so a saved model scores on a machine without PyTorch. The ONNX graph takes a batch of windows
``(n, window + 1, n_features)`` (past rows, then the current row) and returns the per-variable
squared errors ``(n, n_features)``.

Training is deterministic for a given ``seed``: its own random generator, one thread, fixed
initialisation and batch order.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from anquan.detectors.base import Z_CLIP, Detector, as_matrix
from anquan.detectors.registry import register

DEEP_HINT = "pip install -r requirements-deep.txt"
ONNX_OPSET = 17
INPUT = "windows"
OUTPUT = "sq_error"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"training the LSTM detector needs PyTorch (the optional deep extra): {DEEP_HINT}"
        ) from e
    return torch


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as e:  # pragma: no cover - onnxruntime is a runtime dependency
        raise ImportError(
            "scoring with the LSTM detector needs onnxruntime: pip install -r requirements.txt"
        ) from e
    return onnxruntime


def _build_network(torch: Any, n_features: int, hidden: int) -> Any:
    """The forecaster as a torch module: windows (n, w + 1, f) -> squared errors (n, f)."""

    class Forecaster(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(n_features, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, n_features)

        def forward(self, windows: Any) -> Any:
            out, _ = self.lstm(windows[:, :-1, :])
            forecast = self.head(out[:, -1, :])
            return (forecast - windows[:, -1, :]) ** 2

    return Forecaster()


@register("lstm")
class LSTMDetector(Detector):
    """LSTM one-step forecaster over sliding windows of ``window`` past rows (hidden size ``hidden``).

    ``epochs`` passes over the training windows in batches of ``batch_size`` (at most ``max_steps``
    optimiser steps in all, so long histories still train in seconds); Adam with ``learning_rate``.
    ``threads``: onnxruntime threads used for scoring. ``smoothing``, ``alarm_k``/``alarm_n`` and
    ``threshold_margin`` as in :class:`~anquan.detectors.base.Detector`; standardised inputs are
    clipped to ``±z_clip`` like the other detectors' (a dead sensor's wild value cannot blow up
    the forecaster's state).
    """

    _session: Any = None
    _cache: tuple[np.ndarray, np.ndarray] | None = None

    def __init__(
        self,
        *,
        window: int = 30,
        hidden: int = 16,
        epochs: int = 30,
        batch_size: int = 32,
        learning_rate: float = 0.01,
        max_steps: int = 3000,
        seed: int = 0,
        threads: int = 1,
        smoothing: int = 1,
        alarm_k: int = 1,
        alarm_n: int = 1,
        threshold_margin: float = 1.0,
        z_clip: float | None = Z_CLIP,
    ) -> None:
        self.window = window
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_steps = max_steps
        self.seed = seed
        self.threads = threads
        self.smoothing = smoothing
        self.alarm_k = alarm_k
        self.alarm_n = alarm_n
        self.threshold_margin = threshold_margin
        self.z_clip = z_clip

    # -- windows -------------------------------------------------------------------------------

    def _w(self) -> int:
        return max(int(self.window), 1)

    def _history(self) -> int:
        return self._w()

    def _windows(self, Zext: np.ndarray) -> np.ndarray:
        """Read-only view (n, window + 1, f) of the windows ending at each scored row."""
        return sliding_window_view(Zext, self._w() + 1, axis=0).transpose(0, 2, 1)

    # -- training (PyTorch) --------------------------------------------------------------------

    def _fit(self, Z: np.ndarray) -> None:
        torch = _import_torch()
        if int(self.hidden) < 1 or int(self.epochs) < 1 or int(self.batch_size) < 1:
            raise ValueError("hidden, epochs and batch_size must be at least 1")
        data = torch.from_numpy(np.ascontiguousarray(self._windows(self._extended(Z)), dtype=np.float32))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(self.seed))
                net = _build_network(torch, Z.shape[1], int(self.hidden))
                losses = self._train(torch, net, data)
            self.onnx_model_ = self._export(torch, net, data[:2])
        finally:
            torch.set_num_threads(threads)
        self.train_loss_ = float(losses[-1]) if losses else float("nan")
        self.torch_version_ = str(torch.__version__).split("+")[0]
        self._net = net  # kept for tests comparing torch and ONNX; never saved
        self._session = None

    def _train(self, torch: Any, net: Any, data: Any) -> list[float]:
        gen = torch.Generator().manual_seed(int(self.seed))
        opt = torch.optim.Adam(net.parameters(), lr=float(self.learning_rate))
        n, bs = len(data), int(self.batch_size)
        steps = min(int(self.epochs) * math.ceil(n / bs), max(int(self.max_steps), 1))
        net.train()
        losses: list[float] = []
        done = 0
        while done < steps:
            order = torch.randperm(n, generator=gen)
            epoch_loss = 0.0
            for start in range(0, n, bs):
                if done >= steps:
                    break
                batch = data[order[start : start + bs]]
                loss = net(batch).mean()
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                epoch_loss += float(loss.detach()) * len(batch)
                done += 1
            losses.append(epoch_loss / n)
        net.eval()
        return losses

    def _export(self, torch: Any, net: Any, example: Any) -> bytes:
        buf = io.BytesIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(
                    net,
                    (example,),
                    buf,
                    dynamo=False,
                    input_names=[INPUT],
                    output_names=[OUTPUT],
                    dynamic_axes={INPUT: {0: "n"}, OUTPUT: {0: "n"}},
                    opset_version=ONNX_OPSET,
                )
            except Exception as e:
                if "onnx" in str(e).lower() and "not installed" in str(e).lower():
                    raise ImportError(f"exporting the LSTM detector needs onnx: {DEEP_HINT}") from e
                raise
        return buf.getvalue()

    # -- scoring (onnxruntime) -------------------------------------------------------------------

    def _ort_session(self) -> Any:
        session = self._session
        if session is None:
            ort = _import_onnxruntime()
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(int(self.threads), 1)
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(self.onnx_model_, options, providers=["CPUExecutionProvider"])
            self._session = session
        return session

    def _sq_errors(self, Zext: np.ndarray) -> np.ndarray:
        """Per-variable squared forecast errors of the rows ``Zext[window:]`` (float64)."""
        cached = self._cache
        if cached is not None and cached[0] is Zext:
            return cached[1]
        session = self._ort_session()
        win = self._windows(Zext)
        out = np.empty((len(win), Zext.shape[1]), dtype=np.float64)
        chunk = 8192
        for start in range(0, len(win), chunk):
            batch = np.ascontiguousarray(win[start : start + chunk], dtype=np.float32)
            out[start : start + len(batch)] = session.run([OUTPUT], {INPUT: batch})[0]
        self._cache = (Zext, out)
        return out

    def onnx_session(self) -> Any:
        """The onnxruntime session that scores batches of windows (input ``windows``: float32
        ``(n, window + 1, n_features)``, output ``sq_error``: ``(n, n_features)``)."""
        self._check_fitted()
        return self._ort_session()

    def onnx_windows(self, X: Any) -> np.ndarray:
        """The session's input for the rows of ``X``: one standardised window per row, the first rows
        padded as in ``decision_function``."""
        self._check_fitted()
        Z = self._standardise(as_matrix(X, self.n_features_in_))
        return np.ascontiguousarray(self._windows(self._extended(Z)), dtype=np.float32)

    def _raw(self, Zext: np.ndarray) -> np.ndarray:
        return self._sq_errors(Zext).sum(axis=1)

    def _contrib(self, Zext: np.ndarray) -> np.ndarray:
        errors = self._sq_errors(Zext)
        self._cache = None  # explain is the last use of one block's errors
        return errors

    # -- artefact ----------------------------------------------------------------------------------

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {"onnx_model": np.frombuffer(self.onnx_model_, dtype=np.uint8)}
        meta = {"onnx_opset": ONNX_OPSET, "torch": self.torch_version_, "train_loss": self.train_loss_}
        return arrays, meta

    def _set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.onnx_model_ = np.asarray(arrays["onnx_model"], dtype=np.uint8).tobytes()
        self.torch_version_ = str(meta["torch"])
        self.train_loss_ = float(meta["train_loss"])
        self._session = None
