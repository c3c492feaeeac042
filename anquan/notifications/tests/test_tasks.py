"""The delivery task: retries with back-off, a final failure, idempotency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from anquan.conftest import World
from anquan.notifications import services, tasks
from anquan.notifications.choices import Category, ChannelKind, DeliveryStatus, Level, Medium
from anquan.notifications.models import Channel, Delivery
from anquan.notifications.tests.conftest import DINGTALK_SECRET, Robots, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def _robot(world: World, robots: Robots) -> Channel:
    return services.create_channel(
        world.user("admin_a"), site=world.site_a, kind="dingtalk", name="安全钉钉群",
        webhook_url=robots.dingtalk_url, webhook_secret=DINGTALK_SECRET,
    )  # fmt: skip


def _alarm(world: World) -> None:
    # IM only: the worker has switched e-mail off for system messages.
    worker = world.user("worker_a1")
    services.set_preference(worker, user=worker, category=Category.SYSTEM, medium=Medium.EMAIL, enabled=False)
    services.notify(
        [worker],
        Category.SYSTEM,
        "T-101 高高报警",
        "温度 52 °C",
        level=Level.CRITICAL,
        site_id=world.site_a.pk,
    )


def _pending_task() -> DBTaskResult:
    return DBTaskResult.objects.get(status="READY")


def _time_passes() -> None:
    """Make the waiting retry due (as if its back-off had elapsed)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - dt.timedelta(seconds=1))


def test_backoff_schedule() -> None:
    assert [tasks.backoff(n).total_seconds() for n in range(1, 8)] == [30, 120, 480, 1800, 7200, 7200, 7200]


def test_a_robot_that_fails_twice_then_succeeds(world: World, robots: Robots) -> None:
    _robot(world, robots)
    robots.script["dingtalk"] = [
        (502, {"message": "Bad Gateway"}),
        (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    ]
    _alarm(world)
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.status, delivery.attempts) == (
        ChannelKind.DINGTALK,
        DeliveryStatus.PENDING,
        0,
    )

    # Attempt 1: HTTP 502 -> retrying, next in 30 s.
    before = timezone.now()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.last_error == "服务返回 HTTP 502"
    assert delivery.response == '{"message": "Bad Gateway"}'
    assert (
        before + dt.timedelta(seconds=30)
        <= delivery.next_attempt_at
        <= timezone.now() + dt.timedelta(seconds=30)
    )
    retry = _pending_task()
    assert retry.queue_name == "notifications"
    assert retry.args_kwargs == {"args": [delivery.pk], "kwargs": {}}
    assert retry.run_after == delivery.next_attempt_at
    run_worker()  # not due yet: the worker leaves it alone
    assert Delivery.objects.get().attempts == 1
    assert len(robots.of("dingtalk")) == 1

    # Attempt 2: DingTalk's rate limit -> retrying, next in 2 min.
    _time_passes()
    before = timezone.now()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 2)
    assert delivery.last_error == "钉钉拒绝了消息：130101 send too fast, exceed 20 times per minute"
    assert (
        before + dt.timedelta(minutes=2)
        <= delivery.next_attempt_at
        <= timezone.now() + dt.timedelta(minutes=2)
    )
    assert _pending_task().run_after == delivery.next_attempt_at

    # Attempt 3: the real check passes (signature and payload) -> sent.
    _time_passes()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")
    assert delivery.sent_at is not None and delivery.next_attempt_at is None
    assert delivery.response == '{"errcode": 0, "errmsg": "ok"}'
    assert len(robots.of("dingtalk")) == 3
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 3


def test_gives_up_after_the_configured_number_of_attempts(
    world: World, robots: Robots, settings: Any
) -> None:
    settings.ANQUAN_NOTIFY_MAX_ATTEMPTS = 2
    _robot(world, robots)
    robots.script["dingtalk"] = [(500, {"error": "down"})] * 5
    _alarm(world)

    run_worker()
    _time_passes()
    run_worker()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.FAILED, 2, None)
    assert delivery.last_error == "服务返回 HTTP 500"
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert len(robots.of("dingtalk")) == 2


def test_a_sent_delivery_is_never_sent_again(world: World, robots: Robots) -> None:
    _robot(world, robots)
    _alarm(world)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT

    assert tasks.deliver.call(delivery.pk) == DeliveryStatus.SENT
    tasks.deliver.enqueue(delivery.pk)
    run_worker()

    assert len(robots.of("dingtalk")) == 1
    assert Delivery.objects.get().attempts == 1


def test_two_tasks_for_one_pending_delivery_send_it_once(world: World, robots: Robots) -> None:
    _robot(world, robots)
    _alarm(world)
    tasks.deliver.enqueue(Delivery.objects.get().pk)  # a duplicate

    run_worker()

    assert len(robots.of("dingtalk")) == 1
    assert Delivery.objects.get().attempts == 1


def test_a_channel_switched_off_before_sending_fails_without_retry(world: World, robots: Robots) -> None:
    channel = _robot(world, robots)
    _alarm(world)
    services.update_channel(world.user("admin_a"), channel, enabled=False)

    run_worker()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error == "渠道“安全钉钉群”已停用，消息未发送。"
    assert robots.requests == []
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_channel_deleted_before_sending_fails_and_keeps_the_log(world: World, robots: Robots) -> None:
    channel = _robot(world, robots)
    _alarm(world)
    services.delete_channel(world.user("admin_a"), channel)

    run_worker()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.channel_id, delivery.kind) == (DeliveryStatus.FAILED, None, "dingtalk")
    assert delivery.last_error == "该渠道已被删除，消息未发送。"


def test_a_missing_delivery_is_ignored(db: Any) -> None:
    assert tasks.deliver.call(123456) == "missing"


def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep(world: World, robots: Robots) -> None:
    _robot(world, robots)
    _alarm(world)
    DBTaskResult.objects.all().delete()  # the worker died with it: nothing queued any more
    delivery = Delivery.objects.get()
    assert tasks.requeue_stuck.call() == 0  # quiet for less than STUCK_AFTER: left alone

    Delivery.objects.filter(pk=delivery.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=16))
    assert tasks.requeue_stuck.call() == 1
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert tasks.requeue_stuck.call() == 0  # sent: never again


def test_a_retry_waiting_for_its_backoff_is_not_stuck(world: World, robots: Robots) -> None:
    _robot(world, robots)
    robots.script["dingtalk"] = [(502, {"message": "Bad Gateway"})]
    _alarm(world)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    Delivery.objects.filter(pk=delivery.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=1),
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),  # a 2-hour back-off, half elapsed
    )
    assert tasks.requeue_stuck.call() == 0
