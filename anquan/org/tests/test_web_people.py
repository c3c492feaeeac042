"""The people and roles pages: what each viewer sees, what each actor may change, and form errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anquan.conftest import PASSWORD, World, client_for
from anquan.org import services
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import ApiToken, RoleAssignment, User
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def listed(response: Any) -> set[str]:
    return {p.username for p in response.context["page"].object_list}


SITE_A_PEOPLE = {
    "admin_a",
    "manager_a1",
    "officer_a",
    "leader_a1",
    "worker_a1",
    "worker_a2",
    "operator_a",
    "expert",
    "contractor_a",
}


# --- The list ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("admin_a", SITE_A_PEOPLE),
        ("admin_b", {"admin_b", "worker_b1"}),
        ("manager_a1", {"manager_a1", "leader_a1", "worker_a1"}),
        ("leader_a1", {"leader_a1", "worker_a1"}),
        ("ehs", SITE_A_PEOPLE | {"admin_b", "worker_b1", "ehs"}),
    ],
)
def test_people_list_shows_exactly_the_viewers_scope(world: World, viewer: str, expected: set[str]) -> None:
    response = world.client(viewer).get(reverse("org:people"))

    assert response.status_code == 200
    assert listed(response) == expected


def test_people_list_needs_people_view(world: World) -> None:
    response = world.client("worker_a1").get(reverse("org:people"))

    assert response.status_code == 403


def test_people_list_sends_anonymous_visitors_to_login(world: World) -> None:
    response = Client().get(reverse("org:people"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('org:people')}"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "员工甲"}, {"worker_a1"}),
        ({"q": "worker_a"}, {"worker_a1", "worker_a2"}),
        ({"role": Role.WORKER}, {"worker_a1", "worker_a2"}),
        ({"team": "team_a1"}, {"leader_a1", "worker_a1"}),
        ({"area": "area_a2"}, {"worker_a2"}),
        ({"site": "site_a", "role": Role.ADMINISTRATOR}, {"admin_a"}),
    ],
)
def test_people_list_filters(world: World, params: dict[str, str], expected: set[str]) -> None:
    objects = {"team_a1": world.team_a1, "area_a2": world.area_a2, "site_a": world.site_a}
    query = {k: (objects[v].pk if v in objects else v) for k, v in params.items()}

    response = world.client("admin_a").get(reverse("org:people"), query)

    assert response.status_code == 200
    assert listed(response) == expected


def test_people_list_searches_the_employee_number(world: World) -> None:
    services.update_user(None, world.user("worker_a2"), employee_no="E-2042")

    response = world.client("admin_a").get(reverse("org:people"), {"q": "2042"})

    assert listed(response) == {"worker_a2"}


def test_people_list_hides_deactivated_people_unless_asked(world: World) -> None:
    services.update_user(None, world.user("worker_a2"), is_active=False)
    client = world.client("admin_a")

    assert "worker_a2" not in listed(client.get(reverse("org:people")))
    assert listed(client.get(reverse("org:people"), {"status": "inactive"})) == {"worker_a2"}
    assert "worker_a2" in listed(client.get(reverse("org:people"), {"status": "all"}))


def test_people_list_rejects_a_site_outside_the_scope(world: World) -> None:
    response = world.client("admin_a").get(reverse("org:people"), {"site": world.site_b.pk})

    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert "worker_b1" not in listed(response)


def test_people_list_pages(world: World) -> None:
    for i in range(30):
        services.create_user(
            None, username=f"extra{i:02d}", password=None, name=f"临时工{i:02d}", team=world.team_b1
        )
    client = world.client("admin_b")

    first = client.get(reverse("org:people"))
    second = client.get(reverse("org:people"), {"page": 2})

    assert first.context["page"].paginator.count == 32
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 7
    assert listed(first) | listed(second) == {f"extra{i:02d}" for i in range(30)} | {"admin_b", "worker_b1"}


def test_people_list_answers_htmx_with_the_results_fragment(world: World) -> None:
    response = world.client("admin_a").get(
        reverse("org:people"), {"q": "员工"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="people-table"' in body
    assert listed(response) == {"worker_a1", "worker_a2"}


# --- Detail ------------------------------------------------------------------------------------
def test_person_detail_shows_roles_and_equipment_in_scope(world: World) -> None:
    response = world.client("admin_a").get(reverse("org:person", args=[world.user("leader_a1").pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert [r["assignment"].role for r in response.context["role_rows"]] == [Role.TEAM_LEADER]
    assert [e.code for e in response.context["equipment"]] == ["T-101"]
    assert "1号汽油储罐" in body


def test_person_detail_out_of_scope_is_not_found(world: World) -> None:
    response = world.client("admin_a").get(reverse("org:person", args=[world.user("worker_b1").pk]))

    assert response.status_code == 404


def test_person_detail_without_people_view_is_forbidden(world: World) -> None:
    response = world.client("worker_a1").get(reverse("org:person", args=[world.user("worker_a1").pk]))

    assert response.status_code == 403


def test_person_detail_offers_management_only_to_managers(world: World) -> None:
    worker = world.user("worker_a1")
    as_admin = world.client("admin_a").get(reverse("org:person", args=[worker.pk]))
    as_manager = world.client("manager_a1").get(reverse("org:person", args=[worker.pk]))

    assert as_admin.context["manages"] is True
    assert reverse("org:person_edit", args=[worker.pk]) in as_admin.content.decode()
    assert as_manager.context["manages"] is False
    assert as_manager.context["can_assign"] is False
    assert reverse("org:person_edit", args=[worker.pk]) not in as_manager.content.decode()


# --- Create ------------------------------------------------------------------------------------
def _create_form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "username": "new_worker",
        "name": "新员工",
        "employee_no": "E-1001",
        "phone": "13800000000",
        "email": "new@example.com",
        "company": "",
        "team": world.team_a1.pk,
        "preferred_language": "zh-hans",
        "role": Role.WORKER,
        "scope": f"team:{world.team_a1.pk}",
        "password1": "Safe-Passw0rd-2026",
        "password2": "Safe-Passw0rd-2026",
    }
    data.update(overrides)
    return data


def test_create_person_with_a_role(world: World) -> None:
    response = world.client("admin_a").post(reverse("org:person_create"), _create_form(world))

    person = User.objects.get(username="new_worker")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:person", args=[person.pk])
    assert (person.name, person.employee_no, person.team, person.email) == (
        "新员工",
        "E-1001",
        world.team_a1,
        "new@example.com",
    )
    assert person.check_password("Safe-Passw0rd-2026")
    assert list(person.assignments.values_list("role", "level", "team_id")) == [
        (Role.WORKER, ScopeLevel.TEAM, world.team_a1.pk)
    ]
    assert AuditEntry.objects.filter(model="org.user", object_id=str(person.pk), action="create").count() == 1


def test_create_form_offers_only_manageable_scopes(world: World) -> None:
    response = world.client("admin_a").get(reverse("org:person_create"))

    form = response.context["form"]
    values = {v for _group, options in form.fields["scope"].choices[1:] for v, _label in options}
    assert values == {
        f"site:{world.site_a.pk}",
        f"area:{world.area_a1.pk}",
        f"area:{world.area_a2.pk}",
        f"team:{world.team_a1.pk}",
        f"team:{world.team_a2.pk}",
    }
    assert set(form.fields["team"].queryset) == {world.team_a1, world.team_a2}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "worker_b1"}, "username"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"password2": "Another-Passw0rd"}, "password2"),
        ({"email": "not-an-email"}, "email"),
        ({"scope": "site:{site_b}"}, "scope"),
        ({"team": "{team_b1}"}, "team"),
        ({"role": "astronaut"}, "role"),
        ({"role": ""}, "role"),
        ({"scope": ""}, "scope"),
    ],
)
def test_create_person_form_errors_answer_400_and_create_nothing(
    world: World, overrides: dict[str, str], field: str
) -> None:
    values = {k: v.format(site_b=world.site_b.pk, team_b1=world.team_b1.pk) for k, v in overrides.items()}
    users_before = User.objects.count()

    response = world.client("admin_a").post(reverse("org:person_create"), _create_form(world, **values))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert User.objects.count() == users_before


def test_create_person_without_team_or_role_is_refused(world: World) -> None:
    response = world.client("admin_a").post(
        reverse("org:person_create"), _create_form(world, team="", role="", scope="")
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not User.objects.filter(username="new_worker").exists()


def test_create_person_needs_people_manage(world: World) -> None:
    users_before = User.objects.count()
    client = world.client("manager_a1")

    assert client.get(reverse("org:person_create")).status_code == 403
    assert client.post(reverse("org:person_create"), _create_form(world)).status_code == 403
    assert User.objects.count() == users_before


# --- Edit, deactivate, password ----------------------------------------------------------------
def _edit_form(person: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": person.name,
        "employee_no": person.employee_no,
        "phone": person.phone,
        "email": person.email,
        "company": person.company,
        "team": person.team_id or "",
        "preferred_language": person.preferred_language,
    }
    data.update(overrides)
    return data


def test_edit_person(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:person_edit", args=[worker.pk]),
        _edit_form(worker, name="员工甲（改）", team=world.team_a2.pk, preferred_language="en"),
    )

    worker.refresh_from_db()
    assert response.status_code == 302
    assert (worker.name, worker.team, worker.preferred_language) == ("员工甲（改）", world.team_a2, "en")


def test_edit_person_form_errors_answer_400_and_change_nothing(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:person_edit", args=[worker.pk]), _edit_form(worker, name="", team=world.team_b1.pk)
    )

    worker.refresh_from_db()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "team"}
    assert (worker.name, worker.team) == ("员工甲", world.team_a1)


@pytest.mark.parametrize(("actor", "status"), [("manager_a1", 403), ("admin_b", 404), ("worker_a2", 403)])
def test_edit_person_denied_changes_nothing(world: World, actor: str, status: int) -> None:
    worker = world.user("worker_a1")
    client = world.client(actor)

    assert client.get(reverse("org:person_edit", args=[worker.pk])).status_code == status
    response = client.post(reverse("org:person_edit", args=[worker.pk]), _edit_form(worker, name="篡改"))

    worker.refresh_from_db()
    assert response.status_code == status
    assert worker.name == "员工甲"


def test_deactivate_and_reactivate(world: World) -> None:
    worker = world.user("worker_a1")
    client = world.client("admin_a")
    url = reverse("org:person_set_active", args=[worker.pk])

    client.post(url, {"active": "0"})
    worker.refresh_from_db()
    assert worker.is_active is False

    client.post(url, {"active": "1"})
    worker.refresh_from_db()
    assert worker.is_active is True


def test_deactivating_oneself_is_refused(world: World) -> None:
    admin = world.user("admin_a")

    response = client_for(admin).post(reverse("org:person_set_active", args=[admin.pk]), {"active": "0"})

    admin.refresh_from_db()
    assert response.status_code == 302
    assert admin.is_active is True


@pytest.mark.parametrize(("actor", "status"), [("manager_a1", 403), ("admin_b", 404), ("leader_a1", 403)])
def test_deactivate_denied_changes_nothing(world: World, actor: str, status: int) -> None:
    worker = world.user("worker_a1")

    response = world.client(actor).post(reverse("org:person_set_active", args=[worker.pk]), {"active": "0"})

    worker.refresh_from_db()
    assert response.status_code == status
    assert worker.is_active is True


def test_reset_password(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:person_password", args=[worker.pk]),
        {"password1": "Brand-New-Passw0rd", "password2": "Brand-New-Passw0rd"},
    )

    worker.refresh_from_db()
    assert response.status_code == 302
    assert worker.check_password("Brand-New-Passw0rd")


@pytest.mark.parametrize(
    ("p1", "p2", "field"),
    [("12345678", "12345678", "password1"), ("Brand-New-Passw0rd", "Other-Passw0rd-1", "password2")],
)
def test_reset_password_errors_answer_400_and_keep_the_password(
    world: World, p1: str, p2: str, field: str
) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:person_password", args=[worker.pk]), {"password1": p1, "password2": p2}
    )

    worker.refresh_from_db()
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert worker.check_password(PASSWORD)


def test_reset_password_denied_keeps_the_password(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("manager_a1").post(
        reverse("org:person_password", args=[worker.pk]),
        {"password1": "Brand-New-Passw0rd", "password2": "Brand-New-Passw0rd"},
    )

    worker.refresh_from_db()
    assert response.status_code == 403
    assert worker.check_password(PASSWORD)


# --- Roles -------------------------------------------------------------------------------------
def test_assign_role(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:role_assign", args=[worker.pk]),
        {"role-role": Role.SAFETY_OFFICER, "role-scope": f"area:{world.area_a1.pk}"},
    )

    assert response.status_code == 302
    assert set(worker.assignments.values_list("role", "level", "area_id")) == {
        (Role.WORKER, ScopeLevel.TEAM, world.area_a1.pk),
        (Role.SAFETY_OFFICER, ScopeLevel.AREA, world.area_a1.pk),
    }


def test_assign_role_over_htmx_answers_the_panel(world: World) -> None:
    worker = world.user("worker_a1")

    response = world.client("admin_a").post(
        reverse("org:role_assign", args=[worker.pk]),
        {"role-role": Role.TEAM_LEADER, "role-scope": f"team:{world.team_a1.pk}"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="card" id="roles-panel">')
    assert "班组长" in body
    assert worker.assignments.filter(role=Role.TEAM_LEADER).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role-role": Role.WORKER, "role-scope": "team:{team_a1}"}, "role"),  # already held
        ({"role-role": Role.WORKER, "role-scope": "site:{site_b}"}, "scope"),  # out of scope
        ({"role-role": "", "role-scope": "team:{team_a1}"}, "role"),
        ({"role-role": Role.WORKER, "role-scope": "team:999999"}, "scope"),
    ],
)
def test_assign_role_errors_answer_400_and_change_nothing(
    world: World, data: dict[str, str], field: str
) -> None:
    worker = world.user("worker_a1")
    values = {k: v.format(team_a1=world.team_a1.pk, site_b=world.site_b.pk) for k, v in data.items()}
    before = RoleAssignment.objects.count()

    for headers in ({}, {"HX-Request": "true"}):
        response = world.client("admin_a").post(
            reverse("org:role_assign", args=[worker.pk]), values, headers=headers
        )
        assert response.status_code == 400
        assert field in response.context["role_form"].errors
    assert RoleAssignment.objects.count() == before


@pytest.mark.parametrize(("actor", "status"), [("manager_a1", 403), ("admin_b", 404)])
def test_assign_role_denied_changes_nothing(world: World, actor: str, status: int) -> None:
    worker = world.user("worker_a1")
    before = RoleAssignment.objects.count()

    response = world.client(actor).post(
        reverse("org:role_assign", args=[worker.pk]),
        {"role-role": Role.ADMINISTRATOR, "role-scope": f"site:{world.site_b.pk}"},
    )

    assert response.status_code == status
    assert RoleAssignment.objects.count() == before


def test_revoke_role(world: World) -> None:
    worker = world.user("worker_a1")
    assignment = worker.assignments.get()

    response = world.client("admin_a").post(reverse("org:role_revoke", args=[worker.pk, assignment.pk]))

    assert response.status_code == 302
    assert not worker.assignments.exists()


@pytest.mark.parametrize(("actor", "status"), [("manager_a1", 403), ("admin_b", 404), ("leader_a1", 403)])
def test_revoke_role_denied_changes_nothing(world: World, actor: str, status: int) -> None:
    worker = world.user("worker_a1")
    assignment = worker.assignments.get()

    response = world.client(actor).post(reverse("org:role_revoke", args=[worker.pk, assignment.pk]))

    assert response.status_code == status
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_revoke_role_of_another_person_is_not_found(world: World) -> None:
    other = world.user("worker_a2").assignments.get()

    response = world.client("admin_a").post(
        reverse("org:role_revoke", args=[world.user("worker_a1").pk, other.pk])
    )

    assert response.status_code == 404
    assert RoleAssignment.objects.filter(pk=other.pk).exists()


# --- Organisation structure ---------------------------------------------------------------------
def _structure(response: Any) -> dict[str, dict[str, list[str]]]:
    return {
        s["site"].name: {a["area"].name: [t["team"].name for t in a["teams"]] for a in s["areas"]}
        for node in response.context["tree"]
        for s in node["sites"]
    }


def test_structure_shows_the_viewers_scope(world: World) -> None:
    as_worker = world.client("worker_a1").get(reverse("org:structure"))
    as_admin_b = world.client("admin_b").get(reverse("org:structure"))
    as_ehs = world.client("ehs").get(reverse("org:structure"))

    assert _structure(as_worker) == {"东区储运园区": {"罐区": ["罐区一班"]}}
    assert _structure(as_admin_b) == {"西区储运园区": {"西罐区": ["西罐区一班"]}}
    assert _structure(as_ehs) == {
        "东区储运园区": {"泵房": ["泵房二班"], "罐区": ["罐区一班"]},
        "西区储运园区": {"西罐区": ["西罐区一班"]},
    }
    assert "西区" not in as_worker.content.decode()


def test_structure_counts_team_members_for_people_viewers(world: World) -> None:
    response = world.client("admin_a").get(reverse("org:structure"))

    counts = {
        t["team"].name: t["members"]
        for node in response.context["tree"]
        for s in node["sites"]
        for a in s["areas"]
        for t in a["teams"]
    }
    assert counts == {"罐区一班": 2, "泵房二班": 1}


def test_structure_hides_member_counts_without_people_view(world: World) -> None:
    response = world.client("worker_a1").get(reverse("org:structure"))

    assert response.context["show_members"] is False


# --- API tokens --------------------------------------------------------------------------------
def test_issue_token_shows_the_raw_value_once(world: World) -> None:
    worker = world.user("worker_a1")
    client = client_for(worker)

    response = client.post(reverse("org:tokens"), {"name": "网关", "expires_in_days": "30"})

    token = ApiToken.objects.get(user=worker)
    raw = response.context["raw_token"]
    assert response.status_code == 200
    assert raw in response.content.decode()
    assert ApiToken.hash(raw) == token.token_hash
    assert token.name == "网关"
    assert token.expires_at is not None
    assert raw not in client.get(reverse("org:tokens")).content.decode()
    assert services.authenticate_token(raw) == worker


def test_issue_token_without_name_answers_400(world: World) -> None:
    response = world.client("worker_a1").post(reverse("org:tokens"), {"name": "  ", "expires_in_days": ""})

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoke_own_token(world: World) -> None:
    worker = world.user("worker_a1")
    token, raw = services.issue_api_token(worker, user=worker, name="脚本")

    response = client_for(worker).post(reverse("org:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 302
    assert token.revoked_at is not None
    assert services.authenticate_token(raw) is None


def test_token_list_and_revoke_are_personal(world: World) -> None:
    owner = world.user("worker_a1")
    token, _raw = services.issue_api_token(owner, user=owner, name="脚本")
    admin = world.client("admin_a")

    assert token not in admin.get(reverse("org:tokens")).context["tokens"]
    response = admin.post(reverse("org:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None


# --- Navigation --------------------------------------------------------------------------------
def test_menu_lists_people_pages_by_capability(world: World) -> None:
    as_worker = world.client("worker_a1").get(reverse("home"))
    as_admin = world.client("admin_a").get(reverse("home"))

    worker_menu = [i["url_name"] for i in as_worker.context["nav_items"]]
    admin_menu = [i["url_name"] for i in as_admin.context["nav_items"]]
    assert "org:structure" in worker_menu
    assert "org:people" not in worker_menu
    assert admin_menu.index("org:structure") < admin_menu.index("org:people")
