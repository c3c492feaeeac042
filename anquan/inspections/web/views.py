"""The inspections pages, mounted at /inspections/ (url names ``inspections:…``).

- ``rounds``: the rounds a person may walk or see, missed and late ones flagged; ``round``: the
  phone page of one round (check in by code, record each item with its photo, finish), step by
  step online, or walked offline: the page embeds the route with the SHA-256 of each checkpoint
  code (never the code), keeps the walk in the phone's IndexedDB and, once finished, queues the
  whole round in the outbox (``web/outbox.js``) as one request to ``POST
  /api/v1/inspections/rounds/{id}/submit``. Both pages open offline once visited (the service
  worker, ``offline_pages`` of the app). A checkpoint's QR code encodes ``/inspections/#scan=CODE``:
  opened by the phone's camera app, it checks in on the round walked on this phone.
- ``plans``: plans and routes (planners create them); ``route``: a route's checkpoints and their
  checklists; ``codes``: the printable QR sheet of a route's checkpoints.
- ``health``: the asset health of a site; ``equipment_health``: one equipment's score, reasons and trend;
  ``weights``: a site's health score weights and band edges (``inspections.plan`` over the whole
  site), with a preview of the site's assets scored under the current and the proposed weights.
- ``reports``: the daily health reports; ``report`` / ``report_pdf``; ``report_settings``.

Thin adapters: reads through ``selectors``, writes through ``services`` / ``assistant`` / ``reports``
(PermissionDenied → 403, ValidationError → the messages on the page).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.inspections import assistant, health, reports, selectors, services
from anquan.inspections.choices import Cycle, DayRule, ItemKind, OnFail, RoundStatus
from anquan.inspections.models import CheckIn, CheckItem, ItemResult, Round
from anquan.inspections.web.forms import WeightsForm
from anquan.monitoring.web.common import capability_page, int_param
from anquan.org import selectors as org_selectors
from anquan.org.access import Access, Paths, Place, place_of_site
from anquan.org.models import Area, Site, Team, User
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_VIEW, INSPECTION_WALK
from anquan.plant import selectors as plant_selectors
from anquan.platform.attachments.selectors import attachments_of

PAGE_SIZE = 50

view_page = capability_page(INSPECTION_VIEW, gettext_lazy("您没有查看巡检的权限。"))
walk_page = capability_page(INSPECTION_WALK, gettext_lazy("您没有执行巡检的权限。"))
plan_page = capability_page(INSPECTION_PLAN, gettext_lazy("您没有配置巡检计划的权限。"))


def _view_or_walk(view: Any) -> Any:
    """Signed-in users who view or walk inspections somewhere (the selectors say where)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access = Access.of(request.user)
        if not (access.can(INSPECTION_VIEW) or access.can(INSPECTION_WALK)):
            raise PermissionDenied(_("您没有查看巡检的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


def _pk(request: HttpRequest, name: str) -> int:
    """A posted record id (0, which matches nothing, when missing or malformed)."""
    return int_param(request.POST.get(name)) or 0


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for messages_ in (exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}).values():
        for message in messages_:
            messages.error(request, message)


def _planning_areas(user: Any) -> Any:
    return Access.of(user).filter(
        Area.objects.select_related("site"), INSPECTION_PLAN, Paths(site="site", area="pk")
    )


def _planning_teams(user: Any) -> Any:
    return Access.of(user).filter(
        Team.objects.select_related("area__site"),
        INSPECTION_PLAN,
        Paths(site="area__site", area="area", team="pk"),
    )


# --- rounds ------------------------------------------------------------------------------------
@require_GET
@_view_or_walk
def rounds(request: HttpRequest) -> HttpResponse:
    user = request.user
    walker = Access.of(user).can(INSPECTION_WALK)
    default = "todo" if walker else "all"
    tab = request.GET.get("tab") if request.GET.get("tab") in ("todo", "flagged", "all") else default
    qs = selectors.rounds(user).order_by("-starts_at", "-pk")
    if tab == "todo":
        qs = (
            selectors.walkable_rounds(user)
            .filter(status__in=[RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS])
            .order_by("due_at", "pk")
        )
    elif tab == "flagged":
        qs = qs.filter(status=RoundStatus.MISSED) | qs.filter(late=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    scan_text = {"scanned": _("已扫描点位码。请打开要执行的巡检任务，签到会自动填入。")}
    return render(
        request,
        "inspections/rounds.html",
        {
            "page": page,
            "tab": tab,
            "query": f"tab={tab}",
            "outbox_text": _offline_text(),
            "scan_text": scan_text,
        },
    )


SCAN_FRAGMENT = "#scan="


def scan_url(request: HttpRequest, code: str) -> str:
    """What a checkpoint's QR code encodes: the rounds page with the code in the fragment (never
    sent to the server, so the page opens from the phone's cache offline). Opened by the phone's
    camera app, it checks in at the checkpoint of the round in progress on this phone."""
    return request.build_absolute_uri(reverse("inspections:rounds")) + SCAN_FRAGMENT + code


def scanned_code(raw: str) -> str:
    """The checkpoint code in what was typed or scanned: the code itself, or a QR code's URL."""
    raw = (raw or "").strip()
    if SCAN_FRAGMENT in raw:
        raw = raw.rsplit(SCAN_FRAGMENT, 1)[1]
    return raw.strip().upper()


def code_hash(code: str) -> str:
    """SHA-256 (hex) of a checkpoint code: the round page checks a scanned code against it on the
    phone without ever holding the code itself."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _offline_walk(request: HttpRequest, made: Round, sheet: list[dict[str, Any]]) -> dict[str, Any]:
    """What the round page needs to walk the round without a network (no checkpoint codes)."""
    return {
        "round": made.pk,
        "user": request.user.pk,
        "label": _("巡检“%(name)s”") % {"name": made.plan.name},
        "rounds_url": reverse("inspections:rounds"),
        "max_body": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,  # None: no limit
        "submit_url": reverse("api:inspection_round_submit", kwargs={"round_id": made.pk}),
        "checkpoints": [
            {
                "id": cp["checkpoint"].pk,
                "name": f"{cp['checkpoint'].position}. {cp['checkpoint'].name}",
                "where": cp["checkpoint"].equipment.code
                if cp["checkpoint"].equipment
                else cp["checkpoint"].area.name,
                "hash": code_hash(cp["checkpoint"].code),
                "checked_in": cp["checkin"] is not None,
                "items": [
                    {
                        "id": row["item"].pk,
                        "name": row["item"].name,
                        "kind": row["item"].kind,
                        "low": row["item"].low,
                        "high": row["item"].high,
                        "unit": row["item"].unit,
                        "photo_required": row["item"].photo_required,
                        "recorded": row["result"] is not None,
                        "has_photo": bool(row["photos"]),
                    }
                    for row in cp["items"]
                ],
            }
            for cp in sheet
        ],
    }


def _offline_text() -> dict[str, str]:
    return {
        "waiting": _("%(count)s 项待上传，联网后自动上传。"),
        "refused": _("%(label)s未被接受：%(message)s"),
        "discard": _("放弃"),
    }


def _round_text() -> dict[str, str]:
    return {
        "checked_in": _("已签到"),
        "checkin": _("签到"),
        "placeholder": _("扫描或输入点位码"),
        "value": _("读数"),
        "note": _("备注"),
        "photo": _("照片"),
        "record": _("记录"),
        "finish": _("完成巡检"),
        "unverified": _("未校验，上传时由服务器核对"),
        "code_required": _("请扫描或输入点位码。"),
        "code_invalid": _("点位码无效：没有这个巡检点。"),
        "code_other": _("这是“%(name)s”的点位码。"),
        "code_scanned": _("已扫描点位码，请在对应巡检点确认签到。"),
        "value_required": _("请填写读数。"),
        "value_invalid": _("请输入有效的数字。"),
        "ok_required": _("请选择正常或异常。"),
        "photo_required": _("此检查项须拍照。"),
        "recorded_online": _("已在线记录"),
        "pass": _("正常"),
        "fail": _("异常"),
        "missing": _("还有检查项未记录：%(names)s。"),
        "queued": _("巡检已完成，待上传。联网后自动上传。"),
        "refused": _("服务器未接受本次巡检（原因见上方）。放弃后可修改记录再完成，或放弃离线记录。"),
        "too_big": _("照片太多或太大，整次巡检无法一次上传：请减少照片后再完成。"),
        "photos": _("%(count)s 张照片"),
    }


def _sheet(viewer: Any, made: Round) -> list[dict[str, Any]]:
    checkins = {c.checkpoint_id: c for c in CheckIn.objects.filter(round=made)}
    results = {r.item_id: r for r in ItemResult.objects.filter(round=made)}
    out = []
    for cp in made.route.checkpoints.order_by("position", "pk").select_related("equipment", "area"):
        items = []
        for item in cp.items.order_by("position", "pk"):
            result = results.get(item.pk)
            photos = list(attachments_of(viewer, result)) if result is not None else []
            items.append({"item": item, "result": result, "photos": photos})
        out.append({"checkpoint": cp, "checkin": checkins.get(cp.pk), "items": items})
    return out


@require_GET
@_view_or_walk
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    made = get_object_or_404(selectors.rounds(request.user), pk=pk)
    may_walk = selectors.walkable_rounds(request.user).filter(pk=pk).exists() and made.status in (
        RoundStatus.SCHEDULED,
        RoundStatus.IN_PROGRESS,
    )
    sheet = _sheet(request.user, made)
    done = sum(1 for cp in sheet for i in cp["items"] if i["result"] is not None)
    total = sum(len(cp["items"]) for cp in sheet)
    return render(
        request,
        "inspections/round.html",
        {
            "round": made,
            "sheet": sheet,
            "may_walk": may_walk,
            "done": done,
            "total": total,
            "walk": _offline_walk(request, made, sheet) if may_walk else None,
            "walk_text": _round_text(),
            "outbox_text": _offline_text(),
        },
    )


def _walkable(request: HttpRequest, pk: int) -> Round:
    return get_object_or_404(selectors.walkable_rounds(request.user), pk=pk)


@require_POST
@walk_page
def round_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    made = _walkable(request, pk)
    try:
        checkin = services.check_in(request.user, made, scanned_code(request.POST.get("code", "")))
        messages.success(request, _("已在“%(name)s”签到。") % {"name": checkin.checkpoint.name})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("inspections:round", pk=made.pk)


@require_POST
@walk_page
def round_record(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    made = _walkable(request, pk)
    item = get_object_or_404(
        CheckItem.objects.select_related("checkpoint"), pk=item_pk, checkpoint__route_id=made.route_id
    )
    ok_raw = request.POST.get("ok")
    ok = {"1": True, "0": False}.get(ok_raw or "")
    try:
        services.record_result(
            request.user, made, item, value=request.POST.get("value") or None, ok=ok,
            note=request.POST.get("note", ""), photos=request.FILES.getlist("photos"),
        )  # fmt: skip
        messages.success(request, _("已记录“%(name)s”。") % {"name": item.name})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(reverse("inspections:round", args=[made.pk]) + f"#cp-{item.checkpoint_id}")


@require_POST
@walk_page
def round_finish(request: HttpRequest, pk: int) -> HttpResponse:
    made = _walkable(request, pk)
    try:
        made = services.finish_round(request.user, made)
        messages.success(request, _("巡检已完成。") if not made.late else _("巡检已完成（超时）。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("inspections:round", pk=made.pk)


# --- plans, routes, checkpoints ----------------------------------------------------------------
@require_GET
@_view_or_walk
def plans(request: HttpRequest) -> HttpResponse:
    user = request.user
    may_plan = Access.of(user).can(INSPECTION_PLAN)
    return render(
        request,
        "inspections/plans.html",
        {
            "plans": selectors.plans(user).order_by("site__name", "name", "pk"),
            "routes": selectors.routes(user).order_by("site__name", "name", "pk"),
            "may_plan": may_plan,
            "areas": _planning_areas(user) if may_plan else [],
            "teams": _planning_teams(user) if may_plan else [],
            "planning_routes": selectors.planning_routes(user) if may_plan else [],
            "cycles": Cycle.choices,
            "day_rules": DayRule.choices,
        },
    )


@require_POST
@plan_page
def route_create(request: HttpRequest) -> HttpResponse:
    area = _planning_areas(request.user).filter(pk=_pk(request, "area")).first()
    if area is None:
        messages.error(request, _("请选择区域。"))
        return redirect("inspections:plans")
    try:
        route = services.create_route(
            request.user,
            area=area,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("inspections:plans")
    return redirect("inspections:route", pk=route.pk)


@require_POST
@plan_page
def plan_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    route = selectors.planning_routes(user).filter(pk=_pk(request, "route")).first()
    team = _planning_teams(user).filter(pk=_pk(request, "team")).first()
    if route is None or team is None:
        messages.error(request, _("请选择路线和责任班组。"))
        return redirect("inspections:plans")
    try:
        start_time = dt.time.fromisoformat(request.POST.get("start_time") or "08:00")
        window = int(request.POST.get("window_minutes") or 60)
    except ValueError:
        messages.error(request, _("请输入有效的开始时间和完成时限。"))
        return redirect("inspections:plans")
    try:
        services.create_plan(
            user, route=route, team=team, name=request.POST.get("name", ""), cycle=request.POST.get("cycle", ""),
            day_rule=request.POST.get("day_rule") or DayRule.EVERY_DAY, start_time=start_time, window_minutes=window,
        )  # fmt: skip
        messages.success(request, _("巡检计划已创建。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("inspections:plans")


@require_POST
@plan_page
def plan_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.planning_plans(request.user), pk=pk)
    services.set_plan_active(request.user, plan, not plan.active)
    return redirect("inspections:plans")


@require_GET
@view_page
def route_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    route = get_object_or_404(selectors.routes(user), pk=pk)
    may_plan = selectors.planning_routes(user).filter(pk=pk).exists()
    return render(
        request,
        "inspections/route.html",
        {
            "route": route,
            "checkpoints": selectors.checkpoints(route),
            "may_plan": may_plan,
            "equipment": plant_selectors.equipment(user, INSPECTION_PLAN).filter(area__site_id=route.site_id)
            if may_plan
            else [],
            "areas": _planning_areas(user).filter(site_id=route.site_id) if may_plan else [],
            "kinds": ItemKind.choices,
            "on_fail": OnFail.choices,
        },
    )


@require_POST
@plan_page
def checkpoint_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    route = get_object_or_404(selectors.planning_routes(user), pk=pk)
    equipment = plant_selectors.equipment(user, INSPECTION_PLAN).filter(pk=_pk(request, "equipment")).first()
    area = _planning_areas(user).filter(pk=_pk(request, "area")).first()
    try:
        services.add_checkpoint(
            user, route, name=request.POST.get("name", ""), area=area, equipment=equipment
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("inspections:route", pk=route.pk)


@require_POST
@plan_page
def item_create(request: HttpRequest, pk: int, checkpoint_pk: int) -> HttpResponse:
    route = get_object_or_404(selectors.planning_routes(request.user), pk=pk)
    checkpoint = get_object_or_404(route.checkpoints, pk=checkpoint_pk)
    try:
        services.add_item(
            request.user, checkpoint, name=request.POST.get("name", ""), kind=request.POST.get("kind", ""),
            low=request.POST.get("low") or None, high=request.POST.get("high") or None,
            unit=request.POST.get("unit", ""), photo_required=request.POST.get("photo_required") == "on",
            on_fail=request.POST.get("on_fail") or OnFail.NONE,
        )  # fmt: skip
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(reverse("inspections:route", args=[route.pk]) + f"#cp-{checkpoint.pk}")


@require_GET
@plan_page
def codes(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable sheet of a route's checkpoint codes (QR + the code as text). Only planners see
    codes: a walker proves presence by scanning one."""
    import segno

    route = get_object_or_404(selectors.planning_routes(request.user), pk=pk)
    sheet = [
        {
            "checkpoint": cp,
            "svg": segno.make(scan_url(request, cp.code), error="m").svg_inline(scale=4, border=2),
        }
        for cp in route.checkpoints.order_by("position", "pk").select_related("equipment", "area")
    ]
    return render(request, "inspections/codes.html", {"route": route, "sheet": sheet})


# --- asset health ------------------------------------------------------------------------------
def _site(request: HttpRequest, user: Any) -> tuple[list[Site], Site | None]:
    sites = list(Site.objects.filter(pk__in=org_selectors.sites(user).values("pk")).order_by("name"))
    ids = Access.of(user).site_ids(INSPECTION_VIEW)
    sites = [s for s in sites if ids is None or s.pk in ids]
    wanted = int_param(request.GET.get("site"))
    chosen = next((s for s in sites if s.pk == wanted), sites[0] if sites else None)
    return sites, chosen


@require_GET
@view_page
def health_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    sites, site = _site(request, user)
    scores = selectors.latest_health(user, site.pk) if site else []
    configurable = list(selectors.weight_sites(user))
    weights_site = next(
        (s for s in configurable if site and s.pk == site.pk), configurable[0] if configurable else None
    )
    return render(
        request,
        "inspections/health.html",
        {"sites": sites, "site": site, "scores": scores, "weights_site": weights_site},
    )


@require_GET
@view_page
def equipment_health(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    equipment = get_object_or_404(plant_selectors.equipment(user, INSPECTION_VIEW), pk=pk)
    past = assistant.history(equipment)
    latest = past[-1] if past else None
    return render(
        request,
        "inspections/equipment_health.html",
        {
            "equipment": equipment,
            "latest": latest,
            "history": list(reversed(past)),
            "trend": health.trend([s.score for s in past]),
            "spark": _spark([s.score for s in past]),
            "weights_used": _weights_used(latest.weights if latest else {}),
        },
    )


def _weights_used(values: dict[str, Any]) -> list[dict[str, Any]]:
    """The weights a stored score was made with, labelled (none for a score without them)."""
    return [
        {"group": s.group, "label": s.label, "unit": s.unit, "value": f"{values[s.name]:g}"}
        for s in health.SETTINGS
        if s.name in values
    ]


WHOLE_SITE = gettext_lazy("只有全场所的巡检配置权限才能设置健康评分权重。")


@require_http_methods(["GET", "POST"])
@plan_page
def weights(request: HttpRequest, site_pk: int | None = None) -> HttpResponse:
    """A site's health score weights. GET shows them (``?defaults=1``: the defaults, not saved);
    POST ``action=preview`` scores the site's assets under the proposed weights beside the current
    ones without saving, ``action=save`` saves them (the next assessments use them)."""
    user = request.user
    sites = selectors.weight_sites(user)
    if site_pk is None:
        first = sites.first()
        if first is None:
            raise PermissionDenied(WHOLE_SITE)
        return redirect("inspections:weights-site", site_pk=first.pk)
    site = get_object_or_404(selectors.sites_reached(user, INSPECTION_PLAN), pk=site_pk)
    if not sites.filter(pk=site.pk).exists():
        raise PermissionDenied(WHOLE_SITE)
    stored = selectors.health_weights(site.pk)
    proposed: health.Weights | None = None
    if request.method == "POST":
        form = WeightsForm(request.POST)
        if form.is_valid():
            try:
                if request.POST.get("action") == "save":
                    assistant.configure_weights(user, site, form.cleaned_data)
                    messages.success(
                        request,
                        _("%(site)s 的健康评分权重已保存，之后的评估按新权重计算。") % {"site": site.name},
                    )
                    return redirect("inspections:weights-site", site_pk=site.pk)
                errors = health.problems(form.cleaned_data)
                if errors:
                    raise ValidationError(errors)
                proposed = health.Weights.from_dict(form.cleaned_data)
            except ValidationError as exc:
                form.apply(exc)
    else:
        current = stored.weights() if stored is not None else health.WEIGHTS
        proposed = health.WEIGHTS if request.GET.get("defaults") else current
        form = WeightsForm(initial=proposed.as_dict())
    return render(
        request,
        "inspections/weights.html",
        {
            "site": site,
            "sites": sites,
            "stored": stored,
            "form": form,
            "posted": request.method == "POST",
            "preview": assistant.preview(site, proposed) if proposed is not None else None,
            "preview_max": assistant.PREVIEW_MAX,
        },
        status=400 if proposed is None else 200,
    )


def _spark(scores: list[int], width: int = 300, height: int = 60) -> str:
    """Points of an SVG polyline of the scores (0–100), oldest left."""
    if len(scores) < 2:
        return ""
    step = width / (len(scores) - 1)
    return " ".join(f"{i * step:.1f},{height - s * height / 100:.1f}" for i, s in enumerate(scores))


# --- daily reports -----------------------------------------------------------------------------
@require_GET
@view_page
def reports_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.reports(user).order_by("-date", "site__name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    setting_sites = [
        s for s in org_selectors.sites(user) if Access.of(user).covers(INSPECTION_PLAN, _place(s))
    ]
    return render(
        request, "inspections/reports.html", {"page": page, "query": "", "setting_sites": setting_sites}
    )


def _place(site: Site) -> Place:
    return place_of_site(site)


@require_GET
@view_page
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(selectors.reports(request.user), pk=pk)
    return render(request, "inspections/report.html", {"report": report, "c": report.content})


@require_GET
@view_page
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(selectors.reports(request.user), pk=pk)
    response = HttpResponse(reports.pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="health-report-{report.site_id}-{report.date}.pdf"'
    return response


@plan_page
def report_settings(request: HttpRequest, site_pk: int) -> HttpResponse:
    user = request.user
    site = get_object_or_404(org_selectors.sites(user), pk=site_pk)
    if not Access.of(user).covers(INSPECTION_PLAN, _place(site)):
        raise Http404
    setting = selectors.report_setting(site.pk)
    candidates = [
        u for u in User.objects.filter(is_active=True).order_by("username")
        if Access.of(u).covers(INSPECTION_VIEW, _place(site))
    ]  # fmt: skip
    if request.method == "POST":
        chosen = {int_param(v) for v in request.POST.getlist("subscribers")}
        try:
            send_at = dt.time.fromisoformat(request.POST.get("send_at") or "07:30")
            reports.configure(
                user, site, send_at=send_at, subscribers=[u for u in candidates if u.pk in chosen]
            )
            messages.success(request, _("日报设置已保存。"))
            return redirect("inspections:reports")
        except ValueError:
            messages.error(request, _("请输入有效的时间。"))
        except ValidationError as exc:
            _errors(request, exc)
    current = set(setting.subscribers.values_list("pk", flat=True)) if setting else set()
    return render(
        request,
        "inspections/report_settings.html",
        {
            "site": site,
            "send_at": setting.send_at if setting else reports.DEFAULT_SEND_AT,
            "candidates": candidates,
            "current": current,
        },
    )
