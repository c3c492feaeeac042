"""Reads of early warning, scoped to what the viewer may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from anquan.earlywarning.choices import ReviewStatus
from anquan.earlywarning.models import AIAlert, ModelVersion, WarningModel
from anquan.org.access import Access, Paths
from anquan.org.roles import MONITOR_VIEW
from anquan.plant.models import SensorTag

MODEL_PATHS = Paths(site="site", area="unit__area")
ALERT_PATHS = Paths(site="site", area="area")


def models(viewer: Any, capability: str = MONITOR_VIEW) -> QuerySet[WarningModel]:
    qs = WarningModel.objects.select_related("unit__area", "site", "active_version").defer(
        "active_version__artefact"
    )
    return Access.of(viewer).filter(qs, capability, MODEL_PATHS)


def alerts(viewer: Any) -> QuerySet[AIAlert]:
    qs = AIAlert.objects.select_related("model__unit", "area", "site", "version", "reviewed_by").defer(
        "version__artefact"
    )
    return Access.of(viewer).filter(qs, MONITOR_VIEW, ALERT_PATHS)


def review_queue(viewer: Any) -> QuerySet[AIAlert]:
    return alerts(viewer).filter(review=ReviewStatus.PENDING).order_by("started_at", "pk")


def versions(model: WarningModel) -> QuerySet[ModelVersion]:
    return model.versions.select_related("created_by", "approved_by").defer("artefact").order_by("-number")


def scored_tag_ids(site_ids: Iterable[int] | None = None) -> frozenset[int]:
    """Tags an enabled model with an active version reads (the stream forwards them to the worker
    that scores)."""
    active = WarningModel.objects.filter(enabled=True, active_version__isnull=False)
    if site_ids is not None:
        active = active.filter(site_id__in=list(site_ids))
    return frozenset(SensorTag.objects.filter(pk__in=active.values("tags")).values_list("pk", flat=True))
