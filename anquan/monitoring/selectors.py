"""Reads of live values, trends and alarms, scoped to what the viewer may see.

Every read narrows its queryset with ``Access.filter`` (monitoring.view unless a caller asks for
another capability), so pages, the API and the live event stream see exactly the same records.
Timestamps of readings are epoch milliseconds (UTC).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.monitoring.alarms import states
from anquan.monitoring.choices import AlarmMode, AlarmState, TagStatus
from anquan.monitoring.kpis import TARGETS
from anquan.monitoring.models import (
    AlarmJournal,
    AlarmOccurrence,
    AlarmPoint,
    AlarmRule,
    EscalationPolicy,
    Reading,
    Rollup,
    TagLive,
)
from anquan.org.access import Access, Paths
from anquan.org.models import Area, Site
from anquan.org.roles import MONITOR_VIEW
from anquan.plant import selectors as plant_selectors
from anquan.plant.choices import AlarmPriority
from anquan.plant.models import Equipment, SensorTag

RULE_PATHS = Paths(site="site", area="area")
POINT_PATHS = Paths(site="rule__site", area="rule__area")
OCCURRENCE_PATHS = Paths(site="site", area="area")
JOURNAL_PATHS = Paths(site="site", area="area")
AREA_PATHS = Paths(site="site", area="pk")
LIVE_PATHS = Paths(site="tag__equipment__area__site", area="tag__equipment__area")

# Priorities from the most to the least urgent, for ordering and for "the worst active alarm".
PRIORITY_RANK = {AlarmPriority.HIGH.value: 3, AlarmPriority.MEDIUM.value: 2, AlarmPriority.LOW.value: 1}

# An alarm active longer than this is a standing (stale) alarm — EEMUA 191 §6.4 / ISA-18.2 §16.
STANDING_AFTER = timedelta(milliseconds=TARGETS.stale_after_ms)  # EEMUA 191: more than 24 h

# The console's journal tab and the occurrence timeline show at most this many entries.
JOURNAL_LIMIT = 200


# --- Places ---------------------------------------------------------------------------------
def sites(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[Site]:
    """Sites in which ``capability`` reaches something the viewer may see."""
    return plant_selectors.sites(viewer, capability).order_by("name")


def areas(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[Area]:
    return Access.of(viewer).filter(Area.objects.select_related("site"), capability, AREA_PATHS)


def area_ids(viewer: Any, capability: str = MONITOR_VIEW) -> frozenset[int] | None:
    """The ids of the areas ``capability`` reaches (None: every area — a superuser).

    Every monitoring record belongs to an area, so this set is the viewer's whole scope; the live
    event stream filters journal rows with it in memory."""
    if Access.of(viewer).is_superuser:
        return None
    return frozenset(areas(viewer, capability).values_list("pk", flat=True))


def equipment(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[Equipment]:
    return plant_selectors.equipment(viewer, capability)


def tags(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[SensorTag]:
    return plant_selectors.tags(viewer, capability)


# --- Rules and their points ------------------------------------------------------------------
def rules(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[AlarmRule]:
    qs = AlarmRule.objects.select_related("site", "area", "tag__equipment", "point", "point__mode_by")
    return Access.of(viewer).filter(qs, capability, RULE_PATHS)


def points(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[AlarmPoint]:
    qs = AlarmPoint.objects.select_related(
        "rule__site", "rule__area", "rule__tag__equipment", "mode_by", "occurrence"
    )
    return Access.of(viewer).filter(qs, capability, POINT_PATHS)


def shelved(viewer: Any) -> QuerySet[AlarmPoint]:
    """Points an operator has shelved, the soonest to return first."""
    return points(viewer).filter(mode=AlarmMode.SHELVED).order_by("shelved_until", "rule__name")


def suppressed(viewer: Any) -> QuerySet[AlarmPoint]:
    """Points suppressed by design (equipment not in service) or removed from service."""
    return (
        points(viewer)
        .filter(mode__in=[AlarmMode.SUPPRESSED, AlarmMode.OUT_OF_SERVICE])
        .order_by("mode", "rule__area__code", "rule__name")
    )


def escalation_policy(site: Site) -> EscalationPolicy | None:
    """The site's escalation policy (the caller has already checked that it may see the site)."""
    return EscalationPolicy.objects.filter(site=site).first()


# --- Occurrences -----------------------------------------------------------------------------
def occurrences(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[AlarmOccurrence]:
    qs = AlarmOccurrence.objects.select_related(
        "site", "area", "rule__tag__equipment", "rule__point", "acked_by"
    )
    return Access.of(viewer).filter(qs, capability, OCCURRENCE_PATHS)


def _priority_rank() -> Case:
    return Case(
        *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


STATE_FILTERS: dict[str, Q] = {
    AlarmState.UNACK: Q(acked_at__isnull=True, returned_at__isnull=True),
    AlarmState.RTN_UNACK: Q(acked_at__isnull=True, returned_at__isnull=False),
    AlarmState.ACKED: Q(acked_at__isnull=False, returned_at__isnull=True),
}
ANNUNCIATED_STATES = tuple(STATE_FILTERS)


def annunciated(
    viewer: Any,
    *,
    site: int | None = None,
    area: int | None = None,
    priority: str | None = None,
    state: str | None = None,
) -> QuerySet[AlarmOccurrence]:
    """The alarm list of the console: occurrences not yet cleared whose point is in service.

    Unacknowledged first (active before returned), then by priority (high first), newest first.
    Shelved, suppressed and out-of-service points are listed on their own tabs instead.
    """
    qs = (
        occurrences(viewer)
        .filter(cleared_at__isnull=True)
        .exclude(rule__point__mode__in=[AlarmMode.SHELVED, AlarmMode.SUPPRESSED, AlarmMode.OUT_OF_SERVICE])
    )
    if site:
        qs = qs.filter(site_id=site)
    if area:
        qs = qs.filter(area_id=area)
    if priority in PRIORITY_RANK:
        qs = qs.filter(priority=priority)
    if state in STATE_FILTERS:
        qs = qs.filter(STATE_FILTERS[state])
    unack_rank = Case(
        When(STATE_FILTERS[AlarmState.UNACK], then=Value(0)),
        When(STATE_FILTERS[AlarmState.RTN_UNACK], then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(unack_rank=unack_rank, priority_rank=_priority_rank()).order_by(
        "unack_rank", "-priority_rank", "-raised_at", "-pk"
    )


def active(viewer: Any) -> QuerySet[AlarmOccurrence]:
    """Alarms whose condition is still present (not returned to normal) and whose point is in service."""
    return annunciated(viewer).filter(returned_at__isnull=True)


def standing(viewer: Any, now: Any = None) -> QuerySet[AlarmOccurrence]:
    """Alarms active for longer than ``STANDING_AFTER`` (24 h)."""
    now = now or timezone.now()
    return active(viewer).filter(raised_at__lt=now - STANDING_AFTER)


def occurrence_state(occurrence: AlarmOccurrence) -> str:
    """The ISA-18.2 state of an occurrence by its own timestamps (its point's mode aside)."""
    return states.occurrence_state(occurrence).value


# --- Journal -------------------------------------------------------------------------------
def journal(
    viewer: Any,
    *,
    site: int | None = None,
    area: int | None = None,
    occurrence: int | None = None,
    rule: int | None = None,
    after_id: int | None = None,
) -> QuerySet[AlarmJournal]:
    """Alarm transitions and operator actions, newest first (``after_id``: only rows after it)."""
    qs = AlarmJournal.objects.select_related("rule", "occurrence", "area", "site", "user")
    qs = Access.of(viewer).filter(qs, MONITOR_VIEW, JOURNAL_PATHS)
    if site:
        qs = qs.filter(site_id=site)
    if area:
        qs = qs.filter(area_id=area)
    if occurrence:
        qs = qs.filter(occurrence_id=occurrence)
    if rule:
        qs = qs.filter(rule_id=rule)
    if after_id is not None:
        qs = qs.filter(pk__gt=after_id)
    return qs.order_by("-pk")


# --- Live values -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveValue:
    """A tag with its latest value and data health (status ``no_data`` before its first reading)."""

    tag: SensorTag
    ts: int | None
    value: float | None
    status: str
    status_since: int | None


def live_values(
    viewer: Any,
    *,
    site: int | None = None,
    area: int | None = None,
    equipment: int | None = None,
    tag_ids: Iterable[int] | None = None,
) -> list[LiveValue]:
    """The latest value of every tag in scope (of a site, area or one equipment), by tag code."""
    qs = tags(viewer)
    if site:
        qs = qs.filter(site_id=site)
    if area:
        qs = qs.filter(equipment__area_id=area)
    if equipment:
        qs = qs.filter(equipment_id=equipment)
    if tag_ids is not None:
        qs = qs.filter(pk__in=list(tag_ids))
    tag_list = list(qs.order_by("tag"))
    live = {row.tag_id: row for row in TagLive.objects.filter(tag_id__in=[t.pk for t in tag_list])}
    out = []
    for tag in tag_list:
        row = live.get(tag.pk)
        out.append(
            LiveValue(
                tag=tag,
                ts=row.ts if row else None,
                value=row.value if row else None,
                status=row.status if row else TagStatus.NO_DATA,
                status_since=row.status_since if row else None,
            )
        )
    return out


def readings_since(
    tag_ids: Iterable[int], after_ms: dict[int, int], limit: int = 600
) -> dict[int, list[list[Any]]]:
    """Raw readings newer than ``after_ms[tag]`` for each tag (the caller has scoped the tags).

    At most ``limit`` per tag, the newest ones, in time order — what a live chart appends."""
    out: dict[int, list[list[Any]]] = {}
    for tag_id in tag_ids:
        after = after_ms.get(tag_id)
        if after is None:
            continue
        rows = list(
            Reading.objects.filter(tag_id=tag_id, ts__gt=after)
            .order_by("-ts")
            .values_list("ts", "value")[:limit]
        )
        out[tag_id] = [[ts, value] for ts, value in reversed(rows)]
    return out


# --- Trends ---------------------------------------------------------------------------------
RAW = "raw"
MINUTE = "minute"
HOUR = "hour"
PERIODS = {MINUTE: 60, HOUR: 3600}

# Raw readings for windows up to this long (and at most RAW_MAX_POINTS expected samples); minute
# rollups up to MINUTE_MAX_WINDOW_MS (~2 days, 2 880 points); hourly rollups beyond.
RAW_MAX_WINDOW_MS = 6 * 3600 * 1000
RAW_MAX_POINTS = 5000
MINUTE_MAX_WINDOW_MS = 2 * 24 * 3600 * 1000
# The longest window a trend may ask for (ten years of hourly rollups is 87 600 points).
MAX_WINDOW_MS = 3650 * 24 * 3600 * 1000
# Timestamps beyond this are refused (JavaScript's largest exact integer).
MAX_TS = 2**53
# The window of a trend that names neither end: the last hour.
DEFAULT_WINDOW_MS = 3600 * 1000


@dataclass
class Trend:
    tag_id: int
    start: int
    end: int
    resolution: str  # raw | minute | hour
    points: list[list[Any]] = field(default_factory=list)  # [ts, value] or [ts, min, avg, max]

    @property
    def period(self) -> int | None:
        return PERIODS.get(self.resolution)


def now_ms() -> int:
    return int(time.time() * 1000)


def resolution_for(start_ms: int, end_ms: int, sample_interval_s: int = 10, now: int | None = None) -> str:
    """The resolution a chart of [start, end) needs: raw readings for short recent windows, minute
    rollups for up to two days, hourly beyond — and the coarser one when the finer data is past
    its retention (``ANQUAN_RETENTION_*_DAYS``)."""
    now = now_ms() if now is None else now
    window = max(0, end_ms - start_ms)
    raw_kept_from = now - settings.ANQUAN_RETENTION_RAW_DAYS * 86_400_000
    minute_kept_from = now - settings.ANQUAN_RETENTION_MINUTE_DAYS * 86_400_000
    expected = window / (max(sample_interval_s, 1) * 1000)
    if window <= RAW_MAX_WINDOW_MS and expected <= RAW_MAX_POINTS and start_ms >= raw_kept_from:
        return RAW
    if window <= MINUTE_MAX_WINDOW_MS and start_ms >= minute_kept_from:
        return MINUTE
    return HOUR


def trend_window(start: int | None, end: int | None) -> tuple[int, int]:
    """The [start, end] of a trend request (a missing end: now; a missing start: an hour before the
    end); ValidationError when it is empty, reversed, too long or out of range."""
    end = now_ms() if end is None else end
    start = end - DEFAULT_WINDOW_MS if start is None else start
    if not (0 <= start <= MAX_TS and 0 <= end <= MAX_TS):
        raise ValidationError({"end": _("时间戳超出范围。")})
    if start >= end:
        raise ValidationError({"start": _("开始时间必须早于结束时间。")})
    if end - start > MAX_WINDOW_MS:
        raise ValidationError({"start": _("时间范围最长为 10 年。")})
    return start, end


def trend(tag: SensorTag, start_ms: int, end_ms: int, resolution: str | None = None) -> Trend:
    """The trend of ``tag`` (already scoped by the caller) over [start, end] at ``resolution``
    (chosen by the window when not given)."""
    resolution = resolution or resolution_for(start_ms, end_ms, tag.sample_interval_s)
    out = Trend(tag_id=tag.pk, start=start_ms, end=end_ms, resolution=resolution)
    if resolution == RAW:
        rows = Reading.objects.filter(tag_id=tag.pk, ts__gte=start_ms, ts__lte=end_ms).order_by("ts")
        out.points = [[ts, value] for ts, value in rows.values_list("ts", "value")]
        return out
    period = PERIODS[resolution]
    first_bucket = start_ms - start_ms % (period * 1000)
    buckets = Rollup.objects.filter(
        tag_id=tag.pk, period=period, bucket__gte=first_bucket, bucket__lte=end_ms
    ).order_by("bucket")
    out.points = [
        [bucket, lo, (total / count) if count else None, hi]
        for bucket, lo, hi, total, count in buckets.values_list("bucket", "min", "max", "sum", "count")
    ]
    return out


# --- The site overview -----------------------------------------------------------------------
@dataclass
class AlarmSummary:
    """Alarm counts of an area (or equipment): active ones, unacknowledged ones and the worst priority."""

    active: int = 0
    unack: int = 0
    worst: str | None = None  # the highest priority among the active alarms

    def add(self, priority: str, is_active: bool, is_unack: bool) -> None:
        if is_unack:
            self.unack += 1
        if is_active:
            self.active += 1
            if self.worst is None or PRIORITY_RANK.get(priority, 0) > PRIORITY_RANK.get(self.worst, 0):
                self.worst = priority


def alarm_summary(viewer: Any, site: int) -> tuple[dict[int, AlarmSummary], dict[int, AlarmSummary]]:
    """Per area and per equipment of ``site``: the annunciated alarms the viewer sees."""
    by_area: dict[int, AlarmSummary] = defaultdict(AlarmSummary)
    by_equipment: dict[int, AlarmSummary] = defaultdict(AlarmSummary)
    rows = annunciated(viewer, site=site).values_list(
        "area_id", "rule__tag__equipment_id", "priority", "returned_at", "acked_at"
    )
    for area_id, equipment_id, priority, returned_at, acked_at in rows:
        is_active, is_unack = returned_at is None, acked_at is None
        by_area[area_id].add(priority, is_active, is_unack)
        if equipment_id is not None:
            by_equipment[equipment_id].add(priority, is_active, is_unack)
    return dict(by_area), dict(by_equipment)


def tag_alarms(viewer: Any, tag_ids: Iterable[int]) -> dict[int, list[AlarmOccurrence]]:
    """The annunciated alarms of each tag (by the rule's own tag), most urgent first."""
    out: dict[int, list[AlarmOccurrence]] = defaultdict(list)
    for occ in annunciated(viewer).filter(rule__tag_id__in=list(tag_ids)):
        assert occ.rule.tag_id is not None
        out[occ.rule.tag_id].append(occ)
    return dict(out)
