"""Run the benchmarks, print their tables and update BENCHMARKS.md (``make bench``).

    python -m benchmarks                          # everything, full size
    python -m benchmarks ingest --quick           # one benchmark, shortened
    python -m benchmarks latency --db postgresql  # one database only
    python -m benchmarks ingest --paths mqtt-single --no-write

Benchmarks: ``raw`` (the databases' raw write limits), ``ingest`` (readings/s through the stream,
beside the raw limit), ``latency`` (reading published → alarm stored → pushed to a console),
``skab`` (the detectors on the SKAB leaderboard protocol; data from $SKAB_DATA or ../shared/data/skab),
``detectors`` (online scoring throughput), ``leadtime`` (minutes of warning before the threshold alarm
on the simulator's faults, and false AI alerts per unit-day).
They need PostgreSQL (``ANQUAN_BENCH_PG_URL``, default postgresql://postgres@127.0.0.1:5432/postgres)
and an MQTT broker (``ANQUAN_BENCH_MQTT_URL``, default mqtt://127.0.0.1:1883); a missing one is
named in the tables. ``--quick`` results are printed but not written to BENCHMARKS.md unless
``--write`` is given.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from benchmarks import detector_throughput, harness, ingest, latency, leadtime, raw_limits, report, skab

BENCHMARKS = ("raw", "ingest", "latency", "skab", "detectors", "leadtime")
DATABASES = ("sqlite", "postgresql")


def raw(kinds: list[str], quick: bool) -> str:
    n = 200_000 if quick else 1_000_000
    rows = []
    for kind in kinds:
        if kind == "sqlite":
            rate = raw_limits.sqlite_executemany(n)
            rows.append(
                ["SQLite (WAL, synchronous=NORMAL)", "executemany INSERT OR IGNORE", f"{n:,}", f"{rate:,.0f}"]
            )
        else:
            problem = harness.postgres_problem()
            if problem:
                rows.append(["PostgreSQL", "COPY (text)", "—", f"not run: {problem}"])
                continue
            db = harness.BenchDB("postgresql")
            try:
                rate = raw_limits.postgres_copy(n, db.url)
            finally:
                db.close()
            rows.append(["PostgreSQL", "COPY (text)", f"{n:,}", f"{rate:,.0f}"])
    out = report.table(["Database", "Method", "Rows", "Rows/s"], rows)
    print(out)
    return (
        out + "\n\nTable (tag bigint, ts bigint, value double, primary key (tag, ts)), 1000 tags, 5000-row "
        "transactions, each batch sorted by key; nothing else (no validation, alarms, MQTT or JSON)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                        help=f"which to run: {', '.join(BENCHMARKS)} (default: all)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="smaller runs (minutes, not tens of minutes)")
    parser.add_argument("--db", default=",".join(DATABASES), help="sqlite,postgresql (default: both)")
    parser.add_argument("--paths", default="", help=f"ingest only these paths: {','.join(ingest.PATHS)}")
    parser.add_argument(
        "--mqtt-client",
        choices=["paho", "mosquitto_pub"],
        default="mosquitto_pub" if shutil.which("mosquitto_pub") else "paho",
        help="the ingest publishers' MQTT client (default: Mosquitto's C client mosquitto_pub when installed — "
        "lighter on the CPU the stream shares — else paho)",
    )
    parser.add_argument(
        "--stream-workers",
        type=int,
        default=1,
        help="ingest: run this many `anquan stream` workers (default 1)",
    )
    parser.add_argument("--samples", type=int, default=0, help="latency samples (default 300, quick 100)")
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md even with --quick")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases and logs")
    args = parser.parse_args(argv)

    chosen = args.benchmarks or list(BENCHMARKS)
    if set(chosen) - set(BENCHMARKS):
        parser.error(f"unknown benchmark(s); choose from {', '.join(BENCHMARKS)}")
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    unknown = set(kinds) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    paths = [p.strip() for p in args.paths.split(",") if p.strip()] or None
    if paths and set(paths) - set(ingest.PATHS):
        parser.error(f"unknown path(s); choose from {', '.join(ingest.PATHS)}")
    write = not args.no_write and (args.write or not args.quick)
    size = " (quick)" if args.quick else ""

    for name in chosen:
        print(f"\n=== {name}{size} ===", flush=True)
        if name == "raw":
            body = raw(kinds, args.quick)
            title = "Raw write limits of the databases"
        elif name == "ingest":
            body = ingest.run(
                kinds,
                quick=args.quick,
                paths=paths,
                keep=args.keep,
                mqtt_client=args.mqtt_client,
                workers=args.stream_workers,
            )
            title = "Ingest: readings/s through the stream into storage, alarm rules on every tag"
        elif name == "latency":
            body = latency.run(kinds, quick=args.quick, samples=args.samples or None, keep=args.keep)
            title = "Latency: reading published → alarm stored → pushed to a console"
        elif name == "skab":
            body = skab.run(quick=args.quick)
            title = "SKAB: anomaly detection on the leaderboard protocol"
        elif name == "detectors":
            body = detector_throughput.run(quick=args.quick)
            title = "Detectors: online scoring throughput"
        else:
            body = leadtime.run(quick=args.quick)
            title = "Lead time: AI warning before the threshold alarm, on the simulator's faults"
        if name in ("skab", "detectors", "leadtime"):
            print(body, flush=True)
        if write:
            report.write_section(name, title + size, body)
    if write:
        print(f"\nBENCHMARKS.md updated: {report.BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
