"""The pipeline: where every connector delivers (it implements ``streaming.types.Sink``).

One thread takes what connectors submitted, in batches (ANQUAN_STREAM_BATCH_SIZE readings or
ANQUAN_STREAM_BATCH_MS old, whichever comes first), and for each batch:

1. validates each reading against a cached table of the site's tags (code → id, instrument range):
   unknown tag, not a number (a bool is not a number), NaN/inf, outside range_low..range_high,
   older than ANQUAN_INGEST_LATE_WINDOW_S or ahead by more than ANQUAN_INGEST_FUTURE_TOLERANCE_S;
2. in one transaction: stores the accepted readings (``monitoring.storage.write_readings``,
   idempotent on (tag, ts)), moves the live values (readings outside the range included, so tag
   health sees them), writes the refused ones as dead letters (bulk) and bumps each connector's
   counters (one F() update per connector), and removes HTTP inbox rows it came from;
3. feeds the accepted readings, in time order, to the AlarmProcessor — or, with several workers,
   forwards those of tags whose alarm partition another worker owns (``partition.py``) and holds its
   own for ANQUAN_STREAM_REORDER_MS, so that readings of the same tag forwarded by another worker
   (which arrive later than those this worker took from the broker itself) are put back in time
   order before the alarms see them;
4. hands the same readings to the AI scoring (``earlywarning.scoring.ScoringHub``) — a failure there
   is logged and never holds the stream back;
5. acknowledges: only now does an MQTT message get its PUBACK.

When the database is unavailable the batch is kept and retried with back-off (0.5 s doubling to
30 s); nothing is acknowledged, the buffer fills up to ANQUAN_STREAM_BUFFER_READINGS, then
``submit`` blocks — the MQTT client stops reading, and the broker keeps the messages.

The tag and rule configuration is reloaded when it changes (a cheap version — counts and latest
``updated_at`` of connectors, tags and rules — is polled every few seconds).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import numbers
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Count, F, Max
from django.utils.translation import gettext as _

from anquan.monitoring import storage
from anquan.monitoring.models import AlarmRule
from anquan.plant.models import SensorTag
from anquan.streaming.choices import RejectReason
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.partition import tag_partitions
from anquan.streaming.types import RawReading, Reject, Sink, cut

logger = logging.getLogger(__name__)
MINUTE_MS = 60_000

Row = tuple[int, int, float]  # (tag_id, ts_ms, value)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0
CONFIG_POLL_S = 2.0
TICK_S = 1.0


class Processor(Protocol):
    """What the pipeline needs of ``monitoring.alarms.processor.AlarmProcessor``."""

    def reload(self) -> None: ...
    def process(self, readings: Sequence[Row]) -> None: ...
    def tick(self, now_ms: int) -> None: ...


class Scoring(Protocol):
    """What the pipeline needs of ``earlywarning.scoring.ScoringHub``."""

    def reload(self) -> None: ...
    def process(self, readings: Sequence[Row]) -> None: ...
    def tick(self, now_ms: int) -> None: ...


class Forwarder(Protocol):
    """Hands readings to the worker owning their alarm partition; True once the broker has them."""

    def forward(self, partition: int, rows: Sequence[Row]) -> bool: ...


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def safe_text(value: Any, limit: int) -> str:
    """Text any database stores: no NUL, no lone surrogates, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else cut(value, limit)
    text = text.replace("\x00", "\\0")
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _raw_reading(r: RawReading) -> str:
    """The reading as JSON text, for its dead letter."""
    try:
        return orjson.dumps({"tag": r.tag, "ts": r.ts, "value": r.value}, default=repr).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(r)


@dataclass(slots=True)
class _Item:
    connector_id: int | None
    readings: Sequence[RawReading]
    rejects: Sequence[Reject]
    ack: Callable[[], None] | None
    received_ms: int
    weight: int
    inbound_id: int | None = None
    forwarded: Sequence[Row] | None = None
    enqueued: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class _Counts:
    received: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass
class _Work:
    """One batch on its way: what to write, what to feed the alarms, whom to acknowledge."""

    items: list[_Item]
    accepted: list[Row] = field(default_factory=list)
    out_of_range: list[Row] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    counts: dict[int, _Counts] = field(default_factory=dict)
    forwarded: list[Row] = field(default_factory=list)
    inbound_ids: list[int] = field(default_factory=list)
    stored: bool = False
    stored_new: int = 0
    forwarded_to: set[int] = field(default_factory=set)
    local: list[Row] = field(default_factory=list)  # for this worker's alarm partition
    release_at: float = 0.0  # monotonic time when held readings go to the alarms (several workers)
    local_min: int = 0  # ts range of ``local`` while held
    local_max: int = 0


TS_LIMIT = 2**62


class _Refuser:
    """Builds the dead letters of one submitted item."""

    __slots__ = ("connector_id", "dead", "raw_connector_id", "received_at", "site_id")

    def __init__(
        self, dead: list[DeadLetter], site_id: int | None, connector_id: int, received_ms: int
    ) -> None:
        self.dead = dead
        self.site_id = site_id
        self.raw_connector_id = connector_id
        self.connector_id = connector_id if site_id is not None else None  # an unknown connector: no link
        self.received_at = dt.datetime.fromtimestamp(received_ms / 1000, dt.UTC)

    def __call__(self, reason: str, detail: str, tag: str, ts: int | None, raw: str | RawReading) -> None:
        self.dead.append(
            DeadLetter(
                site_id=self.site_id,
                connector_id=self.connector_id,
                received_at=self.received_at,
                reason=reason,
                tag_code=safe_text(tag, 120),
                ts=ts if isinstance(ts, int) and -TS_LIMIT < ts < TS_LIMIT else None,
                raw=safe_text(raw if isinstance(raw, str) else _raw_reading(raw), 2000),
                detail=safe_text(detail, 300),
            )
        )


@dataclass
class Stats:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    stored: int = 0
    batches: int = 0
    forwarded_out: int = 0
    forwarded_in: int = 0
    retries: int = 0

    def snapshot(self) -> dict[str, int]:
        return dict(self.__dict__)


class PipelineStopped(RuntimeError):
    pass


class ForwardError(RuntimeError):
    """The broker did not take readings forwarded to another worker's alarm partition."""


# Failures that pass when the database or broker is back: retried for as long as it takes.
TRANSIENT = (OperationalError, InterfaceError, ForwardError)


class Pipeline:
    """The Sink. ``start()`` runs it on its own thread; tests may call ``drain()`` instead."""

    def __init__(
        self,
        *,
        processor: Processor | None = None,
        forwarder: Forwarder | None = None,
        partitions: int = 1,
        partition: int = 0,
        site_ids: Iterable[int] | None = None,
        batch_size: int | None = None,
        batch_ms: int | None = None,
        buffer_readings: int | None = None,
        clock: Callable[[], int] = now_ms,
        partition_map: Callable[[], dict[int, int]] | None = None,
        reorder_ms: int | None = None,
        scoring: Scoring | None = None,
        scored_tags: Callable[[], frozenset[int]] | None = None,
    ) -> None:
        self.processor = processor
        self.scoring = scoring
        self._scored_tags_fn = scored_tags
        self.forwarder = forwarder
        self.partitions = max(partitions, 1)
        self.partition = partition
        self.site_ids = None if site_ids is None else sorted(set(site_ids))
        self.batch_size = batch_size or settings.ANQUAN_STREAM_BATCH_SIZE
        self.batch_ms = batch_ms if batch_ms is not None else settings.ANQUAN_STREAM_BATCH_MS
        self.capacity = buffer_readings or settings.ANQUAN_STREAM_BUFFER_READINGS
        self.clock = clock
        self._partition_map_fn = partition_map or (lambda: tag_partitions(self.partitions))
        if reorder_ms is None:
            reorder_ms = settings.ANQUAN_STREAM_REORDER_MS
        self.hold_s = reorder_ms / 1000 if self.partitions > 1 else 0.0
        self.stats = Stats()

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # the pipeline thread waits here for work
        self._room = threading.Condition(self._lock)  # submitters wait here for room in the buffer
        self._queue: deque[_Item] = deque()
        self._held: deque[_Work] = deque()  # stored, waiting for the alarms (several workers)
        self._queued_weight = 0  # waiting in the queue
        self._pending_weight = 0  # queued + being handled (released after the acks)
        self._statuses: dict[int, tuple[str, str, dt.datetime]] = {}
        self._dirty: dict[int, set[int]] = {}  # tag → minute buckets stored into since take_dirty()
        self._dirty_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._abandon = False

        self._loaded = False
        self._version: Any = None
        self._rules_version: Any = None
        self._next_poll = 0.0
        self._next_tick = 0.0
        self._connector_site: dict[int, int] = {}
        self._tags: dict[int, dict[str, tuple[int, float, float]]] = {}
        self._partition_map: dict[int, int] = {}
        self._scored_tags: frozenset[int] = frozenset()  # several workers: scored on worker 0

    # --- the Sink (any thread) -------------------------------------------------------------
    def submit(
        self,
        connector_id: int,
        readings: list[RawReading],
        rejects: Sequence[Reject] = (),
        ack: Callable[[], None] | None = None,
        *,
        inbound_id: int | None = None,
        received_ms: int | None = None,
    ) -> None:
        """Queue a connector's readings; blocks while the buffer is full (back-pressure)."""
        weight = max(len(readings) + len(rejects), 1)
        item = _Item(
            connector_id, readings, rejects, ack, received_ms or self.clock(), weight, inbound_id=inbound_id
        )
        self._put(item)

    def submit_forwarded(self, rows: Sequence[Row], ack: Callable[[], None] | None = None) -> None:
        """Readings another worker stored, for this worker's alarm partition."""
        self._put(_Item(None, (), (), ack, self.clock(), max(len(rows), 1), forwarded=rows))

    def set_status(self, connector_id: int, status: str, detail: str = "") -> None:
        """Record a connector's status; written with the next batch (never blocks, never raises)."""
        with self._cond:
            self._statuses[connector_id] = (status, detail[:500], dt.datetime.now(dt.UTC))
            self._cond.notify()

    def _put(self, item: _Item) -> None:
        with self._cond:
            if self._abandon:
                raise PipelineStopped("the pipeline has stopped")
            while self._pending_weight > 0 and self._pending_weight + item.weight > self.capacity:
                if self._abandon:
                    raise PipelineStopped("the pipeline has stopped")
                self._room.wait(0.5)
            first = not self._queue
            self._queue.append(item)
            self._queued_weight += item.weight
            self._pending_weight += item.weight
            if first or self._queued_weight >= self.batch_size:
                self._cond.notify()  # the batch clock starts, or the batch is full

    @property
    def buffered(self) -> int:
        """Readings held (queued or being written), not yet acknowledged."""
        return self._pending_weight

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stream-pipeline", daemon=True)
            self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> bool:
        """Flush what is queued, acknowledge it, and end the thread. False if it could not finish
        in time (the database down): then what is left stays unacknowledged."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            with self._cond:
                self._abandon = True
                self._cond.notify_all()
                self._room.notify_all()
            self._thread.join(5)
        done = not self._thread.is_alive() and not self._queue
        self._thread = None
        with self._cond:
            self._abandon = True  # later submissions fail at once (they stay unacknowledged)
            self._room.notify_all()
        return done

    def _run(self) -> None:
        try:
            while True:
                items = self._take()
                if items is None:
                    self._release_held(force=True)
                    break
                self._housekeeping()
                if items:
                    self._handle(items)
                elif self._statuses:
                    self._retry("status", self._write_statuses_only)
                self._release_held()
        except PipelineStopped:
            logger.warning(
                "pipeline stopped with %s readings not stored (they stay unacknowledged)", self.buffered
            )
        except Exception:
            logger.exception("the pipeline thread crashed")
            with self._cond:
                self._abandon = True  # submitters stop waiting; nothing more is acknowledged
                self._room.notify_all()
        finally:
            connection.close()

    def drain(self) -> None:
        """Handle everything queued now, in the calling thread (tests; the runtime uses the thread)."""
        self._housekeeping()
        while True:
            with self._cond:
                items = self._pop_batch()
            if not items:
                break
            self._handle(items)
        self._release_held(force=True)
        if self._statuses:
            self._write_statuses_only()

    def _take(self) -> list[_Item] | None:
        """The next batch; [] when only housekeeping is due; None when stopped and empty."""
        with self._cond:
            end = time.monotonic() + TICK_S
            while True:
                if self._abandon:
                    return None
                mono = time.monotonic()
                if self._queue:
                    age = mono - self._queue[0].enqueued
                    if (
                        self._queued_weight >= self.batch_size
                        or age * 1000 >= self.batch_ms
                        or self._stopping
                    ):
                        return self._pop_batch()
                    wait = self.batch_ms / 1000 - age
                else:
                    if self._stopping:
                        return None
                    if self._statuses or mono >= end:
                        return []
                    wait = end - mono
                if self._held:
                    due = self._held[0].release_at - mono
                    if due <= 0:
                        return []
                    wait = min(wait, due)
                self._cond.wait(max(wait, 0.001))

    def _pop_batch(self) -> list[_Item]:
        items: list[_Item] = []
        weight = 0
        while self._queue and (not items or weight + self._queue[0].weight <= self.batch_size):
            item = self._queue.popleft()
            items.append(item)
            weight += item.weight
        self._queued_weight -= weight
        return items

    def _release(self, items: list[_Item]) -> None:
        with self._cond:
            self._pending_weight -= sum(i.weight for i in items)
            self._room.notify_all()

    # --- configuration ----------------------------------------------------------------------
    def _config_version(self) -> tuple[Any, Any]:
        connectors = Connector.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        tags = SensorTag.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        rules = AlarmRule.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return (connectors["n"], connectors["t"], tags["n"], tags["t"]), (rules["n"], rules["t"])

    def reload(self) -> None:
        """Load connectors → site and each site's tags (code → id, range)."""
        connectors = Connector.objects.all()
        if self.site_ids is not None:
            connectors = connectors.filter(site_id__in=self.site_ids)
        self._connector_site = dict(connectors.values_list("id", "site_id"))
        tags = SensorTag.objects.filter(site_id__in=set(self._connector_site.values()))
        table: dict[int, dict[str, tuple[int, float, float]]] = {}
        for tag_id, site_id, code, low, high in tags.values_list(
            "id", "site_id", "tag", "range_low", "range_high"
        ):
            table.setdefault(site_id, {})[code] = (tag_id, float(low), float(high))
        self._tags = table
        self._loaded = True

    def _reload_rules(self) -> None:
        """The tag → alarm partition map (several workers only). The processor notices changed rules
        by itself (its tick compares the same version)."""
        if self.partitions > 1:
            self._partition_map = self._partition_map_fn()
            if self._scored_tags_fn is not None:
                self._scored_tags = self._scored_tags_fn()

    def _housekeeping(self) -> None:
        """Every few seconds: reload what changed; every second: the alarm processor's clock."""
        mono = time.monotonic()
        if mono >= self._next_poll:
            self._next_poll = mono + CONFIG_POLL_S
            try:
                version, rules_version = self._config_version()
                if version != self._version or not self._loaded:
                    self.reload()
                    self._version = version
                if rules_version != self._rules_version:
                    self._reload_rules()
                    self._rules_version = rules_version
            except DatabaseError:
                logger.warning("configuration check failed (database unavailable?)", exc_info=True)
                self._reset_connection()
        if self.processor is not None and mono >= self._next_tick:
            self._next_tick = mono + TICK_S
            try:
                self.processor.tick(self.clock())
            except DatabaseError:
                logger.warning("alarm clock tick failed (database unavailable?)", exc_info=True)
                self._reset_connection()
            except Exception:
                logger.exception("alarm clock tick failed")
            if self.scoring is not None:
                try:
                    self.scoring.tick(self.clock())
                except Exception:
                    logger.exception("AI scoring: reloading the models failed")
                    self._reset_connection()

    # --- one batch ---------------------------------------------------------------------------
    def _handle(self, items: list[_Item]) -> None:
        work = self._validate(items)
        if not self._retry("store", lambda: self._store(work)):
            return
        if not self._retry("forward", lambda: self._route(work)):
            return  # shutting down with the broker unavailable: leave it unacknowledged
        if self.hold_s:
            work.release_at = time.monotonic() + self.hold_s
            if work.local:
                work.local_min = min(r[1] for r in work.local)
                work.local_max = max(r[1] for r in work.local)
            self._held.append(work)
        else:
            self._finish([work], work.local)

    def _release_held(self, *, force: bool = False) -> None:
        """Hand held readings to the alarms in time order, up to a watermark: the newest reading
        held for ANQUAN_STREAM_REORDER_MS. Readings older than it are fed with it (arriving later
        they would be ignored as older than what the rules have seen); a batch is acknowledged once
        all its readings were fed."""
        if not self._held:
            return
        if force:
            watermark = None
        else:
            mono = time.monotonic()
            watermark = max(
                (w.local_max for w in self._held if w.release_at <= mono and w.local), default=None
            )
            if watermark is None:
                if self._held[0].release_at <= mono:  # due batches without readings for the alarms
                    while self._held and self._held[0].release_at <= mono and not self._held[0].local:
                        self._finish([self._held.popleft()], [])
                return
        rows: list[Row] = []
        done: list[_Work] = []
        kept: deque[_Work] = deque()
        for work in self._held:
            if watermark is None or work.local_max <= watermark:
                rows.extend(work.local)
                done.append(work)
            elif work.local and work.local_min <= watermark:
                rows.extend(r for r in work.local if r[1] <= watermark)
                work.local = [r for r in work.local if r[1] > watermark]
                work.local_min = min(r[1] for r in work.local)
                kept.append(work)
            else:
                kept.append(work)
        self._held = kept
        self._finish(done, rows)

    def _finish(self, works: list[_Work], rows: list[Row]) -> None:
        """Feed readings of this worker's partition to the alarms, then acknowledge the batches."""
        if self.processor is not None and rows:
            processor = self.processor
            rows.sort(key=_ts)
            # On failure the processor keeps its transitions and stores them on the next call; the
            # retry feeds the same readings again, which it ignores as already seen.
            if not self._retry("alarms", lambda: processor.process(rows), give_up_after=3) and self._abandon:
                return  # shutting down with the database unavailable: leave it unacknowledged
        if self.scoring is not None and rows:
            try:
                self.scoring.process(rows)
            except Exception:
                logger.exception("AI scoring failed for a batch of %s readings", len(rows))
                self._reset_connection()
        s = self.stats
        for work in works:
            for item in work.items:
                if item.ack is not None:
                    try:
                        item.ack()
                    except Exception:
                        logger.exception("acknowledgement failed")
            self._release(work.items)
            s.batches += 1
            s.stored += work.stored_new
            s.forwarded_in += len(work.forwarded)

    def _retry(self, what: str, fn: Callable[[], None], *, give_up_after: int | None = None) -> bool:
        """Run ``fn`` until it succeeds; back off 0.5 s doubling to 30 s while it fails.

        A lost database connection or broker (``TRANSIENT``) is retried for as long as it takes. Any other error
        is retried too, except that with ``give_up_after`` it is logged and skipped after that many
        attempts. False when skipped, or when the pipeline was told to give up (shutdown with the
        database down)."""
        delay = RETRY_FIRST_S
        failures = 0
        while True:
            try:
                fn()
                if failures:
                    logger.info("pipeline %s succeeded after %s failed attempts", what, failures)
                return True
            except TRANSIENT as exc:
                failures += 1
                self.stats.retries += 1
                logger.warning("pipeline %s: %s; retrying in %.1f s", what, exc, delay)
                self._reset_connection()
            except Exception:
                failures += 1
                self.stats.retries += 1
                self._reset_connection()
                if give_up_after is not None and failures >= give_up_after:
                    logger.exception("pipeline %s failed %s times; skipped", what, failures)
                    return False
                logger.exception("pipeline %s failed; retrying in %.1f s", what, delay)
            if self._abandon:
                return False
            with self._cond:
                self._cond.wait(delay)
            if self._abandon:
                return False
            delay = min(delay * 2, RETRY_MAX_S)

    def _reset_connection(self) -> None:
        try:
            if connection.in_atomic_block:
                return
            connection.close()
        except Exception:
            logger.debug("closing the database connection failed", exc_info=True)
        close_old_connections()

    def _validate(self, items: list[_Item]) -> _Work:
        if not self._loaded:
            self._retry("configuration", self.reload)
        work = _Work(items)
        now = self.clock()
        too_old = now - settings.ANQUAN_INGEST_LATE_WINDOW_S * 1000
        too_new = now + settings.ANQUAN_INGEST_FUTURE_TOLERANCE_S * 1000
        accepted, out_of_range = work.accepted, work.out_of_range
        reloaded = False
        for item in items:
            if item.forwarded is not None:
                work.forwarded.extend(item.forwarded)
                continue
            if item.inbound_id is not None:
                work.inbound_ids.append(item.inbound_id)
            cid = item.connector_id
            assert cid is not None
            site_id = self._connector_site.get(cid)
            if site_id is None and not reloaded:
                self._retry("configuration", self.reload)
                reloaded = True
                site_id = self._connector_site.get(cid)
            counts = work.counts.setdefault(cid, _Counts())
            counts.received += len(item.readings) + len(item.rejects)
            refuse = _Refuser(work.dead, site_id, cid, item.received_ms)
            for rej in item.rejects:
                refuse(rej.reason, rej.detail, rej.tag, rej.ts, rej.raw)
            tags = self._tags.get(site_id, {}) if site_id is not None else {}
            get, append, received = tags.get, accepted.append, item.received_ms
            before = len(accepted)
            for r in item.readings:
                tag, ts, value = r
                info = get(tag)
                if ts is None:
                    ts = received
                # the common case, checked at C speed (a NaN fails every comparison)
                if (
                    info is not None
                    and type(value) is float
                    and too_old <= ts <= too_new
                    and info[1] <= value <= info[2]
                ):
                    append((info[0], ts, value))
                else:
                    self._judge(r, ts, info, refuse, site_id, too_old, too_new, accepted, out_of_range)
            n_ok = len(accepted) - before
            counts.accepted += n_ok
            counts.rejected += len(item.readings) + len(item.rejects) - n_ok
        return work

    def _judge(
        self,
        r: RawReading,
        ts: int,
        info: tuple[int, float, float] | None,
        refuse: _Refuser,
        site_id: int | None,
        too_old: int,
        too_new: int,
        accepted: list[Row],
        out_of_range: list[Row],
    ) -> None:
        """The full checks of one reading the fast path did not accept: accepted, or refused with why."""
        if info is None:
            if site_id is not None:
                detail = _("场所内没有位号为 %(tag)s 的测点。") % {"tag": r.tag}
            else:
                detail = _("数据接入 %(id)s 不存在或已删除。") % {"id": refuse.raw_connector_id}
            refuse(RejectReason.UNKNOWN_TAG, detail, r.tag, ts, r)
            return
        value = r.value
        kind = type(value)
        if kind is float:
            number = value
        elif kind is int or (kind is not bool and isinstance(value, numbers.Real)):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
        else:
            detail = _("数值必须是数字（收到 %(type)s）。") % {"type": kind.__name__}
            refuse(RejectReason.NOT_NUMERIC, detail, r.tag, ts, r)
            return
        if not math.isfinite(number):
            refuse(RejectReason.NOT_FINITE, _("数值为 NaN 或无穷大。"), r.tag, ts, r)
            return
        if ts < too_old:
            detail = _("时间戳早于允许补传的窗口（%(s)s 秒）。") % {"s": settings.ANQUAN_INGEST_LATE_WINDOW_S}
            refuse(RejectReason.TOO_OLD, detail, r.tag, ts, r)
            return
        if ts > too_new:
            detail = _("时间戳超前服务器时间 %(s)s 秒以上。") % {
                "s": settings.ANQUAN_INGEST_FUTURE_TOLERANCE_S
            }
            refuse(RejectReason.FUTURE, detail, r.tag, ts, r)
            return
        tag_id, low, high = info
        if number < low or number > high:
            detail = _("数值 %(v)s 超出仪表量程 %(lo)s～%(hi)s。") % {
                "v": f"{number:g}",
                "lo": f"{low:g}",
                "hi": f"{high:g}",
            }
            refuse(RejectReason.OUT_OF_RANGE, detail, r.tag, ts, r)
            out_of_range.append((tag_id, ts, number))
            return
        accepted.append((tag_id, ts, number))

    def _store(self, work: _Work) -> None:
        if work.stored:
            return
        with transaction.atomic():
            new = storage.write_readings(work.accepted)
            if work.accepted or work.out_of_range:
                storage.update_live(work.accepted + work.out_of_range if work.out_of_range else work.accepted)
            if work.dead:
                DeadLetter.objects.bulk_create(work.dead, batch_size=1000)
            now = dt.datetime.now(dt.UTC)
            for cid, c in work.counts.items():
                if cid not in self._connector_site:
                    continue
                fields: dict[str, Any] = {
                    "received": F("received") + c.received,
                    "accepted": F("accepted") + c.accepted,
                    "rejected": F("rejected") + c.rejected,
                }
                if c.accepted:
                    fields["last_data_at"] = now
                Connector.objects.filter(pk=cid).update(**fields)
            if work.inbound_ids:
                InboundBatch.objects.filter(id__in=work.inbound_ids).delete()
            self._write_statuses()
        work.stored, work.stored_new = True, new
        s = self.stats
        for c in work.counts.values():
            s.received += c.received
            s.accepted += c.accepted
            s.rejected += c.rejected
        if work.accepted:
            with self._dirty_lock:
                dirty = self._dirty
                for tag_id, ts, _value in work.accepted:
                    buckets = dirty.get(tag_id)
                    if buckets is None:
                        dirty[tag_id] = buckets = set()
                    buckets.add(ts - ts % MINUTE_MS)

    def _write_statuses(self) -> None:
        with self._cond:
            statuses, self._statuses = self._statuses, {}
        try:
            for cid, (status, detail, at) in statuses.items():
                Connector.objects.filter(pk=cid).update(status=status, status_detail=detail, status_at=at)
        except Exception:
            with self._cond:  # keep them (newer ones win) for the next attempt
                self._statuses = {**statuses, **self._statuses}
            raise

    def _write_statuses_only(self) -> None:
        with transaction.atomic():
            self._write_statuses()

    def _route(self, work: _Work) -> None:
        """This worker's readings go to ``work.local``; another partition's to its owner."""
        if self.partitions == 1:
            work.local = work.accepted + work.forwarded if work.forwarded else work.accepted
            return
        owner = self._partition_map
        scored = self._scored_tags
        me = self.partition
        local = list(work.forwarded)
        remote: dict[int, list[Row]] = {}
        for row in work.accepted:
            k = owner.get(row[0])
            if k is None and row[0] not in scored:
                continue  # no rule reads this tag, no model scores it
            if k == me or (me == 0 and row[0] in scored):
                local.append(row)
            elif k is not None:
                remote.setdefault(k, []).append(row)
            if row[0] in scored and me != 0 and k != 0:
                remote.setdefault(0, []).append(row)  # the AI models are scored on worker 0
        for k, rows in remote.items():
            if k in work.forwarded_to:
                continue
            if self.forwarder is None or not self.forwarder.forward(k, rows):
                raise ForwardError(f"partition {k} did not take {len(rows)} readings")
            work.forwarded_to.add(k)
            self.stats.forwarded_out += len(rows)
        work.local = local

    # --- for the runtime ---------------------------------------------------------------------
    def restore_dirty(self, dirty: dict[int, set[int]]) -> None:
        """Put back minute buckets still to roll up (still filling, or their rollup failed)."""
        with self._dirty_lock:
            for tag_id, buckets in dirty.items():
                self._dirty.setdefault(tag_id, set()).update(buckets)

    def take_dirty(self) -> dict[int, set[int]]:
        """tag → the minute buckets (start, ms) stored into since the last call (for the rollups)."""
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, {}
        return dirty


def _ts(row: Row) -> int:
    return row[1]


if TYPE_CHECKING:  # the pipeline is the Sink every coordinator delivers to

    def _is_a_sink(pipeline: Pipeline) -> Sink:
        return pipeline
