"""Back office for data ingestion. Connectors are configured on the 数据接入 pages (their config holds
secrets and is validated per protocol); here they can be looked at, renamed or switched on and off,
and removed through the service. Dead letters and imports are read-only records."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from anquan.platform.admin import AuditedModelAdmin
from anquan.streaming import services
from anquan.streaming.models import Connector, DeadLetter, HistoryImport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Connector)
class ConnectorAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "site",
        "protocol",
        "enabled",
        "status",
        "received",
        "accepted",
        "rejected",
        "last_data_at",
    ]
    list_filter = ["protocol", "enabled", "status", "site"]
    search_fields = ["name", "key_prefix"]
    fields = [
        "site", "name", "protocol", "enabled", "config_masked", "key_prefix", "status", "status_detail",
        "status_at", "received", "accepted", "rejected", "last_data_at",
    ]  # fmt: skip
    readonly_fields = [
        "site", "protocol", "config_masked", "key_prefix", "status", "status_detail", "status_at",
        "received", "accepted", "rejected", "last_data_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created on the 数据接入 pages, where the config is validated per protocol

    @admin.display(description=_("配置"))
    def config_masked(self, obj: Connector) -> str:
        data = services.masked_config(obj.protocol, obj.config or {})
        return format_html("<pre>{}</pre>", json.dumps(data, ensure_ascii=False, indent=2))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, Connector)
        services.delete_connector(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for connector in queryset:
            services.delete_connector(request.user, connector)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "reason", "tag_code", "ts", "connector", "site", "detail"]
    list_filter = ["reason", "site", "connector"]
    search_fields = ["tag_code", "detail", "raw"]
    date_hierarchy = "received_at"


@admin.register(HistoryImport)
class HistoryImportAdmin(ReadOnlyAdmin):
    list_display = ["filename", "site", "status", "rows", "accepted", "rejected", "created_by", "created_at"]
    list_filter = ["status", "site"]
    search_fields = ["filename", "detail"]
