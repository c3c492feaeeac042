"""Reads of the organisation, scoped to what the viewer may see (pages, API and exports)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anquan.org.access import Access, Paths
from anquan.org.models import ApiToken, Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.org.roles import ORG_VIEW, PEOPLE_VIEW

AREA_PATHS = Paths(site="site", area="pk")
TEAM_PATHS = Paths(site="area__site", area="area", team="pk")
USER_PATHS_BY_TEAM = Paths(team="team")
USER_PATHS_BY_ASSIGNMENT = Paths(
    enterprise="assignments__enterprise",
    site="assignments__site",
    area="assignments__area",
    team="assignments__team",
)


def sites(viewer: Any) -> QuerySet[Site]:
    """Sites in which the viewer sees anything of the organisation."""
    qs = Site.objects.select_related("enterprise")
    ids = Access.of(viewer).site_ids(ORG_VIEW)
    return qs if ids is None else qs.filter(pk__in=ids)


def enterprises(viewer: Any) -> QuerySet[Enterprise]:
    ids = Access.of(viewer).site_ids(ORG_VIEW)
    if ids is None:  # a superuser sees every enterprise, also one without sites yet
        return Enterprise.objects.all()
    return Enterprise.objects.filter(pk__in=sites(viewer).values("enterprise_id"))


def areas(viewer: Any) -> QuerySet[Area]:
    access = Access.of(viewer)
    # A site-level grant sees every area; an area- or team-level one sees its own area.
    return access.filter(Area.objects.select_related("site"), ORG_VIEW, AREA_PATHS)


def teams(viewer: Any) -> QuerySet[Team]:
    access = Access.of(viewer)
    return access.filter(
        Team.objects.select_related("area__site"), ORG_VIEW, Paths(site="area__site", area="area")
    )


def people(viewer: Any) -> QuerySet[User]:
    """Users the viewer may see: members of teams in scope and holders of roles in scope."""
    access = Access.of(viewer)
    qs = User.objects.select_related("team__area__site").prefetch_related("assignments")
    by_team = access.q(PEOPLE_VIEW, USER_PATHS_BY_TEAM)
    by_role = access.q(PEOPLE_VIEW, USER_PATHS_BY_ASSIGNMENT)
    if by_team is None or by_role is None:
        return qs
    return qs.filter(by_team | by_role).distinct()


def assignments(viewer: Any) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user__in=people(viewer)).select_related(
        "user", "enterprise", "site", "area", "team"
    )


def api_tokens(viewer: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=viewer, revoked_at__isnull=True)
