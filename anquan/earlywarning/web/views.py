"""The early-warning pages, mounted at /earlywarning/ (url names ``earlywarning:…``).

- ``alerts``: the AI alerts, the review queue first; ``alert``: one alert with its explanation and,
  for a reviewer of its area, confirm / reject.
- ``models``: the warning models per unit, and the form defining a new one; ``model``: one model
  with its definition, version registry (training progress polled with HTMX), precision of its
  reviewed alerts, threshold recalibration preview and drift.

Thin adapters: reads through ``earlywarning.selectors`` (``monitoring.view``: no capability → 403,
out of scope → 404), writes through ``earlywarning.services`` (which check ``earlywarning.configure``
/ ``earlywarning.review`` and raise PermissionDenied → 403, ValidationError → shown on the form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.earlywarning import selectors, services
from anquan.earlywarning.choices import ReviewStatus
from anquan.earlywarning.models import AIAlert, ModelVersion, WarningModel
from anquan.earlywarning.web import presentation
from anquan.earlywarning.web.forms import ConfirmForm, DefinitionForm, RecalibrateForm, RejectForm
from anquan.monitoring import selectors as monitoring_selectors
from anquan.monitoring.web.common import capability_page, int_param
from anquan.org.access import Access, place_of_area
from anquan.org.roles import MONITOR_VIEW, WARNING_CONFIGURE, WARNING_REVIEW, WORKORDER_MANAGE
from anquan.plant import selectors as plant_selectors
from anquan.plant.models import SensorTag, Unit
from anquan.workorders import selectors as workorder_selectors
from anquan.workorders.choices import OriginKind
from anquan.workorders.web.forms import FollowUpForm

PAGE_SIZE = 50

warning_page = capability_page(MONITOR_VIEW, gettext_lazy("您没有查看 AI 预警的权限。"))
configure_page = capability_page(WARNING_CONFIGURE, gettext_lazy("您没有配置预警模型的权限。"))


# --- AI alerts ------------------------------------------------------------------------------------
@require_GET
@warning_page
def alerts(request: HttpRequest) -> HttpResponse:
    user = request.user
    tab = "all" if request.GET.get("tab") == "all" else "queue"
    site_id = int_param(request.GET.get("site"))
    model_id = int_param(request.GET.get("model"))
    queue = selectors.review_queue(user)
    qs = queue if tab == "queue" else selectors.alerts(user)
    if site_id:
        qs = qs.filter(site_id=site_id)
        queue = queue.filter(site_id=site_id)
    if model_id:
        qs = qs.filter(model_id=model_id)
        queue = queue.filter(model_id=model_id)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for alert in page:
        alert.top = presentation.top_contributors(alert)  # type: ignore[attr-defined]
        alert.badge = presentation.REVIEW_BADGES.get(alert.review, "")  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("tab", None)
    models = selectors.models(user).order_by("site__name", "name")
    if site_id:
        models = models.filter(site_id=site_id)
    return render(
        request,
        "earlywarning/alerts.html",
        {
            "page": page,
            "tab": tab,
            "queue_count": queue.count(),
            "params": {"site": site_id, "model": model_id},
            "query": query.urlencode(),
            "filters": filters.urlencode(),
            "sites": list(monitoring_selectors.sites(user)),
            "models": list(models),
        },
    )


def _already_reviewed(request: HttpRequest, error: ValidationError) -> bool:
    """Someone reviewed the alert first: say so above the page (its review forms are gone)."""
    if hasattr(error, "error_dict") and "alert" in error.error_dict:
        messages.error(request, " ".join(error.messages))
        return True
    return False


def _may_review(user: Any, alert: AIAlert) -> bool:
    return Access.of(user).covers(WARNING_REVIEW, place_of_area(alert.area))


@require_http_methods(["GET", "POST"])
@warning_page
def alert(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = get_object_or_404(selectors.alerts(user), pk=pk)
    confirm_form = ConfirmForm(request.POST if "confirm" in request.POST else None)
    reject_form = RejectForm(request.POST if "reject" in request.POST else None)
    work_order_form = FollowUpForm(request.POST if "work_order" in request.POST else None)
    status = 200
    if request.method == "POST":
        status = 400  # unless a step below succeeds and redirects
        if "work_order" in request.POST and work_order_form.is_valid():
            try:
                order = services.open_work_order(user, item, **work_order_form.cleaned_data)
            except ValidationError as exc:
                work_order_form.apply(exc)
            else:
                messages.success(request, _("已开工单 %(number)s。") % {"number": order.number})
                return redirect(reverse("earlywarning:alert", args=[item.pk]) + "#ew-work-orders")
        elif "confirm" in request.POST and confirm_form.is_valid():
            try:
                services.confirm_alert(user, item, confirm_form.cleaned_data["comment"])
            except ValidationError as exc:
                if _already_reviewed(request, exc):
                    return redirect("earlywarning:alert", pk=item.pk)
                confirm_form.apply(exc)
            else:
                messages.success(request, _("已确认该 AI 预警，已转为报警。"))
                return redirect("earlywarning:alert", pk=item.pk)
        elif "reject" in request.POST and reject_form.is_valid():
            try:
                services.reject_alert(user, item, reject_form.cleaned_data["reason"])
            except ValidationError as exc:
                if _already_reviewed(request, exc):
                    return redirect("earlywarning:alert", pk=item.pk)
                reject_form.apply(exc)
            else:
                messages.success(request, _("已驳回该 AI 预警。"))
                return redirect("earlywarning:alert", pk=item.pk)
        item = get_object_or_404(selectors.alerts(user), pk=pk)
    steps = presentation.path_steps(item.path or [])
    return render(
        request,
        "earlywarning/alert.html",
        {
            "alert": item,
            "may_review": _may_review(user, item) and item.review == ReviewStatus.PENDING,
            "confirm_form": confirm_form,
            "reject_form": reject_form,
            "steps": steps,
            "path_text": presentation.path_text(steps),
            "forecasts": presentation.forecast_rows(item.forecasts or []),
            "ratio": item.score / item.threshold if item.threshold else None,
            "chart": presentation.alert_chart(item),
            "review_badge": presentation.REVIEW_BADGES.get(item.review, ""),
            "work_orders": list(workorder_selectors.of_origin(user, OriginKind.AI_ALERT, item.pk)),
            "may_open_work_order": item.review == ReviewStatus.CONFIRMED
            and Access.of(user).covers(WORKORDER_MANAGE, place_of_area(item.area)),
            "work_order_form": work_order_form,
        },
        status=status,
    )


# --- Models ---------------------------------------------------------------------------------------
def _configurable_units(user: Any) -> QuerySet[Unit]:
    return plant_selectors.units(user, WARNING_CONFIGURE).order_by("area__site__name", "area__code", "name")


def _tags_for(user: Any, unit: Unit | None) -> QuerySet[SensorTag]:
    """The tags a model of ``unit`` may watch, as far as the viewer sees them (its site's)."""
    qs = monitoring_selectors.tags(user)
    if unit is not None:
        return qs.filter(site_id=unit.area.site_id)
    site_ids = _configurable_units(user).values("area__site_id")
    return qs.filter(site_id__in=site_ids)


def _new_form(request: HttpRequest) -> DefinitionForm:
    user = request.user
    units = _configurable_units(user)
    unit: Unit | None = None
    initial: dict[str, Any] = {}
    if request.method == "POST":
        unit = units.filter(pk=int_param(request.POST.get("unit")) or 0).first()
    else:
        unit_id = int_param(request.GET.get("unit"))
        choices = list(units[:2])
        unit = units.filter(pk=unit_id).first() if unit_id else (choices[0] if len(choices) == 1 else None)
        if unit is not None:
            initial = {"unit": unit.pk, "tags": [t.pk for t in services.default_tags(unit)]}
    return DefinitionForm(
        request.POST if request.method == "POST" else None,
        units=units,
        tags=_tags_for(user, unit),
        initial=initial,
    )


def _models_page(request: HttpRequest, form: DefinitionForm | None, status: int = 200) -> HttpResponse:
    user = request.user
    site_id = int_param(request.GET.get("site"))
    qs = (
        selectors.models(user)
        .select_related("active_version")
        .annotate(
            last_alert=Max("alerts__started_at"),
            confirmed=Count("alerts", filter=Q(alerts__review=ReviewStatus.CONFIRMED)),
            rejected=Count("alerts", filter=Q(alerts__review=ReviewStatus.REJECTED)),
            pending=Count("alerts", filter=Q(alerts__review=ReviewStatus.PENDING)),
        )
        .order_by("site__name", "unit__area__code", "unit__name", "name", "pk")
    )
    if site_id:
        qs = qs.filter(site_id=site_id)
    rows = []
    for model in qs:
        rows.append(
            {
                "model": model,
                "precision": presentation.precision(model.confirmed, model.rejected),
                "reviewed": model.confirmed + model.rejected,
                "detector": presentation.detector_label(model.detector),
            }
        )
    return render(
        request,
        "earlywarning/models.html",
        {
            "rows": rows,
            "form": form,
            "form_open": form is not None and form.is_bound,
            "sites": list(monitoring_selectors.sites(user)),
            "site_id": site_id,
        },
        status=status,
    )


@require_GET
@warning_page
def models(request: HttpRequest) -> HttpResponse:
    form = _new_form(request) if Access.of(request.user).can(WARNING_CONFIGURE) else None
    return _models_page(request, form)


@require_POST
@configure_page
def model_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = _new_form(request)
    if form.is_valid():
        try:
            model = services.define_model(user, **form.values())
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(
                request, _("已新建预警模型“%(name)s”，可以开始训练第一个版本。") % {"name": model.name}
            )
            return redirect("earlywarning:model", pk=model.pk)
    return _models_page(request, form)


@require_GET
@warning_page
def model_tags(request: HttpRequest) -> HttpResponse:
    """The tags field of the new-model form for the chosen unit (HTMX): its equipment's tags chosen."""
    user = request.user
    unit = _configurable_units(user).filter(pk=int_param(request.GET.get("unit")) or 0).first()
    form = DefinitionForm(
        units=_configurable_units(user),
        tags=_tags_for(user, unit),
        initial={"tags": [t.pk for t in services.default_tags(unit)]} if unit else {},
    )
    return render(request, "earlywarning/_tags_field.html", {"field": form["tags"]})


def _versions_context(request: HttpRequest, model: WarningModel) -> dict[str, Any]:
    """What the version registry shows (all the 2-second poll computes)."""
    versions = list(selectors.versions(model))
    for v in versions:
        v.badge = presentation.VERSION_BADGES.get(v.status, "")  # type: ignore[attr-defined]
        v.running = v.status in presentation.RUNNING  # type: ignore[attr-defined]
        v.summary = presentation.version_summary(v)  # type: ignore[attr-defined]
    return {
        "model": model,
        "versions": versions,
        "running": any(v.status in presentation.RUNNING for v in versions),
        "may_configure": Access.of(request.user).covers(WARNING_CONFIGURE, place_of_area(model.unit.area)),
    }


def _model_context(request: HttpRequest, model: WarningModel) -> dict[str, Any]:
    user = request.user
    registry = _versions_context(request, model)
    versions = registry["versions"]
    base = presentation.recalibration_base(versions, model.active_version_id)
    preview = (
        services.threshold_preview(model, presentation.candidates(base.threshold))
        if base is not None and base.threshold
        else []
    )
    for row in preview:
        row["current"] = base is not None and row["threshold"] == base.threshold
    reviews = model.alerts.exclude(review=ReviewStatus.PENDING).values_list("started_at", "review")
    counts = dict(model.alerts.values_list("review").annotate(n=Count("pk")).order_by())
    active = next((v for v in versions if v.pk == model.active_version_id), None)
    return {
        **registry,
        "detector": presentation.detector_label(model.detector),
        "tags": list(model.tags.select_related("equipment").order_by("tag")),
        "base": base,
        "preview": preview,
        "precision_chart": presentation.precision_weeks(reviews),
        "confirmed": counts.get(ReviewStatus.CONFIRMED, 0),
        "rejected": counts.get(ReviewStatus.REJECTED, 0),
        "pending": counts.get(ReviewStatus.PENDING, 0),
        "precision": presentation.precision(
            counts.get(ReviewStatus.CONFIRMED, 0), counts.get(ReviewStatus.REJECTED, 0)
        ),
        "active": active,
        "drift": selectors.drift(active),
        "drift_limit_pct": round(selectors.DRIFT_RETRAIN * 100),
        "recent_alerts": list(selectors.alerts(user).filter(model=model)[:10]),
    }


@require_http_methods(["GET", "POST"])
@warning_page
def model(request: HttpRequest, pk: int) -> HttpResponse:
    """One model. POST ``save`` changes its definition, POST ``recalibrate`` makes a version with
    another threshold from the preview."""
    user = request.user
    item = get_object_or_404(selectors.models(user), pk=pk)
    tags = _tags_for(user, item.unit)
    posted = request.POST if request.method == "POST" else None
    form = DefinitionForm(posted if "save" in request.POST else None, units=None, tags=tags, instance=item)
    recal = RecalibrateForm(posted if "recalibrate" in request.POST else None)
    if request.method == "POST":
        if "save" in request.POST and form.is_valid():
            try:
                changes = form.changes()
                if changes:
                    services.update_model(user, item, **changes)
            except ValidationError as exc:
                form.apply(exc)
                item.refresh_from_db()
            else:
                messages.success(request, _("预警模型“%(name)s”已保存。") % {"name": item.name})
                return redirect("earlywarning:model", pk=item.pk)
        elif "recalibrate" in request.POST and recal.is_valid():
            versions = list(selectors.versions(item))
            base = presentation.recalibration_base(versions, item.active_version_id)
            try:
                if base is None:
                    raise ValidationError({"threshold": [_("还没有训练好的版本可以重新标定。")]})
                new = services.recalibrate(user, base, recal.cleaned_data["threshold"])
            except ValidationError as exc:
                recal.apply(exc)
            else:
                messages.success(
                    request,
                    _("已按新阈值生成版本 v%(n)d，审批后投用。") % {"n": new.number},
                )
                return redirect("earlywarning:model", pk=item.pk)
    context = _model_context(request, item)
    if not recal.is_bound and context["base"] is not None:
        recal = RecalibrateForm(initial={"threshold": context["base"].threshold})
    context.update({"form": form, "recal": recal, "form_open": form.is_bound})
    return render(request, "earlywarning/model.html", context)


@require_GET
@warning_page
def model_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The version registry of a model (polled with HTMX while a version trains)."""
    item = get_object_or_404(selectors.models(request.user), pk=pk)
    return render(request, "earlywarning/_versions.html", _versions_context(request, item))


@require_GET
@warning_page
def model_drift(request: HttpRequest, pk: int) -> HttpResponse:
    """The drift of a model's active version (loaded by the models list with HTMX)."""
    item = get_object_or_404(selectors.models(request.user), pk=pk)
    return render(
        request,
        "earlywarning/_drift.html",
        {"drift": selectors.drift(item.active_version), "compact": True},
    )


def _back(request: HttpRequest, model: WarningModel) -> HttpResponse:
    return redirect(reverse("earlywarning:model", args=[model.pk]) + "#versions")


@require_POST
@warning_page
def train(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(selectors.models(request.user), pk=pk)
    version = services.request_training(request.user, item)
    messages.success(request, _("已提交训练：版本 v%(n)d 正在排队。") % {"n": version.number})
    return _back(request, item)


def _version(request: HttpRequest, pk: int) -> ModelVersion:
    return get_object_or_404(
        ModelVersion.objects.select_related("model__unit__area").defer("artefact"),
        pk=pk,
        model__in=selectors.models(request.user),
    )


@require_POST
@warning_page
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    try:
        services.approve_version(request.user, version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("版本 v%(n)d 已审批并投用。") % {"n": version.number})
    return _back(request, version.model)


@require_POST
@warning_page
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    try:
        services.activate_version(request.user, version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已切换到版本 v%(n)d。") % {"n": version.number})
    return _back(request, version.model)
