"""报警台, the alarm console: the annunciated alarms, the shelved and suppressed points and the
recent journal, with acknowledge (single and bulk), shelve, unshelve and comment.

Reads go through ``anquan.monitoring.selectors`` (out of scope: 404), writes through
``anquan.monitoring.services``, which check monitoring.operate where the alarm is (else 403, and
nothing changes). The table refreshes itself when the live feed (``events.py``) reports news.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.monitoring import selectors, services
from anquan.monitoring.choices import AlarmMode, AlarmState
from anquan.monitoring.models import AlarmOccurrence, AlarmRule
from anquan.monitoring.web.common import int_list, int_param, is_htmx, monitoring_page
from anquan.monitoring.web.forms import CommentForm, ShelveForm
from anquan.org.access import Access, place_of_area
from anquan.org.roles import HAZARD_REPORT, MONITOR_CONFIGURE, MONITOR_OPERATE, WORKORDER_MANAGE
from anquan.plant.choices import AlarmPriority
from anquan.workorders import selectors as workorder_selectors
from anquan.workorders.choices import OriginKind
from anquan.workorders.web.forms import FollowUpForm

TABS = {
    "alarms": _lazy("报警"),
    "shelved": _lazy("搁置"),
    "suppressed": _lazy("抑制与停用"),
    "journal": _lazy("报警日志"),
}
PAGE_SIZE = 100
COMMENT_MAX = 500


# --- Filters ----------------------------------------------------------------------------------
def _filters(params: QueryDict) -> dict[str, Any]:
    priority = params.get("priority", "")
    state = params.get("state", "")
    tab = params.get("tab", "")
    return {
        "site": int_param(params.get("site")),
        "area": int_param(params.get("area")),
        "priority": priority if priority in selectors.PRIORITY_RANK else "",
        "state": state if state in selectors.ANNUNCIATED_STATES else "",
        "tab": tab if tab in TABS else "alarms",
    }


def _query(filters: dict[str, Any], **overrides: Any) -> str:
    values = {**filters, **overrides}
    return urlencode({k: v for k, v in values.items() if v and not (k == "tab" and v == "alarms")})


def _scoped(qs: Any, filters: dict[str, Any], site: str, area: str) -> Any:
    if filters["site"]:
        qs = qs.filter(**{site: filters["site"]})
    if filters["area"]:
        qs = qs.filter(**{area: filters["area"]})
    return qs


def _console_context(request: HttpRequest, params: QueryDict) -> dict[str, Any]:
    user = request.user
    f = _filters(params)
    access = Access.of(user)
    alarms = selectors.annunciated(
        user, site=f["site"], area=f["area"], priority=f["priority"] or None, state=f["state"] or None
    )
    everything = selectors.annunciated(user, site=f["site"], area=f["area"])
    shelved = _scoped(selectors.shelved(user), f, "rule__site_id", "rule__area_id")
    suppressed = _scoped(selectors.suppressed(user), f, "rule__site_id", "rule__area_id")
    context: dict[str, Any] = {
        "filters": f,
        "query": _query(f),
        "tabs": [
            {"key": key, "label": label, "query": _query(f, tab=key), "active": key == f["tab"]}
            for key, label in TABS.items()
        ],
        "counts": {
            "alarms": everything.count(),
            "unack": everything.filter(acked_at__isnull=True).count(),
            "shelved": shelved.count(),
            "suppressed": suppressed.count(),
        },
        "operable": selectors.area_ids(user, MONITOR_OPERATE) if access.can(MONITOR_OPERATE) else frozenset(),
        "configurable": selectors.area_ids(user, MONITOR_CONFIGURE)
        if access.can(MONITOR_CONFIGURE)
        else frozenset(),
        "can_operate": access.can(MONITOR_OPERATE),
        "now_ms": selectors.now_ms(),
    }
    if f["tab"] == "alarms":
        page = Paginator(alarms, PAGE_SIZE).get_page(params.get("page"))
        context["page"] = page
        context["rows"] = [_alarm_row(occ, context["operable"]) for occ in page]
    elif f["tab"] == "shelved":
        context["points"] = list(shelved[:PAGE_SIZE])
    elif f["tab"] == "suppressed":
        context["points"] = list(suppressed[:PAGE_SIZE])
    else:
        context["journal"] = list(
            selectors.journal(user, site=f["site"], area=f["area"])[: selectors.JOURNAL_LIMIT]
        )
    return context


def _alarm_row(occ: AlarmOccurrence, operable: frozenset[int] | None) -> dict[str, Any]:
    state = selectors.occurrence_state(occ)
    may_operate = operable is None or occ.area_id in operable
    return {
        "occ": occ,
        "state": state,
        "unacked": state in (AlarmState.UNACK, AlarmState.RTN_UNACK),
        "may_operate": may_operate,
    }


def _filter_choices(request: HttpRequest, f: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    sites = list(selectors.sites(user))
    areas = selectors.areas(user).order_by("site__name", "code")
    if f["site"]:
        areas = areas.filter(site_id=f["site"])
    return {
        "sites": sites,
        "areas": list(areas),
        "priorities": AlarmPriority.choices[::-1],
        "states": [(s, AlarmState(s).label) for s in selectors.ANNUNCIATED_STATES],
    }


# --- Pages ------------------------------------------------------------------------------------
@require_GET
@monitoring_page
def console(request: HttpRequest) -> HttpResponse:
    context = _console_context(request, request.GET)
    context.update(_filter_choices(request, context["filters"]))
    context["shelve_form"] = ShelveForm()
    context["events_url"] = reverse("monitoring:events")
    return render(request, "monitoring/console.html", context)


@require_GET
@monitoring_page
def console_table(request: HttpRequest) -> HttpResponse:
    """The console's current tab alone: what the page swaps in when the live feed reports news."""
    return render(request, "monitoring/_console_table.html", _console_context(request, request.GET))


def _safe_next(request: HttpRequest, target: str) -> str:
    """``target`` if it is a path on this site, else ""."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request: HttpRequest, query: str) -> HttpResponse:
    target = _safe_next(request, request.POST.get("next") or "")
    if target:
        return redirect(target)
    return redirect(reverse("monitoring:console") + (f"?{query}" if query else ""))


def _table_response(
    request: HttpRequest, query: str, notice: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    context = _console_context(request, QueryDict(query))
    context.update({"notice": notice, "error": error})
    return render(request, "monitoring/_console_table.html", context, status=status)


@require_POST
@monitoring_page
def acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the checked alarms (``ids``) or the one whose button was pressed (``ack_one``)."""
    user = request.user
    query = _query(_filters(QueryDict(request.POST.get("query", ""))))
    single = int_param(request.POST.get("ack_one"))
    ids = [single] if single else int_list(request.POST.getlist("ids"))
    comment = request.POST.get("comment", "").strip()
    error = ""
    if not ids:
        error = _("请先勾选要确认的报警。")
    elif len(comment) > COMMENT_MAX:
        error = _("备注最多 %(n)d 个字符。") % {"n": COMMENT_MAX}
    if error:
        if is_htmx(request):
            return _table_response(request, query, error=error, status=400)
        messages.error(request, error)
        return _back(request, query)
    if selectors.occurrences(user).filter(pk__in=ids).count() != len(ids):
        raise Http404(_("未找到该报警，或您无权查看。"))
    try:
        count = services.acknowledge(user, ids, comment)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if is_htmx(request):
            return _table_response(request, query, error=error, status=400)
        messages.error(request, error)
        return _back(request, query)
    notice = ngettext("已确认 %(n)d 条报警。", "已确认 %(n)d 条报警。", count) % {"n": count}
    if count == 0:
        notice = _("所选报警均已确认过。")
    if is_htmx(request):
        return _table_response(request, query, notice=notice)
    messages.success(request, notice)
    return _back(request, query)


@require_GET
@monitoring_page
def occurrence(request: HttpRequest, pk: int) -> HttpResponse:
    return _occurrence_page(request, pk, CommentForm())


def _occurrence_page(
    request: HttpRequest,
    pk: int,
    form: CommentForm,
    status: int = 200,
    work_order_form: FollowUpForm | None = None,
) -> HttpResponse:
    user = request.user
    occ = get_object_or_404(selectors.occurrences(user), pk=pk)
    rule = occ.rule
    point = getattr(rule, "point", None)
    access = Access.of(user)
    operable = selectors.area_ids(user, MONITOR_OPERATE) if access.can(MONITOR_OPERATE) else frozenset()
    configurable = (
        selectors.area_ids(user, MONITOR_CONFIGURE) if access.can(MONITOR_CONFIGURE) else frozenset()
    )
    timeline = list(selectors.journal(user, occurrence=occ.pk).order_by("pk")[: selectors.JOURNAL_LIMIT])
    may_operate = operable is None or occ.area_id in operable
    return render(
        request,
        "monitoring/occurrence.html",
        {
            "occ": occ,
            "rule": rule,
            "point": point,
            "state": selectors.occurrence_state(occ),
            "timeline": timeline,
            "form": form,
            "shelve_form": ShelveForm(),
            "may_operate": may_operate,
            "may_configure": configurable is None or occ.area_id in configurable,
            "equipment": rule.tag.equipment if rule.tag is not None else None,
            "work_orders": list(workorder_selectors.of_origin(user, OriginKind.ALARM, occ.pk)),
            "may_open_work_order": may_operate and access.covers(WORKORDER_MANAGE, place_of_area(occ.area)),
            "work_order_form": work_order_form or FollowUpForm(),
            # a failed interlock's, a standing or a chattering alarm may become a hazard (管控措施失效);
            # the hazards page says whether this one qualifies
            "may_report_hazard": access.covers(HAZARD_REPORT, place_of_area(occ.area)),
        },
        status=status,
    )


@require_POST
@monitoring_page
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    occ = get_object_or_404(selectors.occurrences(user), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment(user, occ.pk, form.cleaned_data["text"])
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("备注已保存。"))
            return redirect(reverse("monitoring:occurrence", args=[occ.pk]) + "#timeline")
    return _occurrence_page(request, occ.pk, form, status=400)


@require_POST
@monitoring_page
def work_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a work order for this alarm."""
    user = request.user
    occ = get_object_or_404(selectors.occurrences(user), pk=pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            order = services.open_work_order(user, occ.pk, **form.cleaned_data)
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("已开工单 %(number)s。") % {"number": order.number})
            return redirect(reverse("monitoring:occurrence", args=[occ.pk]) + "#work-orders")
    return _occurrence_page(request, occ.pk, CommentForm(), status=400, work_order_form=form)


# --- Shelving ---------------------------------------------------------------------------------
def _rule_for_operator(request: HttpRequest, pk: int) -> AlarmRule:
    return get_object_or_404(selectors.rules(request.user), pk=pk)


@require_http_methods(["GET", "POST"])
@monitoring_page
def shelve(request: HttpRequest, pk: int) -> HttpResponse:
    """Shelve a rule's alarm for a while, with a reason (a page of its own on a phone)."""
    user = request.user
    rule = _rule_for_operator(request, pk)
    form = ShelveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shelve(
                user, rule.pk, minutes=form.cleaned_data["minutes"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.apply(exc)
        else:
            messages.success(request, _("已搁置“%(name)s”。") % {"name": rule.name})
            return _back(request, "tab=shelved")
    return render(
        request,
        "monitoring/shelve.html",
        {
            "rule": rule,
            "form": form,
            "next": _safe_next(request, request.POST.get("next") or request.GET.get("next", "")),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@monitoring_page
def unshelve(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    rule = _rule_for_operator(request, pk)
    if getattr(rule, "point", None) is None or rule.point.mode != AlarmMode.SHELVED:
        if is_htmx(request):
            return changed()
        messages.info(request, _("“%(name)s”未处于搁置状态。") % {"name": rule.name})
        return _back(request, "tab=shelved")
    services.unshelve(user, rule.pk)
    if is_htmx(request):
        return changed()
    messages.success(request, _("已解除“%(name)s”的搁置。") % {"name": rule.name})
    return _back(request, "tab=shelved")


def changed() -> HttpResponse:
    """An HTMX action done: 204, and the console refreshes its table."""
    response = HttpResponse(status=204)
    response["HX-Trigger"] = "monitoring-changed"
    return response
