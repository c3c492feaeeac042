"""The hazards API beyond the permission matrix: idempotent reports, details, alarms → hazards."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.hazards import services
from anquan.hazards.models import DuplicateCandidate, Hazard
from anquan.hazards.tests.permissions import png, reported, standing_alarm
from anquan.monitoring import services as monitoring
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.models import AlarmOccurrence
from anquan.platform.models import AuditEntry

API = "/api/v1/hazards"
pytestmark = pytest.mark.django_db


def test_a_phone_report_sent_twice_is_stored_once(world: World) -> None:
    client = as_user(world, "worker_a1")
    uid = str(uuid.uuid4())

    def send() -> object:
        return client.call(
            "POST",
            f"{API}/",
            {
                "equipment_code": "T-101",
                "description": "罐顶人孔螺栓缺失",
                "category": "equipment",
                "source": "daily",
                "client_uid": uid,
                "files": png(),
            },
            multipart=True,
        )

    first = send()
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["state"], body["equipment_code"], body["area_id"], body["client_uid"]) == (
        "reported",
        "T-101",
        world.area_a1.pk,
        uid,
    )
    assert [a["kind"] for a in body["attachments"]] == ["image"]
    assert [s["kind"] for s in body["steps"]] == ["reported"]
    audit_count = AuditEntry.objects.count()
    again = send()
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert Hazard.objects.count() == 1
    assert AuditEntry.objects.count() == audit_count


def test_report_input_errors_answer_400_with_field_errors(world: World) -> None:
    client = as_user(world, "worker_a1")
    r = client.call("POST", f"{API}/", {"description": "", "category": "x"}, multipart=True)
    assert r.status_code == 400
    assert sorted(r.json()["errors"]) == ["area"]
    r = client.call("POST", f"{API}/", {"area_id": world.area_a2.pk, "description": "x"}, multipart=True)
    assert (r.status_code, list(r.json()["errors"])) == (400, ["area_id"])
    r = client.call("POST", f"{API}/", {"equipment_code": "NOPE", "description": "x"}, multipart=True)
    assert (r.status_code, list(r.json()["errors"])) == (400, ["equipment_code"])
    r = client.call(
        "POST",
        f"{API}/",
        {"area_id": world.area_a1.pk, "description": "x", "client_uid": "abc"},
        multipart=True,
    )
    assert (r.status_code, list(r.json()["errors"])) == (400, ["client_uid"])
    assert Hazard.objects.count() == 0


def test_a_report_is_never_edited_or_deleted_through_the_api(world: World) -> None:
    hazard = reported(world)
    client = as_user(world, "worker_a1")
    for method in ("PATCH", "PUT", "DELETE"):
        r = client.call(method, f"{API}/{hazard.pk}", {"description": "改掉"})
        assert r.status_code == 405, (method, r.status_code)
    hazard.refresh_from_db()
    assert hazard.description == "1号罐罐顶呼吸阀有泄漏，气味较大"


def test_the_steps_through_the_api(world: World) -> None:
    w = world
    hazard = reported(w)
    officer = as_user(w, "officer_a")
    assert officer.post(f"{API}/{hazard.pk}/verify", {"note": "属实"}).json()["state"] == "verified"
    r = officer.post(
        f"{API}/{hazard.pk}/grade",
        {"grade": "general", "manage_type": "deadline", "lec_l": 6, "lec_e": 6, "lec_c": 7},
    )
    assert (r.json()["lec_d"], r.json()["risk_colour"], r.json()["national"]) == (
        252.0,
        "orange",
        {
            "hazard_level": "0",
            "manage_type": "1",
            "state": None,
            "danger_src": "1",
            "hazard_danger_type": "7",
        },
    )
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    r = officer.post(
        f"{API}/{hazard.pk}/assign",
        {
            "responsible_id": w.user("leader_a1").pk,
            "measures": "更换",
            "deadline": deadline,
            "funds": "1500.50",
        },
    )
    assert (r.status_code, r.json()["state"], r.json()["funds"], r.json()["responsible_name"]) == (
        200,
        "rectifying",
        "1500.50",
        "班长甲",
    )
    leader = as_user(w, "leader_a1")
    r = leader.call("POST", f"{API}/{hazard.pk}/rectify", {"note": "已更换"}, multipart=True)
    assert (r.status_code, r.json()["errors"]) == (400, {"files": ["请上传整改后的照片作为证据。"]})
    r = leader.call("POST", f"{API}/{hazard.pk}/rectify", {"note": "已更换", "files": png()}, multipart=True)
    assert r.json()["state"] == "awaiting_acceptance"
    r = leader.post(f"{API}/{hazard.pk}/accept", {"passed": True})
    assert r.status_code == 403  # a team leader holds no hazards.accept
    r = officer.post(f"{API}/{hazard.pk}/accept", {"passed": True, "note": "合格"})
    assert r.json()["state"] == "accepted"
    r = officer.post(f"{API}/{hazard.pk}/close", {"note": ""})
    body = r.json()
    assert (body["state"], body["national"]["state"]) == ("closed", "9")
    assert [s["kind"] for s in body["steps"]] == [
        "reported",
        "verified",
        "graded",
        "assigned",
        "rectified",
        "accepted",
        "closed",
    ]
    assert [a["kind"] for a in body["attachments"]] == ["image"]
    # the reporter follows it in their list
    mine = as_user(w, "worker_a1").get(f"{API}/?mine=true").json()
    assert [(h["id"], h["state"]) for h in mine["items"]] == [(hazard.pk, "closed")]


def test_a_step_in_the_wrong_state_is_a_400(world: World) -> None:
    hazard = reported(world)
    r = as_user(world, "officer_a").post(f"{API}/{hazard.pk}/close", {"note": ""})
    assert (r.status_code, list(r.json()["errors"])) == (400, ["state"])


def test_places_list_where_the_caller_may_report(world: World) -> None:
    body = as_user(world, "worker_a1").get(f"{API}/places").json()
    assert [a["name"] for a in body["areas"]] == ["罐区"]
    assert [e["code"] for e in body["equipment"]] == ["T-101"]
    body = as_user(world, "contractor_a").get(f"{API}/places").json()
    assert sorted(a["name"] for a in body["areas"]) == ["泵房", "罐区"]


# --- alarms → hazards -------------------------------------------------------------------------------
def test_a_standing_alarm_becomes_a_control_failed_hazard(world: World) -> None:
    occurrence = standing_alarm(world)
    r = as_user(world, "operator_a").post(f"{API}/from-alarm", {"occurrence_id": occurrence.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["source"],
        body["category"],
        body["alarm_occurrence_id"],
        body["equipment_code"],
        body["state"],
    ) == (
        "control_failed",
        "process",
        occurrence.pk,
        "T-101",
        "reported",
    )
    assert body["description"] == f"报警“{occurrence.message}”持续超过 24 小时未恢复，管控措施失效。"
    again = as_user(world, "operator_a").post(f"{API}/from-alarm", {"occurrence_id": occurrence.pk})
    assert again.status_code == 400
    assert again.json()["errors"]["occurrence"] == [f"该报警已转为隐患 {body['number']}。"]


def test_a_fresh_alarm_is_refused_and_a_chattering_one_accepted(world: World) -> None:
    w = world
    monitoring.sync_limit_rules(w.tags["TI-101"])
    now_ms = int(timezone.now().timestamp() * 1000)
    processor = AlarmProcessor()
    processor.process([(w.tags["TI-101"].pk, now_ms - 600_000, 45.0)])
    fresh = AlarmOccurrence.objects.get()
    with pytest.raises(ValidationError) as err:
        services.hazard_from_alarm(w.user("operator_a"), fresh)
    assert err.value.message_dict == {
        "occurrence": [
            "只有联锁/自动控制失效报警、持续超过 24 小时未恢复的报警或振荡报警才能转为“管控措施失效”隐患。"
        ]
    }
    assert services.alarm_failure(fresh, timezone.now()) is None
    # it chatters: returns and comes back twice within a minute
    t = now_ms - 300_000
    processor.process([(w.tags["TI-101"].pk, t, 30.0)])
    processor.process([(w.tags["TI-101"].pk, t + 10_000, 45.0)])
    processor.process([(w.tags["TI-101"].pk, t + 20_000, 30.0)])
    processor.process([(w.tags["TI-101"].pk, t + 30_000, 45.0)])
    processor.process([(w.tags["TI-101"].pk, t + 40_000, 30.0)])
    processor.process([(w.tags["TI-101"].pk, t + 50_000, 45.0)])
    latest = AlarmOccurrence.objects.order_by("-raised_at").first()
    assert latest is not None
    assert services.alarm_failure(latest, timezone.now()) == "chattering"
    hazard = services.hazard_from_alarm(w.user("operator_a"), latest, description="温度报警频繁振荡")
    assert (hazard.source, hazard.description, hazard.alarm_occurrence_id) == (
        "control_failed",
        "温度报警频繁振荡",
        latest.pk,
    )


def test_duplicate_candidates_are_shown_only_when_the_caller_sees_them(world: World) -> None:
    first = reported(world)
    second, _c = services.report_hazard(
        world.user("leader_a1"), equipment=world.equipment["T-101"], description="1号罐罐顶呼吸阀泄漏，有异味"
    )
    officer = as_user(world, "officer_a").get(f"{API}/{second.pk}").json()
    assert [(c["candidate_id"], c["number"]) for c in officer["candidates"]] == [(first.pk, first.number)]
    assert officer["likely_duplicate"] is True
    reporter = as_user(world, "leader_a1").get(f"{API}/{second.pk}").json()
    assert [c["candidate_id"] for c in reporter["candidates"]] == [first.pk]  # a team leader sees the area's
    worker_report, _c = services.report_hazard(
        world.user("worker_a1"), equipment=world.equipment["T-101"], description="1号罐罐顶呼吸阀泄漏，有气味"
    )
    assert DuplicateCandidate.objects.filter(hazard=worker_report).count() == 2
    mine = as_user(world, "worker_a1").get(f"{API}/{worker_report.pk}").json()
    assert (mine["likely_duplicate"], [c["candidate_id"] for c in mine["candidates"]]) == (True, [first.pk])
