"""The other domains' events become notifications, only once their transaction has committed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from anquan.conftest import PASSWORD, World
from anquan.notifications.choices import Category, Level
from anquan.notifications.models import Notification
from anquan.org import services as org
from anquan.org.choices import Role
from anquan.plant import services as plant


def test_receivers_wait_for_the_commit(world: World, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = org.create_user(
            None, username="newbie", password=PASSWORD, name="新员工", email="newbie@example.com",
            team=world.team_a1, roles=[(Role.WORKER, world.team_a1)],
        )  # fmt: skip
        plant.update_equipment(None, world.equipment["T-101"], responsible=user)

    assert not Notification.objects.filter(recipient=user).exists()  # nothing before the commit
    for callback in callbacks:
        callback()

    rows = list(Notification.objects.filter(recipient=user).order_by("pk"))
    assert [(n.category, n.title, n.level) for n in rows] == [
        (Category.ACCOUNT, "欢迎使用安全生产平台", Level.INFO),
        (Category.ACCOUNT, "您获得了新角色：一线员工", Level.INFO),
        (Category.EQUIPMENT, "您已成为设备 T-101 的责任人", Level.INFO),
    ]
    welcome, role, equipment = rows
    assert welcome.site_id == world.site_a.pk
    assert "newbie" in welcome.body
    assert role.body == "您在“罐区一班”（班组）被授予“一线员工”角色，相应的功能已对您开放。"
    assert role.site_id == world.site_a.pk
    assert equipment.body == "您已被指定为“T-101 1号汽油储罐”（东区储运园区 · 罐区）的责任人。"
    assert equipment.link == f"/plant/equipment/{world.equipment['T-101'].pk}/"
    assert equipment.site_id == world.site_a.pk


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_notifies_nobody(world: World) -> None:
    before = Notification.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        user = org.create_user(None, username="ghost", password=PASSWORD, roles=[(Role.WORKER, world.site_a)])
        plant.update_equipment(None, world.equipment["P-201"], responsible=user)
        raise RuntimeError("rolled back")

    assert Notification.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_committed_writes_notify(world: World) -> None:
    worker = world.user("worker_a2")

    org.assign_role(None, user=worker, role=Role.OPERATOR, scope=world.site_a)
    plant.update_equipment(None, world.equipment["P-201"], responsible=worker)

    titles = list(
        Notification.objects.filter(recipient=worker, category__in=[Category.ACCOUNT, Category.EQUIPMENT])
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert titles[-2:] == ["您获得了新角色：中控操作员", "您已成为设备 P-201 的责任人"]


def test_an_assignment_revoked_before_the_commit_is_not_announced(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    worker = world.user("worker_a2")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assignment = org.assign_role(None, user=worker, role=Role.OPERATOR, scope=world.site_a)
        org.revoke_role(None, assignment)

    for callback in callbacks:
        callback()

    assert not Notification.objects.filter(recipient=worker, title__contains="中控操作员").exists()
