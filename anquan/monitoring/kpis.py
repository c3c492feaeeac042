"""Alarm-system performance KPIs of an operator area or a site (EEMUA 191, ISA-18.2 / IEC 62682).

Two layers:

* pure functions over activation timestamps (epoch milliseconds, plain Python, no database):
  bucket counts, rate summary, flood periods with hysteresis, time in flood, chattering episodes,
  stale alarms, top-N bad actors, priority mix, time to acknowledge;
* ``area_report`` / ``site_report``, which read the alarm tables (AlarmJournal, AlarmOccurrence,
  AlarmPoint, AlarmRule) for the given areas over a window ending now and feed them through the
  pure functions. Callers pass only the areas the viewer may see (``monitoring.view``).

What counts as one alarm: an ``activated`` row of the alarm journal that carries its occurrence —
one annunciation, with the occurrence's priority. Activations journaled while a point was shelved,
suppressed or out of service have no occurrence: they were not annunciated and are not counted.

Windows (all closed, so "3 in 60 s" counts three activations spanning exactly 60 s):

* **Flood** (per area). Let N(t) be the number of activations in the 10 minutes before and at t.
  A flood is entered when N(t) > 10, i.e. at the 11th activation that lies within 10 minutes of the
  first of them; the flood period is reported from that first activation (but never before the end
  of the previous flood). It ends at the first instant after which fewer than 5 activations remain
  in the trailing 10 minutes — the moment ``a + 10 min`` at which an old activation ``a`` drops out
  and leaves 4 or fewer. Between 5 and 10 the flood continues (hysteresis). A flood still running
  at the end of the window has no end (``end_ms=None``) and is counted to the window's end. The
  ``count`` of a flood is the activations in ``[start, end)``. Activations from
  ``FLOOD_LOOKBACK_MS`` (6 h) before the window are read so that a flood already running at the
  window's start is seen; time before the window's start is not counted.
* **Chattering**: one rule with ≥ 3 activations within 60 s. An episode is a maximal run of the
  rule's activations that each belong to such a group, with consecutive activations ≤ 60 s apart.
* **Stale**: an alarm whose condition has been active for more than 24 h (strictly).
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any, TypeVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anquan.monitoring.choices import AlarmMode, JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule
from anquan.monitoring.services import MAX_SHELVE_MINUTES
from anquan.org.access import Access, place_of_area
from anquan.org.models import Area
from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_OPERATE
from anquan.plant.choices import AlarmPriority

K = TypeVar("K", bound=Hashable)

SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class KpiTargets:
    """Alarm-system performance targets, each with its source.

    Sources: EEMUA Publication 191 "Alarm systems — a guide to design, management and procurement"
    (3rd ed., 2013); ANSI/ISA-18.2-2016 "Management of alarm systems for the process industries"
    (identical in substance: IEC 62682:2014), clause 16, the recommended alarm performance metrics
    (assessed over at least 30 days of data, per operator position).
    """

    # Average alarm rate per operator position. EEMUA 191 / ISA-18.2: ~1 alarm per 10 minutes is
    # "very likely to be acceptable" (~6/h, ~150/day), ~2 per 10 minutes is the "maximum manageable"
    # (~12/h, ~300/day).
    rate_interval_ms: int = 10 * MINUTE_MS
    acceptable_per_interval: float = 1.0
    manageable_per_interval: float = 2.0
    # ISA-18.2: the maximum number of alarms in any 10-minute period should be ≤ 10.
    peak_per_interval_max: int = 10

    # Alarm flood. ISA-18.2 / EEMUA 191: a flood begins at more than 10 alarms in 10 minutes and
    # ends when the rate falls below 5 alarms in 10 minutes. ISA-18.2 target: ~< 1 % of the time.
    flood_window_ms: int = 10 * MINUTE_MS
    flood_start_above: int = 10
    flood_end_below: int = 5
    flood_time_max: float = 0.01

    # Chattering alarms. ISA-TR18.2.5 rule of thumb: 3 or more activations of one alarm within
    # 1 minute. ISA-18.2 target: zero chattering alarms.
    chatter_window_ms: int = MINUTE_MS
    chatter_activations: int = 3
    chattering_max: int = 0

    # Stale alarms. ISA-18.2: an alarm continuously in alarm for more than 24 hours; target: fewer
    # than 5 present on any day.
    stale_after_ms: int = 24 * HOUR_MS
    stale_per_day_below: int = 5

    # Annunciated priority distribution with three priorities. ISA-18.2 / EEMUA 191:
    # ~80 % low, ~15 % medium, ~5 % high.
    priority_mix: tuple[tuple[str, float], ...] = (
        (AlarmPriority.LOW.value, 0.80),
        (AlarmPriority.MEDIUM.value, 0.15),
        (AlarmPriority.HIGH.value, 0.05),
    )

    # Bad actors. ISA-18.2: the 10 most frequent alarms should carry ~< 1 % and at most 5 % of the
    # alarm load.
    top_n: int = 10
    top_share_good: float = 0.01
    top_share_max: float = 0.05

    # Unauthorised suppression. ISA-18.2: zero alarms suppressed outside controlled or approved
    # methods (here: shelving with a reason, by a person allowed to operate, within the time limit;
    # removal from service with a reason, by a person allowed to configure).
    unauthorised_max: int = 0
    # The longest a shelve may last: the product's limit (monitoring.services.MAX_SHELVE_MINUTES),
    # not a figure from the standards; a shelve longer than this is flagged.
    max_shelve_ms: int = MAX_SHELVE_MINUTES * MINUTE_MS

    @property
    def acceptable_per_hour(self) -> float:
        return self.acceptable_per_interval * HOUR_MS / self.rate_interval_ms

    @property
    def manageable_per_hour(self) -> float:
        return self.manageable_per_interval * HOUR_MS / self.rate_interval_ms

    @property
    def acceptable_per_day(self) -> float:
        return self.acceptable_per_interval * DAY_MS / self.rate_interval_ms

    @property
    def manageable_per_day(self) -> float:
        return self.manageable_per_interval * DAY_MS / self.rate_interval_ms


TARGETS = KpiTargets()

# Windows offered on the KPI page, in days; the default one.
WINDOW_DAYS = (1, 7, 30)
DEFAULT_DAYS = 7
# How far before a window the journal is read so that a flood already running at its start is seen.
FLOOD_LOOKBACK_MS = 6 * HOUR_MS
# Longest lists handed to a page (the counts are always complete).
LIST_LIMIT = 100


# --- time ----------------------------------------------------------------------------------------
def to_ms(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def regular_edges(start_ms: int, end_ms: int, size_ms: int, offset_ms: int = 0) -> list[int]:
    """Bucket boundaries of ``size_ms`` covering [start, end], aligned to local time (``offset_ms``
    is the zone's offset from UTC); the last boundary lies after ``end_ms``."""
    first = start_ms - (start_ms + offset_ms) % size_ms
    last = end_ms - (end_ms + offset_ms) % size_ms + size_ms
    return list(range(first, last + 1, size_ms))


def local_day_edges(start_ms: int, end_ms: int, zone: tzinfo) -> list[int]:
    """Local midnights from the one at or before ``start_ms`` to the first one after ``end_ms``."""
    day = from_ms(start_ms).astimezone(zone).date()
    edges: list[int] = []
    while True:
        midnight = to_ms(datetime(day.year, day.month, day.day, tzinfo=zone))
        edges.append(midnight)
        if midnight > end_ms:
            return edges
        day += timedelta(days=1)


def histogram(ts: Sequence[int], edges: Sequence[int]) -> list[int]:
    """Counts of sorted ``ts`` in each bucket ``[edges[i], edges[i + 1])``."""
    marks = [bisect_left(ts, edge) for edge in edges]
    return [b - a for a, b in pairwise(marks)]


# --- rates -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateSummary:
    total: int
    per_interval: float  # average per 10 minutes
    per_hour: float
    per_day: float
    peak_interval: int  # busiest fixed 10-minute interval
    intervals_over_flood: float  # share of 10-minute intervals with more than 10 alarms


def rate_summary(ts: Sequence[int], start_ms: int, end_ms: int, targets: KpiTargets = TARGETS) -> RateSummary:
    """Averages over the window's exact length; peak over 10-minute intervals aligned to the clock."""
    inside = [t for t in ts if start_ms <= t <= end_ms]
    inside.sort()
    duration = max(end_ms - start_ms, 1)
    counts = histogram(inside, regular_edges(start_ms, end_ms, targets.rate_interval_ms))
    over = sum(1 for c in counts if c > targets.flood_start_above)
    return RateSummary(
        total=len(inside),
        per_interval=len(inside) * targets.rate_interval_ms / duration,
        per_hour=len(inside) * HOUR_MS / duration,
        per_day=len(inside) * DAY_MS / duration,
        peak_interval=max(counts, default=0),
        intervals_over_flood=over / len(counts) if counts else 0.0,
    )


def grade_rate(per_interval: float, targets: KpiTargets = TARGETS) -> str:
    """ "ok" up to the acceptable rate, "warn" up to the maximum manageable, "bad" above."""
    if per_interval <= targets.acceptable_per_interval:
        return "ok"
    if per_interval <= targets.manageable_per_interval:
        return "warn"
    return "bad"


# --- floods ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FloodPeriod:
    start_ms: int
    end_ms: int | None  # None: still in flood at the end of the window
    count: int  # activations in [start, end)
    peak: int  # most activations within any 10 minutes during the flood
    area_id: int | None = None


def flood_periods(ts: Iterable[int], *, until_ms: int, targets: KpiTargets = TARGETS) -> list[FloodPeriod]:
    """Flood periods of one operator area's activations (see the module docstring for the rule)."""
    times = sorted(t for t in ts if t <= until_ms)
    n = len(times)
    window = targets.flood_window_ms
    above = targets.flood_start_above
    periods: list[FloodPeriod] = []
    previous_end: int | None = None
    j = above  # index of the activation that would be the (above + 1)-th within the window
    while j < n:
        first = times[j - above]
        if times[j] - first > window or (previous_end is not None and times[j] < previous_end):
            j += 1
            continue
        start = first if previous_end is None else max(first, previous_end)
        # The count only falls when an activation leaves the window, at a + window; the flood ends at
        # the first such instant after which fewer than `flood_end_below` remain.
        k = bisect_left(times, times[j] - window)
        end = times[-1] + window
        while k < n:
            leaving = times[k]
            after = bisect_right(times, leaving)  # activations at the same instant leave together
            instant = leaving + window
            if bisect_right(times, instant) - after < targets.flood_end_below:
                end = instant
                break
            k = after
        lo, hi = bisect_left(times, start), bisect_left(times, end)
        peak = max((i - bisect_left(times, times[i] - window) + 1 for i in range(lo, hi)), default=0)
        periods.append(FloodPeriod(start, end if end <= until_ms else None, hi - lo, peak))
        previous_end = end
        j = max(j + 1, hi)
    return periods


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def flood_intervals(periods: Iterable[FloodPeriod], start_ms: int, end_ms: int) -> list[tuple[int, int]]:
    """The floods clipped to [start, end] (an open flood runs to ``end_ms``), merged."""
    clipped = []
    for p in periods:
        s, e = max(p.start_ms, start_ms), min(end_ms if p.end_ms is None else p.end_ms, end_ms)
        if e > s:
            clipped.append((s, e))
    return merge_intervals(clipped)


def time_in_flood(periods: Iterable[FloodPeriod], start_ms: int, end_ms: int) -> float:
    """Share of [start, end] spent in flood (floods of several areas overlapping count once)."""
    if end_ms <= start_ms:
        return 0.0
    return sum(e - s for s, e in flood_intervals(periods, start_ms, end_ms)) / (end_ms - start_ms)


# --- chattering --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChatterEpisode:
    start_ms: int
    end_ms: int
    count: int

    @property
    def start(self) -> datetime:
        return from_ms(self.start_ms)

    @property
    def end(self) -> datetime:
        return from_ms(self.end_ms)


def chatter_episodes(ts: Iterable[int], targets: KpiTargets = TARGETS) -> list[ChatterEpisode]:
    """Episodes of one rule's activations with ≥ 3 within 60 s (closed window)."""
    times = sorted(ts)
    size, window = targets.chatter_activations, targets.chatter_window_ms
    marked = [False] * len(times)
    for i in range(len(times) - size + 1):
        if times[i + size - 1] - times[i] <= window:
            for m in range(i, i + size):
                marked[m] = True
    episodes: list[ChatterEpisode] = []
    run: list[int] = []
    for i, t in enumerate(times):
        if marked[i] and run and t - run[-1] <= window:
            run.append(t)
            continue
        if len(run) >= size:
            episodes.append(ChatterEpisode(run[0], run[-1], len(run)))
        run = [t] if marked[i] else []
    if len(run) >= size:
        episodes.append(ChatterEpisode(run[0], run[-1], len(run)))
    return episodes


# --- stale ---------------------------------------------------------------------------------------------
def is_stale(raised_ms: int, returned_ms: int | None, now_ms: int, targets: KpiTargets = TARGETS) -> bool:
    """Active (not returned by ``now``) for more than 24 h."""
    active = returned_ms is None or returned_ms > now_ms
    return active and now_ms - raised_ms > targets.stale_after_ms


def stale_per_day(
    intervals: Iterable[tuple[int, int | None]],
    edges: Sequence[int],
    *,
    until_ms: int,
    targets: KpiTargets = TARGETS,
) -> list[int]:
    """For each day [edges[i], edges[i+1]) (cut at ``until_ms``): how many alarms were stale at some
    moment of it. An alarm raised at r and returned at e (None: still active) is stale on (r + 24 h, e)."""
    spans = [(r + targets.stale_after_ms, e) for r, e in intervals]
    spans = [(s, e) for s, e in spans if e is None or e > s]
    counts = []
    for d0, d1 in pairwise(edges):
        d1 = min(d1, until_ms)
        counts.append(sum(1 for s, e in spans if s < d1 and (e is None or e > d0)) if d1 > d0 else 0)
    return counts


# --- load shares -----------------------------------------------------------------------------------------
def top_contributors(
    counts: Mapping[K, int], n: int = TARGETS.top_n
) -> tuple[list[tuple[K, int, float]], float]:
    """The ``n`` biggest contributors (ties by key) with their shares, and their combined share."""
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    rows = [(key, count, count / total if total else 0.0) for key, count in ranked]
    return rows, (sum(c for _k, c, _s in rows) / total if total else 0.0)


@dataclass(frozen=True)
class PriorityShare:
    priority: str
    label: str
    count: int
    share: float
    target: float


def priority_mix(counts: Mapping[str, int], targets: KpiTargets = TARGETS) -> list[PriorityShare]:
    total = sum(counts.values())
    labels = dict(AlarmPriority.choices)
    return [
        PriorityShare(
            p, str(labels.get(p, p)), counts.get(p, 0), counts.get(p, 0) / total if total else 0.0, target
        )
        for p, target in targets.priority_mix
    ]


@dataclass(frozen=True)
class AckSummary:
    raised: int
    acked: int
    mean_s: float | None
    median_s: float | None


def ack_summary(pairs: Iterable[tuple[int, int | None]]) -> AckSummary:
    """Time from raise to acknowledgement over alarms raised in the window (unacked ones counted only)."""
    raised = 0
    waits: list[float] = []
    for raised_ms, acked_ms in pairs:
        raised += 1
        if acked_ms is not None:
            waits.append(max(acked_ms - raised_ms, 0) / SECOND_MS)
    return AckSummary(
        raised,
        len(waits),
        statistics.fmean(waits) if waits else None,
        statistics.median(waits) if waits else None,
    )


# --- reports from the database ------------------------------------------------------------------------
SUPPRESSION_PROBLEMS = {
    "no_reason": _("未填写原因"),
    "unknown_user": _("操作人不明"),
    "not_permitted": _("操作人无此权限"),
    "no_limit": _("搁置未设期限"),
    "too_long": _("搁置超过最长时限"),
    "expired": _("搁置已到期仍未解除"),
}


@dataclass(frozen=True)
class Suppression:
    """A shelve or removal from service outside the approved method."""

    rule: AlarmRule
    action: str  # AlarmMode.SHELVED or AlarmMode.OUT_OF_SERVICE
    at: datetime | None
    user: Any
    reason: str
    problems: tuple[str, ...]  # keys of SUPPRESSION_PROBLEMS
    current: bool  # the point is in that mode now (else: a past action in the window)
    until: datetime | None = None

    @property
    def action_label(self) -> str:
        return str(AlarmMode(self.action).label)

    @property
    def problem_labels(self) -> list[str]:
        return [str(SUPPRESSION_PROBLEMS[p]) for p in self.problems]


@dataclass(frozen=True)
class BadActor:
    rule: AlarmRule
    count: int
    share: float


@dataclass(frozen=True)
class ChatteringAlarm:
    rule: AlarmRule
    activations: int  # in the window
    chattering: int  # of which inside episodes
    episodes: list[ChatterEpisode]

    @property
    def last_episode(self) -> ChatterEpisode:
        return self.episodes[-1]


@dataclass
class KpiReport:
    areas: list[Area]
    days: int
    start: datetime
    end: datetime
    targets: KpiTargets
    rates: RateSummary
    edges_10min: list[int]
    edges_hour: list[int]
    edges_day: list[int]
    by_area_10min: dict[int, list[int]]
    by_area_hour: dict[int, list[int]]
    by_area_day: dict[int, list[int]]
    floods: list[FloodPeriod]
    flood_bands: list[tuple[int, int]]  # clipped to the window, merged across areas
    flood_time: float
    chattering: list[ChatteringAlarm]
    stale: list[AlarmOccurrence]
    stale_count: int
    stale_by_day: list[int]
    standing: list[AlarmOccurrence]
    standing_count: int
    shelved: list[AlarmPoint]
    out_of_service: list[AlarmPoint]
    unauthorised: list[Suppression]
    bad_actors: list[BadActor]
    top_share: float
    priorities: list[PriorityShare]
    ack: AckSummary
    rows: list[KpiReport] = field(default_factory=list)  # per area, in a site report

    @property
    def area(self) -> Area | None:
        return self.areas[0] if len(self.areas) == 1 else None

    @property
    def series_10min(self) -> list[int]:
        return _sum_series(self.by_area_10min, len(self.edges_10min) - 1)

    @property
    def series_hour(self) -> list[int]:
        return _sum_series(self.by_area_hour, len(self.edges_hour) - 1)

    @property
    def series_day(self) -> list[int]:
        return _sum_series(self.by_area_day, len(self.edges_day) - 1)

    @property
    def stale_max_day(self) -> int:
        return max(self.stale_by_day, default=0)

    @property
    def chattering_count(self) -> int:
        return len(self.chattering)

    @property
    def per_area_rate(self) -> float:
        """Average alarms per 10 minutes per operator area (the targets are per operator position)."""
        return self.rates.per_interval / max(len(self.areas), 1)

    @property
    def peak_per_area(self) -> int:
        """The busiest 10 minutes of any one area."""
        return max((row.rates.peak_interval for row in self.rows), default=self.rates.peak_interval)

    @property
    def rate_grade(self) -> str:
        return grade_rate(self.per_area_rate, self.targets)

    @property
    def high_share(self) -> float:
        return next((p.share for p in self.priorities if p.priority == AlarmPriority.HIGH), 0.0)

    @property
    def grades(self) -> dict[str, str]:
        """Each KPI against its target: "ok", "warn" (between the good and the maximum figure) or "bad"."""
        t = self.targets
        high_target = dict(t.priority_mix).get(AlarmPriority.HIGH.value, 0.0)
        return {
            "rate": self.rate_grade,
            "peak": "ok" if self.peak_per_area <= t.peak_per_interval_max else "bad",
            "flood": "ok" if self.flood_time <= t.flood_time_max else "bad",
            "chattering": "ok" if self.chattering_count <= t.chattering_max else "bad",
            "stale": "ok" if self.stale_max_day < t.stale_per_day_below else "bad",
            "top": "ok"
            if self.top_share <= t.top_share_good
            else "warn"
            if self.top_share <= t.top_share_max
            else "bad",
            "priority": "ok" if self.high_share <= high_target else "warn",
            "unauthorised": "ok" if len(self.unauthorised) <= t.unauthorised_max else "bad",
        }


def _sum_series(by_area: Mapping[int, list[int]], length: int) -> list[int]:
    total = [0] * length
    for counts in by_area.values():
        for i, c in enumerate(counts):
            total[i] += c
    return total


@dataclass
class _Loaded:
    """The journal and occurrence rows of a set of areas for one window, read once."""

    start_ms: int
    end_ms: int
    activations: list[tuple[int, int, int, str]]  # (ts ms, rule id, area id, priority), ts ascending
    occurrences: list[
        tuple[int, int | None, int | None, int, int]
    ]  # (raised, returned, acked, area, id) in ms
    standing: list[AlarmOccurrence]
    points: list[AlarmPoint]
    suppressions: list[AlarmJournal]
    rules: dict[int, AlarmRule]


def area_report(area: Area, *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> KpiReport:
    """The KPIs of one operator area over the ``days`` before ``now``."""
    loaded = _load([area], days, now)
    return _build([area], days, loaded)


def site_report(areas: Sequence[Area], *, days: int = DEFAULT_DAYS, now: datetime | None = None) -> KpiReport:
    """The KPIs of the given areas of a site together, with one row per area in ``rows``.

    Site-wide floods are the union of the areas' floods (a flood is per operator area)."""
    areas = list(areas)
    loaded = _load(areas, days, now)
    report = _build(areas, days, loaded)
    report.rows = [_build([area], days, loaded) for area in areas]
    return report


def _load(areas: Sequence[Area], days: int, now: datetime | None) -> _Loaded:
    end = now or timezone.now()
    start = end - timedelta(days=days)
    start_ms, end_ms = to_ms(start), to_ms(end)
    area_ids = [a.pk for a in areas]
    stale_after = timedelta(milliseconds=TARGETS.stale_after_ms)

    journal = (
        AlarmJournal.objects.filter(
            area_id__in=area_ids,
            kind=JournalKind.ACTIVATED,
            occurrence__isnull=False,  # annunciated
            at__gte=start - timedelta(milliseconds=FLOOD_LOOKBACK_MS),
            at__lte=end,
        )
        .order_by("at", "id")
        .values_list("at", "rule_id", "area_id", "occurrence__priority")
    )
    activations = [(to_ms(at), rule_id, area_id, priority) for at, rule_id, area_id, priority in journal]

    occurrence_rows = AlarmOccurrence.objects.filter(area_id__in=area_ids, raised_at__lte=end).filter(
        Q(returned_at__isnull=True, cleared_at__isnull=True)
        | Q(raised_at__gte=start)
        | Q(raised_at__lt=end - stale_after, returned_at__gt=start)
        | Q(raised_at__lt=end - stale_after, returned_at__isnull=True)
    )
    occurrences = [
        (to_ms(raised), _ms_or_none(returned or cleared), _ms_or_none(acked), area_id, pk)
        for raised, returned, cleared, acked, area_id, pk in occurrence_rows.values_list(
            "raised_at", "returned_at", "cleared_at", "acked_at", "area_id", "pk"
        )
    ]
    # Standing: still in alarm and annunciated, as on the alarm console (the alarm of a shelved,
    # suppressed or out-of-service point is listed with its point instead).
    standing = list(
        AlarmOccurrence.objects.filter(
            area_id__in=area_ids, returned_at__isnull=True, cleared_at__isnull=True
        )
        .exclude(rule__point__mode__in=[AlarmMode.SHELVED, AlarmMode.SUPPRESSED, AlarmMode.OUT_OF_SERVICE])
        .select_related("rule__tag__equipment", "area", "acked_by")
        .order_by("raised_at", "pk")
    )
    points = list(
        AlarmPoint.objects.filter(
            rule__area_id__in=area_ids, mode__in=[AlarmMode.SHELVED, AlarmMode.OUT_OF_SERVICE]
        )
        .select_related("rule__tag__equipment", "rule__area__site", "mode_by")
        .order_by("mode_at", "rule_id")
    )
    suppressions = list(
        AlarmJournal.objects.filter(
            area_id__in=area_ids,
            kind__in=[JournalKind.SHELVED, JournalKind.REMOVED_FROM_SERVICE],
            at__gte=start,
            at__lte=end,
        )
        .select_related("rule__tag__equipment", "rule__area__site", "user")
        .order_by("at", "id")
    )
    rule_ids = {rule_id for t, rule_id, _a, _p in activations if t >= start_ms}
    rules = {
        r.pk: r for r in AlarmRule.objects.filter(pk__in=rule_ids).select_related("tag__equipment", "area")
    }
    return _Loaded(start_ms, end_ms, activations, occurrences, standing, points, suppressions, rules)


def _ms_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _build(areas: list[Area], days: int, data: _Loaded, targets: KpiTargets = TARGETS) -> KpiReport:
    ids = {a.pk for a in areas}
    start_ms, end_ms = data.start_ms, data.end_ms
    zone = timezone.get_current_timezone()
    offset = from_ms(start_ms).astimezone(zone).utcoffset() or timedelta(0)
    offset_ms = offset // timedelta(milliseconds=1)
    edges_10 = regular_edges(start_ms, end_ms, targets.rate_interval_ms, offset_ms)
    edges_h = regular_edges(start_ms, end_ms, HOUR_MS, offset_ms)
    edges_d = local_day_edges(start_ms, end_ms, zone)

    per_area_all: dict[int, list[int]] = defaultdict(list)  # with the flood look-back
    in_window: list[tuple[int, int, int, str]] = []
    for row in data.activations:
        if row[2] in ids:
            per_area_all[row[2]].append(row[0])
            if row[0] >= start_ms:
                in_window.append(row)
    window_ts = [row[0] for row in in_window]

    by_10: dict[int, list[int]] = {}
    by_h: dict[int, list[int]] = {}
    by_d: dict[int, list[int]] = {}
    floods: list[FloodPeriod] = []
    for area in areas:
        all_ts = per_area_all.get(area.pk, [])
        ts = [t for t in all_ts if t >= start_ms]
        by_10[area.pk] = histogram(ts, edges_10)
        by_h[area.pk] = histogram(ts, edges_h)
        by_d[area.pk] = histogram(ts, edges_d)
        for p in flood_periods(all_ts, until_ms=end_ms, targets=targets):
            if p.end_ms is None or p.end_ms > start_ms:
                floods.append(FloodPeriod(p.start_ms, p.end_ms, p.count, p.peak, area.pk))
    floods.sort(key=lambda p: (p.start_ms, p.area_id or 0))

    per_rule: dict[int, list[int]] = defaultdict(list)
    for t, rule_id, _area, _p in in_window:
        per_rule[rule_id].append(t)
    chattering = []
    for rule_id, ts in per_rule.items():
        episodes = chatter_episodes(ts, targets)
        if episodes:
            chattering.append(
                ChatteringAlarm(data.rules[rule_id], len(ts), sum(e.count for e in episodes), episodes)
            )
    chattering.sort(key=lambda c: (-c.chattering, c.rule.name, c.rule.pk))

    top, top_share = top_contributors({rule_id: len(ts) for rule_id, ts in per_rule.items()}, targets.top_n)
    bad_actors = [BadActor(data.rules[rule_id], count, share) for rule_id, count, share in top]

    occurrences = [o for o in data.occurrences if o[3] in ids]
    standing = [o for o in data.standing if o.area_id in ids]
    stale = [o for o in standing if is_stale(to_ms(o.raised_at), None, end_ms, targets)]

    points = [p for p in data.points if p.rule.area_id in ids]
    return KpiReport(
        areas=areas,
        days=days,
        start=from_ms(start_ms),
        end=from_ms(end_ms),
        targets=targets,
        rates=rate_summary(window_ts, start_ms, end_ms, targets),
        edges_10min=edges_10,
        edges_hour=edges_h,
        edges_day=edges_d,
        by_area_10min=by_10,
        by_area_hour=by_h,
        by_area_day=by_d,
        floods=floods,
        flood_bands=flood_intervals(floods, start_ms, end_ms),
        flood_time=time_in_flood(floods, start_ms, end_ms),
        chattering=chattering,
        stale=stale[:LIST_LIMIT],
        stale_count=len(stale),
        stale_by_day=stale_per_day(
            [(raised, returned) for raised, returned, _ack, _area, _pk in occurrences],
            edges_d,
            until_ms=end_ms,
            targets=targets,
        ),
        standing=standing[:LIST_LIMIT],
        standing_count=len(standing),
        shelved=[p for p in points if p.mode == AlarmMode.SHELVED],
        out_of_service=[p for p in points if p.mode == AlarmMode.OUT_OF_SERVICE],
        unauthorised=unauthorised_suppressions(
            points, [j for j in data.suppressions if j.area_id in ids], now=from_ms(end_ms), targets=targets
        ),
        bad_actors=bad_actors,
        top_share=top_share,
        priorities=priority_mix(Counter(p for _t, _r, _a, p in in_window), targets),
        ack=ack_summary(
            (raised, acked) for raised, _ret, acked, _area, _pk in occurrences if raised >= start_ms
        ),
    )


def _required_capability(mode: str) -> str:
    return MONITOR_OPERATE if mode == AlarmMode.SHELVED else MONITOR_CONFIGURE


def unauthorised_suppressions(
    points: Iterable[AlarmPoint],
    journal: Iterable[AlarmJournal],
    *,
    now: datetime,
    targets: KpiTargets = TARGETS,
) -> list[Suppression]:
    """Shelves and removals from service outside the approved method.

    ``points``: alarm points now shelved or out of service (with ``rule__area__site`` and ``mode_by``
    loaded) — checked for a reason, a known person holding the capability at the rule's area
    (monitoring.operate to shelve, monitoring.configure to remove from service; judged by the
    person's roles now), and for a shelve: an end, no longer than the maximum, not yet past.
    ``journal``: shelve / remove-from-service entries of the window — checked for a reason and a
    permitted person; an entry that is the current mode change of its point (same rule, same
    instant) is reported once, as current.
    """
    allowed: dict[tuple[int, str, int], bool] = {}

    def permitted(user: Any, mode: str, area: Area) -> bool:
        key = (user.pk, mode, area.pk)
        if key not in allowed:
            allowed[key] = Access.of(user).covers(_required_capability(mode), place_of_area(area))
        return allowed[key]

    def people_problems(user: Any, reason: str, mode: str, area: Area) -> list[str]:
        problems = []
        if not reason.strip():
            problems.append("no_reason")
        if user is None:
            problems.append("unknown_user")
        elif not permitted(user, mode, area):
            problems.append("not_permitted")
        return problems

    found: list[Suppression] = []
    current_changes: set[tuple[int, str, datetime | None]] = set()
    for point in points:
        rule = point.rule
        problems = people_problems(point.mode_by, point.mode_reason, point.mode, rule.area)
        if point.mode == AlarmMode.SHELVED:
            if point.shelved_until is None:
                problems.append("no_limit")
            else:
                if point.mode_at is not None and point.shelved_until - point.mode_at > timedelta(
                    milliseconds=targets.max_shelve_ms
                ):
                    problems.append("too_long")
                if point.shelved_until < now:
                    problems.append("expired")
        current_changes.add((rule.pk, point.mode, point.mode_at))
        if problems:
            found.append(
                Suppression(
                    rule=rule,
                    action=point.mode,
                    at=point.mode_at,
                    user=point.mode_by,
                    reason=point.mode_reason,
                    problems=tuple(problems),
                    current=True,
                    until=point.shelved_until,
                )
            )
    for entry in journal:
        mode = AlarmMode.SHELVED if entry.kind == JournalKind.SHELVED else AlarmMode.OUT_OF_SERVICE
        if (entry.rule_id, mode, entry.at) in current_changes:
            continue
        problems = people_problems(entry.user, entry.text, mode, entry.rule.area)
        if problems:
            found.append(
                Suppression(entry.rule, mode, entry.at, entry.user, entry.text, tuple(problems), False)
            )
    far_past = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda s: (not s.current, s.at or far_past, s.rule.pk))
    return found
