"""Reads of the plant model, scoped to what the viewer may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from anquan.org import selectors as org_selectors
from anquan.org.access import Access, Paths
from anquan.org.models import Area, Site, User
from anquan.org.roles import PLANT_CHANGE, PLANT_VIEW
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit

AREA_PATHS = Paths(site="site", area="pk")
UNIT_PATHS = Paths(site="area__site", area="area")
EQUIPMENT_PATHS = Paths(site="area__site", area="area")
TAG_PATHS = Paths(site="equipment__area__site", area="equipment__area")
LINK_PATHS = Paths(site="source__area__site", area="source__area")


def sites(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[Site]:
    """Sites of the organisation the viewer sees in which ``capability`` reaches something."""
    ids = Access.of(viewer).site_ids(capability)
    qs = org_selectors.sites(viewer)
    return qs if ids is None else qs.filter(pk__in=ids)


def areas(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[Area]:
    """Areas whose plant the viewer may see (or, with PLANT_CHANGE, change)."""
    return Access.of(viewer).filter(Area.objects.select_related("site"), capability, AREA_PATHS)


def responsible_candidates(viewer: Any, site: Site) -> QuerySet[User]:
    """Active people of ``site`` the viewer may see: who can be made responsible for equipment."""
    of_site = (
        Q(team__area__site=site)
        | Q(assignments__site=site)
        | Q(assignments__level="enterprise", assignments__enterprise_id=site.enterprise_id)
    )
    return org_selectors.people(viewer).filter(of_site, is_active=True).distinct()


def units(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[Unit]:
    return Access.of(viewer).filter(Unit.objects.select_related("area__site"), capability, UNIT_PATHS)


def equipment(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[Equipment]:
    # An aggregate drops Meta.ordering, so the order is restated.
    qs = (
        Equipment.objects.select_related("area__site", "unit", "responsible")
        .annotate(tag_count=Count("tags"))
        .order_by("area__code", "code")
    )
    return Access.of(viewer).filter(qs, capability, EQUIPMENT_PATHS)


def tags(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[SensorTag]:
    qs = SensorTag.objects.select_related("equipment__area__site")
    return Access.of(viewer).filter(qs, capability, TAG_PATHS)


def links(viewer: Any, capability: str = PLANT_VIEW) -> QuerySet[ProcessLink]:
    """Links whose upstream equipment is in scope (both ends always share a site)."""
    qs = ProcessLink.objects.select_related("source__area", "target__area")
    return Access.of(viewer).filter(qs, capability, LINK_PATHS)


def editable_equipment(viewer: Any) -> QuerySet[Equipment]:
    return equipment(viewer, PLANT_CHANGE)


def topology(viewer: Any, site_id: int) -> dict[str, list[Any]]:
    """Nodes and edges of a site's process topology as the viewer may see it (for the graph)."""
    nodes = list(
        equipment(viewer)
        .filter(area__site_id=site_id)
        .values("id", "code", "name", "type", "area_id", "area__name", "map_x", "map_y", "status")
    )
    visible = {n["id"] for n in nodes}
    edges = [
        e
        for e in links(viewer)
        .filter(source__area__site_id=site_id)
        .values("id", "source_id", "target_id", "kind", "medium")
        if e["source_id"] in visible and e["target_id"] in visible
    ]
    return {"nodes": nodes, "edges": edges}
