"""``anquan detect``: train a detector on a CSV file of normal operation and score history files.
Plain Python: no database, no Django.

anquan detect train --input NORMAL.csv --model MODEL_FILE [--detector NAME] [--time-column COL]
                    [--exclude COL1,COL2] [--false-alarm-rate 0.01]
anquan detect score --model MODEL_FILE --input DATA.csv --output SCORES.csv [--time-column COL]

Bad input prints one line on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

USAGE_ERROR = 2


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    from anquan.detectors.registry import DEFAULT, DETECTORS

    parser = _Parser(prog="anquan detect", description="Train and run anomaly detectors on CSV files.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = commands.add_parser("train", help="fit a detector on normal data and calibrate its threshold")
    train.add_argument(
        "--input", required=True, metavar="NORMAL.csv", help="normal operation, rows in time order"
    )
    train.add_argument("--model", required=True, metavar="MODEL_FILE", help="where to write the model")
    train.add_argument(
        "--detector",
        default=DEFAULT,
        metavar="NAME",
        help=f"{', '.join(sorted(DETECTORS))} (default {DEFAULT})",
    )
    train.add_argument("--time-column", metavar="COL", help="default: time, timestamp or datetime if present")
    train.add_argument("--exclude", default="", metavar="COL1,COL2", help="columns that are not variables")
    train.add_argument(
        "--false-alarm-rate",
        type=float,
        default=0.01,
        metavar="RATE",
        help="share of held-out normal rows allowed above the threshold (default 0.01)",
    )
    score = commands.add_parser("score", help="score every row of a file with a trained model")
    score.add_argument("--model", required=True, metavar="MODEL_FILE")
    score.add_argument("--input", required=True, metavar="DATA.csv")
    score.add_argument("--output", required=True, metavar="SCORES.csv")
    score.add_argument("--time-column", metavar="COL")
    return parser


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str]) -> int:
    from anquan.detectors import batch

    try:
        args = _parser().parse_args(argv)
        if args.command == "train":
            exclude = [c.strip() for c in args.exclude.split(",") if c.strip()]
            det = batch.train(
                args.input,
                args.model,
                detector=args.detector,
                time_column=args.time_column,
                exclude=exclude,
                false_alarm_rate=args.false_alarm_rate,
            )
            _say(
                f"trained {det.name} on {det.n_train_} rows of {len(det.feature_names_)} variables "
                f"({', '.join(det.feature_names_)}); threshold {det.threshold_:.6g}; model written to {args.model}"
            )
        else:
            summary = batch.score(args.model, args.input, args.output, time_column=args.time_column)
            _say(
                f"scored {summary.rows} rows: {summary.alarms} in alarm (threshold {summary.threshold:.6g}); "
                f"written to {args.output}"
            )
    except (_Usage, batch.BatchInputError) as e:
        line = f"anquan detect: error: {e}" if isinstance(e, batch.BatchInputError) else str(e)
        sys.stderr.write(" ".join(line.split()) + "\n")
        return USAGE_ERROR
    except SystemExit as e:  # --help
        return int(e.code or 0) if isinstance(e.code, int) else 0
    return 0
