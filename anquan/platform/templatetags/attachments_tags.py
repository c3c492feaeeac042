"""``{% load attachments_tags %}{% attachment_panel owner %}``: the attachments panel of ``owner``."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models

from anquan.platform.attachments.panel import panel_context

register = template.Library()


@register.inclusion_tag("attachments/_panel_body.html", takes_context=True)
def attachment_panel(context: template.Context, owner: models.Model) -> dict[str, Any]:
    request = context["request"]
    data = panel_context(request, owner, next_url=request.get_full_path())
    data["csrf_token"] = context.get("csrf_token")
    return data
