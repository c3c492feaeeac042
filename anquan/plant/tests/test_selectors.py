"""The plant selectors: what each viewer sees."""

from __future__ import annotations

import pytest

from anquan.conftest import World
from anquan.org.roles import PLANT_CHANGE
from anquan.plant import selectors, services

pytestmark = pytest.mark.django_db


def codes(qs: object) -> list[str]:
    return sorted(eq.code for eq in qs)  # type: ignore[attr-defined]


def test_team_worker_sees_the_equipment_of_its_team_area_only(world: World) -> None:
    worker = world.user("worker_a1")

    assert codes(selectors.equipment(worker)) == ["T-101"]
    assert sorted(t.tag for t in selectors.tags(worker)) == ["TI-101"]
    assert list(selectors.areas(worker)) == [world.area_a1]
    assert list(selectors.sites(worker)) == [world.site_a]
    assert codes(selectors.equipment(world.user("worker_a2"))) == ["P-201"]
    assert codes(selectors.equipment(world.user("worker_b1"))) == ["T-901"]


@pytest.mark.parametrize("key", ["admin_a", "officer_a", "operator_a", "expert"])
def test_site_level_users_see_the_whole_site(world: World, key: str) -> None:
    user = world.user(key)

    assert codes(selectors.equipment(user)) == ["P-201", "T-101"]
    assert sorted(t.tag for t in selectors.tags(user)) == ["PI-201", "TI-101"]
    assert [(link.source.code, link.target.code) for link in selectors.links(user)] == [("T-101", "P-201")]
    assert list(selectors.sites(user)) == [world.site_a]


def test_area_manager_sees_its_area(world: World) -> None:
    assert codes(selectors.equipment(world.user("manager_a1"))) == ["T-101"]


def test_enterprise_director_and_superuser_see_everything(world: World) -> None:
    for key in ("ehs", "root"):
        user = world.user(key)
        assert codes(selectors.equipment(user)) == ["P-201", "T-101", "T-901"], key
        assert sorted(t.tag for t in selectors.tags(user)) == ["LI-901", "PI-201", "TI-101"], key
        assert set(selectors.sites(user)) == {world.site_a, world.site_b}, key


def test_contractor_sees_no_plant(world: World) -> None:
    contractor = world.user("contractor_a")

    assert list(selectors.equipment(contractor)) == []
    assert list(selectors.tags(contractor)) == []
    assert list(selectors.links(contractor)) == []
    assert list(selectors.units(contractor)) == []
    assert list(selectors.areas(contractor)) == []
    assert list(selectors.sites(contractor)) == []
    assert selectors.topology(contractor, world.site_a.pk) == {"nodes": [], "edges": []}


def test_editable_scope_is_plant_change(world: World) -> None:
    assert codes(selectors.editable_equipment(world.user("admin_a"))) == ["P-201", "T-101"]
    assert codes(selectors.editable_equipment(world.user("admin_b"))) == ["T-901"]
    assert codes(selectors.editable_equipment(world.user("root"))) == ["P-201", "T-101", "T-901"]
    assert list(selectors.editable_equipment(world.user("officer_a"))) == []
    assert set(selectors.areas(world.user("admin_a"), PLANT_CHANGE)) == {world.area_a1, world.area_a2}
    assert list(selectors.areas(world.user("manager_a1"), PLANT_CHANGE)) == []


def test_equipment_carries_its_tag_count(world: World) -> None:
    services.create_tag(
        None, equipment=world.equipment["T-101"], tag="LI-101", name="1号罐液位", kind="level", unit="m",
        range_low=0, range_high=20,
    )  # fmt: skip

    counts = {eq.code: eq.tag_count for eq in selectors.equipment(world.user("officer_a"))}

    assert counts == {"T-101": 2, "P-201": 1}


def test_topology_holds_the_visible_nodes_and_the_edges_between_them(world: World) -> None:
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]
    link = world.links[0]

    full = selectors.topology(world.user("admin_a"), world.site_a.pk)
    worker = selectors.topology(world.user("worker_a1"), world.site_a.pk)
    other_site = selectors.topology(world.user("admin_b"), world.site_a.pk)

    assert sorted(n["code"] for n in full["nodes"]) == ["P-201", "T-101"]
    assert full["edges"] == [
        {"id": link.pk, "source_id": tank.pk, "target_id": pump.pk, "kind": "material", "medium": "汽油"}
    ]
    assert [n["code"] for n in worker["nodes"]] == ["T-101"]
    assert worker["edges"] == []
    assert other_site == {"nodes": [], "edges": []}


def test_responsible_candidates_are_active_people_of_the_site(world: World) -> None:
    candidates = {u.username for u in selectors.responsible_candidates(world.user("admin_a"), world.site_a)}

    assert {"admin_a", "officer_a", "leader_a1", "worker_a1", "worker_a2", "manager_a1"} <= candidates
    assert not candidates & {"admin_b", "worker_b1", "root"}
