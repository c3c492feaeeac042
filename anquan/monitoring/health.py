"""Tag health: is each tag's data arriving, moving and inside the instrument's range?

Derived from :class:`~anquan.monitoring.models.TagLive` (latest ts/value, when the value last changed)
and the tag's configuration, so every stream worker's data counts, whichever worker received it:

- ``no_data``       nothing received yet;
- ``stale``         nothing for ANQUAN_TAG_STALE_INTERVALS × the tag's expected sample interval;
- ``out_of_range``  the latest value the instrument sent lies outside range_low..range_high (the pipeline
                    refuses such readings for storage but still moves the live value, so this is seen);
- ``flatline``      the value has not changed for ANQUAN_TAG_FLATLINE_INTERVALS intervals (a stuck sensor);
- ``ok``            otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from anquan.monitoring.choices import TagStatus
from anquan.monitoring.models import TagLive
from anquan.plant.models import SensorTag


def classify(
    *,
    now_ms: int,
    ts: int | None,
    value: float | None,
    changed_ts: int | None,
    range_low: float,
    range_high: float,
    interval_s: int,
) -> tuple[TagStatus, int]:
    """The status of one tag and since when it holds (epoch ms)."""
    if ts is None or value is None:
        return TagStatus.NO_DATA, now_ms
    interval_ms = max(interval_s, 1) * 1000
    stale_after = settings.ANQUAN_TAG_STALE_INTERVALS * interval_ms
    if now_ms - ts > stale_after:
        return TagStatus.STALE, ts + stale_after
    if value < range_low or value > range_high:
        return TagStatus.OUT_OF_RANGE, ts
    flat_after = settings.ANQUAN_TAG_FLATLINE_INTERVALS * interval_ms
    if changed_ts is not None and ts - changed_ts >= flat_after:
        return TagStatus.FLATLINE, changed_ts + flat_after
    return TagStatus.OK, now_ms


def refresh_health(now_ms: int, site_ids: Iterable[int] | None = None) -> int:
    """Bring every tag's ``TagLive.status``/``status_since`` up to date (of the given sites, or all).

    A tag without a live row gets one (``no_data``). Writes only the rows whose status changed, in
    bulk; never touches the latest value, so it can run beside the stream's writes. Returns the
    number of tags whose status changed."""
    tags = SensorTag.objects.all()
    if site_ids is not None:
        tags = tags.filter(site_id__in=list(site_ids))
    rows = tags.values_list(
        "id",
        "range_low",
        "range_high",
        "sample_interval_s",
        "live__ts",
        "live__value",
        "live__changed_ts",
        "live__status",
    )
    missing: list[TagLive] = []
    changed: list[tuple[str, int | None, int]] = []
    for tag_id, low, high, interval_s, ts, value, changed_ts, status in rows.iterator(chunk_size=2000):
        new, since = classify(
            now_ms=now_ms,
            ts=ts,
            value=value,
            changed_ts=changed_ts,
            range_low=float(low),
            range_high=float(high),
            interval_s=interval_s,
        )
        if status is None:
            missing.append(TagLive(tag_id=tag_id, status=new, status_since=since))
        elif status != new:
            changed.append((new, since, tag_id))
    with transaction.atomic():
        if missing:
            TagLive.objects.bulk_create(missing, ignore_conflicts=True, batch_size=1000)
        if changed:  # one prepared UPDATE per row: cheaper than bulk_update's CASE over many rows
            table = TagLive._meta.db_table
            with connection.cursor() as cur:
                cur.executemany(
                    f"UPDATE {table} SET status = %s, status_since = %s WHERE tag_id = %s", changed
                )
    return len(changed) + len(missing)
