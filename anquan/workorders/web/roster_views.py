"""The roster page (排班), mounted at /workorders/roster/ (url names ``workorders:roster…``).

- ``roster`` (``roster_page``): the week's shifts of the teams the viewer may plan (``?week=YYYY-MM-DD`` picks the
  week containing that day), grouped by team and day, a form to add a shift and one to plan a
  recurring pattern;
- ``roster_pattern``: the pattern form's target (all its shifts or none; errors shown on the page);
- ``roster_cancel``: cancel a shift that has not ended.

Thin adapters over ``anquan.workorders.roster`` (a team out of reach → 404, nothing to plan → 403,
ValidationError → shown on the form).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from anquan.org.models import Team
from anquan.workorders import roster
from anquan.workorders.models import Shift
from anquan.workorders.web.forms import PatternForm, ShiftForm

WEEKDAYS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)


@dataclass
class Day:
    date: dt.date
    label: str
    is_today: bool
    shifts: list[Shift] = field(default_factory=list)


@dataclass
class TeamWeek:
    team: Team
    days: list[Day]
    count: int = 0


def _monday(value: str | None) -> dt.date:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - dt.timedelta(days=day.weekday())


def _week_url(monday: dt.date) -> str:
    return f"{reverse('workorders:roster')}?week={monday.isoformat()}"


def _week(user: Any, teams: list[Team], monday: dt.date) -> list[TeamWeek]:
    """Each team's seven days with the shifts starting (local time) on each day, or running into
    the Monday from the week before."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=7)
    today = timezone.localdate()
    weeks = {
        t.pk: TeamWeek(
            t,
            [
                Day(monday + dt.timedelta(days=i), str(WEEKDAYS[i]), monday + dt.timedelta(days=i) == today)
                for i in range(7)
            ],
        )
        for t in teams
    }
    now = timezone.now()
    for shift in roster.shifts(user, start, end):
        week = weeks.get(shift.team_id)
        if week is None:
            continue
        first_day = timezone.localtime(shift.starts_at).date()
        shift.overnight = timezone.localtime(shift.ends_at).date() > first_day  # type: ignore[attr-defined]
        shift.on_duty = shift.starts_at <= now < shift.ends_at  # type: ignore[attr-defined]
        shift.cancellable = shift.ends_at > now  # type: ignore[attr-defined]
        index = max(0, (first_day - monday).days)
        week.days[index].shifts.append(shift)
        week.count += 1
    return list(weeks.values())


def _form(request: HttpRequest, teams: list[Team], monday: dt.date, *, bound: bool = True) -> ShiftForm:
    today = timezone.localdate()
    initial: dict[str, Any] = {
        "day": today if monday <= today < monday + dt.timedelta(days=7) else monday,
        "start": dt.time(8, 0),
        "end": dt.time(20, 0),
    }
    team_id = request.GET.get("team")
    if len(teams) == 1:
        initial["team"] = teams[0].pk
    elif team_id and team_id.isdigit():
        initial["team"] = int(team_id)
    queryset = roster.plannable_teams(request.user)
    return ShiftForm(
        request.POST if bound and request.method == "POST" else None,
        teams=queryset,
        people=roster.team_people(teams),
        initial=initial,
    )


def _pattern_form(request: HttpRequest, teams: list[Team], monday: dt.date, *, bound: bool) -> PatternForm:
    start = max(monday, timezone.localdate())
    initial: dict[str, Any] = {
        "start_time": dt.time(8, 0),
        "hours": 12,
        "weekdays": list(range(7)),
        "first_day": start,
        "last_day": start + dt.timedelta(days=27),
    }
    if len(teams) == 1:
        initial["team"] = teams[0].pk
    return PatternForm(
        request.POST if bound else None,
        teams=roster.plannable_teams(request.user),
        people=roster.team_people(teams),
        initial=initial,
    )


def _page(
    request: HttpRequest, teams: list[Team], monday: dt.date, form: ShiftForm, pattern_form: PatternForm,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    return render(
        request,
        "workorders/roster.html",
        {
            "form": form,
            "pattern_form": pattern_form,
            "weeks": _week(request.user, teams, monday),
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "previous_url": _week_url(monday - dt.timedelta(days=7)),
            "next_url": _week_url(monday + dt.timedelta(days=7)),
            "this_week_url": _week_url(_monday(None)),
        },
        status=status,
    )


def _plannable(request: HttpRequest) -> list[Team]:
    teams = list(roster.plannable_teams(request.user))
    if not teams:
        raise PermissionDenied(_("您没有排班的权限。"))
    return teams


@require_http_methods(["GET", "POST"])
@login_required
def roster_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = _plannable(request)
    monday = _monday(request.GET.get("week"))
    form = _form(request, teams, monday)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            starts_at, ends_at = form.period()
            try:
                shift = roster.plan_shift(
                    user,
                    team=form.cleaned_data["team"],
                    user=form.cleaned_data["user"],
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(
                    request,
                    _("已为 %(name)s 排班：%(start)s–%(end)s。")
                    % {
                        "name": shift.user,
                        "start": f"{timezone.localtime(shift.starts_at):%m-%d %H:%M}",
                        "end": f"{timezone.localtime(shift.ends_at):%m-%d %H:%M}",
                    },
                )
                return redirect(_week_url(_monday(form.cleaned_data["day"].isoformat())))
        status = 400
    return _page(request, teams, monday, form, _pattern_form(request, teams, monday, bound=False), status)


@require_POST
@login_required
def roster_pattern(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = _plannable(request)
    monday = _monday(request.GET.get("week"))
    form = _pattern_form(request, teams, monday, bound=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            pattern = roster.plan_pattern(
                user,
                team=data["team"],
                people=list(data["people"]),
                start_time=data["start_time"],
                duration=form.duration(),
                weekdays=data["weekdays"],
                first_day=data["first_day"],
                last_day=data["last_day"],
            )
        except ValidationError as exc:
            form.apply(exc)
        else:
            count = pattern.shifts.count()
            messages.success(
                request,
                _("已按循环排班生成 %(n)d 个班次（%(first)s 至 %(last)s）。")
                % {"n": count, "first": pattern.first_day, "last": pattern.last_day},
            )
            return redirect(_week_url(_monday(pattern.first_day.isoformat())))
    return _page(request, teams, monday, _form(request, teams, monday, bound=False), form, 400)


@require_POST
@login_required
def cancel_shift(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    shift = get_object_or_404(Shift.objects.filter(team__in=roster.plannable_teams(user)), pk=pk)
    monday = _monday(timezone.localtime(shift.starts_at).date().isoformat())
    try:
        roster.cancel_shift(user, shift)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已取消 %(name)s 的班次。") % {"name": shift.user})
    return redirect(_week_url(monday))
