"""The plant pages: scoping, permissions, forms over the services, and the topology editor."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anquan.conftest import World
from anquan.org import services as org
from anquan.plant import services
from anquan.plant.models import Equipment, ProcessLink, SensorTag
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def equipment_post(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "area": world.area_a1.pk,
        "unit": "",
        "code": "T-102",
        "name": "2号汽油储罐",
        "type": "storage_tank",
        "status": "in_service",
        "model": "10000m³ 内浮顶",
        "manufacturer": "某储罐厂",
        "install_date": "2019-05-20",
        "responsible": world.user("worker_a1").pk,
        "medium": "汽油",
        "map_x": "80",
        "map_y": "60.5",
        "description": "",
    }
    data.update(overrides)
    return data


def tag_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "tag": "PI-102",
        "name": "1号罐压力",
        "kind": "pressure",
        "unit": "kPa",
        "range_low": "0",
        "range_high": "10",
        "sample_interval_s": "5",
        "ll": "",
        "l": "1",
        "h": "6",
        "hh": "8",
        "ll_priority": "high",
        "l_priority": "low",
        "h_priority": "medium",
        "hh_priority": "high",
        "description": "",
    }
    data.update(overrides)
    return data


# --- Browsing and scope -----------------------------------------------------------------------
def test_anonymous_is_sent_to_login(world: World) -> None:
    response = Client().get(reverse("plant:browser"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_plant_view_gets_403(world: World) -> None:
    client = world.client("contractor_a")

    assert client.get(reverse("plant:browser")).status_code == 403
    assert client.get(reverse("plant:site", args=[world.site_a.pk])).status_code == 403


def test_browser_lists_only_the_sites_and_areas_in_scope(world: World) -> None:
    response = world.client("worker_a1").get(reverse("plant:browser"))

    assert response.status_code == 200
    sites = [card["site"] for card in response.context["cards"]]
    assert sites == [world.site_a]
    rows = response.context["cards"][0]["areas"]
    assert [(r["area"], r["equipment"], r["tags"]) for r in rows] == [(world.area_a1, 1, 1)]
    assert "泵房" not in response.content.decode()


def test_browser_counts_equipment_and_tags_per_area(world: World) -> None:
    response = world.client("ehs").get(reverse("plant:browser"))

    cards = {card["site"].code: card for card in response.context["cards"]}
    assert set(cards) == {"east", "west"}
    assert [(r["area"].code, r["equipment"], r["tags"]) for r in cards["east"]["areas"]] == [
        ("pump-house", 1, 1),
        ("tank-farm", 1, 1),
    ]
    assert (cards["west"]["equipment"], cards["west"]["tags"]) == (1, 1)


def test_site_page_draws_the_map_with_areas_and_equipment(world: World) -> None:
    loading = org.create_area(
        None,
        site=world.site_a,
        code="loading",
        name="装车区",
        map_polygon=[[10, 10], [150, 10], [150, 120], [10, 120]],
    )
    services.create_equipment(
        None, area=loading, code="LA-1", name="1号鹤管", type="loading_arm", map_x=40, map_y=30
    )

    response = world.client("admin_a").get(reverse("plant:site", args=[world.site_a.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'viewBox="0 0 400 300"' in html
    assert 'points="10,10 150,10 150,120 10,120"' in html
    assert ">装车区</text>" in html
    assert "\uf5ea" in html  # the loading-arm icon glyph
    tank_url = reverse("plant:equipment", args=[world.equipment["T-101"].pk])
    assert f'<a class="point" href="{tank_url}"' in html
    assert "<title>T-101 1号汽油储罐 · 储罐 · 罐区</title>" in html
    # P-201 has no position: listed under the map instead.
    assert [eq.code for eq in response.context["unplaced"]] == ["P-201"]
    assert response.context["can_change"] is True


def test_site_out_of_scope_is_404(world: World) -> None:
    client = world.client("admin_b")

    assert client.get(reverse("plant:site", args=[world.site_a.pk])).status_code == 404
    assert client.get(reverse("plant:topology", args=[world.site_a.pk])).status_code == 404
    assert client.get(reverse("plant:topology-data", args=[world.site_a.pk])).status_code == 404


def test_area_page_filters_and_searches_equipment(world: World) -> None:
    unit = services.create_unit(None, area=world.area_a1, code="u1", name="汽油储存单元")
    services.create_equipment(
        None, area=world.area_a1, code="P-101", name="罐区转输泵", type="pump", unit=unit, status="standby"
    )
    client = world.client("worker_a1")
    url = reverse("plant:area", args=[world.area_a1.pk])

    def codes(**params: str) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [eq.code for eq in response.context["page"]]

    assert codes() == ["P-101", "T-101"]
    assert codes(type="pump") == ["P-101"]
    assert codes(status="in_service") == ["T-101"]
    assert codes(unit=str(unit.pk)) == ["P-101"]
    assert codes(q="储罐") == ["T-101"]
    assert codes(q="p-1") == ["P-101"]
    assert codes(type="nonsense") == ["P-101", "T-101"]


def test_area_filter_over_htmx_returns_only_the_table(world: World) -> None:
    response = world.client("worker_a1").get(
        reverse("plant:area", args=[world.area_a1.pk]), {"q": "T-101"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="equipment-table">')
    assert "<html" not in html
    assert "T-101" in html


def test_area_out_of_scope_is_404(world: World) -> None:
    client = world.client("worker_a1")

    assert client.get(reverse("plant:area", args=[world.area_a2.pk])).status_code == 404
    assert client.get(reverse("plant:area", args=[world.area_b1.pk])).status_code == 404


def test_equipment_page_shows_fields_tags_limits_and_links(world: World) -> None:
    tank = world.equipment["T-101"]
    services.update_tag(None, world.tags["TI-101"], hh_priority="high", h_priority="medium")

    response = world.client("admin_a").get(reverse("plant:equipment", args=[tank.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "班长甲" in html  # the responsible person
    [row] = response.context["tags"]
    assert row.range == "-20 ~ 80"
    assert row.limits["h"].value == "40" and row.limits["h"].badge == "text-bg-warning"
    assert row.limits["hh"].value == "50" and row.limits["hh"].badge == "text-bg-danger"
    assert row.limits["l"] is None and row.limits["ll"] is None
    assert '<span class="badge plant-limit text-bg-danger" title="优先级：高">50</span>' in html
    assert [link.target.code for link in response.context["downstream"]] == ["P-201"]
    assert response.context["upstream"] == []
    graph = json.loads(
        html.split('id="neighbourhood-data" type="application/json">')[1].split("</script>")[0]
    )
    assert sorted(n["code"] for n in graph["nodes"]) == ["P-201", "T-101"]
    assert [(e["source"], e["target"], e["medium"]) for e in graph["edges"]] == [
        (str(tank.pk), str(world.equipment["P-201"].pk), "汽油")
    ]
    assert reverse("plant:equipment-edit", args=[tank.pk]) in html
    assert f'id="attachments-plant-equipment-{tank.pk}"' in html  # the attachments panel


def test_equipment_page_hides_neighbours_out_of_scope(world: World) -> None:
    tank = world.equipment["T-101"]

    response = world.client("worker_a1").get(reverse("plant:equipment", args=[tank.pk]))

    assert response.status_code == 200
    assert response.context["downstream"] == []  # P-201 sits in an area the worker does not see
    assert response.context["can_change"] is False
    assert reverse("plant:equipment-edit", args=[tank.pk]) not in response.content.decode()


def test_equipment_out_of_scope_is_404(world: World) -> None:
    assert (
        world.client("worker_a1")
        .get(reverse("plant:equipment", args=[world.equipment["P-201"].pk]))
        .status_code
        == 404
    )
    assert (
        world.client("admin_b")
        .get(reverse("plant:equipment", args=[world.equipment["T-101"].pk]))
        .status_code
        == 404
    )


# --- Editing equipment ------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["worker_a1", "officer_a", "manager_a1"])
def test_edit_pages_need_plant_change(world: World, key: str) -> None:
    client = world.client(key)
    tank = world.equipment["T-101"]
    tag = world.tags["TI-101"]

    for url in (
        reverse("plant:equipment-create", args=[world.site_a.pk]),
        reverse("plant:equipment-edit", args=[tank.pk]),
        reverse("plant:equipment-delete", args=[tank.pk]),
        reverse("plant:tag-create", args=[tank.pk]),
        reverse("plant:tag-edit", args=[tag.pk]),
        reverse("plant:tag-delete", args=[tag.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("plant:equipment-edit", args=[tank.pk]), equipment_post(world, code="X-1"))
    assert response.status_code == 403
    assert Equipment.objects.get(pk=tank.pk).code == "T-101"


def test_other_site_administrator_gets_404_and_changes_nothing(world: World) -> None:
    client = world.client("admin_b")
    tank = world.equipment["T-101"]
    before = AuditEntry.objects.count()

    assert client.get(reverse("plant:equipment-edit", args=[tank.pk])).status_code == 404
    response = client.post(reverse("plant:equipment-edit", args=[tank.pk]), equipment_post(world, name="改"))
    assert response.status_code == 404
    assert client.post(reverse("plant:equipment-delete", args=[tank.pk])).status_code == 404
    assert client.post(reverse("plant:tag-delete", args=[world.tags["TI-101"].pk])).status_code == 404
    assert client.post(reverse("plant:equipment-create", args=[world.site_a.pk]), {}).status_code == 404

    tank.refresh_from_db()
    assert tank.name == "1号汽油储罐"
    assert SensorTag.objects.filter(pk=world.tags["TI-101"].pk).exists()
    assert AuditEntry.objects.count() == before


def test_create_equipment_through_the_form(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("plant:equipment-create", args=[world.site_a.pk])

    page = client.get(url, {"area": world.area_a1.pk})
    assert page.status_code == 200
    people = {u.username for u in page.context["form"].fields["responsible"].queryset}
    assert "worker_a1" in people and "admin_a" in people
    assert "worker_b1" not in people and "admin_b" not in people

    response = client.post(url, equipment_post(world))

    eq = Equipment.objects.get(code="T-102")
    assert response.status_code == 302
    assert response["Location"] == reverse("plant:equipment", args=[eq.pk])
    assert (eq.area, eq.responsible, eq.map_x, eq.map_y, str(eq.install_date)) == (
        world.area_a1,
        world.user("worker_a1"),
        80.0,
        60.5,
        "2019-05-20",
    )
    entry = AuditEntry.objects.filter(model="plant.equipment", object_id=str(eq.pk)).get()
    assert (entry.action, entry.actor_name) == ("create", "admin_a")


def test_invalid_equipment_form_is_400_with_field_errors_and_nothing_changes(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("plant:equipment-create", args=[world.site_a.pk])
    before = Equipment.objects.count()

    outside = client.post(url, equipment_post(world, map_x="999"))
    assert outside.status_code == 400
    assert outside.context["form"].errors["map_x"] == ["坐标超出了场所平面图的范围（400 × 300 米）。"]
    assert "is-invalid" in outside.content.decode()

    taken = client.post(url, equipment_post(world, code="T-101"))
    assert taken.status_code == 400
    assert taken.context["form"].errors["code"] == ["该区域已有位号为 T-101 的设备。"]

    other_site = client.post(url, equipment_post(world, responsible=world.user("worker_b1").pk))
    assert other_site.status_code == 400
    assert "responsible" in other_site.context["form"].errors

    missing = client.post(url, equipment_post(world, name="", type="rocket"))
    assert missing.status_code == 400
    assert set(missing.context["form"].errors) == {"name", "type"}

    assert Equipment.objects.count() == before


def test_unit_of_another_area_is_refused_on_the_unit_field(world: World) -> None:
    pump_unit = services.create_unit(None, area=world.area_a2, code="u2", name="输油单元")
    client = world.client("admin_a")

    response = client.post(
        reverse("plant:equipment-create", args=[world.site_a.pk]), equipment_post(world, unit=pump_unit.pk)
    )

    assert response.status_code == 400
    assert response.context["form"].errors["unit"] == ["装置单元必须属于设备所在的区域。"]
    assert not Equipment.objects.filter(code="T-102").exists()


def test_edit_equipment_through_the_form(world: World) -> None:
    tank = world.equipment["T-101"]
    client = world.client("admin_a")
    url = reverse("plant:equipment-edit", args=[tank.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["code"].value() == "T-101"

    response = client.post(
        url, equipment_post(world, code="T-101", name="1号汽油内浮顶罐", status="maintenance")
    )

    assert response.status_code == 302
    tank.refresh_from_db()
    assert (tank.name, tank.status, tank.responsible) == (
        "1号汽油内浮顶罐",
        "maintenance",
        world.user("worker_a1"),
    )
    entry = AuditEntry.objects.filter(model="plant.equipment", object_id=str(tank.pk), action="update").get()
    assert set(entry.changes) >= {"name", "status", "responsible"}


def test_delete_equipment_refused_while_it_has_tags(world: World) -> None:
    tank = world.equipment["T-101"]
    client = world.client("admin_a")

    response = client.post(reverse("plant:equipment-delete", args=[tank.pk]))

    assert response.status_code == 400
    assert "该设备仍有测点" in response.content.decode()
    assert Equipment.objects.filter(pk=tank.pk).exists()
    assert ProcessLink.objects.filter(source=tank).count() == 1


def test_delete_equipment_without_tags(world: World) -> None:
    services.delete_tag(None, world.tags["TI-101"])
    tank = world.equipment["T-101"]
    client = world.client("admin_a")
    assert client.get(reverse("plant:equipment-delete", args=[tank.pk])).status_code == 200

    response = client.post(reverse("plant:equipment-delete", args=[tank.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("plant:area", args=[world.area_a1.pk])
    assert not Equipment.objects.filter(pk=tank.pk).exists()
    assert not ProcessLink.objects.filter(target=world.equipment["P-201"]).exists()


# --- Tags -------------------------------------------------------------------------------------
def test_create_tag_through_the_form(world: World) -> None:
    tank = world.equipment["T-101"]
    client = world.client("admin_a")

    response = client.post(reverse("plant:tag-create", args=[tank.pk]), tag_post())

    assert response.status_code == 302
    tag = SensorTag.objects.get(tag="PI-102")
    assert (tag.equipment, tag.site, tag.unit, tag.h, tag.hh, tag.ll, tag.h_priority) == (
        tank,
        world.site_a,
        "kPa",
        Decimal("6"),
        Decimal("8"),
        None,
        "medium",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"h": "9"}, "hh", "报警限须满足 低低 < 低 < 高 < 高高。"),
        ({"hh": "12"}, "hh", "报警限必须在量程 0 ~ 10 之内。"),
        ({"unit": "°C"}, "unit", "压力 的工程单位应为：kPa、MPa、bar"),
        ({"tag": "TI-901-dup", "range_high": "0"}, "range_high", "量程上限必须大于量程下限。"),
        ({"tag": "TI-101"}, "tag", "本场所已有位号为 TI-101 的测点。"),
        ({"unit": "furlong"}, "unit", None),
        ({"range_low": "abc"}, "range_low", None),
    ],
)
def test_invalid_tag_form_is_400_with_field_errors(
    world: World, overrides: dict[str, str], field: str, message: str | None
) -> None:
    client = world.client("admin_a")
    before = SensorTag.objects.count()

    response = client.post(
        reverse("plant:tag-create", args=[world.equipment["T-101"].pk]), tag_post(**overrides)
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert SensorTag.objects.count() == before


def test_tag_unit_choices_follow_the_kind(world: World) -> None:
    client = world.client("admin_a")

    response = client.get(reverse("plant:tag-units"), {"kind": "pressure"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<select name="unit" id="id_unit"')
    assert [o.split('"')[1] for o in html.split("<option value=")[1:]] == ["kPa", "MPa", "bar"]
    form = client.get(reverse("plant:tag-create", args=[world.equipment["T-101"].pk])).context["form"]
    assert form.fields["kind"].widget.attrs["hx-get"] == reverse("plant:tag-units")


def test_edit_and_delete_a_tag(world: World) -> None:
    tag = world.tags["TI-101"]
    client = world.client("admin_a")
    page = client.get(reverse("plant:tag-edit", args=[tag.pk]))
    assert page.context["form"]["range_high"].value() == "80"

    response = client.post(
        reverse("plant:tag-edit", args=[tag.pk]),
        tag_post(tag="TI-101", name="1号罐温度", kind="temperature", unit="°C", range_low="-20", range_high="80",
                 l="", h="40", hh="55"),
    )  # fmt: skip
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.hh, tag.h, tag.l) == (Decimal("55"), Decimal("40"), None)

    assert client.post(reverse("plant:tag-delete", args=[tag.pk])).status_code == 302
    assert not SensorTag.objects.filter(pk=tag.pk).exists()


# --- Topology ---------------------------------------------------------------------------------
def topology_json(client: Client, world: World) -> dict[str, Any]:
    response = client.get(reverse("plant:topology-data", args=[world.site_a.pk]))
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_topology_json_holds_exactly_the_visible_nodes_and_edges(world: World) -> None:
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]

    admin = topology_json(world.client("admin_a"), world)
    worker = topology_json(world.client("worker_a1"), world)

    assert sorted(n["code"] for n in admin["nodes"]) == ["P-201", "T-101"]
    assert [(e["source"], e["target"], e["medium"], e["kind"]) for e in admin["edges"]] == [
        (str(tank.pk), str(pump.pk), "汽油", "material")
    ]
    node = next(n for n in admin["nodes"] if n["code"] == "T-101")
    assert (node["x"], node["y"], node["area"], node["url"]) == (
        50.0,
        60.0,
        "罐区",
        reverse("plant:equipment", args=[tank.pk]),
    )
    assert {a["name"] for a in admin["areas"]} == {"罐区", "泵房"}
    assert admin["site"] == {"id": world.site_a.pk, "name": "东区储运园区", "width": 400, "height": 300}
    # The worker of team a1 sees the tank only, so the edge to the pump is not shown.
    assert [n["code"] for n in worker["nodes"]] == ["T-101"]
    assert worker["edges"] == []


def test_topology_page_offers_the_editor_only_to_plant_change(world: World) -> None:
    url = reverse("plant:topology", args=[world.site_a.pk])

    admin = world.client("admin_a").get(url)
    officer = world.client("officer_a").get(url)

    assert admin.status_code == officer.status_code == 200
    assert admin.context["form"] is not None
    assert officer.context["form"] is None
    link = world.links[0]
    assert reverse("plant:link-delete", args=[link.pk]) in admin.content.decode()
    assert reverse("plant:link-delete", args=[link.pk]) not in officer.content.decode()


def test_add_a_link_over_htmx_returns_the_updated_editor(world: World) -> None:
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]
    client = world.client("admin_a")

    response = client.post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": pump.pk, "target": tank.pk, "kind": "material", "medium": "回流汽油"},
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "topology-changed"
    assert html.startswith('<div id="topology-editor">')
    new = ProcessLink.objects.get(source=pump, target=tank)
    assert (new.kind, new.medium) == ("material", "回流汽油")
    assert f'id="link-{new.pk}"' in html and f'id="link-{world.links[0].pk}"' in html
    # A recycle loop is allowed: both directions are now in the graph data.
    edges = topology_json(client, world)["edges"]
    assert sorted((e["source"], e["target"]) for e in edges) == sorted(
        [(str(tank.pk), str(pump.pk)), (str(pump.pk), str(tank.pk))]
    )


def test_self_link_is_refused_with_a_message(world: World) -> None:
    tank = world.equipment["T-101"]
    client = world.client("admin_a")
    before = ProcessLink.objects.count()

    response = client.post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": tank.pk, "target": tank.pk, "kind": "material", "medium": ""},
        **HTMX,
    )

    assert response.status_code == 400
    assert "HX-Trigger" not in response
    assert "设备不能连接到自身。" in response.content.decode()
    assert ProcessLink.objects.count() == before


def test_cross_site_link_is_refused_with_a_message(world: World) -> None:
    client = world.client("root")
    before = ProcessLink.objects.count()

    response = client.post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": world.equipment["T-101"].pk, "target": world.equipment["T-901"].pk, "kind": "material"},
        **HTMX,
    )

    assert response.status_code == 400
    assert "只能连接同一场所内的设备。" in response.content.decode()
    assert ProcessLink.objects.count() == before
    # A site administrator cannot even pick equipment of the other site.
    response = world.client("admin_a").post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": world.equipment["T-101"].pk, "target": world.equipment["T-901"].pk, "kind": "material"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "target" in response.context["form"].errors
    assert ProcessLink.objects.count() == before


def test_duplicate_link_is_refused(world: World) -> None:
    response = world.client("admin_a").post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": world.equipment["T-101"].pk, "target": world.equipment["P-201"].pk, "kind": "material"},
        **HTMX,
    )

    assert response.status_code == 400
    assert "这两台设备之间已有同类型的连接。" in response.content.decode()
    assert ProcessLink.objects.count() == 1


def test_remove_a_link_over_htmx(world: World) -> None:
    link = world.links[0]
    client = world.client("admin_a")

    response = client.post(reverse("plant:link-delete", args=[link.pk]), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "topology-changed"
    assert f'id="link-{link.pk}"' not in html
    assert "还没有工艺连接。" in html
    assert not ProcessLink.objects.filter(pk=link.pk).exists()
    assert topology_json(client, world)["edges"] == []


def test_link_writes_without_htmx_redirect_back(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("plant:topology", args=[world.site_a.pk])

    created = client.post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": world.equipment["P-201"].pk, "target": world.equipment["T-101"].pk, "kind": "utility"},
    )
    removed = client.post(reverse("plant:link-delete", args=[world.links[0].pk]))

    assert (created.status_code, created["Location"]) == (302, url)
    assert (removed.status_code, removed["Location"]) == (302, url)
    assert list(ProcessLink.objects.values_list("source__code", "target__code", "kind")) == [
        ("P-201", "T-101", "utility")
    ]


def test_link_writes_need_plant_change_and_scope(world: World) -> None:
    link = world.links[0]

    denied = world.client("officer_a").post(reverse("plant:link-delete", args=[link.pk]), **HTMX)
    hidden = world.client("admin_b").post(reverse("plant:link-delete", args=[link.pk]), **HTMX)
    add = world.client("officer_a").post(
        reverse("plant:link-create", args=[world.site_a.pk]),
        {"source": world.equipment["P-201"].pk, "target": world.equipment["T-101"].pk, "kind": "material"},
    )

    assert (denied.status_code, hidden.status_code, add.status_code) == (403, 404, 403)
    assert list(ProcessLink.objects.values_list("pk", flat=True)) == [link.pk]
