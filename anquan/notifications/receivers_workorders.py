"""Who hears of each work-order step (the workorders domain's events → the notification centre).

- opened: the assignee (or, when no rule found anyone, the EHS directors over the place, who
  hold workorders.manage there and assign it by hand);
- reassigned: the new assignee;
- done: the creator and the watchers (the origin's people), or the area managers when the system
  opened it — they verify;
- verified / rejected / cancelled: the assignee, the creator and the watchers;
- escalated: the people the escalation names (area manager, then EHS director).

Nobody is told of their own step. Each message is written in the recipient's own language.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from anquan.notifications.choices import Category, Level
from anquan.notifications.services import notify
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.platform.events import subscribe
from anquan.workorders import dispatch
from anquan.workorders.choices import Priority, StepKind
from anquan.workorders.events import WorkOrderChanged, WorkOrderEscalated, WorkOrderOpened
from anquan.workorders.models import WorkOrder


def _level(order: WorkOrder) -> str:
    if order.priority == Priority.URGENT:
        return Level.CRITICAL
    return Level.WARNING if order.priority == Priority.HIGH else Level.INFO


def _order(pk: int) -> WorkOrder | None:
    return WorkOrder.objects.select_related("site", "area", "equipment", "assignee").filter(pk=pk).first()


def _users(ids: Iterable[int | None], *, skip: int | None = None) -> list[User]:
    wanted = {i for i in ids if i is not None and i != skip}
    return list(User.objects.filter(pk__in=wanted, is_active=True).order_by("pk"))


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M")  # type: ignore[arg-type]


def _where(order: WorkOrder) -> str:
    parts = [order.site.name]
    if order.area is not None:
        parts.append(order.area.name)
    if order.equipment is not None:
        parts.append(order.equipment.code)
    return " · ".join(parts)


def _send(users: list[User], order: WorkOrder, title: str, body: str, level: str | None = None) -> None:
    notify(
        users,
        Category.WORK_ORDER,
        title=title,
        body=body,
        link=reverse("workorders:detail", args=[order.pk]),
        level=level or _level(order),
        site_id=order.site_id,
    )


def _area_managers(order: WorkOrder) -> list[int]:
    place = dispatch.place_of(site=order.site, area=order.area)
    return dispatch.holders(Role.AREA_MANAGER, dispatch.covering(place, teams=False))


def _watchers(order: WorkOrder) -> list[int]:
    return list(order.watchers.values_list("pk", flat=True))


@subscribe(WorkOrderOpened)
def work_order_opened(event: WorkOrderOpened) -> None:
    order = _order(event.work_order_id)
    if order is None:
        return
    if order.assignee_id is not None:
        if order.assignee_id != event.assignee_id:
            return  # reassigned before we got here: the reassignment tells the new person
        for user in _users([order.assignee_id], skip=event.actor_id):
            with translation.override(user.preferred_language):
                _send(
                    [user],
                    order,
                    _("新工单：%(number)s %(title)s") % {"number": order.number, "title": order.title},
                    _(
                        "%(where)s · 优先级%(priority)s · 请在 %(accept)s 前接单，%(due)s 前完成。派单依据：%(basis)s"
                    )
                    % {
                        "where": _where(order),
                        "priority": Priority(order.priority).label,
                        "accept": _when(order.accept_due_at),
                        "due": _when(order.due_at),
                        "basis": order.dispatch_basis,
                    },
                )
        return
    place = dispatch.place_of(site=order.site, area=order.area)
    directors = dispatch.holders(Role.EHS_DIRECTOR, dispatch.covering(place, teams=False))
    for user in _users(directors, skip=event.actor_id):
        with translation.override(user.preferred_language):
            _send(
                [user],
                order,
                _("工单待指派：%(number)s %(title)s") % {"number": order.number, "title": order.title},
                _("%(where)s · 派单规则没有找到处理人，请指派。") % {"where": _where(order)},
                level=Level.WARNING,
            )


@subscribe(WorkOrderChanged)
def work_order_changed(event: WorkOrderChanged) -> None:
    order = _order(event.work_order_id)
    if order is None:
        return
    head = {"number": order.number, "title": order.title}
    if event.step == StepKind.REASSIGNED:
        if order.assignee_id != event.assignee_id:
            return  # reassigned again in the meantime
        recipients = _users([event.assignee_id], skip=event.actor_id)
        title, body = (
            N_("工单改派给您：%(number)s %(title)s"),
            N_("%(where)s · 请在 %(accept)s 前接单，%(due)s 前完成。"),
        )
    elif event.step == StepKind.COMPLETED:
        ids = [order.created_by_id, *_watchers(order)]
        if order.created_by_id is None:
            ids += _area_managers(order)
        recipients = _users(ids, skip=event.actor_id)
        title, body = N_("工单已完成，待验收：%(number)s %(title)s"), N_("%(where)s · 处理说明：%(note)s")
    elif event.step == StepKind.VERIFIED:
        recipients = _users([order.assignee_id, order.created_by_id, *_watchers(order)], skip=event.actor_id)
        title, body = N_("工单已验收：%(number)s %(title)s"), N_("%(where)s · 验收人：%(actor)s")
    elif event.step == StepKind.REJECTED:
        recipients = _users([order.assignee_id, order.created_by_id, *_watchers(order)], skip=event.actor_id)
        title, body = N_("工单被驳回，请返工：%(number)s %(title)s"), N_("%(where)s · 驳回原因：%(reason)s")
    elif event.step == StepKind.CANCELLED:
        recipients = _users([order.assignee_id, *_watchers(order)], skip=event.actor_id)
        title, body = N_("工单已取消：%(number)s %(title)s"), N_("%(where)s · 取消原因：%(reason)s")
    else:
        return
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    for user in recipients:
        with translation.override(user.preferred_language):
            values = {
                "where": _where(order),
                "accept": _when(order.accept_due_at),
                "due": _when(order.due_at),
                "note": order.completion_note,
                "reason": order.reject_reason if event.step == StepKind.REJECTED else order.cancel_reason,
                "actor": actor or _("系统"),
            }
            _send([user], order, _(title) % head, _(body) % values)


@subscribe(WorkOrderEscalated)
def work_order_escalated(event: WorkOrderEscalated) -> None:
    order = _order(event.work_order_id)
    if order is None or order.escalation_level < event.level:
        return
    for user in _users(event.user_ids):
        with translation.override(user.preferred_language):
            _send(
                [user],
                order,
                _("工单超时升级：%(number)s %(title)s") % {"number": order.number, "title": order.title},
                _("%(where)s · 处理人：%(assignee)s · 状态：%(state)s · 完成期限 %(due)s。请督促处理。")
                % {
                    "where": _where(order),
                    "assignee": order.assignee or _("（未指派）"),
                    "state": order.get_state_display(),
                    "due": _when(order.due_at),
                },
                level=Level.CRITICAL if order.priority == Priority.URGENT else Level.WARNING,
            )
