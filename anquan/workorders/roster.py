"""The on-shift roster (排班): who is on duty for which team, and when.

Writes::

    plan_shift(actor, *, team, user, starts_at, ends_at) -> Shift
    cancel_shift(actor, shift) -> None

Both are allowed to whoever holds ``workorders.manage`` at the team (its team leader, and area
managers, safety officers, operators … whose scope covers the team's area). A shift's person belongs
to the team (a member, or holds a role at it); it ends after it starts, lasts at most 24 h, and does
not overlap another shift of the same person (whatever the team). Every write is audited.

Reads: ``plannable_teams(viewer)`` (the teams a viewer may plan), ``shifts(viewer, start, end)``
(their shifts in a period), ``team_people(teams)`` (who may be put on a team's shift), and
``on_shift(area, at)`` (the people on duty in a team of the area at that moment; the dispatch rule).

Kept apart from the work orders (only ``Shift`` lives in ``workorders.models``) so the roster can
move to a people domain later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.org.access import Access, Paths, place_of_team
from anquan.org.choices import ScopeLevel
from anquan.org.models import Area, RoleAssignment, Team, User
from anquan.org.roles import WORKORDER_MANAGE
from anquan.platform import audit
from anquan.workorders.models import Shift

MAX_LENGTH = dt.timedelta(hours=24)
TEAM_PATHS = Paths(site="area__site", area="area", team="pk")


# --- reads -----------------------------------------------------------------------------------------
def plannable_teams(viewer: Any) -> QuerySet[Team]:
    """The teams whose roster ``viewer`` may plan (``workorders.manage`` reaching the team)."""
    qs = Team.objects.select_related("area__site").order_by("area__site__name", "area__name", "name", "pk")
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    return Access.of(viewer).filter(qs, WORKORDER_MANAGE, TEAM_PATHS)


def may_plan(viewer: Any, team: Team) -> bool:
    return viewer is not None and Access.of(viewer).covers(WORKORDER_MANAGE, place_of_team(team))


def in_team(team: Team) -> Q:
    """Users belonging to ``team``: its members, and those holding a role at it."""
    holders = RoleAssignment.objects.filter(level=ScopeLevel.TEAM, team_id=team.pk).values("user_id")
    return Q(team_id=team.pk) | Q(pk__in=holders)


def team_people(teams: Iterable[Team]) -> QuerySet[User]:
    """The active people who may be put on a shift of any of ``teams``."""
    q = Q(pk__in=[])
    for team in teams:
        q |= in_team(team)
    return User.objects.filter(q, is_active=True).distinct().order_by("name", "username")


def shifts(viewer: Any, start: dt.datetime, end: dt.datetime) -> QuerySet[Shift]:
    """The shifts of the teams ``viewer`` may plan that overlap ``[start, end)``, earliest first."""
    return Shift.objects.filter(
        team__in=plannable_teams(viewer), starts_at__lt=end, ends_at__gt=start
    ).select_related("team__area__site", "user", "created_by")


def on_shift(area: Area, at: dt.datetime | None = None) -> QuerySet[User]:
    """The active people on duty at ``at`` (default now) in a team of ``area``."""
    at = at or timezone.now()
    on_duty = Shift.objects.filter(team__area_id=area.pk, starts_at__lte=at, ends_at__gt=at).values("user_id")
    return User.objects.filter(pk__in=on_duty, is_active=True).order_by("pk")


# --- writes ----------------------------------------------------------------------------------------
def _clean(team: Team, user: Any, starts_at: Any, ends_at: Any) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(user, User) or not user.is_active:
        errors["user"] = [_("请选择在职人员。")]
    elif not User.objects.filter(in_team(team), pk=user.pk).exists():
        errors["user"] = [_("%(name)s 不属于班组 %(team)s。") % {"name": user, "team": team.name}]
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("请填写开始时间。")]
    if not isinstance(ends_at, dt.datetime) or timezone.is_naive(ends_at):
        errors["ends_at"] = [_("请填写结束时间。")]
    elif "starts_at" not in errors:
        if ends_at <= starts_at:
            errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
        elif ends_at - starts_at > MAX_LENGTH:
            errors["ends_at"] = [_("一个班次最长 24 小时。")]
    if errors:
        raise ValidationError(errors)


def plan_shift(actor: Any, *, team: Team, user: User, starts_at: dt.datetime, ends_at: dt.datetime) -> Shift:
    """Put ``user`` on duty for ``team`` from ``starts_at`` to ``ends_at``."""
    Access.of(actor).require(WORKORDER_MANAGE, place_of_team(team))
    _clean(team, user, starts_at, ends_at)
    with transaction.atomic():
        # One person's shifts are planned one at a time, so two overlapping ones cannot both pass.
        User.objects.select_for_update().filter(pk=user.pk).first()
        clash = (
            Shift.objects.filter(user_id=user.pk, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .select_related("team")
            .first()
        )
        if clash is not None:
            local = timezone.localtime
            raise ValidationError(
                {
                    "starts_at": [
                        _("%(name)s 在 %(start)s–%(end)s 已有班次（%(team)s），时间不能重叠。")
                        % {
                            "name": user,
                            "start": f"{local(clash.starts_at):%m-%d %H:%M}",
                            "end": f"{local(clash.ends_at):%m-%d %H:%M}",
                            "team": clash.team.name,
                        }
                    ]
                }
            )
        shift = Shift.objects.create(
            team=team,
            user=user,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record_create(actor, shift)
    return shift


def cancel_shift(actor: Any, shift: Shift) -> None:
    """Remove a shift that has not ended yet (past shifts stay as the record of who was on duty)."""
    team = Team.objects.select_related("area__site").get(pk=shift.team_id)
    Access.of(actor).require(WORKORDER_MANAGE, place_of_team(team))
    with transaction.atomic():
        locked = Shift.objects.select_for_update().select_related("team__area").filter(pk=shift.pk).first()
        if locked is None:
            return  # already cancelled
        if locked.ends_at <= timezone.now():
            raise ValidationError({"shift": [_("已结束的班次不能取消。")]})
        audit.record_delete(actor, locked)
        locked.delete()
