"""Back office for the plant model; every edit is audited (the People and Plant pages are the
everyday way in, with their scoped forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.platform.admin import AuditedModelAdmin


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "area"]
    list_filter = ["area__site", "area"]
    search_fields = ["name", "code"]


@admin.register(Equipment)
class EquipmentAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "type", "status", "area", "unit", "responsible"]
    list_filter = ["type", "status", "area__site", "area"]
    search_fields = ["code", "name", "model", "manufacturer"]
    autocomplete_fields = ["responsible"]


class SensorTagForm(forms.ModelForm):
    class Meta:
        model = SensorTag
        exclude: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        equipment, tag = data.get("equipment"), data.get("tag")
        if equipment is not None:
            self.instance.site_id = equipment.area.site_id  # a tag belongs to its equipment's site
            taken = SensorTag.objects.filter(site_id=self.instance.site_id, tag=tag).exclude(
                pk=self.instance.pk
            )
            if tag and taken.exists():
                self.add_error("tag", _("本场所已有位号为 %(tag)s 的测点。") % {"tag": tag})
        return data


@admin.register(SensorTag)
class SensorTagAdmin(AuditedModelAdmin):
    form = SensorTagForm
    list_display = [
        "tag",
        "name",
        "kind",
        "unit",
        "range_low",
        "range_high",
        "ll",
        "l",
        "h",
        "hh",
        "equipment",
    ]
    list_filter = ["kind", "site"]
    search_fields = ["tag", "name"]
    autocomplete_fields = ["equipment"]


@admin.register(ProcessLink)
class ProcessLinkAdmin(AuditedModelAdmin):
    list_display = ["source", "target", "kind", "medium"]
    list_filter = ["kind", "source__area__site"]
    search_fields = ["source__code", "target__code", "medium"]
    autocomplete_fields = ["source", "target"]
