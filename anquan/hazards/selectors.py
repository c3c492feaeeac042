"""Reads of hazards, scoped to the viewer.

A viewer sees the hazards of the places where they hold ``hazards.view``, and always the hazards
they reported themselves or whose rectification is assigned to them (a worker or a contractor
follows their own reports without seeing the register).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from anquan.hazards import grading
from anquan.hazards.choices import FINAL_STATES, GradingMethod, HazardState
from anquan.hazards.models import CriteriaItem, CriteriaSet, Hazard, HazardCriterion, HazardStep, RiskMatrix
from anquan.monitoring.alarms.escalation import recipients
from anquan.org.access import Access, Paths
from anquan.org.choices import Role
from anquan.org.models import Area, Site
from anquan.org.roles import HAZARD_MANAGE, HAZARD_REPORT, HAZARD_VIEW, capabilities
from anquan.plant.models import Equipment
from anquan.platform.attachments.models import Attachment

HAZARD_PATHS = Paths(site="site", area="area")
AREA_PATHS = Paths(site="site", area="pk")
# A site as a whole: only an enterprise- or site-level grant reaches it (an area's does not).
SITE_PATHS = Paths(enterprise="enterprise", site="pk")
EQUIPMENT_PATHS = Paths(site="area__site", area="area")


def hazards(viewer: Any) -> QuerySet[Hazard]:
    """Every hazard ``viewer`` may see."""
    qs = Hazard.objects.select_related(
        "site", "area__site", "equipment", "reporter", "responsible", "duplicate_of"
    )
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return qs.none()
    scope = Access.of(viewer).q(HAZARD_VIEW, HAZARD_PATHS)
    if scope is None:
        return qs
    return qs.filter(scope | Q(reporter=viewer) | Q(responsible=viewer))


def register(viewer: Any) -> QuerySet[Hazard]:
    """The register of the viewer's scope (``hazards.view``), without their personal extras."""
    return Access.of(viewer).filter(hazards(viewer), HAZARD_VIEW, HAZARD_PATHS)


def open_hazards(qs: QuerySet[Hazard]) -> QuerySet[Hazard]:
    return qs.exclude(state__in=FINAL_STATES)


def overdue(qs: QuerySet[Hazard], now: Any) -> QuerySet[Hazard]:
    return qs.filter(state=HazardState.RECTIFYING, deadline__lt=now)


def reportable_areas(viewer: Any) -> QuerySet[Area]:
    """The areas where ``viewer`` may report a hazard."""
    qs = Area.objects.select_related("site").order_by("site__name", "code")
    return Access.of(viewer).filter(qs, HAZARD_REPORT, AREA_PATHS)


def reportable_equipment(viewer: Any) -> QuerySet[Equipment]:
    """The equipment of those areas (to pick from a list or by its QR code)."""
    qs = Equipment.objects.select_related("area__site").order_by("area__site__name", "code")
    return Access.of(viewer).filter(qs, HAZARD_REPORT, EQUIPMENT_PATHS)


def timeline(hazard: Hazard) -> QuerySet[HazardStep]:
    return hazard.steps.select_related("actor").order_by("at", "pk")


def attachments(hazard: Hazard) -> QuerySet[Attachment]:
    """The files of a hazard (whoever sees the hazard sees them), oldest first."""
    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(Hazard), owner_id=hazard.pk
    ).order_by("created_at", "pk")


def people_with(capability: str, area: Area) -> set[int]:
    """Active people holding ``capability`` through a role whose scope covers ``area``."""
    ids: set[int] = set()
    for role in Role:
        if capability in capabilities(role):
            ids |= set(recipients(role, area))
    return ids


def people_with_role(role: str, area: Area) -> set[int]:
    return set(recipients(role, area))


# --- grading configuration ------------------------------------------------------------------------
def risk_matrix(site: Site) -> RiskMatrix:
    """The site's grading method and LS matrix: its stored one, or (unsaved) LEC with the default
    5 × 5 matrix."""
    stored = RiskMatrix.objects.filter(site=site).first()
    if stored is not None:
        return stored
    default = grading.default_matrix()
    return RiskMatrix(
        site=site,
        method=GradingMethod.LEC,
        likelihood=list(default.likelihood),
        severity=list(default.severity),
        cells=[list(row) for row in default.cells],
    )


def grading_sites(viewer: Any) -> QuerySet[Site]:
    """The sites where ``viewer`` grades hazards anywhere (``hazards.manage`` in some part of it)."""
    ids = Access.of(viewer).site_ids(HAZARD_MANAGE)
    qs = Site.objects.order_by("name", "pk")
    return qs if ids is None else qs.filter(pk__in=ids)


def configurable_sites(viewer: Any) -> QuerySet[Site]:
    """The sites whose grading method and matrix ``viewer`` may change (``hazards.manage`` over the
    whole site)."""
    return Access.of(viewer).filter(Site.objects.order_by("name", "pk"), HAZARD_MANAGE, SITE_PATHS)


# --- major-hazard determination standards (重大事故隐患判定标准) ------------------------------------
def criteria_sets() -> QuerySet[CriteriaSet]:
    """Every set, with its items (national standards: the same for every site)."""
    return CriteriaSet.objects.prefetch_related(
        Prefetch("items", queryset=CriteriaItem.objects.order_by("number"))
    ).order_by("scope", "-effective_from", "pk")


def criteria_in_force(day: dt.date) -> list[CriteriaSet]:
    """The sets in force on ``day`` (one per scope at most: ranges of a scope never overlap)."""
    return list(
        criteria_sets()
        .filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
    )


def hazard_day(hazard: Hazard) -> dt.date:
    """The day whose standard applies to ``hazard``: the local day it was reported (found)."""
    return timezone.localdate(hazard.reported_at)


def criteria_cited(criteria_set: CriteriaSet) -> int:
    """How many hazards cite an item of ``criteria_set`` (cited: the set is read-only)."""
    return HazardCriterion.objects.filter(item__criteria_set=criteria_set).values("hazard").distinct().count()


def may_load_criteria(viewer: Any) -> bool:
    """Whether ``viewer`` may load or correct a determination standard: ``hazards.manage`` over a
    whole site (as for the site's risk matrix)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return False
    return Access.of(viewer).can(HAZARD_MANAGE) and configurable_sites(viewer).exists()
