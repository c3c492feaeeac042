"""Deadline reminders and overdue escalations (run by the periodic job ``hazards.tasks.hazard_deadlines``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from anquan.hazards import events
from anquan.hazards.choices import (
    HazardState,
    StepKind,
)
from anquan.hazards.models import Hazard
from anquan.hazards.selectors import people_with_role
from anquan.hazards.services._base import (
    ESCALATE_SECOND_AFTER,
    REMIND_BEFORE,
    _common,
    _step,
)
from anquan.org.choices import Role
from anquan.platform import audit
from anquan.platform.events import publish


# --- deadlines ----------------------------------------------------------------------------------------
def run_deadlines(now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the responsible person ``REMIND_BEFORE`` the deadline; when overdue escalate to the
    area's managers, and ``ESCALATE_SECOND_AFTER`` later to the EHS directors — each once per
    assignment. Looks at the state, so a missed run catches up. Returns what it did."""
    now = now or timezone.now()
    done = {"reminded": 0, "escalated": 0}
    due = Hazard.objects.filter(state=HazardState.RECTIFYING, deadline__isnull=False)
    reminders = due.filter(reminded_at__isnull=True, deadline__gt=now, deadline__lte=now + REMIND_BEFORE)
    for pk in reminders.values_list("pk", flat=True):
        done["reminded"] += _remind(pk, now)
    overdue = due.filter(deadline__lt=now, escalation_level__lt=2)
    for pk in overdue.values_list("pk", flat=True):
        while _escalate(pk, now):  # a missed run catches up, one level at a time
            done["escalated"] += 1
    return done


def _remind(pk: int, now: dt.datetime) -> int:
    with transaction.atomic():
        hazard = Hazard.objects.select_for_update(of=("self",)).filter(pk=pk).first()
        if (
            hazard is None
            or hazard.state != HazardState.RECTIFYING
            or hazard.reminded_at is not None
            or hazard.deadline is None
            or hazard.responsible_id is None
        ):
            return 0
        hazard.reminded_at = now
        hazard.save(update_fields=["reminded_at", "updated_at"])
        audit.record_transition(None, hazard, "reminded_at", None, now)
        _step(
            hazard,
            StepKind.REMINDED,
            None,
            at=now,
            from_state=hazard.state,
            data={"to": hazard.responsible_id},
        )
        publish(
            events.HazardDeadlineNear(
                **_common(hazard, None),
                responsible_id=hazard.responsible_id,
                deadline=hazard.deadline.isoformat(),
            )
        )
    return 1


def _escalate(pk: int, now: dt.datetime) -> int:
    with transaction.atomic():
        hazard = (
            Hazard.objects.select_for_update(of=("self",)).select_related("area__site").filter(pk=pk).first()
        )
        if hazard is None or hazard.state != HazardState.RECTIFYING or hazard.deadline is None:
            return 0
        level = hazard.escalation_level
        if level == 0 and now > hazard.deadline:
            new_level, role = 1, Role.AREA_MANAGER
        elif level == 1 and now > hazard.deadline + ESCALATE_SECOND_AFTER:
            new_level, role = 2, Role.EHS_DIRECTOR
        else:
            return 0
        users = tuple(sorted(people_with_role(role, hazard.area)))
        hazard.escalation_level, hazard.escalated_at = new_level, now
        hazard.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
        audit.record_transition(None, hazard, "escalation_level", level, new_level)
        _step(
            hazard,
            StepKind.ESCALATED,
            None,
            at=now,
            from_state=hazard.state,
            data={"level": new_level, "to": list(users)},
        )
        publish(events.HazardEscalated(**_common(hazard, None), level=new_level, user_ids=users))
    return 1
