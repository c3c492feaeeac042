"""The inspections operations' entries of the API permission matrix (anquan/api/tests/test_permission_matrix.py)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.db.models import Model

from anquan.api.tests.matrix import Op
from anquan.conftest import World
from anquan.inspections import assistant, health, reports, services
from anquan.inspections.choices import SignalKind
from anquan.inspections.models import CheckItem, Checkpoint, Round
from anquan.inspections.tests.conftest import SHANGHAI, WEDNESDAY_9, build, photo, photo_bytes

# Inspection rounds are walked by the team's walkers (worker_a1 of team_a1); worker_a2 walks for
# another team, admin_b at another site; a contractor and an area manager do not walk.
WALK = {"right": "worker_a1", "wrong": "contractor_a", "other": ("worker_a2", "admin_b")}
# Asset health and daily reports are for those who view inspections (a worker only walks).
VIEW = {"right": "officer_a", "wrong": "worker_a1", "other": ("admin_b",)}


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=SHANGHAI)


def _plan(w: World) -> Model:
    return build(w).plan


def _round(w: World) -> Round:
    build(w)
    (made,) = services.generate_rounds(WEDNESDAY_9)
    return made


def _checkpoint(w: World, name: str) -> Checkpoint:
    return Checkpoint.objects.get(route__site=w.site_a, name=name)


def _item(w: World, name: str) -> CheckItem:
    return CheckItem.objects.get(checkpoint__route__site=w.site_a, name=name)


def _checked_in(w: World) -> Model:
    made = _round(w)
    services.check_in(w.user("worker_a1"), made, _checkpoint(w, "1号罐罐顶").code, _at(8, 10))
    return made


def _all_recorded(w: World) -> Model:
    made = _checked_in(w)
    worker = w.user("worker_a1")
    services.record_result(worker, made, _item(w, "罐壁温度"), value=25.0, at=_at(8, 11))
    services.check_in(worker, made, _checkpoint(w, "防火堤").code, _at(8, 20))
    services.record_result(worker, made, _item(w, "防火堤无渗漏"), ok=True, photos=[photo()], at=_at(8, 21))
    return made


def _batch(w: World) -> dict[str, Any]:
    return {
        "client_uuid": "6f1c2b8e-6a4d-4d0e-9a53-3f3f1b7d2a10",
        "started_at": _at(8, 10).isoformat(),
        "finished_at": _at(8, 40).isoformat(),
        "checkins": [
            {"code": _checkpoint(w, "1号罐罐顶").code, "at": _at(8, 10).isoformat()},
            {"code": _checkpoint(w, "防火堤").code, "at": _at(8, 20).isoformat()},
        ],
        "results": [
            {"item_id": _item(w, "罐壁温度").pk, "value": 22.5},
            {
                "item_id": _item(w, "防火堤无渗漏").pk,
                "ok": True,
                "photos": [{"name": "dike.jpg", "content_base64": base64.b64encode(photo_bytes()).decode()}],
            },
        ],
    }


def _signals(w: World) -> dict[str, Any]:
    return {
        "signals": [
            {
                "equipment_id": w.equipment["T-101"].pk,
                "kind": SignalKind.THERMAL,
                "taken_at": "2026-11-25T09:00:00+08:00",
                "source": "IR-01",
                "data": {"max_c": 58.0, "mean_c": 35.0, "reference_c": 38.0},
            }
        ]
    }


def _score(w: World) -> Model:
    return assistant.assess_equipment(w.equipment["T-101"])


def _report(w: World) -> Model:
    report, _ = reports.build_report(w.site_a, dt.date(2026, 11, 24), _at(7, 30))
    return report


OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/inspections/plans"): Op(**WALK, target=_plan),
    ("GET", "/inspections/rounds"): Op(**WALK, target=_round),
    ("GET", "/inspections/rounds/{round_id}"): Op(**WALK, target=_round),
    ("POST", "/inspections/rounds/{round_id}/start"): Op(**WALK, target=_round),
    ("POST", "/inspections/rounds/{round_id}/checkin"): Op(
        **WALK, target=_round, payload=lambda w: {"code": _checkpoint(w, "1号罐罐顶").code}
    ),
    ("POST", "/inspections/rounds/{round_id}/results"): Op(
        **WALK, target=_checked_in, payload=lambda w: {"item_id": _item(w, "罐壁温度").pk, "value": 25.0}
    ),
    ("POST", "/inspections/rounds/{round_id}/finish"): Op(**WALK, target=_all_recorded, payload=lambda w: {}),
    ("POST", "/inspections/rounds/{round_id}/submit"): Op(**WALK, target=_round, payload=_batch),
    ("POST", "/inspections/signals"): Op(**WALK, ok=201, other_status=400, payload=_signals, audited=False),
    ("GET", "/inspections/health"): Op(**VIEW, target=_score),
    ("GET", "/inspections/health/{equipment_id}"): Op(**VIEW, target=lambda w: w.equipment["T-101"]),
    ("GET", "/inspections/weights/{site_id}"): Op(
        right="manager_a1",  # views inspections in an area of the site: reads the site's weights
        wrong="worker_a1",
        other=("admin_b",),
        target=lambda w: w.site_a,
    ),
    ("PUT", "/inspections/weights/{site_id}"): Op(
        right="officer_a",
        wrong="worker_a1",
        other=("admin_b",),
        denied=(("manager_a1", 403),),  # inspections.plan in one area only, not over the site
        target=lambda w: w.site_a,
        payload=lambda w: {**health.WEIGHTS.as_dict(), "thermal_per_k": 3.0},
    ),
    ("GET", "/inspections/reports"): Op(**VIEW, target=_report),
    ("GET", "/inspections/reports/{report_id}"): Op(**VIEW, target=_report),
    ("GET", "/inspections/reports/{report_id}/pdf"): Op(**VIEW, target=_report, returns_json=False),
}
