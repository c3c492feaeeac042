"""Writes of work orders: open (dispatch inside), accept, start, complete with evidence, verify,
reject the work, reassign, cancel; and the SLA escalation the periodic job runs.

Public API for the domains that create orders (monitoring, early warning, hazards, inspections)::

    open_work_order(actor, *, site, area=None, equipment=None, title, description="", priority,
                    origin_kind, origin_id=None, origin_label="", origin_url="", assignee=None,
                    watchers=()) -> WorkOrder

``actor`` None is the system (no permission check); a person needs ``workorders.manage`` at the
place. Only the assignee accepts, starts and completes; ``workorders.manage`` at the order's place
verifies or rejects the work (never the person who completed it), reassigns and cancels.

Each use case owns its transaction, locks the order, checks the state, writes a timeline step and an
audit entry, and publishes ``WorkOrderOpened`` / ``WorkOrderChanged`` / ``WorkOrderEscalated`` after
commit. Bad input raises ValidationError with field errors; a refused person PermissionDenied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.org.access import Access, Place, place_of_area, place_of_site
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import Area, RoleAssignment, Site, User
from anquan.org.roles import WORKORDER_MANAGE
from anquan.plant.models import Equipment
from anquan.platform import audit
from anquan.platform.attachments import services as attachments
from anquan.platform.attachments.models import Attachment
from anquan.platform.events import publish
from anquan.platform.models import AuditAction
from anquan.workorders import dispatch, sla
from anquan.workorders.choices import (
    ACTIVE_STATES,
    DispatchRule,
    OriginKind,
    Priority,
    State,
    StepKind,
)
from anquan.workorders.events import WorkOrderChanged, WorkOrderEscalated, WorkOrderOpened
from anquan.workorders.models import NumberSequence, WorkOrder, WorkOrderStep

MAX_TITLE = 200
MAX_TEXT = 2000  # description, notes and reasons
MAX_EVIDENCE = 10  # files and attachments named at completion


# --- helpers ------------------------------------------------------------------------------------
def place(order: WorkOrder) -> Place:
    """Where the order sits, for permission checks (its area, or its site when it has none)."""
    return place_of_area(order.area) if order.area_id and order.area else place_of_site(order.site)


def may_manage(user: Any, order: WorkOrder) -> bool:
    return user is not None and Access.of(user).covers(WORKORDER_MANAGE, place(order))


def is_assignee(user: Any, order: WorkOrder) -> bool:
    return user is not None and getattr(user, "pk", None) is not None and order.assignee_id == user.pk


def _person(actor: Any) -> User | None:
    return actor if getattr(actor, "pk", None) else None


def _text(value: Any, field: str, *, required: str | None = None, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [required]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def _wrong_state(order: WorkOrder, action: str) -> ValidationError:
    return ValidationError(
        {
            "state": [
                _("该工单当前为“%(state)s”，不能%(action)s。")
                % {"state": State(order.state).label, "action": action}
            ]
        }
    )


def _lock(order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("site", "area__site", "equipment", "assignee")
        .get(pk=order.pk)
    )


def _next_number(site: Site, now: dt.datetime) -> str:
    """WO-<local date>-<4 digits>, counted per site and day (unique per site)."""
    day = timezone.localdate(now)
    for _attempt in range(5):
        if NumberSequence.objects.filter(site=site, day=day).update(last=F("last") + 1):
            last = NumberSequence.objects.get(site=site, day=day).last
        else:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(site=site, day=day, last=1)
            except IntegrityError:  # another writer created the day's row first: count on it
                continue
            last = 1
        return f"WO-{day:%Y%m%d}-{last:04d}"
    raise RuntimeError("could not allocate a work-order number")


def _step(
    order: WorkOrder,
    kind: str,
    actor: Any,
    before: str,
    *,
    now: dt.datetime,
    note: str = "",
    evidence: Sequence[int] = (),
    level: int | None = None,
) -> WorkOrderStep:
    """The timeline line and its audit entry."""
    step = WorkOrderStep.objects.create(
        work_order=order,
        kind=kind,
        at=now,
        actor=_person(actor),
        from_state=before,
        to_state=order.state,
        note=note,
        assignee_id=order.assignee_id,
        evidence=list(evidence),
        level=level,
    )
    changes: dict[str, Any] = {"step": kind, "state": [before, order.state], "assignee": order.assignee_id}
    if note:
        changes["note"] = note
    if evidence:
        changes["evidence"] = list(evidence)
    if level is not None:
        changes["escalation_level"] = level
    audit.record(actor, AuditAction.TRANSITION, order, changes)
    return step


def _changed(order: WorkOrder, before: str, step: str, actor: Any) -> None:
    publish(
        WorkOrderChanged(
            work_order_id=order.pk,
            site_id=order.site_id,
            state=order.state,
            previous_state=before,
            step=step,
            origin_kind=order.origin_kind,
            origin_id=order.origin_id,
            assignee_id=order.assignee_id,
            actor_id=getattr(actor, "pk", None),
        )
    )


def _check_assignable(user: Any, site: Site, field: str = "assignee") -> User:
    """An active person holding a role in ``site`` (or enterprise-wide over it)."""
    if not isinstance(user, User) or not user.is_active:
        raise ValidationError({field: [_("请选择一位在职人员。")]})
    in_site = Q(site_id=site.pk) | Q(level=ScopeLevel.ENTERPRISE, enterprise_id=site.enterprise_id)
    holds = RoleAssignment.objects.filter(in_site, user=user).exists()
    if not holds and not user.is_superuser:
        raise ValidationError(
            {field: [_("%(name)s 不在本场所任职，不能处理本场所的工单。") % {"name": user}]}
        )
    return user


# --- open -----------------------------------------------------------------------------------------
def open_work_order(
    actor: Any,
    *,
    site: Site,
    area: Area | None = None,
    equipment: Equipment | None = None,
    title: str,
    description: str = "",
    priority: str,
    origin_kind: str,
    origin_id: int | None = None,
    origin_label: str = "",
    origin_url: str = "",
    assignee: User | None = None,
    watchers: Iterable[User] = (),
    now: dt.datetime | None = None,
) -> WorkOrder:
    """Open a work order and dispatch it.

    ``area`` defaults to the equipment's area; ``origin_*`` link it back to where it came from
    (``origin_id`` is required unless the origin is manual; ``origin_url`` is a local path such as
    ``/monitoring/occurrences/12/``). ``assignee`` given: assigned by hand (派单依据 人工指派);
    otherwise the dispatch rules choose (``dispatch.RULES``), and an order nobody could be found
    for stays open without an assignee. ``watchers`` (e.g. a hazard's reporter) are told when the
    work is done, verified or rejected. The SLA of ``priority`` sets both deadlines.
    """
    errors: dict[str, list[str]] = {}
    clean_title = str(title or "").strip()
    if not clean_title:
        errors["title"] = [_("请填写工单标题。")]
    elif len(clean_title) > MAX_TITLE:
        errors["title"] = [_("不能超过 %(n)d 个字。") % {"n": MAX_TITLE}]
    clean_description = str(description or "").strip()
    if len(clean_description) > MAX_TEXT:
        errors["description"] = [_("不能超过 %(n)d 个字。") % {"n": MAX_TEXT}]
    if priority not in Priority.values:
        errors["priority"] = [_("请选择优先级。")]
    if origin_kind not in OriginKind.values:
        errors["origin_kind"] = [_("未知的工单来源。")]
    elif origin_kind == OriginKind.MANUAL and origin_id is not None:
        errors["origin_id"] = [_("手工创建的工单没有来源记录。")]
    elif origin_kind != OriginKind.MANUAL and (
        isinstance(origin_id, bool) or not isinstance(origin_id, int) or origin_id < 1
    ):
        errors["origin_id"] = [_("请指明来源记录。")]
    clean_label = str(origin_label or "").strip()
    if len(clean_label) > 200:
        errors["origin_label"] = [_("不能超过 %(n)d 个字。") % {"n": 200}]
    clean_url = str(origin_url or "").strip()
    if clean_url and (not clean_url.startswith("/") or clean_url.startswith("//") or len(clean_url) > 500):
        errors["origin_url"] = [_("来源链接必须是本站的路径（以 / 开头）。")]
    if equipment is not None:
        if area is None:
            area = equipment.area
        elif equipment.area_id != area.pk:
            errors["equipment"] = [_("设备必须位于所选区域。")]
    if area is not None and area.site_id != site.pk:
        errors["area"] = [_("区域必须属于所选场所。")]
    if errors:
        raise ValidationError(errors)
    where = place_of_area(area) if area is not None else place_of_site(site)
    if actor is not None:
        Access.of(actor).require(WORKORDER_MANAGE, where)
    if assignee is not None:
        _check_assignable(assignee, site)
    watcher_list = [w for w in watchers if isinstance(w, User) and w.is_active]
    now = now or timezone.now()

    if assignee is not None:
        fields: dict[str, Any] = {
            "assignee": assignee,
            "dispatch_rule": DispatchRule.MANUAL,
            "dispatch_basis": _("由 %(name)s 指派") % {"name": actor or _("系统")},
        }
    else:
        fields = dispatch.describe(
            dispatch.dispatch(dispatch.place_of(site=site, area=area, equipment=equipment))
        )

    with transaction.atomic():
        order = WorkOrder.objects.create(
            site=site,
            area=area,
            equipment=equipment,
            number=_next_number(site, now),
            title=clean_title,
            description=clean_description,
            priority=priority,
            state=State.OPEN,
            origin_kind=origin_kind,
            origin_id=origin_id,
            origin_label=clean_label,
            origin_url=clean_url,
            created_by=_person(actor),
            accept_due_at=sla.accept_due(priority, now),
            due_at=sla.complete_due(priority, now),
            **fields,
        )
        if watcher_list:
            order.watchers.set(watcher_list)
        audit.record_create(actor, order)
        note = _("派单依据：%(basis)s") % {"basis": order.dispatch_basis}
        WorkOrderStep.objects.create(
            work_order=order,
            kind=StepKind.OPENED,
            at=now,
            actor=_person(actor),
            from_state="",
            to_state=State.OPEN,
            note=note,
            assignee_id=order.assignee_id,
        )
        publish(
            WorkOrderOpened(
                work_order_id=order.pk,
                site_id=site.pk,
                area_id=area.pk if area is not None else None,
                state=order.state,
                origin_kind=order.origin_kind,
                origin_id=order.origin_id,
                assignee_id=order.assignee_id,
                actor_id=getattr(actor, "pk", None),
            )
        )
    return order


# --- the assignee's steps -----------------------------------------------------------------------
def _require_assignee(actor: Any, order: WorkOrder, action: str) -> None:
    if not is_assignee(actor, order):
        raise PermissionDenied(_("只有该工单的处理人可以%(action)s。") % {"action": action})


def accept(actor: Any, order: WorkOrder, *, now: dt.datetime | None = None) -> WorkOrder:
    """The assignee takes the order on (待接单 → 已接单)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock(order)
        _require_assignee(actor, order, _("接单"))
        if order.state != State.OPEN:
            raise _wrong_state(order, _("接单"))
        before = order.state
        order.state, order.accepted_at = State.ACCEPTED, now
        order.save(update_fields=["state", "accepted_at", "updated_at"])
        _step(order, StepKind.ACCEPTED, actor, before, now=now)
        _changed(order, before, StepKind.ACCEPTED, actor)
    return order


def start(actor: Any, order: WorkOrder, *, now: dt.datetime | None = None) -> WorkOrder:
    """The assignee starts the work (已接单 → 处理中)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock(order)
        _require_assignee(actor, order, _("开始处理"))
        if order.state != State.ACCEPTED:
            raise _wrong_state(order, _("开始处理"))
        before = order.state
        order.state, order.started_at = State.IN_PROGRESS, now
        order.save(update_fields=["state", "started_at", "updated_at"])
        _step(order, StepKind.STARTED, actor, before, now=now)
        _changed(order, before, StepKind.STARTED, actor)
    return order


def _split_evidence(order: WorkOrder, evidence: Iterable[Any]) -> tuple[list[Any], list[int]]:
    files: list[Any] = []
    ids: list[int] = []
    for item in evidence or ():
        if isinstance(item, Attachment):
            item = item.pk
        if isinstance(item, int) and not isinstance(item, bool):
            if item not in ids:
                ids.append(item)
        elif hasattr(item, "read"):
            files.append(item)
        else:
            raise ValidationError({"evidence": [_("凭证必须是上传的文件或本工单的附件。")]})
    if len(files) + len(ids) > MAX_EVIDENCE:
        raise ValidationError({"evidence": [_("凭证最多 %(n)d 个。") % {"n": MAX_EVIDENCE}]})
    if ids:
        owned = set(
            Attachment.objects.filter(
                owner_type=ContentType.objects.get_for_model(WorkOrder), owner_id=order.pk, pk__in=ids
            ).values_list("pk", flat=True)
        )
        if owned != set(ids):
            raise ValidationError({"evidence": [_("凭证附件必须属于本工单。")]})
    return files, ids


def complete(
    actor: Any,
    order: WorkOrder,
    note: str,
    evidence: Iterable[Any] = (),
    *,
    now: dt.datetime | None = None,
) -> WorkOrder:
    """The assignee reports the work done (处理中 → 已完成) with a note and evidence: at least one
    uploaded file (photo, video, recording, PDF) or attachment of this order, by id."""
    now = now or timezone.now()
    _require_assignee(actor, order, _("完成工单"))
    clean_note = _text(note, "note", required=_("请填写处理说明。"))
    files, ids = _split_evidence(order, evidence)
    if not files and not ids:
        raise ValidationError({"evidence": [_("请上传至少一张现场照片或文件作为完成凭证。")]})
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            order = _lock(order)
            _require_assignee(actor, order, _("完成工单"))
            if order.state != State.IN_PROGRESS:
                raise _wrong_state(order, _("完成"))
            for upload in files:
                try:
                    stored.append(attachments.store_upload(actor, order, upload, _("完成凭证")))
                except ValidationError as exc:
                    raise ValidationError({"evidence": exc.messages}) from exc
            before = order.state
            order.state, order.completed_at, order.completed_by = State.DONE, now, _person(actor)
            order.completion_note = clean_note
            order.save(
                update_fields=["state", "completed_at", "completed_by", "completion_note", "updated_at"]
            )
            _step(
                order,
                StepKind.COMPLETED,
                actor,
                before,
                now=now,
                note=clean_note,
                evidence=ids + [a.pk for a in stored],
            )
            _changed(order, before, StepKind.COMPLETED, actor)
    except BaseException:
        for attachment in stored:  # rolled back: the stored files must not stay behind
            for name in (attachment.file.name, attachment.thumbnail.name):
                if name:
                    attachment.file.storage.delete(name)
        raise
    return order


# --- the manager's steps --------------------------------------------------------------------------
def _require_manager(actor: Any, order: WorkOrder) -> None:
    if actor is not None:
        Access.of(actor).require(WORKORDER_MANAGE, place(order))


def _require_not_completer(actor: Any, order: WorkOrder) -> None:
    if actor is not None and order.completed_by_id is not None and order.completed_by_id == actor.pk:
        raise PermissionDenied(_("不能验收自己完成的工单。"))


def verify(actor: Any, order: WorkOrder, note: str = "", *, now: dt.datetime | None = None) -> WorkOrder:
    """Accept the work (已完成 → 已验收): ``workorders.manage`` at the place, not the completer."""
    now = now or timezone.now()
    clean_note = _text(note, "note")
    with transaction.atomic():
        order = _lock(order)
        _require_manager(actor, order)
        _require_not_completer(actor, order)
        if order.state != State.DONE:
            raise _wrong_state(order, _("验收"))
        before = order.state
        order.state, order.verified_at, order.verified_by = State.VERIFIED, now, _person(actor)
        order.save(update_fields=["state", "verified_at", "verified_by", "updated_at"])
        _step(order, StepKind.VERIFIED, actor, before, now=now, note=clean_note)
        _changed(order, before, StepKind.VERIFIED, actor)
    return order


def reject_work(actor: Any, order: WorkOrder, reason: str, *, now: dt.datetime | None = None) -> WorkOrder:
    """Send the work back (已完成 → 处理中) with a reason: the assignee reworks it."""
    now = now or timezone.now()
    clean = _text(reason, "reason", required=_("请填写驳回原因。"))
    with transaction.atomic():
        order = _lock(order)
        _require_manager(actor, order)
        _require_not_completer(actor, order)
        if order.state != State.DONE:
            raise _wrong_state(order, _("驳回"))
        before = order.state
        order.state, order.reject_reason = State.IN_PROGRESS, clean
        order.rework_count += 1
        order.completed_at, order.completed_by = None, None
        order.save(
            update_fields=[
                "state",
                "reject_reason",
                "rework_count",
                "completed_at",
                "completed_by",
                "updated_at",
            ]
        )
        _step(order, StepKind.REJECTED, actor, before, now=now, note=clean)
        _changed(order, before, StepKind.REJECTED, actor)
    return order


def reassign(
    actor: Any, order: WorkOrder, user: User, note: str = "", *, now: dt.datetime | None = None
) -> WorkOrder:
    """Give an unfinished order to someone else; it waits for them to accept it (→ 待接单), with a
    fresh acceptance deadline (the completion deadline stays)."""
    now = now or timezone.now()
    clean_note = _text(note, "note")
    with transaction.atomic():
        order = _lock(order)
        _require_manager(actor, order)
        if order.state not in ACTIVE_STATES:
            raise _wrong_state(order, _("改派"))
        _check_assignable(user, order.site)
        if order.assignee_id == user.pk:
            raise ValidationError({"assignee": [_("该工单已由 %(name)s 处理。") % {"name": user}]})
        before = order.state
        previous = order.assignee
        order.assignee = user
        order.dispatch_rule = DispatchRule.MANUAL
        order.dispatch_basis = _("由 %(name)s 改派") % {"name": actor or _("系统")}
        order.state = State.OPEN
        order.accepted_at = order.started_at = None
        order.accept_due_at = sla.accept_due(order.priority, now)
        order.save(
            update_fields=[
                "assignee", "dispatch_rule", "dispatch_basis", "state", "accepted_at", "started_at",
                "accept_due_at", "updated_at",
            ]
        )  # fmt: skip
        text = _("%(old)s → %(new)s") % {"old": previous or _("（无）"), "new": user}
        _step(
            order,
            StepKind.REASSIGNED,
            actor,
            before,
            now=now,
            note=f"{text}{'：' + clean_note if clean_note else ''}",
        )
        _changed(order, before, StepKind.REASSIGNED, actor)
    return order


def cancel(actor: Any, order: WorkOrder, reason: str, *, now: dt.datetime | None = None) -> WorkOrder:
    """Cancel an unfinished order with a reason (→ 已取消)."""
    now = now or timezone.now()
    clean = _text(reason, "reason", required=_("请填写取消原因。"))
    with transaction.atomic():
        order = _lock(order)
        _require_manager(actor, order)
        if order.state not in ACTIVE_STATES:
            raise _wrong_state(order, _("取消"))
        before = order.state
        order.state, order.cancel_reason = State.CANCELLED, clean
        order.save(update_fields=["state", "cancel_reason", "updated_at"])
        _step(order, StepKind.CANCELLED, actor, before, now=now, note=clean)
        _changed(order, before, StepKind.CANCELLED, actor)
    return order


# --- SLA escalation (the periodic job) ------------------------------------------------------------
def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Escalate every overdue order that reached its next level; the number of levels raised.
    Safe to run at any time and as often as wanted: each level is raised once per order."""
    now = now or timezone.now()
    due = (
        WorkOrder.objects.filter(sla.overdue_q(now), escalation_level__lt=len(sla.ESCALATION_ROLES))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    raised = 0
    for pk in list(due):
        while escalate(pk, now):  # catch up on levels missed while no worker ran
            raised += 1
    return raised


def escalate(order_id: int, now: dt.datetime) -> bool:
    """Raise one overdue order one level if its time has come: tell the next people up."""
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("site", "area", "assignee")
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            return False
        due = sla.next_level_due(
            order.state, order.priority, order.accept_due_at, order.due_at, order.escalation_level
        )
        if due is None or due > now:
            return False
        level = order.escalation_level + 1
        role = sla.ESCALATION_ROLES[level - 1]
        where = dispatch.place_of(site=order.site, area=order.area)
        user_ids = tuple(dispatch.holders(role, dispatch.covering(where, teams=False)))
        label = Role(role).label
        why = _("超时未接单") if order.state == State.OPEN else _("超过完成期限")
        if user_ids:
            names = _("、").join(str(u) for u in User.objects.filter(pk__in=user_ids).order_by("pk"))
            note = _("%(why)s，升级通知%(role)s：%(names)s") % {"why": why, "role": label, "names": names}
        else:
            note = _("%(why)s，升级至%(role)s，但没有找到负责该区域的人员") % {"why": why, "role": label}
        order.escalation_level = level
        order.save(update_fields=["escalation_level", "updated_at"])
        _step(order, StepKind.ESCALATED, None, order.state, now=now, note=note, level=level)
        publish(
            WorkOrderEscalated(
                work_order_id=order.pk, site_id=order.site_id, level=level, role=str(role), user_ids=user_ids
            )
        )
    return True
