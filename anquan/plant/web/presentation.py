"""How the plant model is drawn: icons per equipment type, colours per area, the site-map geometry
and the table rows of sensor tags. Pure functions over model instances; no queries of their own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse

from anquan.org.models import Area, Site
from anquan.plant.choices import AlarmPriority, EquipmentType
from anquan.plant.models import LIMIT_ORDER, Equipment, SensorTag

# Equipment type -> (bootstrap-icons class, its code point in the icon font, for SVG <text>).
TYPE_ICONS: dict[str, tuple[str, str]] = {
    EquipmentType.STORAGE_TANK: ("bi-database", "\uf8c4"),
    EquipmentType.PRESSURE_VESSEL: ("bi-capsule", "\uf7df"),
    EquipmentType.PUMP: ("bi-fan", "\uf670"),
    EquipmentType.COMPRESSOR: ("bi-wind", "\uf61d"),
    EquipmentType.ELECTROLYZER: ("bi-lightning-charge", "\uf46d"),
    EquipmentType.HEAT_EXCHANGER: ("bi-thermometer-half", "\uf5cd"),
    EquipmentType.COOLING_TOWER: ("bi-cloud-drizzle", "\uf29d"),
    EquipmentType.PIPELINE: ("bi-bezier2", "\uf18c"),
    EquipmentType.VALVE: ("bi-sliders", "\uf56b"),
    EquipmentType.LOADING_ARM: ("bi-truck", "\uf5ea"),
    EquipmentType.GAS_DETECTOR: ("bi-broadcast", "\uf1d6"),
    EquipmentType.WEATHER_STATION: ("bi-cloud-sun", "\uf2be"),
    EquipmentType.BUILDING: ("bi-building", "\uf1dd"),
    EquipmentType.OTHER: ("bi-gear", "\uf3e5"),
}
DEFAULT_ICON = TYPE_ICONS[EquipmentType.OTHER]

# One colour per area, shared by the site map and the topology graph.
AREA_PALETTE = (
    "#5470c6",
    "#3ba272",
    "#fc8452",
    "#9a60b4",
    "#ee6666",
    "#73c0de",
    "#d4a017",
    "#ea7ccc",
    "#2f4554",
    "#91a33b",
)

# Alarm priority -> Bootstrap badge classes (high red, medium orange, low blue).
PRIORITY_BADGES = {
    AlarmPriority.HIGH: "text-bg-danger",
    AlarmPriority.MEDIUM: "text-bg-warning",
    AlarmPriority.LOW: "text-bg-info",
}


def icon_class(equipment_type: str) -> str:
    return TYPE_ICONS.get(equipment_type, DEFAULT_ICON)[0]


def area_colour(area_id: int) -> str:
    return AREA_PALETTE[area_id % len(AREA_PALETTE)]


def num(value: Decimal | float | int | None) -> str:
    """A number without trailing zeros or exponent: Decimal('80.0000') -> '80'."""
    if value is None:
        return ""
    text = format(Decimal(str(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- Site map ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapArea:
    id: int
    name: str
    code: str
    points: str  # the SVG polygon "x,y x,y …"
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor of the label
    baseline: str  # and its dominant-baseline
    colour: str
    url: str


@dataclass(frozen=True)
class MapPoint:
    id: int
    code: str
    name: str
    type_label: str
    area_name: str
    x: float
    y: float
    glyph: str
    colour: str
    url: str


@dataclass(frozen=True)
class SiteMap:
    width: int
    height: int
    areas: list[MapArea]
    points: list[MapPoint]
    grid: list[int]  # x positions of the vertical grid lines (metres)
    grid_y: list[int]
    grid_step: int
    radius: float  # equipment marker radius, in metres
    font: float  # label size, in metres
    area_font: float

    @property
    def empty(self) -> bool:
        return not self.areas and not self.points

    @property
    def icon_size(self) -> float:
        return round(self.radius * 1.15, 2)

    @property
    def label_dy(self) -> float:
        """Offset of an equipment label below its marker."""
        return round(self.radius + self.font * 1.05, 2)

    @property
    def halo(self) -> float:
        return round(self.font * 0.3, 2)

    @property
    def area_halo(self) -> float:
        return round(self.area_font * 0.25, 2)

    @property
    def scale_y(self) -> float:
        """Baseline of the scale bar, inside the bottom-left corner."""
        return round(self.height - self.font * 1.2, 2)

    @property
    def scale_x(self) -> float:
        return round(self.font * 1.2, 2)

    @property
    def scale_x_end(self) -> float:
        return round(self.scale_x + self.grid_step, 2)

    @property
    def scale_label_y(self) -> float:
        return round(self.scale_y - self.font * 0.5, 2)


def centroid(polygon: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The area centroid of a simple polygon (the vertex mean when the area is degenerate)."""
    twice_area = cx = cy = 0.0
    n = len(polygon)
    for i in range(n):
        x0, y0 = polygon[i]
        x1, y1 = polygon[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        twice_area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(twice_area) < 1e-9:
        return (sum(p[0] for p in polygon) / n, sum(p[1] for p in polygon) / n)
    return (cx / (3 * twice_area), cy / (3 * twice_area))


def label_anchor(polygon: Sequence[Sequence[float]]) -> tuple[float, float, str, str]:
    """Where an area's name goes: just inside its top-left corner, clear of the equipment, which
    tends to sit in the middle (the centroid when the polygon is too small for that)."""
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    corner = min(polygon, key=lambda p: p[0] + p[1])
    if width < 40 or height < 30:
        return (*centroid(polygon), "middle", "central")
    return (corner[0] + min(6.0, width * 0.05), corner[1] + min(6.0, height * 0.05), "start", "hanging")


def _grid_step(extent: int) -> int:
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if extent / step <= 10:
            return step
    return 2000


def site_map(site: Site, areas: Iterable[Area], equipment: Iterable[Equipment]) -> SiteMap:
    width, height = site.map_width_m, site.map_height_m
    longest = max(width, height, 1)
    map_areas = []
    for area in areas:
        polygon = area.map_polygon or []
        if len(polygon) < 3:
            continue
        lx, ly, anchor, baseline = label_anchor(polygon)
        map_areas.append(
            MapArea(
                id=area.pk,
                name=area.name,
                code=area.code,
                points=" ".join(f"{x:g},{y:g}" for x, y in polygon),
                label_x=lx,
                label_y=ly,
                anchor=anchor,
                baseline=baseline,
                colour=area_colour(area.pk),
                url=reverse("plant:area", args=[area.pk]),
            )
        )
    points = [
        MapPoint(
            id=eq.pk,
            code=eq.code,
            name=eq.name,
            type_label=str(eq.get_type_display()),
            area_name=eq.area.name,
            x=float(eq.map_x),
            y=float(eq.map_y),
            glyph=TYPE_ICONS.get(eq.type, DEFAULT_ICON)[1],
            colour=area_colour(eq.area_id),
            url=reverse("plant:equipment", args=[eq.pk]),
        )
        for eq in equipment
        if eq.map_x is not None and eq.map_y is not None
    ]
    step = _grid_step(longest)
    return SiteMap(
        width=width,
        height=height,
        areas=map_areas,
        points=points,
        grid=list(range(step, width, step)),
        grid_y=list(range(step, height, step)),
        grid_step=step,
        radius=round(longest / 85, 2),
        font=round(longest / 100, 2),
        area_font=round(longest / 50, 2),
    )


# --- Sensor tags ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LimitCell:
    value: str
    priority: str
    priority_label: str
    badge: str


@dataclass(frozen=True)
class TagRow:
    tag: SensorTag
    range: str
    limits: dict[str, LimitCell | None]  # "ll", "l", "h", "hh"

    @property
    def ordered_limits(self) -> list[LimitCell | None]:
        return [self.limits[level.value] for level in LIMIT_ORDER]


def tag_rows(tags: Iterable[SensorTag]) -> list[TagRow]:
    rows = []
    for tag in tags:
        limits: dict[str, LimitCell | None] = {}
        for level in LIMIT_ORDER:
            value = getattr(tag, level.value)
            priority = getattr(tag, f"{level.value}_priority")
            limits[level.value] = (
                None
                if value is None
                else LimitCell(
                    value=num(value),
                    priority=priority,
                    priority_label=str(AlarmPriority(priority).label),
                    badge=PRIORITY_BADGES.get(priority, "text-bg-secondary"),
                )
            )
        rows.append(TagRow(tag=tag, range=f"{num(tag.range_low)} ~ {num(tag.range_high)}", limits=limits))
    return rows


def equipment_node(eq: Equipment) -> dict[str, Any]:
    """An Equipment as the node dict ``selectors.topology`` returns."""
    return {
        "id": eq.pk,
        "code": eq.code,
        "name": eq.name,
        "type": eq.type,
        "area_id": eq.area_id,
        "area__name": eq.area.name,
        "map_x": eq.map_x,
        "map_y": eq.map_y,
        "status": eq.status,
    }


def graph_node(node: dict[str, Any], *, focus: bool = False) -> dict[str, Any]:
    """One node of an ECharts graph, from a ``selectors.topology`` node."""
    type_value = node["type"]
    return {
        "id": str(node["id"]),
        "code": node["code"],
        "name": node["name"],
        "type": type_value,
        "type_label": str(EquipmentType(type_value).label) if type_value in EquipmentType.values else "",
        "status": node["status"],
        "area_id": node["area_id"],
        "area": node["area__name"],
        "colour": area_colour(node["area_id"]),
        "x": node["map_x"],
        "y": node["map_y"],
        "url": reverse("plant:equipment", args=[node["id"]]),
        "focus": focus,
    }
