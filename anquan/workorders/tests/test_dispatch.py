"""The dispatch rule chain: equipment's responsible person → the area's team leader → an area
manager, else a safety officer → nobody; the least loaded of several; a rule slotted in front."""

from __future__ import annotations

import pytest

from anquan.conftest import PASSWORD, World
from anquan.org import services as org
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.workorders import dispatch
from anquan.workorders.choices import DispatchRule, OriginKind, Priority
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import tank_order

pytestmark = pytest.mark.django_db


def leader(world: World, username: str = "leader_a1b") -> User:
    return org.create_user(
        None, username=username, password=PASSWORD, name="班长乙", team=world.team_a1,
        roles=[(Role.TEAM_LEADER, world.team_a1)],
    )  # fmt: skip


def picked(order: WorkOrder) -> tuple[str | None, str, str]:
    return (order.assignee.username if order.assignee else None, order.dispatch_rule, order.dispatch_basis)


def test_the_equipment_responsible_person_comes_first(world: World) -> None:
    leader(world)  # another team leader of the area does not matter

    assert picked(tank_order(world)) == (
        "leader_a1",
        DispatchRule.EQUIPMENT_RESPONSIBLE,
        "设备 T-101 的责任人",
    )


def test_an_inactive_responsible_person_passes_to_the_team_leader(world: World) -> None:
    second = leader(world)
    org.update_user(None, world.user("leader_a1"), is_active=False)

    assert picked(tank_order(world)) == (second.username, DispatchRule.TEAM_LEADER, "罐区的班组长")


def test_without_equipment_the_area_team_leader_is_chosen(world: World) -> None:
    order = tank_order(world, equipment=None, area=world.area_a1)

    assert picked(order) == ("leader_a1", DispatchRule.TEAM_LEADER, "罐区的班组长")


def test_the_least_loaded_team_leader_gets_the_next_order(world: World) -> None:
    second = leader(world)
    first = tank_order(world, equipment=None, area=world.area_a1)  # both at 0: the lower id
    following = tank_order(world, equipment=None, area=world.area_a1)

    assert (first.assignee, following.assignee) == (world.user("leader_a1"), second)


def test_then_an_area_manager_then_a_safety_officer(world: World) -> None:
    org.update_user(None, world.user("leader_a1"), is_active=False)
    manager_picked = tank_order(world)  # 罐区: its area manager
    officer_picked = tank_order(world, equipment=world.equipment["P-201"])  # 泵房: no manager of its own

    assert picked(manager_picked) == ("manager_a1", DispatchRule.AREA_MANAGER, "负责罐区的区域经理")
    assert picked(officer_picked) == ("officer_a", DispatchRule.SAFETY_OFFICER, "负责泵房的安全员")


def test_nobody_found_leaves_the_order_open_for_a_manager_to_assign(world: World) -> None:
    order = tank_order(world, site=world.site_b, equipment=world.equipment["T-901"])

    assert picked(order) == (None, DispatchRule.NONE, "没有找到可派单的人员")
    assert order.state == "open"


def test_an_order_for_a_whole_site_goes_to_a_site_wide_officer(world: World) -> None:
    order = tank_order(world, equipment=None, title="全厂消防演练准备")

    assert picked(order) == ("officer_a", DispatchRule.SAFETY_OFFICER, "负责东区储运园区的安全员")


def test_a_rule_slots_into_the_chain(world: World) -> None:
    """How a shift roster will join: a rule in front of the others (here: always worker_a1)."""
    on_shift = world.user("worker_a1")

    def roster(place: dispatch.Place) -> dispatch.Pick | None:
        return dispatch.Pick(on_shift, DispatchRule.TEAM_LEADER, "当班人员") if place.area else None

    place = dispatch.place_of(site=world.site_a, area=world.area_a1)

    assert dispatch.dispatch(place, rules=(roster, *dispatch.RULES)).user == on_shift
    assert dispatch.dispatch(place).user == world.user("leader_a1")
    assert dispatch.dispatch(dispatch.place_of(site=world.site_a), rules=(roster,)) is None


def test_a_manual_order_keeps_the_dispatch_basis_in_its_first_step(world: World) -> None:
    from anquan.workorders import services

    order = services.open_work_order(
        world.user("officer_a"), site=world.site_a, area=world.area_a2, title="泵房地沟清理",
        priority=Priority.LOW, origin_kind=OriginKind.MANUAL,
    )  # fmt: skip

    assert order.steps.get().note == "派单依据：负责泵房的安全员"
