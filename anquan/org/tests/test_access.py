"""Access: how a role held at a scope turns into what a user sees (filters) and may change (covers)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from anquan.conftest import PASSWORD, World, build_world
from anquan.org import selectors
from anquan.org import services as org
from anquan.org.access import Access, Paths, Place, place_of_area, place_of_site, place_of_team
from anquan.org.choices import Role
from anquan.org.models import Area, Site, User
from anquan.org.roles import ORG_VIEW, PEOPLE_MANAGE, PEOPLE_VIEW, PLANT_CHANGE, PLANT_VIEW
from anquan.plant import selectors as plant_selectors


@pytest.fixture
def w(db: Any) -> World:
    return build_world()


def fresh(user: User) -> User:
    """The user as a new request would load them (no cached access)."""
    return User.objects.get(pk=user.pk)


def equipment_codes(user: User) -> list[str]:
    return sorted(plant_selectors.equipment(user).values_list("code", flat=True))


def tag_codes(user: User) -> list[str]:
    return sorted(plant_selectors.tags(user).values_list("tag", flat=True))


def test_an_enterprise_grant_reaches_every_site_of_the_enterprise(w: World) -> None:
    ehs = w.user("ehs")

    assert equipment_codes(ehs) == ["P-201", "T-101", "T-901"]
    assert sorted(selectors.sites(ehs).values_list("code", flat=True)) == ["east", "west"]
    assert Access.of(ehs).covers(PEOPLE_VIEW, place_of_area(w.area_b1))
    assert Access.of(ehs).site_ids(PLANT_VIEW) == {w.site_a.pk, w.site_b.pk}


def test_a_site_grant_reaches_its_site_only(w: World) -> None:
    officer = w.user("officer_a")
    access = Access.of(officer)

    assert equipment_codes(officer) == ["P-201", "T-101"]
    assert tag_codes(officer) == ["PI-201", "TI-101"]
    assert sorted(selectors.areas(officer).values_list("code", flat=True)) == ["pump-house", "tank-farm"]
    assert access.covers(PLANT_VIEW, place_of_site(w.site_a))
    assert not access.covers(PLANT_VIEW, place_of_site(w.site_b))
    assert not access.covers(PLANT_VIEW, Place(enterprise_id=w.enterprise.pk))  # not the whole enterprise
    assert access.site_ids(PLANT_VIEW) == {w.site_a.pk}


def test_an_area_grant_reaches_its_area_and_not_the_site_as_a_whole(w: World) -> None:
    manager = w.user("manager_a1")
    access = Access.of(manager)

    assert equipment_codes(manager) == ["T-101"]
    assert [a.code for a in selectors.areas(manager)] == ["tank-farm"]
    assert sorted(p.username for p in selectors.people(manager)) == ["leader_a1", "manager_a1", "worker_a1"]
    assert access.covers(PLANT_VIEW, place_of_area(w.area_a1))
    assert access.covers(PLANT_VIEW, place_of_team(w.team_a1))
    assert not access.covers(PLANT_VIEW, place_of_area(w.area_a2))
    assert not access.covers(PLANT_VIEW, place_of_site(w.site_a))
    # A record reachable only through its site is not within an area grant.
    assert not Access.of(manager).filter(Site.objects.all(), PLANT_VIEW, Paths(site="pk")).exists()


def test_a_team_grant_sees_its_areas_equipment_and_its_own_teams_records(w: World) -> None:
    worker = w.user("worker_a1")
    access = Access.of(worker)
    other_team_same_area = org.create_team(None, area=w.area_a1, code="t3", name="罐区三班")

    assert equipment_codes(worker) == ["T-101"]  # equipment belongs to the area
    assert tag_codes(worker) == ["TI-101"]
    assert access.covers(PLANT_VIEW, place_of_area(w.area_a1))
    assert access.covers(ORG_VIEW, place_of_team(w.team_a1))
    assert not access.covers(ORG_VIEW, place_of_team(other_team_same_area))  # team records stay per team
    assert not access.covers(PLANT_VIEW, place_of_area(w.area_a2))
    assert access.site_ids(PLANT_VIEW) == {w.site_a.pk}


def test_several_grants_reach_the_union_of_their_scopes(w: World) -> None:
    worker = w.user("worker_a1")
    org.assign_role(None, user=worker, role=Role.WORKER, scope=w.team_b1)
    org.assign_role(None, user=worker, role=Role.TEAM_LEADER, scope=w.team_a1)
    worker = fresh(worker)
    access = Access.of(worker)

    assert equipment_codes(worker) == ["T-101", "T-901"]
    assert access.roles == {Role.WORKER, Role.TEAM_LEADER}
    assert access.site_ids(PLANT_VIEW) == {w.site_a.pk, w.site_b.pk}
    # PEOPLE_VIEW comes only with the team-leader grant, so only at team_a1.
    assert access.covers(PEOPLE_VIEW, place_of_team(w.team_a1))
    assert not access.covers(PEOPLE_VIEW, place_of_team(w.team_b1))
    assert sorted(p.username for p in selectors.people(worker)) == ["leader_a1", "worker_a1"]


def test_a_contractor_sees_the_organisation_but_not_the_plant(w: World) -> None:
    contractor = w.user("contractor_a")
    access = Access.of(contractor)

    assert access.can(ORG_VIEW)
    assert not access.can(PLANT_VIEW)
    assert equipment_codes(contractor) == []
    assert [s.code for s in selectors.sites(contractor)] == ["east"]
    with pytest.raises(PermissionDenied):
        access.require(PLANT_VIEW)
    with pytest.raises(PermissionDenied):
        access.require(PLANT_VIEW, place_of_site(w.site_a))


def test_a_superuser_reaches_everything_without_a_grant(w: World) -> None:
    root = w.user("root")
    access = Access.of(root)

    assert access.grants == []
    assert access.q(PLANT_CHANGE, Paths(site="area__site")) is None
    assert access.site_ids(PLANT_VIEW) is None
    assert equipment_codes(root) == ["P-201", "T-101", "T-901"]
    assert access.covers(PEOPLE_MANAGE, Place())
    access.require(PEOPLE_MANAGE, place_of_site(w.site_b))


def test_an_inactive_user_sees_nothing_even_as_a_superuser(w: World) -> None:
    org.update_user(None, w.user("ehs"), is_active=False)
    org.update_user(None, w.user("root"), is_active=False)
    ehs, root = fresh(w.user("ehs")), fresh(w.user("root"))

    for user in (ehs, root):
        access = Access.of(user)
        assert (access.grants, access.is_superuser, access.can(ORG_VIEW)) == ([], False, False)
        assert equipment_codes(user) == []
        assert not selectors.sites(user).exists()
        assert not selectors.people(user).exists()


def test_anonymous_and_role_less_users_see_nothing(w: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    nobody = org.create_user(None, username="nobody", password=PASSWORD)

    for user in (AnonymousUser(), nobody):
        assert not Access.of(user).can(ORG_VIEW)
        assert equipment_codes(user) == []  # type: ignore[arg-type]
        assert not selectors.areas(user).exists()
        assert Access.of(user).site_ids(ORG_VIEW) == set()


def test_a_new_role_takes_effect_on_the_same_user_object(w: World) -> None:
    worker = w.user("worker_a2")
    assert equipment_codes(worker) == ["P-201"]  # the access is now cached on the object

    org.assign_role(None, user=worker, role=Role.WORKER, scope=w.team_a1)

    assert equipment_codes(worker) == ["P-201", "T-101"]


def test_filter_without_a_lookup_for_the_grants_level_matches_nothing(w: World) -> None:
    manager = w.user("manager_a1")  # an area-level grant

    site_path_only = Access.of(manager).filter(Area.objects.all(), ORG_VIEW, Paths(site="site"))
    with_area_path = Access.of(manager).filter(Area.objects.all(), ORG_VIEW, Paths(site="site", area="pk"))
    no_paths = Access.of(w.user("ehs")).filter(Area.objects.all(), ORG_VIEW, Paths())

    assert list(site_path_only) == []
    assert [a.code for a in with_area_path] == ["tank-farm"]
    assert list(no_paths) == []
