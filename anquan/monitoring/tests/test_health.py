"""Tag health from the live values: no data, stale, out of range, flatline, ok."""

from __future__ import annotations

from anquan.monitoring import storage
from anquan.monitoring.choices import TagStatus
from anquan.monitoring.health import classify, refresh_health
from anquan.monitoring.models import TagLive

T0 = 1_764_300_000_000


def status(tag_id: int) -> tuple[str, int | None]:
    row = TagLive.objects.get(tag_id=tag_id)
    return row.status, row.status_since


def test_classify_covers_every_status(settings):
    settings.ANQUAN_TAG_STALE_INTERVALS = 3
    settings.ANQUAN_TAG_FLATLINE_INTERVALS = 10
    base = {"range_low": 0.0, "range_high": 100.0, "interval_s": 10}

    assert classify(now_ms=T0, ts=None, value=None, changed_ts=None, **base) == (TagStatus.NO_DATA, T0)
    assert classify(now_ms=T0, ts=T0 - 5000, value=50.0, changed_ts=T0 - 5000, **base) == (TagStatus.OK, T0)
    # stale after 3 × 10 s without data; since the moment it became stale
    assert classify(now_ms=T0, ts=T0 - 30_000, value=50.0, changed_ts=T0 - 30_000, **base)[0] == TagStatus.OK
    assert classify(now_ms=T0, ts=T0 - 30_001, value=50.0, changed_ts=T0 - 40_000, **base) == (
        TagStatus.STALE,
        T0 - 1,
    )
    # out of range: the latest value outside the instrument range, since that reading
    assert classify(now_ms=T0, ts=T0 - 1000, value=100.5, changed_ts=T0 - 1000, **base) == (
        TagStatus.OUT_OF_RANGE,
        T0 - 1000,
    )
    assert (
        classify(now_ms=T0, ts=T0 - 1000, value=-0.1, changed_ts=T0 - 1000, **base)[0]
        == TagStatus.OUT_OF_RANGE
    )
    assert (
        classify(now_ms=T0, ts=T0, value=100.0, changed_ts=T0, **base)[0] == TagStatus.OK
    )  # the bound is inside
    # flatline: unchanged for 10 intervals (100 s) while data keeps coming
    assert classify(now_ms=T0, ts=T0, value=50.0, changed_ts=T0 - 99_999, **base)[0] == TagStatus.OK
    assert classify(now_ms=T0, ts=T0, value=50.0, changed_ts=T0 - 100_000, **base) == (TagStatus.FLATLINE, T0)
    # stale wins over the rest: an old value says nothing about now
    assert (
        classify(now_ms=T0, ts=T0 - 60_000, value=500.0, changed_ts=T0 - 999_000, **base)[0]
        == TagStatus.STALE
    )


def test_refresh_health_creates_missing_rows_and_writes_only_changes(world, settings):
    settings.ANQUAN_TAG_STALE_INTERVALS = 3
    settings.ANQUAN_TAG_FLATLINE_INTERVALS = 360
    ti, pi, li = (world.tags[c] for c in ("TI-101", "PI-201", "LI-901"))
    assert ti.sample_interval_s == 10

    assert refresh_health(T0) == 3  # three rows created, no data yet
    assert status(ti.id) == ("no_data", T0)

    storage.update_live([(ti.id, T0 + 1000, 20.0), (pi.id, T0 + 1000, 3.0)])  # PI-201 range is 0..2.5
    assert refresh_health(T0 + 2000) == 2
    assert status(ti.id) == ("ok", T0 + 2000)
    assert status(pi.id) == ("out_of_range", T0 + 1000)
    assert status(li.id) == ("no_data", T0)

    assert refresh_health(T0 + 3000) == 0  # nothing changed, nothing written
    assert status(ti.id) == ("ok", T0 + 2000)

    assert refresh_health(T0 + 1000 + 30_001) == 2  # 3 × 10 s without data: stale
    assert status(ti.id) == ("stale", T0 + 1000 + 30_000)
    assert status(pi.id) == ("stale", T0 + 1000 + 30_000)


def test_refresh_health_sees_a_stuck_value(world, settings):
    settings.ANQUAN_TAG_FLATLINE_INTERVALS = 6  # one minute at 10 s
    ti = world.tags["TI-101"].id
    storage.update_live([(ti, T0 + i * 10_000, 21.5) for i in range(7)])

    refresh_health(T0 + 60_000)

    assert status(ti) == ("flatline", T0 + 60_000)

    storage.update_live([(ti, T0 + 70_000, 21.6)])
    refresh_health(T0 + 70_000)
    assert status(ti) == ("ok", T0 + 70_000)


def test_refresh_health_of_one_site_leaves_the_others(world):
    refresh_health(T0, site_ids=[world.site_b.id])

    assert set(TagLive.objects.values_list("tag_id", flat=True)) == {world.tags["LI-901"].id}
