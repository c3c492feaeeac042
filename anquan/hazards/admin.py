"""Back office: hazards are read only here. Every step goes through ``hazards.services`` (permission,
audit trail, timeline, notifications), and a submitted report is never altered or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from anquan.hazards.models import Hazard, HazardStep, MajorHazardPlan, RiskMatrix


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(admin.TabularInline):
    model = HazardStep
    fields = ("at", "kind", "actor", "from_state", "to_state", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Hazard)
class HazardAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "site",
        "area",
        "state",
        "grade",
        "risk_colour",
        "reporter",
        "reported_at",
        "deadline",
    )
    list_filter = ("state", "grade", "risk_colour", "source", "site")
    search_fields = ("number", "description")
    date_hierarchy = "reported_at"
    inlines = [StepInline]


@admin.register(MajorHazardPlan)
class MajorHazardPlanAdmin(ReadOnlyAdmin):
    list_display = ("hazard", "status", "submitted_by", "submitted_at", "approved_by", "approved_at")
    list_filter = ("status",)


@admin.register(RiskMatrix)
class RiskMatrixAdmin(ReadOnlyAdmin):
    """Changed on the hazards' risk matrix page (``services.set_risk_matrix``: checked and audited)."""

    list_display = ("site", "method", "updated_at")
    list_filter = ("method",)
