"""Small presentation helpers of the work-order pages: state and priority badges, overdue."""

from __future__ import annotations

from django import template
from django.utils import timezone

from anquan.workorders import sla
from anquan.workorders.choices import Priority, State
from anquan.workorders.models import WorkOrder

register = template.Library()

STATE_BADGES: dict[str, str] = {
    State.OPEN: "text-bg-warning",
    State.ACCEPTED: "text-bg-info",
    State.IN_PROGRESS: "text-bg-primary",
    State.DONE: "text-bg-success",
    State.VERIFIED: "text-bg-secondary",
    State.CANCELLED: "text-bg-light border",
}
PRIORITY_BADGES: dict[str, str] = {
    Priority.URGENT: "text-bg-danger",
    Priority.HIGH: "text-bg-warning",
    Priority.MEDIUM: "text-bg-light border",
    Priority.LOW: "text-bg-light border text-body-secondary",
}


@register.filter
def state_badge(state: str) -> str:
    return STATE_BADGES.get(state, "text-bg-light border")


@register.filter
def priority_badge(priority: str) -> str:
    return PRIORITY_BADGES.get(priority, "text-bg-light border")


@register.filter
def overdue(order: WorkOrder) -> bool:
    return sla.is_overdue(order.state, order.accept_due_at, order.due_at, timezone.now())


@register.filter
def current_deadline(order: WorkOrder) -> object:
    """The deadline that counts now (acceptance while open, completion after), or None."""
    return sla.deadline(order.state, order.accept_due_at, order.due_at)
