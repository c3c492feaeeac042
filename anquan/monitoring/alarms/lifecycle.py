"""The database side of an alarm's life, shared by the stream (``processor``), the people
(``monitoring.services``) and the receivers: annunciating, returning, acknowledging, clearing and
changing a point's mode, each with its journal row and its event (delivered after commit).

Every function runs inside the caller's transaction; a caller changing a point locks its row first
(``AlarmPoint.objects.select_for_update()``), and an occurrence's row before changing it, always in
that order (point, then occurrence), so the stream and the console never lose each other's change.

``AlarmPoint.occurrence`` is the point's latest annunciated occurrence (it stays once cleared).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from anquan.monitoring import events
from anquan.monitoring.choices import AlarmMode, JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule
from anquan.plant.choices import EquipmentStatus
from anquan.platform.events import publish

MAX_JOURNAL_TEXT = 500


def ms_to_dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def dt_to_ms(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


@dataclass(frozen=True)
class RuleInfo:
    """What annunciation needs to know about a rule (cached by the stream, built from a row otherwise)."""

    id: int
    site_id: int
    area_id: int
    name: str
    priority: str
    unit: str = ""

    @classmethod
    def of(cls, rule: AlarmRule) -> RuleInfo:
        unit = rule.tag.unit if rule.tag_id and rule.tag is not None else ""
        return cls(rule.pk, rule.site_id, rule.area_id, rule.name, rule.priority, unit)


def message(info: RuleInfo, value: float | None) -> str:
    if value is None:
        return info.name[:300]
    unit = f" {info.unit}" if info.unit else ""
    return f"{info.name}：{value:.6g}{unit}"[:300]


def journal(
    info: RuleInfo,
    kind: str,
    at: dt.datetime,
    *,
    user: Any = None,
    occurrence: AlarmOccurrence | None = None,
    value: float | None = None,
    text: str = "",
) -> AlarmJournal:
    return AlarmJournal.objects.create(
        rule_id=info.id,
        occurrence=occurrence,
        site_id=info.site_id,
        area_id=info.area_id,
        kind=kind,
        at=at,
        user=user if getattr(user, "pk", None) else None,
        value=value,
        text=text[:MAX_JOURNAL_TEXT],
    )


def _is_open(occurrence: AlarmOccurrence | None) -> bool:
    """An occurrence still annunciating the active condition (not returned, not cleared)."""
    return occurrence is not None and occurrence.returned_at is None and occurrence.cleared_at is None


def annunciate(
    point: AlarmPoint, info: RuleInfo, at: dt.datetime, value: float | None, text: str = ""
) -> AlarmOccurrence:
    """A new occurrence for ``point`` (locked): journal ACTIVATED with it, publish AlarmRaised."""
    occurrence = AlarmOccurrence.objects.create(
        rule_id=info.id,
        site_id=info.site_id,
        area_id=info.area_id,
        priority=info.priority,
        message=message(info, value),
        raised_at=at,
        raised_value=value,
    )
    AlarmPoint.objects.filter(pk=point.pk).update(occurrence=occurrence)
    point.occurrence = occurrence
    journal(info, JournalKind.ACTIVATED, at, occurrence=occurrence, value=value, text=text)
    publish(
        events.AlarmRaised(
            occurrence_id=occurrence.pk,
            rule_id=info.id,
            site_id=info.site_id,
            area_id=info.area_id,
            priority=info.priority,
        )
    )
    return occurrence


def current_occurrence(point: AlarmPoint, *, lock: bool = True) -> AlarmOccurrence | None:
    if point.occurrence_id is None:
        return None
    rows = AlarmOccurrence.objects.filter(pk=point.occurrence_id)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def activated(
    point: AlarmPoint, info: RuleInfo, at: dt.datetime, value: float | None
) -> AlarmOccurrence | None:
    """The condition of ``point`` (locked) became active: annunciate in service, else only journal."""
    if point.mode == AlarmMode.IN_SERVICE:
        return annunciate(point, info, at, value)
    journal(
        info,
        JournalKind.ACTIVATED,
        at,
        value=value,
        text=_("%(mode)s中，未报警") % {"mode": AlarmMode(point.mode).label},
    )
    return None


def returned(
    point: AlarmPoint, info: RuleInfo, at: dt.datetime, value: float | None, text: str = ""
) -> AlarmOccurrence | None:
    """The condition of ``point`` (locked) returned to normal: its open occurrence returns (and
    clears if it was acknowledged already)."""
    occurrence = current_occurrence(point)
    if not _is_open(occurrence):
        journal(info, JournalKind.RETURNED, at, value=value, text=text)
        return None
    assert occurrence is not None
    occurrence.returned_at = at
    fields = ["returned_at"]
    if occurrence.acked_at is not None:
        occurrence.cleared_at = at
        fields.append("cleared_at")
    occurrence.save(update_fields=fields)
    journal(info, JournalKind.RETURNED, at, occurrence=occurrence, value=value, text=text)
    publish(events.AlarmReturned(occurrence_id=occurrence.pk, rule_id=info.id, site_id=info.site_id))
    if occurrence.cleared_at is not None:
        journal(info, JournalKind.CLEARED, at, occurrence=occurrence)
        publish(events.AlarmCleared(occurrence_id=occurrence.pk, rule_id=info.id, site_id=info.site_id))
    return occurrence


def acknowledge(
    occurrence: AlarmOccurrence, info: RuleInfo, user: Any, at: dt.datetime, comment: str = ""
) -> bool:
    """Acknowledge ``occurrence`` (locked); one already acknowledged keeps who did it first.
    A returned one clears. False when there was nothing to acknowledge."""
    if occurrence.acked_at is not None or occurrence.cleared_at is not None:
        return False
    occurrence.acked_at = at
    occurrence.acked_by = user if getattr(user, "pk", None) else None
    fields = ["acked_at", "acked_by"]
    if occurrence.returned_at is not None:
        occurrence.cleared_at = at
        fields.append("cleared_at")
    occurrence.save(update_fields=fields)
    journal(info, JournalKind.ACKNOWLEDGED, at, user=user, occurrence=occurrence, text=comment)
    if occurrence.cleared_at is not None:
        journal(info, JournalKind.CLEARED, at, user=user, occurrence=occurrence)
        publish(events.AlarmCleared(occurrence_id=occurrence.pk, rule_id=info.id, site_id=info.site_id))
    return True


def designed_mode(rule: AlarmRule) -> str:
    """In service, or suppressed by design when the rule asks for it and its tag's equipment is not
    in service (standby, maintenance, out of service)."""
    tag = rule.tag if rule.tag_id else None
    if (
        rule.suppress_when_out_of_service
        and tag is not None
        and tag.equipment.status != EquipmentStatus.IN_SERVICE
    ):
        return AlarmMode.SUPPRESSED
    return AlarmMode.IN_SERVICE


def change_mode(
    point: AlarmPoint,
    info: RuleInfo,
    mode: str,
    kind: str,
    at: dt.datetime,
    *,
    user: Any = None,
    reason: str = "",
    shelved_until: dt.datetime | None = None,
) -> None:
    """Put ``point`` (locked) into ``mode``, journal ``kind`` with who, when and why, publish
    AlarmModeChanged. Back in service with its condition still active, the alarm is annunciated."""
    point.mode = mode
    point.mode_reason = reason[:300]
    point.mode_by = user if getattr(user, "pk", None) else None
    point.mode_at = at
    point.shelved_until = shelved_until if mode == AlarmMode.SHELVED else None
    point.save(update_fields=["mode", "mode_reason", "mode_by", "mode_at", "shelved_until", "updated_at"])
    journal(info, kind, at, user=user, text=reason)
    publish(
        events.AlarmModeChanged(
            rule_id=info.id, site_id=info.site_id, mode=mode, user_id=getattr(user, "pk", None)
        )
    )
    if mode == AlarmMode.IN_SERVICE and point.active:
        occurrence = current_occurrence(point)
        if not _is_open(occurrence):
            value = point.engine.get("av") if isinstance(point.engine, dict) else None
            annunciate(
                point,
                info,
                at,
                float(value) if isinstance(value, int | float) else None,
                text=_("恢复投用时报警条件仍然成立"),
            )


def leave_mode(
    point: AlarmPoint, rule: AlarmRule, kind: str, at: dt.datetime, *, user: Any = None, text: str = ""
) -> None:
    """End a shelve or an out-of-service period of ``point`` (locked): it goes back to service, or
    to suppressed by design if its equipment is not in service now."""
    mode = designed_mode(rule)
    change_mode(point, RuleInfo.of(rule), mode, kind, at, user=user, reason=text)
    if mode == AlarmMode.SUPPRESSED:
        journal(RuleInfo.of(rule), JournalKind.SUPPRESSED, at, text=_("设备不在用，设计抑制"))


def apply_design(point: AlarmPoint, rule: AlarmRule, at: dt.datetime) -> bool:
    """Suppress ``point`` (locked) by design, or lift that suppression, as its equipment's status
    now asks. Shelved and out-of-service points keep their mode (checked again when they end)."""
    if point.mode not in (AlarmMode.IN_SERVICE, AlarmMode.SUPPRESSED):
        return False
    mode = designed_mode(rule)
    if mode == point.mode:
        return False
    kind = JournalKind.SUPPRESSED if mode == AlarmMode.SUPPRESSED else JournalKind.UNSUPPRESSED
    reason = ""
    if rule.tag_id and rule.tag is not None:
        reason = _("设备 %(code)s 状态：%(status)s") % {
            "code": rule.tag.equipment.code,
            "status": EquipmentStatus(rule.tag.equipment.status).label,
        }
    change_mode(point, RuleInfo.of(rule), mode, kind, at, reason=reason)
    return True
