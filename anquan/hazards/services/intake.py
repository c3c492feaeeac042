"""Reports (隐患随手拍) and alarms turned into hazards (管控措施失效)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.hazards import duplicates, events
from anquan.hazards.choices import (
    FINAL_STATES,
    HazardCategory,
    HazardSource,
    HazardState,
    StepKind,
)
from anquan.hazards.models import DuplicateCandidate, Hazard
from anquan.hazards.services._base import (
    CHATTER_LOOKBACK,
    MAX_DESCRIPTION,
    _actor_id,
    _check_files,
    _common,
    _step,
    _store,
    _text,
)
from anquan.monitoring import kpis
from anquan.monitoring.choices import JournalKind, RuleKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence
from anquan.org.access import Access, place_of_area
from anquan.org.models import Area, Site
from anquan.org.roles import HAZARD_REPORT
from anquan.plant.models import Equipment
from anquan.platform import audit
from anquan.platform.attachments.models import Attachment, AttachmentKind
from anquan.platform.events import publish


# --- report ---------------------------------------------------------------------------------------
def _next_number(site: Site, day: dt.date) -> str:
    """YH-<yyyymmdd>-<nnnn>, counted per site and day (the caller holds the site's row lock)."""
    prefix = f"YH-{day:%Y%m%d}-"
    last = Hazard.objects.filter(site=site, number__startswith=prefix).aggregate(n=Max("number"))["n"]
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _place(area: Area | None, equipment: Equipment | None) -> tuple[Area, Equipment | None]:
    if equipment is not None:
        if area is not None and equipment.area_id != area.pk:
            raise ValidationError({"equipment": [_("设备不在所选区域内。")]})
        return equipment.area, equipment
    if area is None:
        raise ValidationError({"area": [_("请选择区域或设备（也可扫描设备二维码）。")]})
    return area, None


def _clean_uid(value: Any) -> str | None:
    """The canonical text form of a client UUID (None: none given)."""
    if value in (None, ""):
        return None
    try:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError({"client_uid": [_("客户端编号必须是 UUID。")]}) from None


def _photo_hashes(attachments: Sequence[Attachment]) -> list[str]:
    hashes = []
    for attachment in attachments:
        if attachment.kind != AttachmentKind.IMAGE:
            continue
        with attachment.file.open("rb") as stream:
            hashes.append(duplicates.photo_hash(stream))
    return hashes


def _as_report(hazard: Hazard) -> duplicates.Report:
    return duplicates.Report(
        pk=hazard.pk,
        area_id=hazard.area_id,
        equipment_id=hazard.equipment_id,
        text=hazard.description,
        photo_hashes=tuple(hazard.photo_hashes or ()),
        at=hazard.reported_at,
    )


def _find_duplicates(hazard: Hazard) -> list[DuplicateCandidate]:
    since = hazard.reported_at - dt.timedelta(days=duplicates.WINDOW_DAYS)
    others = (
        Hazard.objects.filter(site_id=hazard.site_id, reported_at__gte=since)
        .exclude(state__in=FINAL_STATES)
        .exclude(pk=hazard.pk)
        .only("pk", "area_id", "equipment_id", "description", "photo_hashes", "reported_at")
    )
    found = duplicates.likely_duplicates(_as_report(hazard), (_as_report(h) for h in others))
    return DuplicateCandidate.objects.bulk_create(
        DuplicateCandidate(hazard=hazard, candidate_id=pk, score=value, reasons=reasons)
        for pk, value, reasons in found
    )


def _existing_report(actor: Any, client_uid: str) -> Hazard | None:
    existing = Hazard.objects.filter(client_uid=client_uid).first()
    if existing is not None and existing.reporter_id != _actor_id(actor):
        raise ValidationError({"client_uid": [_("该客户端编号已被他人使用。")]})
    return existing


def report_hazard(
    actor: Any,
    *,
    description: str,
    area: Area | None = None,
    equipment: Equipment | None = None,
    category: str = HazardCategory.OTHER,
    source: str = HazardSource.DAILY,
    files: Sequence[Any] = (),
    client_uid: Any = None,
    now: dt.datetime | None = None,
) -> tuple[Hazard, bool]:
    """Report a hazard (隐患随手拍) with photos, a voice note or a video; the hazard and whether it
    was created now (False: the same ``client_uid`` was reported before — a phone resending — and
    that hazard is returned unchanged)."""
    uid = _clean_uid(client_uid)
    if uid is not None:
        existing = _existing_report(actor, uid)
        if existing is not None:
            return existing, False
    area, equipment = _place(area, equipment)
    if actor is not None:
        Access.of(actor).require(HAZARD_REPORT, place_of_area(area))
    errors: dict[str, list[str]] = {}
    try:
        text = _text(
            description, "description", required=True, limit=MAX_DESCRIPTION, message=_("请描述隐患。")
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if category not in HazardCategory.values:
        errors["category"] = [_("请选择隐患类别。")]
    if source not in HazardSource.values:
        errors["source"] = [_("请选择隐患来源。")]
    if errors:
        raise ValidationError(errors)
    _check_files(files)
    try:
        hazard = _create(
            actor,
            area=area,
            equipment=equipment,
            description=text,
            category=category,
            source=source,
            files=files,
            client_uid=uid,
            now=now or timezone.now(),
        )
    except IntegrityError:
        if uid is None:
            raise
        existing = _existing_report(actor, uid)  # the same report arrived twice at once
        if existing is None:
            raise
        return existing, False
    return hazard, True


def _create(
    actor: Any,
    *,
    area: Area,
    equipment: Equipment | None,
    description: str,
    category: str,
    source: str,
    files: Sequence[Any],
    client_uid: str | None,
    now: dt.datetime,
    occurrence: AlarmOccurrence | None = None,
) -> Hazard:
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=area.site_id)
        hazard = Hazard.objects.create(
            site=site,
            area=area,
            equipment=equipment,
            number=_next_number(site, timezone.localdate(now)),
            description=description,
            category=category,
            source=source,
            reporter=actor,
            reported_at=now,
            client_uid=client_uid,
            alarm_occurrence=occurrence,
            alarm_label=(occurrence.message if occurrence is not None else "")[:300],
        )
        attachments = _store(actor, hazard, files, _("上报照片/音视频"))
        hazard.photo_hashes = _photo_hashes(attachments)
        candidates = _find_duplicates(hazard)
        hazard.likely_duplicate = bool(candidates)
        hazard.save(update_fields=["photo_hashes", "likely_duplicate", "updated_at"])
        audit.record_create(actor, hazard)
        _step(
            hazard,
            StepKind.REPORTED,
            actor,
            at=now,
            data={
                "attachments": [a.pk for a in attachments],
                "candidates": [c.candidate_id for c in candidates],
                **({"alarm_occurrence": occurrence.pk} if occurrence is not None else {}),
            },
        )
        publish(
            events.HazardReported(
                **_common(hazard, actor),
                reporter_id=hazard.reporter_id,
                likely_duplicate=hazard.likely_duplicate,
                from_alarm=occurrence is not None,
            )
        )
    return hazard


# --- from an alarm ----------------------------------------------------------------------------------
def alarm_failure(occurrence: AlarmOccurrence, now: dt.datetime) -> str | None:
    """Why an alarm shows its control measure failed: "control_failed" (an interlock / automated
    control did not act — every alarm of such a rule, at once), "standing" (active more than 24 h),
    "chattering" (its rule chattered in the last day), or None."""
    if occurrence.rule.kind == RuleKind.INTERLOCK:
        return "control_failed"
    returned_ms = kpis.to_ms(occurrence.returned_at) if occurrence.returned_at else None
    if occurrence.cleared_at is None and kpis.is_stale(
        kpis.to_ms(occurrence.raised_at), returned_ms, kpis.to_ms(now)
    ):
        return "standing"
    since = now - CHATTER_LOOKBACK
    raised = AlarmJournal.objects.filter(
        rule_id=occurrence.rule_id, kind=JournalKind.ACTIVATED, at__gte=since, at__lte=now
    ).values_list("at", flat=True)
    if kpis.chatter_episodes([kpis.to_ms(t) for t in raised]):
        return "chattering"
    return None


def hazard_from_alarm(
    actor: Any,
    occurrence: AlarmOccurrence,
    *,
    description: str = "",
    now: dt.datetime | None = None,
) -> Hazard:
    """Turn a failed interlock's, a standing or a chattering alarm into a hazard with source
    管控措施失效, linked to it."""
    now = now or timezone.now()
    occurrence = AlarmOccurrence.objects.select_related("area__site", "rule__tag__equipment").get(
        pk=occurrence.pk
    )
    if actor is not None:
        Access.of(actor).require(HAZARD_REPORT, place_of_area(occurrence.area))
    why = alarm_failure(occurrence, now)
    if why is None:
        raise ValidationError(
            {
                "occurrence": [
                    _(
                        "只有联锁/自动控制失效报警、持续超过 24 小时未恢复的报警或振荡报警"
                        "才能转为“管控措施失效”隐患。"
                    )
                ]
            }
        )
    linked = Hazard.objects.filter(alarm_occurrence=occurrence).exclude(state=HazardState.REJECTED).first()
    if linked is not None:
        raise ValidationError(
            {"occurrence": [_("该报警已转为隐患 %(number)s。") % {"number": linked.number}]}
        )
    text = _text(description, "description", required=False, limit=MAX_DESCRIPTION)
    if not text and why == "control_failed":
        text = _("联锁“%(name)s”未动作（报警：%(message)s），管控措施失效。") % {
            "name": occurrence.rule.name,
            "message": occurrence.message,
        }
    elif not text:
        reason = _("持续超过 24 小时未恢复") if why == "standing" else _("频繁振荡")
        text = _("报警“%(message)s”%(reason)s，管控措施失效。") % {
            "message": occurrence.message,
            "reason": reason,
        }
    tag = occurrence.rule.tag
    equipment = tag.equipment if tag is not None else None
    return _create(
        actor,
        area=occurrence.area,
        equipment=equipment,
        description=text,
        # A control that did not act is an instrument (仪表) matter; an alarm left standing or
        # chattering is a process (工艺) deviation the measures did not bring back.
        category=HazardCategory.INSTRUMENT if why == "control_failed" else HazardCategory.PROCESS,
        source=HazardSource.CONTROL_FAILED,
        files=(),
        client_uid=None,
        now=now,
        occurrence=occurrence,
    )
