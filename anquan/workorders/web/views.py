"""The work-order pages, mounted at /workorders/ (url names ``workorders:…``).

- ``list``: 我的工单 (assigned to me, unfinished first) and 全部 (every order the viewer sees, with
  filters); the counts on top; 新建工单 for managers.
- ``create``: a work order by hand (``workorders.manage``).
- ``detail``: the order, its origin, deadlines, timeline and attachments, and forms for exactly the
  steps the viewer may take now; ``act`` receives those forms.

Thin adapters: reads through ``workorders.selectors`` (out of scope → 404), writes through
``workorders.services`` (PermissionDenied → 403, ValidationError → shown on the form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.org.access import Access
from anquan.org.models import Area, Site
from anquan.org.roles import WORKORDER_MANAGE
from anquan.plant import selectors as plant_selectors
from anquan.plant.models import Equipment
from anquan.platform.attachments import selectors as attachment_selectors
from anquan.workorders import roster, selectors, services
from anquan.workorders.choices import ACTIVE_STATES, Priority, State
from anquan.workorders.models import WorkOrder
from anquan.workorders.web.forms import CompleteForm, CreateForm, NoteForm, ReasonForm, ReassignForm

PAGE_SIZE = 30
ACTIONS = ("accept", "start", "complete", "verify", "reject", "reassign", "cancel")


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 and int(text) > 0 else None


# --- list -------------------------------------------------------------------------------------------
@require_GET
@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    tab = "all" if request.GET.get("tab") == "all" else "mine"
    raw_state = request.GET.get("state") or ""
    state: str | None = raw_state if raw_state in (*State.values, "active") else None
    if tab == "mine" and not raw_state:
        state = "active"  # my list starts with what is still to do
    priority = request.GET.get("priority") or None
    if priority not in Priority.values:
        priority = None
    overdue = request.GET.get("overdue") == "1"
    site_id = _int(request.GET.get("site"))
    filters = selectors.Filters(
        state=state, priority=priority, mine=tab == "mine", overdue=overdue, site_id=site_id
    )
    qs = selectors.worklist(selectors.filtered(user, filters))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workorders/list.html",
        {
            "page": page,
            "tab": tab,
            "params": {"state": state, "priority": priority, "overdue": overdue, "site": site_id},
            "query": query.urlencode(),
            "counts": selectors.counts(user),
            "states": State.choices,
            "priorities": Priority.choices,
            "site_choices": _sites(user),
            "may_create": Access.of(user).can(WORKORDER_MANAGE),
            "may_plan": roster.plannable_teams(user).exists(),
        },
    )


def _sites(user: Any) -> list[Site]:
    """The sites of the orders the viewer sees (the site filter's choices)."""
    ids = selectors.work_orders(user).order_by().values_list("site_id", flat=True).distinct()
    return list(Site.objects.filter(pk__in=list(ids)).order_by("name"))


# --- create ------------------------------------------------------------------------------------------
def _create_form(request: HttpRequest) -> CreateForm:
    user = request.user
    areas = plant_selectors.areas(user, WORKORDER_MANAGE).order_by("site__name", "code")
    equipment = plant_selectors.equipment(user, WORKORDER_MANAGE).select_related("area")
    sites = {a.site for a in areas}
    initial: dict[str, Any] = {}
    eq_id = _int(request.GET.get("equipment"))
    if eq_id and equipment.filter(pk=eq_id).exists():
        initial["equipment"] = eq_id
    return CreateForm(
        request.POST if request.method == "POST" else None,
        areas=areas,
        equipment=equipment,
        people=selectors.assignable(sites),
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
@login_required
def create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not Access.of(user).can(WORKORDER_MANAGE):
        raise PermissionDenied(_("您没有创建工单的权限。"))
    form = _create_form(request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            area: Area | None = data.get("area")
            equipment: Equipment | None = data.get("equipment")
            place = area if area is not None else equipment.area if equipment is not None else None
            assert place is not None  # the form requires an area or equipment
            try:
                order = services.open_work_order(
                    user,
                    site=place.site,
                    area=area,
                    equipment=equipment,
                    title=data["title"],
                    description=data["description"],
                    priority=data["priority"],
                    origin_kind="manual",
                    assignee=data.get("assignee"),
                )
            except ValidationError as exc:
                form.apply(exc)
            else:
                messages.success(request, _("已创建工单 %(number)s。") % {"number": order.number})
                return redirect("workorders:detail", pk=order.pk)
        status = 400
    return render(request, "workorders/create.html", {"form": form}, status=status)


# --- detail and the steps ----------------------------------------------------------------------------
def _order_or_404(request: HttpRequest, pk: int) -> WorkOrder:
    return get_object_or_404(selectors.work_orders(request.user), pk=pk)


def allowed_actions(user: Any, order: WorkOrder) -> set[str]:
    """The steps ``user`` may take on ``order`` now (the services check again)."""
    actions: set[str] = set()
    if services.is_assignee(user, order):
        actions |= {State.OPEN: {"accept"}, State.ACCEPTED: {"start"}, State.IN_PROGRESS: {"complete"}}.get(
            State(order.state), set()
        )
    if services.may_manage(user, order):
        if order.state in ACTIVE_STATES:
            actions |= {"reassign", "cancel"}
        if order.state == State.DONE and order.completed_by_id != user.pk:
            actions |= {"verify", "reject"}
    return actions


def _detail(
    request: HttpRequest, order: WorkOrder, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    actions = allowed_actions(user, order)
    attachments = list(attachment_selectors.attachments_of(user, order))
    by_id = {a.pk: a for a in attachments}
    steps = list(selectors.steps(order))
    for step in steps:
        step.evidence_items = [by_id[i] for i in step.evidence if i in by_id]  # type: ignore[attr-defined]
    forms = forms or {}
    if "complete" in actions and "complete" not in forms:
        forms["complete"] = CompleteForm(attachments=attachments)
    if "reassign" in actions and "reassign" not in forms:
        people = selectors.assignable([order.site])
        if order.assignee_id:
            people = people.exclude(pk=order.assignee_id)
        forms["reassign"] = ReassignForm(people=people)
    for name, form_class in (("verify", NoteForm), ("reject", ReasonForm), ("cancel", ReasonForm)):
        if name in actions and name not in forms:
            forms[name] = form_class(prefix=name)
    return render(
        request,
        "workorders/detail.html",
        {"order": order, "steps": steps, "actions": actions, "forms": forms},
        status=status,
    )


@require_GET
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _order_or_404(request, pk))


DONE_MESSAGES = {
    "accept": gettext_lazy("已接单。"),
    "start": gettext_lazy("已开始处理。"),
    "complete": gettext_lazy("已提交完成，等待验收。"),
    "verify": gettext_lazy("已验收通过。"),
    "reject": gettext_lazy("已驳回，工单退回处理人返工。"),
    "reassign": gettext_lazy("已改派。"),
    "cancel": gettext_lazy("已取消工单。"),
}


@require_POST
@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = request.user
    order = _order_or_404(request, pk)
    form: Any = None
    try:
        if action == "accept":
            services.accept(user, order)
        elif action == "start":
            services.start(user, order)
        elif action == "complete":
            attachments = list(attachment_selectors.attachments_of(user, order))
            form = CompleteForm(request.POST, attachments=attachments)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            evidence = [*request.FILES.getlist("files"), *form.cleaned_data["evidence"]]
            services.complete(user, order, form.cleaned_data["note"], evidence)
        elif action == "verify":
            form = NoteForm(request.POST, prefix="verify")
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.verify(user, order, form.cleaned_data["note"])
        elif action in ("reject", "cancel"):
            form = ReasonForm(request.POST, prefix=action)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            if action == "reject":
                services.reject_work(user, order, form.cleaned_data["reason"])
            else:
                services.cancel(user, order, form.cleaned_data["reason"])
        elif action == "reassign":
            people = selectors.assignable([order.site])
            form = ReassignForm(request.POST, people=people)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            services.reassign(user, order, form.cleaned_data["assignee"], form.cleaned_data["note"])
    except ValidationError as exc:
        order = _order_or_404(request, pk)
        if form is None or (hasattr(exc, "error_dict") and "state" in exc.error_dict):
            messages.error(request, " ".join(exc.messages))
            return redirect("workorders:detail", pk=pk)
        if form.is_bound and not form.errors:
            form.apply(exc)
        return _detail(request, order, {action: form}, status=400)
    messages.success(request, str(DONE_MESSAGES[action]))
    if selectors.work_orders(user).filter(pk=pk).exists():
        return redirect("workorders:detail", pk=pk)
    return redirect("workorders:list")
