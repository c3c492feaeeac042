"""The hazards REST API (django-ninja router mounted at /api/v1/hazards).

Reads through ``selectors`` (a hazard out of the caller's sight is a 404), writes through
``services`` (a step the caller may not take is a 403, bad input a 400 with field errors). A
report is a multipart form — the phone sends its photos, voice note and video with it — and carries
the phone's ``client_uid``: sent twice, it is stored once (the second answer is a 200 with the
hazard stored the first time).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anquan.hazards import reports, selectors, services
from anquan.hazards.choices import (
    GradingMethod,
    HazardCategory,
    HazardGrade,
    HazardSource,
    HazardState,
    ManageType,
    RiskColour,
)
from anquan.hazards.grading import national_codes
from anquan.hazards.models import (
    CriteriaSet,
    DuplicateCandidate,
    Hazard,
    HazardStep,
    MajorHazardPlan,
    RiskMatrix,
)
from anquan.monitoring import selectors as monitoring_selectors
from anquan.org.access import Access
from anquan.org.api import Id, doc, pick, require, viewer
from anquan.org.models import User
from anquan.org.roles import HAZARD_ACCEPT, HAZARD_APPROVE_MAJOR, HAZARD_MANAGE, HAZARD_REPORT, HAZARD_VIEW
from anquan.platform.api import Page

router = Router(tags=["hazards"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- schemas ------------------------------------------------------------------------------------
class NationalOut(Schema):
    """The national dual-prevention interface's codes (None: no such value yet)."""

    hazard_level: str | None
    manage_type: str | None
    state: str | None
    danger_src: str | None
    hazard_danger_type: str | None


class CitedOut(Schema):
    """An item of a major-hazard determination standard the grader cited, as it read then."""

    set_id: int
    code: str
    number: int
    text: str


class HazardOut(Schema):
    id: int
    number: str
    site_id: int
    area_id: int
    area_name: str
    equipment_id: int | None
    equipment_code: str | None
    description: str
    category: HazardCategory
    source: HazardSource
    state: HazardState
    state_label: str
    grade: str
    risk_colour: str
    lec_l: float | None
    lec_e: float | None
    lec_c: float | None
    lec_d: float | None
    ls_l: int | None
    ls_s: int | None
    ls_r: int | None
    grading_method: str
    manage_type: str
    report_upward: bool
    reporter_id: int
    reporter_name: str
    reported_at: dt.datetime
    client_uid: str | None
    likely_duplicate: bool
    responsible_id: int | None
    responsible_name: str | None
    measures: str
    funds: Decimal | None
    deadline: dt.datetime | None
    overdue: bool
    rectified_at: dt.datetime | None
    accepted_at: dt.datetime | None
    closed_at: dt.datetime | None
    alarm_occurrence_id: int | None
    duplicate_of_id: int | None
    reject_kind: str
    reject_reason: str
    criteria: list[CitedOut]
    national: NationalOut

    @staticmethod
    def resolve_area_name(obj: Hazard) -> str:
        return obj.area.name

    @staticmethod
    def resolve_equipment_code(obj: Hazard) -> str | None:
        return obj.equipment.code if obj.equipment else None

    @staticmethod
    def resolve_state_label(obj: Hazard) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_reporter_name(obj: Hazard) -> str:
        return str(obj.reporter)

    @staticmethod
    def resolve_responsible_name(obj: Hazard) -> str | None:
        return str(obj.responsible) if obj.responsible else None

    @staticmethod
    def resolve_client_uid(obj: Hazard) -> str | None:
        return str(obj.client_uid) if obj.client_uid else None

    @staticmethod
    def resolve_overdue(obj: Hazard) -> bool:
        return (
            obj.state == HazardState.RECTIFYING and obj.deadline is not None and obj.deadline < timezone.now()
        )

    @staticmethod
    def resolve_national(obj: Hazard) -> dict[str, str | None]:
        return national_codes(obj)


class StepOut(Schema):
    id: int
    kind: str
    kind_label: str
    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any]

    @staticmethod
    def resolve_kind_label(obj: HazardStep) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_actor_name(obj: HazardStep) -> str | None:
        return str(obj.actor) if obj.actor else None


class CandidateOut(Schema):
    candidate_id: int
    number: str
    score: float
    reasons: list[dict[str, Any]]

    @staticmethod
    def resolve_number(obj: DuplicateCandidate) -> str:
        return obj.candidate.number


class PlanOut(Schema):
    goal: str
    methods: str
    funds_materials: str
    organisation: str
    time_limit: str
    safety_emergency: str
    status: str
    submitted_by_id: int | None
    submitted_at: dt.datetime
    approved_by_id: int | None
    approved_at: dt.datetime | None


class AttachmentRef(Schema):
    id: int
    kind: str
    original_name: str
    download_url: str


class HazardDetailOut(HazardOut):
    steps: list[StepOut]
    candidates: list[CandidateOut]
    plan: PlanOut | None
    attachments: list[AttachmentRef]

    @staticmethod
    def resolve_steps(obj: Hazard) -> list[HazardStep]:
        return list(selectors.timeline(obj))

    @staticmethod
    def resolve_candidates(obj: Hazard, context: dict[str, Any]) -> list[DuplicateCandidate]:
        """The likely duplicates the caller may see (a reporter does not learn of others' reports)."""
        request = (context or {}).get("request")
        visible = selectors.hazards(getattr(request, "auth", None))
        return list(
            obj.candidates.filter(candidate__in=visible).select_related("candidate").order_by("-score", "pk")
        )

    @staticmethod
    def resolve_plan(obj: Hazard) -> MajorHazardPlan | None:
        return MajorHazardPlan.objects.filter(hazard=obj).first()

    @staticmethod
    def resolve_attachments(obj: Hazard) -> list[dict[str, Any]]:
        return [
            {
                "id": a.pk,
                "kind": a.kind,
                "original_name": a.original_name,
                "download_url": reverse("api:attachment_download", kwargs={"attachment_id": a.pk}),
            }
            for a in selectors.attachments(obj)
        ]


class HazardFilters(Schema):
    state: HazardState | None = None
    grade: HazardGrade | None = None
    risk_colour: RiskColour | None = None
    source: HazardSource | None = None
    site: Id | None = None
    area: Id | None = None
    overdue: bool | None = None
    mine: bool | None = None  # only the ones I reported


class NoteIn(Schema):
    note: str = Field("", max_length=services.MAX_NOTE)


class RejectIn(Schema):
    reason: str = Field(..., max_length=services.MAX_NOTE)
    duplicate_of_id: Id | None = None


class GradeIn(Schema):
    grade: HazardGrade | None = Field(None, description="引用判定标准条款时可不填（即为重大）")
    manage_type: ManageType
    lec_l: float | None = None
    lec_e: float | None = None
    lec_c: float | None = None
    ls_l: int | None = None
    ls_s: int | None = None
    criteria: list[int] = Field(
        default_factory=list, description="引用的重大事故隐患判定标准条款 id（须为隐患发现之日现行的标准）"
    )
    note: str = Field("", max_length=services.MAX_NOTE)


class CriteriaItemIn(Schema):
    number: int
    text: str


class CriteriaSetIn(Schema):
    code: str = Field(..., description="文号，如“安监总管三〔2017〕121号”")
    title: str
    scope: str = Field(..., description="适用行业，如“化工和危险化学品”；同一行业的有效期不能重叠")
    effective_from: dt.date
    effective_to: dt.date | None = Field(None, description="最后有效的一天；空为至今有效")
    items: list[CriteriaItemIn]


class CriteriaItemOut(Schema):
    id: int
    number: int
    text: str


class CriteriaSetOut(Schema):
    id: int
    code: str
    title: str
    scope: str
    effective_from: dt.date
    effective_to: dt.date | None
    cited: int  # hazards citing it: read-only when > 0
    items: list[CriteriaItemOut]

    @staticmethod
    def resolve_cited(obj: CriteriaSet) -> int:
        return selectors.criteria_cited(obj)

    @staticmethod
    def resolve_items(obj: CriteriaSet) -> list[Any]:
        return list(obj.items.all())


class CriteriaQuery(Schema):
    date: dt.date | None = Field(None, description="只列出该日现行的标准")


class RiskMatrixIn(Schema):
    method: GradingMethod
    likelihood: list[str] = Field(..., description="可能性 L 各级说明，第 1 级在前")
    severity: list[str] = Field(..., description="严重性 S 各级说明，第 1 级在前")
    cells: list[list[str]] = Field(..., description="cells[L-1][S-1]：每格的风险颜色 red/orange/yellow/blue")


class RiskMatrixOut(Schema):
    site_id: int
    site_name: str
    method: GradingMethod
    likelihood: list[str]
    severity: list[str]
    cells: list[list[str]]
    stored: bool  # false: the site has not set one, these are the defaults
    updated_at: dt.datetime | None


class PlanIn(Schema):
    goal: str = Field(..., max_length=services.MAX_NOTE)
    methods: str = Field(..., max_length=services.MAX_NOTE)
    funds_materials: str = Field(..., max_length=services.MAX_NOTE)
    organisation: str = Field(..., max_length=services.MAX_NOTE)
    time_limit: str = Field(..., max_length=services.MAX_NOTE)
    safety_emergency: str = Field(..., max_length=services.MAX_NOTE)


class AssignIn(Schema):
    responsible_id: Id
    measures: str = Field(..., max_length=services.MAX_NOTE)
    funds: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    deadline: dt.datetime


class AcceptIn(Schema):
    passed: bool
    note: str = Field("", max_length=services.MAX_NOTE)


class FromAlarmIn(Schema):
    occurrence_id: Id
    description: str = Field("", max_length=services.MAX_DESCRIPTION)


class PlaceOut(Schema):
    id: int
    name: str
    site_id: int
    site_name: str


class EquipmentPlaceOut(Schema):
    id: int
    code: str
    name: str
    area_id: int


class PlacesOut(Schema):
    areas: list[PlaceOut]
    equipment: list[EquipmentPlaceOut]


class MetricsQuery(Schema):
    days: int = Field(reports.DEFAULT_DAYS, ge=1, le=reports.MAX_DAYS)


class ClosureOut(Schema):
    label: str
    count: int
    median_h: float | None
    p90_h: float | None


class MetricsOut(Schema):
    start: dt.datetime
    end: dt.datetime
    reported: int
    closed: int
    closure: ClosureOut
    closure_by_area: list[ClosureOut]
    closure_by_team: list[ClosureOut]
    closure_by_grade: list[ClosureOut]
    rectified: int
    on_time: int
    on_time_rate: float | None
    overdue: int
    open_total: int
    open_by_colour: dict[str, int]
    days: list[str]
    reported_by_day: list[int]
    closed_by_day: list[int]


# --- helpers ------------------------------------------------------------------------------------
def _detail(hazard: Hazard) -> Hazard:
    """The hazard afresh, as the detail schema reads it (timeline, candidates, plan, attachments)."""
    return Hazard.objects.select_related("site", "area", "equipment", "reporter", "responsible").get(
        pk=hazard.pk
    )


def _hazard(request: HttpRequest, hazard_id: int) -> tuple[Any, Hazard]:
    user = viewer(request)
    return user, get_object_or_404(selectors.hazards(user), pk=hazard_id)


def _require_any(request: HttpRequest, *capabilities: str) -> Any:
    user = viewer(request)
    access = Access.of(user)
    if not any(access.can(c) for c in capabilities):
        access.require(capabilities[0])
    return user


# --- reads --------------------------------------------------------------------------------------
@router.get(
    "/",
    response=list[HazardOut],
    summary=doc(gettext_lazy("隐患列表")),
    description=doc(gettext_lazy("本人范围内的隐患台账，以及本人上报或负责整改的隐患；最新的在前。")),
    operation_id="hazards_list",
)
@paginate(Page)
def list_hazards(request: HttpRequest, filters: Query[HazardFilters]) -> QuerySet[Hazard]:
    user = _require_any(request, HAZARD_REPORT, HAZARD_VIEW)
    qs = selectors.hazards(user).order_by("-reported_at", "-pk")
    for name in ("state", "grade", "risk_colour", "source"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    if filters.area:
        qs = qs.filter(area_id=filters.area)
    if filters.overdue:
        qs = selectors.overdue(qs, timezone.now())
    if filters.mine:
        qs = qs.filter(reporter=user)
    return qs


@router.get(
    "/places",
    response=PlacesOut,
    summary=doc(gettext_lazy("可上报隐患的区域和设备")),
    description=doc(gettext_lazy("上报页面的选择列表；扫描设备二维码得到的位号在 equipment 中查找。")),
    operation_id="hazards_places",
)
def places(request: HttpRequest) -> dict[str, Any]:
    user = require(request, HAZARD_REPORT)
    areas = selectors.reportable_areas(user)
    return {
        "areas": [
            {"id": a.pk, "name": a.name, "site_id": a.site_id, "site_name": a.site.name} for a in areas
        ],
        "equipment": list(selectors.reportable_equipment(user)),
    }


@router.get(
    "/metrics",
    response=MetricsOut,
    summary=doc(gettext_lazy("隐患统计")),
    description=doc(
        gettext_lazy(
            "闭环时长（中位数、P90，按区域、班组、等级）、按期整改率、逾期数、按颜色的未销号数和趋势。"
        )
    ),
    operation_id="hazards_metrics",
)
def get_metrics(request: HttpRequest, params: Query[MetricsQuery]) -> dict[str, Any]:
    user = require(request, HAZARD_VIEW)
    start, end = reports.window(params.days)
    result = reports.metrics(selectors.register(user), start=start, end=end)
    return {**result.__dict__, "on_time_rate": result.on_time_rate}


@router.get(
    "/export",
    summary=doc(gettext_lazy("导出隐患台账（Excel）")),
    operation_id="hazards_export",
)
def export(request: HttpRequest) -> HttpResponse:
    user = require(request, HAZARD_VIEW)
    content = reports.register_workbook(selectors.register(user).order_by("-reported_at", "-pk"))
    response = HttpResponse(content, content_type=XLSX)
    name = f"hazards-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _matrix_out(config: RiskMatrix) -> dict[str, Any]:
    return {
        "site_id": config.site_id,
        "site_name": config.site.name,
        "method": config.method,
        "likelihood": list(config.likelihood),
        "severity": list(config.severity),
        "cells": [list(row) for row in config.cells],
        "stored": config.pk is not None,
        "updated_at": config.updated_at if config.pk is not None else None,
    }


@router.get(
    "/risk-matrix/{int:site_id}",
    response=RiskMatrixOut,
    summary=doc(gettext_lazy("场所的风险评估方法和风险矩阵")),
    description=doc(
        gettext_lazy("本场所内有隐患管理权限即可查看；未设置时为 LEC 法和默认的 5×5 矩阵（stored=false）。")
    ),
    operation_id="hazards_risk_matrix",
)
def get_risk_matrix(request: HttpRequest, site_id: int) -> dict[str, Any]:
    user = require(request, HAZARD_MANAGE)
    site = get_object_or_404(selectors.grading_sites(user), pk=site_id)
    return _matrix_out(selectors.risk_matrix(site))


@router.put(
    "/risk-matrix/{int:site_id}",
    response=RiskMatrixOut,
    summary=doc(gettext_lazy("设置场所的风险评估方法和风险矩阵")),
    description=doc(
        gettext_lazy(
            "须有全场所的隐患管理权限。L、S 各 3 ~ 10 级；cells 为 L 级数 × S 级数，每格红、橙、黄、蓝之一。"
            "已评估的隐患保留评估时的数值和颜色。"
        )
    ),
    operation_id="hazards_risk_matrix_set",
)
def put_risk_matrix(request: HttpRequest, site_id: int, payload: RiskMatrixIn) -> dict[str, Any]:
    user = require(request, HAZARD_MANAGE)
    site = get_object_or_404(selectors.grading_sites(user), pk=site_id)
    config = services.set_risk_matrix(
        user,
        site,
        method=payload.method,
        likelihood=payload.likelihood,
        severity=payload.severity,
        cells=payload.cells,
    )
    return _matrix_out(config)


# --- major-hazard determination standards (重大事故隐患判定标准) -----------------------------------
def _loader(request: HttpRequest) -> Any:
    user = require(request, HAZARD_MANAGE)
    if not selectors.may_load_criteria(user):
        raise PermissionDenied(_("只有全场所的隐患管理权限才能录入或修改重大事故隐患判定标准。"))
    return user


def _criteria_set(criteria_id: int) -> CriteriaSet:
    return get_object_or_404(selectors.criteria_sets(), pk=criteria_id)


@router.get(
    "/criteria",
    response=list[CriteriaSetOut],
    summary=doc(gettext_lazy("重大事故隐患判定标准")),
    description=doc(
        gettext_lazy(
            "各行业的判定标准及其条款，按施行日期分版本；date 只列出该日现行的。评估隐患的人员可查看。"
        )
    ),
    operation_id="hazards_criteria_list",
)
def list_criteria(request: HttpRequest, params: Query[CriteriaQuery]) -> list[CriteriaSet]:
    require(request, HAZARD_MANAGE)
    if params.date is not None:
        return selectors.criteria_in_force(params.date)
    return list(selectors.criteria_sets())


@router.get(
    "/criteria/{int:criteria_id}",
    response=CriteriaSetOut,
    summary=doc(gettext_lazy("判定标准详情")),
    operation_id="hazards_criteria_detail",
)
def get_criteria(request: HttpRequest, criteria_id: int) -> CriteriaSet:
    require(request, HAZARD_MANAGE)
    return _criteria_set(criteria_id)


@router.post(
    "/criteria",
    response={201: CriteriaSetOut},
    summary=doc(gettext_lazy("录入判定标准")),
    description=doc(
        gettext_lazy(
            "须有全场所的隐患管理权限。条款号不能重复；同一行业的有效期不能重叠（新版本施行前，请先给旧版本设置废止日期）。"
        )
    ),
    operation_id="hazards_criteria_create",
)
def create_criteria(request: HttpRequest, payload: CriteriaSetIn) -> Status[CriteriaSet]:
    user = _loader(request)
    created = services.create_criteria_set(
        user, **payload.dict(exclude={"items"}), items=[(i.number, i.text) for i in payload.items]
    )
    return Status(201, _criteria_set(created.pk))


@router.put(
    "/criteria/{int:criteria_id}",
    response=CriteriaSetOut,
    summary=doc(gettext_lazy("修改判定标准")),
    description=doc(
        gettext_lazy(
            "未被隐患引用时可修改全部内容（条款整体替换）；已被引用的只能设置废止日期，更正请录入新版本。"
        )
    ),
    operation_id="hazards_criteria_update",
)
def update_criteria(request: HttpRequest, criteria_id: int, payload: CriteriaSetIn) -> CriteriaSet:
    user = _loader(request)
    stored = _criteria_set(criteria_id)
    services.update_criteria_set(
        user, stored, **payload.dict(exclude={"items"}), items=[(i.number, i.text) for i in payload.items]
    )
    return _criteria_set(stored.pk)


@router.delete(
    "/criteria/{int:criteria_id}",
    response={204: None},
    summary=doc(gettext_lazy("删除判定标准")),
    description=doc(gettext_lazy("只能删除未被隐患引用的（误录入的）标准。")),
    operation_id="hazards_criteria_delete",
)
def delete_criteria(request: HttpRequest, criteria_id: int) -> Status[None]:
    user = _loader(request)
    services.delete_criteria_set(user, _criteria_set(criteria_id))
    return Status(204, None)


@router.get(
    "/{int:hazard_id}",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("隐患详情")),
    description=doc(gettext_lazy("含处理时间线、疑似重复、重大隐患治理方案和附件。")),
    operation_id="hazards_detail",
)
def detail(request: HttpRequest, hazard_id: int) -> Hazard:
    _require_any(request, HAZARD_REPORT, HAZARD_VIEW)
    _user, hazard = _hazard(request, hazard_id)
    return _detail(hazard)


# --- report ---------------------------------------------------------------------------------------
@router.post(
    "/",
    response={200: HazardDetailOut, 201: HazardDetailOut},
    summary=doc(gettext_lazy("上报隐患（随手拍）")),
    description=doc(
        gettext_lazy(
            "multipart 表单：区域 area_id 或设备 equipment_id / equipment_code（二维码），描述、类别、来源，"
            "files 为照片、语音、短视频。client_uid（手机生成的 UUID）相同的重复提交只保存一次，返回 200。"
        )
    ),
    operation_id="hazards_report",
    url_name="hazards_report",
)
def report(
    request: HttpRequest,
    description: Form[str] = "",
    area_id: Form[int | None] = None,
    equipment_id: Form[int | None] = None,
    equipment_code: Form[str] = "",
    category: Form[str] = HazardCategory.OTHER,
    source: Form[str] = HazardSource.DAILY,
    client_uid: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[Hazard]:
    user = require(request, HAZARD_REPORT)
    area = pick(selectors.reportable_areas(user), area_id, "area_id")
    equipment = pick(selectors.reportable_equipment(user), equipment_id, "equipment_id")
    if equipment is None and equipment_code.strip():
        found = list(selectors.reportable_equipment(user).filter(code=equipment_code.strip())[:2])
        if len(found) != 1:
            raise ValidationError({"equipment_code": [_("未找到该位号的设备，请从列表中选择。")]})
        equipment = found[0]
    hazard, created = services.report_hazard(
        user,
        description=description,
        area=area,
        equipment=equipment,
        category=category,
        source=source,
        files=list(files or []),
        client_uid=client_uid or None,
    )
    return Status(201 if created else 200, _detail(hazard))


@router.post(
    "/from-alarm",
    response={201: HazardDetailOut},
    summary=doc(gettext_lazy("由报警转为隐患")),
    description=doc(
        gettext_lazy("持续超过 24 小时的报警或振荡报警转为来源为“管控措施失效”的隐患，并与报警关联。")
    ),
    operation_id="hazards_from_alarm",
)
def from_alarm(request: HttpRequest, payload: FromAlarmIn) -> Status[Hazard]:
    user = require(request, HAZARD_REPORT)
    occurrence = pick(monitoring_selectors.occurrences(user), payload.occurrence_id, "occurrence_id")
    hazard = services.hazard_from_alarm(user, occurrence, description=payload.description)
    return Status(201, _detail(hazard))


# --- steps ----------------------------------------------------------------------------------------
@router.post(
    "/{int:hazard_id}/verify",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("核实隐患")),
    operation_id="hazards_verify",
)
def verify(request: HttpRequest, hazard_id: int, payload: NoteIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    return _detail(services.verify(user, hazard, payload.note))


@router.post(
    "/{int:hazard_id}/reject",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("驳回隐患（无效或重复）")),
    operation_id="hazards_reject",
)
def reject(request: HttpRequest, hazard_id: int, payload: RejectIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    duplicate_of = pick(selectors.hazards(user), payload.duplicate_of_id, "duplicate_of_id")
    return _detail(services.reject(user, hazard, payload.reason, duplicate_of))


@router.post(
    "/{int:hazard_id}/grade",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("评估分级")),
    description=doc(
        gettext_lazy(
            "按场所的评估方法：LEC 法填写 lec_l、lec_e、lec_c（D = L×E×C 决定风险颜色）；风险矩阵法填写"
            " ls_l、ls_s（R = L×S，颜色取矩阵中该格）。criteria 为引用的重大事故隐患判定标准条款 id（隐患"
            "发现之日现行的标准），引用任一条即为重大隐患。"
        )
    ),
    operation_id="hazards_grade",
)
def grade(request: HttpRequest, hazard_id: int, payload: GradeIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    return _detail(
        services.grade(
            user,
            hazard,
            grade=payload.grade or "",
            manage_type=payload.manage_type,
            lec_l=payload.lec_l,
            lec_e=payload.lec_e,
            lec_c=payload.lec_c,
            ls_l=payload.ls_l,
            ls_s=payload.ls_s,
            criteria=payload.criteria,
            note=payload.note,
        )
    )


@router.post(
    "/{int:hazard_id}/plan",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("提交重大隐患治理方案")),
    operation_id="hazards_plan",
)
def plan(request: HttpRequest, hazard_id: int, payload: PlanIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    services.submit_plan(user, hazard, **payload.dict())
    return _detail(hazard)


@router.post(
    "/{int:hazard_id}/plan/approve",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("审批重大隐患治理方案")),
    operation_id="hazards_plan_approve",
)
def approve_plan(request: HttpRequest, hazard_id: int, payload: NoteIn) -> Hazard:
    require(request, HAZARD_APPROVE_MAJOR)
    user, hazard = _hazard(request, hazard_id)
    services.approve_plan(user, hazard, payload.note)
    return _detail(hazard)


@router.post(
    "/{int:hazard_id}/assign",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("安排整改")),
    operation_id="hazards_assign",
)
def assign(request: HttpRequest, hazard_id: int, payload: AssignIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    people = User.objects.filter(is_active=True, assignments__enterprise_id=hazard.site.enterprise_id)
    responsible = pick(people.distinct(), payload.responsible_id, "responsible_id")
    return _detail(
        services.assign(
            user,
            hazard,
            responsible=responsible,
            measures=payload.measures,
            funds=payload.funds,
            deadline=payload.deadline,
        )
    )


@router.post(
    "/{int:hazard_id}/rectify",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("提交整改结果")),
    description=doc(
        gettext_lazy(
            "multipart 表单：整改说明 note 和整改后的照片 files（至少一张）；只有整改责任人可以提交。"
        )
    ),
    operation_id="hazards_rectify",
)
def rectify(
    request: HttpRequest,
    hazard_id: int,
    note: Form[str] = "",
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Hazard:
    user, hazard = _hazard(request, hazard_id)
    return _detail(services.rectify(user, hazard, note=note, files=list(files or [])))


@router.post(
    "/{int:hazard_id}/accept",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("验收整改")),
    description=doc(gettext_lazy("passed=false 时退回整改，须说明原因；整改人不能验收自己的整改。")),
    operation_id="hazards_accept",
)
def accept(request: HttpRequest, hazard_id: int, payload: AcceptIn) -> Hazard:
    require(request, HAZARD_ACCEPT)
    user, hazard = _hazard(request, hazard_id)
    return _detail(services.accept(user, hazard, passed=payload.passed, note=payload.note))


@router.post(
    "/{int:hazard_id}/close",
    response=HazardDetailOut,
    summary=doc(gettext_lazy("销号")),
    operation_id="hazards_close",
)
def close(request: HttpRequest, hazard_id: int, payload: NoteIn) -> Hazard:
    require(request, HAZARD_MANAGE)
    user, hazard = _hazard(request, hazard_id)
    return _detail(services.close(user, hazard, payload.note))
