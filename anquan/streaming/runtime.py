"""The stream process (``anquan stream``): connectors → pipeline → storage and alarms, plus the clock.

One worker runs:

- a coordinator per enabled connector with one (MQTT, OPC UA, Modbus …, from the registry), started,
  restarted and stopped as connectors are added, changed or disabled (checked every few seconds);
- the HTTP inbox drainer: claims ``InboundBatch`` rows (``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL) and submits them; the pipeline deletes each row in the transaction that stores it;
- the pipeline thread, with this worker's AlarmProcessor (its ``tick`` runs every second there);
- with several workers, the partition bus: readings of tags whose alarm partition another worker
  owns are forwarded over the broker (``<ANQUAN_INSTANCE>/_stream/partition/<k>``, QoS 1, persistent session);
- periodic jobs on their own thread: rollups of what this worker stored (every ~10 s); and on
  worker 0 only, the site-wide ones: tag health (every second) and retention (hourly).

SIGTERM/SIGINT stop it cleanly: connectors stop handing on messages, the pipeline stores and
acknowledges what it holds, then the connections close (the broker keeps the rest for the restart).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import pydantic
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.earlywarning import selectors as earlywarning_selectors
from anquan.earlywarning import services as earlywarning_services
from anquan.earlywarning.scoring import ScoringHub
from anquan.monitoring import health, storage
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.streaming import imports, partition
from anquan.streaming.choices import ConnectorStatus, Protocol
from anquan.streaming.connectors import PROTOCOLS
from anquan.streaming.connectors.mqtt import client as mqtt
from anquan.streaming.connectors.mqtt.mapping import map_payload
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.pipeline import Pipeline, PipelineStopped, Row, now_ms

logger = logging.getLogger(__name__)

CONNECTOR_POLL_S = 5.0
STATS_EVERY_S = 10.0
HEALTH_EVERY_S = 1.0
ROLLUP_EVERY_S = 10.0
ROLLUP_CHUNK = 25  # tags per rollup transaction
ROLLUP_PAUSE_S = 0.02
RETENTION_EVERY_S = 3600.0
STALLED_EVERY_S = 60.0
INBOX_POLL_S = 0.2
INBOX_CLAIM = 20  # inbox rows claimed at a time
INBOX_RECLAIM_S = 600  # a claim older than this (its worker died) is taken over
START_RETRY_MAX_S = 30.0
# Forwarded readings the owning worker has not taken within this time are dropped by the broker
# (their readings are stored; only their alarm evaluation is lost), so a worker back after a long
# absence, or after its database was replaced, is not fed stale readings.
FORWARD_EXPIRY_S = 3600
BUS_SESSION_EXPIRY_S = 3600


# --- the partition bus ---------------------------------------------------------------------------
class PartitionBus:
    """Forwards readings between workers through the broker; receives this worker's partition."""

    def __init__(self, url: str, *, partition_index: int, partitions: int) -> None:
        self.partition_index = partition_index
        self.partitions = partitions
        self.sink: Pipeline | None = None
        self._conn = mqtt.Connection(
            mqtt.parse_url(url),
            client_id=f"{settings.ANQUAN_INSTANCE}-stream-p{partition_index}-of-{partitions}",
            subscriptions=[partition.topic(partition_index)],
            qos=1,
            clean_start=False,
            session_expiry_s=BUS_SESSION_EXPIRY_S,
            on_message=self._on_message,
            on_connected=lambda resumed: logger.info("partition bus connected (session %s)", resumed),
            on_disconnected=lambda reason: logger.warning("partition bus disconnected (%s)", reason or "-"),
        )

    def start(self) -> None:
        self._conn.start()

    def stop(self) -> None:
        self._conn.stop()

    def wait_connected(self, timeout: float) -> bool:
        return self._conn.wait_connected(timeout)

    def forward(self, partition_index: int, rows: Iterable[Row]) -> bool:
        payload = orjson.dumps([list(r) for r in rows])
        return self._conn.publish(
            partition.topic(partition_index), payload, qos=1, timeout=10.0, expiry_s=FORWARD_EXPIRY_S
        )

    def _on_message(self, message: mqtt.Message) -> None:
        try:
            rows = [(int(t), int(ts), float(v)) for t, ts, v in orjson.loads(message.payload)]
        except (ValueError, TypeError, orjson.JSONDecodeError):
            logger.error("partition bus: unreadable message on %s dropped", message.topic)
            if message.ack:
                message.ack()
            return
        if self.sink is None:
            return  # not acknowledged: delivered again
        with contextlib.suppress(PipelineStopped):  # shutting down: not acknowledged, delivered again
            self.sink.submit_forwarded(rows, ack=message.ack)


# --- the HTTP inbox --------------------------------------------------------------------------------
class InboxDrainer:
    """Claims inbox rows of HTTP connectors and submits them to the pipeline."""

    def __init__(self, pipeline: Pipeline, *, name: str, site_ids: Iterable[int] | None = None) -> None:
        self.pipeline = pipeline
        self.name = name[:80]
        self.site_ids = None if site_ids is None else list(site_ids)
        self.max_bytes = settings.ANQUAN_INGEST_MAX_PAYLOAD_KB * 1024
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        delay = INBOX_POLL_S
        try:
            while not self._stop.is_set():
                try:
                    n = self.drain_once()
                    delay = INBOX_POLL_S
                except PipelineStopped:
                    break
                except DatabaseError as exc:
                    logger.warning("inbox: database unavailable (%s)", exc)
                    connection.close()
                    n, delay = 0, min(delay * 2, START_RETRY_MAX_S)
                if n == 0:
                    self._stop.wait(delay)
        finally:
            connection.close()

    def claim(self) -> list[tuple[int, int, bytes, int]]:
        """Up to INBOX_CLAIM unclaimed rows (or rows this worker's previous run, or a dead worker,
        left claimed): (id, connector id, payload, received ms)."""
        now = timezone.now()
        free = (
            Q(claimed_by="")
            | Q(claimed_by=self.name, claimed_at__lt=self.started_at)
            | Q(claimed_at__lt=now - dt.timedelta(seconds=INBOX_RECLAIM_S))
        )
        rows = InboundBatch.objects.filter(free, connector__enabled=True, connector__protocol=Protocol.HTTP)
        if self.site_ids is not None:
            rows = rows.filter(connector__site_id__in=self.site_ids)
        with transaction.atomic():
            claimed = list(
                rows.select_for_update(skip_locked=True, of=("self",))
                .order_by("id")
                .values_list("id", "connector_id", "payload", "received_at")[:INBOX_CLAIM]
            )
            if claimed:
                InboundBatch.objects.filter(id__in=[c[0] for c in claimed]).update(
                    claimed_by=self.name, claimed_at=now
                )
        return [(i, cid, bytes(payload), int(at.timestamp() * 1000)) for i, cid, payload, at in claimed]

    def drain_once(self) -> int:
        claimed = self.claim()
        for inbound_id, connector_id, payload, received_ms in claimed:
            readings, rejects = map_payload(payload, received_ms=received_ms, max_bytes=self.max_bytes)
            self.pipeline.submit(
                connector_id, readings, rejects, inbound_id=inbound_id, received_ms=received_ms
            )
        return len(claimed)


# --- periodic jobs ---------------------------------------------------------------------------------
class Jobs:
    """Rollups of what this worker stored; on worker 0 also tag health and retention."""

    def __init__(self, pipeline: Pipeline, *, site_wide: bool, site_ids: Iterable[int] | None = None) -> None:
        self.pipeline = pipeline
        self.site_wide = site_wide
        self.site_ids = None if site_ids is None else list(site_ids)
        self._previous_due: dict[int, set[int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._due: dict[str, float] = {}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stop.wait(0.25):
                self.run_due()
        finally:
            self._job("rollups", self.rollups)  # what the last batches stored
            connection.close()

    def run_due(self) -> None:
        mono = time.monotonic()
        if self.site_wide and self._is_due("health", HEALTH_EVERY_S, mono):
            self._job("health", lambda: health.refresh_health(now_ms(), self.site_ids))
        if self._is_due("rollups", ROLLUP_EVERY_S, mono):
            self._job("rollups", self.rollups)
        if self.site_wide and self._is_due("retention", RETENTION_EVERY_S, mono):
            self._job("retention", self.retention)
        if self.site_wide and self._is_due("stalled", STALLED_EVERY_S, mono):
            self._job("stalled tasks", self.stalled)

    def stalled(self) -> None:
        """Background work whose worker died shows as failed, not as running for ever."""
        imports.fail_stalled()
        earlywarning_services.fail_stalled_training()

    def _is_due(self, name: str, every: float, mono: float) -> bool:
        if mono >= self._due.get(name, 0.0):
            self._due[name] = mono + every
            return True
        return False

    def _job(self, name: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except DatabaseError as exc:
            logger.warning("%s: database unavailable (%s)", name, exc)
            connection.close()
        except Exception:
            logger.exception("%s failed", name)
        finally:
            close_old_connections()

    def rollups(self) -> None:
        """Roll up each minute this worker stored into once it has closed, in the cycle after it
        closes and once more in the next (another worker's concurrent recompute of a shared bucket
        may have missed a late commit). A minute still filling waits: recomputing it every cycle
        would re-read it again and again. Charts read raw readings for recent windows."""
        open_minute = now_ms() // storage.MINUTE_MS * storage.MINUTE_MS
        waiting: dict[int, set[int]] = {}
        closed: dict[int, set[int]] = {}
        for tag, buckets in self.pipeline.take_dirty().items():
            for bucket in buckets:
                (waiting if bucket >= open_minute else closed).setdefault(tag, set()).add(bucket)
        due: dict[int, set[int]] = {tag: set(b) for tag, b in self._previous_due.items()}
        for tag, buckets in closed.items():
            due.setdefault(tag, set()).update(buckets)
        by_bucket: dict[int, list[int]] = {}
        for tag, buckets in due.items():
            for bucket in buckets:
                by_bucket.setdefault(bucket, []).append(tag)
        try:
            for bucket, tags in sorted(by_bucket.items()):
                tags.sort()
                for i in range(0, len(tags), ROLLUP_CHUNK):
                    storage.refresh_rollups(
                        bucket, tags[i : i + ROLLUP_CHUNK], until_ms=bucket + storage.MINUTE_MS
                    )
                    # small transactions with a breath between: the pipeline's writes (and, on
                    # SQLite, its write lock) never wait long behind a minute of rollups
                    self._stop.wait(ROLLUP_PAUSE_S)
        except Exception:
            self.pipeline.restore_dirty({**due, **waiting})  # everything again next time
            raise
        self.pipeline.restore_dirty(waiting)
        self._previous_due = closed

    def retention(self) -> None:
        result = storage.apply_retention(now_ms())
        cutoff = timezone.now() - dt.timedelta(days=settings.ANQUAN_RETENTION_RAW_DAYS)
        dead = DeadLetter.objects.filter(received_at__lt=cutoff)
        if self.site_ids is not None:
            dead = dead.filter(site_id__in=self.site_ids)
        deleted, _detail = dead.delete()
        logger.info(
            "retention: %s readings, %s minute and %s hour rollups, %s dead letters deleted",
            result.readings,
            result.minute_rollups,
            result.hour_rollups,
            deleted,
        )


# --- the worker --------------------------------------------------------------------------------------
def _signature(c: Connector) -> tuple[Any, ...]:
    return (c.protocol, c.site_id, orjson.dumps(c.config, option=orjson.OPT_SORT_KEYS))


class StreamRuntime:
    def __init__(
        self,
        *,
        site_ids: Iterable[int] | None = None,
        workers: int | None = None,
        worker_index: int | None = None,
        processor_factory: Callable[[int, int], Any] | None = None,
    ) -> None:
        self.site_ids = None if site_ids is None else sorted(set(site_ids))
        self.workers = workers if workers is not None else settings.ANQUAN_STREAM_WORKERS
        self.worker_index = worker_index if worker_index is not None else settings.ANQUAN_STREAM_WORKER_INDEX
        if self.workers < 1 or not 0 <= self.worker_index < self.workers:
            raise ValueError(f"worker {self.worker_index} of {self.workers}")
        self.name = f"{socket.gethostname()}:{self.worker_index}"
        self._processor_factory = processor_factory or (
            lambda k, n: AlarmProcessor(partition=k, partitions=n, site_ids=self.site_ids)
        )
        self.coordinators: dict[int, Any] = {}
        self._signatures: dict[int, tuple[Any, ...]] = {}
        self._connectors_version: Any = None
        self.pipeline: Pipeline | None = None
        self.bus: PartitionBus | None = None
        self.drainer: InboxDrainer | None = None
        self.jobs: Jobs | None = None
        self._last_stats = (time.monotonic(), 0)

    # --- start / stop ----------------------------------------------------------------------
    def start(self, stop: threading.Event | None = None) -> bool:
        """Start everything; waits (with back-off) while the database is unavailable. False if
        ``stop`` was set meanwhile."""
        stop = stop or threading.Event()
        processor = self._retry_until_up(
            "alarm processor", lambda: self._processor_factory(self.worker_index, self.workers), stop
        )
        if processor is None:
            return False
        if self.workers > 1:
            if not settings.ANQUAN_MQTT_URL:
                raise RuntimeError(
                    "ANQUAN_STREAM_WORKERS > 1 needs a broker (ANQUAN_MQTT_URL) to share alarm partitions"
                )
            self.bus = PartitionBus(
                settings.ANQUAN_MQTT_URL, partition_index=self.worker_index, partitions=self.workers
            )
        site_ids = self.site_ids
        self.pipeline = Pipeline(
            processor=processor,
            forwarder=self.bus,
            partitions=self.workers,
            partition=self.worker_index,
            site_ids=site_ids,
            # the AI models are scored on worker 0; the others forward it their readings
            scoring=ScoringHub(site_ids) if self.worker_index == 0 else None,
            scored_tags=lambda: earlywarning_selectors.scored_tag_ids(site_ids),
        )
        self.pipeline.start()
        if self.bus is not None:
            self.bus.sink = self.pipeline
            self.bus.start()
        self.drainer = InboxDrainer(self.pipeline, name=self.name, site_ids=self.site_ids)
        self.drainer.start()
        self.jobs = Jobs(self.pipeline, site_wide=self.worker_index == 0, site_ids=self.site_ids)
        self.jobs.start()
        self._retry_until_up("connectors", self.sync_connectors, stop)
        logger.info(
            "stream worker %s of %s started (%s): %s connectors",
            self.worker_index,
            self.workers,
            self.name,
            len(self.coordinators),
        )
        return True

    def _retry_until_up(self, what: str, fn: Callable[[], Any], stop: threading.Event) -> Any:
        delay = 0.5
        while not stop.is_set():
            try:
                return fn()
            except DatabaseError as exc:
                logger.warning("%s: database unavailable (%s); retrying in %.1f s", what, exc, delay)
                connection.close()
            stop.wait(delay)
            delay = min(delay * 2, START_RETRY_MAX_S)
        return None

    def run(self, stop: threading.Event) -> bool:
        """Run until ``stop`` is set, then shut down cleanly. False when it stopped because the
        pipeline thread died (a bug, logged): the supervisor should restart the process."""
        try:
            if not self.start(stop):
                return True
            # What start-up loaded (Django, the tag table, models) lives as long as the process:
            # out of the collector's sight, a full collection no longer walks it (pauses of
            # ~100 ms in the middle of a batch, the alarm latency's tail, before this).
            gc.collect()
            gc.freeze()
            next_sync = time.monotonic() + CONNECTOR_POLL_S
            next_stats = time.monotonic() + STATS_EVERY_S
            while not stop.wait(0.5):
                assert self.pipeline is not None
                if not self.pipeline.alive:
                    logger.critical("the pipeline thread died: stopping (restart the stream)")
                    return False
                mono = time.monotonic()
                if mono >= next_sync:
                    next_sync = mono + CONNECTOR_POLL_S
                    try:
                        self.sync_connectors()
                    except DatabaseError as exc:
                        logger.warning("connectors: database unavailable (%s)", exc)
                        connection.close()
                if mono >= next_stats:
                    next_stats = mono + STATS_EVERY_S
                    self.log_stats()
            return True
        finally:
            self.stop()

    def stop(self) -> None:
        logger.info("stream worker %s stopping", self.worker_index)
        for coordinator in self.coordinators.values():
            pause = getattr(coordinator, "pause", None)
            if pause is not None:
                pause()
        if self.drainer is not None:
            self.drainer.stop()
        flushed = True
        if self.pipeline is not None:
            flushed = self.pipeline.stop(timeout=30)
        running = [cid for cid, c in self.coordinators.items() if not isinstance(c, _Idle)]
        for cid, coordinator in list(self.coordinators.items()):
            self._stop_coordinator(cid, coordinator)
        self.coordinators.clear()
        if self.bus is not None:
            self.bus.stop()
        if self.jobs is not None:
            self.jobs.stop()
        if self.pipeline is not None:
            self.log_stats()
        if self.workers == 1 and flushed and running:
            try:
                Connector.objects.filter(
                    pk__in=running, status__in=[ConnectorStatus.CONNECTED, ConnectorStatus.RECONNECTING]
                ).update(
                    status=ConnectorStatus.UNKNOWN,
                    status_detail=_("采集进程已停止。"),
                    status_at=timezone.now(),
                )
            except DatabaseError:
                logger.warning("could not record the connectors' status", exc_info=True)
        connection.close()
        logger.info(
            "stream worker %s stopped%s",
            self.worker_index,
            "" if flushed else " (some readings left unacknowledged)",
        )

    def _stop_coordinator(self, cid: int, coordinator: Any) -> None:
        try:
            coordinator.stop()
        except Exception:
            logger.exception("connector %s did not stop cleanly", cid)

    # --- connectors ------------------------------------------------------------------------
    def sync_connectors(self) -> None:
        """Start coordinators of new or changed enabled connectors; stop those gone or disabled."""
        assert self.pipeline is not None
        connectors = Connector.objects.filter(enabled=True)
        if self.site_ids is not None:
            connectors = connectors.filter(site_id__in=self.site_ids)
        wanted = {
            c.pk: c for c in connectors if c.protocol in PROTOCOLS and PROTOCOLS[c.protocol].has_coordinator
        }
        for cid in list(self.coordinators):
            connector = wanted.get(cid)
            if connector is None or _signature(connector) != self._signatures.get(cid):
                self._stop_coordinator(cid, self.coordinators.pop(cid))
                self._signatures.pop(cid, None)
                if connector is None:
                    logger.info("connector %s stopped (disabled or deleted)", cid)
                    self.pipeline.set_status(cid, ConnectorStatus.DISABLED, _("已停用。"))
        for cid, connector in wanted.items():
            if cid in self.coordinators:
                continue
            kind = PROTOCOLS[connector.protocol]
            try:
                coordinator = kind.coordinator(cid, connector.site_id, connector.config, self.pipeline)
            except Exception as exc:  # an invalid configuration: say so on the connector
                logger.error("connector %s (%s) cannot start: %s", cid, connector.protocol, exc)
                self.pipeline.set_status(
                    cid, ConnectorStatus.ERROR, _("配置无效：%(e)s") % {"e": _problem(exc)}
                )
                self._signatures[cid] = _signature(connector)
                self.coordinators[cid] = _Idle()
                continue
            coordinator.start()
            self.coordinators[cid] = coordinator
            self._signatures[cid] = _signature(connector)
            logger.info("connector %s (%s, %s) started", cid, connector.protocol, connector.name)

    def log_stats(self) -> None:
        if self.pipeline is None:
            return
        s = self.pipeline.stats.snapshot()
        mono = time.monotonic()
        last_t, last_n = self._last_stats
        rate = (s["accepted"] - last_n) / max(mono - last_t, 1e-6)
        self._last_stats = (mono, s["accepted"])
        logger.info(
            "stream worker %s/%s: received=%s accepted=%s rejected=%s stored=%s forwarded_out=%s "
            "forwarded_in=%s buffered=%s retries=%s rate=%.0f/s",
            self.worker_index,
            self.workers,
            s["received"],
            s["accepted"],
            s["rejected"],
            s["stored"],
            s["forwarded_out"],
            s["forwarded_in"],
            self.pipeline.buffered,
            s["retries"],
            rate,
        )


def _problem(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return "；".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())[:400]
    return str(exc)[:400]


class _Idle:
    """Stands in for a connector whose configuration is invalid, until it changes."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
