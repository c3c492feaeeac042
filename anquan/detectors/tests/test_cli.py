"""``anquan detect`` through ``anquan.cli.main``: no database, one line and exit code 2 on bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from anquan.cli import main
from anquan.detectors.tests.data import NAMES, normal, with_fault


def write_csv(path: Path, X, sep: str = ";") -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(["datetime", *NAMES])
        for i, x in enumerate(X):
            w.writerow([f"2026-03-01 10:{i // 60:02d}:{i % 60:02d}", *x])
    return path


def fail(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_train_and_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal_csv = write_csv(tmp_path / "normal.csv", normal(400))
    data_csv = write_csv(tmp_path / "data.csv", with_fault(normal(200, seed=2), start=80))
    model = tmp_path / "unit.model"
    assert main(["detect", "train", "--input", str(normal_csv), "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("trained ensemble on 320 rows of 6 variables") and model.exists()
    code = main(
        [
            "detect",
            "score",
            "--model",
            str(model),
            "--input",
            str(data_csv),
            "--output",
            str(tmp_path / "s.csv"),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("scored 200 rows: ")
    rows = list(csv.reader((tmp_path / "s.csv").open()))
    assert rows[0] == ["datetime", "score", "threshold", "alarm", "top_contributors"]
    assert len(rows) == 201
    assert {r[3] for r in rows[1:]} == {"0", "1"}
    assert [r[0] for r in rows[1:3]] == ["2026-03-01 10:00:00", "2026-03-01 10:00:01"]


def test_train_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    normal_csv = write_csv(tmp_path / "normal.csv", normal(100), sep=",")
    argv = ["detect", "train", "--input", str(normal_csv), "--model", str(tmp_path / "m"), "--detector", "pca",
            "--exclude", "Level,Vibration", "--time-column", "datetime", "--false-alarm-rate", "0.05"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "trained pca on 80 rows of 4 variables (Pressure, Temperature, Flow, Current)" in out


def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_csv(tmp_path / "normal.csv", normal(100))
    model = tmp_path / "m"
    assert main(["detect", "train", "--input", str(good), "--model", str(model), "--detector", "pca"]) == 0
    capsys.readouterr()
    partial = tmp_path / "partial.csv"
    partial.write_text("datetime;Pressure;Flow\n2026-01-01 00:00:00;1;2\n")
    err = fail(
        capsys,
        ["detect", "score", "--model", str(model), "--input", str(partial), "--output", str(tmp_path / "o")],
    )
    assert err.startswith("anquan detect: error: ") and "Temperature, Level, Current, Vibration" in err

    text_only = tmp_path / "text.csv"
    text_only.write_text("time,name\n1,a\n2,b\n")
    assert "no numeric columns" in fail(
        capsys, ["detect", "train", "--input", str(text_only), "--model", str(model)]
    )

    backwards = tmp_path / "back.csv"
    backwards.write_text("time,x\n3,1\n2,1\n")
    assert "row 2 (line 3): time goes backwards" in fail(
        capsys, ["detect", "train", "--input", str(backwards), "--model", str(model)]
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "is empty" in fail(capsys, ["detect", "train", "--input", str(empty), "--model", str(model)])
    assert "no such file" in fail(
        capsys, ["detect", "train", "--input", str(tmp_path / "x.csv"), "--model", str(model)]
    )
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    assert "not a UTF-8" in fail(capsys, ["detect", "train", "--input", str(binary), "--model", str(model)])
    assert "unknown detector 'nope'" in fail(
        capsys, ["detect", "train", "--input", str(good), "--model", str(model), "--detector", "nope"]
    )
    assert "not a detector artefact" in fail(
        capsys,
        ["detect", "score", "--model", str(good), "--input", str(good), "--output", str(tmp_path / "o")],
    )
    assert "required: --model" in fail(capsys, ["detect", "train", "--input", str(good)])
    assert "invalid float value" in fail(
        capsys, ["detect", "train", "--input", str(good), "--model", str(model), "--false-alarm-rate", "lots"]
    )
    assert "invalid choice: 'fit'" in fail(capsys, ["detect", "fit"])
    assert not (tmp_path / "o").exists()


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "train", "--help"]) == 0
    assert "--false-alarm-rate" in capsys.readouterr().out
