"""Who is told of each work-order step (anquan/notifications/receivers_workorders.py), once the
step's transaction has committed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anquan.conftest import World
from anquan.notifications.choices import Category, Level
from anquan.notifications.models import Notification
from anquan.workorders import services
from anquan.workorders.choices import OriginKind, Priority
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import png, tank_order

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)


def inbox(world: World, key: str) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=world.user(key), category=Category.WORK_ORDER)
        .order_by("pk")
        .values_list("title", "level")
    )


def test_the_assignee_is_told_of_a_new_order(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = tank_order(world, now=NOON)

    note = Notification.objects.get(category=Category.WORK_ORDER)
    assert note.recipient == world.user("leader_a1")
    assert (note.title, note.level, note.site_id) == (
        f"新工单：{order.number} 1号罐呼吸阀检修", Level.WARNING, world.site_a.pk,
    )  # fmt: skip
    assert note.body == (
        "东区储运园区 · 罐区 · T-101 · 优先级高 · 请在 11-28 12:30 前接单，11-29 12:00 前完成。"
        "派单依据：设备 T-101 的责任人"
    )
    assert note.link == f"/workorders/{order.pk}/"


def test_an_order_nobody_was_found_for_goes_to_the_ehs_director(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = tank_order(world, site=world.site_b, equipment=world.equipment["T-901"])

    assert order.assignee is None
    assert inbox(world, "ehs") == [(f"工单待指派：{order.number} 1号罐呼吸阀检修", Level.WARNING)]
    note = Notification.objects.get(category=Category.WORK_ORDER)
    assert note.body == "西区储运园区 · 西罐区 · T-901 · 派单规则没有找到处理人，请指派。"


def test_each_step_tells_the_right_people(world: World, django_capture_on_commit_callbacks: Any) -> None:
    leader, manager, worker = world.user("leader_a1"), world.user("manager_a1"), world.user("worker_a1")
    with django_capture_on_commit_callbacks(execute=True):
        order = services.open_work_order(
            manager, site=world.site_a, equipment=world.equipment["T-101"], title="更换呼吸阀",
            priority=Priority.URGENT, origin_kind=OriginKind.HAZARD, origin_id=3, watchers=[worker],
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(leader, order)
        services.start(leader, order)
        services.complete(leader, order, "已更换", [png()])
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_work(manager, order, "缺少试压记录")
    with django_capture_on_commit_callbacks(execute=True):
        services.complete(leader, order, "补充试压记录", [png()])
        services.verify(manager, order)

    n = order.number
    assert inbox(world, "leader_a1") == [
        (f"新工单：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单被驳回，请返工：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单已验收：{n} 更换呼吸阀", Level.CRITICAL),
    ]
    assert inbox(world, "manager_a1") == [  # the creator; never told of their own steps
        (f"工单已完成，待验收：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单已完成，待验收：{n} 更换呼吸阀", Level.CRITICAL),
    ]
    assert inbox(world, "worker_a1") == [  # the watcher (e.g. the hazard's reporter)
        (f"工单已完成，待验收：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单被驳回，请返工：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单已完成，待验收：{n} 更换呼吸阀", Level.CRITICAL),
        (f"工单已验收：{n} 更换呼吸阀", Level.CRITICAL),
    ]
    rejected = Notification.objects.filter(recipient=leader, title__startswith="工单被驳回").get()
    assert rejected.body == "东区储运园区 · 罐区 · T-101 · 驳回原因：缺少试压记录"


def test_a_system_order_done_goes_to_the_area_managers_to_verify(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    leader = world.user("leader_a1")
    order = tank_order(world)
    services.accept(leader, order)
    services.start(leader, order)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete(leader, order, "已更换", [png()])

    assert inbox(world, "manager_a1") == [
        (f"工单已完成，待验收：{order.number} 1号罐呼吸阀检修", Level.WARNING)
    ]


def test_reassignment_and_cancellation(world: World, django_capture_on_commit_callbacks: Any) -> None:
    manager = world.user("manager_a1")
    order = tank_order(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.reassign(manager, order, world.user("worker_a1"))
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(manager, WorkOrder.objects.get(pk=order.pk), "设备停用")

    n = order.number
    assert inbox(world, "worker_a1") == [
        (f"工单改派给您：{n} 1号罐呼吸阀检修", Level.WARNING),
        (f"工单已取消：{n} 1号罐呼吸阀检修", Level.WARNING),
    ]
    assert inbox(world, "leader_a1") == []  # no longer theirs: neither step concerns them


def test_escalation_recipients_are_told(world: World, django_capture_on_commit_callbacks: Any) -> None:
    order = tank_order(world, now=NOON)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue(NOON + dt.timedelta(minutes=31))
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue(NOON + dt.timedelta(minutes=151))

    title = f"工单超时升级：{order.number} 1号罐呼吸阀检修"
    assert inbox(world, "manager_a1") == [(title, Level.WARNING)]
    assert inbox(world, "ehs") == [(title, Level.WARNING)]
    body = Notification.objects.get(recipient=world.user("ehs"), category=Category.WORK_ORDER).body
    assert (
        body
        == "东区储运园区 · 罐区 · T-101 · 处理人：班长甲 · 状态：待接单 · 完成期限 11-29 12:00。请督促处理。"
    )
