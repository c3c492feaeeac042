"""The live pages: the site overview (alarm-coloured site map with live values) and the equipment
trend page, plus the JSON their scripts poll.

Thin adapters over ``anquan.monitoring.selectors``: a record out of the viewer's scope is a 404,
a viewer without monitoring.view anywhere gets 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from anquan.monitoring import selectors
from anquan.monitoring.web import presentation
from anquan.monitoring.web.common import int_param, monitoring_page
from anquan.org.access import Access
from anquan.org.models import Site
from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_OPERATE

# How often the pages refresh themselves (seconds).
SITE_REFRESH_S = 5
EQUIPMENT_REFRESH_S = 5


# --- Overview ---------------------------------------------------------------------------------
@require_GET
@monitoring_page
def overview(request: HttpRequest) -> HttpResponse:
    """实时监测: straight to the site when the viewer sees one, else a card per site."""
    user = request.user
    sites = list(selectors.sites(user))
    if len(sites) == 1:
        return redirect("monitoring:site", site_id=sites[0].pk)
    cards = []
    for site in sites:
        by_area, _by_equipment = selectors.alarm_summary(user, site.pk)
        summary = selectors.AlarmSummary()
        for row in by_area.values():
            summary.active += row.active
            summary.unack += row.unack
            if row.worst and (
                summary.worst is None
                or selectors.PRIORITY_RANK[row.worst] > selectors.PRIORITY_RANK[summary.worst]
            ):
                summary.worst = row.worst
        cards.append(
            {
                "site": site,
                "summary": summary,
                "colour": presentation.priority_colour(summary.worst),
                "label": presentation.priority_label(summary.worst),
            }
        )
    return render(request, "monitoring/overview.html", {"cards": cards})


def _site_context(request: HttpRequest, site: Site) -> dict[str, Any]:
    user = request.user
    areas = list(selectors.areas(user).filter(site=site).order_by("code"))
    equipment = list(selectors.equipment(user).filter(area__site=site))
    by_area, by_equipment = selectors.alarm_summary(user, site.pk)
    live = selectors.live_values(user, site=site.pk)
    live_map = presentation.live_map(site, areas, equipment, live, by_area, by_equipment)
    return {
        "site": site,
        "live": live_map,
        "unplaced": [eq for eq in equipment if eq.map_x is None],
        "total_active": sum(s.active for s in by_area.values()),
        "total_unack": sum(s.unack for s in by_area.values()),
        "refresh_s": SITE_REFRESH_S,
        "now_ms": selectors.now_ms(),
    }


@require_GET
@monitoring_page
def site(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(selectors.sites(request.user), pk=site_id)
    context = _site_context(request, site)
    context["other_sites"] = selectors.sites(request.user).exclude(pk=site.pk)
    return render(request, "monitoring/site.html", context)


@require_GET
@monitoring_page
def site_panel(request: HttpRequest, site_id: int) -> HttpResponse:
    """The live part of the site page (map, area table, tooltip data), re-fetched every few seconds."""
    site = get_object_or_404(selectors.sites(request.user), pk=site_id)
    return render(request, "monitoring/_site_panel.html", _site_context(request, site))


# --- Equipment --------------------------------------------------------------------------------
@require_GET
@monitoring_page
def equipment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    eq = get_object_or_404(selectors.equipment(user), pk=pk)
    live = selectors.live_values(user, equipment=eq.pk)
    alarms = selectors.tag_alarms(user, [lv.tag.pk for lv in live])
    rows = [{"live": lv, "alarms": alarms.get(lv.tag.pk, [])} for lv in live]
    access = Access.of(user)
    config = {
        "tags": [presentation.tag_json(lv.tag) for lv in live],
        "live": [presentation.live_json(lv) for lv in live],
        "data_url": reverse("monitoring:equipment-data", args=[eq.pk]),
        "refresh_ms": EQUIPMENT_REFRESH_S * 1000,
        "window_ms": selectors.DEFAULT_WINDOW_MS,
        "now": selectors.now_ms(),
        "labels": {
            "value": _("数值"),
            "avg": _("平均"),
            "band": _("最小～最大"),
            "raw": _("原始数据"),
            "minute": _("分钟汇总"),
            "hour": _("小时汇总"),
            "loading": _("加载中…"),
            "failed": _("数据加载失败，稍后重试。"),
            "no_data": _("该时段没有数据"),
        },
    }
    return render(
        request,
        "monitoring/equipment.html",
        {
            "site": eq.area.site,
            "area": eq.area,
            "eq": eq,
            "rows": rows,
            "config": config,
            "icon": presentation.plant_presentation.icon_class(eq.type),
            "can_operate": access.can(MONITOR_OPERATE),
            "can_configure": selectors.areas(user, MONITOR_CONFIGURE).filter(pk=eq.area_id).exists(),
        },
    )


@require_GET
@monitoring_page
def equipment_data(request: HttpRequest, pk: int) -> JsonResponse:
    """Live values, data health and active alarms of an equipment's tags, and (with ``since``, epoch
    ms) the raw readings newer than that — what its page polls."""
    user = request.user
    eq = get_object_or_404(selectors.equipment(user), pk=pk)
    live = selectors.live_values(user, equipment=eq.pk)
    tag_ids = [lv.tag.pk for lv in live]
    alarms = selectors.tag_alarms(user, tag_ids)
    since = int_param(request.GET.get("since"))
    readings = selectors.readings_since(tag_ids, dict.fromkeys(tag_ids, since)) if since else {}
    return JsonResponse(
        {
            "now": selectors.now_ms(),
            "tags": [
                {
                    **presentation.live_json(lv),
                    "alarms": [presentation.alarm_json(o) for o in alarms.get(lv.tag.pk, [])],
                }
                for lv in live
            ],
            "readings": {str(k): v for k, v in readings.items()},
        }
    )


def _ms_param(request: HttpRequest, name: str) -> tuple[int | None, str | None]:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None, None
    try:
        return int(raw), None
    except ValueError:
        return None, _("请输入以毫秒计的时间戳（整数）。")


@require_GET
@monitoring_page
def tag_trend(request: HttpRequest, pk: int) -> JsonResponse:
    """The trend of one tag over ``?start=&end=`` (epoch ms), at the resolution the window needs."""
    tag = get_object_or_404(selectors.tags(request.user), pk=pk)
    start, start_error = _ms_param(request, "start")
    end, end_error = _ms_param(request, "end")
    errors = {k: [v] for k, v in (("start", start_error), ("end", end_error)) if v}
    if not errors:
        try:
            start, end = selectors.trend_window(start, end)
        except ValidationError as exc:
            errors = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    if errors:
        return JsonResponse({"detail": _("输入有误，请检查后重试。"), "errors": errors}, status=400)
    assert start is not None and end is not None
    return JsonResponse(presentation.trend_json(selectors.trend(tag, start, end)))
