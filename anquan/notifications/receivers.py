"""Reactions to the other domains' events (run after their transaction commits).

Each message is written in the recipient's own interface language.
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anquan.earlywarning.events import AIAlertRaised, AIAlertReviewed
from anquan.earlywarning.models import AIAlert
from anquan.monitoring.alarms.escalation import recipients
from anquan.monitoring.choices import JournalKind
from anquan.monitoring.events import AlarmEscalated
from anquan.monitoring.models import AlarmOccurrence
from anquan.notifications.choices import Category, Level
from anquan.notifications.services import notify
from anquan.org.choices import Role
from anquan.org.events import RoleAssigned, UserCreated
from anquan.org.models import RoleAssignment, User
from anquan.plant.choices import AlarmPriority
from anquan.plant.events import ResponsiblePersonAssigned
from anquan.plant.models import Equipment
from anquan.platform.events import subscribe


def _site_of(user: User) -> int | None:
    return user.team.area.site_id if user.team_id and user.team else None


@subscribe(UserCreated)
def welcome(event: UserCreated) -> None:
    user = User.objects.select_related("team__area").filter(pk=event.user_id, is_active=True).first()
    if user is None:
        return
    with translation.override(user.preferred_language):
        notify(
            [user],
            Category.ACCOUNT,
            title=_("欢迎使用安全生产平台"),
            body=_("您的账号 %(username)s 已开通。请在“通知设置”中选择希望通过哪些方式接收消息。")
            % {"username": user.get_username()},
            level=Level.INFO,
            site_id=_site_of(user),
        )


@subscribe(RoleAssigned)
def role_assigned(event: RoleAssigned) -> None:
    assignment = (
        RoleAssignment.objects.select_related("user", "enterprise", "site", "area", "team")
        .filter(pk=event.assignment_id)
        .first()
    )
    if assignment is None or not assignment.user.is_active:  # revoked again before we got here
        return
    with translation.override(assignment.user.preferred_language):
        role = Role(assignment.role).label
        notify(
            [assignment.user],
            Category.ACCOUNT,
            title=_("您获得了新角色：%(role)s") % {"role": role},
            body=_("您在“%(scope)s”（%(level)s）被授予“%(role)s”角色，相应的功能已对您开放。")
            % {"scope": assignment.scope, "level": assignment.get_level_display(), "role": role},
            level=Level.INFO,
            site_id=assignment.site_id,
        )


@subscribe(ResponsiblePersonAssigned)
def responsible_assigned(event: ResponsiblePersonAssigned) -> None:
    equipment = Equipment.objects.select_related("area__site").filter(pk=event.equipment_id).first()
    user = User.objects.filter(pk=event.user_id, is_active=True).first()
    if equipment is None or user is None or equipment.responsible_id != user.pk:
        return  # removed, or someone else became responsible in the meantime
    with translation.override(user.preferred_language):
        notify(
            [user],
            Category.EQUIPMENT,
            title=_("您已成为设备 %(code)s 的责任人") % {"code": equipment.code},
            body=_("您已被指定为“%(equipment)s”（%(site)s · %(area)s）的责任人。")
            % {"equipment": equipment, "site": equipment.area.site, "area": equipment.area},
            link=f"/plant/equipment/{equipment.pk}/",
            level=Level.INFO,
            site_id=equipment.area.site_id,
        )


# --- alarms (monitoring) ----------------------------------------------------------------------


@subscribe(AlarmEscalated)
def alarm_escalated(event: AlarmEscalated) -> None:
    """An alarm stayed unacknowledged too long: tell the next people up, each in their language."""
    occurrence = AlarmOccurrence.objects.select_related("area", "site").filter(pk=event.occurrence_id).first()
    if occurrence is None or occurrence.acked_at is not None or occurrence.cleared_at is not None:
        return  # acknowledged (or gone) before we got here
    users = User.objects.filter(pk__in=event.user_ids, is_active=True).order_by("pk")
    escalated = occurrence.journal.filter(kind=JournalKind.ESCALATED).order_by("-pk").first()
    at = escalated.at if escalated is not None else timezone.now()
    minutes = int((at - occurrence.raised_at).total_seconds() // 60)
    raised = timezone.localtime(occurrence.raised_at).strftime("%Y-%m-%d %H:%M")
    level = Level.CRITICAL if occurrence.priority == AlarmPriority.HIGH else Level.WARNING
    for user in users:
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.ALARM,
                title=_("报警未及时确认：%(message)s") % {"message": occurrence.message},
                body=_(
                    "%(site)s · %(area)s 的%(priority)s优先级报警“%(message)s”于 %(raised)s 发生，"
                    "已超过 %(minutes)d 分钟无人确认，现逐级通知到您（第 %(level)d 级）。请督促处理。"
                )
                % {
                    "site": occurrence.site,
                    "area": occurrence.area,
                    "priority": AlarmPriority(occurrence.priority).label,
                    "message": occurrence.message,
                    "raised": raised,
                    "minutes": max(minutes, 0),
                    "level": event.level,
                },
                link=f"/monitoring/alarms/{occurrence.pk}/",
                level=level,
                site_id=occurrence.site_id,
            )


def _ai_message(alert: AIAlert) -> dict[str, str]:
    top = "、".join(f"{c['tag']} {c['share']:.0%}" for c in alert.contributors[:3]) or "—"
    return {
        "model": alert.model.name,
        "area": str(alert.area),
        "at": timezone.localtime(alert.started_at).strftime("%Y-%m-%d %H:%M"),
        "top": top,
        "eta": (
            _("；%(tag)s 约 %(minutes)d 分钟后达到 %(level)s 限")
            % {
                "tag": alert.forecasts[0]["tag"],
                "minutes": max(round(alert.forecasts[0]["eta_s"] / 60), 1),
                "level": alert.forecasts[0]["level"],
            }
            if alert.forecasts
            else ""
        ),
    }


@subscribe(AIAlertRaised)
def ai_alert_raised(event: AIAlertRaised) -> None:
    """Expert reviewers always hear of a new AI alert (it waits in their queue); the area's
    operators too when the model notifies at once rather than after review."""
    alert = AIAlert.objects.select_related("model", "area").filter(pk=event.alert_id).first()
    if alert is None:
        return
    reviewers = set(recipients(Role.EXPERT_REVIEWER, alert.area))
    operators = set(recipients(Role.OPERATOR, alert.area)) - reviewers if event.notify_now else set()
    parts = _ai_message(alert)
    for user in User.objects.filter(pk__in=reviewers | operators, is_active=True).order_by("pk"):
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.AI_ALERT,
                title=_("AI 预警：%(model)s") % parts,
                body=(
                    _("%(area)s 于 %(at)s 出现多变量异常，主要贡献：%(top)s%(eta)s。") % parts
                    + (_("请复核：确认后转为报警，或填写原因驳回。") if user.pk in reviewers else "")
                ),
                link=f"/earlywarning/alerts/{alert.pk}/",
                level=Level.WARNING,
                site_id=alert.site_id,
            )


@subscribe(AIAlertReviewed)
def ai_alert_confirmed(event: AIAlertReviewed) -> None:
    """A confirmed AI alert is an alarm now: the area's operators and safety officers are told."""
    if not event.confirmed:
        return
    alert = AIAlert.objects.select_related("model", "area", "reviewed_by").filter(pk=event.alert_id).first()
    if alert is None:
        return
    people = set(recipients(Role.OPERATOR, alert.area)) | set(recipients(Role.SAFETY_OFFICER, alert.area))
    people.discard(event.reviewer_id or 0)
    parts = {**_ai_message(alert), "reviewer": str(alert.reviewed_by or "")}
    link = (
        f"/monitoring/alarms/{event.occurrence_id}/"
        if event.occurrence_id
        else f"/earlywarning/alerts/{alert.pk}/"
    )
    for user in User.objects.filter(pk__in=people, is_active=True).order_by("pk"):
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.AI_ALERT,
                title=_("AI 预警已确认为报警：%(model)s") % parts,
                body=_(
                    "%(reviewer)s 确认了 %(area)s 于 %(at)s 的 AI 预警（主要贡献：%(top)s%(eta)s），已转为报警，请处置。"
                )
                % parts,
                link=link,
                level=Level.CRITICAL,
                site_id=alert.site_id,
            )
