"""Events of inspections, published after the transaction that stored the change commits."""

from dataclasses import dataclass

from anquan.platform.events import Event


@dataclass(frozen=True)
class RoundCompleted(Event):
    round_id: int
    site_id: int
    team_id: int
    late: bool
    failed_items: int


@dataclass(frozen=True)
class RoundMissed(Event):
    round_id: int
    site_id: int
    team_id: int


@dataclass(frozen=True)
class CheckItemFailed(Event):
    """A failed check item of a finished round (outside its limits, or not OK); ``on_fail`` is the
    item's rule (none / work_order / hazard). A work order is already open when this is published
    (``ItemResult.follow_up_id``); opening the hazard is the next step (``services._follow_up``)."""

    result_id: int
    round_id: int
    site_id: int
    area_id: int
    equipment_id: int | None
    on_fail: str
    recorded_by_id: int | None


@dataclass(frozen=True)
class DailyReportBuilt(Event):
    report_id: int
    site_id: int
    date: str  # ISO date the report covers
