"""Reads of early warning, scoped to what the viewer may see."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from anquan.earlywarning import training
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


DRIFT_WINDOW_S = 24 * 3600  # drift looks at the last day of data
DRIFT_RETRAIN = 0.10  # above this share outside the training envelope: suggest a retraining


# --- drift --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    share: float | None  # None: no complete row in the window
    rows: int
    retrain: bool

    @property
    def pct(self) -> float | None:
        return None if self.share is None else round(self.share * 100, 1)


def drift(version: ModelVersion | None, end_ms: int | None = None) -> Drift | None:
    """The share of the last day's rows of ``version``'s tags outside its training envelope
    (None: no trained envelope to compare with)."""
    if version is None:
        return None
    envelope = (version.metrics or {}).get("envelope")
    tag_ids = [int(i) for i in (version.metrics or {}).get("tag_ids", [])]
    codes = list(version.tag_codes or [])
    if not envelope or not tag_ids or len(tag_ids) != len(codes) or set(codes) - set(envelope):
        return None
    end = end_ms if end_ms is not None else int(time.time() * 1000)
    _ts, X = training.rows_of(tag_ids, codes, end - DRIFT_WINDOW_S * 1000, end, version.interval_s)
    if len(X) == 0:
        return Drift(share=None, rows=0, retrain=False)
    share = training.outside_envelope(envelope, codes, X)
    return Drift(share=share, rows=len(X), retrain=share > DRIFT_RETRAIN)


def scored_tag_ids(site_ids: Iterable[int] | None = None) -> frozenset[int]:
    """Tags an enabled model with an active version reads (the stream forwards them to the worker
    that scores)."""
    active = WarningModel.objects.filter(enabled=True, active_version__isnull=False)
    if site_ids is not None:
        active = active.filter(site_id__in=list(site_ids))
    return frozenset(SensorTag.objects.filter(pk__in=active.values("tags")).values_list("pk", flat=True))
