"""The inspections pages' forms (most pages post plain fields straight to the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from anquan.inspections import health
from anquan.plant.web.forms import ServiceForm


class WeightsForm(ServiceForm):
    """A site's health score weights: one number per field of ``health.Weights``, shown with its
    unit, meaning and default (``health.SETTINGS``); the service checks them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for s in health.SETTINGS:
            self.fields[s.name] = forms.FloatField(
                label=str(s.label),
                help_text=str(s.help),
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            )
        self.style()

    def groups(self) -> list[dict[str, Any]]:
        """The fields by factor, each with its unit and default, in the order of ``health.SETTINGS``."""
        out: list[dict[str, Any]] = []
        for s in health.SETTINGS:
            if not out or out[-1]["name"] != str(s.group):
                out.append({"name": str(s.group), "fields": []})
            default = f"{getattr(health.WEIGHTS, s.name):g}"
            out[-1]["fields"].append(
                {"field": self[s.name], "unit": s.unit, "default": _("默认 %(v)s") % {"v": default}}
            )
        return out
