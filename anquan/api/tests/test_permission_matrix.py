"""The permission matrix: every operation of the API, called by every kind of caller.

Every operation registered on ``anquan.api.root.api`` must have an entry in MATRIX (a test fails
naming any that has none, and any entry whose operation is gone). Each entry is then walked twice,
once with a bearer token and once with a browser session (CSRF enforced), in a fresh world:

- anonymous                         -> 401
- wrong role (the capability nowhere) -> 403
- other scope (the capability, but not here) -> 404 on a record; absent from a list;
  400 with a field error when a request body names a record the caller cannot see
- a session write without the CSRF token -> 403
- right role                         -> the success status (and, for a write, a new audit entry)

Every denied call must leave the database exactly as it was: every row of every Anquan model,
the audit trail included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from anquan.api.root import api
from anquan.api.tests.conftest import as_user, state
from anquan.conftest import PASSWORD, World
from anquan.org import services as org
from anquan.org.models import RoleAssignment
from anquan.plant import services as plant
from anquan.platform.models import AuditEntry

API = "/api/v1"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Op:
    """How to exercise one operation.

    ``target`` builds (or picks) the record the path names, or that a list must show the right
    caller and hide from the other-scope callers. ``wrong``/``other`` are None only with ``why``.
    """

    right: str | None
    ok: int = 200
    wrong: str | None = None
    other: tuple[str, ...] = ()
    other_status: int = 404
    denied: tuple[tuple[str, int], ...] = ()  # further callers and the status each must get
    target: Callable[[World], Model] | None = None
    payload: Callable[[World], dict[str, Any]] | None = None
    public: bool = False  # no login needed (token issue): anonymous gets ``ok``
    audited: bool = True  # a successful write adds to the audit trail
    why: str = ""  # why there is no wrong-role or other-scope caller


def _unit(w: World) -> Model:
    return plant.create_unit(None, area=w.area_a1, code="u1", name="罐区装置")


def _spare_equipment(w: World) -> Model:
    return plant.create_equipment(None, area=w.area_a1, code="V-1", name="罐区切断阀", type="valve")


def _token(key: str) -> Callable[[World], Model]:
    def build(w: World) -> Model:
        token, _ = org.issue_api_token(None, user=w.user(key), name="旧笔记本")
        return token

    return build


def _assignment(key: str) -> Callable[[World], Model]:
    return lambda w: RoleAssignment.objects.get(user=w.user(key))


EVERYONE = "every signed-in user may use it for themselves; there is no role or scope to lack"

MATRIX: dict[tuple[str, str], Op] = {
    # --- auth ----------------------------------------------------------------------------------
    ("POST", "/auth/token"): Op(
        right="worker_a1",
        ok=201,
        public=True,
        payload=lambda w: {"username": "worker_a1", "password": PASSWORD, "name": "移动端"},
        why="the login itself: anonymous callers are exactly who it is for",
    ),
    ("GET", "/auth/me"): Op(right="worker_a1", why=EVERYONE),
    ("GET", "/auth/tokens"): Op(
        right="worker_a1", other=("worker_a2",), target=_token("worker_a1"), why=EVERYONE
    ),
    ("DELETE", "/auth/token/{token_id}"): Op(
        right="worker_a1", ok=204, other=("worker_a2", "admin_a"), target=_token("worker_a1"), why=EVERYONE
    ),
    # --- org: structure ------------------------------------------------------------------------
    ("GET", "/org/enterprises"): Op(
        right="worker_a1", wrong="nobody", other=("admin_x",), target=lambda w: w.enterprise
    ),
    ("GET", "/org/enterprises/{enterprise_id}"): Op(
        right="worker_a1", wrong="nobody", other=("admin_x",), target=lambda w: w.enterprise
    ),
    ("POST", "/org/enterprises"): Op(
        right="root",
        ok=201,
        wrong="admin_a",
        denied=(("admin_ent", 403), ("nobody", 403)),
        payload=lambda w: {"code": "gamma", "name": "伽马化工"},
        why="an enterprise has no scope above it: only a superuser creates one",
    ),
    ("GET", "/org/sites"): Op(
        right="worker_a1", wrong="nobody", other=("worker_b1",), target=lambda w: w.site_a
    ),
    ("GET", "/org/sites/{site_id}"): Op(
        right="worker_a1", wrong="nobody", other=("worker_b1", "admin_x"), target=lambda w: w.site_a
    ),
    ("POST", "/org/sites"): Op(
        right="admin_ent",
        ok=201,
        wrong="officer_a",
        other=("admin_x",),
        other_status=400,
        denied=(("admin_a", 403),),  # an administrator of one site cannot add sites to the enterprise
        payload=lambda w: {"enterprise_id": w.enterprise.pk, "code": "south", "name": "南区储运园区"},
    ),
    ("GET", "/org/areas"): Op(
        right="worker_a1", wrong="nobody", other=("worker_a2",), target=lambda w: w.area_a1
    ),
    ("GET", "/org/areas/{area_id}"): Op(
        right="worker_a1", wrong="nobody", other=("worker_a2", "admin_b"), target=lambda w: w.area_a1
    ),
    ("POST", "/org/areas"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {"site_id": w.site_a.pk, "code": "loading", "name": "装车区"},
    ),
    ("GET", "/org/teams"): Op(
        right="worker_a1", wrong="nobody", other=("worker_b1",), target=lambda w: w.team_a1
    ),
    ("GET", "/org/teams/{team_id}"): Op(
        right="worker_a1", wrong="nobody", other=("worker_b1", "admin_b"), target=lambda w: w.team_a1
    ),
    ("POST", "/org/teams"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {"area_id": w.area_a1.pk, "code": "t9", "name": "罐区九班"},
    ),
    # --- org: people and roles -----------------------------------------------------------------
    ("GET", "/org/people"): Op(
        right="officer_a", wrong="worker_a1", other=("admin_b",), target=lambda w: w.user("worker_a1")
    ),
    ("GET", "/org/people/{user_id}"): Op(
        right="leader_a1",
        wrong="worker_a2",
        other=("admin_b",),
        denied=(("contractor_a", 403),),
        target=lambda w: w.user("worker_a1"),
    ),
    ("POST", "/org/people"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {
            "username": "newbie",
            "password": "Xin-yuan-gong-2026",
            "name": "新员工",
            "team_id": w.team_a1.pk,
            "roles": [{"role": "worker", "scope": {"level": "team", "id": w.team_a1.pk}}],
        },
    ),
    ("PATCH", "/org/people/{user_id}"): Op(
        right="admin_a",
        wrong="officer_a",
        other=("admin_b",),
        target=lambda w: w.user("worker_a1"),
        payload=lambda w: {"name": "员工甲（调岗）", "phone": "13800000001"},
    ),
    ("POST", "/org/people/{user_id}/deactivate"): Op(
        right="admin_a", wrong="officer_a", other=("admin_b",), target=lambda w: w.user("worker_a1")
    ),
    ("GET", "/org/assignments"): Op(
        right="officer_a", wrong="worker_a1", other=("admin_b",), target=_assignment("worker_a1")
    ),
    ("POST", "/org/assignments"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {
            "user_id": w.user("worker_a1").pk,
            "role": "operator",
            "scope": {"level": "site", "id": w.site_a.pk},
        },
    ),
    ("DELETE", "/org/assignments/{assignment_id}"): Op(
        right="admin_a", ok=204, wrong="officer_a", other=("admin_b",), target=_assignment("worker_a1")
    ),
    # --- plant ---------------------------------------------------------------------------------
    ("GET", "/plant/units"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_unit
    ),
    ("GET", "/plant/units/{unit_id}"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_unit
    ),
    ("POST", "/plant/units"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {"area_id": w.area_a1.pk, "code": "u2", "name": "罐区二单元"},
    ),
    ("GET", "/plant/equipment"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.equipment["T-101"],
    ),
    ("GET", "/plant/equipment/{equipment_id}"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.equipment["T-101"],
    ),
    ("POST", "/plant/equipment"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {
            "area_id": w.area_a1.pk,
            "code": "T-102",
            "name": "2号汽油储罐",
            "type": "storage_tank",
        },
    ),
    ("PATCH", "/plant/equipment/{equipment_id}"): Op(
        right="admin_a",
        wrong="officer_a",
        other=("admin_b",),
        denied=(("worker_a1", 403),),
        target=lambda w: w.equipment["T-101"],
        payload=lambda w: {"name": "1号汽油储罐（检修）", "status": "maintenance"},
    ),
    ("DELETE", "/plant/equipment/{equipment_id}"): Op(
        right="admin_a", ok=204, wrong="officer_a", other=("admin_b",), target=_spare_equipment
    ),
    ("GET", "/plant/tags"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.tags["TI-101"],
    ),
    ("GET", "/plant/tags/{tag_id}"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.tags["TI-101"],
    ),
    ("POST", "/plant/tags"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {
            "equipment_id": w.equipment["T-101"].pk,
            "tag": "PI-101",
            "name": "1号罐压力",
            "kind": "pressure",
            "unit": "kPa",
            "range_low": "0",
            "range_high": "500",
            "h": "300",
        },
    ),
    ("PATCH", "/plant/tags/{tag_id}"): Op(
        right="admin_a",
        wrong="officer_a",
        other=("admin_b",),
        target=lambda w: w.tags["TI-101"],
        payload=lambda w: {"h": "45", "name": "1号罐温度（顶部）"},
    ),
    ("DELETE", "/plant/tags/{tag_id}"): Op(
        right="admin_a", ok=204, wrong="officer_a", other=("admin_b",), target=lambda w: w.tags["TI-101"]
    ),
    ("GET", "/plant/links"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=lambda w: w.links[0]
    ),
    ("GET", "/plant/links/{link_id}"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=lambda w: w.links[0]
    ),
    ("POST", "/plant/links"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        other_status=400,
        payload=lambda w: {
            "source_id": w.equipment["P-201"].pk,
            "target_id": w.equipment["T-101"].pk,
            "kind": "utility",
        },
    ),
    ("DELETE", "/plant/links/{link_id}"): Op(
        right="admin_a", ok=204, wrong="officer_a", other=("admin_b",), target=lambda w: w.links[0]
    ),
    ("GET", "/plant/sites/{site_id}/topology"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b",), target=lambda w: w.site_a
    ),
}


# --- discovery -------------------------------------------------------------------------------
def _normalise(path: str) -> str:
    """``/api/v1/x/{int:pk}/`` -> ``/x/{pk}``: the form MATRIX keys use."""
    path = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path)
    path = re.sub(r"/+", "/", path)
    return path.rstrip("/") or "/"


def registered_operations() -> set[tuple[str, str]]:
    """Every (method, path) on the API, read from the routers themselves (not the schema), so an
    operation hidden from the OpenAPI document cannot slip past the matrix."""
    found = set()
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.add((method.upper(), _normalise(f"/{bound.prefix}/{path}")))
    return found


def test_every_operation_of_the_api_is_in_the_matrix() -> None:
    registered = registered_operations()

    missing = sorted(registered - MATRIX.keys())
    stale = sorted(MATRIX.keys() - registered)

    assert not missing, "operations without a permission-matrix entry: " + ", ".join(
        f"{m} {p}" for m, p in missing
    )
    assert not stale, "matrix entries for operations that no longer exist: " + ", ".join(
        f"{m} {p}" for m, p in stale
    )


def test_every_matrix_entry_names_its_callers_or_says_why_not() -> None:
    for (method, path), op in MATRIX.items():
        assert op.public or op.right, f"{method} {path}: no right-role caller"
        assert op.wrong or op.why, f"{method} {path}: no wrong-role caller and no reason why"
        assert op.other or op.why, f"{method} {path}: no other-scope caller and no reason why"
        if "{" in path:
            assert op.target is not None, f"{method} {path}: a path parameter needs a target record"


# --- the walk --------------------------------------------------------------------------------
def _url(path: str, target: Model | None) -> str:
    if "{" in path:
        assert target is not None
        path = re.sub(r"\{\w+\}", str(target.pk), path)
    return API + path


def _ids(response: Any) -> list[Any]:
    return [item["id"] for item in response.json()["items"]]


def _is_list(method: str, path: str, op: Op) -> bool:
    """A collection read with a record to look for (a paginated list of ``{"items", "count"}``)."""
    return method == "GET" and "{" not in path and op.target is not None


@pytest.mark.parametrize("transport", ["bearer", "session"])
@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_permission_matrix(api_world: World, key: tuple[str, str], transport: str) -> None:
    method, path = key
    op = MATRIX[key]
    w = api_world
    target = op.target(w) if op.target else None
    url = _url(path, target)
    is_list = _is_list(method, path, op)
    if is_list:
        url += "?page_size=200"
    payload = op.payload(w) if op.payload else None
    clients = {
        k: as_user(w, k, transport) for k in {op.right, op.wrong, *op.other, *(d[0] for d in op.denied)} if k
    }
    anonymous = as_user(w, None)

    before = state()

    def unchanged(who: str) -> None:
        assert state() == before, f"{method} {path} as {who} was denied but changed the database"

    # anonymous
    if not op.public:
        r = anonymous.call(method, url, payload)
        assert r.status_code == 401, (r.status_code, r.content)
        assert r.json()["detail"]
        unchanged("anonymous")

    # wrong role: the capability nowhere
    if op.wrong:
        r = clients[op.wrong].call(method, url, payload)
        assert r.status_code == 403, (op.wrong, r.status_code, r.content)
        assert r.json()["detail"]
        unchanged(op.wrong)

    for who, status in op.denied:
        r = clients[who].call(method, url, payload)
        assert r.status_code == status, (who, r.status_code, r.content)
        unchanged(who)

    # other scope: the capability, but not over this record
    for who in op.other:
        r = clients[who].call(method, url, payload)
        if is_list:
            assert r.status_code == 200, (who, r.status_code, r.content)
            assert target is not None and target.pk not in _ids(r), f"{who} sees a record out of scope"
        else:
            assert r.status_code == op.other_status, (who, r.status_code, r.content)
            if op.other_status == 400:
                assert r.json()["errors"], r.content
        unchanged(who)

    # a session write without the CSRF token
    if transport == "session" and method in UNSAFE and not op.public:
        assert op.right is not None
        r = clients[op.right].call(method, url, payload, csrf=False)
        assert r.status_code == 403, (r.status_code, r.content)
        assert "CSRF" in r.json()["detail"]
        unchanged(f"{op.right} without CSRF token")

    # right role
    caller = anonymous if op.public else clients[op.right] if op.right else anonymous
    audit_before = AuditEntry.objects.count()
    r = caller.call(method, url, payload)
    assert r.status_code == op.ok, (op.right, r.status_code, r.content)
    if is_list:
        assert target is not None and target.pk in _ids(r)
    elif method == "GET" and target is not None:
        body = r.json()
        assert body.get("id", body.get("site_id")) == target.pk
    if method in UNSAFE:
        assert state() != before, f"{method} {path} succeeded but changed nothing"
        if op.audited:
            assert AuditEntry.objects.count() > audit_before


def test_right_role_writes_do_what_they_say(api_world: World) -> None:
    """A few of the matrix's successful writes, checked field by field."""
    w = api_world
    admin = as_user(w, "admin_a")

    r = admin.patch(f"{API}/plant/tags/{w.tags['TI-101'].pk}", {"h": "45"})
    w.tags["TI-101"].refresh_from_db()
    assert (r.status_code, r.json()["h"], w.tags["TI-101"].h) == (200, "45.0000", Decimal("45"))

    r = admin.post(f"{API}/org/people/{w.user('worker_a1').pk}/deactivate")
    w.user("worker_a1").refresh_from_db()
    assert (r.status_code, r.json()["is_active"], w.user("worker_a1").is_active) == (200, False, False)
