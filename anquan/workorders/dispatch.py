"""Who gets a new work order: an ordered chain of rules, the first that finds someone wins.

1. the equipment's responsible person, if the order names equipment with an active one;
2. a person on shift (当班人员) in a team of the area at dispatch time (the roster, ``roster.py``);
3. a team leader of the area (an active user holding 班组长 at a team of the area);
4. an area manager covering the area (area-, site- or enterprise-wide), else a safety officer
   covering it (the same scopes, or a team of the area).

Among several candidates of one rule the one with the fewest unfinished orders is chosen (then the
lowest id), so the work spreads. Which rule picked the assignee is kept on the order (派单依据).

The chain is data (``RULES``): a rule is a function of the place that returns a pick or None, so
rules can be added or reordered without changing the callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import Area, RoleAssignment, Site, User
from anquan.plant.models import Equipment
from anquan.workorders import roster
from anquan.workorders.choices import ACTIVE_STATES, DispatchRule
from anquan.workorders.models import WorkOrder


@dataclass(frozen=True)
class Place:
    site: Site
    area: Area | None = None
    equipment: Equipment | None = None


@dataclass(frozen=True)
class Pick:
    user: User
    rule: str  # a DispatchRule
    basis: str  # the text shown as 派单依据


Rule = Callable[[Place], Pick | None]


def covering(place: Place, *, teams: bool) -> Q:
    """Role assignments whose scope covers the place: enterprise- and site-wide ones, the area's
    own, and (with ``teams``) those at a team of the area."""
    site = place.site
    q = Q(level=ScopeLevel.ENTERPRISE, enterprise_id=site.enterprise_id) | Q(
        level=ScopeLevel.SITE, site_id=site.pk
    )
    if place.area is not None:
        q |= Q(level=ScopeLevel.AREA, area_id=place.area.pk)
        if teams:
            q |= Q(level=ScopeLevel.TEAM, area_id=place.area.pk)
    return q


def holders(role: str, scope: Q) -> list[int]:
    """Ids of the active people holding ``role`` through an assignment matching ``scope``."""
    ids = RoleAssignment.objects.filter(scope, role=role, user__is_active=True).values_list(
        "user_id", flat=True
    )
    return sorted(set(ids))


def least_loaded(user_ids: Iterable[int]) -> User | None:
    """Of these people, the one with the fewest unfinished work orders (then the lowest id)."""
    ids = list(user_ids)
    if not ids:
        return None
    load = dict(
        WorkOrder.objects.filter(assignee_id__in=ids, state__in=ACTIVE_STATES)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    best = min(ids, key=lambda pk: (load.get(pk, 0), pk))
    return User.objects.get(pk=best)


def equipment_responsible(place: Place) -> Pick | None:
    eq = place.equipment
    if eq is None or eq.responsible_id is None:
        return None
    user = User.objects.filter(pk=eq.responsible_id, is_active=True).first()
    if user is None:
        return None
    return Pick(user, DispatchRule.EQUIPMENT_RESPONSIBLE, _("设备 %(code)s 的责任人") % {"code": eq.code})


def on_shift(place: Place) -> Pick | None:
    """The least loaded of the people on shift in the area's teams now."""
    if place.area is None:
        return None
    user = least_loaded(roster.on_shift(place.area, timezone.now()).values_list("pk", flat=True))
    if user is None:
        return None
    return Pick(user, DispatchRule.ON_SHIFT, _("%(area)s的当班人员") % {"area": place.area.name})


def team_leader(place: Place) -> Pick | None:
    if place.area is None:
        return None
    scope = Q(level=ScopeLevel.TEAM, area_id=place.area.pk)
    user = least_loaded(holders(Role.TEAM_LEADER, scope))
    if user is None:
        return None
    return Pick(user, DispatchRule.TEAM_LEADER, _("%(area)s的班组长") % {"area": place.area.name})


def area_manager_or_officer(place: Place) -> Pick | None:
    where = place.area.name if place.area is not None else place.site.name
    manager = least_loaded(holders(Role.AREA_MANAGER, covering(place, teams=False)))
    if manager is not None:
        return Pick(manager, DispatchRule.AREA_MANAGER, _("负责%(place)s的区域经理") % {"place": where})
    officer = least_loaded(holders(Role.SAFETY_OFFICER, covering(place, teams=True)))
    if officer is not None:
        return Pick(officer, DispatchRule.SAFETY_OFFICER, _("负责%(place)s的安全员") % {"place": where})
    return None


# The chain, in order.
RULES: tuple[Rule, ...] = (equipment_responsible, on_shift, team_leader, area_manager_or_officer)


def dispatch(place: Place, rules: Iterable[Rule] = RULES) -> Pick | None:
    """The first rule's pick; None when no rule finds anyone (a manager then assigns by hand)."""
    for rule in rules:
        pick = rule(place)
        if pick is not None:
            return pick
    return None


def place_of(*, site: Site, area: Area | None = None, equipment: Equipment | None = None) -> Place:
    return Place(site=site, area=area, equipment=equipment)


def describe(pick: Pick | None) -> dict[str, Any]:
    """The fields a pick sets on an order."""
    if pick is None:
        return {
            "assignee": None,
            "dispatch_rule": DispatchRule.NONE,
            "dispatch_basis": _("没有找到可派单的人员"),
        }
    return {"assignee": pick.user, "dispatch_rule": pick.rule, "dispatch_basis": pick.basis}
