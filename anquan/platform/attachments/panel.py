"""The context of the attachments panel (shared by the template tag and the HTMX views)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from anquan.platform.attachments import processing, selectors
from anquan.platform.attachments.models import AttachmentKind
from anquan.platform.attachments.registry import key_of


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` if it is a local URL, else the referring page if local, else the site root."""
    for url in (candidate, request.headers.get("Referer")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
    return "/"


def limits() -> list[dict[str, str]]:
    return [
        {"kind": str(kind.label), "limit": filesizeformat(processing.max_bytes(kind))}
        for kind in AttachmentKind
        if kind in settings.ATTACHMENT_MAX_MB
    ]


def panel_context(
    request: HttpRequest,
    owner: models.Model,
    *,
    next_url: str,
    errors: list[str] | None = None,
    description: str = "",
) -> dict[str, Any]:
    user = request.user
    key = key_of(owner)
    visible = selectors.owner_visible(user, owner)
    return {
        "request": request,
        "owner": owner,
        "owner_key": key,
        "panel_id": f"attachments-{key.replace('.', '-')}-{owner.pk}",
        "visible": visible,
        "attachments": list(selectors.attachments_of(user, owner)) if visible else [],
        "may_attach": visible and selectors.may_attach(user, owner),
        "upload_url": reverse("attachments:upload", args=[key, owner.pk]),
        "accept": processing.ACCEPT_ATTRIBUTE,
        "limits": limits(),
        "errors": errors or [],
        "description": description,
        "next_url": next_url,
    }
