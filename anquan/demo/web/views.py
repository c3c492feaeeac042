"""The simulator page (模拟器): the fault scenarios, an injection form, and what each injection did.

For people who hold monitoring.configure somewhere on a site (area managers, the EHS director,
administrators); anyone else gets 403. Equipment offered and injections shown are limited to the
areas the viewer configures. Thin adapter: ``anquan.demo.simulate`` validates and writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.demo import simulate
from anquan.demo.models import FaultInjection, FaultStatus
from anquan.demo.web.forms import InjectForm
from anquan.org.models import Site
from anquan.simulator import scenarios as sc

STATUS_BADGES: dict[str, str] = {
    FaultStatus.SCHEDULED: "text-bg-secondary",
    FaultStatus.RUNNING: "text-bg-danger",
    FaultStatus.ENDED: "text-bg-success",
    FaultStatus.CANCELLED: "text-bg-light border",
}
LEVEL_LABELS = {"hh": "HH", "h": "H", "l": "L", "ll": "LL"}


def _site(request: HttpRequest) -> Site:
    """The site the page is about: ``?site=`` among those the viewer configures (demo first)."""
    sites = simulate.configurable_sites(request.user)
    if not sites.exists():
        raise PermissionDenied(_("您没有注入模拟故障的权限。"))
    wanted = request.POST.get("site") or request.GET.get("site")
    if wanted:
        if not str(wanted).isdigit():
            raise PermissionDenied(_("您没有注入模拟故障的权限。"))
        return get_object_or_404(sites, pk=int(wanted))
    demo_site = simulate.demo_site()
    if demo_site is not None and sites.filter(pk=demo_site.pk).exists():
        return demo_site
    first = sites.first()
    assert first is not None
    return first


def _local(value: str | None) -> str:
    if not value:
        return ""
    return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%m-%d %H:%M:%S")


def _truth(injection: FaultInjection) -> dict[str, Any] | None:
    """The ground truth as the page shows it."""
    truth = injection.ground_truth or {}
    if not truth:
        return None
    if "error" in truth:
        return {"error": truth["error"], "rows": []}
    rows = []
    for row in truth.get("tags", []):
        rows.append(
            {
                "tag": row["tag"],
                "equipment": row["equipment"],
                "up": row["direction"] == "up",
                "onset": _local(row.get("onset")),
                "noticeable": _local(row.get("noticeable")),
                "peak": row.get("peak"),
                "normal": row.get("normal"),
                "crossings": [
                    (LEVEL_LABELS[level], _local(at))
                    for level, at in (row.get("crossings_at") or {}).items()
                    if at
                ],
                "out_of_range": row.get("out_of_range"),
            }
        )
    first = truth.get("first_crossing")
    return {
        "first": (
            {"tag": first["tag"], "level": LEVEL_LABELS[first["level"]], "at": _local(first["at"])}
            if first
            else None
        ),
        "tag": truth.get("tag"),
        "mode": simulate.MODE_LABELS.get(truth.get("mode") or ""),
        "started": _local(truth.get("started_at")),
        "ended": _local(truth.get("ended_at")),
        "rows": rows,
    }


def _rows(request: HttpRequest, site: Site) -> list[dict[str, Any]]:
    out = []
    for injection in simulate.injections(request.user, site)[: simulate.RECENT_INJECTIONS]:
        out.append(
            {
                "obj": injection,
                "label": simulate.SCENARIO_LABELS.get(injection.scenario, injection.scenario),
                "badge": STATUS_BADGES.get(injection.status, "text-bg-secondary"),
                "severity": (injection.params or {}).get("severity", 1.0),
                "minutes": injection.duration_s / 60,
                "cancellable": injection.status in (FaultStatus.SCHEDULED, FaultStatus.RUNNING),
                "truth": _truth(injection),
            }
        )
    return out


def _scenarios(request: HttpRequest, site: Site) -> list[dict[str, Any]]:
    spec = simulate.spec_for_site(site)
    mine = set(simulate.configurable_equipment(request.user, site).values_list("code", flat=True))
    return [
        {
            "name": name,
            "label": simulate.SCENARIO_LABELS[name],
            "help": simulate.SCENARIO_HELP[name],
            "minutes": info.default_duration_s / 60,
            "equipment": [code for code in sc.applicable(spec, name) if code in mine],
        }
        for name, info in sc.SCENARIOS.items()
    ]


def _page(request: HttpRequest, site: Site, form: InjectForm, status: int = 200) -> HttpResponse:
    context = {
        "site": site,
        "sites": simulate.configurable_sites(request.user),
        "form": form,
        "scenarios": _scenarios(request, site),
        "rows": _rows(request, site),
    }
    return render(request, "demo/simulator.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def simulator(request: HttpRequest) -> HttpResponse:
    site = _site(request)
    equipment = simulate.configurable_equipment(request.user, site)
    if request.method != "POST":
        return _page(request, site, InjectForm(equipment=equipment))
    form = InjectForm(request.POST, equipment=equipment)
    if form.is_valid():
        data = form.cleaned_data
        try:
            injection = simulate.inject(
                request.user,
                site=site,
                scenario=data["scenario"],
                equipment=data["equipment"],
                in_minutes=data["in_minutes"],
                duration_minutes=data["duration_minutes"],
                severity=data["severity"],
                tag=data["tag"].strip() or None,
                mode=data["mode"] or None,
            )
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(
                request,
                _("已计划故障注入 #%(id)s：%(label)s @ %(eq)s。运行中的模拟器将在开始时间执行。")
                % {
                    "id": injection.pk,
                    "label": simulate.SCENARIO_LABELS[injection.scenario],
                    "eq": data["equipment"].code,
                },
            )
            return redirect(f"{reverse('demo:simulator')}?site={site.pk}")
    return _page(request, site, form, status=400)


@login_required
@require_GET
def injection_list(request: HttpRequest) -> HttpResponse:
    """The injections table alone (the page refreshes it every few seconds)."""
    site = _site(request)
    return render(request, "demo/_injections.html", {"site": site, "rows": _rows(request, site)})


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    site = _site(request)
    injection = get_object_or_404(simulate.injections(request.user, site), pk=pk)
    try:
        simulate.cancel(request.user, injection)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已取消故障注入 #%(id)s。") % {"id": pk})
    return redirect(f"{reverse('demo:simulator')}?site={site.pk}")
