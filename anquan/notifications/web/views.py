"""Pages of the notification centre: inbox, badge, preferences, channels and the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anquan.notifications import selectors, services
from anquan.notifications.choices import ChannelKind, DeliveryStatus
from anquan.notifications.models import Channel
from anquan.notifications.web.forms import (
    ChannelForm,
    PreferenceForm,
    RoleScopeForm,
    SendTestForm,
    apply_errors,
)

PAGE_SIZE = 20
CHANGED = "notifications-changed"  # HX-Trigger event: the unread count changed


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page(request: HttpRequest, qs: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _require_manager(request: HttpRequest) -> None:
    if not selectors.can_manage(request.user):
        raise PermissionDenied(_("您没有管理通知渠道的权限。"))


# --- inbox ------------------------------------------------------------------------------------
def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    unread_only = request.GET.get("unread") == "1"
    return {
        "page": _page(request, selectors.inbox(request.user, unread=True if unread_only else None)),
        "unread_only": unread_only,
        "unread_count": selectors.unread_count(request.user),
    }


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_context(request)
    if _is_htmx(request) and request.headers.get("HX-Target") == "inbox-list":
        return render(request, "notifications/partials/inbox_list.html", context)
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.mark_read(request.user, notification)
    if _is_htmx(request):
        context = {"n": notification, "unread_count": selectors.unread_count(request.user)}
        response = render(request, "notifications/partials/read_response.html", context)
        response["HX-Trigger"] = CHANGED
        return response
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(request.user)
    if _is_htmx(request):
        response = render(request, "notifications/partials/inbox_list.html", _inbox_context(request))
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, _("已全部标为已读。"))
    return redirect("notifications:inbox")


@login_required
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go to where the notification points (only to this site)."""
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    services.mark_read(request.user, notification)
    allowed = url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.link if notification.link and allowed else "notifications:inbox")


@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The unread count as a small fragment for the navbar (empty for anonymous callers)."""
    count = selectors.unread_count(request.user) if request.user.is_authenticated else 0
    return render(request, "notifications/partials/badge.html", {"count": count})


# --- preferences ------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    cells = selectors.preference_table(user=request.user)
    form = PreferenceForm(
        request.POST if request.method == "POST" else None, cells=cells, default_label=_("默认"), prefix="me"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(request.user, form.changes(), user=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("通知偏好已保存。"))
            return redirect("notifications:preferences")
    context: dict[str, Any] = {"form": form, "can_manage": selectors.can_manage(request.user)}
    return render(request, "notifications/preferences.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def role_preferences(request: HttpRequest) -> HttpResponse:
    """Role defaults at a site (notifications.manage there)."""
    _require_manager(request)
    sites = selectors.manageable_sites(request.user)
    scope = RoleScopeForm(request.POST or request.GET or None, sites=sites)
    context: dict[str, Any] = {"scope": scope, "form": None}
    if scope.is_bound and scope.is_valid():
        site, role = scope.cleaned_data["site"], scope.cleaned_data["role"]
        cells = selectors.preference_table(role=role, site=site)
        data = request.POST if request.method == "POST" else None
        form = PreferenceForm(data, cells=cells, default_label=_("系统默认"), prefix="role")
        if request.method == "POST" and form.is_valid():
            try:
                services.set_preferences(request.user, form.changes(), role=role, site=site)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("角色默认设置已保存。"))
                return redirect(f"{reverse('notifications:role-preferences')}?site={site.pk}&role={role}")
        context.update(form=form, site=site, role_label=dict(scope.fields["role"].choices).get(role))  # type: ignore[attr-defined]
    elif request.method == "POST":
        return render(request, "notifications/role_preferences.html", context, status=400)
    return render(request, "notifications/role_preferences.html", context)


# --- channels ---------------------------------------------------------------------------------
@login_required
@require_GET
def channels(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    context = {
        "channels": selectors.channels(request.user).order_by("site__name", "kind", "name"),
        "recent": selectors.deliveries(request.user)[:10],
        "kinds": ChannelKind.choices,
    }
    return render(request, "notifications/channels.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    sites = selectors.manageable_sites(request.user)
    initial = {"kind": request.GET.get("kind", ChannelKind.EMAIL), "enabled": True}
    if sites.count() == 1:
        initial["site"] = sites.first()
    form = ChannelForm(request.POST if request.method == "POST" else None, sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        name = fields.pop("name")
        try:
            channel = services.create_channel(
                request.user,
                site=form.cleaned_data["site"],
                kind=form.cleaned_data["kind"],
                name=name,
                **fields,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("渠道“%(name)s”已创建。") % {"name": channel.name})
            return redirect("notifications:channels")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/channel_form.html", {"form": form, "channel": None}, status=status)


def _channel(request: HttpRequest, pk: int) -> Channel:
    _require_manager(request)
    return get_object_or_404(selectors.channels(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    sites = selectors.manageable_sites(request.user)
    form = ChannelForm(request.POST if request.method == "POST" else None, sites=sites, instance=channel)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_channel(request.user, channel, **form.service_fields())
        except ValidationError as exc:
            apply_errors(form, exc)
            channel.refresh_from_db()
        else:
            messages.success(request, _("渠道“%(name)s”已保存。") % {"name": channel.name})
            return redirect("notifications:channels")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "channel": channel, "test_form": SendTestForm()}
    return render(request, "notifications/channel_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if request.method == "POST":
        services.delete_channel(request.user, channel)
        messages.success(request, _("渠道“%(name)s”已删除。") % {"name": channel.name})
        return redirect("notifications:channels")
    return render(request, "notifications/channel_delete.html", {"channel": channel})


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a test message now and show what the channel answered."""
    channel = _channel(request, pk)
    form = SendTestForm(request.POST)
    delivery = None
    if form.is_valid():
        try:
            delivery = services.send_test_message(request.user, channel, to=form.cleaned_data["to"] or "")
        except ValidationError as exc:
            apply_errors(form, exc)
    context: dict[str, Any] = {"channel": channel, "delivery": delivery, "form": form, "recent": None}
    if _is_htmx(request):
        context["recent"] = selectors.deliveries(request.user)[:10]  # refreshes the log beside the button
        return render(request, "notifications/partials/test_result.html", context)
    if delivery is not None and delivery.status == DeliveryStatus.SENT:
        messages.success(request, _("测试消息已发送：%(r)s") % {"r": delivery.response})
    elif delivery is not None:
        messages.error(request, _("测试消息发送失败：%(e)s") % {"e": delivery.last_error})
    else:
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("notifications:channels")


@login_required
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    status = request.GET.get("status", "")
    status = status if status in DeliveryStatus.values else ""
    channel_id = request.GET.get("channel", "")
    channel = None
    if channel_id.isdigit():
        channel = selectors.channels(request.user).filter(pk=int(channel_id)).first()
    qs = selectors.deliveries(request.user, status=status, channel_id=channel.pk if channel else None)
    context = {
        "page": _page(request, qs, 30),
        "status": status,
        "statuses": DeliveryStatus.choices,
        "channel": channel,
        "channels": selectors.channels(request.user),
    }
    return render(request, "notifications/deliveries.html", context)
