"""Attachments in the back office: a read-only list (uploads and deletions go through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from anquan.platform.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = [
        "original_name", "kind", "content_type", "size", "owner_type", "owner_id", "site_id",
        "uploaded_by", "created_at", "download",
    ]  # fmt: skip
    list_filter = ["kind", "owner_type", "created_at"]
    search_fields = ["original_name", "description", "sha256"]
    list_select_related = ["owner_type", "uploaded_by"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Attachment._meta.concrete_fields]

    @admin.display(description=_("下载"))
    def download(self, obj: Attachment) -> str:
        return format_html('<a href="{}">{}</a>', reverse("attachments:download", args=[obj.pk]), _("下载"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
