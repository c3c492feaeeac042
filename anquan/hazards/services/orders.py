"""A hazard's rectification carried as a work order: on the responsible person's phone with the
work-order SLA, linked back to the hazard, which lists its orders."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from anquan.hazards.choices import HazardGrade, HazardState, ManageType
from anquan.hazards.models import Hazard
from anquan.hazards.services._base import _require
from anquan.org.roles import HAZARD_MANAGE
from anquan.workorders import services as workorders
from anquan.workorders.choices import OriginKind, Priority
from anquan.workorders.models import WorkOrder


def work_order_priority(hazard: Hazard) -> str:
    """重大 → 紧急; 即查即改 → 高; otherwise 中."""
    if hazard.grade == HazardGrade.MAJOR:
        return Priority.URGENT
    if hazard.manage_type == ManageType.IMMEDIATE:
        return Priority.HIGH
    return Priority.MEDIUM


def open_work_order(
    actor: Any, hazard: Hazard, *, title: str = "", description: str = "", priority: str = ""
) -> WorkOrder:
    """A work order for the rectification of a hazard that has one assigned: to the responsible
    person, with the measures as its description; the reporter watches it."""
    _require(actor, HAZARD_MANAGE, hazard)
    if hazard.state != HazardState.RECTIFYING or hazard.responsible is None:
        raise ValidationError({"hazard": [_("先安排整改（责任人、措施、期限），再开工单。")]})
    return workorders.open_work_order(
        actor,
        site=hazard.site,
        area=hazard.area,
        equipment=hazard.equipment,
        title=title.strip() or (_("隐患整改：%(number)s") % {"number": hazard.number}),
        description=description.strip() or hazard.measures or hazard.description,
        priority=priority or work_order_priority(hazard),
        origin_kind=OriginKind.HAZARD,
        origin_id=hazard.pk,
        origin_label=(_("隐患 %(number)s") % {"number": hazard.number})[:200],
        origin_url=reverse("hazards:detail", args=[hazard.pk]),
        assignee=hazard.responsible,
        watchers=[hazard.reporter],
    )
