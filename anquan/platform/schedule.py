"""Periodic jobs: the clock every task worker runs (``anquan worker``).

A domain marks one of its background tasks as periodic::

    @periodic(every=dt.timedelta(minutes=5))
    @task(queue_name="default")
    def remind_due_hazards() -> int: ...

Time is cut into slots of ``every`` (aligned to the epoch, so every worker computes the same
slots). Each worker's clock looks every ``CLOCK_S`` seconds; for a job whose current slot has no
``ScheduledRun`` yet, it inserts one and enqueues the task in the same transaction. The unique
(job, slot) constraint makes exactly one worker win, however many run. A slot missed while no
worker ran is not made up: the next slot runs the job, and jobs are written to catch up on
whatever is due (reminders, escalations, rounds, reports look at the state, not at the slot).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from anquan.platform.models import ScheduledRun

logger = logging.getLogger(__name__)

CLOCK_S = 15.0
KEEP_DAYS = 7  # ScheduledRun rows older than this are deleted by the clock


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    task: Any  # a django_tasks Task

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The start of the slot ``now`` falls in."""
        step = int(self.every.total_seconds())
        epoch = int(now.timestamp())
        return dt.datetime.fromtimestamp(epoch - epoch % step, tz=dt.UTC)


JOBS: dict[str, Periodic] = {}


def periodic(*, every: dt.timedelta) -> Any:
    """Register a django-tasks task to run once per ``every`` (at least a minute)."""
    if every < dt.timedelta(minutes=1):
        raise ValueError("a periodic job runs at most once a minute")

    def register(task: Any) -> Any:
        name = task.module_path
        if name in JOBS:
            raise ValueError(f"periodic job {name} registered twice")
        JOBS[name] = Periodic(name=name, every=every, task=task)
        return task

    return register


def enqueue_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered job whose current slot no worker has enqueued yet; their names."""
    now = now or timezone.now()
    started = []
    for job in JOBS.values():
        slot = job.slot(now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=job.name, slot=slot)
                result = job.task.enqueue()
                run.task_id = str(result.id)
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another worker has this slot
        started.append(job.name)
    return started


def prune(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _detail = ScheduledRun.objects.filter(
        enqueued_at__lt=now - dt.timedelta(days=KEEP_DAYS)
    ).delete()
    return deleted


class Clock:
    """The thread in each task worker that enqueues due periodic jobs."""

    def __init__(self, every_s: float = CLOCK_S) -> None:
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="task-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        autodiscover_modules("tasks")  # every domain's tasks.py registers its periodic jobs
        ticks = 0
        while True:
            try:
                for name in enqueue_due():
                    logger.info("periodic job %s enqueued", name)
                if ticks % 240 == 0:
                    prune()
            except DatabaseError as exc:
                logger.warning("clock: database unavailable (%s)", exc)
            except Exception:
                logger.exception("clock failed")
            finally:
                close_old_connections()
            ticks += 1
            if self._stop.wait(self.every_s):
                return
