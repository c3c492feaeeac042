"""Forms of the plant pages. They validate and convert input; the services decide and write.

A service raises ``ValidationError`` keyed by field; ``ServiceForm.apply`` puts each message on
the field it names (or on the form when the field is not on it), so the page shows it in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anquan.org.models import Area, User
from anquan.plant.choices import KINDS, LinkKind
from anquan.plant.models import Equipment, ProcessLink, SensorTag, Unit
from anquan.plant.services import EQUIPMENT_FIELDS, TAG_FIELDS
from anquan.plant.web.presentation import num


class ServiceForm(forms.Form):
    """A form styled for Bootstrap whose errors can also come from a service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def apply(self, error: ValidationError) -> None:
        """Show a service's ValidationError on this form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, messages in error.error_dict.items():
            target = name if name in self.fields and name != NON_FIELD_ERRORS else None
            for message in messages:
                self.add_error(target, message)


# --- Equipment --------------------------------------------------------------------------------
EQUIPMENT_FORM_FIELDS = ("area", *EQUIPMENT_FIELDS)


class EquipmentForm(ServiceForm):
    def __init__(
        self,
        *args: Any,
        areas: QuerySet[Area],
        units: QuerySet[Unit],
        people: QuerySet[User],
        instance: Equipment | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None:
            kwargs.setdefault("initial", forms.model_to_dict(instance, fields=EQUIPMENT_FORM_FIELDS))
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            Equipment,
            fields=EQUIPMENT_FORM_FIELDS,
            widgets={
                "install_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                "description": forms.Textarea(attrs={"rows": 3}),
                "map_x": forms.NumberInput(attrs={"step": "any", "min": 0}),
                "map_y": forms.NumberInput(attrs={"step": "any", "min": 0}),
            },
        )
        self.fields.update(fields)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["area"].empty_label = None  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units.select_related("area")  # type: ignore[attr-defined]
        self.fields["unit"].label_from_instance = lambda u: f"{u.area.name} / {u.name}"  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = people  # type: ignore[attr-defined]
        self.fields["responsible"].label_from_instance = _person_label  # type: ignore[attr-defined]
        self.style()

    def changes(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments of the equipment services (area included)."""
        return {name: self.cleaned_data[name] for name in EQUIPMENT_FORM_FIELDS}


def _person_label(user: User) -> str:
    team = f" · {user.team.name}" if user.team else ""
    return f"{user}{team}"


# --- Sensor tags ------------------------------------------------------------------------------
ALL_UNITS = tuple(dict.fromkeys(unit for spec in KINDS.values() for unit in spec.units))


def units_of(kind: str | None) -> tuple[str, ...]:
    spec = KINDS.get(kind or "")
    return spec.units if spec else ALL_UNITS


class TagForm(ServiceForm):
    """Tag fields; the engineering-unit choices follow the measurement kind."""

    def __init__(self, *args: Any, instance: SensorTag | None = None, **kwargs: Any) -> None:
        if instance is not None:
            initial = forms.model_to_dict(instance, fields=TAG_FIELDS)
            for key in ("range_low", "range_high", "hh", "h", "l", "ll"):
                if initial.get(key) is not None:
                    initial[key] = num(initial[key])
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            SensorTag,
            fields=TAG_FIELDS,
            widgets={"description": forms.Textarea(attrs={"rows": 2})},
        )
        self.fields.update(fields)
        # Any known unit validates here; the service says which units the chosen kind accepts.
        self.fields["unit"] = forms.ChoiceField(
            label=SensorTag._meta.get_field("unit").verbose_name,
            choices=[(u, u) for u in ALL_UNITS],
        )
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        self.fields["unit"].widget.choices = [(u, u) for u in units_of(kind)]
        # Swap in the unit choices of the chosen kind (HTMX); the form still validates without it.
        self.fields["kind"].widget.attrs.update(
            {"hx-get": reverse("plant:tag-units"), "hx-target": "#id_unit", "hx-swap": "outerHTML"}
        )
        for name in ("range_low", "range_high", "hh", "h", "l", "ll"):
            self.fields[name].widget.attrs["step"] = "any"
        self.style()

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TAG_FIELDS}

    def limit_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        """(value, priority) pairs from HH down to LL, for the limits table of the form."""
        return [(self[level], self[f"{level}_priority"]) for level in ("hh", "h", "l", "ll")]


# --- Topology ---------------------------------------------------------------------------------
class LinkForm(ServiceForm):
    source = forms.ModelChoiceField(label=_("上游设备"), queryset=Equipment.objects.none())
    target = forms.ModelChoiceField(label=_("下游设备"), queryset=Equipment.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=LinkKind.choices, initial=LinkKind.MATERIAL)
    medium = forms.CharField(
        label=_("介质"), max_length=ProcessLink._meta.get_field("medium").max_length, required=False
    )

    def __init__(
        self, *args: Any, choices: QuerySet[Equipment], editable: QuerySet[Equipment], **kwargs: Any
    ) -> None:
        """``editable``: what the viewer may link (validation); ``choices``: what the lists offer."""
        super().__init__(*args, **kwargs)
        offered = [("", "---------")] + [(eq.pk, f"{eq.code} {eq.name}") for eq in choices]
        for name in ("source", "target"):
            field = self.fields[name]
            field.queryset = editable  # type: ignore[attr-defined]
            field.label_from_instance = lambda eq: f"{eq.code} {eq.name}"  # type: ignore[attr-defined]
            field.widget.choices = offered
        self.fields["medium"].widget.attrs["placeholder"] = _("如 汽油、氮气")
