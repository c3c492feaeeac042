"""The on-shift roster (排班): who is on duty for which team, and when.

Writes::

    plan_shift(actor, *, team, user, starts_at, ends_at) -> Shift
    plan_pattern(actor, *, team, people, start_time, duration, weekdays, first_day, last_day)
        -> ShiftPattern   (a recurring plan: all its shifts or none, audited as one action)
    cancel_shift(actor, shift) -> None

All are allowed to whoever holds ``workorders.manage`` at the team (its team leader, and area
managers, safety officers, operators … whose scope covers the team's area). A shift's person belongs
to the team (a member, or holds a role at it); it ends after it starts, lasts at most 24 h, and does
not overlap another shift of the same person (whatever the team). Every write is audited. Both
ways of planning go through the same checks (``_member_errors``, ``_times_errors``, ``_create``): a
pattern is expanded (``expand``) into the shifts one would otherwise plan one at a time.

A pattern's times are wall-clock times in the site's time zone (``settings.TIME_ZONE``, zoneinfo):
each shift starts at ``start_time`` on its day and ends ``duration`` later *on the clock*, so on a
daylight-saving change the night shift is an hour shorter or longer and the next shift still starts
when it ends; a start that falls in the hour skipped in spring moves to after the gap.

Reads: ``plannable_teams(viewer)`` (the teams a viewer may plan), ``shifts(viewer, start, end)``
(their shifts in a period), ``team_people(teams)`` (who may be put on a team's shift), and
``on_shift(area, at)`` (the people on duty in a team of the area at that moment; the dispatch rule).

Kept apart from the work orders (only ``Shift`` lives in ``workorders.models``) so the roster can
move to a people domain later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
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
from anquan.workorders.models import Shift, ShiftPattern

MAX_LENGTH = dt.timedelta(hours=24)
MAX_PATTERN_DAYS = 92  # a quarter: a pattern plans at most this many days at once
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
Planned = tuple[User, dt.datetime, dt.datetime]  # (person, starts_at, ends_at)


def _member_errors(team: Team, user: Any) -> list[str]:
    """Why ``user`` cannot be on duty for ``team`` (not active, not a member); empty when they can."""
    if not isinstance(user, User) or not user.is_active:
        return [_("请选择在职人员。")]
    if not User.objects.filter(in_team(team), pk=user.pk).exists():
        return [_("%(name)s 不属于班组 %(team)s。") % {"name": user, "team": team.name}]
    return []


def _times_errors(starts_at: Any, ends_at: Any) -> dict[str, list[str]]:
    """The field errors of a shift's times (given, in order, at most 24 h); empty when fine."""
    errors: dict[str, list[str]] = {}
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("请填写开始时间。")]
    if not isinstance(ends_at, dt.datetime) or timezone.is_naive(ends_at):
        errors["ends_at"] = [_("请填写结束时间。")]
    elif "starts_at" not in errors:
        if ends_at <= starts_at:
            errors["ends_at"] = [_("结束时间必须晚于开始时间。")]
        elif ends_at - starts_at > MAX_LENGTH:
            errors["ends_at"] = [_("一个班次最长 24 小时。")]
    return errors


def _clash_message(user: User, clash: Shift) -> str:
    local = timezone.localtime
    return _("%(name)s 在 %(start)s–%(end)s 已有班次（%(team)s），时间不能重叠。") % {
        "name": user,
        "start": f"{local(clash.starts_at):%m-%d %H:%M}",
        "end": f"{local(clash.ends_at):%m-%d %H:%M}",
        "team": clash.team.name,
    }


def _clashes(planned: Sequence[Planned]) -> list[str]:
    """Overlaps of ``planned`` with the people's existing shifts and with each other. Call inside
    the transaction after locking the people (``_create`` does)."""
    messages: list[str] = []
    by_user: dict[int, list[Planned]] = {}
    for item in planned:
        by_user.setdefault(item[0].pk, []).append(item)
    for items in by_user.values():
        user = items[0][0]
        lo, hi = min(i[1] for i in items), max(i[2] for i in items)
        existing = list(
            Shift.objects.filter(user_id=user.pk, starts_at__lt=hi, ends_at__gt=lo).select_related("team")
        )
        for _user, starts_at, ends_at in items:
            clash = next((s for s in existing if s.starts_at < ends_at and s.ends_at > starts_at), None)
            if clash is not None:
                messages.append(_clash_message(user, clash))
        ordered = sorted(items, key=lambda i: i[1])
        for before, after in pairwise(ordered):
            if after[1] < before[2]:
                messages.append(
                    _("%(name)s 的班次 %(a)s 与 %(b)s 时间重叠。")
                    % {
                        "name": user,
                        "a": f"{timezone.localtime(before[1]):%m-%d %H:%M}",
                        "b": f"{timezone.localtime(after[1]):%m-%d %H:%M}",
                    }
                )
    return messages


def _create(actor: Any, team: Team, planned: Sequence[Planned], pattern: ShiftPattern | None) -> list[Shift]:
    """Write ``planned`` (people and times already checked) unless one overlaps; inside a transaction.

    The people are locked first (in id order), so two overlapping plans for one person cannot both
    pass. Raises ValidationError({"starts_at": [...]}) naming every overlap.
    """
    people = sorted({p.pk for p, _start, _end in planned})
    list(User.objects.select_for_update().filter(pk__in=people).order_by("pk").values_list("pk", flat=True))
    clashes = _clashes(planned)
    if clashes:
        raise ValidationError({"starts_at": clashes})
    created_by = actor if getattr(actor, "pk", None) else None
    return Shift.objects.bulk_create(
        Shift(
            team=team, user=user, starts_at=starts_at, ends_at=ends_at, created_by=created_by, pattern=pattern
        )
        for user, starts_at, ends_at in planned
    )


def plan_shift(actor: Any, *, team: Team, user: User, starts_at: dt.datetime, ends_at: dt.datetime) -> Shift:
    """Put ``user`` on duty for ``team`` from ``starts_at`` to ``ends_at``."""
    Access.of(actor).require(WORKORDER_MANAGE, place_of_team(team))
    member = _member_errors(team, user)
    errors = {"user": member} if member else {}
    errors.update(_times_errors(starts_at, ends_at))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        (shift,) = _create(actor, team, [(user, starts_at, ends_at)], None)
        audit.record_create(actor, shift)
    return shift


def site_zone() -> ZoneInfo:
    """The sites' time zone (one per installation: ``ANQUAN_TIME_ZONE``)."""
    return ZoneInfo(settings.TIME_ZONE)


def _on_clock(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time in ``zone`` as an aware UTC datetime (so that differences are real hours);
    a time skipped by a DST change lands after the gap (zoneinfo reads it with the offset before
    the change)."""
    return moment.replace(tzinfo=zone).astimezone(dt.UTC)


def expand(
    people: Sequence[User],
    *,
    start_time: dt.time,
    duration: dt.timedelta,
    weekdays: Iterable[int],
    first_day: dt.date,
    last_day: dt.date,
    zone: ZoneInfo | None = None,
) -> list[Planned]:
    """The shifts of a pattern, in order: on each of ``weekdays`` (0 = Monday) from ``first_day`` to
    ``last_day``, ``start_time`` to ``start_time + duration`` on the clock (crossing midnight when it
    runs past 24:00), taken in turn by ``people``."""
    zone = zone or site_zone()
    days = set(weekdays)
    planned: list[Planned] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in days and people:
            start = dt.datetime.combine(day, start_time)
            person = people[len(planned) % len(people)]
            planned.append((person, _on_clock(start, zone), _on_clock(start + duration, zone)))
        day += dt.timedelta(days=1)
    return planned


def _pattern_errors(
    team: Team,
    people: Sequence[Any],
    start_time: Any,
    duration: Any,
    weekdays: Sequence[Any],
    first_day: Any,
    last_day: Any,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not people:
        errors["people"] = [_("请至少选择一位当班人员。")]
    elif len({getattr(p, "pk", None) for p in people}) != len(people):
        errors["people"] = [_("轮班人员不能重复。")]
    else:
        for person in people:
            problem = _member_errors(team, person)
            if problem:
                errors.setdefault("people", []).extend(problem)
    if not isinstance(start_time, dt.time):
        errors["start_time"] = [_("请填写每日开始时间。")]
    if not isinstance(duration, dt.timedelta) or duration < dt.timedelta(minutes=1):
        errors["duration"] = [_("班次时长必须大于 0。")]
    elif duration > MAX_LENGTH:
        errors["duration"] = [_("一个班次最长 24 小时。")]
    if not weekdays:
        errors["weekdays"] = [_("请至少选择一个星期几。")]
    elif any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = [_("星期几必须是 0（周一）到 6（周日）。")]
    if not isinstance(first_day, dt.date):
        errors["first_day"] = [_("请填写起始日期。")]
    if not isinstance(last_day, dt.date):
        errors["last_day"] = [_("请填写结束日期。")]
    elif "first_day" not in errors:
        if last_day < first_day:
            errors["last_day"] = [_("结束日期不能早于起始日期。")]
        elif (last_day - first_day).days + 1 > MAX_PATTERN_DAYS:
            errors["last_day"] = [_("一次最多排 %(n)d 天。") % {"n": MAX_PATTERN_DAYS}]
    return errors


def plan_pattern(
    actor: Any,
    *,
    team: Team,
    people: Sequence[User],
    start_time: dt.time,
    duration: dt.timedelta,
    weekdays: Sequence[int],
    first_day: dt.date,
    last_day: dt.date,
) -> ShiftPattern:
    """Plan a recurring pattern in one step: every shift of ``expand(...)``, or none when any of them
    fails the single-shift checks (e.g. overlaps a shift of the same person). Audited as one entry
    on the pattern, naming the shifts it made."""
    Access.of(actor).require(WORKORDER_MANAGE, place_of_team(team))
    people = list(people)
    errors = _pattern_errors(team, people, start_time, duration, weekdays, first_day, last_day)
    if errors:
        raise ValidationError(errors)
    planned = expand(
        people, start_time=start_time, duration=duration, weekdays=weekdays, first_day=first_day,
        last_day=last_day,
    )  # fmt: skip
    if not planned:
        raise ValidationError({"weekdays": [_("所选日期范围内没有所选的星期几。")]})
    for _user, starts_at, ends_at in planned:  # the people were checked above
        errors = _times_errors(starts_at, ends_at)
        if errors:  # only the length can still fail here: a 24 h shift over a DST change
            raise ValidationError({"duration": [m for messages in errors.values() for m in messages]})
    with transaction.atomic():
        pattern = ShiftPattern.objects.create(
            team=team,
            rotation=[p.pk for p in people],
            start_time=start_time,
            duration_minutes=int(duration.total_seconds() // 60),
            weekdays=sorted(set(weekdays)),
            first_day=first_day,
            last_day=last_day,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        shifts = _create(actor, team, planned, pattern)
        changes = audit.snapshot(pattern)
        changes["shifts"] = [s.pk for s in shifts]
        audit.record(actor, audit.AuditAction.CREATE, pattern, changes)
    return pattern


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
