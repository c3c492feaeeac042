"""The plant pages: site/area/equipment/tag browser, site map and process topology.

Thin adapters: reads go through ``anquan.plant.selectors`` (scoped to the viewer: an object out of
scope is a 404), writes through ``anquan.plant.services`` (which check PLANT_CHANGE). A page that
edits answers 403 when the viewer sees the object but may not change it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.org import selectors as org_selectors
from anquan.org.access import Access
from anquan.org.models import Site
from anquan.org.roles import PLANT_CHANGE, PLANT_VIEW
from anquan.plant import selectors, services
from anquan.plant.choices import EquipmentStatus, EquipmentType, LinkKind
from anquan.plant.models import Equipment, ProcessLink, SensorTag
from anquan.plant.web import presentation
from anquan.plant.web.forms import EquipmentForm, LinkForm, TagForm, units_of

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def plant_page(view: View) -> View:
    """Signed-in users who hold PLANT_VIEW somewhere; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not Access.of(request.user).can(PLANT_VIEW):
            raise PermissionDenied(_("您没有查看装置与设备的权限。"))
        return view(request, *args, **kwargs)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _can_change_site(request: HttpRequest, site: Site) -> bool:
    return selectors.areas(request.user, PLANT_CHANGE).filter(site=site).exists()


def _editable(request: HttpRequest, eq: Equipment) -> Equipment:
    """``eq`` as the viewer may change it, else 403 (the caller already knows it is visible)."""
    try:
        return selectors.editable_equipment(request.user).get(pk=eq.pk)
    except Equipment.DoesNotExist:
        raise PermissionDenied(_("您没有修改该设备的权限。")) from None


# --- Browser ----------------------------------------------------------------------------------
@require_GET
@plant_page
def browser(request: HttpRequest) -> HttpResponse:
    user = request.user
    sites = list(selectors.sites(user))
    areas = list(selectors.areas(user).filter(site__in=sites).order_by("site_id", "code"))
    equipment_per_area = Counter(
        area_id for _pk, area_id in selectors.equipment(user).values_list("pk", "area_id")
    )
    tags_per_area = Counter(
        area_id for _pk, area_id in selectors.tags(user).values_list("pk", "equipment__area_id")
    )
    units_per_area = Counter(area_id for _pk, area_id in selectors.units(user).values_list("pk", "area_id"))
    cards = []
    for site in sites:
        site_areas = [area for area in areas if area.site_id == site.pk]
        rows = [
            {
                "area": area,
                "colour": presentation.area_colour(area.pk),
                "units": units_per_area[area.pk],
                "equipment": equipment_per_area[area.pk],
                "tags": tags_per_area[area.pk],
            }
            for area in site_areas
        ]
        cards.append(
            {
                "site": site,
                "areas": rows,
                "equipment": sum(equipment_per_area[area.pk] for area in site_areas),
                "tags": sum(tags_per_area[area.pk] for area in site_areas),
            }
        )
    return render(request, "plant/browser.html", {"cards": cards})


@require_GET
@plant_page
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    user = request.user
    site = get_object_or_404(selectors.sites(user), pk=site_id)
    areas = list(selectors.areas(user).filter(site=site).order_by("code"))
    equipment = list(selectors.equipment(user).filter(area__site=site))
    units = list(selectors.units(user).filter(area__site=site))
    teams = list(org_selectors.teams(user).filter(area__site=site))
    per_area = Counter(eq.area_id for eq in equipment)
    tags_per_area: Counter[int] = Counter()
    for eq in equipment:
        tags_per_area[eq.area_id] += eq.tag_count  # type: ignore[attr-defined]
    rows = [
        {
            "area": area,
            "colour": presentation.area_colour(area.pk),
            "units": [u for u in units if u.area_id == area.pk],
            "teams": [t for t in teams if t.area_id == area.pk],
            "equipment": per_area[area.pk],
            "tags": tags_per_area[area.pk],
        }
        for area in areas
    ]
    return render(
        request,
        "plant/site.html",
        {
            "site": site,
            "map": presentation.site_map(site, areas, equipment),
            "rows": rows,
            "unplaced": [eq for eq in equipment if eq.map_x is None],
            "can_change": _can_change_site(request, site),
        },
    )


@require_GET
@plant_page
def area_detail(request: HttpRequest, area_id: int) -> HttpResponse:
    user = request.user
    area = get_object_or_404(selectors.areas(user), pk=area_id)
    units = list(selectors.units(user).filter(area=area))
    teams = list(org_selectors.teams(user).filter(area=area))
    qs = selectors.equipment(user).filter(area=area)
    params = {key: request.GET.get(key, "").strip() for key in ("type", "status", "unit", "q")}
    if params["type"] in EquipmentType.values:
        qs = qs.filter(type=params["type"])
    if params["status"] in EquipmentStatus.values:
        qs = qs.filter(status=params["status"])
    if params["unit"].isdigit():
        qs = qs.filter(unit_id=int(params["unit"]))
    if params["q"]:
        qs = qs.filter(Q(code__icontains=params["q"]) | Q(name__icontains=params["q"]))
    page = Paginator(qs.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    for eq in page:
        eq.icon = presentation.icon_class(eq.type)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "site": area.site,
        "area": area,
        "colour": presentation.area_colour(area.pk),
        "units": units,
        "teams": teams,
        "page": page,
        "params": params,
        "query": query.urlencode(),
        "types": EquipmentType.choices,
        "statuses": EquipmentStatus.choices,
        "can_change": selectors.areas(user, PLANT_CHANGE).filter(pk=area.pk).exists(),
    }
    template = "plant/_equipment_table.html" if _is_htmx(request) else "plant/area.html"
    return render(request, template, context)


# --- Equipment --------------------------------------------------------------------------------
@require_GET
@plant_page
def equipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    eq = get_object_or_404(selectors.equipment(user), pk=pk)
    site = eq.area.site
    visible = set(selectors.equipment(user).filter(area__site=site).values_list("pk", flat=True))
    upstream = [
        link
        for link in selectors.links(user).filter(target=eq).select_related("source__area")
        if link.source_id in visible
    ]
    downstream = [
        link
        for link in selectors.links(user).filter(source=eq).select_related("target__area")
        if link.target_id in visible
    ]
    neighbours = {link.source_id: link.source for link in upstream}
    neighbours.update({link.target_id: link.target for link in downstream})
    neighbours.pop(eq.pk, None)
    nodes = [presentation.graph_node(presentation.equipment_node(eq), focus=True)]
    nodes += [presentation.graph_node(presentation.equipment_node(n)) for n in neighbours.values()]
    edges = [_edge(link) for link in (*upstream, *downstream)]
    return render(
        request,
        "plant/equipment_detail.html",
        {
            "site": site,
            "area": eq.area,
            "eq": eq,
            "icon": presentation.icon_class(eq.type),
            "tags": presentation.tag_rows(selectors.tags(user).filter(equipment=eq)),
            "upstream": upstream,
            "downstream": downstream,
            "graph": {"nodes": nodes, "edges": edges},
            "can_change": selectors.editable_equipment(user).filter(pk=eq.pk).exists(),
        },
    )


def _edge(link: ProcessLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "source": str(link.source_id),
        "target": str(link.target_id),
        "kind": link.kind,
        "kind_label": str(LinkKind(link.kind).label),
        "medium": link.medium,
    }


def _equipment_form(
    request: HttpRequest, site: Site, instance: Equipment | None = None, **kwargs: Any
) -> EquipmentForm:
    user = request.user
    return EquipmentForm(
        request.POST if request.method == "POST" else None,
        areas=selectors.areas(user, PLANT_CHANGE).filter(site=site).order_by("code"),
        units=selectors.units(user, PLANT_CHANGE).filter(area__site=site),
        people=selectors.responsible_candidates(user, site),
        instance=instance,
        **kwargs,
    )


def _render_form(request: HttpRequest, template: str, context: dict[str, Any], valid: bool) -> HttpResponse:
    return render(request, template, context, status=200 if valid else 400)


@require_http_methods(["GET", "POST"])
@plant_page
def equipment_create(request: HttpRequest, site_id: int) -> HttpResponse:
    user = request.user
    site = get_object_or_404(selectors.sites(user), pk=site_id)
    if not _can_change_site(request, site):
        raise PermissionDenied(_("您没有在该场所新增设备的权限。"))
    initial = {"area": request.GET.get("area")} if request.GET.get("area", "").isdigit() else {}
    form = _equipment_form(request, site, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.changes()
        try:
            eq = services.create_equipment(user, **data)
        except ValidationError as exc:
            form.apply(exc)
        else:
            return redirect("plant:equipment", pk=eq.pk)
    return _render_form(
        request,
        "plant/equipment_form.html",
        {"site": site, "form": form, "map": _form_map(request, site)},
        valid=request.method == "GET",
    )


@require_http_methods(["GET", "POST"])
@plant_page
def equipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    eq = _editable(request, get_object_or_404(selectors.equipment(user), pk=pk))
    site = eq.area.site
    form = _equipment_form(request, site, instance=eq)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_equipment(user, eq, **form.changes())
        except ValidationError as exc:
            form.apply(exc)
        else:
            return redirect("plant:equipment", pk=eq.pk)
        eq.refresh_from_db()
    return _render_form(
        request,
        "plant/equipment_form.html",
        {"site": site, "area": eq.area, "eq": eq, "form": form, "map": _form_map(request, site)},
        valid=request.method == "GET",
    )


def _form_map(request: HttpRequest, site: Site) -> presentation.SiteMap:
    user = request.user
    return presentation.site_map(
        site,
        selectors.areas(user).filter(site=site),
        selectors.equipment(user).filter(area__site=site, map_x__isnull=False),
    )


@require_http_methods(["GET", "POST"])
@plant_page
def equipment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    eq = _editable(request, get_object_or_404(selectors.equipment(user), pk=pk))
    error = ""
    if request.method == "POST":
        area_id = eq.area_id
        try:
            services.delete_equipment(user, eq)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("plant:area", area_id=area_id)
    return render(
        request,
        "plant/confirm_delete.html",
        {
            "site": eq.area.site,
            "area": eq.area,
            "eq": eq,
            "object": eq,
            "what": _("设备"),
            "error": error,
            "consequence": _("与它相连的工艺连接会一并删除。"),
            "cancel_url": reverse("plant:equipment", args=[eq.pk]),
        },
        status=400 if error else 200,
    )


# --- Sensor tags ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@plant_page
def tag_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    eq = _editable(request, get_object_or_404(selectors.equipment(user), pk=pk))
    form = TagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_tag(user, equipment=eq, **form.changes())
        except ValidationError as exc:
            form.apply(exc)
        else:
            return redirect(reverse("plant:equipment", args=[eq.pk]) + "#tags")
    return _render_form(
        request,
        "plant/tag_form.html",
        {"site": eq.area.site, "area": eq.area, "eq": eq, "form": form},
        valid=request.method == "GET",
    )


def _editable_tag(request: HttpRequest, pk: int) -> SensorTag:
    user = request.user
    tag = get_object_or_404(selectors.tags(user), pk=pk)
    if not selectors.tags(user, PLANT_CHANGE).filter(pk=tag.pk).exists():
        raise PermissionDenied(_("您没有修改该测点的权限。"))
    return tag


@require_http_methods(["GET", "POST"])
@plant_page
def tag_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    tag = _editable_tag(request, pk)
    eq = tag.equipment
    form = TagForm(request.POST if request.method == "POST" else None, instance=tag)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_tag(user, tag, **form.changes())
        except ValidationError as exc:
            form.apply(exc)
        else:
            return redirect(reverse("plant:equipment", args=[eq.pk]) + "#tags")
        tag.refresh_from_db()
    return _render_form(
        request,
        "plant/tag_form.html",
        {"site": eq.area.site, "area": eq.area, "eq": eq, "tag": tag, "form": form},
        valid=request.method == "GET",
    )


@require_http_methods(["GET", "POST"])
@plant_page
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    tag = _editable_tag(request, pk)
    eq = tag.equipment
    if request.method == "POST":
        services.delete_tag(user, tag)
        return redirect(reverse("plant:equipment", args=[eq.pk]) + "#tags")
    return render(
        request,
        "plant/confirm_delete.html",
        {
            "site": eq.area.site,
            "area": eq.area,
            "eq": eq,
            "object": tag,
            "what": _("测点"),
            "consequence": _("采集与报警配置会随之停用。"),
            "cancel_url": reverse("plant:equipment", args=[eq.pk]) + "#tags",
        },
    )


@require_GET
@plant_page
def tag_units(request: HttpRequest) -> HttpResponse:
    """The engineering-unit <select> for a measurement kind (swapped in by HTMX on kind change)."""
    units = units_of(request.GET.get("kind"))
    selected = request.GET.get("unit") if request.GET.get("unit") in units else units[0]
    return render(request, "plant/_unit_select.html", {"units": units, "selected": selected})


# --- Topology ---------------------------------------------------------------------------------
def _topology_context(request: HttpRequest, site: Site, form: LinkForm | None = None) -> dict[str, Any]:
    user = request.user
    data = selectors.topology(user, site.pk)
    edge_ids = [e["id"] for e in data["edges"]]
    links = list(
        selectors.links(user)
        .filter(pk__in=edge_ids)
        .select_related("source__area", "target__area")
        .order_by("source__code", "target__code", "kind")
    )
    editable_links = set(
        selectors.links(user, PLANT_CHANGE).filter(pk__in=edge_ids).values_list("pk", flat=True)
    )
    can_change = _can_change_site(request, site)
    if can_change and form is None:
        form = _link_form(request, site, data=None)
    return {
        "site": site,
        "links": links,
        "editable_links": editable_links,
        "can_change": can_change,
        "form": form if can_change else None,
        "node_count": len(data["nodes"]),
    }


def _link_form(request: HttpRequest, site: Site, data: Any) -> LinkForm:
    editable = selectors.editable_equipment(request.user)
    return LinkForm(data, choices=editable.filter(area__site=site).order_by("code"), editable=editable)


@require_GET
@plant_page
def topology(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(selectors.sites(request.user), pk=site_id)
    return render(request, "plant/topology.html", _topology_context(request, site))


@require_GET
@plant_page
def topology_data(request: HttpRequest, site_id: int) -> JsonResponse:
    user = request.user
    site = get_object_or_404(selectors.sites(user), pk=site_id)
    data = selectors.topology(user, site.pk)
    nodes = [presentation.graph_node(n) for n in data["nodes"]]
    areas = {n["area_id"]: {"id": n["area_id"], "name": n["area"], "colour": n["colour"]} for n in nodes}
    edges = [
        {
            "id": e["id"],
            "source": str(e["source_id"]),
            "target": str(e["target_id"]),
            "kind": e["kind"],
            "kind_label": str(LinkKind(e["kind"]).label),
            "medium": e["medium"],
        }
        for e in data["edges"]
    ]
    return JsonResponse(
        {
            "site": {
                "id": site.pk,
                "name": site.name,
                "width": site.map_width_m,
                "height": site.map_height_m,
            },
            "areas": sorted(areas.values(), key=lambda a: a["name"]),
            "nodes": nodes,
            "edges": edges,
        }
    )


def _editor_response(request: HttpRequest, site: Site, form: LinkForm | None, status: int) -> HttpResponse:
    response = render(
        request, "plant/_topology_editor.html", _topology_context(request, site, form), status=status
    )
    if status == 200:
        response["HX-Trigger"] = "topology-changed"
    return response


@require_POST
@plant_page
def link_create(request: HttpRequest, site_id: int) -> HttpResponse:
    user = request.user
    site = get_object_or_404(selectors.sites(user), pk=site_id)
    if not _can_change_site(request, site):
        raise PermissionDenied(_("您没有修改该场所工艺拓扑的权限。"))
    form = _link_form(request, site, data=request.POST)
    if form.is_valid():
        try:
            services.link(
                user,
                source=form.cleaned_data["source"],
                target=form.cleaned_data["target"],
                kind=form.cleaned_data["kind"],
                medium=form.cleaned_data["medium"],
            )
        except ValidationError as exc:
            form.apply(exc)
        else:
            if _is_htmx(request):
                return _editor_response(request, site, None, 200)
            return redirect("plant:topology", site_id=site.pk)
    if _is_htmx(request):
        return _editor_response(request, site, form, 400)
    return render(request, "plant/topology.html", _topology_context(request, site, form), status=400)


@require_POST
@plant_page
def link_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    link = get_object_or_404(selectors.links(user), pk=pk)
    if not selectors.links(user, PLANT_CHANGE).filter(pk=link.pk).exists():
        raise PermissionDenied(_("您没有删除该工艺连接的权限。"))
    site = link.source.area.site
    services.unlink(user, link)
    if _is_htmx(request):
        return _editor_response(request, site, None, 200)
    return redirect("plant:topology", site_id=site.pk)
