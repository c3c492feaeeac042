"""The work-order state machine through its services: every step, every refusal (wrong person,
wrong state, bad input), the timeline, the audit trail, the events, the numbering."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.conftest import World
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import store_upload
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry
from anquan.workorders import services
from anquan.workorders.choices import DispatchRule, OriginKind, Priority, State, StepKind
from anquan.workorders.events import WorkOrderChanged, WorkOrderOpened
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import accepted, done, in_progress, png, tank_order

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def row(order: WorkOrder) -> tuple[Any, ...]:
    o = WorkOrder.objects.get(pk=order.pk)
    return (o.state, o.assignee_id, o.completed_by_id, o.verified_by_id, o.rework_count, o.escalation_level)


def timeline(order: WorkOrder) -> list[tuple[str, str, str, str | None]]:
    return [
        (s.kind, s.from_state, s.to_state, s.actor.username if s.actor else None)
        for s in order.steps.select_related("actor").order_by("at", "pk")
    ]


# --- open -----------------------------------------------------------------------------------------
def test_the_system_opens_an_order_from_an_alarm_dispatched_by_the_rules(world: World) -> None:
    with captured() as events:
        order = tank_order(world, now=NOON)

    assert order.number == "WO-20261128-0001"
    assert (order.site, order.area, order.equipment) == (
        world.site_a,
        world.area_a1,
        world.equipment["T-101"],
    )
    assert (order.state, order.priority, order.assignee) == (
        State.OPEN,
        Priority.HIGH,
        world.user("leader_a1"),
    )
    assert (order.dispatch_rule, order.dispatch_basis) == (
        DispatchRule.EQUIPMENT_RESPONSIBLE,
        "设备 T-101 的责任人",
    )
    assert (order.origin_kind, order.origin_id, order.origin_label, order.origin_url) == (
        OriginKind.ALARM, 41, "报警 TI-101 高高", "/monitoring/alarms/41/",
    )  # fmt: skip
    assert order.created_by is None
    assert order.accept_due_at == NOON + dt.timedelta(minutes=30)  # 高: accept within 30 min
    assert order.due_at == NOON + dt.timedelta(hours=24)  # and complete within 24 h
    assert timeline(order) == [(StepKind.OPENED, "", State.OPEN, None)]
    assert order.steps.get().note == "派单依据：设备 T-101 的责任人"
    assert events == [
        WorkOrderOpened(
            work_order_id=order.pk, site_id=world.site_a.pk, area_id=world.area_a1.pk, state="open",
            origin_kind="alarm", origin_id=41, assignee_id=world.user("leader_a1").pk, actor_id=None,
        )
    ]  # fmt: skip
    entry = AuditEntry.objects.filter(model="workorders.workorder", object_id=str(order.pk)).get()
    assert (entry.action, entry.actor_name, entry.site_id) == ("create", "system", world.site_a.pk)


def test_numbers_count_per_site_and_local_day(world: World) -> None:
    first = tank_order(world, now=NOON)
    second = tank_order(world, now=NOON + dt.timedelta(hours=1))
    west = tank_order(world, site=world.site_b, equipment=world.equipment["T-901"], now=NOON)
    next_day = tank_order(world, now=NOON + dt.timedelta(hours=12))  # 00:00 on the 29th in Shanghai

    assert [first.number, second.number, west.number, next_day.number] == [
        "WO-20261128-0001", "WO-20261128-0002", "WO-20261128-0001", "WO-20261129-0001",
    ]  # fmt: skip


def test_a_manager_opens_one_by_hand_and_may_choose_the_assignee(world: World) -> None:
    manager = world.user("manager_a1")

    by_rules = services.open_work_order(
        manager, site=world.site_a, area=world.area_a1, title="围堰排水", priority=Priority.LOW,
        origin_kind=OriginKind.MANUAL,
    )  # fmt: skip
    by_hand = services.open_work_order(
        manager, site=world.site_a, area=world.area_a1, title="消防通道清理", priority=Priority.MEDIUM,
        origin_kind=OriginKind.MANUAL, assignee=world.user("worker_a1"),
    )  # fmt: skip

    assert (by_rules.assignee, by_rules.dispatch_rule, by_rules.created_by) == (
        world.user("leader_a1"), DispatchRule.TEAM_LEADER, manager,
    )  # fmt: skip
    assert (by_hand.assignee, by_hand.dispatch_rule, by_hand.dispatch_basis) == (
        world.user("worker_a1"), DispatchRule.MANUAL, "由 罐区经理 指派",
    )  # fmt: skip


def test_opening_by_hand_needs_manage_at_the_place(world: World) -> None:
    def open_as(key: str, area: Any) -> WorkOrder:
        return services.open_work_order(
            world.user(key), site=area.site, area=area, title="巡检发现渗漏", priority=Priority.MEDIUM,
            origin_kind=OriginKind.MANUAL,
        )  # fmt: skip

    for key, area in [
        ("worker_a1", world.area_a1),
        ("manager_a1", world.area_a2),
        ("admin_b", world.area_a1),
    ]:
        with pytest.raises(PermissionDenied):
            open_as(key, area)
    assert WorkOrder.objects.count() == 0
    assert open_as("leader_a1", world.area_a1).area == world.area_a1  # a team-level grant covers its area


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": " "}, {"title": ["请填写工单标题。"]}),
        ({"title": "x" * 201}, {"title": ["不能超过 200 个字。"]}),
        ({"priority": "critical"}, {"priority": ["请选择优先级。"]}),
        ({"origin_kind": "email"}, {"origin_kind": ["未知的工单来源。"]}),
        ({"origin_id": None}, {"origin_id": ["请指明来源记录。"]}),
        ({"origin_kind": "manual"}, {"origin_id": ["手工创建的工单没有来源记录。"]}),
        (
            {"origin_url": "https://evil.example.com/"},
            {"origin_url": ["来源链接必须是本站的路径（以 / 开头）。"]},
        ),
        ({"origin_url": "//evil.example.com/"}, {"origin_url": ["来源链接必须是本站的路径（以 / 开头）。"]}),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(
    world: World, fields: dict[str, Any], errors: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        tank_order(world, **fields)

    assert exc.value.message_dict == errors
    assert WorkOrder.objects.count() == 0


def test_the_place_must_hang_together(world: World) -> None:
    with pytest.raises(ValidationError) as wrong_area:
        tank_order(world, area=world.area_a2)  # T-101 stands in 罐区
    with pytest.raises(ValidationError) as wrong_site:
        tank_order(world, site=world.site_b)

    assert wrong_area.value.message_dict == {"equipment": ["设备必须位于所选区域。"]}
    assert wrong_site.value.message_dict == {"area": ["区域必须属于所选场所。"]}


def test_an_assignee_chosen_by_hand_must_work_at_the_site(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        tank_order(world, assignee=world.user("worker_b1"))

    assert exc.value.message_dict == {"assignee": ["员工丙 不在本场所任职，不能处理本场所的工单。"]}


# --- the happy path ---------------------------------------------------------------------------------
def test_the_whole_life_of_an_order(world: World) -> None:
    leader, manager = world.user("leader_a1"), world.user("manager_a1")
    order = tank_order(world)

    with captured() as events:
        services.accept(leader, order)
        services.start(leader, order)
        services.complete(leader, order, "已更换呼吸阀垫片", [png()])
        services.verify(manager, order, "现场复核合格")

    order.refresh_from_db()
    assert row(order) == (State.VERIFIED, leader.pk, leader.pk, manager.pk, 0, 0)
    assert order.completion_note == "已更换呼吸阀垫片"
    assert None not in (order.accepted_at, order.started_at, order.completed_at, order.verified_at)
    assert timeline(order) == [
        (StepKind.OPENED, "", State.OPEN, None),
        (StepKind.ACCEPTED, State.OPEN, State.ACCEPTED, "leader_a1"),
        (StepKind.STARTED, State.ACCEPTED, State.IN_PROGRESS, "leader_a1"),
        (StepKind.COMPLETED, State.IN_PROGRESS, State.DONE, "leader_a1"),
        (StepKind.VERIFIED, State.DONE, State.VERIFIED, "manager_a1"),
    ]
    photo = Attachment.objects.get()
    assert order.steps.get(kind=StepKind.COMPLETED).evidence == [photo.pk]
    assert (photo.owner, photo.uploaded_by, photo.description) == (order, leader, "完成凭证")
    assert [(e.step, e.previous_state, e.state) for e in events if isinstance(e, WorkOrderChanged)] == [
        ("accepted", "open", "accepted"),
        ("started", "accepted", "in_progress"),
        ("completed", "in_progress", "done"),
        ("verified", "done", "verified"),
    ]
    assert {
        (e.origin_kind, e.origin_id, e.work_order_id) for e in events if isinstance(e, WorkOrderChanged)
    } == {("alarm", 41, order.pk)}
    transitions = AuditEntry.objects.filter(model="workorders.workorder", action="transition").order_by("seq")
    assert [(t.actor_name, t.changes["step"], t.changes["state"]) for t in transitions] == [
        ("leader_a1", "accepted", ["open", "accepted"]),
        ("leader_a1", "started", ["accepted", "in_progress"]),
        ("leader_a1", "completed", ["in_progress", "done"]),
        ("manager_a1", "verified", ["done", "verified"]),
    ]


def test_evidence_may_be_an_attachment_already_on_the_order(world: World) -> None:
    leader = world.user("leader_a1")
    order = in_progress(world)
    photo = store_upload(leader, order, png(), "更换前")

    services.complete(leader, order, "已处理", [photo.pk])

    assert order.steps.get(kind=StepKind.COMPLETED).evidence == [photo.pk]
    assert WorkOrder.objects.get(pk=order.pk).state == State.DONE


# --- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["manager_a1", "operator_a", "worker_a1", "root"])
def test_only_the_assignee_accepts_starts_and_completes(world: World, key: str) -> None:
    other = world.user(key)
    open_order, acc, prog = tank_order(world), accepted(world), in_progress(world)
    before = [row(o) for o in (open_order, acc, prog)]

    with pytest.raises(PermissionDenied, match="只有该工单的处理人可以接单。"):
        services.accept(other, open_order)
    with pytest.raises(PermissionDenied, match="只有该工单的处理人可以开始处理。"):
        services.start(other, acc)
    with pytest.raises(PermissionDenied, match="只有该工单的处理人可以完成工单。"):
        services.complete(other, prog, "已处理", [png()])

    assert [row(o) for o in (open_order, acc, prog)] == before
    assert Attachment.objects.count() == 0


def test_steps_in_the_wrong_state_are_refused(world: World) -> None:
    leader, manager = world.user("leader_a1"), world.user("manager_a1")
    order = tank_order(world)

    refusals = []
    for step in (
        lambda: services.start(leader, order),
        lambda: services.complete(leader, order, "已处理", [png()]),
        lambda: services.verify(manager, order),
        lambda: services.reject_work(manager, order, "不合格"),
    ):
        with pytest.raises(ValidationError) as exc:
            step()
        refusals.append(exc.value.message_dict)
    services.accept(leader, order)
    with pytest.raises(ValidationError) as twice:
        services.accept(leader, order)

    assert refusals == [
        {"state": ["该工单当前为“待接单”，不能开始处理。"]},
        {"state": ["该工单当前为“待接单”，不能完成。"]},
        {"state": ["该工单当前为“待接单”，不能验收。"]},
        {"state": ["该工单当前为“待接单”，不能驳回。"]},
    ]
    assert twice.value.message_dict == {"state": ["该工单当前为“已接单”，不能接单。"]}
    assert row(order)[0] == State.ACCEPTED
    assert Attachment.objects.count() == 0


def test_completion_needs_a_note_and_evidence(world: World) -> None:
    leader = world.user("leader_a1")
    order = in_progress(world)
    other = tank_order(world)
    foreign = store_upload(world.user("leader_a1"), other, png(), "另一张工单的照片")

    errors = []
    for note, evidence in [(" ", [png()]), ("已处理", []), ("已处理", [foreign.pk]), ("已处理", ["x"])]:
        with pytest.raises(ValidationError) as exc:
            services.complete(leader, order, note, evidence)
        errors.append(exc.value.message_dict)

    assert errors == [
        {"note": ["请填写处理说明。"]},
        {"evidence": ["请上传至少一张现场照片或文件作为完成凭证。"]},
        {"evidence": ["凭证附件必须属于本工单。"]},
        {"evidence": ["凭证必须是上传的文件或本工单的附件。"]},
    ]
    assert row(order)[0] == State.IN_PROGRESS
    assert Attachment.objects.count() == 1  # only the other order's photo


def test_a_file_that_is_no_evidence_is_refused_and_nothing_is_kept(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = in_progress(world)
    script = SimpleUploadedFile("run.sh", b"#!/bin/sh\nrm -rf /\n", content_type="text/plain")

    with pytest.raises(ValidationError) as exc:
        services.complete(world.user("leader_a1"), order, "已处理", [png(), script])

    assert list(exc.value.message_dict) == ["evidence"]
    assert row(order)[0] == State.IN_PROGRESS
    assert Attachment.objects.count() == 0


def test_the_verifier_is_a_manager_of_the_place_and_never_the_completer(world: World) -> None:
    order = done(world)
    before = row(order)

    with pytest.raises(PermissionDenied, match="不能验收自己完成的工单。"):
        services.verify(world.user("leader_a1"), order)  # holds workorders.manage at 罐区一班
    with pytest.raises(PermissionDenied, match="不能验收自己完成的工单。"):
        services.reject_work(world.user("leader_a1"), order, "自己驳回自己")
    for key in ("worker_a1", "admin_b", "expert"):
        with pytest.raises(PermissionDenied):
            services.verify(world.user(key), order)
        with pytest.raises(PermissionDenied):
            services.reject_work(world.user(key), order, "不合格")

    assert row(order) == before
    assert services.verify(world.user("officer_a"), order).state == State.VERIFIED


def test_a_rejection_sends_the_work_back_with_its_reason(world: World) -> None:
    leader, manager = world.user("leader_a1"), world.user("manager_a1")
    order = done(world)

    with pytest.raises(ValidationError) as no_reason:
        services.reject_work(manager, order, "  ")
    services.reject_work(manager, order, "照片看不清阻火器")
    services.complete(leader, order, "补拍阻火器照片", [png("阻火器.png")])

    assert no_reason.value.message_dict == {"reason": ["请填写驳回原因。"]}
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.reject_reason, o.rework_count, o.completed_by) == (
        State.DONE,
        "照片看不清阻火器",
        1,
        leader,
    )
    assert [k for k, *_ in timeline(order)][-3:] == [
        StepKind.COMPLETED,
        StepKind.REJECTED,
        StepKind.COMPLETED,
    ]
    assert order.steps.get(kind=StepKind.REJECTED).note == "照片看不清阻火器"


def test_reassigning_puts_the_order_back_to_the_new_person_to_accept(world: World) -> None:
    manager = world.user("manager_a1")
    order = in_progress(world)
    later = timezone.now() + dt.timedelta(hours=1)

    with captured() as events:
        services.reassign(manager, order, world.user("worker_a1"), "班长出差", now=later)

    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.assignee, o.dispatch_rule, o.dispatch_basis) == (
        State.OPEN, world.user("worker_a1"), DispatchRule.MANUAL, "由 罐区经理 改派",
    )  # fmt: skip
    assert (o.accepted_at, o.started_at, o.accept_due_at) == (None, None, later + dt.timedelta(minutes=30))
    assert order.steps.get(kind=StepKind.REASSIGNED).note == "班长甲 → 员工甲：班长出差"
    assert [(e.step, e.assignee_id) for e in events] == [("reassigned", world.user("worker_a1").pk)]
    with pytest.raises(PermissionDenied):
        services.accept(world.user("leader_a1"), o)  # no longer theirs
    assert services.accept(world.user("worker_a1"), o).state == State.ACCEPTED


def test_reassignment_refusals(world: World) -> None:
    manager = world.user("manager_a1")
    order = tank_order(world)

    with pytest.raises(PermissionDenied):
        services.reassign(world.user("worker_a1"), order, world.user("worker_a1"))
    errors = []
    for user in (world.user("leader_a1"), world.user("worker_b1")):
        with pytest.raises(ValidationError) as exc:
            services.reassign(manager, order, user)
        errors.append(exc.value.message_dict)
    services.cancel(manager, order, "重复")
    with pytest.raises(ValidationError) as closed:
        services.reassign(manager, order, world.user("worker_a1"))

    assert errors == [
        {"assignee": ["该工单已由 班长甲 处理。"]},
        {"assignee": ["员工丙 不在本场所任职，不能处理本场所的工单。"]},
    ]
    assert closed.value.message_dict == {"state": ["该工单当前为“已取消”，不能改派。"]}


def test_a_manager_cancels_an_unfinished_order_with_a_reason(world: World) -> None:
    manager = world.user("manager_a1")
    order = accepted(world)
    finished = done(world)

    with pytest.raises(PermissionDenied):
        services.cancel(world.user("worker_a1"), order, "不需要了")
    with pytest.raises(ValidationError) as no_reason:
        services.cancel(manager, order, "")
    with pytest.raises(ValidationError) as too_late:
        services.cancel(manager, finished, "不需要了")
    services.cancel(manager, order, "与 WO-0002 重复")

    assert no_reason.value.message_dict == {"reason": ["请填写取消原因。"]}
    assert too_late.value.message_dict == {"state": ["该工单当前为“已完成”，不能取消。"]}
    o = WorkOrder.objects.get(pk=order.pk)
    assert (o.state, o.cancel_reason) == (State.CANCELLED, "与 WO-0002 重复")
    assert timeline(o)[-1] == (StepKind.CANCELLED, State.ACCEPTED, State.CANCELLED, "manager_a1")
