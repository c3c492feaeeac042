"""The workorders operations' entries of the API permission matrix (anquan/api/tests/test_permission_matrix.py).

The target order is opened by the system from an alarm on T-101 (area 罐区 of site east) and
dispatched to T-101's responsible person, leader_a1. Anyone may be an assignee, so the assignee's
steps have no role to lack: a caller who sees the order but is not its assignee (operator_a) gets
403, one who cannot see it 404. The manager's steps need workorders.manage (worker_a1 has it
nowhere: 403; admin_b has it in the other site: 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from anquan.api.tests.matrix import Op
from anquan.conftest import World
from anquan.workorders import roster
from anquan.workorders.models import Shift
from anquan.workorders.tests.helpers import accepted, done, in_progress, png, tank_order

ASSIGNEE = "every signed-in person may be given work orders: a non-assignee who sees the order gets 403"
EVERYONE = "every signed-in person lists and reads the orders they see (their own at least)"


def _tomorrow_8() -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=timezone.get_current_timezone())


def _shift(w: World) -> Shift:
    """worker_a1 on 罐区一班's day shift tomorrow, planned by their team leader."""
    start = _tomorrow_8()
    return roster.plan_shift(
        w.user("leader_a1"), team=w.team_a1, user=w.user("worker_a1"), starts_at=start,
        ends_at=start + dt.timedelta(hours=12),
    )  # fmt: skip


def _shift_body(w: World) -> dict[str, Any]:
    start = _tomorrow_8() + dt.timedelta(days=1)
    return {
        "team_id": w.team_a1.pk,
        "user_id": w.user("worker_a1").pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=12)).isoformat(),
    }


def _pattern_body(w: World) -> dict[str, Any]:
    first = timezone.localdate() + dt.timedelta(days=1)
    return {
        "team_id": w.team_a1.pk,
        "people_ids": [w.user("worker_a1").pk, w.user("leader_a1").pk],
        "start_time": "20:00",
        "hours": 12,
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "first_day": first.isoformat(),
        "last_day": (first + dt.timedelta(days=6)).isoformat(),
    }


OPERATIONS: dict[tuple[str, str], Op] = {
    # The roster (排班): workorders.manage reaching the team, as on the roster page. worker_a1 holds
    # it nowhere (403); admin_b holds it only in the other site (the team in a body: 400; the shift
    # in the path: 404; absent from the list).
    ("GET", "/workorders/shifts"): Op(
        right="leader_a1", wrong="worker_a1", other=("admin_b",), target=_shift
    ),
    ("POST", "/workorders/shifts"): Op(
        right="leader_a1",
        ok=201,
        wrong="worker_a1",
        other=("admin_b",),
        other_status=400,
        payload=_shift_body,
    ),
    ("DELETE", "/workorders/shifts/{shift_id}"): Op(
        right="manager_a1", ok=204, wrong="worker_a1", other=("admin_b",), target=_shift
    ),
    ("POST", "/workorders/shift-patterns"): Op(
        right="manager_a1",
        ok=201,
        wrong="worker_a1",
        other=("admin_b",),
        other_status=400,
        payload=_pattern_body,
    ),
    ("GET", "/workorders/"): Op(
        right="leader_a1", other=("worker_a2", "admin_b"), target=tank_order, why=EVERYONE
    ),
    ("GET", "/workorders/{order_id}"): Op(
        right="operator_a",
        other=("worker_a2", "admin_b"),
        denied=(("worker_a1", 404), ("contractor_a", 404)),
        target=tank_order,
        why=EVERYONE,
    ),
    ("POST", "/workorders/"): Op(
        right="manager_a1",
        ok=201,
        wrong="worker_a1",
        other=("admin_b",),
        other_status=400,  # the area named in the body is not one the caller may see
        payload=lambda w: {"area_id": w.area_a1.pk, "title": "罐区围堰排水", "priority": "medium"},
    ),
    ("POST", "/workorders/{order_id}/accept"): Op(
        right="leader_a1",
        wrong="operator_a",
        other=("worker_a2", "admin_b"),
        target=tank_order,
        why=ASSIGNEE,
    ),
    ("POST", "/workorders/{order_id}/start"): Op(
        right="leader_a1",
        wrong="operator_a",
        other=("worker_a2", "admin_b"),
        target=accepted,
        why=ASSIGNEE,
    ),
    ("POST", "/workorders/{order_id}/complete"): Op(
        right="leader_a1",
        wrong="operator_a",
        other=("worker_a2", "admin_b"),
        target=in_progress,
        payload=lambda w: {"note": "已更换呼吸阀垫片", "files": png()},
        multipart=True,
        why=ASSIGNEE,
    ),
    ("POST", "/workorders/{order_id}/verify"): Op(
        right="manager_a1",
        wrong="worker_a1",
        other=("admin_b",),
        denied=(("leader_a1", 403),),  # completed it: never verifies their own work
        target=done,
        payload=lambda w: {"note": "现场复核合格"},
    ),
    ("POST", "/workorders/{order_id}/reject"): Op(
        right="manager_a1",
        wrong="worker_a1",
        other=("admin_b",),
        denied=(("leader_a1", 403),),
        target=done,
        payload=lambda w: {"reason": "照片看不清阻火器"},
    ),
    ("POST", "/workorders/{order_id}/reassign"): Op(
        right="manager_a1",
        wrong="worker_a1",
        other=("admin_b",),
        target=tank_order,
        payload=lambda w: {"assignee_id": w.user("worker_a1").pk},
    ),
    ("POST", "/workorders/{order_id}/cancel"): Op(
        right="manager_a1",
        wrong="worker_a1",
        other=("admin_b",),
        target=tank_order,
        payload=lambda w: {"reason": "与 WO-0002 重复"},
    ),
}
