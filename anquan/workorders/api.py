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
from anquan.workorders import selectors, services, sla
from anquan.workorders.choices import DispatchRule, OriginKind, Priority, State, StepKind
from anquan.workorders.models import WorkOrder, WorkOrderStep

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
