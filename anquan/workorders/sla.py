"""The service levels of work orders, per priority, and the deadlines they give.

``SLA`` is the one named configuration: minutes to accept, hours to complete, and the minutes after
a missed deadline at which each further escalation level is reached. Change the numbers here (a
per-site policy table can replace this dict later without touching the callers, which only use
``for_priority``). ``ESCALATION_ROLES`` is the ladder: level 1 tells the area manager(s), level 2
the EHS director(s).

An order is overdue when it is still open past its acceptance deadline, or unfinished (open,
accepted, in progress) past its completion deadline. Escalation level ``k`` is reached at
``deadline + (k - 1) × escalate_minutes``, where the deadline is the acceptance deadline while the
order is open and the completion deadline after it was accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from anquan.org.choices import Role
from anquan.workorders.choices import ACTIVE_STATES, Priority, State


@dataclass(frozen=True)
class Sla:
    accept_minutes: int  # from dispatch (or reassignment) to 已接单
    complete_hours: int  # from creation to 已完成
    escalate_minutes: int  # between escalation levels once a deadline is missed


# Configurable service levels (the plant's own numbers belong here; these are the defaults).
SLA: dict[str, Sla] = {
    Priority.URGENT: Sla(accept_minutes=15, complete_hours=4, escalate_minutes=30),
    Priority.HIGH: Sla(accept_minutes=30, complete_hours=24, escalate_minutes=120),
    Priority.MEDIUM: Sla(accept_minutes=120, complete_hours=72, escalate_minutes=480),
    Priority.LOW: Sla(accept_minutes=480, complete_hours=168, escalate_minutes=1440),
}

ESCALATION_ROLES: tuple[str, ...] = (Role.AREA_MANAGER, Role.EHS_DIRECTOR)


def for_priority(priority: str) -> Sla:
    return SLA[priority]


def accept_due(priority: str, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(minutes=for_priority(priority).accept_minutes)


def complete_due(priority: str, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(hours=for_priority(priority).complete_hours)


def deadline(state: str, accept_due_at: dt.datetime, due_at: dt.datetime) -> dt.datetime | None:
    """The deadline that counts now (None: nothing is due any more)."""
    if state == State.OPEN:
        return min(accept_due_at, due_at)
    if state in ACTIVE_STATES:
        return due_at
    return None


def is_overdue(state: str, accept_due_at: dt.datetime, due_at: dt.datetime, now: dt.datetime) -> bool:
    limit = deadline(state, accept_due_at, due_at)
    return limit is not None and limit < now


def overdue_q(now: dt.datetime) -> Q:
    """The orders overdue at ``now`` (as a filter)."""
    return Q(state=State.OPEN, accept_due_at__lt=now) | Q(state__in=ACTIVE_STATES, due_at__lt=now)


def next_level_due(
    state: str, priority: str, accept_due_at: dt.datetime, due_at: dt.datetime, level: int
) -> dt.datetime | None:
    """When an order at escalation ``level`` reaches the next one (None: the ladder ends, or nothing
    is due)."""
    if level >= len(ESCALATION_ROLES):
        return None
    limit = deadline(state, accept_due_at, due_at)
    if limit is None:
        return None
    return limit + dt.timedelta(minutes=for_priority(priority).escalate_minutes * level)
