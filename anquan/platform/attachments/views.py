"""Pages of attachments: upload (HTMX or plain form), download, thumbnail, delete, panel refresh.

Thin adapters: the owner and the attachment are found through the selectors (404 outside the
user's scope), writes go through the services (403 without the right to attach).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from anquan.platform.attachments import selectors, services
from anquan.platform.attachments.downloads import file_response
from anquan.platform.attachments.panel import panel_context, safe_next

PANEL_TEMPLATE = "attachments/_panel_body.html"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _owner(request: HttpRequest, owner_type: str, owner_id: int) -> models.Model:
    try:
        return selectors.owner_or_404(request.user, owner_type, owner_id)
    except ValidationError:  # an unknown owner type: nothing to find here
        raise Http404 from None


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def _panel(
    request: HttpRequest,
    owner: models.Model,
    next_url: str,
    status: int = 200,
    errors: list[str] | None = None,
    description: str = "",
) -> HttpResponse:
    context = panel_context(request, owner, next_url=next_url, errors=errors, description=description)
    return render(request, PANEL_TEMPLATE, context, status=status)


@login_required
@require_GET
def panel(request: HttpRequest, owner_type: str, owner_id: int) -> HttpResponse:
    owner = _owner(request, owner_type, owner_id)
    return _panel(request, owner, safe_next(request, request.GET.get("next")))


@login_required
@require_POST
def upload(request: HttpRequest, owner_type: str, owner_id: int) -> HttpResponse:
    owner = _owner(request, owner_type, owner_id)
    next_url = safe_next(request, request.POST.get("next"))
    uploaded = request.FILES.get("file") or request.FILES.get("photo")
    description = request.POST.get("description", "")
    try:
        services.store_upload(request.user, owner, uploaded, description)
    except ValidationError as exc:
        errors = _messages(exc)
        if _is_htmx(request):
            return _panel(request, owner, next_url, status=400, errors=errors, description=description)
        context = {"owner": owner, "errors": errors, "next_url": next_url}
        return render(request, "attachments/refused.html", context, status=400)
    if _is_htmx(request):
        return _panel(request, owner, next_url)
    return HttpResponseRedirect(next_url)


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(selectors.attachment_or_404(request.user, pk))


@login_required
@require_GET
def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return file_response(selectors.attachment_or_404(request.user, pk), thumbnail=True)


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_or_404(request.user, pk)
    owner = attachment.owner
    next_url = safe_next(request, request.POST.get("next"))
    services.delete_attachment(request.user, attachment)
    if _is_htmx(request) and owner is not None:
        return _panel(request, owner, next_url)
    return HttpResponseRedirect(next_url)
