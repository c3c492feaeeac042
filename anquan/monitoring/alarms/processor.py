"""The stream's alarm processor: the rule engine fed by stored readings, with its transitions and
state persisted.

- ``reload()`` loads the enabled rules of this partition with their points' memory (creating
  missing points), and re-applies designed suppression.
- ``process(readings)`` feeds the engine; only transitions and rules whose restart-relevant memory
  changed touch the database — one transaction per call (points locked, occurrences, journal, a
  ``bulk_update`` of the dirty points), events after commit. A call with nothing to store costs no
  query. If storing fails, the work is kept and retried on the next call.
- ``tick(now_ms)``: delays running out, stale data, and — at most every ``housekeeping_ms`` — shelves
  expiring, escalation of unacknowledged alarms, a check for changed rules (reload), and every
  ``checkpoint_ms`` a checkpoint of the memory that changes with every reading (trend windows, last
  values), so a restart resumes from recent state.

Partitioning: rules are grouped by the connected components of the tags they read (a compound or
deviation rule joins its tags); a component belongs to partition ``min(tag_id) % partitions``.
Several stream workers, each with its own partition, so share the rules without sharing state.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.monitoring.alarms import escalation, lifecycle
from anquan.monitoring.alarms.engine import Engine, RuleSpec, Transition, tags_of
from anquan.monitoring.alarms.lifecycle import RuleInfo, ms_to_dt
from anquan.monitoring.choices import AlarmMode, JournalKind
from anquan.monitoring.models import AlarmOccurrence, AlarmPoint, AlarmRule, EscalationPolicy, TagLive

logger = logging.getLogger(__name__)


def spec_of(rule: AlarmRule) -> RuleSpec:
    params = rule.params if isinstance(rule.params, dict) else {}
    return RuleSpec(
        id=rule.pk,
        kind=rule.kind,
        tags=tags_of(rule.kind, rule.tag_id, params),
        params=params,
        deadband=float(rule.deadband or 0),
        on_delay_s=rule.on_delay_s,
        off_delay_s=rule.off_delay_s,
        priority=rule.priority,
    )


def partition_of(specs: Iterable[RuleSpec], partitions: int) -> dict[int, int]:
    """Rule id → partition: connected components of the tags the rules read, each in
    ``min(tag_id) % partitions``."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    specs = list(specs)
    for spec in specs:
        first = find(spec.tags[0])
        for tag in spec.tags[1:]:
            other = find(tag)
            if other != first:
                low, high = sorted((first, other))
                parent[high] = low  # the root of a component is its smallest tag id
                first = low
    return {spec.id: find(spec.tags[0]) % partitions for spec in specs}


class AlarmProcessor:
    housekeeping_ms = 1_000  # shelve expiry, escalation
    reload_check_ms = 5_000  # rules changed elsewhere (the web, a sync)?
    checkpoint_ms = 60_000  # memory that changes with every reading

    def __init__(
        self, *, partition: int = 0, partitions: int = 1, site_ids: Iterable[int] | None = None
    ) -> None:
        """``site_ids``: only these sites' rules (a stream started with ``--site``); None: every site."""
        if partitions < 1 or not 0 <= partition < partitions:
            raise ValueError(f"partition {partition} of {partitions}")
        self.partition = partition
        self.partitions = partitions
        self.sites = None if site_ids is None else frozenset(site_ids)
        self.engine = Engine()
        self._info: dict[int, RuleInfo] = {}
        self._all_enabled: frozenset[int] = frozenset()
        self._site_ids: frozenset[int] = frozenset()
        self._outbox: list[Transition] = []
        self._fingerprint: tuple[Any, ...] | None = None
        self._last_housekeeping: int | None = None
        self._last_reload_check: int | None = None
        self._last_checkpoint: int | None = None
        self.reload()

    # --- configuration ----------------------------------------------------------------------
    def tag_ids(self) -> frozenset[int]:
        return self.engine.tag_ids()

    def rule_ids(self) -> frozenset[int]:
        return self.engine.rule_ids()

    def _current_fingerprint(self) -> tuple[Any, ...]:
        agg = self._mine(AlarmRule.objects.all(), "site_id").aggregate(n=Count("id"), last=Max("updated_at"))
        return (agg["n"], agg["last"])

    def reload(self) -> None:
        """(Re)load the enabled rules of this partition and their points from the database. Rules
        already loaded with the same definition keep their in-memory state (it is newer than the
        stored one); a changed definition keeps only whether the alarm is active."""
        try:
            self._flush()
        except Exception:
            logger.exception("alarm state could not be stored before reloading; kept for the next try")
        self._fingerprint = self._current_fingerprint()
        rules = list(
            self._mine(AlarmRule.objects.filter(enabled=True), "site_id")
            .select_related("tag__equipment")
            .order_by("pk")
        )
        specs: dict[int, RuleSpec] = {}
        for rule in rules:
            spec = spec_of(rule)
            if spec.tags:
                specs[rule.pk] = spec
        self._all_enabled = frozenset(specs)
        where = partition_of(specs.values(), self.partitions)
        mine = {rid for rid, p in where.items() if p == self.partition}
        existing = set(AlarmPoint.objects.values_list("rule_id", flat=True))
        missing = [r for r in rules if r.pk in mine and r.pk not in existing]
        if missing:
            AlarmPoint.objects.bulk_create(
                [AlarmPoint(rule=rule) for rule in missing],  # designed suppression follows, journaled
                ignore_conflicts=True,
            )
        points = {p.rule_id: p for p in AlarmPoint.objects.all() if p.rule_id in mine}
        for rule_id in self.engine.rule_ids() - mine:
            self.engine.unload(rule_id)
        stale_tags: set[int] = set()
        self._info = {}
        for rule in rules:
            if rule.pk not in mine:
                continue
            spec = specs[rule.pk]
            self._info[rule.pk] = RuleInfo.of(rule)
            loaded = self.engine.spec(rule.pk)
            if loaded == spec:
                continue
            point = points.get(rule.pk)
            if loaded is not None:  # redefined: start afresh, still active if it was
                self.engine.load(spec, None, active=self.engine.active(rule.pk))
            elif point is not None:
                memory = point.engine if isinstance(point.engine, dict) else {}
                self.engine.load(spec, memory, active=point.active)
            else:  # deleted while we were loading: the next reload drops it
                self.engine.load(spec, None, active=False)
            if spec.kind == "stale":
                stale_tags.update(spec.tags)
        live = TagLive.objects.filter(tag_id__in=stale_tags, ts__isnull=False).values_list("tag_id", "ts")
        for tag_id, ts in live:
            if ts is not None:
                self.engine.seen(tag_id, ts)
        self._site_ids = frozenset(info.site_id for info in self._info.values())
        self._apply_design([r for r in rules if r.pk in mine], points)

    def _apply_design(self, rules: Sequence[AlarmRule], points: dict[int, AlarmPoint]) -> None:
        candidates = [
            r for r in rules
            if r.pk in points
            and points[r.pk].mode in (AlarmMode.IN_SERVICE, AlarmMode.SUPPRESSED)
            and lifecycle.designed_mode(r) != points[r.pk].mode
        ]  # fmt: skip
        if not candidates:
            return
        with transaction.atomic():
            now = timezone.now()
            locked = {
                p.rule_id: p
                for p in AlarmPoint.objects.select_for_update().filter(rule_id__in=[r.pk for r in candidates])
            }
            for rule in candidates:
                if rule.pk in locked:
                    lifecycle.apply_design(locked[rule.pk], rule, now)

    # --- readings and time ------------------------------------------------------------------
    def process(self, readings: Sequence[tuple[int, int, float]]) -> None:
        """Feed accepted, stored readings (tag_id, ts_ms, value); store what changed."""
        transitions = self.engine.feed(readings)
        if transitions:
            self._outbox.extend(transitions)
        if self._outbox or self.engine.dirty():
            self._flush()

    def tick(self, now_ms: int) -> None:
        transitions = self.engine.tick(now_ms)
        if transitions:
            self._outbox.extend(transitions)
        if self._outbox or self.engine.dirty():
            self._flush()
        if (
            self._due("_last_reload_check", now_ms, self.reload_check_ms)
            and self._current_fingerprint() != self._fingerprint
        ):
            self.reload()
        if self._due("_last_housekeeping", now_ms, self.housekeeping_ms):
            self._expire_shelves(now_ms)
            self._escalate(now_ms)
        if self._due("_last_checkpoint", now_ms, self.checkpoint_ms):
            self._checkpoint()

    def _due(self, attr: str, now_ms: int, every_ms: int) -> bool:
        last = getattr(self, attr)
        if last is None or now_ms - last >= every_ms or now_ms < last:
            setattr(self, attr, now_ms)
            return True
        return False

    # --- storing ----------------------------------------------------------------------------
    def _flush(self) -> None:
        """Store the pending transitions and dirty memory in one transaction (kept on failure)."""
        transitions = list(self._outbox)
        dirty = self.engine.dirty()
        loaded = self.engine.rule_ids()
        with transaction.atomic():
            if transitions:
                ids = sorted({t.rule_id for t in transitions if t.rule_id in self._info})
                points = {
                    p.rule_id: p
                    for p in AlarmPoint.objects.select_for_update()
                    .filter(rule_id__in=ids)
                    .order_by("rule_id")
                }
                for t in transitions:
                    point, info = points.get(t.rule_id), self._info.get(t.rule_id)
                    if point is None or info is None:
                        continue  # the rule was deleted meanwhile
                    at = ms_to_dt(t.ts)
                    point.active = t.active
                    if t.active:
                        lifecycle.activated(point, info, at, t.value)
                    else:
                        lifecycle.returned(point, info, at, t.value)
            rows = [
                AlarmPoint(
                    rule_id=rid,
                    active=self.engine.active(rid),
                    engine=self.engine.memory(rid),
                    updated_at=timezone.now(),
                )
                for rid in sorted(dirty & loaded)
            ]
            if rows:
                AlarmPoint.objects.bulk_update(rows, ["active", "engine", "updated_at"], batch_size=500)
        del self._outbox[: len(transitions)]
        self.engine.saved(dirty)

    def _checkpoint(self) -> None:
        soft = self.engine.soft() & self.engine.rule_ids()
        if not soft:
            return
        now = timezone.now()
        rows = [
            AlarmPoint(
                rule_id=rid, active=self.engine.active(rid), engine=self.engine.memory(rid), updated_at=now
            )
            for rid in sorted(soft)
        ]
        with transaction.atomic():
            AlarmPoint.objects.bulk_update(rows, ["active", "engine", "updated_at"], batch_size=500)
        self.engine.saved(soft)

    # --- housekeeping -----------------------------------------------------------------------
    def _mine(self, qs: QuerySet[Any], site_field: str) -> QuerySet[Any]:
        return qs if self.sites is None else qs.filter(**{f"{site_field}__in": self.sites})

    def _handles(self, rule_id: int) -> bool:
        """Rules of this partition; partition 0 also looks after points of rules no one loads."""
        return rule_id in self._info or (self.partition == 0 and rule_id not in self._all_enabled)

    def _expire_shelves(self, now_ms: int) -> None:
        now = ms_to_dt(now_ms)
        due = (
            self._mine(AlarmPoint.objects.all(), "rule__site_id")
            .filter(mode=AlarmMode.SHELVED, shelved_until__lte=now)
            .values_list("rule_id", flat=True)
        )
        for rule_id in [r for r in due if self._handles(r)]:
            with transaction.atomic():
                point = AlarmPoint.objects.select_for_update().filter(rule_id=rule_id).first()
                if point is None or point.mode != AlarmMode.SHELVED or point.shelved_until is None:
                    continue
                if point.shelved_until > now:
                    continue
                rule = AlarmRule.objects.select_related("tag__equipment").get(pk=rule_id)
                lifecycle.leave_mode(
                    point, rule, JournalKind.UNSHELVED, point.shelved_until, text=_("搁置时间已到，自动解除")
                )

    def _escalate(self, now_ms: int) -> None:
        now = ms_to_dt(now_ms)
        candidates = [
            o
            for o in self._mine(AlarmOccurrence.objects.all(), "site_id")
            .filter(
                acked_at__isnull=True, cleared_at__isnull=True, raised_at__lte=now - dt.timedelta(minutes=1)
            )
            .only("pk", "rule_id", "site_id", "priority", "raised_at", "escalation_level")
            if self._handles(o.rule_id)
        ]
        if not candidates:
            return
        in_service = set(
            AlarmPoint.objects.filter(
                rule_id__in={o.rule_id for o in candidates}, mode=AlarmMode.IN_SERVICE
            ).values_list("rule_id", flat=True)
        )
        policies: dict[int, EscalationPolicy] = {}
        for occurrence in candidates:
            if occurrence.rule_id not in in_service:
                continue  # shelved, suppressed or out of service: nobody is being asked to act
            if occurrence.site_id not in policies:
                policies[occurrence.site_id] = escalation.policy_for(occurrence.site_id)
            due = escalation.due_at(policies[occurrence.site_id], occurrence)
            if due is not None and due <= now:
                escalation.escalate(occurrence.pk, policies[occurrence.site_id], now)
