"""Events of early warning, published after the transaction that stored the change commits."""

from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class AIAlertRaised(Event):
    alert_id: int
    model_id: int
    site_id: int
    area_id: int
    notify_now: bool  # the model notifies at once, not only after an expert confirmed


@dataclass(frozen=True)
class AIAlertReviewed(Event):
    alert_id: int
    site_id: int
    confirmed: bool
    reviewer_id: int | None
    occurrence_id: int | None  # the alarm raised on confirmation


@dataclass(frozen=True)
class ModelVersionTrained(Event):
    version_id: int
    model_id: int
    site_id: int
    ok: bool
