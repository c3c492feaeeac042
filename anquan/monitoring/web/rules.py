"""报警规则: the alarm rules of a site (list, create, edit, delete), taking a rule out of service and
back, and the site's escalation policy. Everything here needs monitoring.configure.

A rule the viewer cannot see is a 404; one it sees but may not configure is a 403. The services
validate (per-kind ``params`` included) and their field errors are shown on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.monitoring import selectors, services
from anquan.monitoring.alarms.escalation import DEFAULT_ROLES
from anquan.monitoring.choices import AlarmMode, RuleKind, RuleSource
from anquan.monitoring.models import AlarmRule
from anquan.monitoring.web.common import configure_page, int_param, is_htmx
from anquan.monitoring.web.console import changed
from anquan.monitoring.web.forms import EscalationForm, ReasonForm, RuleForm
from anquan.org.access import Access, place_of_site
from anquan.org.models import Site
from anquan.org.roles import MONITOR_CONFIGURE
from anquan.plant.choices import AlarmPriority

PAGE_SIZE = 50


def _configurable(request: HttpRequest, pk: int) -> AlarmRule:
    """The rule as the viewer may configure it: 404 when out of sight, 403 when only seen."""
    user = request.user
    rule = get_object_or_404(selectors.rules(user), pk=pk)
    if not selectors.rules(user, MONITOR_CONFIGURE).filter(pk=rule.pk).exists():
        raise PermissionDenied(_("您没有配置该报警规则的权限。"))
    return rule


# --- List -------------------------------------------------------------------------------------
@require_GET
@configure_page
def rule_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = {
        key: request.GET.get(key, "").strip()
        for key in ("site", "area", "kind", "priority", "mode", "source", "q")
    }
    qs = selectors.rules(user, MONITOR_CONFIGURE)
    site_id = int_param(params["site"])
    area_id = int_param(params["area"])
    if site_id:
        qs = qs.filter(site_id=site_id)
    if area_id:
        qs = qs.filter(area_id=area_id)
    if params["kind"] in RuleKind.values:
        qs = qs.filter(kind=params["kind"])
    if params["priority"] in AlarmPriority.values:
        qs = qs.filter(priority=params["priority"])
    if params["source"] in RuleSource.values:
        qs = qs.filter(source=params["source"])
    if params["mode"] in AlarmMode.values:
        if params["mode"] == AlarmMode.IN_SERVICE:
            qs = qs.filter(Q(point__isnull=True) | Q(point__mode=AlarmMode.IN_SERVICE))
        else:
            qs = qs.filter(point__mode=params["mode"])
    if params["q"]:
        qs = qs.filter(Q(name__icontains=params["q"]) | Q(tag__tag__icontains=params["q"]))
    page = Paginator(qs.order_by("site__name", "area__code", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    sites = list(selectors.sites(user, MONITOR_CONFIGURE))
    areas = selectors.areas(user, MONITOR_CONFIGURE).order_by("site__name", "code")
    if site_id:
        areas = areas.filter(site_id=site_id)
    escalation_sites = [s for s in sites if Access.of(user).covers(MONITOR_CONFIGURE, place_of_site(s))]
    return render(
        request,
        "monitoring/rules.html",
        {
            "page": page,
            "params": params,
            "query": query.urlencode(),
            "sites": sites,
            "areas": list(areas),
            "kinds": RuleKind.choices,
            "priorities": AlarmPriority.choices[::-1],
            "modes": AlarmMode.choices,
            "sources": RuleSource.choices,
            "create_site": site_id or (sites[0].pk if len(sites) == 1 else None),
            "escalation_sites": escalation_sites,
        },
    )


# --- Create and edit --------------------------------------------------------------------------
def _rule_form(
    request: HttpRequest, site: Site, instance: AlarmRule | None = None, **kwargs: Any
) -> RuleForm:
    user = request.user
    return RuleForm(
        request.POST if request.method == "POST" else None,
        areas=selectors.areas(user, MONITOR_CONFIGURE).filter(site=site).order_by("code"),
        tags=selectors.tags(user).filter(site=site),
        instance=instance,
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
@configure_page
def rule_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    sites = list(selectors.sites(user, MONITOR_CONFIGURE))
    site_id = int_param(request.GET.get("site"))
    if site_id is None and len(sites) == 1:
        site_id = sites[0].pk
    if site_id is None:
        return render(request, "monitoring/rule_site_choice.html", {"sites": sites})
    site = get_object_or_404(selectors.sites(user, MONITOR_CONFIGURE), pk=site_id)
    initial: dict[str, Any] = {}
    if request.GET.get("kind") in RuleKind.values:
        initial["kind"] = request.GET["kind"]
    if int_param(request.GET.get("tag")):
        initial["tag"] = int_param(request.GET.get("tag"))
    if int_param(request.GET.get("area")):
        initial["area"] = int_param(request.GET.get("area"))
    form = _rule_form(request, site, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.create_rule(user, site=site, **form.values())
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("已新建报警规则“%(name)s”。") % {"name": rule.name})
            return redirect(reverse("monitoring:rules") + f"?site={site.pk}")
    return render(
        request,
        "monitoring/rule_form.html",
        {"site": site, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@configure_page
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rule = _configurable(request, pk)
    form = _rule_form(request, rule.site, instance=rule)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            if changes:
                services.update_rule(user, rule, **changes)
        except ValidationError as exc:
            form.apply(exc)
            rule.refresh_from_db()
        else:
            messages.success(request, _("报警规则“%(name)s”已保存。") % {"name": rule.name})
            return redirect(reverse("monitoring:rules") + f"?site={rule.site_id}")
    journal = list(selectors.journal(user, rule=rule.pk)[:20])
    return render(
        request,
        "monitoring/rule_form.html",
        {
            "site": rule.site,
            "rule": rule,
            "form": form,
            "journal": journal,
            "point": getattr(rule, "point", None),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@configure_page
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rule = _configurable(request, pk)
    error = ""
    if request.method == "POST":
        site_id = rule.site_id
        try:
            services.delete_rule(user, rule)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("报警规则已删除。"))
            return redirect(reverse("monitoring:rules") + f"?site={site_id}")
    return render(
        request,
        "monitoring/rule_delete.html",
        {"rule": rule, "error": error},
        status=400 if error else 200,
    )


# --- Out of service ---------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@configure_page
def rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """停用: take a rule's alarm out of service, with a reason."""
    user = request.user
    rule = _configurable(request, pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_from_service(user, rule.pk, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("“%(name)s”已停用。") % {"name": rule.name})
            return redirect(reverse("monitoring:rules") + f"?site={rule.site_id}")
    return render(
        request,
        "monitoring/rule_remove.html",
        {"rule": rule, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@configure_page
def rule_return(request: HttpRequest, pk: int) -> HttpResponse:
    """恢复投用: return a rule's alarm to service."""
    user = request.user
    rule = _configurable(request, pk)
    try:
        services.return_to_service(user, rule.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if is_htmx(request):
            return changed()
        messages.success(request, _("“%(name)s”已恢复投用。") % {"name": rule.name})
    target = request.POST.get("next", "")
    if target == "console":
        return redirect(reverse("monitoring:console") + "?tab=suppressed")
    return redirect(reverse("monitoring:rules") + f"?site={rule.site_id}")


# --- Escalation -------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@configure_page
def escalation(request: HttpRequest, site_id: int) -> HttpResponse:
    """The site's escalation policy: minutes per priority before the next role is notified."""
    user = request.user
    site = get_object_or_404(selectors.sites(user), pk=site_id)
    if not Access.of(user).covers(MONITOR_CONFIGURE, place_of_site(site)):
        raise PermissionDenied(_("只有全场所的报警配置权限才能修改升级策略。"))
    policy = selectors.escalation_policy(site)
    form = EscalationForm(
        request.POST if request.method == "POST" else None,
        instance=policy,
        default_roles=[str(role) for role in DEFAULT_ROLES],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_escalation_policy(user, site, **form.values())
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("报警升级策略已保存。"))
            return redirect("monitoring:escalation", site_id=site.pk)
    return render(
        request,
        "monitoring/escalation.html",
        {"site": site, "form": form, "policy": policy},
        status=400 if request.method == "POST" else 200,
    )
