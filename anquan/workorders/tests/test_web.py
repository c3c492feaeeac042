"""The work-order pages: my list and the managers' list, the detail with its timeline and the
forms of exactly the allowed steps, creating by hand — on a phone, with exact state changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from anquan.conftest import World
from anquan.platform.attachments.models import Attachment
from anquan.workorders.choices import State
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import done, in_progress, png, tank_order

pytestmark = pytest.mark.django_db
PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}


def text(response: Any) -> str:
    return response.content.decode()


def state_of(order: WorkOrder) -> str:
    return WorkOrder.objects.get(pk=order.pk).state


def test_my_list_shows_my_orders_first_with_state_and_overdue(world: World) -> None:
    late = tank_order(world, now=dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC), title="呼吸阀检修（超期）")
    fresh = tank_order(world, title="阻火器清洗")
    others = tank_order(world, equipment=world.equipment["P-201"], title="泵密封渗漏")  # officer_a's

    response = world.client("leader_a1").get(reverse("workorders:list"), **PHONE)

    assert response.status_code == 200
    body = text(response)
    assert "我的工单" in body and 'name="viewport"' in body
    assert body.index("呼吸阀检修（超期）") < body.index("阻火器清洗")  # the nearest deadline first
    assert f'href="/workorders/{late.pk}/"' in body and f'href="/workorders/{fresh.pk}/"' in body
    assert f'href="/workorders/{others.pk}/"' not in body
    assert body.count("已超期") >= 2  # the badge of the late one and the counter
    assert "待接单" in body and late.number in body
    assert 'data-testid="count-mine">2<' in body
    assert 'id="wo-new"' in body  # a team leader may create orders


def test_the_list_is_for_everyone_and_scoped(world: World) -> None:
    order = tank_order(world)

    anonymous = world.client(None).get(reverse("workorders:list"))
    worker = world.client("worker_a1").get(reverse("workorders:list") + "?tab=all")
    officer = world.client("officer_a").get(reverse("workorders:list") + "?tab=all&state=open&priority=high")
    other_site = world.client("admin_b").get(reverse("workorders:list") + "?tab=all")

    assert anonymous.status_code == 302
    assert (
        worker.status_code == 200
        and "没有符合条件的工单。" in text(worker)
        and 'id="wo-new"' not in text(worker)
    )
    assert f'href="/workorders/{order.pk}/"' in text(officer)
    assert f'href="/workorders/{order.pk}/"' not in text(other_site)


def test_the_detail_shows_origin_timeline_and_only_the_allowed_steps(world: World) -> None:
    order = tank_order(world)
    url = reverse("workorders:detail", args=[order.pk])

    assignee = world.client("leader_a1").get(url, **PHONE)
    manager = world.client("manager_a1").get(url)
    operator = world.client("operator_a").get(url)

    assert assignee.status_code == 200
    body = text(assignee)
    assert order.number in body and "1号罐呼吸阀检修" in body
    assert '<a href="/monitoring/alarms/41/">报警 TI-101 高高</a>' in body
    assert "设备责任人 · 设备 T-101 的责任人" in body
    assert body.count('data-testid="wo-step"') == 1 and "派单依据：设备 T-101 的责任人" in body
    assert f'action="/workorders/{order.pk}/accept/"' in body
    for step in ("start", "complete", "verify", "reject"):
        assert f'action="/workorders/{order.pk}/{step}/"' not in body
    assert f'action="/workorders/{order.pk}/reassign/"' in text(manager)
    assert f'action="/workorders/{order.pk}/cancel/"' in text(manager)
    assert f'action="/workorders/{order.pk}/accept/"' not in text(manager)
    assert operator.status_code == 200  # holds workorders.manage at the site: may reassign, not accept
    assert f'action="/workorders/{order.pk}/accept/"' not in text(operator)
    assert f'action="/workorders/{order.pk}/reassign/"' in text(operator)
    assert world.client("worker_b1").get(url).status_code == 404
    assert world.client("worker_a2").get(url).status_code == 404


def test_the_assignee_works_the_order_on_the_page(world: World) -> None:
    order = tank_order(world)
    client = world.client("leader_a1")

    accepted = client.post(reverse("workorders:act", args=[order.pk, "accept"]))
    started = client.post(reverse("workorders:act", args=[order.pk, "start"]))
    page = client.get(reverse("workorders:detail", args=[order.pk]), **PHONE)
    refused = client.post(reverse("workorders:act", args=[order.pk, "complete"]), {"note": "已处理"})
    completed = client.post(
        reverse("workorders:act", args=[order.pk, "complete"]), {"note": "已更换垫片", "files": [png()]}
    )

    assert (accepted.status_code, accepted["Location"]) == (302, f"/workorders/{order.pk}/")
    assert started.status_code == 302
    assert 'id="wo-complete-form"' in text(page) and 'enctype="multipart/form-data"' in text(page)
    assert refused.status_code == 400
    assert "请上传至少一张现场照片或文件作为完成凭证。" in text(refused)
    assert completed.status_code == 302
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.completion_note) == (State.DONE, "已更换垫片")
    detail = text(client.get(reverse("workorders:detail", args=[order.pk])))
    photo = Attachment.objects.get()
    assert f"/attachments/{photo.pk}/thumbnail/" in detail
    assert "已更换垫片" in detail and 'id="wo-actions"' not in detail  # the completer may not verify


def test_a_non_assignee_cannot_step_through_the_page(world: World) -> None:
    order = tank_order(world)

    response = world.client("operator_a").post(reverse("workorders:act", args=[order.pk, "accept"]))
    unknown = world.client("leader_a1").post(reverse("workorders:act", args=[order.pk, "explode"]))

    assert response.status_code == 403
    assert unknown.status_code == 404
    assert state_of(order) == State.OPEN


def test_a_manager_verifies_or_rejects_on_the_page(world: World) -> None:
    first, second = done(world), done(world)
    client = world.client("manager_a1")

    page = client.get(reverse("workorders:detail", args=[first.pk]))
    no_reason = client.post(reverse("workorders:act", args=[first.pk, "reject"]), {"reject-reason": ""})
    rejected = client.post(
        reverse("workorders:act", args=[first.pk, "reject"]), {"reject-reason": "缺少试压记录"}
    )
    verified = client.post(reverse("workorders:act", args=[second.pk, "verify"]), {"verify-note": "合格"})

    assert f'action="/workorders/{first.pk}/verify/"' in text(page)
    assert no_reason.status_code == 400 and "这个字段是必填项。" in text(no_reason)
    assert (rejected.status_code, verified.status_code) == (302, 302)
    assert (state_of(first), state_of(second)) == (State.IN_PROGRESS, State.VERIFIED)
    rework = text(world.client("leader_a1").get(reverse("workorders:detail", args=[first.pk]), **PHONE))
    assert "验收被驳回，请返工：缺少试压记录" in rework


def test_reassign_and_cancel_on_the_page(world: World) -> None:
    order = in_progress(world)
    client = world.client("manager_a1")

    outsider = client.post(
        reverse("workorders:act", args=[order.pk, "reassign"]), {"assignee": world.user("worker_b1").pk}
    )
    moved = client.post(
        reverse("workorders:act", args=[order.pk, "reassign"]),
        {"assignee": world.user("worker_a1").pk, "note": "班长出差"},
    )
    cancelled = client.post(
        reverse("workorders:act", args=[order.pk, "cancel"]), {"cancel-reason": "设备停用"}
    )

    assert outsider.status_code == 400  # not among the people of the site
    assert moved.status_code == 302 and cancelled.status_code == 302
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.assignee, o.state, o.cancel_reason) == (world.user("worker_a1"), State.CANCELLED, "设备停用")


def test_creating_by_hand(world: World) -> None:
    url = reverse("workorders:create")
    client = world.client("manager_a1")

    form = client.get(url, **PHONE)
    empty = client.post(url, {"title": "", "priority": "medium"})
    created = client.post(
        url, {"area": world.area_a1.pk, "title": "罐区围堰排水", "priority": "low", "description": "雨后积水"}
    )

    assert form.status_code == 200 and 'id="wo-create-form"' in text(form) and "罐区" in text(form)
    assert empty.status_code == 400 and "请选择区域或设备。" in text(empty)
    assert created.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.title, order.priority, order.assignee, order.created_by, order.origin_kind) == (
        "罐区围堰排水", "low", world.user("leader_a1"), world.user("manager_a1"), "manual",
    )  # fmt: skip
    assert created["Location"] == f"/workorders/{order.pk}/"
    assert world.client("worker_a1").get(url).status_code == 403
    assert world.client(None).get(url).status_code == 302


def test_everyone_signed_in_finds_work_orders_in_the_menu(world: World) -> None:
    for key in ("worker_a1", "contractor_a", "manager_a1"):
        body = text(world.client(key).get(reverse("workorders:list")))
        assert 'href="/workorders/"' in body and "工单" in body


def test_the_back_office_lists_and_shows_orders(world: World) -> None:
    order = done(world)
    client = world.client("root")

    listing = client.get("/admin/workorders/workorder/")
    change = client.get(f"/admin/workorders/workorder/{order.pk}/change/")

    assert listing.status_code == 200 and order.number in text(listing)
    assert change.status_code == 200 and "已更换呼吸阀垫片" in text(change)
    assert client.get("/admin/workorders/workorder/add/").status_code == 403
