"""Reads of work orders, scoped to the viewer.

A viewer sees the orders ``workorders.view`` reaches (by site and area), and always the ones
assigned to them, created by them or that they watch — whatever their role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from anquan.org.access import Access, Paths
from anquan.org.models import User
from anquan.org.roles import WORKORDER_VIEW
from anquan.workorders import sla
from anquan.workorders.choices import ACTIVE_STATES, State
from anquan.workorders.models import WorkOrder, WorkOrderStep

PATHS = Paths(site="site", area="area")


def _own(viewer: Any) -> Q:
    watched = WorkOrder.watchers.through.objects.filter(user_id=viewer.pk).values("workorder_id")
    return Q(assignee_id=viewer.pk) | Q(created_by_id=viewer.pk) | Q(pk__in=watched)


def work_orders(viewer: Any) -> QuerySet[WorkOrder]:
    """Every order ``viewer`` may see (none for anonymous or inactive users)."""
    qs = WorkOrder.objects.select_related("site", "area", "equipment", "assignee", "created_by")
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    scope = Access.of(viewer).q(WORKORDER_VIEW, PATHS)
    if scope is None:  # a superuser
        return qs
    return qs.filter(scope | _own(viewer))


def of_origin(viewer: Any, origin_kind: str, origin_id: int) -> QuerySet[WorkOrder]:
    """The orders opened from one origin record (e.g. an alarm's page listing its orders), as far
    as ``viewer`` sees them; oldest first."""
    return (
        work_orders(viewer).filter(origin_kind=origin_kind, origin_id=origin_id).order_by("created_at", "pk")
    )


def mine(viewer: Any) -> QuerySet[WorkOrder]:
    """The orders assigned to ``viewer``."""
    return work_orders(viewer).filter(assignee_id=viewer.pk)


@dataclass(frozen=True)
class Filters:
    state: str | None = None  # a State, or "active" for the unfinished ones
    priority: str | None = None
    mine: bool = False
    overdue: bool = False
    site_id: int | None = None


def filtered(viewer: Any, filters: Filters, now: dt.datetime | None = None) -> QuerySet[WorkOrder]:
    qs = work_orders(viewer)
    if filters.state == "active":
        qs = qs.filter(state__in=ACTIVE_STATES)
    elif filters.state:
        qs = qs.filter(state=filters.state)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.mine:
        qs = qs.filter(assignee_id=viewer.pk)
    if filters.overdue:
        qs = qs.filter(sla.overdue_q(now or timezone.now()))
    if filters.site_id:
        qs = qs.filter(site_id=filters.site_id)
    return qs


def worklist(qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """Unfinished first (the nearest deadline first), then the rest, newest first."""
    rank = Case(
        When(state__in=ACTIVE_STATES, then=Value(0)),
        When(state=State.DONE, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "due_at", "-created_at", "-pk")


@dataclass(frozen=True)
class Counts:
    open: int
    accepted: int
    in_progress: int
    done: int
    overdue: int
    mine_active: int

    @property
    def active(self) -> int:
        return self.open + self.accepted + self.in_progress


def counts(viewer: Any, now: dt.datetime | None = None) -> Counts:
    """What a dashboard shows: the viewer's orders by state, the overdue ones, their own to do."""
    now = now or timezone.now()
    qs = work_orders(viewer)
    by_state = dict(qs.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return Counts(
        open=by_state.get(State.OPEN, 0),
        accepted=by_state.get(State.ACCEPTED, 0),
        in_progress=by_state.get(State.IN_PROGRESS, 0),
        done=by_state.get(State.DONE, 0),
        overdue=qs.filter(sla.overdue_q(now)).count(),
        mine_active=qs.filter(assignee_id=viewer.pk, state__in=ACTIVE_STATES).count(),
    )


def steps(order: WorkOrder) -> QuerySet[WorkOrderStep]:
    return order.steps.select_related("actor", "assignee").order_by("at", "pk")


def assignable(sites: Any) -> QuerySet[User]:
    """Active people who may be given orders in ``sites`` (a queryset or list of sites): those
    holding a role at the site or enterprise-wide over it."""
    site_list = list(sites)
    if not site_list:
        return User.objects.none()
    enterprises = {s.enterprise_id for s in site_list}
    ids = [s.pk for s in site_list]
    of_sites = Q(assignments__site_id__in=ids) | Q(
        assignments__level="enterprise", assignments__enterprise_id__in=enterprises
    )
    return User.objects.filter(of_sites, is_active=True).distinct().order_by("username")
