"""The readings store on the database the suite runs on (SQLite, and PostgreSQL in CI's second pass)."""

from __future__ import annotations

import pytest
from django.db import connection

from anquan.monitoring import storage
from anquan.monitoring.models import Reading, Rollup, TagLive

T0 = 1_764_300_000_000 - 1_764_300_000_000 % 3_600_000  # an hour boundary
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000


def readings(tag_id: int) -> list[tuple[int, float]]:
    return list(Reading.objects.filter(tag_id=tag_id).order_by("ts").values_list("ts", "value"))


def rollups(tag_id: int, period: int) -> list[tuple[int, float, float, float, int]]:
    return list(
        Rollup.objects.filter(tag_id=tag_id, period=period)
        .order_by("bucket")
        .values_list("bucket", "min", "max", "sum", "count")
    )


def test_the_database_engine_is_the_one_configured():
    assert connection.vendor in ("sqlite", "postgresql")


def test_write_readings_stores_each_tag_and_timestamp_once(world):
    ti, pi = world.tags["TI-101"].id, world.tags["PI-201"].id

    first = storage.write_readings([(ti, T0, 20.5), (ti, T0 + 1000, 21.0), (pi, T0, 1.2)])
    again = storage.write_readings([(ti, T0, 99.0), (ti, T0 + 2000, 22.0), (ti, T0 + 2000, 23.0)])

    assert first == 3
    assert again == 1  # T0 was stored already; T0+2000 appears twice in the batch, stored once
    assert readings(ti) == [(T0, 20.5), (T0 + 1000, 21.0), (T0 + 2000, 22.0)]
    assert readings(pi) == [(T0, 1.2)]
    assert storage.write_readings([]) == 0


def test_write_readings_twice_in_one_transaction_counts_only_new_rows(world):
    from django.db import transaction

    ti = world.tags["TI-101"].id
    with transaction.atomic():
        assert storage.write_readings([(ti, T0, 1.0)]) == 1
        assert storage.write_readings([(ti, T0 + 1, 2.0)]) == 1
    assert readings(ti) == [(T0, 1.0), (T0 + 1, 2.0)]


def test_write_readings_moves_a_large_batch(world):
    ti = world.tags["TI-101"].id
    rows = [(ti, T0 + i, float(i % 50)) for i in range(20_000)]

    assert storage.write_readings(rows) == 20_000
    assert storage.write_readings(rows[:100]) == 0
    assert Reading.objects.filter(tag_id=ti).count() == 20_000


def live(tag_id: int) -> tuple[int | None, float | None, int | None, str]:
    row = TagLive.objects.get(tag_id=tag_id)
    return row.ts, row.value, row.changed_ts, row.status


def test_update_live_keeps_the_newest_value_and_when_it_last_changed(world):
    ti = world.tags["TI-101"].id

    storage.update_live([(ti, T0, 20.0), (ti, T0 + 1000, 20.0)])
    assert live(ti) == (T0 + 1000, 20.0, T0, "no_data")  # the status is tag health's business

    storage.update_live([(ti, T0 + 2000, 20.0)])
    assert live(ti) == (T0 + 2000, 20.0, T0, "no_data")  # same value: changed_ts stays

    storage.update_live([(ti, T0 + 3000, 21.0), (ti, T0 + 4000, 21.0)])
    assert live(ti) == (T0 + 4000, 21.0, T0 + 3000, "no_data")  # changed when the batch began

    storage.update_live([(ti, T0 + 5000, 21.0), (ti, T0 + 6000, 22.0), (ti, T0 + 7000, 22.0)])
    assert live(ti) == (T0 + 7000, 22.0, T0 + 6000, "no_data")  # changed inside the batch


def test_update_live_never_moves_back_to_an_older_reading(world):
    ti = world.tags["TI-101"].id
    storage.update_live([(ti, T0 + 10_000, 30.0)])

    storage.update_live([(ti, T0, 10.0)])  # a late reading

    assert live(ti) == (T0 + 10_000, 30.0, T0 + 10_000, "no_data")


def test_update_live_handles_many_tags_in_one_call(world):
    ti, pi, li = (world.tags[c].id for c in ("TI-101", "PI-201", "LI-901"))
    storage.update_live([(pi, T0 - 10, 0.5)])  # one tag known already, two new

    assert storage.update_live([(pi, T0, 1.0), (ti, T0 + 5, 2.0), (li, T0 + 9, 3.0), (ti, T0 + 1, 9.0)]) == 3

    assert live(ti) == (T0 + 5, 2.0, T0 + 5, "no_data")
    assert live(pi) == (T0, 1.0, T0, "no_data")
    assert live(li) == (T0 + 9, 3.0, T0 + 9, "no_data")


def test_rollups_are_exact_per_minute_and_hour(world):
    ti = world.tags["TI-101"].id
    rows = [(ti, T0 + i * 10_000, float(i)) for i in range(12)]  # two minutes at 10 s: 0..5, 6..11
    rows.append((ti, T0 + HOUR + 5_000, 100.0))  # the next hour
    storage.write_readings(rows)

    written = storage.refresh_rollups(T0, [ti])

    assert written == 3
    assert rollups(ti, 60) == [
        (T0, 0.0, 5.0, 15.0, 6),
        (T0 + MIN, 6.0, 11.0, 51.0, 6),
        (T0 + HOUR, 100.0, 100.0, 100.0, 1),
    ]
    assert rollups(ti, 3600) == [(T0, 0.0, 11.0, 66.0, 12), (T0 + HOUR, 100.0, 100.0, 100.0, 1)]


def test_rollups_recompute_whole_buckets_from_since_and_are_idempotent(world):
    ti = world.tags["TI-101"].id
    storage.write_readings([(ti, T0 + 1000, 1.0), (ti, T0 + 50_000, 3.0)])
    storage.refresh_rollups(T0)

    storage.write_readings([(ti, T0 + 30_000, -4.0)])  # late, into the same minute
    storage.refresh_rollups(T0 + 30_000)  # since inside the bucket: the whole bucket is recomputed
    storage.refresh_rollups(T0 + 30_000)

    assert rollups(ti, 60) == [(T0, -4.0, 3.0, 0.0, 3)]
    assert rollups(ti, 3600) == [(T0, -4.0, 3.0, 0.0, 3)]


def test_rollups_of_all_tags_when_none_named(world):
    ti, pi = world.tags["TI-101"].id, world.tags["PI-201"].id
    storage.write_readings([(ti, T0, 1.0), (pi, T0 + 2 * MIN, 2.0)])

    storage.refresh_rollups(T0 + MIN)  # only buckets from T0+1min on

    assert rollups(ti, 60) == []
    assert rollups(pi, 60) == [(T0 + 2 * MIN, 2.0, 2.0, 2.0, 1)]
    assert rollups(pi, 3600) == [(T0, 2.0, 2.0, 2.0, 1)]


def test_hour_rollup_sums_minutes_computed_in_earlier_runs(world):
    ti = world.tags["TI-101"].id
    storage.write_readings([(ti, T0, 5.0)])
    storage.refresh_rollups(T0)
    storage.write_readings([(ti, T0 + 30 * MIN, 7.0)])

    storage.refresh_rollups(T0 + 30 * MIN)

    assert rollups(ti, 3600) == [(T0, 5.0, 7.0, 12.0, 2)]


def test_retention_deletes_what_is_older_than_each_setting(world, settings):
    settings.ANQUAN_RETENTION_RAW_DAYS = 2
    settings.ANQUAN_RETENTION_MINUTE_DAYS = 5
    settings.ANQUAN_RETENTION_HOUR_DAYS = 10
    ti = world.tags["TI-101"].id
    now = T0 + 20 * DAY
    storage.write_readings([(ti, now - 3 * DAY, 1.0), (ti, now - 1 * DAY, 2.0)])
    Rollup.objects.bulk_create(
        [
            Rollup(tag_id=ti, period=60, bucket=now - 6 * DAY, min=1, max=1, sum=1, count=1),
            Rollup(tag_id=ti, period=60, bucket=now - 4 * DAY, min=1, max=1, sum=1, count=1),
            Rollup(tag_id=ti, period=3600, bucket=now - 11 * DAY, min=1, max=1, sum=1, count=1),
            Rollup(tag_id=ti, period=3600, bucket=now - 6 * DAY, min=1, max=1, sum=1, count=1),
        ]
    )

    result = storage.apply_retention(now)

    assert result == storage.RetentionResult(readings=1, minute_rollups=1, hour_rollups=1)
    assert readings(ti) == [(now - DAY, 2.0)]
    assert [r[0] for r in rollups(ti, 60)] == [now - 4 * DAY]
    assert [r[0] for r in rollups(ti, 3600)] == [now - 6 * DAY]


@pytest.mark.parametrize("n_tags", [1, storage.TAG_CHUNK + 3])
def test_rollups_and_retention_work_across_tag_chunks(world, n_tags, monkeypatch):
    ti = world.tags["TI-101"].id
    ids = [ti, *range(10_000_000, 10_000_000 + n_tags - 1)]  # readings have no FK constraint
    monkeypatch.setattr(storage, "_all_tag_ids", lambda: ids)
    storage.write_readings([(t, T0, 1.0) for t in ids])

    assert storage.refresh_rollups(T0) == n_tags
    assert storage.apply_retention(T0 + 1000 * DAY).readings == n_tags
