"""Escalation of unacknowledged alarms (PRODUCT.md "Alarm management": an alarm not acknowledged
within N minutes, per priority, notifies the next person up through the notification centre).

An occurrence raised at ``t`` and still unacknowledged reaches escalation level ``k`` at
``t + k × minutes(priority)``; level ``k`` tells the active people holding ``roles[k-1]`` whose scope
covers the alarm's area (an enterprise- or site-wide grant, the area, or a team of the area).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anquan.monitoring import events
from anquan.monitoring.alarms.lifecycle import RuleInfo, journal
from anquan.monitoring.choices import JournalKind
from anquan.monitoring.models import AlarmOccurrence, EscalationPolicy
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import Area, RoleAssignment, User
from anquan.plant.choices import AlarmPriority
from anquan.platform.events import publish

# The default ladder: team leader, then area manager, then the EHS director; and the minutes an alarm
# may stay unacknowledged per priority (EscalationPolicy's field defaults: 5 / 15 / 30).
DEFAULT_ROLES: tuple[str, ...] = (Role.TEAM_LEADER, Role.AREA_MANAGER, Role.EHS_DIRECTOR)


def policy_for(site_id: int) -> EscalationPolicy:
    """The site's policy, created with the defaults the first time it is needed."""
    policy, _created = EscalationPolicy.objects.get_or_create(
        site_id=site_id, defaults={"roles": [str(role) for role in DEFAULT_ROLES]}
    )
    return policy


def minutes_for(policy: EscalationPolicy, priority: str) -> int:
    if priority == AlarmPriority.HIGH:
        return policy.high_minutes
    if priority == AlarmPriority.MEDIUM:
        return policy.medium_minutes
    return policy.low_minutes


def due_at(policy: EscalationPolicy, occurrence: AlarmOccurrence) -> dt.datetime | None:
    """When ``occurrence`` reaches its next level (None: the ladder has no further step)."""
    roles = policy.roles or []
    level = occurrence.escalation_level
    if level >= len(roles):
        return None
    return occurrence.raised_at + dt.timedelta(minutes=minutes_for(policy, occurrence.priority) * (level + 1))


def recipients(role: str, area: Area) -> tuple[int, ...]:
    """Active people holding ``role`` with a scope covering ``area``."""
    covering = (
        Q(level=ScopeLevel.ENTERPRISE, enterprise_id=area.site.enterprise_id)
        | Q(level=ScopeLevel.SITE, site_id=area.site_id)
        | Q(level=ScopeLevel.AREA, area_id=area.pk)
        | Q(level=ScopeLevel.TEAM, area_id=area.pk)
    )
    ids = (
        RoleAssignment.objects.filter(covering, role=role, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return tuple(sorted(set(ids)))


def escalate(occurrence_id: int, policy: EscalationPolicy, now: dt.datetime) -> bool:
    """Raise ``occurrence`` one level if it is still unacknowledged and its time has come."""
    with transaction.atomic():
        occurrence = (
            AlarmOccurrence.objects.select_for_update(of=("self",))
            .select_related("rule__tag", "area__site")
            .filter(pk=occurrence_id)
            .first()
        )
        if occurrence is None or occurrence.acked_at is not None or occurrence.cleared_at is not None:
            return False
        due = due_at(policy, occurrence)
        if due is None or due > now:
            return False
        role = str(policy.roles[occurrence.escalation_level])
        occurrence.escalation_level += 1
        occurrence.save(update_fields=["escalation_level"])
        user_ids = recipients(role, occurrence.area)
        label = Role(role).label if role in Role.values else role
        if user_ids:
            names = "、".join(str(u) for u in User.objects.filter(pk__in=user_ids).order_by("pk"))
            text = _("未确认超时，升级通知%(role)s：%(names)s") % {"role": label, "names": names}
        else:
            text = _("未确认超时，升级至%(role)s，但没有找到负责该区域的在岗人员") % {"role": label}
        journal(RuleInfo.of(occurrence.rule), JournalKind.ESCALATED, now, occurrence=occurrence, text=text)
        publish(
            events.AlarmEscalated(
                occurrence_id=occurrence.pk,
                site_id=occurrence.site_id,
                level=occurrence.escalation_level,
                user_ids=user_ids,
            )
        )
    return True
