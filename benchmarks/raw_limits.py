"""The raw write limits of the databases, the reference every ingest figure stands beside.

Same table shape as ``monitoring_reading`` (tag bigint, ts bigint, value double, primary key
(tag, ts)), same batch size as the stream, each batch sorted by key as the stream sorts it,
nothing else: no validation, no alarms, no MQTT, no JSON.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TAGS = 1000
BATCH = 5000


def rows(n: int, start_ts: int = 1_764_000_000_000) -> Iterator[tuple[int, int, float]]:
    for i in range(n):
        yield (i % TAGS + 1, start_ts + (i // TAGS) * 1000, 20.0 + (i % 97) * 0.1)


def sqlite_executemany(n: int, directory: Path | None = None) -> float:
    """Readings/s into a WAL SQLite file with a (tag, ts) primary key, one transaction per batch
    (in ``directory``: the disk of the database measured beside it)."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        db = sqlite3.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE r (tag_id bigint NOT NULL, ts bigint NOT NULL, value real NOT NULL, PRIMARY KEY (tag_id, ts))"
        )
        data = list(rows(n))
        t0 = time.perf_counter()
        for i in range(0, n, BATCH):
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR IGNORE INTO r VALUES (?, ?, ?)", sorted(data[i : i + BATCH]))
            db.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        assert db.execute("SELECT count(*) FROM r").fetchone()[0] == n
        db.close()
    return n / elapsed


def postgres_copy(n: int, url: str) -> float:
    """Readings/s COPYed into a PostgreSQL table with a (tag, ts) primary key, one transaction per batch."""
    import psycopg

    data = list(rows(n))
    # The fastest way psycopg offers: the COPY text stream built in one piece per batch.
    chunks = [
        "".join(f"{t}\t{ts}\t{v!r}\n" for t, ts, v in sorted(data[i : i + BATCH])).encode()
        for i in range(0, n, BATCH)
    ]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_reading")
        conn.execute(
            "CREATE TABLE bench_raw_reading (tag_id bigint NOT NULL, ts bigint NOT NULL, "
            "value double precision NOT NULL, PRIMARY KEY (tag_id, ts))"
        )
        try:
            t0 = time.perf_counter()
            for chunk in chunks:
                with (
                    conn.transaction(),
                    conn.cursor().copy("COPY bench_raw_reading (tag_id, ts, value) FROM STDIN") as copy,
                ):
                    copy.write(chunk)
            elapsed = time.perf_counter() - t0
            stored = conn.execute("SELECT count(*) FROM bench_raw_reading").fetchone()
            assert stored is not None and stored[0] == n
        finally:
            conn.execute("DROP TABLE IF EXISTS bench_raw_reading")
    return n / elapsed
