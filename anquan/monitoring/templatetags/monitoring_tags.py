"""Template helpers of the monitoring pages: epoch-millisecond times, alarm and tag-health badges."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from anquan.monitoring import selectors
from anquan.monitoring.choices import AlarmMode, AlarmState, TagStatus
from anquan.monitoring.web import presentation

register = template.Library()


@register.filter
def from_ms(value: Any) -> dt.datetime | None:
    """Epoch milliseconds (UTC) as an aware datetime in the current time zone (for ``|date``)."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return timezone.localtime(moment)


@register.filter
def priority_badge(priority: str | None) -> str:
    return presentation.PRIORITY_BADGES.get(priority or "", "text-bg-secondary")


@register.filter
def priority_label(priority: str | None) -> str:
    return presentation.priority_label(priority)


@register.filter
def occurrence_state(occurrence: Any) -> str:
    return selectors.occurrence_state(occurrence)


@register.filter
def state_badge(state: str | None) -> str:
    return presentation.STATE_BADGES.get(state or "", "text-bg-secondary")


@register.filter
def state_label(state: str | None) -> str:
    return str(AlarmState(state).label) if state in AlarmState.values else ""


@register.filter
def mode_badge(mode: str | None) -> str:
    return presentation.MODE_BADGES.get(mode or "", "text-bg-secondary")


@register.filter
def mode_label(mode: str | None) -> str:
    return str(AlarmMode(mode).label) if mode in AlarmMode.values else ""


@register.filter
def tag_status_badge(status: str | None) -> str:
    return presentation.TAG_STATUS_BADGES.get(status or "", "text-bg-secondary")


@register.filter
def tag_status_label(status: str | None) -> str:
    return str(TagStatus(status).label) if status in TagStatus.values else ""


@register.filter
def reading(value: Any) -> str:
    """A measured value for display (no exponent, no trailing zeros, "—" when absent)."""
    return presentation.num(value)


@register.simple_tag(takes_context=True)
def can_do(context: dict[str, Any], capability: str) -> bool:
    """Whether the signed-in user holds ``capability`` anywhere (which menu entries to offer)."""
    from anquan.org.access import Access

    user = context.get("user")
    return user is not None and Access.of(user).can(capability)
