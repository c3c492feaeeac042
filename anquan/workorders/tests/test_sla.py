"""Deadlines from the SLA of each priority, overdue orders, and the periodic escalation: each level
once per order (area manager, then EHS director), recorded on the timeline, with frozen time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from anquan.conftest import World
from anquan.platform import schedule
from anquan.platform.events import captured
from anquan.workorders import selectors, services, sla, tasks
from anquan.workorders.choices import Priority, State, StepKind
from anquan.workorders.events import WorkOrderEscalated
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import png, tank_order

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def escalations(order: WorkOrder) -> list[tuple[int | None, str]]:
    return list(order.steps.filter(kind=StepKind.ESCALATED).order_by("level").values_list("level", "note"))


@pytest.mark.parametrize(
    ("priority", "accept", "complete"),
    [
        (Priority.URGENT, 15 * MIN, dt.timedelta(hours=4)),
        (Priority.HIGH, 30 * MIN, dt.timedelta(hours=24)),
        (Priority.MEDIUM, 120 * MIN, dt.timedelta(hours=72)),
        (Priority.LOW, 480 * MIN, dt.timedelta(hours=168)),
    ],
)
def test_each_priority_has_its_deadlines(
    world: World, priority: str, accept: dt.timedelta, complete: dt.timedelta
) -> None:
    order = tank_order(world, priority=priority, now=NOON)

    assert (order.accept_due_at - NOON, order.due_at - NOON) == (accept, complete)


def test_an_unaccepted_order_escalates_once_per_level(world: World) -> None:
    order = tank_order(world, now=NOON)  # 高: accept by 12:30, then a level every 120 min

    with captured() as events:
        counts = [
            services.escalate_overdue(NOON + 29 * MIN),
            services.escalate_overdue(NOON + 31 * MIN),
            services.escalate_overdue(NOON + 31 * MIN),  # the same level never twice
            services.escalate_overdue(NOON + 149 * MIN),
            services.escalate_overdue(NOON + 151 * MIN),
            services.escalate_overdue(NOON + 600 * MIN),  # the ladder has two rungs
        ]

    assert counts == [0, 1, 0, 0, 1, 0]
    assert WorkOrder.objects.get(pk=order.pk).escalation_level == 2
    assert escalations(order) == [
        (1, "超时未接单，升级通知区域经理：罐区经理"),
        (2, "超时未接单，升级通知EHS 总监：总监"),
    ]
    assert events == [
        WorkOrderEscalated(
            work_order_id=order.pk, site_id=world.site_a.pk, level=1, role="area_manager",
            user_ids=(world.user("manager_a1").pk,),
        ),
        WorkOrderEscalated(
            work_order_id=order.pk, site_id=world.site_a.pk, level=2, role="ehs_director",
            user_ids=(world.user("ehs").pk,),
        ),
    ]  # fmt: skip
    assert order.steps.filter(kind=StepKind.ESCALATED, actor__isnull=True).count() == 2
    assert WorkOrder.objects.get(pk=order.pk).state == State.OPEN  # escalation tells, it does not act


def test_a_job_that_did_not_run_catches_up(world: World) -> None:
    order = tank_order(world, now=NOON)

    assert services.escalate_overdue(NOON + dt.timedelta(hours=5)) == 2
    assert [level for level, _ in escalations(order)] == [1, 2]
    assert services.escalate(order.pk, NOON + dt.timedelta(hours=5)) is False


def test_an_accepted_order_escalates_when_the_completion_deadline_passes(world: World) -> None:
    order = tank_order(world, now=NOON)
    services.accept(world.user("leader_a1"), order, now=NOON + 10 * MIN)

    assert services.escalate_overdue(NOON + dt.timedelta(hours=23)) == 0  # accepted in time
    assert services.escalate_overdue(NOON + dt.timedelta(hours=24, minutes=1)) == 1
    assert escalations(order) == [(1, "超过完成期限，升级通知区域经理：罐区经理")]


def test_finished_orders_never_escalate(world: World) -> None:
    leader, manager = world.user("leader_a1"), world.user("manager_a1")
    finished = tank_order(world, now=NOON)
    services.accept(leader, finished, now=NOON)
    services.start(leader, finished, now=NOON)
    services.complete(leader, finished, "已处理", [png()], now=NOON)
    cancelled = services.cancel(manager, tank_order(world, now=NOON), "重复", now=NOON)

    assert services.escalate_overdue(NOON + dt.timedelta(days=30)) == 0
    assert (escalations(finished), escalations(cancelled)) == ([], [])


def test_an_escalation_that_finds_nobody_says_so(world: World) -> None:
    order = tank_order(world, site=world.site_b, equipment=world.equipment["T-901"], now=NOON)

    with captured() as events:
        services.escalate_overdue(NOON + 31 * MIN)

    assert escalations(order) == [(1, "超时未接单，升级至区域经理，但没有找到负责该区域的人员")]
    assert [e.user_ids for e in events] == [()]


def test_overdue_orders_are_filtered_and_counted(world: World) -> None:
    late = tank_order(world, now=NOON - dt.timedelta(hours=2))
    fresh = tank_order(world, now=NOON)
    manager = world.user("manager_a1")

    overdue = selectors.filtered(manager, selectors.Filters(overdue=True), now=NOON + MIN)
    counts = selectors.counts(world.user("leader_a1"), now=NOON + MIN)

    assert list(overdue) == [late]
    assert (counts.open, counts.overdue, counts.mine_active, counts.active) == (2, 1, 2, 2)
    assert sla.is_overdue(fresh.state, fresh.accept_due_at, fresh.due_at, NOON + MIN) is False


def test_the_periodic_job_runs_every_five_minutes_and_escalates(world: World) -> None:
    order = tank_order(world, now=NOON)

    job = schedule.JOBS["anquan.workorders.tasks.escalate_overdue"]
    with time_machine.travel(NOON + 31 * MIN, tick=False):
        raised = tasks.escalate_overdue.call()

    assert job.every == dt.timedelta(minutes=5)
    assert raised == 1
    assert escalations(order) == [(1, "超时未接单，升级通知区域经理：罐区经理")]
