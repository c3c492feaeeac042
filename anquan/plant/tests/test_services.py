"""The plant services: validation, audit trail, events and permission."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from anquan.conftest import World
from anquan.org import services as org
from anquan.plant import events, services
from anquan.plant.models import Equipment, ProcessLink, SensorTag
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def tag_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "tag": "PI-102",
        "name": "1号罐压力",
        "kind": "pressure",
        "unit": "kPa",
        "range_low": Decimal("0"),
        "range_high": Decimal("10"),
    }
    fields.update(overrides)
    return fields


def audit_trail(obj: Any) -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    return [(e.action, e.actor_name) for e in entries]


# --- Tag validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("limits", "field", "message"),
    [
        ({"l": Decimal("5"), "h": Decimal("4")}, "h", "报警限须满足 低低 < 低 < 高 < 高高。"),
        ({"h": Decimal("8"), "hh": Decimal("8")}, "hh", "报警限须满足 低低 < 低 < 高 < 高高。"),
        ({"ll": Decimal("2"), "l": Decimal("1")}, "l", "报警限须满足 低低 < 低 < 高 < 高高。"),
        ({"hh": Decimal("10.5")}, "hh", "报警限必须在量程 0 ~ 10 之内。"),
        ({"ll": Decimal("-0.1")}, "ll", "报警限必须在量程 0 ~ 10 之内。"),
        ({"range_high": Decimal("0")}, "range_high", "量程上限必须大于量程下限。"),
    ],
)
def test_limits_must_be_ordered_within_the_range(
    world: World, limits: dict[str, Decimal], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_tag(None, equipment=world.equipment["T-101"], **tag_fields(**limits))

    assert errors_of(excinfo)[field] == [message]
    assert not SensorTag.objects.filter(tag="PI-102").exists()


def test_limits_on_the_range_edges_and_in_order_are_accepted(world: World) -> None:
    tag = services.create_tag(
        None,
        equipment=world.equipment["T-101"],
        **tag_fields(ll=Decimal("0"), l=Decimal("1"), h=Decimal("9"), hh=Decimal("10"), hh_priority="medium"),
    )

    assert tag.limits() == [
        ("ll", Decimal("0"), "high"),
        ("l", Decimal("1"), "low"),
        ("h", Decimal("9"), "low"),
        ("hh", Decimal("10"), "medium"),
    ]


def test_unit_must_match_the_kind(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_tag(None, equipment=world.equipment["T-101"], **tag_fields(unit="°C"))

    assert errors_of(excinfo)["unit"] == ["压力 的工程单位应为：kPa、MPa、bar"]
    assert SensorTag.objects.count() == 3


def test_every_field_error_is_reported_at_once(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_tag(
            None, equipment=world.equipment["T-101"], **tag_fields(tag="TI-101", unit="°C", hh=Decimal("11"))
        )

    assert set(errors_of(excinfo)) == {"tag", "unit", "hh"}


def test_tag_is_unique_per_site(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_tag(None, equipment=world.equipment["P-201"], **tag_fields(tag="TI-101"))

    assert errors_of(excinfo) == {"tag": ["本场所已有位号为 TI-101 的测点。"]}
    # The same tag name in another site is a different tag.
    west = services.create_tag(None, equipment=world.equipment["T-901"], **tag_fields(tag="TI-101"))
    assert (west.site, SensorTag.objects.filter(tag="TI-101").count()) == (world.site_b, 2)


def test_renaming_a_tag_onto_another_is_refused(world: World) -> None:
    tag = world.tags["PI-201"]

    with pytest.raises(ValidationError) as excinfo:
        services.update_tag(None, tag, tag="TI-101")
    assert errors_of(excinfo) == {"tag": ["本场所已有位号为 TI-101 的测点。"]}

    services.update_tag(None, tag, tag="PI-201A")
    tag.refresh_from_db()
    assert tag.tag == "PI-201A"


def test_tag_cannot_move_to_equipment_of_another_site(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.update_tag(None, world.tags["TI-101"], equipment=world.equipment["T-901"])

    assert "equipment" in errors_of(excinfo)
    assert SensorTag.objects.get(tag="TI-101").equipment == world.equipment["T-101"]


# --- Equipment validation ---------------------------------------------------------------------
def test_unit_must_belong_to_the_equipment_area(world: World) -> None:
    pump_unit = services.create_unit(None, area=world.area_a2, code="u2", name="输油单元")

    with pytest.raises(ValidationError) as excinfo:
        services.create_equipment(
            None, area=world.area_a1, code="T-102", name="2号罐", type="storage_tank", unit=pump_unit
        )

    assert errors_of(excinfo) == {"unit": ["装置单元必须属于设备所在的区域。"]}
    assert not Equipment.objects.filter(code="T-102").exists()


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (401, 10, "坐标超出了场所平面图的范围（400 × 300 米）。"),
        (10, 300.5, "坐标超出了场所平面图的范围（400 × 300 米）。"),
        (-1, 10, "坐标超出了场所平面图的范围（400 × 300 米）。"),
        (10, None, "平面图坐标需要同时填写 X 和 Y。"),
    ],
)
def test_map_coordinates_must_lie_on_the_site_map(
    world: World, x: float, y: float | None, message: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_equipment(
            None, area=world.area_a1, code="T-102", name="2号罐", type="storage_tank", map_x=x, map_y=y
        )

    assert errors_of(excinfo) == {"map_x": [message]}
    assert not Equipment.objects.filter(code="T-102").exists()


def test_map_corners_are_on_the_map(world: World) -> None:
    eq = services.create_equipment(
        None, area=world.area_a1, code="T-102", name="2号罐", type="storage_tank", map_x=400, map_y=300
    )

    assert (eq.map_x, eq.map_y) == (400, 300)


def test_code_is_unique_per_area(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.create_equipment(None, area=world.area_a1, code="T-101", name="重复", type="storage_tank")

    assert errors_of(excinfo) == {"code": ["该区域已有位号为 T-101 的设备。"]}
    other_area = services.create_equipment(
        None, area=world.area_a2, code="T-101", name="泵房罐", type="other"
    )
    assert other_area.area == world.area_a2


def test_responsible_must_be_of_the_site(world: World) -> None:
    tank = world.equipment["T-101"]

    with pytest.raises(ValidationError) as excinfo:
        services.update_equipment(None, tank, responsible=world.user("worker_b1"))
    assert errors_of(excinfo) == {"responsible": ["责任人必须是本场所的人员。"]}
    with pytest.raises(ValidationError):
        services.create_equipment(
            None,
            area=world.area_a1,
            code="T-102",
            name="2号罐",
            type="storage_tank",
            responsible=world.user("admin_b"),
        )
    tank.refresh_from_db()
    assert tank.responsible == world.user("leader_a1")

    # Site-A people (by role or by team) and enterprise-wide roles qualify.
    for key in ("admin_a", "worker_a2", "ehs"):
        services.update_equipment(None, tank, responsible=world.user(key))
        tank.refresh_from_db()
        assert tank.responsible == world.user(key)


def test_inactive_person_cannot_be_responsible(world: World) -> None:
    worker = world.user("worker_a1")
    org.update_user(None, worker, is_active=False)

    with pytest.raises(ValidationError) as excinfo:
        services.update_equipment(None, world.equipment["T-101"], responsible=worker)

    assert errors_of(excinfo) == {"responsible": ["责任人账号已停用。"]}


def test_equipment_cannot_move_to_another_site(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.update_equipment(None, world.equipment["T-101"], area=world.area_b1)

    assert "area" in errors_of(excinfo)
    assert Equipment.objects.get(pk=world.equipment["T-101"].pk).area == world.area_a1


def test_equipment_with_tags_cannot_be_deleted(world: World) -> None:
    tank = world.equipment["T-101"]

    with captured() as published, pytest.raises(ValidationError) as excinfo:
        services.delete_equipment(None, tank)

    assert errors_of(excinfo) == {"equipment": ["该设备仍有测点，请先删除或迁移测点。"]}
    assert Equipment.objects.filter(pk=tank.pk).exists()
    assert ProcessLink.objects.filter(source=tank).count() == 1
    assert published == []


django_capture_on_commit = TestCase.captureOnCommitCallbacks


def test_deleting_equipment_takes_its_attachments_with_it(world: World, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from anquan.platform.attachments import services as attachments
    from anquan.platform.attachments.models import Attachment
    from anquan.platform.attachments.tests.samples import pdf, upload

    settings.MEDIA_ROOT = tmp_path
    pump = world.equipment["P-201"]
    services.delete_tag(None, world.tags["PI-201"])
    stored = attachments.store_upload(
        world.user("admin_a"), pump, upload("datasheet.pdf", pdf(), "application/pdf")
    )
    assert (tmp_path / stored.file.name).exists()

    with django_capture_on_commit() as callbacks:
        services.delete_equipment(world.user("admin_a"), pump)
    for callback in callbacks:
        callback()

    assert not Equipment.objects.filter(pk=pump.pk).exists()
    assert not Attachment.objects.filter(pk=stored.pk).exists()
    assert not (tmp_path / stored.file.name).exists()


# --- Topology validation ----------------------------------------------------------------------
def test_self_link_is_refused(world: World) -> None:
    tank = world.equipment["T-101"]

    with pytest.raises(ValidationError) as excinfo:
        services.link(None, source=tank, target=tank)

    assert errors_of(excinfo) == {"target": ["设备不能连接到自身。"]}
    assert ProcessLink.objects.count() == 1


def test_cross_site_link_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.link(world.user("root"), source=world.equipment["T-101"], target=world.equipment["T-901"])

    assert errors_of(excinfo) == {"target": ["只能连接同一场所内的设备。"]}
    assert ProcessLink.objects.count() == 1


def test_duplicate_link_is_refused_but_a_recycle_loop_is_allowed(world: World) -> None:
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]

    with pytest.raises(ValidationError) as excinfo:
        services.link(None, source=tank, target=pump, kind="material")
    assert errors_of(excinfo) == {"target": ["这两台设备之间已有同类型的连接。"]}

    back = services.link(None, source=pump, target=tank, kind="material", medium="回流")
    utility = services.link(None, source=tank, target=pump, kind="utility", medium="氮气")
    assert set(ProcessLink.objects.values_list("source__code", "target__code", "kind")) == {
        ("T-101", "P-201", "material"),
        ("P-201", "T-101", "material"),
        ("T-101", "P-201", "utility"),
    }
    assert back.pk and utility.pk


# --- Audit trail and events -------------------------------------------------------------------
def test_create_update_delete_equipment_is_audited_and_published(world: World) -> None:
    admin = world.user("admin_a")

    with captured() as created_events:
        eq = services.create_equipment(
            admin, area=world.area_a1, code="T-102", name="2号罐", type="storage_tank", responsible=admin
        )
    assert created_events == [
        events.EquipmentCreated(equipment_id=eq.pk, actor_id=admin.pk),
        events.ResponsiblePersonAssigned(equipment_id=eq.pk, user_id=admin.pk, actor_id=admin.pk),
    ]

    with captured() as changed_events:
        services.update_equipment(admin, eq, name="2号柴油罐", status="maintenance")
        services.update_equipment(admin, eq, name="2号柴油罐")  # no change: no entry, no event
    assert changed_events == [
        events.EquipmentChanged(equipment_id=eq.pk, fields=("name", "status"), actor_id=admin.pk)
    ]

    link = services.link(admin, source=eq, target=world.equipment["P-201"], medium="柴油")
    pk = eq.pk
    with captured() as deleted_events:
        services.delete_equipment(admin, eq)
    assert deleted_events == [
        events.TopologyChanged(site_id=world.site_a.pk, link_id=link.pk, change="unlinked"),
        events.EquipmentDeleted(equipment_id=pk, site_id=world.site_a.pk, actor_id=admin.pk),
    ]

    eq.pk = pk
    assert audit_trail(eq) == [("create", "admin_a"), ("update", "admin_a"), ("delete", "admin_a")]
    update = AuditEntry.objects.get(model="plant.equipment", object_id=str(pk), action="update")
    assert update.changes == {"name": ["2号罐", "2号柴油罐"], "status": ["in_service", "maintenance"]}
    assert not Equipment.objects.filter(pk=pk).exists()
    assert not ProcessLink.objects.filter(pk=link.pk).exists()


def test_tag_writes_are_audited_and_published(world: World) -> None:
    admin = world.user("admin_a")
    site_id = world.site_a.pk

    with captured() as published:
        tag = services.create_tag(admin, equipment=world.equipment["T-101"], **tag_fields(h=Decimal("6")))
        services.update_tag(admin, tag, h=Decimal("7"), h_priority="medium")
        tag_id = tag.pk
        services.delete_tag(admin, tag)

    assert published == [
        events.SensorTagChanged(tag_id=tag_id, site_id=site_id, change="created"),
        events.SensorTagChanged(tag_id=tag_id, site_id=site_id, change="updated"),
        events.SensorTagChanged(tag_id=tag_id, site_id=site_id, change="deleted"),
    ]
    tag.pk = tag_id
    assert audit_trail(tag) == [("create", "admin_a"), ("update", "admin_a"), ("delete", "admin_a")]
    update = AuditEntry.objects.get(model="plant.sensortag", object_id=str(tag_id), action="update")
    assert update.changes == {"h": ["6", "7"], "h_priority": ["low", "medium"]}


def test_link_and_unlink_are_audited_and_published(world: World) -> None:
    admin = world.user("admin_a")
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]

    with captured() as published:
        link = services.link(admin, source=pump, target=tank, kind="material", medium="回流汽油")
        link_id = link.pk
        services.unlink(admin, link)

    assert published == [
        events.TopologyChanged(site_id=world.site_a.pk, link_id=link_id, change="linked"),
        events.TopologyChanged(site_id=world.site_a.pk, link_id=link_id, change="unlinked"),
    ]
    link.pk = link_id
    assert audit_trail(link) == [("create", "admin_a"), ("delete", "admin_a")]
    assert AuditEntry.objects.get(
        model="plant.processlink", object_id=str(link_id), action="create"
    ).site_id == (world.site_a.pk)


# --- Permission -------------------------------------------------------------------------------
def test_other_site_administrator_cannot_change_site_a_and_nothing_changes(world: World) -> None:
    admin_b = world.user("admin_b")
    tank, pump = world.equipment["T-101"], world.equipment["P-201"]
    link = world.links[0]
    entries = AuditEntry.objects.count()
    attempts = [
        lambda: services.create_equipment(admin_b, area=world.area_a1, code="X-1", name="越权", type="other"),
        lambda: services.update_equipment(admin_b, tank, name="越权"),
        lambda: services.delete_equipment(admin_b, pump),
        lambda: services.create_tag(admin_b, equipment=tank, **tag_fields()),
        lambda: services.update_tag(admin_b, world.tags["TI-101"], h=Decimal("30")),
        lambda: services.delete_tag(admin_b, world.tags["PI-201"]),
        lambda: services.link(admin_b, source=pump, target=tank),
        lambda: services.unlink(admin_b, link),
        lambda: services.create_unit(admin_b, area=world.area_a1, code="u9", name="越权单元"),
        # Moving site-B equipment into site A needs site A as well.
        lambda: services.update_equipment(admin_b, world.equipment["T-901"], area=world.area_a1),
    ]

    with captured() as published:
        for attempt in attempts:
            with pytest.raises(PermissionDenied):
                attempt()

    assert published == []
    assert AuditEntry.objects.count() == entries
    tank.refresh_from_db()
    assert tank.name == "1号汽油储罐"
    assert sorted(Equipment.objects.values_list("code", flat=True)) == ["P-201", "T-101", "T-901"]
    assert sorted(SensorTag.objects.values_list("tag", "h")) == [
        ("LI-901", Decimal("18")),
        ("PI-201", Decimal("1.6")),
        ("TI-101", Decimal("40")),
    ]
    assert list(ProcessLink.objects.values_list("pk", flat=True)) == [link.pk]


@pytest.mark.parametrize("key", ["worker_a1", "leader_a1", "officer_a", "manager_a1", "ehs", "contractor_a"])
def test_roles_without_plant_change_cannot_write(world: World, key: str) -> None:
    user = world.user(key)

    with pytest.raises(PermissionDenied):
        services.update_equipment(user, world.equipment["T-101"], name="越权")
    with pytest.raises(PermissionDenied):
        services.link(user, source=world.equipment["P-201"], target=world.equipment["T-101"])

    assert Equipment.objects.get(pk=world.equipment["T-101"].pk).name == "1号汽油储罐"
    assert ProcessLink.objects.count() == 1


def test_site_administrator_writes_in_its_site(world: World) -> None:
    admin = world.user("admin_a")

    eq = services.create_equipment(admin, area=world.area_a2, code="P-202", name="2号输油泵", type="pump")

    assert Equipment.objects.get(pk=eq.pk).area == world.area_a2
