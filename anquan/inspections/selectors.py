"""Reads of inspections, scoped to what the viewer may see.

Plans and rounds are reached by ``inspections.view`` (the register of a scope) or by
``inspections.walk`` (a walker sees the rounds of the teams their grant covers); routes, asset
health and daily reports by ``inspections.view``. A site's health score weights are read by
``inspections.view`` anywhere in the site and set by ``inspections.plan`` over the whole site.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet

from anquan.inspections.models import (
    CheckItem,
    Checkpoint,
    DailyReport,
    HealthScore,
    HealthWeights,
    ItemResult,
    Plan,
    ReportSetting,
    Round,
    Route,
)
from anquan.org.access import Access, Paths
from anquan.org.models import Site
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_VIEW, INSPECTION_WALK

M = TypeVar("M", bound=models.Model)

ROUTE_PATHS = Paths(site="site", area="area")
PLAN_PATHS = Paths(site="site", area="team__area", team="team")
ROUND_PATHS = Paths(site="site", area="team__area", team="team")
RESULT_PATHS = Paths(site="round__site", area="round__team__area", team="round__team")
HEALTH_PATHS = Paths(site="site", area="area")
REPORT_PATHS = Paths(site="site")
SITE_PATHS = Paths(enterprise="enterprise", site="pk")


def _view_or_walk(viewer: Any, queryset: QuerySet[M], paths: Paths) -> QuerySet[M]:
    access = Access.of(viewer)
    view, walk = access.q(INSPECTION_VIEW, paths), access.q(INSPECTION_WALK, paths)
    if view is None or walk is None:
        return queryset
    return queryset.filter(view | walk).distinct()


def routes(viewer: Any, capability: str = INSPECTION_VIEW) -> QuerySet[Route]:
    return Access.of(viewer).filter(Route.objects.select_related("site", "area"), capability, ROUTE_PATHS)


def planning_routes(viewer: Any) -> QuerySet[Route]:
    return routes(viewer, INSPECTION_PLAN)


def checkpoints(route: Route) -> QuerySet[Checkpoint]:
    return route.checkpoints.select_related("area", "equipment").prefetch_related("items")


def items(checkpoint: Checkpoint) -> QuerySet[CheckItem]:
    return checkpoint.items.order_by("position", "pk")


def plans(viewer: Any) -> QuerySet[Plan]:
    return _view_or_walk(viewer, Plan.objects.select_related("route", "team", "site"), PLAN_PATHS)


def planning_plans(viewer: Any) -> QuerySet[Plan]:
    return Access.of(viewer).filter(Plan.objects.select_related("route", "team"), INSPECTION_PLAN, PLAN_PATHS)


def rounds(viewer: Any) -> QuerySet[Round]:
    qs = Round.objects.select_related("plan", "team", "route", "site", "walker")
    return _view_or_walk(viewer, qs, ROUND_PATHS)


def walkable_rounds(viewer: Any) -> QuerySet[Round]:
    qs = Round.objects.select_related("plan", "team", "route", "site", "walker")
    return Access.of(viewer).filter(qs, INSPECTION_WALK, ROUND_PATHS)


def results(viewer: Any) -> QuerySet[ItemResult]:
    qs = ItemResult.objects.select_related("round", "item__checkpoint")
    return _view_or_walk(viewer, qs, RESULT_PATHS)


def health_scores(viewer: Any) -> QuerySet[HealthScore]:
    qs = HealthScore.objects.select_related("equipment", "area", "site")
    return Access.of(viewer).filter(qs, INSPECTION_VIEW, HEALTH_PATHS)


def latest_health(viewer: Any, site_id: int | None = None) -> list[HealthScore]:
    """The newest score of every equipment in scope (of one site, if given), worst first."""
    qs = health_scores(viewer)
    if site_id:
        qs = qs.filter(site_id=site_id)
    newest: dict[int, HealthScore] = {}
    for score in qs.order_by("equipment_id", "-at", "-pk"):
        newest.setdefault(score.equipment_id, score)
    return sorted(newest.values(), key=lambda s: (s.score, s.equipment.code))


def reports(viewer: Any) -> QuerySet[DailyReport]:
    return Access.of(viewer).filter(DailyReport.objects.select_related("site"), INSPECTION_VIEW, REPORT_PATHS)


def report_setting(site_id: int) -> ReportSetting | None:
    return ReportSetting.objects.filter(site_id=site_id).first()


def sites_reached(viewer: Any, capability: str) -> QuerySet[Site]:
    """The sites in which ``capability`` of ``viewer`` reaches anything."""
    ids = Access.of(viewer).site_ids(capability)
    qs = Site.objects.order_by("name", "pk")
    return qs if ids is None else qs.filter(pk__in=ids)


def weight_sites(viewer: Any) -> QuerySet[Site]:
    """The sites whose health score weights ``viewer`` may set (``inspections.plan`` over the whole
    site)."""
    return Access.of(viewer).filter(Site.objects.order_by("name", "pk"), INSPECTION_PLAN, SITE_PATHS)


def health_weights(site_id: int) -> HealthWeights | None:
    return HealthWeights.objects.filter(site_id=site_id).first()
