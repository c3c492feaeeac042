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

import io
import re
import socket
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone
from PIL import Image

from anquan.api.root import api
from anquan.api.tests.conftest import ApiClient, as_user, state
from anquan.api.tests.matrix import Op
from anquan.conftest import PASSWORD, World
from anquan.earlywarning import services as earlywarning
from anquan.earlywarning.models import AIAlert
from anquan.hazards.tests.permissions import OPERATIONS as hazard_operations
from anquan.inspections.tests.permissions import OPERATIONS as inspection_operations
from anquan.monitoring import services as monitoring
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.models import AlarmOccurrence, AlarmRule
from anquan.notifications import services as notify_services
from anquan.notifications.models import Channel
from anquan.org import services as org
from anquan.org.models import RoleAssignment
from anquan.plant import services as plant
from anquan.platform.attachments.services import store_upload
from anquan.platform.models import AuditEntry
from anquan.workorders.tests.permissions import OPERATIONS as workorder_operations

API = "/api/v1"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


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


# A TCP port on this machine that refuses connections (bound, never listening): a channel's test
# send fails there at once, deterministically, without any outside server.
_REFUSING = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_REFUSING.bind(("127.0.0.1", 0))
REFUSING_PORT = _REFUSING.getsockname()[1]


def _notification(key: str) -> Callable[[World], Model]:
    def build(w: World) -> Model:
        (note,) = notify_services.notify([w.user(key)], "system", "罐区交接班提醒", "请按时完成交接班记录。")
        return note

    return build


def _channel(w: World) -> Model:
    return notify_services.create_channel(
        None,
        site=w.site_a,
        kind="email",
        name="东区邮件",
        smtp_host="127.0.0.1",
        smtp_port=REFUSING_PORT,
        from_email="anquan@example.com",
    )


def _delivery(w: World) -> Model:
    channel = _channel(w)
    assert isinstance(channel, Channel)
    return notify_services.send_test_message(None, channel, to="ops@example.com")


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("铭牌.png", buffer.getvalue(), content_type="image/png")


def _attachment(w: World) -> Model:
    return store_upload(w.user("leader_a1"), w.equipment["T-101"], _png(), "1号罐铭牌")


def _limit_rule(w: World) -> Model:
    monitoring.sync_limit_rules(w.tags["TI-101"])
    return AlarmRule.objects.get(tag=w.tags["TI-101"], level="h")


def _alarm(w: World) -> Model:
    _limit_rule(w)
    AlarmProcessor().process([(w.tags["TI-101"].pk, 1_764_300_000_000, 45.0)])
    return AlarmOccurrence.objects.get(rule__tag=w.tags["TI-101"], rule__level="h")


def _open_alarm_ids(w: World) -> dict[str, Any]:
    return {"ids": list(AlarmOccurrence.objects.filter(cleared_at__isnull=True).values_list("pk", flat=True))}


def _shelved_rule(w: World) -> Model:
    rule = _limit_rule(w)
    monitoring.shelve(None, rule.pk, minutes=30, reason="校准")
    return rule


def _ai_alert(w: World) -> Model:
    unit = plant.create_unit(None, area=w.area_a1, code="ew", name="储罐预警单元")
    model = earlywarning.define_model(
        None, unit=unit, name="储罐单元预警", tags=[w.tags["TI-101"], w.tags["PI-201"]], detector="pca"
    )
    version = earlywarning.request_training(None, model)
    return earlywarning.raise_alert(
        version,
        at=timezone.now(),
        score=3.2,
        contributors=[{"tag": "TI-101", "share": 0.7}, {"tag": "PI-201", "share": 0.3}],
        heatmap={"tags": ["PI-201", "TI-101"], "times": [], "values": [[], []]},
        path=[],
        forecasts=[],
    )


def _ai_model(w: World) -> Model:
    alert = _ai_alert(w)
    assert isinstance(alert, AIAlert)
    return alert.model


def _tank_owner(w: World) -> dict[str, Any]:
    return {"owner_type": "plant.equipment", "owner_id": w.equipment["T-101"].pk}


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
    # --- notifications: my own inbox and preferences --------------------------------------------
    ("GET", "/notifications/inbox"): Op(
        right="worker_a1", other=("worker_a2", "admin_a"), target=_notification("worker_a1"), why=EVERYONE
    ),
    ("GET", "/notifications/unread-count"): Op(right="worker_a1", why=EVERYONE),
    ("POST", "/notifications/read-all"): Op(
        right="worker_a1",
        other=("worker_a2",),  # marks only their own: someone else's stay unread
        other_status=200,
        target=_notification("worker_a1"),
        audited=False,  # reading a message is not a business change
        why=EVERYONE,
    ),
    ("POST", "/notifications/{notification_id}/read"): Op(
        right="worker_a1",
        other=("worker_a2", "admin_a"),
        target=_notification("worker_a1"),
        audited=False,
        why=EVERYONE,
    ),
    ("GET", "/notifications/preferences"): Op(right="worker_a1", why=EVERYONE),
    ("PUT", "/notifications/preferences"): Op(
        right="worker_a1",
        payload=lambda w: {"preferences": [{"category": "equipment", "medium": "email", "enabled": True}]},
        why=EVERYONE,
    ),
    # --- notifications: channels and the delivery log (notifications.manage) --------------------
    ("GET", "/notifications/channels"): Op(
        right="admin_a", wrong="officer_a", other=("admin_b",), target=_channel
    ),
    ("POST", "/notifications/channels"): Op(
        right="admin_a",
        ok=201,
        wrong="officer_a",
        other=("admin_b",),
        payload=lambda w: {
            "site_id": w.site_a.pk,
            "kind": "email",
            "name": "东区值班邮箱",
            "smtp_host": "127.0.0.1",
        },
    ),
    ("GET", "/notifications/channels/{channel_id}"): Op(
        right="admin_a", wrong="officer_a", other=("admin_b",), target=_channel
    ),
    ("PATCH", "/notifications/channels/{channel_id}"): Op(
        right="admin_a",
        wrong="officer_a",
        other=("admin_b",),
        target=_channel,
        payload=lambda w: {"name": "东区邮件（备用）", "enabled": False},
    ),
    ("DELETE", "/notifications/channels/{channel_id}"): Op(
        right="admin_a", ok=204, wrong="officer_a", other=("admin_b",), target=_channel
    ),
    ("POST", "/notifications/channels/{channel_id}/test"): Op(
        right="admin_a",
        wrong="officer_a",
        other=("admin_b",),
        target=_channel,
        payload=lambda w: {"to": "ops@example.com"},
    ),
    ("GET", "/notifications/deliveries"): Op(
        right="admin_a", wrong="officer_a", other=("admin_b",), target=_delivery
    ),
    # --- attachments: they follow their owner (here equipment T-101 in area_a1) -----------------
    ("GET", "/attachments/"): Op(
        right="worker_a1",
        other=("admin_b", "worker_a2"),
        other_status=404,
        other_filtered=False,  # the list is of one owner: an owner the caller cannot see is a 404
        denied=(("contractor_a", 404),),
        target=_attachment,
        query=_tank_owner,
        why="an attachment is seen by whoever sees its owner: a caller who cannot see it gets 404",
    ),
    ("POST", "/attachments/"): Op(
        right="leader_a1",
        ok=201,
        wrong="worker_a1",  # sees the tank, may not attach to it
        other=("admin_b", "worker_a2"),
        denied=(("contractor_a", 404),),
        payload=lambda w: {**_tank_owner(w), "file": _png(), "description": "罐顶照片"},
        multipart=True,
    ),
    ("GET", "/attachments/{attachment_id}"): Op(
        right="worker_a1",
        other=("admin_b", "worker_a2"),
        denied=(("contractor_a", 404),),
        target=_attachment,
        why="an attachment is seen by whoever sees its owner: a caller who cannot see it gets 404",
    ),
    ("GET", "/attachments/{attachment_id}/download"): Op(
        right="worker_a1",
        other=("admin_b", "worker_a2"),
        denied=(("contractor_a", 404),),
        target=_attachment,
        returns_json=False,
        why="an attachment is seen by whoever sees its owner: a caller who cannot see it gets 404",
    ),
    ("GET", "/attachments/{attachment_id}/thumbnail"): Op(
        right="worker_a1",
        other=("admin_b", "worker_a2"),
        denied=(("contractor_a", 404),),
        target=_attachment,
        returns_json=False,
        why="an attachment is seen by whoever sees its owner: a caller who cannot see it gets 404",
    ),
    ("DELETE", "/attachments/{attachment_id}"): Op(
        right="leader_a1",
        ok=204,
        wrong="worker_a1",
        other=("admin_b", "worker_a2"),
        denied=(("contractor_a", 404),),
        target=_attachment,
    ),
    # --- monitoring: alarms, shelving, trends, live values -------------------------------------
    # Acknowledging and shelving write the alarm journal (who, when, why), not the audit trail.
    ("GET", "/monitoring/alarms"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_alarm
    ),
    ("POST", "/monitoring/alarms/ack"): Op(
        right="leader_a1",
        wrong="worker_a1",
        other=("admin_b",),
        other_status=400,
        target=_alarm,
        payload=_open_alarm_ids,
        audited=False,
    ),
    ("POST", "/monitoring/rules/{rule_id}/shelve"): Op(
        right="operator_a",
        wrong="worker_a1",
        other=("admin_b",),
        target=_limit_rule,
        payload=lambda w: {"minutes": 30, "reason": "更换变送器"},
        audited=False,
    ),
    ("POST", "/monitoring/rules/{rule_id}/unshelve"): Op(
        right="operator_a", wrong="worker_a1", other=("admin_b",), target=_shelved_rule, audited=False
    ),
    ("GET", "/monitoring/tags/{tag_id}/trend"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.tags["TI-101"],
    ),
    ("GET", "/monitoring/live"): Op(
        right="worker_a1",
        wrong="contractor_a",
        other=("admin_b", "worker_a2"),
        target=lambda w: w.tags["TI-101"],
    ),
    # --- early warning: AI alerts and their review, models -------------------------------------
    ("GET", "/earlywarning/alerts"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_ai_alert
    ),
    ("GET", "/earlywarning/alerts/{alert_id}"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_ai_alert
    ),
    ("POST", "/earlywarning/alerts/{alert_id}/confirm"): Op(
        right="expert", wrong="operator_a", other=("admin_b",), target=_ai_alert, payload=lambda w: {}
    ),
    ("POST", "/earlywarning/alerts/{alert_id}/reject"): Op(
        right="expert",
        wrong="operator_a",
        other=("admin_b",),
        target=_ai_alert,
        payload=lambda w: {"reason": "装车作业引起的正常波动"},
    ),
    ("GET", "/earlywarning/models"): Op(
        right="worker_a1", wrong="contractor_a", other=("admin_b", "worker_a2"), target=_ai_model
    ),
}

# Each later domain keeps its entries beside its tests (``<domain>/tests/permissions.py``).
MATRIX.update(hazard_operations)
MATRIX.update(workorder_operations)
MATRIX.update(inspection_operations)

# Operations a person never calls: gateways authenticate with their connector's key, not a login
# (every refusal is tested in anquan/streaming/tests/test_ingest_api.py).
GATEWAY_OPERATIONS = {("POST", "/ingest")}


# --- discovery -------------------------------------------------------------------------------
def _normalise(path: str) -> str:
    """``/x//{int:pk}/`` -> ``/x/{pk}/``: the form MATRIX keys use (a trailing slash is kept: it is
    part of the address)."""
    path = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path)
    return re.sub(r"/+", "/", path)


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
    registered = registered_operations() - GATEWAY_OPERATIONS

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
def _url(path: str, target: Model | None, query: dict[str, Any]) -> str:
    if "{" in path:
        assert target is not None
        path = re.sub(r"\{\w+\}", str(target.pk), path)
    return API + path + ("?" + urlencode(query) if query else "")


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
    is_list = _is_list(method, path, op)
    query = {**(op.query(w) if op.query else {}), **({"page_size": 200} if is_list else {})}
    url = _url(path, target, query)
    callers = {op.right, op.wrong, *op.other, *(d[0] for d in op.denied)}
    clients = {k: as_user(w, k, transport) for k in callers if k}
    anonymous = as_user(w, None)

    def call(client: ApiClient, csrf: bool = True) -> Any:
        payload = op.payload(w) if op.payload else None
        return client.call(method, url, payload, csrf=csrf, multipart=op.multipart)

    before = state()

    def unchanged(who: str) -> None:
        assert state() == before, f"{method} {path} as {who} was denied but changed the database"

    # anonymous
    if not op.public:
        r = call(anonymous)
        assert r.status_code == 401, (r.status_code, r.content)
        assert r.json()["detail"]
        unchanged("anonymous")

    # wrong role: the capability nowhere
    if op.wrong:
        r = call(clients[op.wrong])
        assert r.status_code == 403, (op.wrong, r.status_code, r.content)
        assert r.json()["detail"]
        unchanged(op.wrong)

    for who, status in op.denied:
        r = call(clients[who])
        assert r.status_code == status, (who, r.status_code, r.content)
        unchanged(who)

    # other scope: the capability, but not over this record
    for who in op.other:
        r = call(clients[who])
        if is_list and op.other_filtered:
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
        r = call(clients[op.right], csrf=False)
        assert r.status_code == 403, (r.status_code, r.content)
        assert "CSRF" in r.json()["detail"]
        unchanged(f"{op.right} without CSRF token")

    # right role
    caller = anonymous if op.public else clients[op.right] if op.right else anonymous
    audit_before = AuditEntry.objects.count()
    r = call(caller)
    assert r.status_code == op.ok, (op.right, r.status_code, r.content)
    if not op.returns_json:
        assert b"".join(r.streaming_content if r.streaming else [r.content])
    elif is_list:
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
