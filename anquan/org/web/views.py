"""People and roles pages: thin adapters over anquan.org.selectors (reads) and services (writes).

Out-of-scope records answer 404 (their existence is not revealed); a viewer without the capability at
all gets 403; bad input re-renders the form with its field errors and status 400.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anquan.org import selectors, services
from anquan.org.access import Access, Paths, Place, place_of_team
from anquan.org.models import RoleAssignment, User
from anquan.org.roles import ORG_VIEW, PEOPLE_MANAGE, PEOPLE_VIEW, PLANT_VIEW
from anquan.org.web.forms import (
    PeopleFilterForm,
    PersonCreateForm,
    PersonEditForm,
    RoleAssignForm,
    SetPasswordForm,
    TokenForm,
    apply_errors,
    scope_choices,
)

PAGE_SIZE = 25
PERSON_FIELDS = ("name", "employee_no", "phone", "email", "company", "team", "preferred_language")
# Equipment is owned by the plant domain, which sits above org: it is reached here through the
# reverse relation of Equipment.responsible and scoped with the same paths plant's selectors use.
EQUIPMENT_PATHS = Paths(site="area__site", area="area")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _person_place(person: User) -> Place | None:
    """Where a person sits for management: their team, else their first role's scope (as the services)."""
    if person.team_id:
        return place_of_team(person.team)
    first = person.assignments.first()
    if first is None:
        return None
    return Place(
        enterprise_id=first.enterprise_id, site_id=first.site_id, area_id=first.area_id, team_id=first.team_id
    )


def _manages(viewer: Any, person: User) -> bool:
    access = Access.of(viewer)
    place = _person_place(person)
    return access.can(PEOPLE_MANAGE) if place is None else access.covers(PEOPLE_MANAGE, place)


def _visible_person(request: HttpRequest, pk: int) -> User:
    Access.of(request.user).require(PEOPLE_VIEW)
    return get_object_or_404(selectors.people(request.user), pk=pk)


def _managed_person(request: HttpRequest, pk: int) -> User:
    person = _visible_person(request, pk)
    if not _manages(request.user, person):
        services.raise_denied()
    return person


# --- People list -------------------------------------------------------------------------------
@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    access = Access.of(viewer)
    access.require(PEOPLE_VIEW)
    form = PeopleFilterForm(request.GET or None, viewer=viewer)
    qs = selectors.people(viewer)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        qs = qs.filter(is_active=True)
    else:
        data = form.cleaned_data if form.is_bound else {}
        q = (data.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(username__icontains=q) | Q(employee_no__icontains=q))
        if data.get("site"):
            qs = qs.filter(Q(team__area__site=data["site"]) | Q(assignments__site=data["site"]))
        if data.get("area"):
            qs = qs.filter(Q(team__area=data["area"]) | Q(assignments__area=data["area"]))
        if data.get("team"):
            qs = qs.filter(Q(team=data["team"]) | Q(assignments__team=data["team"]))
        if data.get("role"):
            qs = qs.filter(assignments__role=data["role"])
        state = data.get("status") or "active"
        if state != "all":
            qs = qs.filter(is_active=state == "active")
    qs = qs.distinct().order_by("name", "username")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": params.urlencode(),
        "can_manage": access.can(PEOPLE_MANAGE),
        "filters_active": any(request.GET.get(k) for k in ("site", "area", "team", "role", "status")),
    }
    template = "org/partials/people_results.html" if _is_htmx(request) else "org/people_list.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])  # the fragment and the page share one url
    return response


# --- Person detail and roles -------------------------------------------------------------------
def _roles_context(request: HttpRequest, person: User, form: RoleAssignForm | None = None) -> dict[str, Any]:
    access = Access.of(request.user)
    assignments = list(person.assignments.select_related("enterprise", "site", "area", "team"))
    rows = [
        {
            "assignment": a,
            "can_revoke": access.covers(
                PEOPLE_MANAGE,
                Place(enterprise_id=a.enterprise_id, site_id=a.site_id, area_id=a.area_id, team_id=a.team_id),
            ),
        }
        for a in assignments
    ]
    can_assign = bool(access.can(PEOPLE_MANAGE) and scope_choices(request.user))
    if form is None and can_assign:
        form = RoleAssignForm(actor=request.user, prefix="role")
    return {"person": person, "role_rows": rows, "role_form": form, "can_assign": can_assign}


def _detail_context(
    request: HttpRequest, person: User, role_form: RoleAssignForm | None = None
) -> dict[str, Any]:
    viewer = request.user
    access = Access.of(viewer)
    equipment = None
    if access.can(PLANT_VIEW):
        related = getattr(person, "responsible_for", None)
        if related is not None:
            equipment = access.filter(
                related.select_related("area__site").order_by("area__site__name", "code"),
                PLANT_VIEW,
                EQUIPMENT_PATHS,
            )
    return {
        **_roles_context(request, person, role_form),
        "equipment": equipment,
        "manages": _manages(viewer, person),
        "is_self": person.pk == viewer.pk,
    }


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    return render(request, "org/person_detail.html", _detail_context(request, person))


@login_required
@require_POST
def role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    Access.of(request.user).require(PEOPLE_MANAGE)
    form: RoleAssignForm | None = RoleAssignForm(request.POST, actor=request.user, prefix="role")
    assert form is not None
    status = 200
    if form.is_valid():
        try:
            services.assign_role(
                request.user, user=person, role=form.cleaned_data["role"], scope=form.cleaned_data["scope"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    if form.errors:
        status = 400
    else:
        form = None
    if _is_htmx(request):  # the panel itself shows the change
        return render(
            request, "org/partials/roles_panel.html", _roles_context(request, person, form), status=status
        )
    if status == 400:
        return render(request, "org/person_detail.html", _detail_context(request, person, form), status=400)
    messages.success(request, _("已分配角色。"))
    return redirect("org:person", pk=person.pk)


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    person = _visible_person(request, pk)
    assignment = get_object_or_404(RoleAssignment.objects.filter(user=person), pk=assignment_pk)
    services.revoke_role(request.user, assignment)
    if _is_htmx(request):
        return render(request, "org/partials/roles_panel.html", _roles_context(request, person))
    messages.success(request, _("已撤销角色。"))
    return redirect("org:person", pk=person.pk)


# --- Create, edit, deactivate, reset password -----------------------------------------------------
@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    Access.of(request.user).require(PEOPLE_MANAGE)
    form = PersonCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            roles = [(data["role"], data["scope"])] if data.get("role") else []
            try:
                person = services.create_user(
                    request.user,
                    username=data["username"],
                    password=data["password1"],
                    roles=roles,
                    **{f: data[f] for f in PERSON_FIELDS},
                )
            except ValidationError as exc:
                apply_errors(form, exc, {"password": "password1"})
            else:
                messages.success(request, _("已新建人员 %(name)s。") % {"name": person})
                return redirect("org:person", pk=person.pk)
        return render(request, "org/person_form.html", {"form": form, "creating": True}, status=400)
    return render(request, "org/person_form.html", {"form": form, "creating": True})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    initial = {f: getattr(person, f) for f in PERSON_FIELDS}
    form = PersonEditForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            changes = {f: form.cleaned_data[f] for f in PERSON_FIELDS if form.cleaned_data[f] != initial[f]}
            try:
                if changes:
                    services.update_user(request.user, person, **changes)
            except ValidationError as exc:
                person.refresh_from_db()
                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存 %(name)s 的资料。") % {"name": person})
                return redirect("org:person", pk=person.pk)
        return render(request, "org/person_form.html", {"form": form, "person": person}, status=400)
    return render(request, "org/person_form.html", {"form": form, "person": person})


@login_required
@require_POST
def person_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    active = request.POST.get("active") == "1"
    if person.pk == request.user.pk and not active:
        messages.error(request, _("不能停用自己的账号。"))
        return redirect("org:person", pk=person.pk)
    if person.is_active != active:
        services.update_user(request.user, person, is_active=active)
        if active:
            messages.success(request, _("已启用 %(name)s 的账号。") % {"name": person})
        else:
            messages.success(request, _("已停用 %(name)s 的账号，其将无法再登录。") % {"name": person})
    return redirect("org:person", pk=person.pk)


@login_required
def person_password(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_password(request.user, person, form.cleaned_data["password1"])
            except ValidationError as exc:
                apply_errors(form, exc, {"password": "password1"})
            else:
                messages.success(request, _("已重置 %(name)s 的密码。") % {"name": person})
                return redirect("org:person", pk=person.pk)
        return render(request, "org/person_password.html", {"form": form, "person": person}, status=400)
    return render(request, "org/person_password.html", {"form": form, "person": person})


# --- Organisation structure ----------------------------------------------------------------------
@login_required
def structure(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    access = Access.of(viewer)
    access.require(ORG_VIEW)
    sites = list(selectors.sites(viewer))
    areas = list(selectors.areas(viewer))
    teams = list(selectors.teams(viewer))
    members: Counter[int] | None = None
    if access.can(PEOPLE_VIEW):
        # people() may be DISTINCT: keep each person's pk in the rows so that teammates are all counted.
        members = Counter(
            team_id
            for _pk, team_id in selectors.people(viewer)
            .filter(is_active=True, team__isnull=False)
            .values_list("pk", "team_id")
        )
    tree = []
    for enterprise in selectors.enterprises(viewer):
        site_nodes = []
        for site in (s for s in sites if s.enterprise_id == enterprise.pk):
            area_nodes = [
                {
                    "area": area,
                    "teams": [
                        {"team": t, "members": members[t.pk] if members is not None else None}
                        for t in teams
                        if t.area_id == area.pk
                    ],
                }
                for area in areas
                if area.site_id == site.pk
            ]
            site_nodes.append({"site": site, "areas": area_nodes})
        tree.append({"enterprise": enterprise, "sites": site_nodes})
    return render(request, "org/structure.html", {"tree": tree, "show_members": members is not None})


# --- My API tokens -------------------------------------------------------------------------------
@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = TokenForm(request.POST or None)
    raw = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            expires_at = timezone.now() + dt.timedelta(days=days) if days else None
            try:
                _token, raw = services.issue_api_token(
                    user, user=user, name=form.cleaned_data["name"], expires_at=expires_at
                )
            except ValidationError as exc:
                apply_errors(form, exc, {"expires_at": "expires_in_days"})
            else:
                form = TokenForm()
        if form.errors:
            status = 400
    context = {"form": form, "tokens": selectors.api_tokens(user), "raw_token": raw, "now": timezone.now()}
    return render(request, "org/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(selectors.api_tokens(request.user), pk=pk)
    services.revoke_api_token(request.user, token)
    messages.success(request, _("已吊销令牌“%(name)s”。") % {"name": token.name})
    return redirect("org:tokens")
