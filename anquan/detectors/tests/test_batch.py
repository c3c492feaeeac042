"""The batch logic behind ``anquan detect``: reading files, training, scoring, and every bad input."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from anquan.detectors import Detector
from anquan.detectors.batch import BatchInputError, read_csv, score, top_contributors, train
from anquan.detectors.tests.data import NAMES, normal, with_fault


def write(path: Path, header: list[str], rows: list[list[object]], sep: str = ",") -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


def plant_csv(path: Path, X: np.ndarray, sep: str = ",", time_name: str = "Timestamp") -> Path:
    rows = [
        [f"2026-01-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}", *x, "ok"] for i, x in enumerate(X)
    ]
    return write(path, [time_name, *NAMES, "status"], rows, sep)


@pytest.fixture
def model(tmp_path: Path) -> Path:
    plant_csv(tmp_path / "normal.csv", normal(500))
    train(tmp_path / "normal.csv", tmp_path / "model.npz", detector="pca")
    return tmp_path / "model.npz"


def test_read_detects_separator_time_column_and_variables(tmp_path: Path) -> None:
    path = plant_csv(tmp_path / "a.csv", normal(30), sep=";", time_name="DateTime")
    t = read_csv(path)
    assert t.delimiter == ";" and t.time_column == "DateTime"
    assert t.names == NAMES  # "status" is text: not a variable
    assert t.X.shape == (30, 6)
    t = read_csv(path, exclude=["Flow", "Level"])
    assert t.names == ["Pressure", "Temperature", "Current", "Vibration"]
    given = write(tmp_path / "b.csv", ["seconds", "x", "y"], [[i, i * 2.0, 1.0] for i in range(5)])
    t = read_csv(given, time_column="seconds")
    assert t.delimiter == "," and t.time_column == "seconds" and t.names == ["x", "y"]
    assert read_csv(given).time_column is None


def test_train_then_score_writes_one_row_per_input_row(tmp_path: Path, model: Path) -> None:
    det = Detector.load(model)
    assert det.feature_names_ == NAMES and det.threshold_ is not None
    assert det.n_train_ == 400  # 100 rows held out for the threshold
    X = with_fault(normal(300, seed=3), start=100)
    plant_csv(tmp_path / "data.csv", X)
    summary = score(model, tmp_path / "data.csv", tmp_path / "out.csv")
    with (tmp_path / "out.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Timestamp", "score", "threshold", "alarm", "top_contributors"]
    assert len(rows) == 301 and summary.rows == 300
    assert rows[1][0] == "2026-01-01 00:00:00" and rows[300][0] == "2026-01-01 00:04:59"
    scores = np.array([float(r[1]) for r in rows[1:]])
    np.testing.assert_allclose(scores, det.decision_function(X), rtol=1e-5)
    assert {r[2] for r in rows[1:]} == {f"{det.threshold_:.6g}"}
    alarms = np.array([int(r[3]) for r in rows[1:]])
    np.testing.assert_array_equal(alarms, det.predict(X))
    assert alarms[200:].mean() > 0.9 and summary.alarms == alarms.sum()
    pattern = re.compile(r"^([A-Za-z]+:\d\.\d\d)(;[A-Za-z]+:\d\.\d\d){0,2}$")
    for r in rows[1:]:
        assert pattern.match(r[4]), r[4]
        assert sum(float(p.split(":")[1]) for p in r[4].split(";")) <= 1.0
    assert all(r[4].startswith("Flow:") for r in rows[201:])


def test_scoring_is_causal(tmp_path: Path, model: Path) -> None:
    X = with_fault(normal(200, seed=4), start=100)
    plant_csv(tmp_path / "all.csv", X)
    plant_csv(tmp_path / "head.csv", X[:120])
    score(model, tmp_path / "all.csv", tmp_path / "all.out")
    score(model, tmp_path / "head.csv", tmp_path / "head.out")
    full = (tmp_path / "all.out").read_text().splitlines()
    head = (tmp_path / "head.out").read_text().splitlines()
    assert head == full[:121]


def test_no_time_column_and_missing_cells(tmp_path: Path, model: Path) -> None:
    X = normal(20, seed=5)
    rows: list[list[object]] = [list(x) for x in X]
    rows[3][2] = ""  # an empty cell takes the last value seen
    write(tmp_path / "d.csv", NAMES, rows)
    score(model, tmp_path / "d.csv", tmp_path / "o.csv")
    out = list(csv.reader((tmp_path / "o.csv").open()))
    assert out[0] == ["score", "threshold", "alarm", "top_contributors"] and len(out) == 21


def test_top_contributors_format() -> None:
    assert top_contributors(np.array([0.41, 0.22, 0.2, 0.17]), ["P", "T", "F", "L"]) == "P:0.41;T:0.22;F:0.20"
    assert top_contributors(np.array([1.0, 1.0, 1.0]), ["a", "b", "c"]) == "a:0.33;b:0.33;c:0.33"
    assert top_contributors(np.array([1.0, 0.0001]), ["a", "b"]) == "a:0.99"
    assert top_contributors(np.zeros(2), ["a", "b"]) == ""


# -- bad input --------------------------------------------------------------------------------------


def test_variables_missing_at_score_time_are_named(tmp_path: Path, model: Path) -> None:
    X = normal(10)
    write(tmp_path / "d.csv", ["time", *NAMES[:4]], [[i, *x[:4]] for i, x in enumerate(X)])
    with pytest.raises(BatchInputError, match=r"trained on: Current, Vibration$"):
        score(model, tmp_path / "d.csv", tmp_path / "o.csv")


def test_a_variable_that_turned_to_text(tmp_path: Path, model: Path) -> None:
    rows: list[list[object]] = [[i, *x] for i, x in enumerate(normal(5))]
    rows[2][3] = "n/a"
    write(tmp_path / "d.csv", ["time", *NAMES], rows)
    with pytest.raises(BatchInputError, match=r"row 3 \(line 4\): variable 'Flow' holds 'n/a', not a number"):
        score(model, tmp_path / "d.csv", tmp_path / "o.csv")


def test_no_numeric_columns(tmp_path: Path) -> None:
    write(tmp_path / "t.csv", ["time", "name"], [[1, "a"], [2, "b"]])
    with pytest.raises(BatchInputError, match="no numeric columns"):
        train(tmp_path / "t.csv", tmp_path / "m.npz")


def test_time_going_backwards_names_the_row(tmp_path: Path) -> None:
    rows = [[f"2026-01-01 00:00:{i:02d}", *x] for i, x in enumerate(normal(30))]
    rows[7][0] = "2026-01-01 00:00:01"
    write(tmp_path / "b.csv", ["time", *NAMES], rows)
    with pytest.raises(BatchInputError, match=r"row 8 \(line 9\): time goes backwards"):
        train(tmp_path / "b.csv", tmp_path / "m.npz")


def test_unreadable_time(tmp_path: Path) -> None:
    write(tmp_path / "b.csv", ["time", "x"], [["yesterday", 1.0], ["today", 2.0]])
    with pytest.raises(BatchInputError, match="cannot read 'yesterday' in column 'time' as a time"):
        read_csv(tmp_path / "b.csv")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n  \n", "is empty"),
        (b"time,x\n", "no data rows"),
        (b"\xff\xfe\x00bad", "not a UTF-8"),
    ],
)
def test_empty_and_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "f.csv").write_bytes(content)
    with pytest.raises(BatchInputError, match=message):
        train(tmp_path / "f.csv", tmp_path / "m.npz")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="no such file"):
        train(tmp_path / "nope.csv", tmp_path / "m.npz")
    with pytest.raises(BatchInputError, match="is a directory"):
        train(tmp_path, tmp_path / "m.npz")


def test_ragged_rows(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("time,x,y\n1,2,3\n2,3\n")
    with pytest.raises(BatchInputError, match="line 3: 2 cells where the header has 3"):
        read_csv(tmp_path / "r.csv")


def test_unknown_detector_time_column_and_exclude(tmp_path: Path) -> None:
    path = plant_csv(tmp_path / "n.csv", normal(50))
    with pytest.raises(BatchInputError, match=r"unknown detector 'magic'; known: .*pca"):
        train(path, tmp_path / "m.npz", detector="magic")
    with pytest.raises(BatchInputError, match="no time column 'when'"):
        train(path, tmp_path / "m.npz", time_column="when")
    with pytest.raises(BatchInputError, match="cannot exclude Nope: no such column"):
        train(path, tmp_path / "m.npz", exclude=["Nope"])
    with pytest.raises(BatchInputError, match="false-alarm rate must be between 0 and 1"):
        train(path, tmp_path / "m.npz", false_alarm_rate=1.5)


def test_too_few_rows(tmp_path: Path) -> None:
    path = plant_csv(tmp_path / "n.csv", normal(10))
    with pytest.raises(BatchInputError, match="10 complete rows; training needs at least 20"):
        train(path, tmp_path / "m.npz")


def test_model_file_that_is_not_a_detector(tmp_path: Path) -> None:
    data = plant_csv(tmp_path / "d.csv", normal(10))
    (tmp_path / "notes.txt").write_text("hello")
    np.savez(tmp_path / "arrays.npz", a=np.arange(3))
    for bad in ("notes.txt", "arrays.npz", "missing.npz"):
        with pytest.raises(BatchInputError, match=r"not a detector artefact|no such file"):
            score(tmp_path / bad, data, tmp_path / "o.csv")
