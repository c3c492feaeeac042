"""The work-orders REST API (mounted at /api/v1/workorders). Reads through ``selectors``, writes
through ``services``.

Every signed-in person may list and read the orders they see (their own always; more with
``workorders.view``) and act on the ones assigned to them; creating by hand, verifying, rejecting,
reassigning and cancelling need ``workorders.manage`` (403 without it anywhere). An order the caller
cannot see is a 404; a record named in a body that the caller cannot see is a 400 field error.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anquan.org.api import Id, doc, pick, require, viewer
from anquan.org.models import User
from anquan.org.roles import WORKORDER_MANAGE
from anquan.plant import selectors as plant_selectors
from anquan.platform.api import Page
from anquan.workorders import roster, selectors, services, sla
from anquan.workorders.choices import DispatchRule, OriginKind, Priority, State, StepKind
from anquan.workorders.models import Shift, ShiftPattern, WorkOrder, WorkOrderStep

router = Router(tags=["workorders"])

# Service errors name model fields; the API names the ids it takes.
FIELD_NAMES = {"assignee": "assignee_id", "area": "area_id", "equipment": "equipment_id", "site": "site_id"}


def _renamed(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({FIELD_NAMES.get(k, k): v for k, v in exc.error_dict.items()})


class StepOut(Schema):
    kind: StepKind
    at: dt.datetime
    actor_id: int | None
    actor_name: str | None
    from_state: str
    to_state: State
    note: str
    assignee_id: int | None
    evidence: list[int]
    level: int | None

    @staticmethod
    def resolve_actor_name(obj: WorkOrderStep) -> str | None:
        return str(obj.actor) if obj.actor_id and obj.actor else None


class WorkOrderOut(Schema):
    id: int
    number: str
    site_id: int
    area_id: int | None
    equipment_id: int | None
    title: str
    description: str
    priority: Priority
    state: State
    origin_kind: OriginKind
    origin_id: int | None
    origin_label: str
    origin_url: str
    assignee_id: int | None
    assignee_name: str | None
    dispatch_rule: DispatchRule
    dispatch_basis: str
    created_by_id: int | None
    created_at: dt.datetime
    accept_due_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    accepted_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    completed_by_id: int | None
    completion_note: str
    verified_at: dt.datetime | None
    verified_by_id: int | None
    reject_reason: str
    rework_count: int
    cancel_reason: str
    escalation_level: int

    @staticmethod
    def resolve_assignee_name(obj: WorkOrder) -> str | None:
        return str(obj.assignee) if obj.assignee_id and obj.assignee else None

    @staticmethod
    def resolve_overdue(obj: WorkOrder) -> bool:
        return sla.is_overdue(obj.state, obj.accept_due_at, obj.due_at, timezone.now())


class WorkOrderDetailOut(WorkOrderOut):
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj: WorkOrder) -> list[WorkOrderStep]:
        return list(selectors.steps(obj))


class Filters(Schema):
    state: State | None = None
    priority: Priority | None = None
    mine: bool = False  # only the orders assigned to me
    overdue: bool = False
    site: Id | None = None


class CreateIn(Schema):
    area_id: Id | None = None
    equipment_id: Id | None = None
    site_id: Id | None = None  # an order for a whole site (no area)
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=2000)
    priority: Priority = Priority.MEDIUM
    assignee_id: Id | None = None  # none: the dispatch rules choose


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class ReassignIn(Schema):
    assignee_id: Id
    note: str = Field("", max_length=2000)


# --- the roster (排班): shifts and recurring patterns -----------------------------------------------
# Same permission as the roster page: workorders.manage reaching the team (403 without it anywhere;
# a team or shift out of reach is a 400 field error in a body, a 404 in the path).
SHIFT_FIELDS = {"team": "team_id", "user": "user_id", "people": "people_ids", "duration": "hours"}


def _shift_fields(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({SHIFT_FIELDS.get(k, k): v for k, v in exc.error_dict.items()})


class ShiftOut(Schema):
    id: int
    team_id: int
    team_name: str
    user_id: int
    user_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    pattern_id: int | None
    created_by_id: int | None

    @staticmethod
    def resolve_team_name(obj: Shift) -> str:
        return obj.team.name

    @staticmethod
    def resolve_user_name(obj: Shift) -> str:
        return str(obj.user)


class ShiftFilters(Schema):
    team: Id | None = None
    user: Id | None = None
    start: dt.datetime | None = Field(None, alias="from")  # shifts ending after this
    end: dt.datetime | None = Field(None, alias="to")  # shifts starting before this


class ShiftIn(Schema):
    team_id: Id
    user_id: Id
    starts_at: dt.datetime
    ends_at: dt.datetime


class PatternIn(Schema):
    team_id: Id
    people_ids: list[Id] = Field(..., min_length=1, max_length=50)  # the rotation, in order
    start_time: dt.time
    hours: float = Field(..., gt=0, le=24)
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4, 5, 6], max_length=7)  # 0 = Monday
    first_day: dt.date
    last_day: dt.date


class PatternOut(Schema):
    id: int
    team_id: int
    people_ids: list[int]
    start_time: dt.time
    hours: float
    weekdays: list[int]
    first_day: dt.date
    last_day: dt.date
    shifts: list[ShiftOut]

    @staticmethod
    def resolve_people_ids(obj: ShiftPattern) -> list[int]:
        return list(obj.rotation)

    @staticmethod
    def resolve_hours(obj: ShiftPattern) -> float:
        return obj.duration_minutes / 60

    @staticmethod
    def resolve_shifts(obj: ShiftPattern) -> list[Shift]:
        return list(obj.shifts.select_related("team", "user").order_by("starts_at", "pk"))


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and timezone.is_naive(value):
        raise ValidationError({field: [_("时间须带时区（如 2026-12-01T08:00:00+08:00）。")]})
    return value


@router.get(
    "/shifts",
    response=list[ShiftOut],
    summary=doc(gettext_lazy("排班列表")),
    description=doc(
        gettext_lazy(
            "可排班的班组的班次，按开始时间排序。team、user 按班组、人员筛选；from、to 取与该时段重叠的"
            "班次（默认从现在起）。需要工单管理权限。"
        )
    ),
    operation_id="workorders_shifts_list",
)
@paginate(Page)
def list_shifts(request: HttpRequest, filters: Query[ShiftFilters]) -> QuerySet[Shift]:
    user = require(request, WORKORDER_MANAGE)
    start = _aware(filters.start, "from") or timezone.now()
    end = _aware(filters.end, "to") or dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    if end <= start:
        raise ValidationError({"to": [_("结束时间必须晚于开始时间。")]})
    qs = roster.shifts(user, start, end)
    if filters.team is not None:
        qs = qs.filter(team_id=filters.team)
    if filters.user is not None:
        qs = qs.filter(user_id=filters.user)
    return qs.order_by("starts_at", "pk")


@router.post(
    "/shifts",
    response={201: ShiftOut},
    summary=doc(gettext_lazy("添加班次")),
    description=doc(
        gettext_lazy("为班组成员排一个班次（最长 24 小时，同一人的班次不能重叠）。需要工单管理权限。")
    ),
    operation_id="workorders_shifts_create",
)
def create_shift(request: HttpRequest, payload: ShiftIn) -> Status[Shift]:
    user = require(request, WORKORDER_MANAGE)
    team = pick(roster.plannable_teams(user), payload.team_id, "team_id")
    person = User.objects.filter(pk=payload.user_id).first()
    if person is None:
        raise ValidationError({"user_id": [_("未找到该记录，或您无权访问。")]})
    try:
        shift = roster.plan_shift(
            user,
            team=team,
            user=person,
            starts_at=_aware(payload.starts_at, "starts_at"),  # type: ignore[arg-type]
            ends_at=_aware(payload.ends_at, "ends_at"),  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        raise _shift_fields(exc) from exc
    return Status(
        201, Shift.objects.select_related("team", "user").get(pk=shift.pk)
    )  # times in UTC, as listed


@router.delete(
    "/shifts/{shift_id}",
    response={204: None},
    summary=doc(gettext_lazy("取消班次")),
    description=doc(gettext_lazy("取消尚未结束的班次（已结束的保留为当班记录）。需要工单管理权限。")),
    operation_id="workorders_shifts_cancel",
)
def cancel_shift(request: HttpRequest, shift_id: int) -> Status[None]:
    user = require(request, WORKORDER_MANAGE)
    shift = get_object_or_404(Shift.objects.filter(team__in=roster.plannable_teams(user)), pk=shift_id)
    roster.cancel_shift(user, shift)
    return Status(204, None)


@router.post(
    "/shift-patterns",
    response={201: PatternOut},
    summary=doc(gettext_lazy("循环排班")),
    description=doc(
        gettext_lazy(
            "一次排出一段时间（最多 92 天）的班次：每个所选星期几（0 = 周一）从 start_time 起 hours 小时"
            "（可跨零点），people_ids 中的人员按顺序轮流当班。任一班次与已有班次重叠则全部不排。"
            "需要工单管理权限。"
        )
    ),
    operation_id="workorders_shift_patterns_create",
)
def create_pattern(request: HttpRequest, payload: PatternIn) -> Status[ShiftPattern]:
    user = require(request, WORKORDER_MANAGE)
    team = pick(roster.plannable_teams(user), payload.team_id, "team_id")
    found = {u.pk: u for u in User.objects.filter(pk__in=payload.people_ids)}
    missing = [pk for pk in payload.people_ids if pk not in found]
    if missing:
        raise ValidationError({"people_ids": [_("未找到该记录，或您无权访问。")]})
    try:
        pattern = roster.plan_pattern(
            user,
            team=team,
            people=[found[pk] for pk in payload.people_ids],
            start_time=payload.start_time,
            duration=dt.timedelta(minutes=round(payload.hours * 60)),
            weekdays=payload.weekdays,
            first_day=payload.first_day,
            last_day=payload.last_day,
        )
    except ValidationError as exc:
        raise _shift_fields(exc) from exc
    return Status(201, pattern)


# --- work orders ---------------------------------------------------------------------------------------
# (after the roster: "/{order_id}" would otherwise take "/shifts")
def _order(request: HttpRequest, order_id: int) -> tuple[Any, WorkOrder]:
    user = viewer(request)
    return user, get_object_or_404(selectors.work_orders(user), pk=order_id)


@router.get(
    "/",
    response=list[WorkOrderOut],
    summary=doc(gettext_lazy("工单列表")),
    description=doc(
        gettext_lazy("未完成的在前（期限近的在前）。mine=true 只列派给我的；overdue=true 只列已超期的。")
    ),
    operation_id="workorders_list",
)
@paginate(Page)
def list_orders(request: HttpRequest, filters: Query[Filters]) -> QuerySet[WorkOrder]:
    user = viewer(request)
    qs = selectors.filtered(
        user,
        selectors.Filters(
            state=filters.state,
            priority=filters.priority,
            mine=filters.mine,
            overdue=filters.overdue,
            site_id=filters.site,
        ),
    )
    return selectors.worklist(qs)


@router.get(
    "/{order_id}",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("工单详情")),
    description=doc(gettext_lazy("含完整的处理记录（时间线）。")),
    operation_id="workorders_detail",
)
def get_order(request: HttpRequest, order_id: int) -> WorkOrder:
    return _order(request, order_id)[1]


@router.post(
    "/",
    response={201: WorkOrderDetailOut},
    summary=doc(gettext_lazy("手工创建工单")),
    description=doc(
        gettext_lazy("指定区域或设备（或整个场所）；不指定处理人时按派单规则派单。需要工单管理权限。")
    ),
    operation_id="workorders_create",
)
def create(request: HttpRequest, payload: CreateIn) -> Status[WorkOrder]:
    user = require(request, WORKORDER_MANAGE)
    equipment = pick(plant_selectors.equipment(user, WORKORDER_MANAGE), payload.equipment_id, "equipment_id")
    area = pick(plant_selectors.areas(user, WORKORDER_MANAGE), payload.area_id, "area_id")
    site = pick(plant_selectors.sites(user, WORKORDER_MANAGE), payload.site_id, "site_id")
    if equipment is not None and area is None:
        area = equipment.area
    if area is not None:
        if site is not None and site.pk != area.site_id:
            raise ValidationError({"area_id": [_("区域必须属于所选场所。")]})
        site = area.site
    if site is None:
        raise ValidationError({"area_id": [_("请选择区域或设备。")]})
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assignee_id": [_("未找到该记录，或您无权访问。")]})
    try:
        order = services.open_work_order(
            user,
            site=site,
            area=area,
            equipment=equipment,
            title=payload.title,
            description=payload.description,
            priority=payload.priority,
            origin_kind=OriginKind.MANUAL,
            assignee=assignee,
        )
    except ValidationError as exc:
        raise _renamed(exc) from exc
    return Status(201, selectors.work_orders(user).get(pk=order.pk))


def _after(user: Any, order: WorkOrder) -> WorkOrder:
    """The order as the caller now sees it (a step may take it out of their view: then as it is)."""
    found = selectors.work_orders(user).filter(pk=order.pk).first()
    return found if found is not None else order


@router.post(
    "/{order_id}/accept",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("接单")),
    description=doc(gettext_lazy("处理人接单（待接单 → 已接单）。")),
    operation_id="workorders_accept",
)
def accept(request: HttpRequest, order_id: int) -> WorkOrder:
    user, order = _order(request, order_id)
    return _after(user, services.accept(user, order))


@router.post(
    "/{order_id}/start",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("开始处理")),
    description=doc(gettext_lazy("处理人开始处理（已接单 → 处理中）。")),
    operation_id="workorders_start",
)
def start(request: HttpRequest, order_id: int) -> WorkOrder:
    user, order = _order(request, order_id)
    return _after(user, services.start(user, order))


@router.post(
    "/{order_id}/complete",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("完成工单")),
    description=doc(
        gettext_lazy(
            "multipart 表单：note（处理说明，必填），files（现场照片或文件，可多个），"
            "evidence（本工单已有附件的 ID，可多个）；凭证至少一个。"
        )
    ),
    operation_id="workorders_complete",
)
def complete(
    request: HttpRequest,
    order_id: int,
    note: Form[str] = "",
    evidence: Form[list[int]] = None,  # type: ignore[assignment]
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> WorkOrder:
    user, order = _order(request, order_id)
    items: list[Any] = [*(files or []), *(evidence or [])]
    return _after(user, services.complete(user, order, note, items))


@router.post(
    "/{order_id}/verify",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("验收工单")),
    description=doc(gettext_lazy("已完成 → 已验收；完成人本人不能验收。")),
    operation_id="workorders_verify",
)
def verify(request: HttpRequest, order_id: int, payload: NoteIn) -> WorkOrder:
    user = require(request, WORKORDER_MANAGE)
    order = get_object_or_404(selectors.work_orders(user), pk=order_id)
    return _after(user, services.verify(user, order, payload.note))


@router.post(
    "/{order_id}/reject",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("驳回工单")),
    description=doc(gettext_lazy("验收不通过，须填写原因；工单回到“处理中”由处理人返工。")),
    operation_id="workorders_reject",
)
def reject(request: HttpRequest, order_id: int, payload: ReasonIn) -> WorkOrder:
    user = require(request, WORKORDER_MANAGE)
    order = get_object_or_404(selectors.work_orders(user), pk=order_id)
    return _after(user, services.reject_work(user, order, payload.reason))


@router.post(
    "/{order_id}/reassign",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("改派工单")),
    description=doc(gettext_lazy("改派给本场所的另一位人员；工单回到“待接单”，接单期限重新计算。")),
    operation_id="workorders_reassign",
)
def reassign(request: HttpRequest, order_id: int, payload: ReassignIn) -> WorkOrder:
    user = require(request, WORKORDER_MANAGE)
    order = get_object_or_404(selectors.work_orders(user), pk=order_id)
    target = User.objects.filter(pk=payload.assignee_id, is_active=True).first()
    if target is None:
        raise ValidationError({"assignee_id": [_("未找到该记录，或您无权访问。")]})
    try:
        return _after(user, services.reassign(user, order, target, payload.note))
    except ValidationError as exc:
        raise _renamed(exc) from exc


@router.post(
    "/{order_id}/cancel",
    response=WorkOrderDetailOut,
    summary=doc(gettext_lazy("取消工单")),
    description=doc(gettext_lazy("取消未完成的工单，须填写原因。")),
    operation_id="workorders_cancel",
)
def cancel(request: HttpRequest, order_id: int, payload: ReasonIn) -> WorkOrder:
    user = require(request, WORKORDER_MANAGE)
    order = get_object_or_404(selectors.work_orders(user), pk=order_id)
    return _after(user, services.cancel(user, order, payload.reason))
