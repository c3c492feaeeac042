"""The on-shift rule in the dispatch chain: the equipment's responsible person first, then the people
on shift in the area's teams (the least loaded), then the team leader."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from anquan.conftest import World
from anquan.plant import services as plant
from anquan.workorders import dispatch, roster
from anquan.workorders.choices import DispatchRule
from anquan.workorders.models import Shift, WorkOrder
from anquan.workorders.tests.helpers import tank_order

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def on_duty(world: World, who: str, *, team: object = None, start: dt.datetime | None = None) -> Shift:
    starts_at = start or timezone.now() - H
    return roster.plan_shift(
        world.user("officer_a"), team=team or world.team_a1, user=world.user(who),
        starts_at=starts_at, ends_at=starts_at + 8 * H,
    )  # fmt: skip


def picked(order: WorkOrder) -> tuple[str | None, str, str]:
    return (order.assignee.username if order.assignee else None, order.dispatch_rule, order.dispatch_basis)


def test_the_rule_sits_after_the_responsible_person_and_before_the_team_leader() -> None:
    names = [rule.__name__ for rule in dispatch.RULES]

    assert names == ["equipment_responsible", "on_shift", "team_leader", "area_manager_or_officer"]


def test_equipment_without_a_responsible_person_goes_to_who_is_on_shift(world: World) -> None:
    on_duty(world, "worker_a2", team=world.team_a2)

    order = tank_order(world, equipment=world.equipment["P-201"])

    assert picked(order) == ("worker_a2", DispatchRule.ON_SHIFT, "泵房的当班人员")
    assert order.steps.get().note == "派单依据：泵房的当班人员"


def test_an_area_order_goes_to_who_is_on_shift_rather_than_the_team_leader(world: World) -> None:
    on_duty(world, "worker_a1")
    spare = plant.create_equipment(None, area=world.area_a1, code="V-105", name="5号阀组", type="valve")

    assert picked(tank_order(world, equipment=None, area=world.area_a1)) == (
        "worker_a1", DispatchRule.ON_SHIFT, "罐区的当班人员",
    )  # fmt: skip
    assert picked(tank_order(world, equipment=spare))[0] == "worker_a1"


def test_the_responsible_person_still_wins_when_set(world: World) -> None:
    on_duty(world, "worker_a1")

    assert picked(tank_order(world)) == (
        "leader_a1",
        DispatchRule.EQUIPMENT_RESPONSIBLE,
        "设备 T-101 的责任人",
    )


def test_outside_the_shift_the_team_leader_gets_it(world: World) -> None:
    on_duty(world, "worker_a1", start=timezone.now() + 2 * H)  # later today
    on_duty(world, "worker_a1", start=timezone.now() - 20 * H)  # ended

    order = tank_order(world, equipment=None, area=world.area_a1)

    assert picked(order) == ("leader_a1", DispatchRule.TEAM_LEADER, "罐区的班组长")


def test_a_shift_in_another_area_does_not_count(world: World) -> None:
    on_duty(world, "worker_a2", team=world.team_a2)

    assert picked(tank_order(world, equipment=None, area=world.area_a1))[0] == "leader_a1"


def test_the_least_loaded_of_those_on_shift_gets_the_next_order(world: World) -> None:
    on_duty(world, "worker_a1")
    on_duty(world, "leader_a1")
    lower, higher = sorted(["worker_a1", "leader_a1"], key=lambda k: world.user(k).pk)

    first = tank_order(world, equipment=None, area=world.area_a1)  # both at 0: the lower id
    second = tank_order(world, equipment=None, area=world.area_a1)

    assert (picked(first)[0], picked(second)[0]) == (lower, higher)
    assert {picked(first)[1], picked(second)[1]} == {DispatchRule.ON_SHIFT}


def test_an_order_for_a_whole_site_ignores_the_roster(world: World) -> None:
    on_duty(world, "worker_a1")

    assert picked(tank_order(world, equipment=None))[1] == DispatchRule.SAFETY_OFFICER
