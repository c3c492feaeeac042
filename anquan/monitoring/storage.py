"""The readings store: batched writes, the live value per tag, rollups and retention.

Everything here works in batches on raw SQL — the stream calls it once per flush, never once per
reading. Both databases are supported with the same semantics:

- PostgreSQL: readings are COPYed (binary, psycopg 3) straight into the table; when some are
  already stored, the batch is COPYed into a session temp table instead and moved with
  ``INSERT … ON CONFLICT DO NOTHING``;
- SQLite: ``executemany`` of ``INSERT OR IGNORE``.

Readings are idempotent on (tag, ts): sent twice, stored once. Timestamps are epoch milliseconds (UTC).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from anquan.plant.models import SensorTag

Row = tuple[int, int, float]  # (tag_id, ts_ms, value)

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Tags per statement when a query names them (well below SQLite's 32 766 bound parameters).
TAG_CHUNK = 500

_TEMP_TABLE = "anquan_reading_in"


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _chunks(ids: Sequence[int], size: int = TAG_CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def _in_clause(ids: Sequence[int]) -> str:
    """``tag_id = ANY(%s)`` on PostgreSQL (one array parameter), ``tag_id IN (%s, …)`` on SQLite."""
    if _is_postgres():
        return "tag_id = ANY(%s)"
    return "tag_id IN (" + ", ".join(["%s"] * len(ids)) + ")"


def _in_params(ids: Sequence[int]) -> list[Any]:
    return [list(ids)] if _is_postgres() else list(ids)


# --- readings ---------------------------------------------------------------------------------


def write_readings(rows: Sequence[Row]) -> int:
    """Store readings (tag_id, ts_ms, value); a (tag, ts) already stored is kept as it is.

    Returns how many rows were newly stored. Runs in its own transaction (or the caller's)."""
    if not rows:
        return 0
    # In key order the primary-key index is filled page by page instead of all over: measured 1.8×
    # the insert rate on SQLite and 1.3× on PostgreSQL for batches of a few thousand readings.
    rows = sorted(rows)
    with transaction.atomic():
        if _is_postgres():
            return _write_postgres(rows)
        return _write_sqlite(rows)


def _copy(cur: Any, table: str, rows: Sequence[Row]) -> None:
    # wrap_database_errors: psycopg's errors become Django's (OperationalError, IntegrityError …)
    with (
        connection.wrap_database_errors,
        cur.cursor.copy(f"COPY {table} (tag_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(["int8", "int8", "float8"])
        for row in rows:
            copy.write_row(row)


def _write_postgres(rows: Sequence[Row]) -> int:
    # Usually every reading is new: COPY straight into the table (about twice as fast as the
    # conflict-checking path). A reading already stored makes the COPY fail as a whole; then the
    # savepoint is rolled back and the batch goes through the temp table with ON CONFLICT DO NOTHING.
    try:
        with transaction.atomic(), connection.cursor() as cur:
            _copy(cur, "monitoring_reading", rows)
        return len(rows)
    except IntegrityError:
        pass
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP_TABLE} "
            "(tag_id bigint, ts bigint, value double precision) ON COMMIT DELETE ROWS"
        )
        _copy(cur, _TEMP_TABLE, rows)
        cur.execute(
            f"INSERT INTO monitoring_reading (tag_id, ts, value) SELECT tag_id, ts, value FROM {_TEMP_TABLE} "
            "ON CONFLICT DO NOTHING"
        )
        stored = max(cur.rowcount, 0)
        # ON COMMIT DELETE ROWS empties the temp table at commit; inside a longer transaction the
        # next call must not see these rows again.
        cur.execute(f"DELETE FROM {_TEMP_TABLE}")
        return stored


def _write_sqlite(rows: Sequence[Row]) -> int:
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT OR IGNORE INTO monitoring_reading (tag_id, ts, value) VALUES (%s, %s, %s)", rows
        )
        return max(cur.rowcount, 0)


# --- live value ------------------------------------------------------------------------------


@dataclass(slots=True)
class _LiveSummary:
    first_ts: int
    first_value: float
    last_ts: int
    last_value: float
    change_ts: int | None  # the latest ts at which the value differed from the one before it, in the batch


def _summarise(rows: Iterable[Row]) -> dict[int, _LiveSummary]:
    """Per tag: first and last reading and the latest change, in time order. One pass when each
    tag's readings come in time order (the usual case), else sorted first."""
    rows = rows if isinstance(rows, list) else list(rows)
    out: dict[int, _LiveSummary] = {}
    get = out.get
    for tag_id, ts, value in rows:
        s = get(tag_id)
        if s is None:
            out[tag_id] = _LiveSummary(ts, value, ts, value, None)
        elif ts > s.last_ts:
            if value != s.last_value:
                s.change_ts = ts
            s.last_ts, s.last_value = ts, value
        else:
            return _summarise_sorted(rows)
    return out


def _summarise_sorted(rows: list[Row]) -> dict[int, _LiveSummary]:
    out: dict[int, _LiveSummary] = {}
    for tag_id, ts, value in sorted(rows):
        s = out.get(tag_id)
        if s is None:
            out[tag_id] = _LiveSummary(ts, value, ts, value, None)
            continue
        if ts == s.last_ts:
            continue  # a duplicate timestamp: the first one stored wins
        if value != s.last_value:
            s.change_ts = ts
        s.last_ts, s.last_value = ts, value
    return out


_LIVE_UPSERT = """
INSERT INTO monitoring_taglive (tag_id, ts, value, status, status_since, changed_ts)
VALUES (%s, %s, %s, 'no_data', NULL, %s)
ON CONFLICT (tag_id) DO UPDATE SET
    ts = excluded.ts,
    value = excluded.value,
    changed_ts = CASE
        WHEN CAST(%s AS BIGINT) IS NOT NULL THEN CAST(%s AS BIGINT)
        WHEN monitoring_taglive.value IS NULL OR monitoring_taglive.value <> CAST(%s AS DOUBLE PRECISION)
            THEN CAST(%s AS BIGINT)
        ELSE monitoring_taglive.changed_ts
    END
WHERE monitoring_taglive.ts IS NULL OR excluded.ts > monitoring_taglive.ts
"""


def update_live(rows: Iterable[Row]) -> int:
    """Move each tag's latest value forward: ``ts``/``value`` to the newest reading (never back to an
    older one), ``changed_ts`` to when the value last changed. ``status`` is left to
    :func:`anquan.monitoring.health.refresh_health`.

    ``rows`` may include readings the pipeline refused as outside the instrument range: the live value
    then shows what the instrument sends and tag health reports it as out of range. Returns the tags seen.
    """
    summary = _summarise(rows)
    if not summary:
        return 0
    with transaction.atomic(), connection.cursor() as cur:
        if _is_postgres():
            _live_postgres(cur, summary)
        else:
            cur.executemany(
                _LIVE_UPSERT,
                [
                    (
                        tag_id,
                        s.last_ts,
                        s.last_value,
                        s.change_ts if s.change_ts is not None else s.first_ts,
                        s.change_ts,
                        s.change_ts,
                        s.first_value,
                        s.first_ts,
                    )
                    for tag_id, s in summary.items()
                ],
            )
    return len(summary)


_LIVE_VALUES = (
    "unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::bigint[], %s::float8[], %s::bigint[]) "
    "AS v(tag_id, ts, value, change_ts, first_value, first_ts)"
)


def _live_postgres(cur: Any, summary: dict[int, _LiveSummary]) -> None:
    """Set-based on PostgreSQL: the known tags' rows locked in tag order and moved forward in one
    UPDATE; tags seen for the first time inserted."""
    items = list(summary.items())
    arrays: list[list[Any]] = [
        [t for t, _ in items],
        [s.last_ts for _, s in items],
        [s.last_value for _, s in items],
        [s.change_ts for _, s in items],
        [s.first_value for _, s in items],
        [s.first_ts for _, s in items],
    ]
    # lock the existing rows in tag order (two workers never deadlock); insert the missing ones
    cur.execute(
        "SELECT tag_id FROM monitoring_taglive WHERE tag_id = ANY(%s) ORDER BY tag_id FOR UPDATE", [arrays[0]]
    )
    existing = {row[0] for row in cur.fetchall()}
    if len(existing) < len(items):
        new = [i for i, (tag_id, _) in enumerate(items) if tag_id not in existing]
        cur.execute(
            "INSERT INTO monitoring_taglive (tag_id, ts, value, status, status_since, changed_ts) "
            "SELECT v.tag_id, v.ts, v.value, 'no_data', NULL, COALESCE(v.change_ts, v.first_ts) "
            f"FROM {_LIVE_VALUES} ORDER BY v.tag_id ON CONFLICT (tag_id) DO NOTHING",
            [[column[i] for i in new] for column in arrays],
        )  # a row another worker inserted meanwhile is moved forward by the UPDATE below
    cur.execute(
        f"""
UPDATE monitoring_taglive AS t SET
    ts = v.ts,
    value = v.value,
    changed_ts = CASE
        WHEN v.change_ts IS NOT NULL THEN v.change_ts
        WHEN t.value IS NULL OR t.value <> v.first_value THEN v.first_ts
        ELSE t.changed_ts
    END
FROM {_LIVE_VALUES}
WHERE t.tag_id = v.tag_id AND (t.ts IS NULL OR v.ts > t.ts)
""",
        arrays,
    )


# --- rollups ---------------------------------------------------------------------------------


def _all_tag_ids() -> list[int]:
    return list(SensorTag.objects.order_by("id").values_list("id", flat=True))


def _minute_sql(ids: Sequence[int]) -> str:
    return f"""
INSERT INTO monitoring_rollup (tag_id, period, bucket, min, max, sum, count)
SELECT tag_id, 60, (ts / {MINUTE_MS}) * {MINUTE_MS}, MIN(value), MAX(value), SUM(value), COUNT(*)
FROM monitoring_reading
WHERE {_in_clause(ids)} AND ts >= %s AND ts < %s
GROUP BY tag_id, (ts / {MINUTE_MS}) * {MINUTE_MS}
ON CONFLICT (tag_id, period, bucket) DO UPDATE SET
    min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count
"""


def _hour_sql(ids: Sequence[int]) -> str:
    return f"""
INSERT INTO monitoring_rollup (tag_id, period, bucket, min, max, sum, count)
SELECT tag_id, 3600, (bucket / {HOUR_MS}) * {HOUR_MS}, MIN(min), MAX(max), SUM(sum), SUM(count)
FROM monitoring_rollup
WHERE {_in_clause(ids)} AND period = 60 AND bucket >= %s
GROUP BY tag_id, (bucket / {HOUR_MS}) * {HOUR_MS}
ON CONFLICT (tag_id, period, bucket) DO UPDATE SET
    min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count
"""


def refresh_rollups(since_ms: int, tag_ids: Iterable[int] | None = None, until_ms: int | None = None) -> int:
    """Recompute the minute rollups of every bucket from the one holding ``since_ms`` on (up to the
    bucket holding ``until_ms``, excluded; every later one when None), from the readings, then the
    hour rollups from the minute rollups. Exact and idempotent: a bucket is always recomputed whole
    (its start is floored), and each result replaces the stored one.

    ``tag_ids`` narrows it to the tags written (the stream passes those; all tags when None).
    Returns the number of minute buckets written."""
    ids = sorted(set(tag_ids)) if tag_ids is not None else _all_tag_ids()
    if not ids:
        return 0
    minute_from = (since_ms // MINUTE_MS) * MINUTE_MS
    minute_to = (until_ms // MINUTE_MS) * MINUTE_MS if until_ms is not None else 2**62
    hour_from = (since_ms // HOUR_MS) * HOUR_MS
    written = 0
    for chunk in _chunks(ids):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_minute_sql(chunk), [*_in_params(chunk), minute_from, minute_to])
            written += max(cur.rowcount, 0)
            cur.execute(_hour_sql(chunk), [*_in_params(chunk), hour_from])
    return written


# --- retention -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    readings: int
    minute_rollups: int
    hour_rollups: int


def apply_retention(now_ms: int) -> RetentionResult:
    """Delete raw readings older than ANQUAN_RETENTION_RAW_DAYS, minute rollups older than
    ANQUAN_RETENTION_MINUTE_DAYS and hour rollups older than ANQUAN_RETENTION_HOUR_DAYS.

    Works tag by tag (chunks) so every delete is a range on the primary key, never a table scan."""
    raw_before = now_ms - settings.ANQUAN_RETENTION_RAW_DAYS * DAY_MS
    minute_before = now_ms - settings.ANQUAN_RETENTION_MINUTE_DAYS * DAY_MS
    hour_before = now_ms - settings.ANQUAN_RETENTION_HOUR_DAYS * DAY_MS
    readings = minutes = hours = 0
    for chunk in _chunks(_all_tag_ids()):
        clause, params = _in_clause(chunk), _in_params(chunk)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM monitoring_reading WHERE {clause} AND ts < %s", [*params, raw_before])
            readings += max(cur.rowcount, 0)
            cur.execute(
                f"DELETE FROM monitoring_rollup WHERE {clause} AND period = 60 AND bucket < %s",
                [*params, minute_before],
            )
            minutes += max(cur.rowcount, 0)
            cur.execute(
                f"DELETE FROM monitoring_rollup WHERE {clause} AND period = 3600 AND bucket < %s",
                [*params, hour_before],
            )
            hours += max(cur.rowcount, 0)
    return RetentionResult(readings, minutes, hours)
