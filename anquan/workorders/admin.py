"""Back office for work orders. The state machine runs through the services (pages and API); here
the back office sees everything and may correct the texts, every edit audited. Shifts (排班) are
planned on the roster page (its checks: membership, length, overlap); here they are listed and may
be deleted, audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from anquan.platform.admin import AuditedModelAdmin
from anquan.workorders.models import Shift, WorkOrder, WorkOrderStep


class StepInline(admin.TabularInline):
    model = WorkOrderStep
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_state", "to_state", "assignee", "note", "level")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(AuditedModelAdmin):
    list_display = ["number", "title", "state", "priority", "site", "area", "assignee", "due_at"]
    list_filter = ["state", "priority", "origin_kind", "site"]
    search_fields = ["number", "title", "origin_label"]
    date_hierarchy = "created_at"
    inlines = [StepInline]
    readonly_fields = [
        "number", "site", "area", "equipment", "state", "priority", "origin_kind", "origin_id", "assignee",
        "dispatch_rule", "dispatch_basis", "created_by", "accept_due_at", "due_at", "accepted_at",
        "started_at", "completed_at", "completed_by", "verified_at", "verified_by", "rework_count",
        "escalation_level",
    ]  # fmt: skip
    filter_horizontal = ["watchers"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are opened through the service (numbering, dispatch, SLA, events)


@admin.register(Shift)
class ShiftAdmin(AuditedModelAdmin):
    list_display = ["team", "user", "starts_at", "ends_at", "created_by"]
    list_filter = ["team__area__site", "team"]
    search_fields = ["user__username", "user__name", "team__name"]
    date_hierarchy = "starts_at"
    readonly_fields = ["team", "user", "starts_at", "ends_at", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # planned through the roster (membership, length and overlap checks)
