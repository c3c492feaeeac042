"""How live values and alarms are drawn: colours by alarm priority, badges, the live site map and
the JSON the charts and tooltips read. Pure functions over selector results; no queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from anquan.monitoring import selectors
from anquan.monitoring.choices import AlarmMode, AlarmState, TagStatus
from anquan.monitoring.models import AlarmOccurrence
from anquan.org.models import Area, Site
from anquan.plant.choices import AlarmPriority
from anquan.plant.models import LIMIT_ORDER, Equipment, SensorTag
from anquan.plant.web import presentation as plant_presentation

# Map fill/stroke by the worst active alarm (none: green).
NO_ALARM_COLOUR = "#2f9e44"
PRIORITY_COLOURS = {
    AlarmPriority.HIGH.value: "#dc3545",
    AlarmPriority.MEDIUM.value: "#f08c00",
    AlarmPriority.LOW.value: "#1098ad",
}
PRIORITY_BADGES = {
    AlarmPriority.HIGH.value: "text-bg-danger",
    AlarmPriority.MEDIUM.value: "text-bg-warning",
    AlarmPriority.LOW.value: "text-bg-info",
}
STATE_BADGES = {
    AlarmState.NORMAL.value: "text-bg-success",
    AlarmState.UNACK.value: "text-bg-danger aq-blink",
    AlarmState.ACKED.value: "text-bg-secondary",
    AlarmState.RTN_UNACK.value: "text-bg-warning",
    AlarmState.SHELVED.value: "text-bg-info",
    AlarmState.SUPPRESSED.value: "text-bg-light border",
    AlarmState.OUT_OF_SERVICE.value: "text-bg-dark",
}
MODE_BADGES = {
    AlarmMode.IN_SERVICE.value: "text-bg-success",
    AlarmMode.SHELVED.value: "text-bg-info",
    AlarmMode.SUPPRESSED.value: "text-bg-light border",
    AlarmMode.OUT_OF_SERVICE.value: "text-bg-dark",
}
TAG_STATUS_BADGES = {
    TagStatus.OK.value: "text-bg-success",
    TagStatus.NO_DATA.value: "text-bg-light border",
    TagStatus.STALE.value: "text-bg-secondary",
    TagStatus.FLATLINE.value: "text-bg-warning",
    TagStatus.OUT_OF_RANGE.value: "text-bg-danger",
}
# Colours of the limit lines on a trend chart.
LIMIT_COLOURS = {"hh": "#c92a2a", "h": "#f08c00", "l": "#f08c00", "ll": "#c92a2a"}


def priority_colour(priority: str | None) -> str:
    return PRIORITY_COLOURS.get(priority or "", NO_ALARM_COLOUR)


def priority_label(priority: str | None) -> str:
    return str(AlarmPriority(priority).label) if priority in AlarmPriority.values else _("无报警")


def num(value: Decimal | float | int | None, digits: int = 6) -> str:
    """A value for display: up to ``digits`` significant digits, no exponent, no trailing zeros."""
    if value is None:
        return "—"
    number = float(value)
    if number != number:  # NaN never reaches storage, but a display must not break on it
        return "—"
    text = f"{number:.{digits}g}"
    if "e" in text:
        text = f"{number:.3f}"
    return plant_presentation.num(Decimal(text))


# --- The live site map ---------------------------------------------------------------------
@dataclass(frozen=True)
class LiveMap:
    map: plant_presentation.SiteMap
    areas: list[dict[str, Any]]  # the area rows of the legend/table
    equipment: dict[str, dict[str, Any]]  # per equipment id: code, name, url, alarm state, live tags


def live_map(
    site: Site,
    areas: Sequence[Area],
    equipment: Sequence[Equipment],
    live: Iterable[selectors.LiveValue],
    by_area: dict[int, selectors.AlarmSummary],
    by_equipment: dict[int, selectors.AlarmSummary],
) -> LiveMap:
    """The plant's site map with each area and equipment coloured by its worst active alarm."""
    base = plant_presentation.site_map(site, areas, equipment)
    empty = selectors.AlarmSummary()
    map_areas = [
        dataclasses.replace(
            a,
            colour=priority_colour(by_area.get(a.id, empty).worst),
            url=reverse("monitoring:console") + f"?site={site.pk}&area={a.id}",
        )
        for a in base.areas
    ]
    map_points = [
        dataclasses.replace(
            p,
            colour=priority_colour(by_equipment.get(p.id, empty).worst)
            if by_equipment.get(p.id)
            else "#495057",
            url=reverse("monitoring:equipment", args=[p.id]),
        )
        for p in base.points
    ]
    rows = [
        {
            "area": area,
            "summary": by_area.get(area.pk, empty),
            "colour": priority_colour(by_area.get(area.pk, empty).worst),
            "label": priority_label(by_area.get(area.pk, empty).worst),
        }
        for area in areas
    ]
    tags_of: dict[int, list[dict[str, Any]]] = {}
    for lv in live:
        tags_of.setdefault(lv.tag.equipment_id, []).append(live_json(lv))
    eq_json = {
        str(eq.pk): {
            "code": eq.code,
            "name": eq.name,
            "url": reverse("monitoring:equipment", args=[eq.pk]),
            "active": by_equipment.get(eq.pk, empty).active,
            "unack": by_equipment.get(eq.pk, empty).unack,
            "worst": by_equipment.get(eq.pk, empty).worst,
            "worst_label": priority_label(by_equipment.get(eq.pk, empty).worst),
            "colour": priority_colour(by_equipment.get(eq.pk, empty).worst),
            "tags": tags_of.get(eq.pk, []),
        }
        for eq in equipment
    }
    return LiveMap(
        map=dataclasses.replace(base, areas=map_areas, points=map_points), areas=rows, equipment=eq_json
    )


# --- Live values and trends as JSON -----------------------------------------------------------
def limits_json(tag: SensorTag) -> list[dict[str, Any]]:
    """The tag's alarm limits, LL up to HH, as the chart's mark lines."""
    out = []
    for level in LIMIT_ORDER:
        value = getattr(tag, level.value)
        if value is not None:
            out.append(
                {
                    "level": level.value.upper(),
                    "value": float(value),
                    "priority": getattr(tag, f"{level.value}_priority"),
                    "colour": LIMIT_COLOURS[level.value],
                }
            )
    return out


def live_json(lv: selectors.LiveValue) -> dict[str, Any]:
    tag = lv.tag
    return {
        "id": tag.pk,
        "tag": tag.tag,
        "name": tag.name,
        "unit": tag.unit,
        "ts": lv.ts,
        "value": lv.value,
        "text": num(lv.value),
        "status": lv.status,
        "status_label": str(TagStatus(lv.status).label) if lv.status in TagStatus.values else lv.status,
        "status_badge": TAG_STATUS_BADGES.get(lv.status, "text-bg-secondary"),
        "status_since": lv.status_since,
    }


def tag_json(tag: SensorTag) -> dict[str, Any]:
    """What a trend chart needs to know about its tag."""
    return {
        "id": tag.pk,
        "tag": tag.tag,
        "name": tag.name,
        "unit": tag.unit,
        "kind": str(tag.get_kind_display()),
        "range": [float(tag.range_low), float(tag.range_high)],
        "sample_interval_s": tag.sample_interval_s,
        "limits": limits_json(tag),
        "trend_url": reverse("monitoring:tag-trend", args=[tag.pk]),
    }


def trend_json(trend: selectors.Trend) -> dict[str, Any]:
    return {
        "tag_id": trend.tag_id,
        "start": trend.start,
        "end": trend.end,
        "resolution": trend.resolution,
        "period": trend.period,
        "points": trend.points,
    }


def alarm_json(occ: AlarmOccurrence) -> dict[str, Any]:
    state = selectors.occurrence_state(occ)
    return {
        "id": occ.pk,
        "message": occ.message,
        "priority": occ.priority,
        "priority_label": priority_label(occ.priority),
        "state": state,
        "state_label": str(AlarmState(state).label),
        "raised_at": occ.raised_at.isoformat(),
        "url": reverse("monitoring:occurrence", args=[occ.pk]),
    }
