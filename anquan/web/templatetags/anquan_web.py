"""Small template helpers of the site shell."""

from __future__ import annotations

import datetime as dt
import math

from django import forms, template
from django.forms import BoundField

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A duration in whole minutes, rounded up (a 90-second wait reads "2 minutes")."""
    if not isinstance(value, dt.timedelta):
        return 0
    return max(0, math.ceil(value.total_seconds() / 60))


_CHECKS = {"checkbox", "radio"}


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", "") == "checkbox"


@register.filter
def bootstrap(field: BoundField) -> str:
    """The field's widget with Bootstrap's classes (and ``is-invalid`` when it has errors)."""
    widget = field.field.widget
    if getattr(widget, "input_type", "") in _CHECKS:
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})
