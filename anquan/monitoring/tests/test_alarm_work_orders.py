"""An alarm turned into a work order: dispatched, linked back, noted in the alarm's journal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anquan.conftest import World
from anquan.monitoring.choices import JournalKind
from anquan.monitoring.models import AlarmJournal
from anquan.monitoring.tests.test_web_monitoring import alarm, snapshot
from anquan.plant.choices import AlarmPriority
from anquan.workorders.choices import OriginKind, Priority, State
from anquan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_an_operator_opens_a_work_order_from_an_alarm(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)  # H on the tank whose responsible person is leader_a1
    client = world.client("operator_a")

    response = client.post(
        reverse("monitoring:work-order", args=[occ.pk]),
        {"title": "", "priority": "", "description": "检查遮阳棚和温度变送器"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:occurrence", args=[occ.pk]) + "#work-orders"
    order = WorkOrder.objects.get()
    assert (order.origin_kind, order.origin_id, order.origin_url) == (
        OriginKind.ALARM,
        occ.pk,
        reverse("monitoring:occurrence", args=[occ.pk]),
    )
    assert order.title == f"处理报警：{occ.message}"
    assert occ.priority == AlarmPriority.LOW  # an H limit's default priority
    assert (order.priority, order.state) == (Priority.LOW, State.OPEN)  # the alarm's priority carried over
    assert (order.site, order.area, order.equipment) == (
        world.site_a,
        world.area_a1,
        world.equipment["T-101"],
    )
    assert order.assignee == world.user("leader_a1")  # the equipment's responsible person
    assert order.description == "检查遮阳棚和温度变送器"
    note = AlarmJournal.objects.get(occurrence=occ, kind=JournalKind.COMMENTED)
    assert (note.user, note.text) == (world.user("operator_a"), f"已开工单 {order.number}：{order.title}")

    page = client.get(reverse("monitoring:occurrence", args=[occ.pk]))
    assert page.context["work_orders"] == [order]
    assert reverse("workorders:detail", args=[order.pk]) in page.content.decode()


def test_a_worker_may_not_open_one_and_nothing_changes(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)
    before = snapshot()

    response = world.client("worker_a1").post(reverse("monitoring:work-order", args=[occ.pk]), {"title": "x"})

    assert response.status_code == 403
    assert snapshot() == before
    page = world.client("worker_a1").get(reverse("monitoring:occurrence", args=[occ.pk]))
    assert page.context["may_open_work_order"] is False
    assert "开工单" not in page.content.decode()


def test_a_too_long_title_is_a_field_error_and_nothing_is_opened(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)

    response = world.client("operator_a").post(
        reverse("monitoring:work-order", args=[occ.pk]), {"title": "长" * 201, "priority": "high"}
    )

    assert response.status_code == 400
    assert response.context["work_order_form"].errors["title"]
    assert WorkOrder.objects.count() == 0
    assert not AlarmJournal.objects.filter(occurrence=occ, kind=JournalKind.COMMENTED).exists()


def test_the_alarm_page_offers_to_turn_it_into_a_hazard(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)
    link = f'href="{reverse("hazards:from-alarm", args=[occ.pk])}"'
    assert (
        world.client("operator_a")
        .get(reverse("monitoring:occurrence", args=[occ.pk]))
        .context["may_report_hazard"]
    )
    assert (
        link
        in world.client("operator_a").get(reverse("monitoring:occurrence", args=[occ.pk])).content.decode()
    )
    expert = world.client("expert")  # may report, but does not operate alarms: no operator footer
    assert link not in expert.get(reverse("monitoring:occurrence", args=[occ.pk])).content.decode()
