"""The plant model's REST API: units, equipment, sensor tags, process links and a site's topology.

Reads go through ``anquan.plant.selectors``, writes through ``anquan.plant.services``; the scoping
rules are the organisation API's (see ``anquan.org.api``): no capability at all 403, out of scope
404, an invisible reference in a body a 400 field error.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from ninja import FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anquan.org import selectors as org_selectors
from anquan.org.api import Id, api_fields, doc, no_nulls, ordered, pick, require
from anquan.org.roles import PLANT_CHANGE, PLANT_VIEW
from anquan.plant import selectors, services
from anquan.plant.choices import AlarmPriority, EquipmentStatus, EquipmentType, LinkKind, MeasurementKind
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.platform.api import Page

router = Router(tags=["plant"])

# Service errors name model fields; the API names the ids it takes. (A tag's ``unit`` is its
# engineering unit, a text field, so each kind of record has its own map.)
UNIT_FIELDS = {"area": "area_id"}
EQUIPMENT_FIELDS = {"area": "area_id", "unit": "unit_id", "responsible": "responsible_id"}
TAG_FIELDS = {"equipment": "equipment_id"}
LINK_FIELDS = {"source": "source_id", "target": "target_id"}


# --- Schemas ---------------------------------------------------------------------------------
class UnitOut(Schema):
    id: int
    area_id: int
    site_id: int
    code: str
    name: str
    description: str

    @staticmethod
    def resolve_site_id(obj: Unit) -> int:
        return obj.area.site_id


class UnitIn(Schema):
    area_id: Id
    code: str
    name: str
    description: str = ""


class EquipmentOut(Schema):
    id: int
    area_id: int
    site_id: int
    unit_id: int | None
    code: str
    name: str
    type: EquipmentType
    status: EquipmentStatus
    model: str
    manufacturer: str
    install_date: dt.date | None
    responsible_id: int | None
    medium: str
    map_x: float | None
    map_y: float | None
    description: str
    tag_count: int

    @staticmethod
    def resolve_site_id(obj: Equipment) -> int:
        return obj.area.site_id


class EquipmentIn(Schema):
    area_id: Id
    unit_id: Id | None = None
    code: str
    name: str
    type: EquipmentType
    status: EquipmentStatus = EquipmentStatus.IN_SERVICE
    model: str = ""
    manufacturer: str = ""
    install_date: dt.date | None = None
    responsible_id: Id | None = None
    medium: str = ""
    map_x: float | None = None
    map_y: float | None = None
    description: str = ""


class EquipmentPatch(Schema):
    area_id: Id | None = None
    unit_id: Id | None = None
    code: str | None = None
    name: str | None = None
    type: EquipmentType | None = None
    status: EquipmentStatus | None = None
    model: str | None = None
    manufacturer: str | None = None
    install_date: dt.date | None = None
    responsible_id: Id | None = None
    medium: str | None = None
    map_x: float | None = None
    map_y: float | None = None
    description: str | None = None


class TagOut(Schema):
    id: int
    equipment_id: int
    site_id: int
    tag: str
    name: str
    kind: MeasurementKind
    unit: str
    range_low: Decimal
    range_high: Decimal
    sample_interval_s: int
    hh: Decimal | None
    h: Decimal | None
    l: Decimal | None  # noqa: E741
    ll: Decimal | None
    hh_priority: AlarmPriority
    h_priority: AlarmPriority
    l_priority: AlarmPriority
    ll_priority: AlarmPriority
    description: str


class TagIn(Schema):
    equipment_id: Id
    tag: str
    name: str
    kind: MeasurementKind
    unit: str
    range_low: Decimal
    range_high: Decimal
    sample_interval_s: int = 10
    hh: Decimal | None = None
    h: Decimal | None = None
    l: Decimal | None = None  # noqa: E741
    ll: Decimal | None = None
    hh_priority: AlarmPriority = AlarmPriority.HIGH
    h_priority: AlarmPriority = AlarmPriority.LOW
    l_priority: AlarmPriority = AlarmPriority.LOW
    ll_priority: AlarmPriority = AlarmPriority.HIGH
    description: str = ""


class TagPatch(Schema):
    equipment_id: Id | None = None
    tag: str | None = None
    name: str | None = None
    kind: MeasurementKind | None = None
    unit: str | None = None
    range_low: Decimal | None = None
    range_high: Decimal | None = None
    sample_interval_s: int | None = None
    hh: Decimal | None = None
    h: Decimal | None = None
    l: Decimal | None = None  # noqa: E741
    ll: Decimal | None = None
    hh_priority: AlarmPriority | None = None
    h_priority: AlarmPriority | None = None
    l_priority: AlarmPriority | None = None
    ll_priority: AlarmPriority | None = None
    description: str | None = None


class LinkOut(Schema):
    id: int
    site_id: int
    source_id: int
    target_id: int
    kind: LinkKind
    medium: str
    description: str

    @staticmethod
    def resolve_site_id(obj: ProcessLink) -> int:
        return obj.source.area.site_id


class LinkIn(Schema):
    source_id: Id
    target_id: Id
    kind: LinkKind = LinkKind.MATERIAL
    medium: str = ""
    description: str = ""


class TopologyNode(Schema):
    id: int
    code: str
    name: str
    type: EquipmentType
    status: EquipmentStatus
    area_id: int
    area_name: str
    map_x: float | None
    map_y: float | None


class TopologyEdge(Schema):
    id: int
    source_id: int
    target_id: int
    kind: LinkKind
    medium: str


class TopologyOut(Schema):
    site_id: int
    nodes: list[TopologyNode]
    edges: list[TopologyEdge]


class UnitFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("area__site_id")] = None
    area: Annotated[Id | None, FilterLookup("area_id")] = None
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = None


class EquipmentFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("area__site_id")] = None
    area: Annotated[Id | None, FilterLookup("area_id")] = None
    unit: Annotated[Id | None, FilterLookup("unit_id")] = None
    type: Annotated[EquipmentType | None, FilterLookup("type")] = None
    status: Annotated[EquipmentStatus | None, FilterLookup("status")] = None
    q: Annotated[
        str | None,
        FilterLookup(["code__icontains", "name__icontains", "model__icontains", "medium__icontains"]),
    ] = None


class TagFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("site_id")] = None
    area: Annotated[Id | None, FilterLookup("equipment__area_id")] = None
    equipment: Annotated[Id | None, FilterLookup("equipment_id")] = None
    kind: Annotated[MeasurementKind | None, FilterLookup("kind")] = None
    q: Annotated[str | None, FilterLookup(["tag__icontains", "name__icontains"])] = None


class LinkFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("source__area__site_id")] = None
    equipment: Annotated[Id | None, FilterLookup(["source_id", "target_id"])] = None
    kind: Annotated[LinkKind | None, FilterLookup("kind")] = None


# --- Units -----------------------------------------------------------------------------------
@router.get(
    "/units", response=list[UnitOut], summary=doc(gettext_lazy("装置单元列表")), operation_id="plant_units"
)
@paginate(Page)
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> QuerySet[Unit]:
    return ordered(filters.filter(selectors.units(require(request, PLANT_VIEW))))


@router.get(
    "/units/{unit_id}", response=UnitOut, summary=doc(gettext_lazy("装置单元详情")), operation_id="plant_unit"
)
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return get_object_or_404(selectors.units(require(request, PLANT_VIEW)), pk=unit_id)


@router.post(
    "/units",
    response={201: UnitOut},
    summary=doc(gettext_lazy("新建装置单元")),
    operation_id="plant_unit_create",
)
def create_unit(request: HttpRequest, payload: UnitIn) -> Status[Unit]:
    actor = require(request, PLANT_CHANGE)
    data = payload.dict()
    area = pick(org_selectors.areas(actor), data.pop("area_id"), "area_id")
    with api_fields(UNIT_FIELDS):
        unit = services.create_unit(actor, area=area, **data)
    return Status(201, selectors.units(actor).get(pk=unit.pk))


# --- Equipment -------------------------------------------------------------------------------
def _equipment_refs(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids of a request body into the records they name, as the actor sees them."""
    if "area_id" in data:
        data["area"] = pick(org_selectors.areas(actor), data.pop("area_id"), "area_id")
    if "unit_id" in data:
        data["unit"] = pick(selectors.units(actor), data.pop("unit_id"), "unit_id")
    if "responsible_id" in data:
        data["responsible"] = pick(org_selectors.people(actor), data.pop("responsible_id"), "responsible_id")
    return data


@router.get(
    "/equipment",
    response=list[EquipmentOut],
    summary=doc(gettext_lazy("设备列表")),
    operation_id="plant_equipment_list",
)
@paginate(Page)
def list_equipment(request: HttpRequest, filters: Query[EquipmentFilters]) -> QuerySet[Equipment]:
    return ordered(filters.filter(selectors.equipment(require(request, PLANT_VIEW))))


@router.get(
    "/equipment/{equipment_id}",
    response=EquipmentOut,
    summary=doc(gettext_lazy("设备详情")),
    operation_id="plant_equipment",
)
def get_equipment(request: HttpRequest, equipment_id: int) -> Equipment:
    return get_object_or_404(selectors.equipment(require(request, PLANT_VIEW)), pk=equipment_id)


@router.post(
    "/equipment",
    response={201: EquipmentOut},
    summary=doc(gettext_lazy("新建设备")),
    operation_id="plant_equipment_create",
)
def create_equipment(request: HttpRequest, payload: EquipmentIn) -> Status[Equipment]:
    actor = require(request, PLANT_CHANGE)
    data = _equipment_refs(actor, payload.dict())
    with api_fields(EQUIPMENT_FIELDS):
        eq = services.create_equipment(actor, **data)
    return Status(201, selectors.equipment(actor).get(pk=eq.pk))


@router.patch(
    "/equipment/{equipment_id}",
    response=EquipmentOut,
    summary=doc(gettext_lazy("修改设备")),
    operation_id="plant_equipment_update",
)
def update_equipment(request: HttpRequest, equipment_id: int, payload: EquipmentPatch) -> Equipment:
    actor = require(request, PLANT_CHANGE)
    eq = get_object_or_404(selectors.equipment(actor), pk=equipment_id)
    changes = payload.dict(exclude_unset=True)
    no_nulls(changes, nullable={"unit_id", "install_date", "responsible_id", "map_x", "map_y"})
    changes = _equipment_refs(actor, changes)
    with api_fields(EQUIPMENT_FIELDS):
        services.update_equipment(actor, eq, **changes)
    return selectors.equipment(actor).get(pk=eq.pk)


@router.delete(
    "/equipment/{equipment_id}",
    response={204: None},
    summary=doc(gettext_lazy("删除设备")),
    operation_id="plant_equipment_delete",
)
def delete_equipment(request: HttpRequest, equipment_id: int) -> Status[None]:
    actor = require(request, PLANT_CHANGE)
    eq = get_object_or_404(selectors.equipment(actor), pk=equipment_id)
    services.delete_equipment(actor, eq)
    return Status(204, None)


# --- Sensor tags -----------------------------------------------------------------------------
@router.get("/tags", response=list[TagOut], summary=doc(gettext_lazy("测点列表")), operation_id="plant_tags")
@paginate(Page)
def list_tags(request: HttpRequest, filters: Query[TagFilters]) -> QuerySet[SensorTag]:
    return ordered(filters.filter(selectors.tags(require(request, PLANT_VIEW))))


@router.get(
    "/tags/{tag_id}", response=TagOut, summary=doc(gettext_lazy("测点详情")), operation_id="plant_tag"
)
def get_tag(request: HttpRequest, tag_id: int) -> SensorTag:
    return get_object_or_404(selectors.tags(require(request, PLANT_VIEW)), pk=tag_id)


@router.post(
    "/tags", response={201: TagOut}, summary=doc(gettext_lazy("新建测点")), operation_id="plant_tag_create"
)
def create_tag(request: HttpRequest, payload: TagIn) -> Status[SensorTag]:
    actor = require(request, PLANT_CHANGE)
    data = payload.dict()
    equipment = pick(selectors.equipment(actor), data.pop("equipment_id"), "equipment_id")
    with api_fields(TAG_FIELDS):
        tag = services.create_tag(actor, equipment=equipment, **data)
    tag.refresh_from_db()  # decimals as stored (scale 4), as every other read shows them
    return Status(201, tag)


@router.patch(
    "/tags/{tag_id}", response=TagOut, summary=doc(gettext_lazy("修改测点")), operation_id="plant_tag_update"
)
def update_tag(request: HttpRequest, tag_id: int, payload: TagPatch) -> SensorTag:
    actor = require(request, PLANT_CHANGE)
    tag = get_object_or_404(selectors.tags(actor), pk=tag_id)
    changes = payload.dict(exclude_unset=True)
    no_nulls(changes, nullable={"hh", "h", "l", "ll"})
    if "equipment_id" in changes:
        changes["equipment"] = pick(selectors.equipment(actor), changes.pop("equipment_id"), "equipment_id")
    with api_fields(TAG_FIELDS):
        services.update_tag(actor, tag, **changes)
    tag.refresh_from_db()
    return tag


@router.delete(
    "/tags/{tag_id}",
    response={204: None},
    summary=doc(gettext_lazy("删除测点")),
    operation_id="plant_tag_delete",
)
def delete_tag(request: HttpRequest, tag_id: int) -> Status[None]:
    actor = require(request, PLANT_CHANGE)
    services.delete_tag(actor, get_object_or_404(selectors.tags(actor), pk=tag_id))
    return Status(204, None)


# --- Topology --------------------------------------------------------------------------------
@router.get(
    "/links", response=list[LinkOut], summary=doc(gettext_lazy("工艺连接列表")), operation_id="plant_links"
)
@paginate(Page)
def list_links(request: HttpRequest, filters: Query[LinkFilters]) -> QuerySet[ProcessLink]:
    return ordered(filters.filter(selectors.links(require(request, PLANT_VIEW))))


@router.get(
    "/links/{link_id}", response=LinkOut, summary=doc(gettext_lazy("工艺连接详情")), operation_id="plant_link"
)
def get_link(request: HttpRequest, link_id: int) -> ProcessLink:
    return get_object_or_404(selectors.links(require(request, PLANT_VIEW)), pk=link_id)


@router.post(
    "/links",
    response={201: LinkOut},
    summary=doc(gettext_lazy("新建工艺连接")),
    operation_id="plant_link_create",
)
def create_link(request: HttpRequest, payload: LinkIn) -> Status[ProcessLink]:
    actor = require(request, PLANT_CHANGE)
    data = payload.dict()
    source = pick(selectors.equipment(actor), data.pop("source_id"), "source_id")
    target = pick(selectors.equipment(actor), data.pop("target_id"), "target_id")
    with api_fields(LINK_FIELDS):
        return Status(201, services.link(actor, source=source, target=target, **data))


@router.delete(
    "/links/{link_id}",
    response={204: None},
    summary=doc(gettext_lazy("删除工艺连接")),
    operation_id="plant_link_delete",
)
def delete_link(request: HttpRequest, link_id: int) -> Status[None]:
    actor = require(request, PLANT_CHANGE)
    services.unlink(actor, get_object_or_404(selectors.links(actor), pk=link_id))
    return Status(204, None)


@router.get(
    "/sites/{site_id}/topology",
    response=TopologyOut,
    summary=doc(gettext_lazy("场所工艺拓扑")),
    description=doc(gettext_lazy("场所内您可见的设备（节点）及其工艺连接（边），用于追溯偏差的传播路径。")),
    operation_id="plant_topology",
)
def get_topology(request: HttpRequest, site_id: int) -> dict[str, Any]:
    actor = require(request, PLANT_VIEW)
    site = get_object_or_404(selectors.sites(actor), pk=site_id)
    graph = selectors.topology(actor, site.pk)
    nodes = [{**n, "area_name": n["area__name"]} for n in graph["nodes"]]
    return {"site_id": site.pk, "nodes": nodes, "edges": graph["edges"]}
