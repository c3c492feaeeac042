from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from anquan.platform import schedule
from anquan.platform.models import ScheduledRun

NOON = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.UTC)


@task(queue_name="default")
def tick_job() -> str:
    return "ticked"


@pytest.fixture
def job(monkeypatch: pytest.MonkeyPatch) -> schedule.Periodic:
    periodic = schedule.Periodic(name="test.tick", every=dt.timedelta(minutes=5), task=tick_job)
    monkeypatch.setattr(schedule, "JOBS", {"test.tick": periodic})
    return periodic


def test_slots_are_aligned_so_every_worker_computes_the_same() -> None:
    every_5 = schedule.Periodic(name="x", every=dt.timedelta(minutes=5), task=None)
    assert every_5.slot(NOON + dt.timedelta(minutes=7, seconds=59)) == NOON + dt.timedelta(minutes=5)
    assert every_5.slot(NOON) == NOON
    assert every_5.slot(NOON - dt.timedelta(seconds=1)) == NOON - dt.timedelta(minutes=5)


def test_a_job_runs_at_most_once_a_minute() -> None:
    with pytest.raises(ValueError, match="once a minute"):
        schedule.periodic(every=dt.timedelta(seconds=30))


@pytest.mark.django_db
def test_each_slot_is_enqueued_once(job: schedule.Periodic) -> None:
    assert schedule.enqueue_due(NOON) == ["test.tick"]
    assert schedule.enqueue_due(NOON + dt.timedelta(minutes=4)) == []  # same slot
    assert schedule.enqueue_due(NOON + dt.timedelta(minutes=5)) == ["test.tick"]
    runs = list(ScheduledRun.objects.order_by("slot").values_list("job", "slot"))
    assert runs == [("test.tick", NOON), ("test.tick", NOON + dt.timedelta(minutes=5))]
    queued = DBTaskResult.objects.filter(task_path=tick_job.module_path)
    assert queued.count() == 2
    assert {str(r.id) for r in queued} == set(ScheduledRun.objects.values_list("task_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_concurrent_clocks_enqueue_a_slot_once(job: schedule.Periodic) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's concurrent inserts")
    barrier = threading.Barrier(4)
    won: list[list[str]] = []

    def clock() -> None:
        try:
            barrier.wait()
            won.append(schedule.enqueue_due(NOON))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=clock) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == [[], [], [], ["test.tick"]]
    assert DBTaskResult.objects.filter(task_path=tick_job.module_path).count() == 1


@pytest.mark.django_db
def test_old_runs_are_pruned(job: schedule.Periodic) -> None:
    schedule.enqueue_due(NOON)
    ScheduledRun.objects.update(enqueued_at=NOON - dt.timedelta(days=8))
    schedule.enqueue_due(NOON + dt.timedelta(minutes=5))
    assert schedule.prune(NOON) == 1
    assert list(ScheduledRun.objects.values_list("slot", flat=True)) == [NOON + dt.timedelta(minutes=5)]
