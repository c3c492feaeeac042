from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from anquan.platform import audit
from anquan.platform.models import AuditEntry


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits go into the audit trail like any other write."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            if change:
                before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
                super().save_model(request, obj, form, change)
                audit.record_update(request.user, obj, before)
            else:
                super().save_model(request, obj, form, change)
                audit.record_create(request.user, obj)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            audit.record_delete(request.user, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                audit.record_delete(request.user, obj)
            super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_name", "action", "model", "object_repr"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "actor_name", "object_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The attachments subpackage's admin (admin autodiscovery only imports this module).
from anquan.platform.attachments import admin as _attachments_admin  # noqa: E402, F401
