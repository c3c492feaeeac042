"""Batch scoring of history files: the logic behind ``anquan detect train`` and ``anquan detect score``.

Input is a CSV file separated by ``,`` or ``;`` (whichever the header uses more). The time column
is the one given, or the first column named time, timestamp or datetime (any case); it is kept
but never a variable. Every other column whose cells all read as numbers (empty cells allowed) is
a variable, unless excluded. Times must not go backwards.

Training fits on the head of the normal data and calibrates the threshold on its held-out tail
(``holdout_fraction``, default the last 20 %), scored as the continuation of the head. Scoring
reads the variables the model was trained on, by name, and scores the rows in order, each from
itself and the rows before it, as the online scorer would. A missing cell takes the last value
seen in its column (the training mean before the first one).

Bad input raises ``BatchInputError`` with a message meant for the person who gave the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anquan.detectors.base import ArtefactError, Detector, NotFittedError
from anquan.detectors.registry import DEFAULT, DETECTORS

TIME_NAMES = ("time", "timestamp", "datetime")
OUTPUT_COLUMNS = ("score", "threshold", "alarm", "top_contributors")
TOP = 3
MIN_TRAIN_ROWS = 20


class BatchInputError(ValueError):
    """A file or option the batch commands cannot use; the message says why."""


@dataclass
class Table:
    header: list[str]
    time_column: str | None
    times: list[str]  # as written ("" when there is no time column)
    names: list[str]  # the variables, in file order
    X: np.ndarray  # rows × variables, NaN where a cell was empty
    delimiter: str


def _read_text(path: str | Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise BatchInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BatchInputError(f"{path} is a directory, not a CSV file") from None
    except OSError as e:
        raise BatchInputError(f"{path}: cannot read the file ({e.strerror or e})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInputError(f"{path} is not a UTF-8 text (CSV) file") from None


def _number(cell: str) -> float | None:
    """The cell as a number, NaN for an empty cell, None if it is text."""
    s = cell.strip()
    if not s:
        return math.nan
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _time_value(cell: str) -> float | None:
    s = cell.strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("/", "-"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def read_csv(
    path: str | Path,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
    required: Sequence[str] | None = None,
) -> Table:
    """Read a CSV file for training (``required=None``: every numeric column is a variable) or for
    scoring (``required``: exactly these variables, by name, which must be there and numeric)."""
    text = _read_text(path)
    lines = text.splitlines()
    if not text.strip():
        raise BatchInputError(f"{path} is empty")
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise BatchInputError(f"{path} has a header but no data rows")
    width = len(header)
    for i, r in enumerate(body, start=2):
        if len(r) != width:
            raise BatchInputError(f"{path}, line {i}: {len(r)} cells where the header has {width}")
    if time_column is not None:
        if time_column not in header:
            raise BatchInputError(f"{path} has no time column {time_column!r} (columns: {', '.join(header)})")
    else:
        time_column = next((h for h in header if h.lower() in TIME_NAMES), None)
    unknown = [c for c in exclude if c not in header]
    if unknown:
        raise BatchInputError(f"{path}: cannot exclude {', '.join(unknown)}: no such column")

    times: list[str] = [""] * len(body)
    if time_column is not None:
        j = header.index(time_column)
        times = [r[j].strip() for r in body]
        previous: float | None = None
        for i, cell in enumerate(times):
            value = _time_value(cell)
            if value is None:
                raise BatchInputError(
                    f"{path}, row {i + 1} (line {i + 2}): cannot read {cell!r} in column {time_column!r} as a time"
                )
            if previous is not None and value < previous:
                raise BatchInputError(
                    f"{path}, row {i + 1} (line {i + 2}): time goes backwards in column {time_column!r} "
                    f"({times[i - 1]} then {cell})"
                )
            previous = value

    candidates = [h for h in header if h != time_column and h not in exclude]
    if required is not None:
        missing = [name for name in required if name not in header]
        if missing:
            raise BatchInputError(
                f"{path} lacks the variable{'s' if len(missing) > 1 else ''} the model was trained on: "
                + ", ".join(missing)
            )
        candidates = list(required)
    columns: dict[str, np.ndarray] = {}
    for name in candidates:
        j = header.index(name)
        values = np.empty(len(body))
        bad: tuple[int, str] | None = None
        for i, r in enumerate(body):
            v = _number(r[j])
            if v is None:
                bad = (i, r[j])
                break
            values[i] = v
        if bad is not None:
            if required is not None:
                raise BatchInputError(
                    f"{path}, row {bad[0] + 1} (line {bad[0] + 2}): variable {name!r} holds {bad[1]!r}, not a number"
                )
            continue  # a text column: not a variable
        if np.isnan(values).all():
            if required is not None:
                raise BatchInputError(f"{path}: variable {name!r} has no values")
            continue
        columns[name] = values
    if not columns:
        raise BatchInputError(f"{path} has no numeric columns to use as variables")
    names = list(columns)
    return Table(
        header=header,
        time_column=time_column,
        times=times,
        names=names,
        X=np.column_stack([columns[n] for n in names]),
        delimiter=delimiter,
    )


def _fill_forward(X: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Each NaN takes the last value above it in its column; ``start`` before the first one."""
    out = X.copy()
    last = start.astype(np.float64).copy()
    for i in range(len(out)):
        row = out[i]
        gap = np.isnan(row)
        row[gap] = last[gap]
        last = row
    return out


def train(
    input_path: str | Path,
    model_path: str | Path,
    *,
    detector: str = DEFAULT,
    time_column: str | None = None,
    exclude: Sequence[str] = (),
    false_alarm_rate: float = 0.01,
    holdout_fraction: float = 0.2,
) -> Detector:
    """Fit ``detector`` on normal data, calibrate on its held-out tail, write the model file."""
    if detector not in DETECTORS:
        raise BatchInputError(f"unknown detector {detector!r}; known: {', '.join(sorted(DETECTORS))}")
    if not 0.0 < false_alarm_rate < 1.0:
        raise BatchInputError(f"the false-alarm rate must be between 0 and 1, not {false_alarm_rate}")
    table = read_csv(input_path, time_column=time_column, exclude=exclude)
    X = table.X[~np.isnan(table.X).any(axis=1)]  # training uses complete rows only
    if len(X) < MIN_TRAIN_ROWS:
        raise BatchInputError(
            f"{input_path} has {len(X)} complete rows; training needs at least {MIN_TRAIN_ROWS}"
        )
    n_holdout = max(round(len(X) * holdout_fraction), 5)
    head, tail = X[: len(X) - n_holdout], X[len(X) - n_holdout :]
    det = DETECTORS[detector]()
    det.fit(head, feature_names=table.names)
    det.calibrate(tail, false_alarm_rate, context=head)
    try:
        det.save(model_path)
    except OSError as e:
        raise BatchInputError(f"{model_path}: cannot write the model ({e.strerror or e})") from None
    return det


def load_model(model_path: str | Path) -> Detector:
    try:
        det = Detector.load(model_path)
    except ArtefactError as e:
        raise BatchInputError(str(e)) from None
    if det.threshold_ is None:
        raise BatchInputError(f"{model_path}: the model has no calibrated threshold")
    return det


def top_contributors(contributions: np.ndarray, names: Sequence[str], top: int = TOP) -> str:
    """``Pressure:0.41;Temperature:0.22``: the largest shares of the row's total (floored to two
    decimals, so they never sum above 1); shares under 0.01 are left out."""
    total = float(contributions.sum())
    if not total > 0:
        return ""
    order = np.argsort(-contributions, kind="stable")[:top]
    parts = []
    for j in order:
        share = math.floor(float(contributions[j]) / total * 100 + 1e-9) / 100
        if share >= 0.01:
            parts.append(f"{names[j]}:{share:.2f}")
    return ";".join(parts)


@dataclass(frozen=True)
class ScoreSummary:
    rows: int
    alarms: int
    threshold: float


def score(
    model_path: str | Path,
    input_path: str | Path,
    output_path: str | Path,
    *,
    time_column: str | None = None,
) -> ScoreSummary:
    """Score every row of ``input_path`` and write one output row per input row, in order."""
    det = load_model(model_path)
    names = det.feature_names_
    table = read_csv(input_path, time_column=time_column, required=names)
    X = _fill_forward(table.X, det.center_)
    s = det.scorer(explain=True)
    try:
        scores = s.update(X)
    except (ValueError, NotFittedError) as e:
        raise BatchInputError(f"{input_path}: cannot score ({e})") from None
    alarms = s.last_alarms
    contributions = s.last_contributions
    assert alarms is not None and contributions is not None
    threshold = float(det.threshold_ or 0.0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    head = [table.time_column] if table.time_column else []
    writer.writerow([*head, *OUTPUT_COLUMNS])
    for i in range(len(scores)):
        time_cell = [table.times[i]] if table.time_column else []
        writer.writerow(
            [
                *time_cell,
                f"{scores[i]:.6g}",
                f"{threshold:.6g}",
                int(alarms[i]),
                top_contributors(contributions[i], names),
            ]
        )
    try:
        Path(output_path).write_text(out.getvalue(), encoding="utf-8")
    except OSError as e:
        raise BatchInputError(f"{output_path}: cannot write the scores ({e.strerror or e})") from None
    return ScoreSummary(rows=len(scores), alarms=int(alarms.sum()), threshold=threshold)
