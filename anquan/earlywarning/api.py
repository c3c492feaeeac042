"""The early-warning REST API (mounted at /api/v1/earlywarning): AI alerts and their review, the
models. Reads through ``selectors``, writes through ``services``; scoping as in the organisation
API (no capability anywhere 403, a record out of scope 404)."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anquan.earlywarning import selectors, services
from anquan.earlywarning.choices import ReviewStatus
from anquan.earlywarning.models import AIAlert, WarningModel
from anquan.org.api import Id, doc, require
from anquan.org.roles import MONITOR_VIEW, WARNING_REVIEW
from anquan.platform.api import Page

router = Router(tags=["earlywarning"])


class ContributorOut(Schema):
    tag: str
    share: float


class AlertOut(Schema):
    id: int
    model_id: int
    model_name: str
    site_id: int
    area_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    score: float
    threshold: float
    contributors: list[ContributorOut]
    review: ReviewStatus
    reviewed_by_id: int | None
    reviewed_at: dt.datetime | None
    review_reason: str
    occurrence_id: int | None

    @staticmethod
    def resolve_model_name(obj: AIAlert) -> str:
        return obj.model.name


class AlertDetailOut(AlertOut):
    heatmap: dict[str, Any]
    path: list[dict[str, Any]]
    forecasts: list[dict[str, Any]]


class AlertFilters(Schema):
    review: ReviewStatus | None = None
    model: Id | None = None
    site: Id | None = None


class ConfirmIn(Schema):
    comment: str = Field("", max_length=500)


class RejectIn(Schema):
    reason: str = Field(..., max_length=500)


class ModelOut(Schema):
    id: int
    name: str
    site_id: int
    unit_id: int
    detector: str
    interval_s: int
    enabled: bool
    notify: str
    active_version_id: int | None
    active_version_number: int | None
    threshold: float | None

    @staticmethod
    def resolve_active_version_number(obj: WarningModel) -> int | None:
        return obj.active_version.number if obj.active_version_id and obj.active_version else None

    @staticmethod
    def resolve_threshold(obj: WarningModel) -> float | None:
        return obj.active_version.threshold if obj.active_version_id and obj.active_version else None


@router.get(
    "/alerts",
    response=list[AlertOut],
    summary=doc(gettext_lazy("AI 预警列表")),
    description=doc(gettext_lazy("最新的在前；review=pending 即待复核队列。")),
    operation_id="earlywarning_alerts",
)
@paginate(Page)
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> QuerySet[AIAlert]:
    user = require(request, MONITOR_VIEW)
    qs = selectors.alerts(user).order_by("-started_at", "-pk")
    if filters.review:
        qs = qs.filter(review=filters.review)
    if filters.model:
        qs = qs.filter(model_id=filters.model)
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    return qs


@router.get(
    "/alerts/{alert_id}",
    response=AlertDetailOut,
    summary=doc(gettext_lazy("AI 预警详情")),
    description=doc(gettext_lazy("含贡献热力图、传播路径和到限预测。")),
    operation_id="earlywarning_alert",
)
def get_alert(request: HttpRequest, alert_id: int) -> AIAlert:
    user = require(request, MONITOR_VIEW)
    return get_object_or_404(selectors.alerts(user), pk=alert_id)


@router.post(
    "/alerts/{alert_id}/confirm",
    response=AlertDetailOut,
    summary=doc(gettext_lazy("确认 AI 预警")),
    description=doc(gettext_lazy("专家确认后转为报警（报警台、升级和 KPI 由报警系统接手）。")),
    operation_id="earlywarning_alert_confirm",
)
def confirm(request: HttpRequest, alert_id: int, payload: ConfirmIn) -> AIAlert:
    user = require(request, WARNING_REVIEW)
    alert = get_object_or_404(selectors.alerts(user), pk=alert_id)
    return services.confirm_alert(user, alert, payload.comment)


@router.post(
    "/alerts/{alert_id}/reject",
    response=AlertDetailOut,
    summary=doc(gettext_lazy("驳回 AI 预警")),
    description=doc(gettext_lazy("须填写驳回原因；复核结果用于统计模型准确率和重新标定阈值。")),
    operation_id="earlywarning_alert_reject",
)
def reject(request: HttpRequest, alert_id: int, payload: RejectIn) -> AIAlert:
    user = require(request, WARNING_REVIEW)
    alert = get_object_or_404(selectors.alerts(user), pk=alert_id)
    return services.reject_alert(user, alert, payload.reason)


@router.get(
    "/models",
    response=list[ModelOut],
    summary=doc(gettext_lazy("预警模型列表")),
    operation_id="earlywarning_models",
)
@paginate(Page)
def list_models(request: HttpRequest) -> QuerySet[WarningModel]:
    user = require(request, MONITOR_VIEW)
    return selectors.models(user).order_by("site_id", "name", "pk")
