"""The plant API: scoped lists with their filters, the writes, and a site's topology."""

from __future__ import annotations

from decimal import Decimal

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.plant import services as plant
from anquan.plant.models import Equipment, ProcessLink, SensorTag
from anquan.platform import events

API = "/api/v1/plant"


def codes(response: object, key: str = "code") -> list[str]:
    return [item[key] for item in response.json()["items"]]  # type: ignore[attr-defined]


def test_equipment_filters(api_world: World) -> None:
    w = api_world
    unit = plant.create_unit(None, area=w.area_a2, code="pumps", name="泵组")
    plant.update_equipment(None, w.equipment["P-201"], unit=unit, status="standby", model="IS80-65-160")
    ehs = as_user(w, "ehs")

    assert codes(ehs.get(f"{API}/equipment")) == ["P-201", "T-101", "T-901"]
    assert codes(ehs.get(f"{API}/equipment?site={w.site_b.pk}")) == ["T-901"]
    assert codes(ehs.get(f"{API}/equipment?area={w.area_a1.pk}")) == ["T-101"]
    assert codes(ehs.get(f"{API}/equipment?unit={unit.pk}")) == ["P-201"]
    assert codes(ehs.get(f"{API}/equipment?type=storage_tank")) == ["T-101", "T-901"]
    assert codes(ehs.get(f"{API}/equipment?status=standby")) == ["P-201"]
    assert codes(ehs.get(f"{API}/equipment?q=IS80")) == ["P-201"]
    assert codes(ehs.get(f"{API}/equipment?q=储罐&site={w.site_a.pk}")) == ["T-101"]
    assert codes(ehs.get(f"{API}/units?area={w.area_a2.pk}")) == ["pumps"]


def test_tag_and_link_filters(api_world: World) -> None:
    w = api_world
    ehs = as_user(w, "ehs")

    assert codes(ehs.get(f"{API}/tags"), "tag") == ["LI-901", "PI-201", "TI-101"]
    assert codes(ehs.get(f"{API}/tags?site={w.site_a.pk}"), "tag") == ["PI-201", "TI-101"]
    assert codes(ehs.get(f"{API}/tags?area={w.area_a2.pk}"), "tag") == ["PI-201"]
    assert codes(ehs.get(f"{API}/tags?equipment={w.equipment['T-901'].pk}"), "tag") == ["LI-901"]
    assert codes(ehs.get(f"{API}/tags?kind=temperature"), "tag") == ["TI-101"]
    assert codes(ehs.get(f"{API}/tags?q=泵"), "tag") == ["PI-201"]
    assert codes(ehs.get(f"{API}/links?site={w.site_a.pk}"), "medium") == ["汽油"]
    assert codes(ehs.get(f"{API}/links?site={w.site_b.pk}"), "medium") == []
    assert codes(ehs.get(f"{API}/links?equipment={w.equipment['P-201'].pk}"), "medium") == ["汽油"]


def test_a_tag_reads_back_with_decimals_as_strings(api_world: World) -> None:
    body = as_user(api_world, "worker_a1").get(f"{API}/tags/{api_world.tags['TI-101'].pk}").json()

    assert {k: body[k] for k in ("range_low", "range_high", "h", "hh", "l", "ll")} == {
        "range_low": "-20.0000",
        "range_high": "80.0000",
        "h": "40.0000",
        "hh": "50.0000",
        "l": None,
        "ll": None,
    }
    assert (body["kind"], body["unit"], body["hh_priority"]) == ("temperature", "°C", "high")


def test_equipment_is_created_updated_and_deleted_with_events(api_world: World) -> None:
    w = api_world
    admin = as_user(w, "admin_a")

    with events.captured() as published:
        created = admin.post(
            f"{API}/equipment",
            {
                "area_id": w.area_a1.pk,
                "code": "T-102",
                "name": "2号储罐",
                "type": "storage_tank",
                "install_date": "2019-06-01",
                "responsible_id": w.user("leader_a1").pk,
                "map_x": 80,
                "map_y": 60,
            },
        )
        eq_id = created.json()["id"]
        updated = admin.patch(f"{API}/equipment/{eq_id}", {"status": "maintenance", "responsible_id": None})
        deleted = admin.delete(f"{API}/equipment/{eq_id}")

    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("install_date", "responsible_id", "site_id", "tag_count")} == {
        "install_date": "2019-06-01",
        "responsible_id": w.user("leader_a1").pk,
        "site_id": w.site_a.pk,
        "tag_count": 0,
    }
    assert (updated.status_code, updated.json()["status"], updated.json()["responsible_id"]) == (
        200,
        "maintenance",
        None,
    )
    assert deleted.status_code == 204
    assert not Equipment.objects.filter(pk=eq_id).exists()
    assert [type(e).__name__ for e in published] == [
        "EquipmentCreated",
        "ResponsiblePersonAssigned",
        "EquipmentChanged",
        "EquipmentDeleted",
    ]


def test_a_responsible_person_from_another_site_is_refused(api_world: World) -> None:
    w = api_world
    r = as_user(w, "admin_a").patch(
        f"{API}/equipment/{w.equipment['T-101'].pk}", {"responsible_id": w.user("worker_b1").pk}
    )

    # admin_a cannot see the west site's worker at all
    assert (r.status_code, r.json()["errors"]) == (400, {"responsible_id": ["未找到该记录，或您无权访问。"]})


def test_tags_are_created_changed_and_deleted(api_world: World) -> None:
    w = api_world
    admin = as_user(w, "admin_a")

    created = admin.post(
        f"{API}/tags",
        {
            "equipment_id": w.equipment["P-201"].pk,
            "tag": "II-201",
            "name": "泵电机电流",
            "kind": "motor_current",
            "unit": "A",
            "range_low": 0,
            "range_high": 120.5,
            "h": "100",
            "h_priority": "medium",
        },
    )
    changed = admin.patch(f"{API}/tags/{created.json()['id']}", {"hh": "110", "hh_priority": "high"})

    assert created.status_code == 201, created.content
    assert (created.json()["range_high"], created.json()["site_id"]) == ("120.5000", w.site_a.pk)
    tag = SensorTag.objects.get(tag="II-201")
    assert (tag.h, tag.hh, tag.h_priority, tag.hh_priority) == (
        Decimal("100"),
        Decimal("110"),
        "medium",
        "high",
    )
    assert changed.json()["hh"] == "110.0000"
    assert admin.delete(f"{API}/tags/{tag.pk}").status_code == 204
    assert not SensorTag.objects.filter(pk=tag.pk).exists()


def test_links_and_the_topology_a_caller_sees(api_world: World) -> None:
    w = api_world
    admin = as_user(w, "admin_a")
    tank, pump = w.equipment["T-101"], w.equipment["P-201"]

    self_link = admin.post(f"{API}/links", {"source_id": tank.pk, "target_id": tank.pk})
    cross_site = as_user(w, "ehs").post(
        f"{API}/links", {"source_id": tank.pk, "target_id": w.equipment["T-901"].pk}
    )
    back = admin.post(f"{API}/links", {"source_id": pump.pk, "target_id": tank.pk, "kind": "signal"})

    assert (self_link.status_code, list(self_link.json()["errors"])) == (400, ["target_id"])
    assert cross_site.status_code == 403  # an EHS director sees both sites but changes no plant
    assert back.status_code == 201

    full = admin.get(f"{API}/sites/{w.site_a.pk}/topology").json()
    partial = as_user(w, "worker_a1").get(f"{API}/sites/{w.site_a.pk}/topology").json()

    assert sorted(n["code"] for n in full["nodes"]) == ["P-201", "T-101"]
    assert sorted((e["source_id"], e["target_id"], e["kind"]) for e in full["edges"]) == [
        (tank.pk, pump.pk, "material"),
        (pump.pk, tank.pk, "signal"),
    ]
    assert [n["area_name"] for n in partial["nodes"]] == ["罐区"]  # a team sees its own area only
    assert partial["edges"] == []  # an edge shows only when both ends are visible

    assert admin.delete(f"{API}/links/{back.json()['id']}").status_code == 204
    assert ProcessLink.objects.count() == 1
