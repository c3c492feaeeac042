"""The organisation API: what each list shows, its filters and pages, and what the writes do."""

from __future__ import annotations

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.org import services as org
from anquan.org.models import RoleAssignment, User
from anquan.platform import audit
from anquan.platform.models import AuditEntry

API = "/api/v1/org"


def names(response: object, key: str = "username") -> list[str]:
    return [item[key] for item in response.json()["items"]]  # type: ignore[attr-defined]


def test_the_structure_lists_follow_the_callers_scope(api_world: World) -> None:
    worker = as_user(api_world, "worker_a1")
    ehs = as_user(api_world, "ehs")

    assert names(worker.get(f"{API}/sites"), "code") == ["east"]
    assert names(worker.get(f"{API}/areas"), "code") == ["tank-farm"]
    assert names(ehs.get(f"{API}/sites"), "code") == ["east", "west"]
    assert names(ehs.get(f"{API}/areas?site={api_world.site_a.pk}"), "code") == ["pump-house", "tank-farm"]
    assert names(ehs.get(f"{API}/teams?area={api_world.area_b1.pk}"), "name") == ["西罐区一班"]
    assert names(ehs.get(f"{API}/sites?q=西区"), "code") == ["west"]
    assert names(as_user(api_world, "root").get(f"{API}/enterprises"), "code") == ["acme", "beta"]


def test_people_filters_by_site_area_team_role_text_and_state(api_world: World) -> None:
    ehs = as_user(api_world, "ehs")
    w = api_world
    org.update_user(None, w.user("worker_a2"), is_active=False)

    by_team = ehs.get(f"{API}/people?team={w.team_a1.pk}")
    by_area = ehs.get(f"{API}/people?area={w.area_a2.pk}")
    by_site = ehs.get(f"{API}/people?site={w.site_b.pk}")
    by_role = ehs.get(f"{API}/people?role=team_leader")
    by_text = ehs.get(f"{API}/people?q=员工")
    inactive = ehs.get(f"{API}/people?active=false")

    assert names(by_team) == ["leader_a1", "worker_a1"]
    assert names(by_area) == ["worker_a2"]
    assert names(by_site) == ["admin_b", "worker_b1"]
    assert names(by_role) == ["leader_a1"]
    assert names(by_text) == ["worker_a1", "worker_a2", "worker_b1"]
    assert names(inactive) == ["worker_a2"]


def test_people_pages(api_world: World) -> None:
    ehs = as_user(api_world, "ehs")

    first = ehs.get(f"{API}/people?page_size=5").json()
    third = ehs.get(f"{API}/people?page_size=5&page=3").json()
    everyone = ehs.get(f"{API}/people?page_size=500").json()

    assert first["count"] == third["count"] == everyone["count"] == len(everyone["items"])
    assert len(first["items"]) == 5
    assert [p["username"] for p in first["items"]] == [p["username"] for p in everyone["items"][:5]]
    assert [p["username"] for p in third["items"]] == [p["username"] for p in everyone["items"][10:15]]


def test_a_person_is_created_with_roles_in_one_call_and_audited(api_world: World) -> None:
    w = api_world
    admin = as_user(w, "admin_a")
    audit_before = AuditEntry.objects.count()

    r = admin.post(
        f"{API}/people",
        {
            "username": "wang.wu",
            "password": "Wang-wu-2026-anquan",
            "name": "王五",
            "email": "wangwu@example.com",
            "team_id": w.team_a2.pk,
            "roles": [
                {"role": "worker", "scope": {"level": "team", "id": w.team_a2.pk}},
                {"role": "operator", "scope": {"level": "site", "id": w.site_a.pk}},
            ],
        },
    )

    assert r.status_code == 201, r.content
    body = r.json()
    user = User.objects.get(username="wang.wu")
    assert (body["id"], body["name"], body["team_id"], body["is_active"]) == (
        user.pk,
        "王五",
        w.team_a2.pk,
        True,
    )
    assert sorted((a["role"], a["level"]) for a in body["roles"]) == [
        ("operator", "site"),
        ("worker", "team"),
    ]
    assert user.check_password("Wang-wu-2026-anquan")
    assert "password" not in body
    entries = AuditEntry.objects.filter(seq__gt=audit_before).order_by("seq")
    assert [(e.action, e.model, e.actor_id) for e in entries] == [
        ("create", "org.user", w.user("admin_a").pk),
        ("create", "org.roleassignment", w.user("admin_a").pk),
        ("create", "org.roleassignment", w.user("admin_a").pk),
    ]
    assert entries[0].changes["password"] == "***"


def test_updating_a_person_changes_only_what_was_sent(api_world: World) -> None:
    w = api_world
    person = w.user("worker_a1")
    before = audit.snapshot(person)

    r = as_user(w, "admin_a").patch(
        f"{API}/people/{person.pk}", {"phone": "13900000000", "team_id": w.team_a2.pk}
    )

    person.refresh_from_db()
    assert (r.status_code, r.json()["phone"], r.json()["team_id"]) == (200, "13900000000", w.team_a2.pk)
    assert audit.diff(before, audit.snapshot(person)) == {
        "phone": ["", "13900000000"],
        "team": [w.team_a1.pk, w.team_a2.pk],
    }


def test_a_person_cannot_be_moved_into_a_team_out_of_scope(api_world: World) -> None:
    w = api_world
    r = as_user(w, "admin_a").patch(f"{API}/people/{w.user('worker_a1').pk}", {"team_id": w.team_b1.pk})

    assert (r.status_code, r.json()["errors"]) == (400, {"team_id": ["未找到该记录，或您无权访问。"]})
    assert User.objects.get(username="worker_a1").team == w.team_a1


def test_a_deactivated_persons_tokens_stop_working(api_world: World) -> None:
    w = api_world
    worker = as_user(w, "worker_a1")
    assert worker.get("/api/v1/auth/me").status_code == 200

    r = as_user(w, "admin_a").post(f"{API}/people/{w.user('worker_a1').pk}/deactivate")

    assert (r.status_code, r.json()["is_active"]) == (200, False)
    assert worker.get("/api/v1/auth/me").status_code == 401


def test_roles_are_assigned_listed_and_revoked(api_world: World) -> None:
    w = api_world
    admin = as_user(w, "admin_a")
    worker = w.user("worker_a1")

    created = admin.post(
        f"{API}/assignments",
        {"user_id": worker.pk, "role": "safety_officer", "scope": {"level": "area", "id": w.area_a1.pk}},
    )
    duplicate = admin.post(
        f"{API}/assignments",
        {"user_id": worker.pk, "role": "safety_officer", "scope": {"level": "area", "id": w.area_a1.pk}},
    )
    listed = admin.get(f"{API}/assignments?user={worker.pk}")

    assert created.status_code == 201
    assert (created.json()["role"], created.json()["scope_name"], created.json()["area_id"]) == (
        "safety_officer",
        "罐区",
        w.area_a1.pk,
    )
    assert (duplicate.status_code, duplicate.json()["errors"]) == (
        400,
        {"role": ["该用户在此范围内已有这个角色。"]},
    )
    assert sorted(a["role"] for a in listed.json()["items"]) == ["safety_officer", "worker"]

    revoked = admin.delete(f"{API}/assignments/{created.json()['id']}")

    assert revoked.status_code == 204
    assert list(RoleAssignment.objects.filter(user=worker).values_list("role", flat=True)) == ["worker"]


def test_structure_is_created_in_scope(api_world: World) -> None:
    w = api_world
    site = as_user(w, "admin_ent").post(
        f"{API}/sites",
        {"enterprise_id": w.enterprise.pk, "code": "south", "name": "南区", "latitude": "31.230416"},
    )
    area = as_user(w, "admin_a").post(
        f"{API}/areas",
        {
            "site_id": w.site_a.pk,
            "code": "loading",
            "name": "装车区",
            "map_polygon": [[0, 0], [10, 0], [10, 10]],
        },
    )
    bad_polygon = as_user(w, "admin_a").post(
        f"{API}/areas",
        {"site_id": w.site_a.pk, "code": "far", "name": "远处", "map_polygon": [[0, 0], [9999, 0], [1, 1]]},
    )
    team = as_user(w, "admin_a").post(
        f"{API}/teams", {"area_id": area.json()["id"], "code": "z1", "name": "装车一班"}
    )

    assert (site.status_code, site.json()["latitude"]) == (201, "31.230416")
    assert (area.status_code, area.json()["map_polygon"]) == (201, [[0, 0], [10, 0], [10, 10]])
    assert (bad_polygon.status_code, bad_polygon.json()["errors"]) == (
        400,
        {"map_polygon": ["轮廓点超出了场所平面图的范围。"]},
    )
    assert (team.status_code, team.json()["site_id"]) == (201, w.site_a.pk)
