"""Events of hazards, published after the transaction that stored the step commits.

Every step of the closed loop is a ``HazardStepTaken`` subclass, so a subscriber that follows all of
them (the reporter's notifications) subscribes to each and reads the common fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class HazardStepTaken(Event):
    hazard_id: int
    site_id: int
    area_id: int
    actor_id: int | None
    state: str  # the state after the step


@dataclass(frozen=True)
class HazardReported(HazardStepTaken):
    reporter_id: int
    likely_duplicate: bool
    from_alarm: bool


@dataclass(frozen=True)
class HazardVerified(HazardStepTaken):
    pass


@dataclass(frozen=True)
class HazardRejected(HazardStepTaken):
    duplicate_of_id: int | None


@dataclass(frozen=True)
class HazardGraded(HazardStepTaken):
    grade: str
    risk_colour: str
    report_upward: bool


@dataclass(frozen=True)
class MajorHazardPlanSubmitted(HazardStepTaken):
    pass


@dataclass(frozen=True)
class MajorHazardPlanApproved(HazardStepTaken):
    pass


@dataclass(frozen=True)
class RectificationAssigned(HazardStepTaken):
    responsible_id: int
    deadline: str  # ISO 8601


@dataclass(frozen=True)
class HazardRectified(HazardStepTaken):
    rectifier_id: int


@dataclass(frozen=True)
class HazardAccepted(HazardStepTaken):
    passed: bool  # False: the rectification goes back to the responsible person


@dataclass(frozen=True)
class HazardClosed(HazardStepTaken):
    pass


@dataclass(frozen=True)
class HazardDeadlineNear(HazardStepTaken):
    responsible_id: int
    deadline: str


@dataclass(frozen=True)
class HazardEscalated(HazardStepTaken):
    level: int  # 1: the area's managers, 2: the EHS directors
    user_ids: tuple[int, ...]
