"""Alarm KPI pages: a site with one row per operator area, and one area (EEMUA 191 / ISA-18.2).

Thin adapters: sites and areas come from ``monitoring.selectors`` (scoped to ``monitoring.view``:
an area or site out of the viewer's scope is a 404, a viewer without the capability anywhere 403);
the numbers come from ``anquan.monitoring.kpis``.

Routes (monitoring/web/urls.py): ``kpis/`` → ``site_kpis`` (``monitoring:kpis``; query ``site``,
``area``, ``days``) and ``kpis/area/<area_id>/`` → ``area_kpis`` (``monitoring:area_kpis``; ``days``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from anquan.monitoring import kpis, selectors
from anquan.org.access import Access
from anquan.org.models import Area, Site
from anquan.org.roles import MONITOR_VIEW


def _require_view(request: HttpRequest) -> None:
    if not Access.of(request.user).can(MONITOR_VIEW):
        raise PermissionDenied(_("您没有查看报警指标的权限。"))


def _days(request: HttpRequest) -> int:
    """The window in days: one of kpis.WINDOW_DAYS, else the default."""
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in kpis.WINDOW_DAYS else kpis.DEFAULT_DAYS


def _id(request: HttpRequest, name: str) -> int | None:
    """An optional id from the query; anything but digits is a 404 (nothing to find)."""
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


@login_required
@require_GET
def site_kpis(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    user = request.user
    days = _days(request)
    visible_areas = selectors.areas(user)
    site_id, area_id = _id(request, "site"), _id(request, "area")
    if area_id is not None:
        # Choosing an area opens its own page (the canonical address of an area's KPIs); the area
        # names its site, so a ``site`` beside it is not needed.
        area = get_object_or_404(visible_areas, pk=area_id)
        return redirect(f"{reverse('monitoring:area_kpis', args=[area.pk])}?{urlencode({'days': days})}")
    sites = list(selectors.sites(user).order_by("name", "pk"))
    if site_id is not None:
        site: Site | None = next((s for s in sites if s.pk == site_id), None)
        if site is None:
            raise Http404
    else:
        site = sites[0] if sites else None
    areas = list(visible_areas.filter(site=site).order_by("code")) if site else []
    report = kpis.site_report(areas, days=days) if areas else None
    context = {
        "site": site,
        "sites": sites,
        "areas": areas,
        "days": days,
        "window_days": kpis.WINDOW_DAYS,
        "report": report,
        "summary": _summary(report) if report else None,
        "rows": [{"area": row.area, "summary": _summary(row)} for row in report.rows] if report else [],
        "floods": _flood_rows(report, areas) if report else [],
        "chart": _chart(report, per_site=True) if report else None,
        "targets": kpis.TARGETS,
    }
    return render(request, "monitoring/kpi_site.html", context)


@login_required
@require_GET
def area_kpis(request: HttpRequest, area_id: int) -> HttpResponse:
    _require_view(request)
    area = get_object_or_404(selectors.areas(request.user), pk=area_id)
    days = _days(request)
    report = kpis.area_report(area, days=days)
    context = {
        "site": area.site,
        "area": area,
        "days": days,
        "window_days": kpis.WINDOW_DAYS,
        "report": report,
        "summary": _summary(report),
        "floods": _flood_rows(report, [area]),
        "chart": _chart(report, per_site=False),
        "targets": kpis.TARGETS,
    }
    return render(request, "monitoring/kpi_area.html", context)


# --- presentation ------------------------------------------------------------------------------
def seconds_text(seconds: float | None) -> str:
    """A duration for people: "45 秒", "3 分 20 秒", "2 小时 5 分", "1 天 3 小时"."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return _("%(s)d 秒") % {"s": s}
    if s < 3600:
        return _("%(m)d 分 %(s)d 秒") % {"m": s // 60, "s": s % 60}
    if s < 86400:
        return _("%(h)d 小时 %(m)d 分") % {"h": s // 3600, "m": s % 3600 // 60}
    return _("%(d)d 天 %(h)d 小时") % {"d": s // 86400, "h": s % 86400 // 3600}


GRADE_CLASS = {"ok": "text-success", "warn": "text-warning", "bad": "text-danger"}


def _pct(value: float) -> float:
    return round(value * 100, 1)


def _summary(report: kpis.KpiReport) -> dict[str, Any]:
    """The headline figures of a report, ready to show (percentages in %)."""
    return {
        "total": report.rates.total,
        "per_interval": round(report.per_area_rate, 2),
        "per_hour": round(report.rates.per_hour / max(len(report.areas), 1), 1),
        "per_day": round(report.rates.per_day / max(len(report.areas), 1), 1),
        "peak": report.peak_per_area,
        "flood_pct": _pct(report.flood_time),
        "floods": len(report.floods),
        "chattering": report.chattering_count,
        "stale": report.stale_count,
        "stale_max_day": report.stale_max_day,
        "standing": report.standing_count,
        "shelved": len(report.shelved),
        "out_of_service": len(report.out_of_service),
        "unauthorised": len(report.unauthorised),
        "top_pct": _pct(report.top_share),
        "high_pct": _pct(report.high_share),
        "ack_mean": seconds_text(report.ack.mean_s),
        "ack_median": seconds_text(report.ack.median_s),
        "acked": report.ack.acked,
        "raised": report.ack.raised,
        "grades": report.grades,
        "cls": {key: GRADE_CLASS[grade] for key, grade in report.grades.items()},
    }


def _flood_rows(report: kpis.KpiReport, areas: list[Area]) -> list[dict[str, Any]]:
    names = {a.pk: a.name for a in areas}
    end_ms = kpis.to_ms(report.end)
    rows = []
    for flood in report.floods:
        until = end_ms if flood.end_ms is None else flood.end_ms
        rows.append(
            {
                "area": names.get(flood.area_id or 0, ""),
                "start": kpis.from_ms(flood.start_ms),
                "end": None if flood.end_ms is None else kpis.from_ms(flood.end_ms),
                "duration": seconds_text((until - flood.start_ms) / 1000),
                "count": flood.count,
                "peak": flood.peak,
            }
        )
    return rows


def _chart(report: kpis.KpiReport, *, per_site: bool) -> dict[str, Any]:
    """Everything the ECharts on the page draw, as JSON-ready data."""
    t = report.targets
    scale = len(report.areas) if per_site else 1
    names = {a.pk: a.name for a in report.areas}

    def series(by_area: dict[int, list[int]], edges: list[int]) -> dict[str, Any]:
        if per_site:
            stacks = [{"name": names[a.pk], "data": by_area[a.pk]} for a in report.areas]
        else:
            stacks = [{"name": _("报警数"), "data": next(iter(by_area.values()), [])}]
        return {"edges": edges, "stacks": stacks}

    scope_note = _("（%(n)d 个区域合计）") % {"n": scale} if scale > 1 else ""
    return {
        "start": kpis.to_ms(report.start),
        "end": kpis.to_ms(report.end),
        "rate10": series(report.by_area_10min, report.edges_10min),
        "hour": series(report.by_area_hour, report.edges_hour),
        "day": series(report.by_area_day, report.edges_day),
        "lines": {
            "rate10": [t.acceptable_per_interval * scale, t.manageable_per_interval * scale],
            "hour": [t.acceptable_per_hour * scale, t.manageable_per_hour * scale],
            "day": [t.acceptable_per_day * scale, t.manageable_per_day * scale],
        },
        "floods": [list(band) for band in report.flood_bands],
        "priorities": [
            {"key": p.priority, "name": p.label, "value": p.count, "share": p.share, "target": p.target}
            for p in report.priorities
        ],
        "top": [
            {"name": _rule_label(b.rule), "value": b.count, "share": b.share}
            for b in reversed(report.bad_actors)
        ],
        "topShare": report.top_share,
        "labels": {
            "acceptable": _("可接受") + scope_note,
            "manageable": _("最大可管理") + scope_note,
            "flood": _("报警泛滥"),
            "alarms": _("报警数"),
            "actual": _("实际"),
            "target": _("目标"),
            "share": _("占比"),
            "noData": _("窗口内没有报警"),
        },
    }


def _rule_label(rule: Any) -> str:
    tag = getattr(rule, "tag", None)
    return f"{rule.name} ({tag.tag})" if tag is not None else str(rule.name)
