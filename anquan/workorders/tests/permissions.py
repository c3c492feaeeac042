"""The workorders operations' entries of the API permission matrix (anquan/api/tests/test_permission_matrix.py).

The target order is opened by the system from an alarm on T-101 (area 罐区 of site east) and
dispatched to T-101's responsible person, leader_a1. Anyone may be an assignee, so the assignee's
steps have no role to lack: a caller who sees the order but is not its assignee (operator_a) gets
403, one who cannot see it 404. The manager's steps need workorders.manage (worker_a1 has it
nowhere: 403; admin_b has it in the other site: 404).
"""

from __future__ import annotations

from anquan.api.tests.matrix import Op
from anquan.workorders.tests.helpers import accepted, done, in_progress, png, tank_order

ASSIGNEE = "every signed-in person may be given work orders: a non-assignee who sees the order gets 403"
EVERYONE = "every signed-in person lists and reads the orders they see (their own at least)"

OPERATIONS: dict[tuple[str, str], Op] = {
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
