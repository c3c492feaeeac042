"""Ingest benchmark: sustained readings/s through the real ``anquan stream`` into storage, with limit
alarm rules on every tag, beside the raw write limit of the same database measured in the same run.

Per database (SQLite file in a temp dir; PostgreSQL database ``anquan_bench_<run id>``):
migrate, build a synthetic site (``benchmarks.fixture``: N tags with HH/H/L/LL limit rules on all of
them, an MQTT connector on ``bench/<run>/#``, an HTTP gateway connector with its key), measure the raw
limit (``raw_limits``), start ``anquan stream`` and uvicorn as subprocesses, then for each path:

- ``mqtt-batch``: MQTT, ``BATCH`` readings per message (a JSON list), QoS 1, 100 messages in flight;
- ``http``: ``POST /api/v1/ingest`` with the gateway key, ``BATCH`` readings per request, 4 connections;
- ``mqtt-single``: MQTT, one reading per message, QoS 1, 1000 messages in flight.

Publishers are separate processes with every payload encoded beforehand. Readings are scans of all
tags 10 ms apart (100 Hz per tag: 1000 tags make 100 000 readings/s of plant time), ending near now.
The figure is readings stored (the connectors' ``accepted`` counters, written in the transaction
that stores the readings) / time from the first publish until the last is stored. Values stay in the
normal band except one reading in ~10 000 that crosses H or L for one sample: the alarms raised are
counted and compared with the excursions published.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from benchmarks import harness, raw_limits, workload
from benchmarks.report import table

SPACING_MS = 10
BATCH = 1000
TARGETS = {"sqlite": 50_000, "postgresql": 100_000}  # readings/s, issue 3 "Performance"
SINGLE_TARGET = 5_000  # messages/s, one reading each, MQTT QoS 1
STALL_S = 30.0  # no progress this long: readings were lost
# MQTT publishers stay at most this many messages ahead of what the stream has stored (the broker
# drops messages beyond Mosquitto's max_queued_messages, 1000 by default, for a slow subscriber).
CREDIT = {"mqtt-batch": 200, "mqtt-single": 800}


@dataclass(frozen=True)
class Size:
    tags: int
    raw: int
    readings: dict[str, int]
    timeout_s: float


FULL = Size(1000, 1_000_000, {"mqtt-batch": 2_000_000, "http": 1_000_000, "mqtt-single": 100_000}, 600)
QUICK = Size(200, 200_000, {"mqtt-batch": 200_000, "http": 100_000, "mqtt-single": 20_000}, 180)
PATHS = ("mqtt-batch", "http", "mqtt-single")
LABELS = {
    "mqtt-batch": f"MQTT, {BATCH} readings/message, QoS 1",
    "http": f"HTTP POST, {BATCH} readings/request",
    "mqtt-single": "MQTT, 1 reading/message, QoS 1",
}
HEADERS = (
    "Database",
    "Path",
    "Readings",
    "Stored/s",
    "Target",
    "Met",
    "Raw limit/s",
    "Ratio",
    "Published/s",
    "Alarms raised (expected)",
    "CPU (of one core)",
    "Load avg",
    "Notes",
)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


@dataclass
class Outcome:
    stored: int
    elapsed: float
    published_s: float | None
    alarms: int
    expected_alarms: int
    note: str
    cpu: str
    load: str


class Run:
    """One database: its site, its stream and web processes, and the paths measured against it."""

    def __init__(
        self, kind: str, size: Size, keep: bool, mqtt_client: str = "paho", workers: int = 1
    ) -> None:
        self.kind = kind
        self.size = size
        self.keep = keep
        self.mqtt_client = mqtt_client
        self.workers = workers
        self.run_id = uuid.uuid4().hex[:8]
        self.last_ts = 0
        self.db: harness.BenchDB | None = None
        self.streams: list[harness.Proc] = []
        self.web: harness.Proc | None = None
        self.port = 0
        self.site: dict[str, Any] = {}
        self.raw: float | None = None

    def setup(self) -> None:
        self.db = db = harness.BenchDB(self.kind, keep=self.keep)
        t0 = time.perf_counter()
        db.migrate()
        print(f"  migrated in {time.perf_counter() - t0:.0f} s")
        self.raw = (
            raw_limits.sqlite_executemany(self.size.raw, db.dir)
            if self.kind == "sqlite"
            else raw_limits.postgres_copy(self.size.raw, db.url)
        )
        print(f"  raw limit: {self.raw:,.0f} readings/s")
        t0 = time.perf_counter()
        self.site = db.fixture("build", {"tags": self.size.tags, "markers": 0, "run": self.run_id})
        print(
            f"  site: {self.site['tags']} tags, {self.site['rules']} alarm rules "
            f"({time.perf_counter() - t0:.0f} s)"
        )
        self.streams = harness.start_stream(db, self.workers)
        self.web, self.port = harness.start_web(db)
        harness.wait_connected(db, self.site["mqtt_connector"], self.streams)

    def teardown(self) -> None:
        for proc in [*([self.web] if self.web else []), *self.streams]:
            proc.stop()
        for stream in self.streams:
            _stream_summary(stream)
        if self.db is not None:
            self.db.close()

    # --- one path -------------------------------------------------------------------------------
    def _counts(self) -> tuple[int, int, int]:
        assert self.db is not None
        accepted, rejected = self.db.query(
            "SELECT COALESCE(SUM(accepted), 0), COALESCE(SUM(rejected), 0) FROM streaming_connector"
        )[0]
        occurrences = self.db.scalar("SELECT COUNT(*) FROM monitoring_alarmoccurrence")
        return int(accepted), int(rejected), int(occurrences)

    def _ts0(self, steps: int) -> int:
        """Scans ending about now, after every reading sent before (the alarm engine ignores a
        reading older than one it has seen)."""
        span = steps * SPACING_MS
        while True:
            now = time.time_ns() // 1_000_000
            ts0 = max(now - span, self.last_ts + SPACING_MS)
            if ts0 + span <= now + 30_000:  # well inside the future tolerance (60 s)
                self.last_ts = ts0 + span
                return ts0
            time.sleep(1)

    def _spec(self, path: str, steps: int, ts0: int) -> dict[str, Any]:
        host, port = harness.mqtt_address()
        base: dict[str, Any] = {
            "run": self.run_id, "tags": self.size.tags, "steps": steps, "ts0": ts0,
            "spacing_ms": SPACING_MS, "size": BATCH, "timeout": self.size.timeout_s,
        }  # fmt: skip
        if path == "http":
            url = f"http://127.0.0.1:{self.port}"
            return {**base, "via": "http", "url": url, "key": self.site["gateway_key"], "threads": 4}
        return {
            **base, "via": "mqtt", "host": host, "port": port, "topic": f"bench/{self.run_id}",
            "style": "single" if path == "mqtt-single" else "batch", "window": 100, "client": self.mqtt_client,
            "credit": CREDIT[path],
        }  # fmt: skip

    def measure(self, path: str) -> Outcome:
        assert self.db is not None and self.streams
        tags = self.size.tags
        steps = self.size.readings[path] // tags
        n = steps * tags
        spec = self._spec(path, steps, self._ts0(steps))
        publisher = harness.Publisher(spec, self.db.env(), self.db.dir / f"publish-{path}.log")
        expected_alarms = workload.excursions(tags, steps)
        acc0, rej0, occ0 = self._counts()
        rows0 = int(self.db.scalar("SELECT COUNT(*) FROM monitoring_reading"))
        cpu0 = [p.cpu for p in self.streams]
        web0 = self.web.cpu if self.web else 0.0
        load = harness.load_average()
        publisher.go()
        per_message = 1 if path == "mqtt-single" else BATCH
        credit = CREDIT.get(path)
        done_at: float | None = None
        stored = 0
        last_progress = time.monotonic()
        published: dict[str, Any] | None = None
        deadline = time.monotonic() + self.size.timeout_s
        note = ""
        while time.monotonic() < deadline:
            if not all(p.alive for p in self.streams):
                note = "the stream exited"
                break
            acc, rej, _ = self._counts()
            if acc - acc0 > stored:
                stored = acc - acc0
                last_progress = time.monotonic()
                if credit is not None and publisher.alive:
                    with contextlib.suppress(OSError):
                        publisher.send(f"credit {stored // per_message + credit}")
            if stored >= n:
                done_at = time.time()
                break
            if published is None and not publisher.alive:
                published = publisher.result(10)
            if time.monotonic() - last_progress > STALL_S:
                note = f"stalled: {n - stored:,} readings not stored after {STALL_S:.0f} s without progress"
                break
            time.sleep(0.05)
        else:
            note = f"timeout after {self.size.timeout_s:.0f} s"
        end = done_at or time.time()
        stream_cpu = sum(p.cpu for p in self.streams) - sum(cpu0)
        web_cpu = (self.web.cpu if self.web else 0.0) - web0
        if published is None:
            published = publisher.result(self.size.timeout_s)
        first = float(published["first"])
        acked = published.get("acked")
        published_s = n / (float(acked) - first) if acked else None
        # the alarms of the last batch are stored just after its readings
        occurrences = 0
        settle = time.monotonic() + 10
        while time.monotonic() < settle:
            acc, rej, occ = self._counts()
            occurrences = occ - occ0
            if occurrences >= expected_alarms:
                break
            time.sleep(0.2)
        rows = int(self.db.scalar("SELECT COUNT(*) FROM monitoring_reading")) - rows0
        notes = [note] if note else []
        if occurrences != expected_alarms:
            notes.append(f"alarms: {occurrences} raised for {expected_alarms} excursions published")
        if rows != stored:
            notes.append(f"{rows:,} rows in monitoring_reading for {stored:,} accepted")
        if rej - rej0:
            notes.append(f"{rej - rej0:,} rejected")
        if published.get("errors"):
            notes.append(f"{published['errors']} publish errors {published.get('error_sample', '')}")
        elapsed = end - first
        cpu = f"stream {stream_cpu / elapsed:.0%}"
        if path == "http":
            cpu += f", web {web_cpu / elapsed:.0%}"
        return Outcome(
            stored, elapsed, published_s, occurrences, expected_alarms, "; ".join(notes), cpu, load
        )


def run(
    kinds: list[str],
    *,
    quick: bool = False,
    paths: list[str] | None = None,
    keep: bool = False,
    mqtt_client: str = "paho",
    workers: int = 1,
) -> str:
    """Measure and return the markdown body (a table and its notes)."""
    size = QUICK if quick else FULL
    paths = paths or list(PATHS)
    rows: list[list[Any]] = []
    mqtt_problem = harness.mqtt_problem()

    def missing(label: str, kind: str, path: str, raw: str, why: str) -> list[Any]:
        return [
            label,
            LABELS[path],
            "—",
            "not run",
            _target(kind, path),
            "—",
            raw,
            "—",
            "—",
            "—",
            "—",
            "—",
            why,
        ]

    for kind in kinds:
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        problem = harness.postgres_problem() if kind == "postgresql" else None
        if problem:
            rows += [missing(label, kind, p, "—", problem) for p in paths]
            print(f"{label}: {problem}")
            continue
        if workers > 1 and mqtt_problem:
            rows += [missing(label, kind, p, "—", f"{workers} stream workers need the broker: {mqtt_problem}") for p in paths]  # fmt: skip
            continue
        print(f"{label}: load average {harness.load_average()}", flush=True)
        r = Run(kind, size, keep, mqtt_client, workers)
        try:
            r.setup()
            for path in paths:
                if path.startswith("mqtt") and mqtt_problem:
                    rows.append(missing(label, kind, path, _fmt(r.raw), mqtt_problem))
                    continue
                print(f"  {path}: publishing {size.readings[path]:,} readings …", flush=True)
                o = r.measure(path)
                rate = o.stored / o.elapsed if o.elapsed > 0 else 0.0
                target = TARGETS[kind] if path != "mqtt-single" else SINGLE_TARGET
                met = "yes" if rate >= target and not o.note else "no"
                alarms = f"{o.alarms} ({o.expected_alarms})"
                rows.append(
                    [
                        label,
                        LABELS[path],
                        f"{o.stored:,}",
                        _fmt(rate) + (" msg/s" if path == "mqtt-single" else ""),
                        _target(kind, path),
                        met,
                        _fmt(r.raw),
                        f"{rate / r.raw:.0%}" if r.raw else "—",
                        _fmt(o.published_s),
                        alarms,
                        o.cpu,
                        o.load,
                        o.note,
                    ]
                )
                print(
                    f"    {rate:,.0f}/s over {o.elapsed:.1f} s; alarms {alarms}; CPU {o.cpu}; {o.note}",
                    flush=True,
                )
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"[:300]
            rows.append([label, "setup", "—", "failed", "—", "—", _fmt(r.raw), "—", "—", "—", "—", "—", why])
            print(f"  failed: {exc}")
        finally:
            r.teardown()
    out = table(HEADERS, rows)
    print(out)
    return out + "\n\n" + _notes(size, workers, mqtt_client)


def _target(kind: str, path: str) -> str:
    if path == "mqtt-single":
        return f"≥ {SINGLE_TARGET:,} msg/s"
    return f"≥ {TARGETS[kind]:,}"


def _stream_summary(stream: harness.Proc) -> None:
    lines = [
        line
        for line in stream.tail(400).splitlines()
        if "rate=" in line or "ERROR" in line or "Traceback" in line
    ]
    for line in lines[-3:]:
        print(f"    stream: {line[-220:]}")


def _notes(size: Size, workers: int, mqtt_client: str) -> str:
    streams = "one `anquan stream` process" if workers == 1 else f"{workers} `anquan stream` workers"
    return (
        f"Site: {size.tags} tags, each with HH/H/L/LL limit rules (all {size.tags * 4} rules evaluated on every "
        f"reading). Readings are scans of all tags {SPACING_MS} ms apart, values in the normal band except one in "
        f"{workload.EXCURSION_EVERY:,} crossing H or L for one sample; *Alarms raised* counts the alarm "
        "occurrences stored against the excursions published. *Stored/s* = readings stored ÷ time from the "
        f"first publish until the last is stored ({streams}: validation, storage, live values, counters, alarm engine, acknowledgement; its rollup and tag-health jobs run meanwhile). "
        "*Raw limit/s*: `raw_limits` on the same database in the same run (SQLite `executemany` of "
        "`INSERT OR IGNORE`, PostgreSQL `COPY`, 5000-row transactions, nothing else). *Published/s*: how fast "
        "the broker (MQTT) or the web app (HTTP, 202 after the inbox row is stored) took the readings. "
        f"Publishers are separate processes with payloads encoded beforehand (MQTT client: {mqtt_client}); "
        "uvicorn runs one worker. "
        f"An MQTT publisher stays at most {CREDIT['mqtt-batch']} (batched) or {CREDIT['mqtt-single']} (single) "
        "messages ahead of what the stream has stored: Mosquitto's default `max_queued_messages` (1000) "
        "silently drops QoS 1 messages it has already acknowledged to the publisher once a subscriber is "
        "that far behind (an unthrottled 2,000-message run lost 911 of them). "
        "*CPU*: CPU time the stream (and for HTTP the web process) used ÷ the elapsed time — a Python "
        "process tops out near 100 % of one core. *Load avg*: the machine's 1/5/15-minute load when the "
        "path started; this machine has 2 cores and is shared, so every process of the run (and anything "
        "else running) competes for them."
    )
