"""The work-order API beyond the permission matrix: filters, the timeline, creating by hand, the
steps with their exact results and errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import store_upload
from anquan.workorders import services
from anquan.workorders.choices import State
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import done, in_progress, png, tank_order

pytestmark = pytest.mark.django_db
API = "/api/v1/workorders"


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_lists_are_scoped_and_filtered(world: World) -> None:
    old = tank_order(world, now=dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC))  # long overdue
    pump = tank_order(world, equipment=world.equipment["P-201"], title="泵密封渗漏")  # → officer_a
    west = tank_order(world, site=world.site_b, equipment=world.equipment["T-901"])
    services.cancel(world.user("manager_a1"), tank_order(world, title="已取消的"), "重复")
    leader, officer = as_user(world, "leader_a1"), as_user(world, "officer_a")

    assert ids(leader.get(f"{API}/?mine=true&state=open")) == [old.pk]
    assert ids(leader.get(f"{API}/?overdue=true")) == [old.pk]
    assert ids(officer.get(f"{API}/?mine=true")) == [pump.pk]
    assert ids(officer.get(f"{API}/?priority=low")) == []
    assert west.pk not in ids(officer.get(f"{API}/"))
    assert ids(as_user(world, "worker_a1").get(f"{API}/")) == []  # sees no order: none is theirs
    assert west.pk in ids(as_user(world, "ehs").get(f"{API}/"))


def test_the_detail_has_the_timeline_and_the_origin(world: World) -> None:
    order = in_progress(world)

    body = as_user(world, "leader_a1").get(f"{API}/{order.pk}").json()

    assert (body["number"], body["state"], body["assignee_name"], body["overdue"]) == (
        order.number, "in_progress", "班长甲", False,
    )  # fmt: skip
    assert (body["origin_kind"], body["origin_id"], body["origin_label"], body["origin_url"]) == (
        "alarm", 41, "报警 TI-101 高高", "/monitoring/alarms/41/",
    )  # fmt: skip
    assert [(s["kind"], s["from_state"], s["to_state"], s["actor_name"]) for s in body["steps"]] == [
        ("opened", "", "open", None),
        ("accepted", "open", "accepted", "班长甲"),
        ("started", "accepted", "in_progress", "班长甲"),
    ]


def test_a_manager_creates_by_hand(world: World) -> None:
    client = as_user(world, "manager_a1")

    by_equipment = client.post(
        f"{API}/", {"equipment_id": world.equipment["T-101"].pk, "title": "罐顶检查", "priority": "urgent"}
    )
    by_area = client.post(
        f"{API}/",
        {"area_id": world.area_a1.pk, "title": "围堰排水", "assignee_id": world.user("worker_a1").pk},
    )
    nowhere = client.post(f"{API}/", {"title": "不知道在哪"})
    outsider = client.post(
        f"{API}/", {"area_id": world.area_a1.pk, "title": "x", "assignee_id": world.user("worker_b1").pk}
    )
    no_title = client.post(f"{API}/", {"area_id": world.area_a1.pk, "title": "  "})

    assert by_equipment.status_code == 201, by_equipment.content
    created = by_equipment.json()
    assert (created["area_id"], created["priority"], created["origin_kind"], created["assignee_name"]) == (
        world.area_a1.pk, "urgent", "manual", "班长甲",
    )  # fmt: skip
    assert created["dispatch_rule"] == "equipment_responsible"
    assert (by_area.status_code, by_area.json()["dispatch_rule"], by_area.json()["assignee_id"]) == (
        201, "manual", world.user("worker_a1").pk,
    )  # fmt: skip
    assert (nowhere.status_code, nowhere.json()["errors"]) == (400, {"area_id": ["请选择区域或设备。"]})
    assert (outsider.status_code, outsider.json()["errors"]) == (
        400, {"assignee_id": ["员工丙 不在本场所任职，不能处理本场所的工单。"]},
    )  # fmt: skip
    assert (no_title.status_code, no_title.json()["errors"]) == (400, {"title": ["请填写工单标题。"]})
    assert WorkOrder.objects.count() == 2


def test_the_assignee_works_the_order_through_the_api(world: World) -> None:
    leader = as_user(world, "leader_a1")
    order = tank_order(world)

    accepted = leader.post(f"{API}/{order.pk}/accept")
    again = leader.post(f"{API}/{order.pk}/accept")
    started = leader.post(f"{API}/{order.pk}/start")
    without = leader.call("POST", f"{API}/{order.pk}/complete", {"note": "已处理"}, multipart=True)
    finished = leader.call(
        "POST", f"{API}/{order.pk}/complete", {"note": "已更换垫片", "files": [png("前.png"), png("后.png")]},
        multipart=True,
    )  # fmt: skip

    assert (accepted.status_code, accepted.json()["state"]) == (200, "accepted")
    assert (again.status_code, again.json()["errors"]) == (
        400,
        {"state": ["该工单当前为“已接单”，不能接单。"]},
    )
    assert (started.status_code, started.json()["state"]) == (200, "in_progress")
    assert (without.status_code, without.json()["errors"]) == (
        400, {"evidence": ["请上传至少一张现场照片或文件作为完成凭证。"]},
    )  # fmt: skip
    assert finished.status_code == 200, finished.content
    body = finished.json()
    assert (body["state"], body["completion_note"], body["completed_by_id"]) == (
        "done",
        "已更换垫片",
        world.user("leader_a1").pk,
    )
    photos = sorted(Attachment.objects.values_list("pk", flat=True))
    assert len(photos) == 2 and sorted(body["steps"][-1]["evidence"]) == photos


def test_evidence_by_attachment_id(world: World) -> None:
    order = in_progress(world)
    photo = store_upload(world.user("leader_a1"), order, png(), "现场")

    r = as_user(world, "leader_a1").call(
        "POST", f"{API}/{order.pk}/complete", {"note": "已处理", "evidence": [photo.pk]}, multipart=True
    )

    assert (r.status_code, r.json()["state"], r.json()["steps"][-1]["evidence"]) == (200, "done", [photo.pk])


def test_verification_and_rejection_through_the_api(world: World) -> None:
    order = done(world)
    manager = as_user(world, "manager_a1")

    own = as_user(world, "leader_a1").post(f"{API}/{order.pk}/verify", {})
    blank = manager.post(f"{API}/{order.pk}/reject", {"reason": " "})
    missing = manager.post(f"{API}/{order.pk}/reject", {})
    rejected = manager.post(f"{API}/{order.pk}/reject", {"reason": "照片看不清"})

    assert (own.status_code, own.json()["detail"]) == (403, "不能验收自己完成的工单。")
    assert (blank.status_code, blank.json()["errors"]) == (400, {"reason": ["请填写驳回原因。"]})
    assert (missing.status_code, missing.json()["errors"]) == (422, {"reason": ["此字段为必填项。"]})
    assert (rejected.status_code, rejected.json()["state"], rejected.json()["rework_count"]) == (
        200,
        "in_progress",
        1,
    )
    assert WorkOrder.objects.get(pk=order.pk).state == State.IN_PROGRESS


def test_reassign_and_cancel_through_the_api(world: World) -> None:
    order = tank_order(world)
    manager = as_user(world, "manager_a1")

    unknown = manager.post(f"{API}/{order.pk}/reassign", {"assignee_id": 999999})
    moved = manager.post(
        f"{API}/{order.pk}/reassign", {"assignee_id": world.user("worker_a1").pk, "note": "班长休假"}
    )
    cancelled = manager.post(f"{API}/{order.pk}/cancel", {"reason": "设备停用"})

    assert (unknown.status_code, unknown.json()["errors"]) == (
        400,
        {"assignee_id": ["未找到该记录，或您无权访问。"]},
    )
    assert (moved.status_code, moved.json()["assignee_name"], moved.json()["state"]) == (
        200,
        "员工甲",
        "open",
    )
    assert (cancelled.status_code, cancelled.json()["state"], cancelled.json()["cancel_reason"]) == (
        200, "cancelled", "设备停用",
    )  # fmt: skip


def test_an_origin_finds_its_orders(world: World) -> None:
    from anquan.workorders import selectors

    first = tank_order(world)
    other_alarm = tank_order(world, origin_id=42)
    second = tank_order(world)

    assert list(selectors.of_origin(world.user("manager_a1"), "alarm", 41)) == [first, second]
    assert list(selectors.of_origin(world.user("manager_a1"), "alarm", 42)) == [other_alarm]
    assert list(selectors.of_origin(world.user("admin_b"), "alarm", 41)) == []
