"""Events of the alarm system, published after the transaction that stored the change commits."""

from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class AlarmRaised(Event):
    """An alarm was annunciated (a new AlarmOccurrence): at activation in service, or when a point
    whose condition is still active comes back into service (unshelved, unsuppressed, returned)."""

    occurrence_id: int
    rule_id: int
    site_id: int
    area_id: int
    priority: str


@dataclass(frozen=True)
class AlarmReturned(Event):
    occurrence_id: int
    rule_id: int
    site_id: int


@dataclass(frozen=True)
class AlarmAcknowledged(Event):
    occurrence_ids: tuple[int, ...]
    user_id: int | None
    site_id: int


@dataclass(frozen=True)
class AlarmCleared(Event):
    """Returned to normal and acknowledged: the occurrence is closed."""

    occurrence_id: int
    rule_id: int
    site_id: int


@dataclass(frozen=True)
class AlarmModeChanged(Event):
    """Shelved, unshelved, suppressed by design, removed from or returned to service."""

    rule_id: int
    site_id: int
    mode: str
    user_id: int | None


@dataclass(frozen=True)
class AlarmEscalated(Event):
    """An alarm stayed unacknowledged too long; ``user_ids`` are the next people up to tell."""

    occurrence_id: int
    site_id: int
    level: int
    user_ids: tuple[int, ...]
