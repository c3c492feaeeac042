"""Reactions to the other domains' events (run after their transaction commits).

Each message is written in the recipient's own interface language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from anquan.notifications.choices import Category, Level
from anquan.notifications.services import notify
from anquan.org.choices import Role
from anquan.org.events import RoleAssigned, UserCreated
from anquan.org.models import RoleAssignment, User
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
