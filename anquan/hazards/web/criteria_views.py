"""The pages of the major-hazard determination standards (重大事故隐患判定标准), mounted at
/hazards/criteria/ (url names ``hazards:criteria…``).

Those who grade hazards (``hazards.manage``) read the sets and their items; those with
``hazards.manage`` over a whole site (``selectors.may_load_criteria``) load a new one (items pasted
one a line or uploaded as .xlsx / .csv), correct one no hazard cites yet, set the last day of a cited
one, or delete one loaded by mistake. Writes go through ``hazards.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.hazards import criteria, selectors, services
from anquan.hazards.models import CriteriaSet
from anquan.hazards.web import forms
from anquan.hazards.web.views import _may_configure, _may_view, manage_page


def _require_loader(user: Any) -> None:
    if not selectors.may_load_criteria(user):
        raise PermissionDenied(_("只有全场所的隐患管理权限才能录入或修改重大事故隐患判定标准。"))


def _context(user: Any, **extra: Any) -> dict[str, Any]:
    return {
        "may_view": _may_view(user),
        "may_manage": True,
        "may_configure": _may_configure(user),
        "may_load": selectors.may_load_criteria(user),
        **extra,
    }


def _form_errors(form: forms.CriteriaSetForm, exc: ValidationError) -> None:
    """The service's "items" errors belong to the pasted items, or to the file when one was sent."""
    if hasattr(exc, "error_dict") and "items" in exc.error_dict and "file" in form.fields:
        target = "file" if form.cleaned_data.get("file") else "items"
        for message in (m for e in exc.error_dict.pop("items") for m in e.messages):
            form.add_error(target, message)
        if not exc.error_dict:
            return
    form.apply(exc)


@require_GET
@manage_page
def criteria_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    sets = list(selectors.criteria_sets())
    for s in sets:
        s.in_force = s.covers(today)  # type: ignore[attr-defined]
        s.cited = selectors.criteria_cited(s)  # type: ignore[attr-defined]
    scopes_in_force = {s.scope for s in sets if s.in_force}  # type: ignore[attr-defined]
    return render(
        request,
        "hazards/criteria_list.html",
        _context(
            request.user,
            sets=sets,
            today=today,
            without=sorted({s.scope for s in sets} - scopes_in_force),
        ),
    )


@require_GET
@manage_page
def criteria_detail(request: HttpRequest, pk: int) -> HttpResponse:
    criteria_set = get_object_or_404(selectors.criteria_sets(), pk=pk)
    return render(
        request,
        "hazards/criteria_detail.html",
        _context(
            request.user,
            criteria_set=criteria_set,
            cited=selectors.criteria_cited(criteria_set),
            in_force=criteria_set.covers(timezone.localdate()),
        ),
    )


@require_http_methods(["GET", "POST"])
@manage_page
def criteria_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_loader(user)
    form = forms.CriteriaSetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_criteria_set(user, **form.values())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("已录入“%(code)s”，共 %(n)d 条。") % {"code": created.code, "n": created.items.count()},
            )
            return redirect("hazards:criteria-detail", pk=created.pk)
    return render(
        request,
        "hazards/criteria_form.html",
        _context(user, form=form, criteria_set=None),
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@manage_page
def criteria_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_loader(user)
    criteria_set = get_object_or_404(selectors.criteria_sets(), pk=pk)
    cited = selectors.criteria_cited(criteria_set)
    initial = {
        "code": criteria_set.code,
        "title": criteria_set.title,
        "scope": criteria_set.scope,
        "effective_from": criteria_set.effective_from,
        "effective_to": criteria_set.effective_to,
        "items": criteria.as_lines((i.number, i.text) for i in criteria_set.items.all()),
    }
    form = forms.CriteriaSetForm(
        request.POST or None, request.FILES or None, initial=initial, read_only=bool(cited)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_criteria_set(user, criteria_set, **form.values())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已保存“%(code)s”。") % {"code": form.cleaned_data["code"]})
            return redirect("hazards:criteria-detail", pk=criteria_set.pk)
    return render(
        request,
        "hazards/criteria_form.html",
        _context(user, form=form, criteria_set=criteria_set, cited=cited),
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@manage_page
def criteria_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_loader(user)
    criteria_set: CriteriaSet = get_object_or_404(selectors.criteria_sets(), pk=pk)
    try:
        services.delete_criteria_set(user, criteria_set)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("hazards:criteria-detail", pk=criteria_set.pk)
    messages.success(request, _("已删除“%(code)s”。") % {"code": criteria_set.code})
    return redirect("hazards:criteria")
