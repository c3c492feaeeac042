"""The hazard pages, mounted at /hazards/ (url names ``hazards:…``).

- ``hazard_list``: the register (one's scope with ``hazards.view``, plus one's own reports) with filters;
- ``report``: the desktop report form; ``from_alarm``: turn a standing or chattering alarm into a hazard;
- ``detail``: one hazard with its timeline, duplicates, plan and files, and the forms of the steps the
  viewer may take now; ``step``: where those forms post;
- ``metrics``: closure times, on-time rate, overdue, open by colour and trends; ``export``: the
  register as Excel;
- ``risk_matrix``: a site's grading method (LEC or LS) and its risk matrix (``hazards.manage`` over
  the whole site).

Thin adapters: reads through ``hazards.selectors``, writes through ``hazards.services``
(PermissionDenied → 403, ValidationError → shown on the form).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.hazards import grading, reports, selectors, services
from anquan.hazards.choices import (
    GradingMethod,
    HazardGrade,
    HazardSource,
    HazardState,
    PlanStatus,
    RiskColour,
    StepKind,
)
from anquan.hazards.criteria import cited_text
from anquan.hazards.grading import national_codes
from anquan.hazards.models import Hazard, MajorHazardPlan, RiskMatrix
from anquan.hazards.web import forms
from anquan.hazards.web.presentation import (
    COLOUR_BADGES,
    STATE_BADGES,
    grading_text,
    hazard_grading_text,
    reason_text,
)
from anquan.monitoring import selectors as monitoring_selectors
from anquan.monitoring.web.common import capability_page, int_param
from anquan.org.access import Access, place_of_area, place_of_site
from anquan.org.models import Area, User
from anquan.org.roles import (
    HAZARD_ACCEPT,
    HAZARD_APPROVE_MAJOR,
    HAZARD_MANAGE,
    HAZARD_REPORT,
    HAZARD_VIEW,
    WORKORDER_MANAGE,
)
from anquan.workorders import selectors as workorder_selectors
from anquan.workorders.choices import OriginKind
from anquan.workorders.web.forms import FollowUpForm

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

hazard_page = capability_page(HAZARD_REPORT, gettext_lazy("您没有上报或查看隐患的权限。"))
register_page = capability_page(HAZARD_VIEW, gettext_lazy("您没有查看隐患台账的权限。"))
manage_page = capability_page(HAZARD_MANAGE, gettext_lazy("您没有管理隐患的权限。"))


def _may_view(user: Any) -> bool:
    return Access.of(user).can(HAZARD_VIEW)


def _may_configure(user: Any) -> bool:
    """Whether ``user`` may set some site's grading method and risk matrix."""
    return Access.of(user).can(HAZARD_MANAGE) and selectors.configurable_sites(user).exists()


# --- the register ---------------------------------------------------------------------------------
FILTERS = ("state", "grade", "colour", "source", "area")


@require_GET
@hazard_page
def hazard_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access = Access.of(user)
    qs = selectors.hazards(user).order_by("-reported_at", "-pk")
    params = {name: request.GET.get(name, "") for name in FILTERS}
    if params["state"] in HazardState.values:
        qs = qs.filter(state=params["state"])
    elif params["state"] == "open":
        qs = selectors.open_hazards(qs)
    if params["grade"] in HazardGrade.values:
        qs = qs.filter(grade=params["grade"])
    if params["colour"] in RiskColour.values:
        qs = qs.filter(risk_colour=params["colour"])
    if params["source"] in HazardSource.values:
        qs = qs.filter(source=params["source"])
    area_id = int_param(params["area"])
    if area_id:
        qs = qs.filter(area_id=area_id)
    mine = request.GET.get("mine") == "1" or not access.can(HAZARD_VIEW)
    if mine:
        qs = qs.filter(Q(reporter=user) | Q(responsible=user))
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        qs = selectors.overdue(qs, timezone.now())
    text = request.GET.get("q", "").strip()[:100]
    if text:
        qs = qs.filter(Q(number__icontains=text) | Q(description__icontains=text))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for hazard in page:
        hazard.badge = STATE_BADGES.get(hazard.state, "")  # type: ignore[attr-defined]
        hazard.colour_badge = COLOUR_BADGES.get(hazard.risk_colour, "")  # type: ignore[attr-defined]
        hazard.is_overdue = (  # type: ignore[attr-defined]
            hazard.state == HazardState.RECTIFYING and hazard.deadline is not None and hazard.deadline < now
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "hazards/list.html",
        {
            "page": page,
            "params": params,
            "area_id": area_id,
            "mine": mine,
            "overdue": overdue,
            "q": text,
            "query": query.urlencode(),
            "may_view": access.can(HAZARD_VIEW),
            "may_manage": access.can(HAZARD_MANAGE),
            "may_configure": _may_configure(user),
            "states": HazardState.choices,
            "grades": HazardGrade.choices,
            "colours": RiskColour.choices,
            "sources": HazardSource.choices,
            "areas": list(
                selectors.register(user)
                .values_list("area_id", "area__name")
                .distinct()
                .order_by("area__name")
            )
            if access.can(HAZARD_VIEW)
            else [],
        },
    )


# --- report ---------------------------------------------------------------------------------------
@require_GET
@hazard_page
def report(request: HttpRequest) -> HttpResponse:
    """隐患随手拍: works on a phone, and offline once opened (the service worker keeps the page; the
    outbox keeps the report until the network is back). ``?equipment=CODE`` — what an equipment's
    QR code opens — picks the equipment."""
    user = request.user
    areas = selectors.reportable_areas(user)
    equipment = selectors.reportable_equipment(user)
    initial: dict[str, Any] = {}
    code = request.GET.get("equipment", "").strip()
    if code:
        found = equipment.filter(code=code).first()
        if found is not None:
            initial["equipment_id"] = found.pk
    return render(
        request,
        "hazards/report.html",
        {
            "form": forms.ReportForm(initial=initial, areas=areas, equipment=equipment),
            "may_view": _may_view(user),
            "api_url": reverse("api:hazards_report"),
            "outbox_text": {
                "waiting": _("%(count)s 条上报待发送，联网后自动发送。"),
                "refused": _("%(label)s未被接受：%(message)s"),
                "discard": _("放弃"),
            },
        },
    )


def _files_on_form(exc: ValidationError) -> ValidationError:
    """Errors about the uploaded files (not a form field) go above the form."""
    if hasattr(exc, "error_dict") and "files" in exc.error_dict:
        rest = {k: v for k, v in exc.error_dict.items() if k != "files"}
        files = [m for e in exc.error_dict["files"] for m in e.messages]
        return ValidationError({**rest, "__all__": files})
    return exc


@require_http_methods(["GET", "POST"])
@hazard_page
def from_alarm(request: HttpRequest, occurrence_id: int) -> HttpResponse:
    user = request.user
    occurrence = get_object_or_404(monitoring_selectors.occurrences(user), pk=occurrence_id)
    form = forms.FromAlarmForm(request.POST or None)
    why = services.alarm_failure(occurrence, timezone.now())
    if request.method == "POST" and form.is_valid():
        try:
            hazard = services.hazard_from_alarm(
                user, occurrence, description=form.cleaned_data["description"]
            )
        except ValidationError as exc:
            form.apply(_occurrence_on_form(exc))
        else:
            messages.success(request, _("已转为隐患 %(number)s。") % {"number": hazard.number})
            return redirect("hazards:detail", pk=hazard.pk)
    return render(
        request,
        "hazards/from_alarm.html",
        {"form": form, "occurrence": occurrence, "why": why, "may_view": _may_view(user)},
    )


def _occurrence_on_form(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict") and "occurrence" in exc.error_dict:
        return ValidationError([m for e in exc.error_dict["occurrence"] for m in e.messages])
    return exc


# --- one hazard ------------------------------------------------------------------------------------
def _allowed(user: Any, hazard: Hazard, plan: MajorHazardPlan | None) -> dict[str, bool]:
    """The steps ``user`` may take on ``hazard`` now."""
    access = Access.of(user)
    place = place_of_area(hazard.area)
    manage = access.covers(HAZARD_MANAGE, place)
    state = hazard.state
    major = hazard.grade == HazardGrade.MAJOR
    approved = plan is not None and plan.status == PlanStatus.APPROVED
    return {
        "verify": manage and state == HazardState.REPORTED,
        "reject": manage and state == HazardState.REPORTED,
        "grade": manage and state in (HazardState.VERIFIED, HazardState.GRADED),
        "plan": manage and state == HazardState.GRADED and major and not approved,
        "approve": access.covers(HAZARD_APPROVE_MAJOR, place)
        and plan is not None
        and plan.status == PlanStatus.SUBMITTED,
        "assign": manage
        and (state == HazardState.RECTIFYING or (state == HazardState.GRADED and (not major or approved))),
        "rectify": state == HazardState.RECTIFYING and hazard.responsible_id == user.pk,
        "accept": access.covers(HAZARD_ACCEPT, place)
        and state == HazardState.AWAITING_ACCEPTANCE
        and user.pk not in (hazard.rectified_by_id, hazard.responsible_id),
        "close": manage and state == HazardState.ACCEPTED,
    }


def _people(hazard: Hazard) -> Any:
    return (
        User.objects.filter(is_active=True, assignments__enterprise_id=hazard.site.enterprise_id)
        .distinct()
        .order_by("name", "username")
    )


def _duplicates(user: Any, hazard: Hazard) -> list[tuple[int, str]]:
    candidates = [
        (c.candidate_id, f"{c.candidate.number} {c.candidate.title}")
        for c in hazard.candidates.select_related("candidate")
    ]
    seen = {pk for pk, _label in candidates}
    others = (
        selectors.open_hazards(selectors.hazards(user))
        .filter(site_id=hazard.site_id)
        .exclude(pk=hazard.pk)
        .exclude(pk__in=seen)
        .order_by("-reported_at")[:50]
    )
    return candidates + [(h.pk, f"{h.number} {h.title}") for h in others]


def _forms(request: HttpRequest, hazard: Hazard, bound: str | None = None) -> dict[str, Any]:
    """Every step's form (``bound`` with the posted data)."""
    data = request.POST if bound else None
    user = request.user

    def pick(name: str) -> Any:
        return data if bound == name else None

    plan = MajorHazardPlan.objects.filter(hazard=hazard).first()
    plan_initial = {f: getattr(plan, f) for f in services.PLAN_FIELDS} if plan is not None else {}
    assign_initial: dict[str, Any] = {}
    if hazard.responsible_id:
        assign_initial = {
            "responsible": hazard.responsible_id,
            "measures": hazard.measures,
            "funds": hazard.funds,
            "deadline": timezone.localtime(hazard.deadline) if hazard.deadline else None,
        }
    grade_initial: dict[str, Any] = {
        "grade": hazard.grade or HazardGrade.GENERAL,
        "manage_type": hazard.manage_type or "deadline",
        "lec_l": f"{hazard.lec_l:g}" if hazard.lec_l is not None else "",
        "lec_e": f"{hazard.lec_e:g}" if hazard.lec_e is not None else "",
        "lec_c": f"{hazard.lec_c:g}" if hazard.lec_c is not None else "",
        "ls_l": str(hazard.ls_l) if hazard.ls_l is not None else "",
        "ls_s": str(hazard.ls_s) if hazard.ls_s is not None else "",
    }
    grade_initial["criteria"] = [
        pk for pk in hazard.citations.values_list("item_id", flat=True).order_by("item__number")
    ]
    config = selectors.risk_matrix(hazard.site)
    in_force = selectors.criteria_in_force(selectors.hazard_day(hazard))
    return {
        "verify": forms.NoteForm(pick("verify"), prefix="verify"),
        "reject": forms.RejectForm(pick("reject"), prefix="reject", duplicates=_duplicates(user, hazard)),
        "grade": forms.GradeForm(
            pick("grade"), prefix="grade", initial=grade_initial, config=config, criteria_sets=in_force
        ),
        "plan": forms.PlanForm(pick("plan"), prefix="plan", initial=plan_initial),
        "approve": forms.NoteForm(pick("approve"), prefix="approve"),
        "assign": forms.AssignForm(
            pick("assign"), prefix="assign", people=_people(hazard), initial=assign_initial
        ),
        "rectify": forms.RectifyForm(pick("rectify"), prefix="rectify"),
        "accept": forms.AcceptForm(pick("accept"), prefix="accept"),
        "close": forms.NoteForm(pick("close"), prefix="close"),
    }


def _detail(
    request: HttpRequest,
    hazard: Hazard,
    step_forms: dict[str, Any],
    status: int = 200,
    work_order_form: FollowUpForm | None = None,
) -> HttpResponse:
    user = request.user
    plan = MajorHazardPlan.objects.filter(hazard=hazard).select_related("submitted_by", "approved_by").first()
    steps = list(selectors.timeline(hazard))
    for s in steps:
        s.grading = grading_text(s.data) if s.kind == StepKind.GRADED else ""  # type: ignore[attr-defined]
        s.criteria = cited_text(s.data.get("criteria") or []) if s.kind == StepKind.GRADED else ""  # type: ignore[attr-defined]
    flagged = list(hazard.candidates.select_related("candidate").order_by("-score", "pk"))
    visible = set(
        selectors.hazards(user).filter(pk__in=[c.candidate_id for c in flagged]).values_list("pk", flat=True)
    )
    candidates = [
        {"hazard": c.candidate, "score": c.score, "reasons": [reason_text(r) for r in c.reasons]}
        for c in flagged
        if c.candidate_id in visible
    ]
    now = timezone.now()
    return render(
        request,
        "hazards/detail.html",
        {
            "hazard": hazard,
            "plan": plan,
            "steps": steps,
            "candidates": candidates,
            "allowed": _allowed(user, hazard, plan),
            "forms": step_forms,
            "badge": STATE_BADGES.get(hazard.state, ""),
            "colour_badge": COLOUR_BADGES.get(hazard.risk_colour, ""),
            "overdue": hazard.state == HazardState.RECTIFYING
            and hazard.deadline is not None
            and hazard.deadline < now,
            "national": national_codes(hazard),
            "grading": _grading_preview(selectors.risk_matrix(hazard.site)),
            "graded_as": hazard_grading_text(hazard),
            "criteria_day": selectors.hazard_day(hazard),
            "may_load_criteria": selectors.may_load_criteria(user),
            "may_configure": Access.of(user).covers(HAZARD_MANAGE, place_of_site(hazard.site)),
            "may_view": _may_view(user),
            "work_orders": list(workorder_selectors.of_origin(user, OriginKind.HAZARD, hazard.pk)),
            "may_open_work_order": hazard.state == HazardState.RECTIFYING
            and Access.of(user).covers(HAZARD_MANAGE, place_of_area(hazard.area))
            and Access.of(user).covers(WORKORDER_MANAGE, place_of_area(hazard.area)),
            "work_order_form": work_order_form or FollowUpForm(),
        },
        status=status,
    )


@require_POST
@hazard_page
def work_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Carry the rectification as a work order to the responsible person's phone."""
    user = request.user
    hazard = get_object_or_404(selectors.hazards(user), pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            order = services.open_work_order(user, hazard, **form.cleaned_data)
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("已开工单 %(number)s。") % {"number": order.number})
            return redirect(reverse("hazards:detail", args=[hazard.pk]) + "#hz-work-orders")
    return _detail(request, hazard, _forms(request, hazard), status=400, work_order_form=form)


@require_GET
@hazard_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = get_object_or_404(selectors.hazards(request.user), pk=pk)
    return _detail(request, hazard, _forms(request, hazard))


STEPS = ("verify", "reject", "grade", "plan", "approve", "assign", "rectify", "accept", "close")


@require_POST
@hazard_page
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in STEPS:
        raise Http404
    user = request.user
    hazard = get_object_or_404(selectors.hazards(user), pk=pk)
    step_forms = _forms(request, hazard, bound=name)
    form = step_forms[name]
    if form.is_valid():
        try:
            done = _run(name, user, hazard, form.cleaned_data, request.FILES.getlist("rectify-files"))
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "state" in exc.error_dict:
                messages.error(request, " ".join(exc.messages))  # someone else took the step first
                return redirect("hazards:detail", pk=hazard.pk)
            form.apply(_files_on_form(exc))
        except PermissionDenied:
            raise
        else:
            messages.success(request, done)
            return redirect("hazards:detail", pk=hazard.pk)
    hazard = get_object_or_404(selectors.hazards(user), pk=pk)
    return _detail(request, hazard, step_forms, status=400)


def _run(name: str, user: Any, hazard: Hazard, data: dict[str, Any], files: list[Any]) -> str:
    """Take the step; the message to show."""
    if name == "verify":
        services.verify(user, hazard, data["note"])
        return _("已核实，请进行评估分级。")
    if name == "reject":
        duplicate = data["duplicate_of"]
        duplicate_of = get_object_or_404(selectors.hazards(user), pk=duplicate) if duplicate else None
        services.reject(user, hazard, data["reason"], duplicate_of)
        return _("已驳回该报告。")
    if name == "grade":
        factors = {f: data[f] or None for f in ("lec_l", "lec_e", "lec_c", "ls_l", "ls_s") if f in data}
        services.grade(
            user,
            hazard,
            grade=data["grade"],
            manage_type=data["manage_type"],
            criteria=data.get("criteria") or [],
            note=data["note"],
            **factors,
        )
        return _("已评估分级。")
    if name == "plan":
        services.submit_plan(user, hazard, **data)
        return _("治理方案已提交，等待审批。")
    if name == "approve":
        services.approve_plan(user, hazard, data["note"])
        return _("治理方案已审批。")
    if name == "assign":
        services.assign(
            user,
            hazard,
            responsible=data["responsible"],
            measures=data["measures"],
            funds=data["funds"],
            deadline=data["deadline"],
        )
        return _("已安排整改。")
    if name == "rectify":
        services.rectify(user, hazard, note=data["note"], files=files)
        return _("整改结果已提交，等待验收。")
    if name == "accept":
        services.accept(user, hazard, passed=data["passed"], note=data["note"])
        return _("验收通过。") if data["passed"] else _("验收不通过，已退回整改。")
    services.close(user, hazard, data["note"])
    return _("已销号。")


# --- metrics and export -----------------------------------------------------------------------------
@require_GET
@register_page
def metrics(request: HttpRequest) -> HttpResponse:
    days = int_param(request.GET.get("days")) or reports.DEFAULT_DAYS
    days = min(days, reports.MAX_DAYS)
    start, end = reports.window(days)
    result = reports.metrics(selectors.register(request.user), start=start, end=end)
    colours = [
        {"key": c, "label": str(label), "count": result.open_by_colour.get(c, 0), "badge": COLOUR_BADGES[c]}
        for c, label in RiskColour.choices
    ]
    chart = {
        "days": result.days,
        "reported": result.reported_by_day,
        "closed": result.closed_by_day,
        "colours": [{"name": c["label"], "value": c["count"], "key": c["key"]} for c in colours],
        "labels": {"reported": _("上报"), "closed": _("销号")},
    }
    return render(
        request,
        "hazards/metrics.html",
        {
            "m": result,
            "days": days,
            "choices": (7, 30, 90, 365),
            "colours": colours,
            "ungraded": result.open_by_colour.get("", 0),
            "chart": chart,
            "on_time_pct": round(result.on_time_rate * 100, 1) if result.on_time_rate is not None else None,
        },
    )


@require_GET
@register_page
def export(request: HttpRequest) -> HttpResponse:
    content = reports.register_workbook(selectors.register(request.user).order_by("-reported_at", "-pk"))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="hazards-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@require_GET
@manage_page
def labels(request: HttpRequest) -> HttpResponse:
    """Printable QR labels for equipment: scanning one with a phone's camera opens 隐患随手拍 with
    that equipment picked (``/hazards/new/?equipment=CODE``). One area at a time."""
    import segno

    user = request.user
    areas = Access.of(user).filter(
        Area.objects.select_related("site").order_by("site__name", "code"),
        HAZARD_MANAGE,
        selectors.AREA_PATHS,
    )
    wanted = int_param(request.GET.get("area"))
    area = (areas.filter(pk=wanted).first() if wanted is not None else None) or areas.first()
    sheet = []
    if area is not None:
        base = request.build_absolute_uri(reverse("hazards:report"))
        for equipment in selectors.reportable_equipment(user).filter(area=area).order_by("code"):
            url = f"{base}?{urlencode({'equipment': equipment.code})}"
            sheet.append(
                {
                    "equipment": equipment,
                    "url": url,
                    "svg": segno.make(url, error="m").svg_inline(scale=4, border=2),
                }
            )
    return render(
        request,
        "hazards/labels.html",
        {
            "areas": areas,
            "area": area,
            "sheet": sheet,
            "may_view": _may_view(user),
            "may_manage": True,
            "may_configure": _may_configure(user),
        },
    )


# --- grading: the LEC table or the site's risk matrix -------------------------------------------------
def _grading_preview(config: RiskMatrix) -> dict[str, Any]:
    """What the grading form shows (and ``hazards/grading.js`` computes the result from)."""
    colours = {c: {"label": str(label), "badge": COLOUR_BADGES[c]} for c, label in RiskColour.choices}
    if config.method == GradingMethod.LS:
        matrix = config.matrix
        rows = [
            {
                "level": l_value,
                "label": matrix.likelihood[l_value - 1],
                "cells": [
                    {
                        "s": s_value,
                        "r": grading.ls_r(l_value, s_value),
                        "colour": matrix.colour(l_value, s_value),
                        "badge": COLOUR_BADGES.get(matrix.colour(l_value, s_value), ""),
                    }
                    for s_value in range(1, matrix.cols + 1)
                ],
            }
            for l_value in range(matrix.rows, 0, -1)
        ]
        return {
            "method": config.method,
            "rows": rows,
            "severity": list(enumerate(matrix.severity, start=1)),
            "data": {"method": config.method, "cells": [list(r) for r in matrix.cells], "colours": colours},
        }
    bands = [
        {"text": "D > 320", "colour": RiskColour.RED},
        {"text": "160 < D ≤ 320", "colour": RiskColour.ORANGE},
        {"text": "70 < D ≤ 160", "colour": RiskColour.YELLOW},
        {"text": "D ≤ 70", "colour": RiskColour.BLUE},
    ]
    for band in bands:
        band.update(colours[band["colour"]])
    return {
        "method": config.method,
        "bands": bands,
        "data": {
            "method": config.method,
            "bands": [[above, colour] for above, colour in grading.LEC_BANDS],
            "lowest": RiskColour.BLUE,
            "colours": colours,
        },
    }


SIZES = range(grading.LS_MIN_LEVELS, grading.LS_MAX_LEVELS + 1)


def _size(value: Any, fallback: int) -> int:
    number = int_param(value)
    return number if number is not None and number in SIZES else fallback


@require_http_methods(["GET", "POST"])
@manage_page
def risk_matrix(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    """A site's grading method and LS matrix: the method, the levels' descriptions and each cell's
    colour, drawn as the coloured matrix. ``?rows=&cols=`` changes the size (the new cells start
    with the default colours)."""
    user = request.user
    sites = selectors.configurable_sites(user)
    if site_id is None:
        first = sites.first()
        if first is None:
            raise PermissionDenied(_("只有全场所的隐患管理权限才能设置风险矩阵。"))
        return redirect("hazards:risk-matrix-site", site_id=first.pk)
    site = get_object_or_404(selectors.grading_sites(user), pk=site_id)
    if not Access.of(user).covers(HAZARD_MANAGE, place_of_site(site)):
        raise PermissionDenied(_("只有全场所的隐患管理权限才能设置风险矩阵。"))
    config = selectors.risk_matrix(site)
    current = config.matrix
    source = request.POST if request.method == "POST" else request.GET
    rows, cols = _size(source.get("rows"), current.rows), _size(source.get("cols"), current.cols)
    form = forms.RiskMatrixForm(
        request.POST if request.method == "POST" else None,
        initial={"method": config.method},
        rows=rows,
        cols=cols,
        initial_matrix=current,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_risk_matrix(user, site, **form.values())
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("%(site)s 的风险评估方法和风险矩阵已保存。") % {"site": site.name})
            return redirect("hazards:risk-matrix-site", site_id=site.pk)
    return render(
        request,
        "hazards/risk_matrix.html",
        {
            "site": site,
            "sites": sites,
            "config": config,
            "form": form,
            "rows": rows,
            "cols": cols,
            "sizes": SIZES,
            "colours": [{"key": c, "badge": COLOUR_BADGES[c]} for c in RiskColour.values],
            "may_view": _may_view(user),
            "may_manage": True,
            "may_configure": True,
        },
        status=400 if request.method == "POST" else 200,
    )
