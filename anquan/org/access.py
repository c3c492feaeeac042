"""Who may see and change what: the one place where role and scope turn into query filters.

Every selector (pages, API, exports) narrows its queryset with ``Access.filter``; every service
checks a write with ``Access.require``. A grant is a role held at a scope; a capability held
through several grants covers the union of their scopes. A team-level grant covers the team's own
records and, for records that belong to an area rather than a team, the team's area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from anquan.org.choices import ScopeLevel
from anquan.org.models import RoleAssignment
from anquan.org.roles import capabilities

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Grant:
    """A role at a scope; the ids of the scope and of its ancestors (None below the level)."""

    role: str
    level: str
    enterprise_id: int
    site_id: int | None
    area_id: int | None
    team_id: int | None


@dataclass(frozen=True)
class Place:
    """Where a record sits (any of these may be unknown/None)."""

    enterprise_id: int | None = None
    site_id: int | None = None
    area_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class Paths:
    """How to reach the enterprise/site/area/team from a model, as ORM lookups ('' = none)."""

    enterprise: str = ""
    site: str = ""
    area: str = ""
    team: str = ""


class Access:
    def __init__(self, user: Any, grants: list[Grant]):
        self.user = user
        self.grants = grants
        self.is_superuser = bool(getattr(user, "is_superuser", False) and user.is_active)

    @classmethod
    def of(cls, user: Any) -> Access:
        """The access of ``user``, cached on the user object for the request."""
        cached = getattr(user, "_anquan_access", None)
        if cached is not None:
            return cached
        grants: list[Grant] = []
        if user is not None and user.is_authenticated and user.is_active:
            rows = RoleAssignment.objects.filter(user=user).values_list(
                "role", "level", "enterprise_id", "site_id", "area_id", "team_id"
            )
            grants = [Grant(*row) for row in rows]
        access = cls(user, grants)
        if user is not None:
            user._anquan_access = access
        return access

    # --- what -------------------------------------------------------------------------------
    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def can(self, capability: str) -> bool:
        return self.is_superuser or any(capability in capabilities(g.role) for g in self.grants)

    def _grants(self, capability: str) -> list[Grant]:
        return [g for g in self.grants if capability in capabilities(g.role)]

    # --- where ------------------------------------------------------------------------------
    def q(self, capability: str, paths: Paths) -> Q | None:
        """A filter selecting the records ``capability`` reaches; None means "all of them"."""
        if self.is_superuser:
            return None
        result = Q(pk__in=[])
        for g in self._grants(capability):
            result |= _grant_q(g, paths)
        return result

    def filter(self, queryset: models.QuerySet[M], capability: str, paths: Paths) -> models.QuerySet[M]:
        q = self.q(capability, paths)
        return queryset if q is None else queryset.filter(q).distinct()

    def covers(self, capability: str, place: Place) -> bool:
        if self.is_superuser:
            return True
        return any(_grant_covers(g, place) for g in self._grants(capability))

    def require(self, capability: str, place: Place | None = None) -> None:
        """Raise PermissionDenied unless the capability reaches ``place`` (or anywhere, if None)."""
        allowed = self.can(capability) if place is None else self.covers(capability, place)
        if not allowed:
            raise PermissionDenied(_("您没有执行此操作的权限。"))

    def site_ids(self, capability: str) -> set[int] | None:
        """The sites in which the capability reaches anything (None: every site)."""
        if self.is_superuser:
            return None
        from anquan.org.models import Site

        ids: set[int] = set()
        for g in self._grants(capability):
            if g.site_id is None:
                ids |= set(Site.objects.filter(enterprise_id=g.enterprise_id).values_list("pk", flat=True))
            else:
                ids.add(g.site_id)
        return ids


def _first(*paths: str) -> str:
    return next((p for p in paths if p), "")


def _grant_q(g: Grant, p: Paths) -> Q:
    nothing = Q(pk__in=[])
    if g.level == ScopeLevel.ENTERPRISE:
        path = _first(
            p.enterprise,
            p.site and f"{p.site}__enterprise",
            p.area and f"{p.area}__site__enterprise",
            p.team and f"{p.team}__area__site__enterprise",
        )
        return Q(**{path: g.enterprise_id}) if path else nothing
    if g.level == ScopeLevel.SITE:
        path = _first(p.site, p.area and f"{p.area}__site", p.team and f"{p.team}__area__site")
        return Q(**{path: g.site_id}) if path else nothing
    if g.level == ScopeLevel.AREA:
        path = _first(p.area, p.team and f"{p.team}__area")
        return Q(**{path: g.area_id}) if path else nothing
    if p.team:
        return Q(**{p.team: g.team_id})
    return Q(**{p.area: g.area_id}) if p.area else nothing


def _grant_covers(g: Grant, place: Place) -> bool:
    if g.level == ScopeLevel.ENTERPRISE:
        return place.enterprise_id is not None and place.enterprise_id == g.enterprise_id
    if g.level == ScopeLevel.SITE:
        return place.site_id is not None and place.site_id == g.site_id
    if g.level == ScopeLevel.AREA:
        return place.area_id is not None and place.area_id == g.area_id
    if place.team_id is not None:
        return place.team_id == g.team_id
    return place.area_id is not None and place.area_id == g.area_id


def place_of_area(area: Any) -> Place:
    return Place(enterprise_id=area.site.enterprise_id, site_id=area.site_id, area_id=area.pk)


def place_of_site(site: Any) -> Place:
    return Place(enterprise_id=site.enterprise_id, site_id=site.pk)


def place_of_team(team: Any) -> Place:
    return Place(
        enterprise_id=team.area.site.enterprise_id,
        site_id=team.area.site_id,
        area_id=team.area_id,
        team_id=team.pk,
    )
