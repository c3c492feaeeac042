"""The hazards operations' entries of the API permission matrix (anquan/api/tests/test_permission_matrix.py)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone
from PIL import Image

from anquan.api.tests.matrix import Op
from anquan.conftest import World
from anquan.hazards import grading, services
from anquan.hazards.models import CriteriaSet, Hazard
from anquan.monitoring import services as monitoring
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.models import AlarmOccurrence

STANDING_AT_MS = 1_764_300_000_000  # 2025-11-28: active ever since, so standing (> 24 h)


def png(colour: tuple[int, int, int] = (200, 30, 30), name: str = "现场.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# LEC factors giving each colour (D = 420, 252, 126, 54), for tests that need a hazard of a colour.
LEC: dict[str, dict[str, float]] = {
    "red": {"lec_l": 10, "lec_e": 6, "lec_c": 7},
    "orange": {"lec_l": 6, "lec_e": 6, "lec_c": 7},
    "yellow": {"lec_l": 3, "lec_e": 6, "lec_c": 7},
    "blue": {"lec_l": 3, "lec_e": 6, "lec_c": 3},
}


def reported(w: World) -> Hazard:
    hazard, _created = services.report_hazard(
        w.user("worker_a1"),
        area=w.area_a1,
        equipment=w.equipment["T-101"],
        description="1号罐罐顶呼吸阀有泄漏，气味较大",
        category="equipment",
    )
    return hazard


def verified(w: World) -> Hazard:
    return services.verify(w.user("officer_a"), reported(w))


def graded(w: World, grade: str = "general") -> Hazard:
    return services.grade(
        w.user("officer_a"), verified(w), grade=grade, manage_type="deadline", lec_l=3, lec_e=6, lec_c=7
    )


def major_graded(w: World) -> Hazard:
    return graded(w, grade="major")


PLAN = {
    "goal": "消除呼吸阀泄漏",
    "methods": "更换呼吸阀并做气密试验",
    "funds_materials": "维修费 2 万元，备件已到",
    "organisation": "设备部牵头，罐区班组配合",
    "time_limit": "7 日内完成",
    "safety_emergency": "作业期间设警戒区，备好泄漏应急器材",
}


def major_planned(w: World) -> Hazard:
    hazard = major_graded(w)
    services.submit_plan(w.user("officer_a"), hazard, **PLAN)
    return hazard


def assigned(w: World) -> Hazard:
    return services.assign(
        w.user("officer_a"),
        graded(w),
        responsible=w.user("leader_a1"),
        measures="更换呼吸阀",
        funds="2000",
        deadline=timezone.now() + dt.timedelta(days=3),
    )


def rectified(w: World) -> Hazard:
    return services.rectify(w.user("leader_a1"), assigned(w), note="已更换", files=[png()])


def accepted(w: World) -> Hazard:
    return services.accept(w.user("manager_a1"), rectified(w), passed=True)


def standing_alarm(w: World) -> Model:
    monitoring.sync_limit_rules(w.tags["TI-101"])
    AlarmProcessor().process([(w.tags["TI-101"].pk, STANDING_AT_MS, 45.0)])
    return AlarmOccurrence.objects.get(rule__tag=w.tags["TI-101"], rule__level="h")


def _occurrence(w: World) -> dict[str, Any]:
    occurrence = AlarmOccurrence.objects.get(rule__tag=w.tags["TI-101"], rule__level="h")
    return {"occurrence_id": occurrence.pk, "description": ""}


def ls_payload(w: World) -> dict[str, Any]:
    """The LS method with the default 5 × 5 matrix."""
    matrix = grading.default_matrix()
    return {
        "method": "ls",
        "likelihood": list(matrix.likelihood),
        "severity": list(matrix.severity),
        "cells": [list(row) for row in matrix.cells],
    }


SHIPPED_2017 = "安监总管三〔2017〕121号"  # the determination standard the data migration ships


def criteria_payload(w: World) -> dict[str, Any]:
    """A made-up standard of a made-up scope (AQ 3067—2026's text is not at hand here)."""
    return {
        "code": "测试〔2026〕1号",
        "title": "《测试行业重大事故隐患判定标准》",
        "scope": "测试行业",
        "effective_from": "2026-01-01",
        "effective_to": None,
        "items": [{"number": 1, "text": "测试条款一。"}, {"number": 2, "text": "测试条款二。"}],
    }


def loaded_criteria(w: World) -> CriteriaSet:
    data = criteria_payload(w)
    return services.create_criteria_set(
        None,
        **{**data, "effective_from": dt.date(2026, 1, 1)},
    )


def shipped_criteria(w: World) -> CriteriaSet:
    return CriteriaSet.objects.get(code=SHIPPED_2017)


NATIONAL = (
    "determination standards are national, the same for every site: there is no other scope to hide "
    "them from or to load them for"
)
LOADER_ONLY = (("manager_a1", 403),)  # hazards.manage in one area only, not over a whole site

NOTE = lambda w: {"note": ""}  # noqa: E731
SCOPE = (
    "figures and exports over the caller's own scope: another scope's caller gets their own (empty) figures"
)

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/hazards/"): Op(
        right="officer_a", wrong="nobody", other=("worker_b1", "admin_b", "worker_a2"), target=reported
    ),
    ("GET", "/hazards/{hazard_id}"): Op(
        right="worker_a1", wrong="nobody", other=("worker_a2", "admin_b"), target=reported
    ),
    ("GET", "/hazards/places"): Op(
        right="contractor_a",
        wrong="nobody",
        why="lists the places where the caller may report: there is nothing of another scope to hide",
    ),
    ("GET", "/hazards/metrics"): Op(right="officer_a", wrong="worker_a1", why=SCOPE),
    ("GET", "/hazards/export"): Op(right="officer_a", wrong="worker_a1", why=SCOPE, returns_json=False),
    ("POST", "/hazards/"): Op(
        right="worker_a1",
        ok=201,
        wrong="nobody",
        other=("worker_b1",),
        other_status=400,
        multipart=True,
        payload=lambda w: {
            "area_id": w.area_a1.pk,
            "description": "泵房地面有油污，易滑倒",
            "category": "safety",
            "files": png(),
        },
    ),
    ("POST", "/hazards/from-alarm"): Op(
        right="operator_a",
        ok=201,
        wrong="nobody",
        other=("worker_b1",),
        other_status=400,
        target=standing_alarm,
        payload=_occurrence,
    ),
    ("POST", "/hazards/{hazard_id}/verify"): Op(
        right="officer_a", wrong="worker_a1", other=("admin_b",), target=reported, payload=NOTE
    ),
    ("POST", "/hazards/{hazard_id}/reject"): Op(
        right="officer_a",
        wrong="worker_a1",
        other=("admin_b",),
        target=reported,
        payload=lambda w: {"reason": "现场核查无泄漏"},
    ),
    ("POST", "/hazards/{hazard_id}/grade"): Op(
        right="officer_a",
        wrong="worker_a1",
        other=("admin_b",),
        target=verified,
        payload=lambda w: {"grade": "general", "manage_type": "deadline", "lec_l": 3, "lec_e": 6, "lec_c": 7},
    ),
    ("POST", "/hazards/{hazard_id}/plan"): Op(
        right="officer_a", wrong="worker_a1", other=("admin_b",), target=major_graded, payload=lambda w: PLAN
    ),
    ("POST", "/hazards/{hazard_id}/plan/approve"): Op(
        right="ehs", wrong="officer_a", other=("admin_b",), target=major_planned, payload=NOTE
    ),
    ("POST", "/hazards/{hazard_id}/assign"): Op(
        right="officer_a",
        wrong="worker_a1",
        other=("admin_b",),
        target=graded,
        payload=lambda w: {
            "responsible_id": w.user("leader_a1").pk,
            "measures": "更换呼吸阀",
            "funds": "2000.00",
            "deadline": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        },
    ),
    ("POST", "/hazards/{hazard_id}/rectify"): Op(
        right="leader_a1",
        wrong="officer_a",
        other=("worker_b1",),
        target=assigned,
        multipart=True,
        payload=lambda w: {"note": "已更换呼吸阀", "files": png((30, 160, 60))},
        why="rectifying needs no capability: only the assigned person may, so the wrong caller is one who "
        "sees the hazard without being assigned",
    ),
    ("POST", "/hazards/{hazard_id}/accept"): Op(
        right="officer_a",
        wrong="operator_a",
        other=("admin_b",),
        target=rectified,
        payload=lambda w: {"passed": True, "note": "复查合格"},
    ),
    ("GET", "/hazards/risk-matrix/{site_id}"): Op(
        right="manager_a1",  # grades in an area of the site: reads the site's matrix
        wrong="worker_a1",
        other=("admin_b",),
        target=lambda w: w.site_a,
    ),
    ("PUT", "/hazards/risk-matrix/{site_id}"): Op(
        right="officer_a",
        wrong="worker_a1",
        other=("admin_b",),
        denied=(("manager_a1", 403),),  # hazards.manage in one area only, not over the site
        target=lambda w: w.site_a,
        payload=ls_payload,
    ),
    ("GET", "/hazards/criteria"): Op(right="manager_a1", wrong="worker_a1", why=NATIONAL),
    ("GET", "/hazards/criteria/{criteria_id}"): Op(
        right="manager_a1", wrong="worker_a1", target=shipped_criteria, why=NATIONAL
    ),
    ("POST", "/hazards/criteria"): Op(
        right="officer_a",
        ok=201,
        wrong="worker_a1",
        denied=LOADER_ONLY,
        payload=criteria_payload,
        why=NATIONAL,
    ),
    ("PUT", "/hazards/criteria/{criteria_id}"): Op(
        right="officer_a",
        wrong="worker_a1",
        denied=LOADER_ONLY,
        target=loaded_criteria,
        payload=lambda w: {**criteria_payload(w), "effective_to": "2026-12-31"},
        why=NATIONAL,
    ),
    ("DELETE", "/hazards/criteria/{criteria_id}"): Op(
        right="officer_a", ok=204, wrong="worker_a1", denied=LOADER_ONLY, target=loaded_criteria, why=NATIONAL
    ),
    ("POST", "/hazards/{hazard_id}/close"): Op(
        right="officer_a", wrong="worker_a1", other=("admin_b",), target=accepted, payload=NOTE
    ),
}
