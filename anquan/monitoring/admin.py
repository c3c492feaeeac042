"""Back office for the alarm system: read-only views of the rules, their runtime state and the
journal. Rules, modes and acknowledgements change through the services (the alarm pages), which
validate, journal and audit every change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from anquan.monitoring.models import (
    AlarmJournal,
    AlarmOccurrence,
    AlarmPoint,
    AlarmRule,
    EscalationPolicy,
    TagLive,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlarmRule)
class AlarmRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "source", "priority", "tag", "area", "enabled"]
    list_filter = ["kind", "source", "priority", "enabled", "site", "area"]
    search_fields = ["name", "tag__tag"]


@admin.register(AlarmPoint)
class AlarmPointAdmin(ReadOnlyAdmin):
    list_display = ["rule", "mode", "active", "shelved_until", "mode_by", "updated_at"]
    list_filter = ["mode", "active"]
    search_fields = ["rule__name"]


@admin.register(AlarmOccurrence)
class AlarmOccurrenceAdmin(ReadOnlyAdmin):
    list_display = ["message", "priority", "raised_at", "acked_at", "acked_by", "returned_at", "cleared_at"]
    list_filter = ["priority", "site", "area"]
    search_fields = ["message"]
    date_hierarchy = "raised_at"


@admin.register(AlarmJournal)
class AlarmJournalAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "rule", "user", "value", "text"]
    list_filter = ["kind", "site", "area"]
    search_fields = ["rule__name", "text"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ReadOnlyAdmin):
    list_display = ["site", "high_minutes", "medium_minutes", "low_minutes", "roles"]


@admin.register(TagLive)
class TagLiveAdmin(ReadOnlyAdmin):
    list_display = ["tag", "value", "ts", "status"]
    list_filter = ["status"]
    search_fields = ["tag__tag"]
