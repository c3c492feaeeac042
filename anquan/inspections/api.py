"""The inspections REST API (mounted at /api/v1/inspections): plans and rounds, walking a round (one
step at a time, or a whole round walked offline in one idempotent request), device signals of the
AI inspection assistant, asset health and a site's health score weights, and the daily reports.

Reads through ``selectors``, writes through ``services`` / ``assistant``; no capability anywhere
403, a record out of scope 404, a record named in a body that the caller cannot see a 400 field
error. Checkpoint codes are never returned to walkers: a walker proves presence by scanning one.
"""

import base64
import binascii
import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anquan.inspections import assistant, health, reports, selectors, services
from anquan.inspections.choices import Cycle, DayRule, HealthBand, ItemKind, Outcome, RoundStatus, SignalKind
from anquan.inspections.models import CheckIn, CheckItem, DailyReport, HealthScore, ItemResult, Plan, Round
from anquan.org.access import Access
from anquan.org.api import Id, doc, require, viewer
from anquan.org.models import Site
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_VIEW, INSPECTION_WALK
from anquan.plant import selectors as plant_selectors
from anquan.plant.models import Equipment
from anquan.platform.api import Page

router = Router(tags=["inspections"])

MAX_PHOTO_BASE64 = 14_000_000  # about 10 MB of image


def _view_or_walk(request: HttpRequest) -> Any:
    user = viewer(request)
    access = Access.of(user)
    if not (access.can(INSPECTION_VIEW) or access.can(INSPECTION_WALK)):
        raise PermissionDenied(_("您没有查看巡检的权限。"))
    return user


# --- schemas -----------------------------------------------------------------------------------
class PlanOut(Schema):
    id: int
    name: str
    site_id: int
    route_id: int
    route_name: str
    team_id: int
    cycle: Cycle
    day_rule: DayRule
    start_time: dt.time
    window_minutes: int
    active: bool

    @staticmethod
    def resolve_route_name(obj: Plan) -> str:
        return obj.route.name


class RoundOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    site_id: int
    team_id: int
    route_id: int
    starts_at: dt.datetime
    due_at: dt.datetime
    status: RoundStatus
    late: bool
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    walker_id: int | None

    @staticmethod
    def resolve_plan_name(obj: Round) -> str:
        return obj.plan.name


class ResultOut(Schema):
    id: int
    item_id: int
    value: float | None
    outcome: Outcome
    note: str
    recorded_at: dt.datetime
    recorded_by_id: int | None
    follow_up: str


class ItemOut(Schema):
    id: int
    name: str
    kind: ItemKind
    low: float | None
    high: float | None
    unit: str
    photo_required: bool
    result: ResultOut | None


class CheckpointOut(Schema):
    id: int
    position: int
    name: str
    area_id: int
    equipment_id: int | None
    checked_in_at: dt.datetime | None
    items: list[ItemOut]


class RoundDetailOut(RoundOut):
    checkpoints: list[CheckpointOut]

    @staticmethod
    def resolve_checkpoints(obj: Round) -> list[dict[str, Any]]:
        return round_sheet(obj)


def round_sheet(made: Round) -> list[dict[str, Any]]:
    """The checkpoints of a round's route with their items, check-ins and results."""
    checkins = {c.checkpoint_id: c.at for c in CheckIn.objects.filter(round=made)}
    results = {r.item_id: r for r in ItemResult.objects.filter(round=made)}
    out = []
    for cp in made.route.checkpoints.order_by("position", "pk").prefetch_related("items"):
        out.append(
            {
                "id": cp.pk, "position": cp.position, "name": cp.name, "area_id": cp.area_id,
                "equipment_id": cp.equipment_id, "checked_in_at": checkins.get(cp.pk),
                "items": [
                    {"id": i.pk, "name": i.name, "kind": i.kind, "low": i.low, "high": i.high, "unit": i.unit,
                     "photo_required": i.photo_required, "result": results.get(i.pk)}
                    for i in sorted(cp.items.all(), key=lambda i: (i.position, i.pk))
                ],
            }
        )  # fmt: skip
    return out


class RoundFilters(Schema):
    status: RoundStatus | None = None
    late: bool | None = None
    site: Id | None = None
    plan: Id | None = None


class CheckInIn(Schema):
    code: str = Field(..., max_length=32)
    at: dt.datetime | None = None


class PhotoIn(Schema):
    name: str = Field("photo.jpg", max_length=150)
    content_base64: str = Field(..., max_length=MAX_PHOTO_BASE64)


class ResultIn(Schema):
    item_id: Id
    value: float | None = None
    ok: bool | None = None
    note: str = Field("", max_length=500)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=5)


class FinishIn(Schema):
    at: dt.datetime | None = None


class BatchCheckInIn(Schema):
    code: str = Field(..., max_length=32)
    at: dt.datetime


class SubmitIn(Schema):
    client_uuid: uuid.UUID
    started_at: dt.datetime
    finished_at: dt.datetime
    checkins: list[BatchCheckInIn] = Field(..., max_length=500)
    results: list[ResultIn] = Field(..., max_length=services.MAX_BATCH_RESULTS)


class SubmitOut(Schema):
    stored: bool
    round: RoundOut


class SignalIn(Schema):
    equipment_id: Id
    kind: SignalKind
    taken_at: dt.datetime
    source: str = Field("", max_length=80)
    data: dict[str, Any]


class SignalsIn(Schema):
    signals: list[SignalIn] = Field(..., min_length=1, max_length=assistant.MAX_SIGNALS)


class SignalsOut(Schema):
    stored: int


class ReasonOut(Schema):
    factor: str
    penalty: float
    text: str


class HealthOut(Schema):
    id: int
    equipment_id: int
    equipment_code: str
    site_id: int
    area_id: int
    at: dt.datetime
    score: int
    band: HealthBand
    action: str
    reasons: list[ReasonOut]
    weights: dict[str, float]  # the weights the score was made with

    @staticmethod
    def resolve_equipment_code(obj: HealthScore) -> str:
        return obj.equipment.code


class WeightsValues(Schema):
    """Every field of ``health.Weights`` (their meanings and units: ``health.SETTINGS``)."""

    thermal_free_k: float
    thermal_per_k: float
    thermal_cap: float
    acoustic_free_db: float
    acoustic_per_db: float
    acoustic_cap: float
    gas_free_ratio: float
    gas_per_ratio: float
    gas_cap: float
    tag_near: float
    tag_over: float
    tag_over_severe: float
    tag_near_share: float
    tags_cap: float
    normal_from: float
    watch_from: float
    maintain_from: float


class WeightsOut(Schema):
    site_id: int
    site_name: str
    stored: bool  # false: the site scores with the defaults
    updated_at: dt.datetime | None
    weights: WeightsValues
    defaults: WeightsValues


class TrendPoint(Schema):
    at: dt.datetime
    score: int


class EquipmentHealthOut(Schema):
    id: int  # the equipment
    code: str
    name: str
    latest: HealthOut | None
    trend: str
    history: list[TrendPoint]


class ReportOut(Schema):
    id: int
    site_id: int
    date: dt.date
    built_at: dt.datetime


class ReportDetailOut(ReportOut):
    content: dict[str, Any]


# --- plans and rounds --------------------------------------------------------------------------
@router.get(
    "/plans",
    response=list[PlanOut],
    summary=doc(gettext_lazy("巡检计划列表")),
    operation_id="inspection_plans",
)
@paginate(Page)
def list_plans(request: HttpRequest) -> QuerySet[Plan]:
    return selectors.plans(_view_or_walk(request)).order_by("site_id", "name", "pk")


@router.get(
    "/rounds",
    response=list[RoundOut],
    summary=doc(gettext_lazy("巡检任务列表")),
    description=doc(gettext_lazy("最新的在前；status=missed 为漏检，late=true 为超时完成。")),
    operation_id="inspection_rounds",
)
@paginate(Page)
def list_rounds(request: HttpRequest, filters: Query[RoundFilters]) -> QuerySet[Round]:
    qs = selectors.rounds(_view_or_walk(request)).order_by("-starts_at", "-pk")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.late is not None:
        qs = qs.filter(late=filters.late)
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    if filters.plan:
        qs = qs.filter(plan_id=filters.plan)
    return qs


@router.get(
    "/rounds/{round_id}",
    response=RoundDetailOut,
    summary=doc(gettext_lazy("巡检任务详情")),
    description=doc(gettext_lazy("路线上的巡检点、检查项、签到和检查结果（离线执行前先取这份清单）。")),
    operation_id="inspection_round",
)
def get_round(request: HttpRequest, round_id: int) -> Round:
    return get_object_or_404(selectors.rounds(_view_or_walk(request)), pk=round_id)


def _walk(request: HttpRequest, round_id: int) -> tuple[Any, Round]:
    user = require(request, INSPECTION_WALK)
    return user, get_object_or_404(selectors.walkable_rounds(user), pk=round_id)


@router.post(
    "/rounds/{round_id}/start",
    response=RoundOut,
    summary=doc(gettext_lazy("开始巡检")),
    operation_id="inspection_round_start",
)
def start(request: HttpRequest, round_id: int) -> Round:
    user, made = _walk(request, round_id)
    return services.start_round(user, made)


@router.post(
    "/rounds/{round_id}/checkin",
    response=RoundDetailOut,
    summary=doc(gettext_lazy("扫码签到")),
    description=doc(gettext_lazy("code 为扫描到的点位码；不是本路线的巡检点时返回 400。")),
    operation_id="inspection_round_checkin",
)
def checkin(request: HttpRequest, round_id: int, payload: CheckInIn) -> Round:
    user, made = _walk(request, round_id)
    services.check_in(user, made, payload.code, payload.at)
    made.refresh_from_db()
    return made


def _photos(photos: list[PhotoIn], prefix: str) -> list[ContentFile[bytes]]:
    out = []
    for n, p in enumerate(photos):
        try:
            raw = base64.b64decode(p.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({f"{prefix}photos.{n}": [_("照片不是有效的 Base64 数据。")]}) from exc
        out.append(ContentFile(raw, name=p.name))
    return out


def _item(made: Round, item_id: int, field: str) -> CheckItem:
    item = (
        CheckItem.objects.filter(pk=item_id, checkpoint__route_id=made.route_id)
        .select_related("checkpoint")
        .first()
    )
    if item is None:
        raise ValidationError({field: [_("该检查项不属于本次巡检路线。")]})
    return item


@router.post(
    "/rounds/{round_id}/results",
    response=ResultOut,
    summary=doc(gettext_lazy("记录检查项")),
    description=doc(gettext_lazy("读数超出上下限或选择异常即为不合格；须拍照的检查项需附照片（Base64）。")),
    operation_id="inspection_round_result",
)
def record(request: HttpRequest, round_id: int, payload: ResultIn) -> ItemResult:
    user, made = _walk(request, round_id)
    item = _item(made, payload.item_id, "item_id")
    return services.record_result(
        user,
        made,
        item,
        value=payload.value,
        ok=payload.ok,
        note=payload.note,
        photos=_photos(payload.photos, ""),
    )


@router.post(
    "/rounds/{round_id}/finish",
    response=RoundOut,
    summary=doc(gettext_lazy("完成巡检")),
    operation_id="inspection_round_finish",
)
def finish(request: HttpRequest, round_id: int, payload: FinishIn) -> Round:
    user, made = _walk(request, round_id)
    made = services.finish_round(user, made, payload.at)
    made.refresh_from_db()  # the stored times, in one time zone
    return made


@router.post(
    "/rounds/{round_id}/submit",
    response=SubmitOut,
    summary=doc(gettext_lazy("离线提交整次巡检")),
    description=doc(
        gettext_lazy(
            "手机离线完成后一次提交签到（点位码和时间）、检查结果和完成时间；同一 client_uuid 重复提交只保存一次。"
        )
    ),
    operation_id="inspection_round_submit",
    url_name="inspection_round_submit",
)
def submit(request: HttpRequest, round_id: int, payload: SubmitIn) -> dict[str, Any]:
    user, made = _walk(request, round_id)
    if payload.finished_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"finished_at": [_("完成时间不能晚于当前时间。")]})
    made, stored = services.submit_round(
        user,
        made,
        client_uuid=payload.client_uuid,
        started_at=payload.started_at,
        finished_at=payload.finished_at,
        checkins=[services.BatchCheckIn(code=c.code, at=c.at) for c in payload.checkins],
        results=[
            services.BatchResult(
                item_id=r.item_id,
                value=r.value,
                ok=r.ok,
                note=r.note,
                photos=_photos(r.photos, f"results.{n}."),
            )
            for n, r in enumerate(payload.results)
        ],
    )
    made.refresh_from_db()  # the stored times, in one time zone
    return {"stored": stored, "round": made}


# --- AI inspection assistant -------------------------------------------------------------------
@router.post(
    "/signals",
    response={201: SignalsOut},
    summary=doc(gettext_lazy("上报巡检设备信号")),
    description=doc(
        gettext_lazy(
            "红外热像摘要（thermal）、声学频段（acoustic）、气体阵列（gas）；每项指定设备，保存后重新评估设备健康。"
        )
    ),
    operation_id="inspection_signals",
)
def ingest(request: HttpRequest, payload: SignalsIn) -> Status[dict[str, int]]:
    user = require(request, INSPECTION_WALK)
    visible = plant_selectors.equipment(user, INSPECTION_WALK)
    found = {e.pk: e for e in visible.filter(pk__in=[s.equipment_id for s in payload.signals])}
    errors = {
        f"signals.{n}.equipment_id": [_("没有这台设备，或您无权上报。")]
        for n, s in enumerate(payload.signals)
        if s.equipment_id not in found
    }
    if errors:
        raise ValidationError(errors)
    stored = assistant.ingest_signals(
        user,
        [
            {"equipment": found[s.equipment_id], "kind": s.kind, "taken_at": s.taken_at, "source": s.source,
             "data": s.data}
            for s in payload.signals
        ],
    )  # fmt: skip
    return Status(201, {"stored": len(stored)})


@router.get(
    "/health",
    response=list[HealthOut],
    summary=doc(gettext_lazy("设备健康评分")),
    description=doc(gettext_lazy("每台设备最新的评分，最差的在前。")),
    operation_id="inspection_health",
)
@paginate(Page)
def list_health(request: HttpRequest, site: Id | None = None) -> list[HealthScore]:
    return selectors.latest_health(require(request, INSPECTION_VIEW), site)


@router.get(
    "/health/{equipment_id}",
    response=EquipmentHealthOut,
    summary=doc(gettext_lazy("单台设备健康")),
    description=doc(gettext_lazy("最新评分、原因、建议措施和评分趋势。")),
    operation_id="inspection_equipment_health",
)
def equipment_health(request: HttpRequest, equipment_id: int) -> dict[str, Any]:
    user = require(request, INSPECTION_VIEW)
    equipment = get_object_or_404(plant_selectors.equipment(user, INSPECTION_VIEW), pk=equipment_id)
    return equipment_health_of(equipment)


def equipment_health_of(equipment: Equipment) -> dict[str, Any]:

    past = assistant.history(equipment)
    return {
        "id": equipment.pk,
        "code": equipment.code,
        "name": equipment.name,
        "latest": past[-1] if past else None,
        "trend": health.trend([s.score for s in past]),
        "history": [{"at": s.at, "score": s.score} for s in past],
    }


def _weights_out(site: Site) -> dict[str, Any]:
    stored = selectors.health_weights(site.pk)
    return {
        "site_id": site.pk,
        "site_name": site.name,
        "stored": stored is not None,
        "updated_at": stored.updated_at if stored is not None else None,
        "weights": (stored.weights() if stored is not None else health.WEIGHTS).as_dict(),
        "defaults": health.WEIGHTS.as_dict(),
    }


@router.get(
    "/weights/{int:site_id}",
    response=WeightsOut,
    summary=doc(gettext_lazy("场所的健康评分权重")),
    description=doc(gettext_lazy("本场所内有查看巡检的权限即可查看；未设置时为默认权重（stored=false）。")),
    operation_id="inspection_weights",
)
def get_weights(request: HttpRequest, site_id: int) -> dict[str, Any]:
    site = get_object_or_404(
        selectors.sites_reached(require(request, INSPECTION_VIEW), INSPECTION_VIEW), pk=site_id
    )
    return _weights_out(site)


@router.put(
    "/weights/{int:site_id}",
    response=WeightsOut,
    summary=doc(gettext_lazy("设置场所的健康评分权重")),
    description=doc(
        gettext_lazy(
            "须有全场所的巡检配置权限。各项不能为负数；扣分上限不超过 100；“接近”的范围为 0 ~ 1；"
            "测点扣分须为 超出高高/低低限 ≥ 超出高/低限 ≥ 接近报警限；"
            "等级最低分须为 100 ≥ 正常 > 关注 > 安排检修 > 0。之后的评估按新权重计算，已有评分保持不变。"
        )
    ),
    operation_id="inspection_weights_set",
)
def put_weights(request: HttpRequest, site_id: int, payload: WeightsValues) -> dict[str, Any]:
    user = require(request, INSPECTION_PLAN)
    site = get_object_or_404(selectors.sites_reached(user, INSPECTION_PLAN), pk=site_id)
    if not selectors.weight_sites(user).filter(pk=site.pk).exists():
        raise PermissionDenied(_("只有全场所的巡检配置权限才能设置健康评分权重。"))
    assistant.configure_weights(user, site, payload.dict())
    return _weights_out(site)


# --- daily reports -----------------------------------------------------------------------------
@router.get(
    "/reports",
    response=list[ReportOut],
    summary=doc(gettext_lazy("设备健康日报列表")),
    operation_id="inspection_reports",
)
@paginate(Page)
def list_reports(request: HttpRequest) -> QuerySet[DailyReport]:
    return selectors.reports(require(request, INSPECTION_VIEW)).order_by("-date", "site_id")


@router.get(
    "/reports/{report_id}",
    response=ReportDetailOut,
    summary=doc(gettext_lazy("设备健康日报")),
    operation_id="inspection_report",
)
def get_report(request: HttpRequest, report_id: int) -> DailyReport:
    return get_object_or_404(selectors.reports(require(request, INSPECTION_VIEW)), pk=report_id)


@router.get(
    "/reports/{report_id}/pdf",
    summary=doc(gettext_lazy("设备健康日报 PDF")),
    operation_id="inspection_report_pdf",
)
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(selectors.reports(require(request, INSPECTION_VIEW)), pk=report_id)
    response = HttpResponse(reports.pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="health-report-{report.site_id}-{report.date}.pdf"'
    )
    return response
