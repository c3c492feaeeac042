"""The state an operator sees, from an alarm point's mode and an occurrence (ISA-18.2 §6.3 /
IEC 62682 state model):

    normal ──activate──▶ unack ──ack──▶ acked ──return──▶ normal (cleared)
                           │
                           └──return──▶ rtn_unack ──ack──▶ normal (cleared)

A point that is shelved, suppressed by design or out of service shows that mode instead, whatever
its condition; its occurrences keep their own lifecycle underneath.
"""

from __future__ import annotations

from anquan.monitoring.choices import AlarmMode, AlarmState
from anquan.monitoring.models import AlarmOccurrence, AlarmPoint

_MODE_STATE = {
    AlarmMode.SHELVED: AlarmState.SHELVED,
    AlarmMode.SUPPRESSED: AlarmState.SUPPRESSED,
    AlarmMode.OUT_OF_SERVICE: AlarmState.OUT_OF_SERVICE,
}


def occurrence_state(occurrence: AlarmOccurrence | None) -> AlarmState:
    """The state of an occurrence alone (normal once cleared)."""
    if occurrence is None or occurrence.cleared_at is not None:
        return AlarmState.NORMAL
    if occurrence.returned_at is not None:
        return AlarmState.NORMAL if occurrence.acked_at is not None else AlarmState.RTN_UNACK
    return AlarmState.ACKED if occurrence.acked_at is not None else AlarmState.UNACK


def display_state(point: AlarmPoint, occurrence: AlarmOccurrence | None) -> AlarmState:
    """What the console shows for ``point`` and ``occurrence`` (usually ``point.occurrence``)."""
    mode_state = _MODE_STATE.get(AlarmMode(point.mode))
    if mode_state is not None:
        return mode_state
    return occurrence_state(occurrence)
