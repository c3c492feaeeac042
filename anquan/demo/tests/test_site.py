from __future__ import annotations

import itertools
import math
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from anquan.demo import site as demo
from anquan.org.choices import Role
from anquan.org.models import Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.plant.choices import KINDS, EquipmentType, LinkKind, MeasurementKind
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.platform import audit
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

MODELS = (
    Enterprise,
    Site,
    Area,
    Unit,
    Team,
    User,
    RoleAssignment,
    Equipment,
    SensorTag,
    ProcessLink,
    AuditEntry,
)


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, "--history-days", "0", stdout=out, stderr=StringIO())
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def inside(point: tuple[float, float], polygon: list[list[float]]) -> bool:
    """Ray casting; points on an edge count as inside."""
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        on_segment = min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2)
        if on_segment and (x2 - x1) * (y - y1) == (y2 - y1) * (x - x1):
            return True
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def _cross(o: list[float], a: list[float], b: list[float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def overlap(p: list[list[float]], q: list[list[float]]) -> bool:
    """Whether two simple polygons share any point (edges crossing or touching, or containment)."""
    for a1, a2 in zip(p, p[1:] + p[:1], strict=True):
        for b1, b2 in zip(q, q[1:] + q[:1], strict=True):
            d1, d2 = _cross(b1, b2, a1), _cross(b1, b2, a2)
            d3, d4 = _cross(a1, a2, b1), _cross(a1, a2, b2)
            if d1 * d2 <= 0 and d3 * d4 <= 0 and not (d1 == d2 == d3 == d4 == 0):
                return True
    return inside(tuple(p[0]), q) or inside(tuple(q[0]), p)  # type: ignore[arg-type]


def connected(nodes: set[str], edges: list[tuple[str, str]]) -> bool:
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        if a in nodes and b in nodes:
            parent[find(a)] = find(b)
    return len({find(n) for n in nodes}) == 1


# --- The loaded site -------------------------------------------------------------------------
def test_load_builds_exactly_the_declared_site(demo_site: Enterprise) -> None:
    enterprise = Enterprise.objects.get(code="anquan-demo")
    site = Site.objects.get(enterprise=enterprise)
    assert (enterprise.name, site.name, site.map_width_m, site.map_height_m) == (
        "安泉危化品储运有限公司",
        "滨海化工园区储运基地",
        400,
        300,
    )
    counts = demo.Counts()
    assert Area.objects.filter(site=site).count() == counts.areas == 6
    assert set(Area.objects.values_list("code", flat=True)) == {
        "tank-farm", "hydrogen", "pump-house", "loading-bay", "control-room", "utilities",
    }  # fmt: skip
    assert Unit.objects.filter(area__site=site).count() == counts.units
    assert set(Team.objects.values_list("name", flat=True)) == {
        "罐区运行一班", "罐区运行二班", "氢气单元班", "装卸班", "维修班",
    }  # fmt: skip
    assert User.objects.count() == counts.people == 25
    assert RoleAssignment.objects.count() == counts.roles
    assert Equipment.objects.count() == counts.equipment
    assert SensorTag.objects.filter(site=site).count() == counts.tags >= 60
    assert ProcessLink.objects.count() == counts.links
    tanks = Equipment.objects.filter(area__code="tank-farm", type=EquipmentType.STORAGE_TANK)
    assert sorted(tanks.values_list("code", flat=True)) == ["T-101", "T-102", "T-103", "T-104"]
    roofs = {spec.code: spec.roof for spec in demo.TANKS}
    for tank in tanks:
        assert ("内浮顶罐" in tank.model) == (roofs[tank.code] == "internal_floating"), tank.model
        assert ("拱顶罐（固定顶" in tank.model) == (roofs[tank.code] == "fixed"), tank.model
    assert set(roofs.values()) == {"internal_floating", "fixed"}
    for area, kind in (
        ("hydrogen", EquipmentType.ELECTROLYZER),
        ("hydrogen", EquipmentType.COMPRESSOR),
        ("pump-house", EquipmentType.PUMP),
        ("loading-bay", EquipmentType.LOADING_ARM),
        ("control-room", EquipmentType.BUILDING),
        ("utilities", EquipmentType.COOLING_TOWER),
        ("utilities", EquipmentType.WEATHER_STATION),
    ):
        assert Equipment.objects.filter(area__code=area, type=kind).exists(), (area, kind)


def test_people_cover_every_role_and_team_members_sit_in_their_team(demo_site: Enterprise) -> None:
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)
    for spec in demo.PEOPLE:
        user = User.objects.get(username=spec.username)
        assert (user.name, user.email, user.employee_no, user.phone, user.company) == (
            spec.name, f"{spec.username}@anquan-demo.cn", spec.employee_no, spec.phone, spec.company,
        )  # fmt: skip
        assert len(user.phone) == 11 and user.phone.startswith("1") and user.phone.isdigit()
        assert (user.team.code if user.team else None) == spec.team
        assert user.check_password(demo.DEMO_PASSWORD)
        assert not user.is_superuser
    for team in Team.objects.all():
        roles = Counter(RoleAssignment.objects.filter(team=team, level="team").values_list("role", flat=True))
        assert roles[Role.TEAM_LEADER] == 1 and roles[Role.WORKER] >= 2, team.name
        assert team.members.count() == roles[Role.TEAM_LEADER] + roles[Role.WORKER]
    admin = User.objects.get(username="admin")
    assert list(admin.assignments.values_list("role", "level")) == [(Role.ADMINISTRATOR, "site")]
    contractors = User.objects.filter(assignments__role=Role.CONTRACTOR)
    assert all(c.company.endswith("有限公司") for c in contractors) and contractors.count() == 2


def test_tags_cover_every_kind_and_pass_validation(demo_site: Enterprise) -> None:
    tags = list(SensorTag.objects.select_related("equipment"))
    assert {t.kind for t in tags} == set(MeasurementKind.values)
    for tag in tags:
        tag.full_clean()
        assert tag.unit in KINDS[tag.kind].units
        assert tag.tag.split("-")[0] == KINDS[tag.kind].prefix, tag.tag
        assert 1 <= tag.sample_interval_s <= 60
    by_tag = {t.tag: t for t in tags}
    # Gas detector set points (GB/T 50493-2019 §5.5.2), H₂S 10/20 ppm, tank level at 85/90 % height.
    for tag in tags:
        if tag.unit == "%LEL":
            assert tag.h is not None and tag.hh is not None
            assert Decimal(20) <= tag.h <= Decimal(25) and Decimal(40) <= tag.hh <= Decimal(50), tag.tag
            assert (tag.h_priority, tag.hh_priority) == ("medium", "high")
        if tag.kind == MeasurementKind.TOXIC_GAS:
            assert (tag.unit, tag.h, tag.hh) == ("ppm", Decimal(10), Decimal(20))
        if tag.kind == MeasurementKind.OXYGEN and tag.equipment.type != EquipmentType.ELECTROLYZER:
            assert (tag.l, tag.h) == (Decimal("19.5"), Decimal("23.5"))
    for n, tank in enumerate(demo.TANKS, start=1):
        level = by_tag[f"LI-10{n}"]
        assert level.equipment.code == tank.code
        assert level.h == (tank.height_m * Decimal("0.85")).quantize(Decimal("0.1"))
        assert level.hh == (tank.height_m * Decimal("0.90")).quantize(Decimal("0.1"))
        assert level.hh_priority == "high"
    assert (by_tag["VI-201"].h, by_tag["VI-201"].hh) == (Decimal("4.5"), Decimal("7.1"))  # ISO 10816-3


def test_alarm_priorities_are_mostly_low(demo_site: Enterprise) -> None:
    mix: Counter[str] = Counter()
    for tag in SensorTag.objects.all():
        mix.update(priority for _level, _value, priority in tag.limits())
    total = sum(mix.values())
    assert mix["low"] / total >= 0.70
    assert mix["high"] < mix["medium"] < mix["low"]
    assert mix["high"] / total <= 0.12


def test_areas_do_not_overlap_and_equipment_sits_inside_its_area(demo_site: Enterprise) -> None:
    areas = list(Area.objects.all())
    for i, a in enumerate(areas):
        assert len(a.map_polygon) >= 3
        for b in areas[i + 1 :]:
            assert not overlap(a.map_polygon, b.map_polygon), (a.code, b.code)
    for eq in Equipment.objects.select_related("area", "unit", "responsible"):
        assert inside((eq.map_x, eq.map_y), eq.area.map_polygon), eq.code
        assert eq.manufacturer and eq.model and eq.install_date and eq.responsible, eq.code
        assert eq.unit is None or eq.unit.area_id == eq.area_id
    dike = [list(p) for p in demo.DIKE_POLYGON]
    tank_farm = Area.objects.get(code="tank-farm")
    assert all(inside(p, tank_farm.map_polygon) for p in demo.DIKE_POLYGON)
    for tank in Equipment.objects.filter(type=EquipmentType.STORAGE_TANK):
        assert inside((tank.map_x, tank.map_y), dike)  # type: ignore[arg-type]


def test_dike_sensors_are_detectors_near_their_tank_and_linked_to_it(demo_site: Enterprise) -> None:
    for spec in demo.TANKS:
        tank = Equipment.objects.get(code=spec.code)
        assert spec.dike_sensors
        for name in spec.dike_sensors:
            tag = SensorTag.objects.select_related("equipment__area").get(tag=name)
            detector = tag.equipment
            assert detector.type == EquipmentType.GAS_DETECTOR and detector.area.code == "tank-farm"
            assert tag.kind in (MeasurementKind.COMBUSTIBLE_GAS, MeasurementKind.TOXIC_GAS)
            assert math.dist((tank.map_x, tank.map_y), (detector.map_x, detector.map_y)) <= 45, name
            assert ProcessLink.objects.filter(source=tank, target=detector, kind=LinkKind.SIGNAL).exists()


def test_topology_links_tanks_to_pumps_and_connects_each_area_group(demo_site: Enterprise) -> None:
    for tank in Equipment.objects.filter(type=EquipmentType.STORAGE_TANK):
        pumps = Equipment.objects.filter(
            incoming__source=tank, incoming__kind=LinkKind.MATERIAL, type=EquipmentType.PUMP
        )
        assert pumps.count() == 1, tank.code
        assert ProcessLink.objects.filter(
            source=pumps.get(), target__type=EquipmentType.LOADING_ARM, kind=LinkKind.MATERIAL
        ).exists()
        assert ProcessLink.objects.filter(source__code="PL-100", target=tank).exists()
        assert ProcessLink.objects.filter(source__code="PL-504", target=tank, kind=LinkKind.UTILITY).exists()
    chain = ["EL-401", "C-402", "V-403", "FV-404", "PL-405"]
    for source, target in itertools.pairwise(chain):
        assert ProcessLink.objects.filter(source__code=source, target__code=target, kind="material").exists()

    edges = list(ProcessLink.objects.values_list("source__code", "target__code"))
    for group, area_codes in demo.TOPOLOGY_GROUPS.items():
        nodes = set(
            Equipment.objects.filter(area__code__in=area_codes)
            .exclude(code__in=demo.STANDALONE)
            .values_list("code", flat=True)
        )
        assert len(nodes) >= 3 and connected(nodes, edges), group
    everything = set(Equipment.objects.exclude(code__in=demo.STANDALONE).values_list("code", flat=True))
    assert connected(everything, edges)
    assert not any(set(e) & set(demo.STANDALONE) for e in edges)


def test_the_audit_trail_records_every_record_and_verifies(demo_site: Enterprise) -> None:
    counts = demo.Counts()
    created = 2 + counts.areas + counts.units + counts.teams + counts.people + counts.roles
    created += counts.equipment + counts.tags + counts.links + counts.connectors + counts.rules
    # The site itself (the safety work on it, issue 5, is done by the demo people: test_safety.py).
    site_entries = AuditEntry.objects.filter(model__regex=r"^(org|plant|streaming|monitoring)\.")
    assert site_entries.filter(action="create").count() == site_entries.count() == created
    assert set(site_entries.values_list("actor_name", flat=True)) == {"system"}
    assert audit.verify().ok
