"""Pages of data ingestion: connectors per site, the "test connection" step, gateway keys, dead letters
and history imports. Every page needs ``streaming.configure`` (403 without it anywhere; records of
other sites answer 404)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.org.models import Site
from anquan.streaming import selectors, services
from anquan.streaming.choices import ImportStatus, Protocol, RejectReason
from anquan.streaming.models import Connector
from anquan.streaming.web import config_form
from anquan.streaming.web.forms import ConnectorForm, ImportConfirmForm, ImportUploadForm, apply_errors

PROTOCOL_ICONS: dict[str, str] = {
    Protocol.MQTT: "bi-broadcast-pin",
    Protocol.HTTP: "bi-cloud-upload",
    Protocol.OPCUA: "bi-diagram-2",
    Protocol.MODBUS: "bi-cpu",
}
DEAD_LETTER_PAGE = 50


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _require(request: HttpRequest) -> None:
    if not selectors.can_configure(request.user):
        raise PermissionDenied(_("您没有配置数据接入的权限。"))


def _site_filter(request: HttpRequest) -> Site | None:
    value = request.GET.get("site", "")
    if not value.isdigit():
        return None
    return selectors.configurable_sites(request.user).filter(pk=int(value)).first()


def _protocols() -> list[dict[str, Any]]:
    return [{"value": p.value, "label": p.label, "icon": PROTOCOL_ICONS.get(p, "bi-plug")} for p in Protocol]


# --- connectors -------------------------------------------------------------------------------
@login_required
@require_GET
def connectors(request: HttpRequest) -> HttpResponse:
    _require(request)
    sites = selectors.configurable_sites(request.user)
    site = _site_filter(request)
    items = list(selectors.connectors(request.user, site=site))
    groups: dict[int, dict[str, Any]] = {}
    for c in items:
        groups.setdefault(c.site_id, {"site": c.site, "connectors": []})["connectors"].append(c)
    context = {
        "groups": list(groups.values()),
        "sites": sites,
        "site": site,
        "protocols": _protocols(),
        "icons": PROTOCOL_ICONS,
        "import_dead_letters": selectors.dead_letters(
            request.user, site=site, connector=selectors.IMPORTS
        ).count(),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "connector-groups":
        return render(request, "streaming/partials/connector_groups.html", context)
    return render(request, "streaming/connectors.html", context)


def _protocol_of(request: HttpRequest) -> str:
    protocol = request.POST.get("protocol") or request.GET.get("protocol", "")
    if protocol not in Protocol.values:
        raise Http404(_("未知的协议。"))
    return protocol


def _config_form(
    protocol: str, values: dict[str, Any], errors: dict[str, list[str]], connector: Connector | None = None
) -> config_form.ConfigForm | None:
    model = services.config_model(protocol)
    if model is None or not model.model_fields:
        return None
    stored = set()
    if connector is not None:
        stored = {name for name in services.secret_fields(protocol) if (connector.config or {}).get(name)}
    return config_form.ConfigForm(model, values, errors=errors, stored_secrets=stored)


def _form_context(
    protocol: str,
    form: ConnectorForm,
    cfg: config_form.ConfigForm | None,
    connector: Connector | None,
) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "protocol_label": Protocol(protocol).label,
        "icon": PROTOCOL_ICONS.get(protocol, "bi-plug"),
        "form": form,
        "cfg": cfg,
        "connector": connector,
        "can_test": cfg is not None
        and bool(cfg.fields)
        and hasattr(services.schema_module(protocol), "test_connection"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def connector_create(request: HttpRequest) -> HttpResponse:
    _require(request)
    protocol = _protocol_of(request)
    sites = selectors.configurable_sites(request.user)
    model = services.config_model(protocol)
    if request.method == "GET":
        initial: dict[str, Any] = {"enabled": True}
        site = _site_filter(request) or (sites.first() if sites.count() == 1 else None)
        if site is not None:
            initial["site"] = site.pk
        form = ConnectorForm(sites=sites, initial=initial)
        return render(
            request,
            "streaming/connector_form.html",
            _form_context(protocol, form, _config_form(protocol, {}, {}), None),
        )
    form = ConnectorForm(request.POST, sites=sites)
    raw = config_form.collect(model, request.POST) if model is not None else {}
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            connector = services.create_connector(
                request.user,
                site=form.cleaned_data["site"],
                name=form.cleaned_data["name"],
                protocol=protocol,
                config=raw,
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as exc:
            errors = apply_errors(form, exc)
        else:
            if protocol == Protocol.HTTP:
                key = services.issue_gateway_key(request.user, connector)
                return _key_page(request, connector, key, created=True)
            messages.success(request, _("数据接入“%(name)s”已创建。") % {"name": connector.name})
            return redirect(f"{reverse('streaming:connectors')}?site={connector.site_id}")
    else:
        errors = _config_only_errors(protocol, raw)
    context = _form_context(protocol, form, _config_form(protocol, raw, errors), None)
    return render(request, "streaming/connector_form.html", context, status=400)


def _config_only_errors(protocol: str, raw: dict[str, Any]) -> dict[str, list[str]]:
    """The config's own errors, shown together with the other fields' errors."""
    try:
        services.validate_config(protocol, raw)
    except ValidationError as exc:
        return {k: v for k, v in exc.message_dict.items() if k == "config" or k.startswith("config.")}
    return {}


def _connector(request: HttpRequest, pk: int) -> Connector:
    _require(request)
    return get_object_or_404(selectors.connectors(request.user), pk=pk)


def _editable_values(connector: Connector) -> dict[str, Any]:
    values = dict(connector.config or {})
    for name in services.secret_fields(connector.protocol):
        values.pop(name, None)
    return values


@login_required
@require_http_methods(["GET", "POST"])
def connector_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _connector(request, pk)
    protocol = connector.protocol
    sites = selectors.configurable_sites(request.user)
    model = services.config_model(protocol)
    if request.method == "GET":
        form = ConnectorForm(
            sites=sites,
            fixed_site=connector.site,
            initial={"name": connector.name, "enabled": connector.enabled},
        )
        cfg = _config_form(protocol, _editable_values(connector), {}, connector)
        return render(request, "streaming/connector_form.html", _form_context(protocol, form, cfg, connector))
    form = ConnectorForm(request.POST, sites=sites, fixed_site=connector.site)
    raw = config_form.collect(model, request.POST, editing=True) if model is not None else {}
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        try:
            services.update_connector(
                request.user,
                connector,
                name=form.cleaned_data["name"],
                config=raw if model is not None else None,
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as exc:
            errors = apply_errors(form, exc)
        else:
            messages.success(request, _("数据接入“%(name)s”已保存。") % {"name": connector.name})
            return redirect(f"{reverse('streaming:connectors')}?site={connector.site_id}")
    else:
        errors = _config_only_errors(protocol, services.keep_secrets(protocol, raw, connector.config or {}))
    shown = {k: v for k, v in raw.items() if k not in services.secret_fields(protocol)}
    context = _form_context(protocol, form, _config_form(protocol, shown, errors, connector), connector)
    return render(request, "streaming/connector_form.html", context, status=400)


@login_required
@require_POST
def connector_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _connector(request, pk)
    enabled = request.POST.get("enabled") == "1"
    services.set_enabled(request.user, connector, enabled)
    if enabled:
        messages.success(request, _("数据接入“%(name)s”已启用。") % {"name": connector.name})
    else:
        messages.success(request, _("数据接入“%(name)s”已停用。") % {"name": connector.name})
    return redirect(f"{reverse('streaming:connectors')}?site={connector.site_id}")


@login_required
@require_http_methods(["GET", "POST"])
def connector_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _connector(request, pk)
    if request.method == "POST":
        site_id = connector.site_id
        services.delete_connector(request.user, connector)
        messages.success(request, _("数据接入“%(name)s”已删除。") % {"name": connector.name})
        return redirect(f"{reverse('streaming:connectors')}?site={site_id}")
    dead = selectors.dead_letters(request.user, connector=connector.pk).count()
    return render(request, "streaming/connector_delete.html", {"connector": connector, "dead_letters": dead})


def _key_page(request: HttpRequest, connector: Connector, key: str, *, created: bool = False) -> HttpResponse:
    endpoint = request.build_absolute_uri("/api/v1/ingest")
    context = {"connector": connector, "key": key, "endpoint": endpoint, "created": created}
    response = render(request, "streaming/key.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def connector_key(request: HttpRequest, pk: int) -> HttpResponse:
    connector = _connector(request, pk)
    try:
        key = services.issue_gateway_key(request.user, connector)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("streaming:connectors")
    return _key_page(request, connector, key)


@login_required
@require_POST
def test_connection(request: HttpRequest) -> HttpResponse:
    """Run the protocol's "test connection" on the posted (unsaved) configuration (HTMX fragment)."""
    _require(request)
    protocol = _protocol_of(request)
    connector = None
    if request.POST.get("connector", "").isdigit():
        connector = get_object_or_404(selectors.connectors(request.user), pk=int(request.POST["connector"]))
        site: Site | None = connector.site
    else:
        site_id = request.POST.get("site", "")
        site = (
            selectors.configurable_sites(request.user).filter(pk=int(site_id)).first()
            if site_id.isdigit()
            else None
        )
    context: dict[str, Any] = {"result": None, "errors": []}
    model = services.config_model(protocol)
    if site is None:
        context["errors"] = [_("请先选择场所。")]
        return render(request, "streaming/partials/test_result.html", context, status=400)
    raw = config_form.collect(model, request.POST, editing=connector is not None) if model is not None else {}
    try:
        context["result"] = services.test_connection(
            request.user, site=site, protocol=protocol, config=raw, connector=connector
        )
    except ValidationError as exc:
        context["errors"] = [
            f"{config_form.describe(model, key)}：{message}" if model is not None else message
            for key, messages_ in exc.message_dict.items()
            for message in messages_
        ]
        return render(request, "streaming/partials/test_result.html", context, status=400)
    return render(request, "streaming/partials/test_result.html", context)


@login_required
@require_GET
def opcua_certificate(request: HttpRequest) -> HttpResponse:
    """The platform's OPC UA client certificate (DER), to be trusted on servers that use Basic256Sha256."""
    _require(request)
    from anquan.streaming.connectors.opcua import client

    data = client.client_certificate(client.default_pki_dir())
    response = HttpResponse(data, content_type="application/pkix-cert")
    response["Content-Disposition"] = 'attachment; filename="anquan-opcua-client.der"'
    return response


# --- dead letters -----------------------------------------------------------------------------
@login_required
@require_GET
def dead_letters(request: HttpRequest) -> HttpResponse:
    _require(request)
    site = _site_filter(request)
    connector_value = request.GET.get("connector", "")
    connector = None
    if connector_value.isdigit():
        connector = selectors.connectors(request.user).filter(pk=int(connector_value)).first()
        connector_value = str(connector.pk) if connector else ""
    elif connector_value != selectors.IMPORTS:
        connector_value = ""
    reason = request.GET.get("reason", "")
    reason = reason if reason in RejectReason.values else ""
    history = None
    if request.GET.get("import", "").isdigit():
        history = selectors.imports(request.user).filter(pk=int(request.GET["import"])).first()
        connector_value = selectors.IMPORTS if history is not None else connector_value
    base = selectors.dead_letters(
        request.user,
        site=site,
        connector=connector_value or None,
        history_import=history.pk if history is not None else None,
    )
    letters = base.filter(reason=reason) if reason else base
    page = Paginator(letters, DEAD_LETTER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "counts": selectors.reason_counts(base),
        "total": base.count(),
        "reason": reason,
        "reasons": RejectReason.choices,
        "connector_value": connector_value,
        "connector": connector,
        "connectors": selectors.connectors(request.user, site=site),
        "site": site,
        "sites": selectors.configurable_sites(request.user),
        "imports_value": selectors.IMPORTS,
        "history": history,
        "extra": f"&import={history.pk}" if history is not None else "",
    }
    return render(request, "streaming/dead_letters.html", context)


# --- history imports --------------------------------------------------------------------------
def _imports_page(request: HttpRequest, form: ImportUploadForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "imports": selectors.imports(request.user)[:30]}
    return render(request, "streaming/imports.html", context, status=status)


@login_required
@require_GET
def imports(request: HttpRequest) -> HttpResponse:
    _require(request)
    sites = selectors.configurable_sites(request.user)
    initial = {}
    site = _site_filter(request)
    if site is not None:
        initial["site"] = site
    return _imports_page(request, ImportUploadForm(sites=sites, initial=initial))


@login_required
@require_POST
def import_preview(request: HttpRequest) -> HttpResponse:
    """Keep the upload aside and show what importing it would do."""
    _require(request)
    sites = selectors.configurable_sites(request.user)
    form = ImportUploadForm(request.POST, request.FILES, sites=sites)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    site = form.cleaned_data["site"]
    try:
        staged = services.stage_import(request.user, site=site, upload=form.cleaned_data["file"])
    except ValidationError as exc:
        apply_errors(form, exc)
        return _imports_page(request, form, status=400)
    confirm = ImportConfirmForm(initial={"site": site.pk, "token": staged.token}, sites=sites)
    context = {"preview": staged.preview, "site": site, "confirm": confirm, "token": staged.token}
    return render(request, "streaming/import_preview.html", context)


@login_required
@require_POST
def import_start(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = ImportConfirmForm(request.POST, sites=selectors.configurable_sites(request.user))
    if not form.is_valid():
        messages.error(request, _("导入文件已失效，请重新上传。"))
        return redirect("streaming:imports")
    try:
        history = services.start_import(
            request.user, site=form.cleaned_data["site"], token=form.cleaned_data["token"]
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("streaming:imports")
    messages.success(request, _("已开始导入“%(name)s”。") % {"name": history.filename})
    return redirect("streaming:import-detail", pk=history.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = ImportConfirmForm(request.POST, sites=selectors.configurable_sites(request.user))
    if form.is_valid():
        with contextlib.suppress(ValidationError):  # already gone
            services.discard_staged(
                request.user, site=form.cleaned_data["site"], token=form.cleaned_data["token"]
            )
    messages.info(request, _("已取消导入。"))
    return redirect("streaming:imports")


def _import_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    _require(request)
    history = get_object_or_404(selectors.imports(request.user), pk=pk)
    running = history.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    dead_prefix = services.imports.dead_letter_prefix(history.pk)
    return {"history": history, "running": running, "dead_prefix": dead_prefix}


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "streaming/import_detail.html", _import_context(request, pk))


@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    context = _import_context(request, pk)
    # 286 tells HTMX to stop polling once the import has finished (the final state is still shown).
    status = 200 if context["running"] else 286
    return render(request, "streaming/partials/import_progress.html", context, status=status)
