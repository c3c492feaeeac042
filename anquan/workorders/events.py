"""Events of work orders, published after the transaction that stored the change commits.

The origin of an order (an alarm, an AI alert, a hazard, an inspection) lives in a domain above
this one; it follows its orders by subscribing to these events and matching ``origin_kind`` /
``origin_id``.
"""

from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class WorkOrderOpened(Event):
    work_order_id: int
    site_id: int
    area_id: int | None
    state: str
    origin_kind: str
    origin_id: int | None
    assignee_id: int | None  # None: no rule found anyone; a manager assigns by hand
    actor_id: int | None  # None: opened by the system (e.g. from an alarm)


@dataclass(frozen=True)
class WorkOrderChanged(Event):
    """A step of the timeline: ``step`` is a StepKind (accepted, started, completed, verified,
    rejected — back to in_progress —, reassigned, cancelled), ``state`` the state after it."""

    work_order_id: int
    site_id: int
    state: str
    previous_state: str
    step: str
    origin_kind: str
    origin_id: int | None
    assignee_id: int | None
    actor_id: int | None


@dataclass(frozen=True)
class WorkOrderEscalated(Event):
    """An overdue order reached escalation ``level``; ``user_ids`` are the people to tell."""

    work_order_id: int
    site_id: int
    level: int
    role: str
    user_ids: tuple[int, ...]
