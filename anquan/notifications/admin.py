from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from anquan.notifications import services
from anquan.notifications.models import Channel, Delivery, Notification, Preference
from anquan.platform.admin import AuditedModelAdmin

SECRETS = ("smtp_password", "webhook_secret", "webhook_url")


class ChannelAdminForm(forms.ModelForm):
    """Secrets are never rendered back; a blank secret field keeps the stored value."""

    clear_secrets = forms.BooleanField(label=_("清除已保存的密码和签名密钥"), required=False)

    class Meta:
        model = Channel
        fields = ["site", "kind", "name", "enabled", *services.CHANNEL_FIELDS[2:]]
        widgets = {
            "smtp_password": forms.PasswordInput(render_value=False),
            "webhook_secret": forms.PasswordInput(render_value=False),
            "webhook_url": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = _("已设置；留空则保持不变。")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk:
            stored = Channel.objects.get(pk=self.instance.pk)
            for name in SECRETS:
                if not data.get(name) and not (data.get("clear_secrets") and name != "webhook_url"):
                    data[name] = getattr(stored, name)
                    setattr(self.instance, name, data[name])
        return data


@admin.register(Channel)
class ChannelAdmin(AuditedModelAdmin):
    """Writes go through the services, whose audit entries hide the webhook address as well."""

    form = ChannelAdminForm
    list_display = ["name", "kind", "site", "enabled", "updated_at"]
    list_filter = ["kind", "enabled", "site"]
    search_fields = ["name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["site", "kind"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = {f: getattr(obj, f) for f in services.CHANNEL_FIELDS}
        if change:
            services.update_channel(request.user, Channel.objects.get(pk=obj.pk), **fields)
        else:
            fields.pop("name")
            created = services.create_channel(
                request.user, site=obj.site, kind=obj.kind, name=obj.name, **fields
            )
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_channel(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for channel in queryset.select_related("site"):
                services.delete_channel(request.user, channel)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "category", "level", "created_at", "read_at"]
    list_filter = ["category", "level"]
    search_fields = ["title", "recipient__username", "recipient__name"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at"]


@admin.register(Preference)
class PreferenceAdmin(AuditedModelAdmin):
    list_display = ["__str__", "category", "medium", "enabled"]
    list_filter = ["category", "medium", "role"]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read only (the worker writes it)."""

    list_display = ["title", "kind", "channel", "to_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "to_address", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
