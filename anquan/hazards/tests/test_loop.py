"""The hazard closed loop through the services, with the world's people."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.conftest import World
from anquan.hazards import duplicates, events, grading, selectors, services
from anquan.hazards.choices import HazardCategory, HazardSource, HazardState, StepKind
from anquan.hazards.models import DuplicateCandidate, Hazard, HazardStep
from anquan.hazards.tests.permissions import LEC, PLAN, png, reported
from anquan.notifications.models import Notification
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import delete_attachment, store_upload
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _titles(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        Notification.objects.filter(recipient=user, category="hazard")
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_a_general_hazard_goes_round_the_whole_loop(world: World) -> None:
    w = world
    worker, officer, leader, manager = (
        w.user(k) for k in ("worker_a1", "officer_a", "leader_a1", "manager_a1")
    )
    with captured() as published:
        hazard, created = services.report_hazard(
            worker,
            area=w.area_a1,
            equipment=w.equipment["T-101"],
            description="1号罐罐顶呼吸阀有泄漏，气味较大",
            category="equipment",
            files=[png()],
        )
    assert created is True
    assert hazard.number == f"YH-{timezone.localdate():%Y%m%d}-0001"
    assert (hazard.state, hazard.site, hazard.area, hazard.reporter) == (
        "reported",
        w.site_a,
        w.area_a1,
        worker,
    )
    assert len(hazard.photo_hashes) == 1 and len(hazard.photo_hashes[0]) == 16
    assert [type(e).__name__ for e in published] == ["AttachmentAdded", "HazardReported"]
    assert Attachment.objects.filter(owner_id=hazard.pk, uploaded_by=worker).count() == 1
    # the verifiers of the area hear of it
    assert _titles(officer) == [f"新隐患待核实：{hazard.number}"]
    assert _titles(manager) == [f"新隐患待核实：{hazard.number}"]

    services.verify(officer, hazard, "现场确认")
    services.grade(officer, hazard, grade="general", manage_type="deadline", lec_l=3, lec_e=6, lec_c=7)
    hazard.refresh_from_db()
    assert (hazard.state, hazard.lec_d, hazard.risk_colour, hazard.report_upward) == (
        "graded",
        126.0,
        "yellow",
        False,
    )

    deadline = timezone.now() + dt.timedelta(days=3)
    services.assign(
        officer, hazard, responsible=leader, measures="更换呼吸阀", funds="2000", deadline=deadline
    )
    hazard.refresh_from_db()
    assert (hazard.state, hazard.responsible, hazard.funds, hazard.deadline) == (
        "rectifying",
        leader,
        Decimal("2000.00"),
        deadline,
    )
    assert _titles(leader) == [f"请整改隐患：{hazard.number}"]
    assert grading.national_codes(hazard) == {
        "hazard_level": "0",
        "manage_type": "1",
        "state": "0",
        "danger_src": "1",
        "hazard_danger_type": "7",
    }

    services.rectify(leader, hazard, note="已更换呼吸阀", files=[png((20, 200, 20))])
    hazard.refresh_from_db()
    assert (hazard.state, hazard.rectified_by) == ("awaiting_acceptance", leader)
    assert grading.national_codes(hazard)["state"] == "1"
    assert f"隐患整改待验收：{hazard.number}" in _titles(manager)

    services.accept(manager, hazard, passed=True, note="复查合格")
    services.close(officer, hazard, "销号")
    hazard.refresh_from_db()
    assert (hazard.state, hazard.accepted_by, hazard.closed_by) == ("closed", manager, officer)
    assert grading.national_codes(hazard)["state"] == "9"
    kinds = list(HazardStep.objects.filter(hazard=hazard).values_list("kind", "to_state"))
    assert kinds == [
        ("reported", "reported"),
        ("verified", "verified"),
        ("graded", "graded"),
        ("assigned", "rectifying"),
        ("rectified", "awaiting_acceptance"),
        ("accepted", "accepted"),
        ("closed", "closed"),
    ]
    # every step in the audit trail
    changes = [
        e.changes.get("state")
        for e in AuditEntry.objects.filter(model="hazards.hazard", object_id=str(hazard.pk)).order_by("seq")
    ]
    assert changes == [
        "reported",
        ["reported", "verified"],
        ["verified", "graded"],
        ["graded", "rectifying"],
        ["rectifying", "awaiting_acceptance"],
        ["awaiting_acceptance", "accepted"],
        ["accepted", "closed"],
    ]
    # the reporter followed every step
    assert _titles(worker) == [f"您上报的隐患 {hazard.number} 有新进展"] * 6


def test_a_major_hazard_needs_its_approved_six_element_plan(world: World) -> None:
    w = world
    officer, ehs = w.user("officer_a"), w.user("ehs")
    hazard = services.verify(officer, reported(w))
    services.grade(officer, hazard, grade="major", manage_type="deadline", **LEC["red"])
    hazard.refresh_from_db()
    assert (hazard.report_upward, hazard.lec_d, hazard.risk_colour) == (True, 420.0, "red")
    assert grading.national_codes(hazard) == {
        "hazard_level": "1",
        "manage_type": "1",
        "state": None,
        "danger_src": "1",
        "hazard_danger_type": "7",
    }
    deadline = timezone.now() + dt.timedelta(days=7)
    with pytest.raises(ValidationError) as err:
        services.assign(officer, hazard, responsible=w.user("leader_a1"), measures="更换", deadline=deadline)
    assert err.value.message_dict == {"plan": ["重大隐患须先提交治理方案并经审批，才能安排整改。"]}
    with pytest.raises(ValidationError) as err:
        services.submit_plan(officer, hazard, **{**PLAN, "safety_emergency": " "})
    assert list(err.value.message_dict) == ["safety_emergency"]
    services.submit_plan(officer, hazard, **PLAN)
    assert _titles(ehs)[-1] == f"重大隐患治理方案待审批：{hazard.number}"
    with pytest.raises(PermissionDenied):
        services.approve_plan(officer, hazard)
    plan = services.approve_plan(ehs, hazard, "同意")
    assert (plan.status, plan.approved_by) == ("approved", ehs)
    services.assign(officer, hazard, responsible=w.user("leader_a1"), measures="更换", deadline=deadline)
    hazard.refresh_from_db()
    assert hazard.state == "rectifying"


def test_each_step_is_refused_to_the_wrong_person_role_or_state(world: World) -> None:
    w = world
    worker, officer, leader, operator = (
        w.user(k) for k in ("worker_a1", "officer_a", "leader_a1", "operator_a")
    )
    # reporting: at a place where one may report
    with pytest.raises(PermissionDenied):
        services.report_hazard(worker, area=w.area_a2, description="泵房漏油")
    with pytest.raises(PermissionDenied):
        services.report_hazard(w.user("worker_b1"), area=w.area_a1, description="罐区漏油")
    hazard = reported(w)
    for who in (worker, leader, operator, w.user("admin_b")):  # no hazards.manage here
        with pytest.raises(PermissionDenied):
            services.verify(who, hazard)
    with pytest.raises(ValidationError) as err:  # wrong state: not verified yet
        services.grade(officer, hazard, grade="general", manage_type="immediate", **LEC["blue"])
    assert err.value.message_dict["state"] == [f"隐患 {hazard.number} 当前为“待核实”，不能进行此操作。"]
    services.verify(officer, hazard)
    with pytest.raises(ValidationError):  # verified twice
        services.verify(officer, hazard)
    services.grade(officer, hazard, grade="general", manage_type="immediate", **LEC["blue"])
    deadline = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.assign(leader, hazard, responsible=leader, measures="清理", deadline=deadline)
    with pytest.raises(ValidationError) as err:
        services.assign(
            officer, hazard, responsible=leader, measures="", deadline=timezone.now() - dt.timedelta(hours=1)
        )
    assert sorted(err.value.message_dict) == ["deadline", "measures"]
    services.assign(officer, hazard, responsible=leader, measures="清理", deadline=deadline)
    # rectify: the responsible person only, with evidence photos
    for who in (officer, worker):
        with pytest.raises(PermissionDenied):
            services.rectify(who, hazard, note="已清理", files=[png()])
    with pytest.raises(ValidationError) as err:
        services.rectify(leader, hazard, note="已清理", files=[])
    assert err.value.message_dict == {"files": ["请上传整改后的照片作为证据。"]}
    services.rectify(leader, hazard, note="已清理", files=[png()])
    # accept: hazards.accept, never the rectifier
    with pytest.raises(PermissionDenied):
        services.accept(operator, hazard, passed=True)
    with pytest.raises(ValidationError) as err:
        services.accept(officer, hazard, passed=False, note="")
    assert err.value.message_dict == {"note": ["验收不通过时请说明原因。"]}
    services.accept(officer, hazard, passed=False, note="地面仍有油迹")
    hazard.refresh_from_db()
    assert hazard.state == "rectifying"
    assert _titles(leader)[-1] == f"隐患整改验收不通过：{hazard.number}"
    services.rectify(leader, hazard, note="再次清理", files=[png()])
    with pytest.raises(PermissionDenied):
        services.close(worker, hazard)
    with pytest.raises(ValidationError):  # not accepted yet
        services.close(officer, hazard)
    hazard.refresh_from_db()
    assert hazard.state == "awaiting_acceptance"


def test_the_rectifier_never_accepts_their_own_rectification(world: World) -> None:
    w = world
    officer = w.user("officer_a")
    hazard = services.verify(officer, reported(w))
    services.grade(officer, hazard, grade="general", manage_type="deadline", **LEC["yellow"])
    services.assign(
        officer, hazard, responsible=officer, measures="处理", deadline=timezone.now() + dt.timedelta(days=1)
    )
    services.rectify(officer, hazard, note="已处理", files=[png()])
    with pytest.raises(PermissionDenied) as err:
        services.accept(officer, hazard, passed=True)
    assert str(err.value) == "整改人不能验收自己的整改。"
    services.accept(w.user("manager_a1"), hazard, passed=True)
    hazard.refresh_from_db()
    assert hazard.state == "accepted"


def test_rejecting_as_duplicate_or_invalid(world: World) -> None:
    w = world
    officer = w.user("officer_a")
    first = reported(w)
    second = reported(w)
    with pytest.raises(ValidationError) as err:
        services.reject(officer, second, "")
    assert err.value.message_dict == {"reason": ["请填写驳回原因。"]}
    services.reject(officer, second, "与前一条相同", duplicate_of=first)
    second.refresh_from_db()
    assert (second.state, second.reject_kind, second.duplicate_of) == ("rejected", "duplicate", first)
    third = reported(w)
    services.reject(officer, third, "现场无此情况")
    third.refresh_from_db()
    assert (third.reject_kind, third.duplicate_of) == ("invalid", None)
    assert _titles(w.user("worker_a1"))[-1] == f"您上报的隐患 {third.number} 有新进展"


def test_the_reporter_sees_but_never_alters_or_deletes_their_report(world: World) -> None:
    w = world
    worker = w.user("worker_a1")
    hazard, _c = services.report_hazard(worker, area=w.area_a1, description="消防通道堵塞", files=[png()])
    # seen by the reporter (no hazards.view) and by the register's viewers, not by another worker
    assert list(selectors.hazards(worker)) == [hazard]
    assert list(selectors.hazards(w.user("worker_a2"))) == []
    assert list(selectors.hazards(w.user("contractor_a"))) == []
    contractor_report, _c = services.report_hazard(
        w.user("contractor_a"), area=w.area_a2, description="脚手架松动"
    )
    assert list(selectors.hazards(w.user("contractor_a"))) == [contractor_report]
    # no attachment may be added or removed afterwards, by anyone
    photo = Attachment.objects.get(owner_id=hazard.pk)
    for who in (worker, w.user("officer_a"), w.user("admin_a")):
        with pytest.raises(PermissionDenied):
            store_upload(who, hazard, png(), "补充")
        with pytest.raises(PermissionDenied):
            delete_attachment(who, photo)
    assert Attachment.objects.filter(owner_id=hazard.pk).count() == 1
    # and no service edits or deletes a report
    assert not any(hasattr(services, name) for name in ("update_hazard", "edit_hazard", "delete_hazard"))


def test_a_report_sent_twice_with_one_client_uid_is_stored_once(world: World) -> None:
    w = world
    uid = uuid.uuid4()
    first, created = services.report_hazard(
        w.user("worker_a1"), area=w.area_a1, description="漏油", client_uid=uid
    )
    again, created_again = services.report_hazard(
        w.user("worker_a1"), area=w.area_a1, description="漏油", client_uid=str(uid)
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Hazard.objects.count() == 1
    with pytest.raises(ValidationError) as err:
        services.report_hazard(w.user("leader_a1"), area=w.area_a1, description="漏油", client_uid=uid)
    assert err.value.message_dict == {"client_uid": ["该客户端编号已被他人使用。"]}
    with pytest.raises(ValidationError):
        services.report_hazard(
            w.user("worker_a1"), area=w.area_a1, description="漏油", client_uid="not-a-uuid"
        )


def test_numbers_count_per_site_and_day(world: World) -> None:
    w = world
    day = timezone.localdate()
    a1 = reported(w)
    a2 = reported(w)
    b1, _c = services.report_hazard(w.user("worker_b1"), area=w.area_b1, description="西罐区围堰破损")
    assert [a1.number, a2.number, b1.number] == [
        f"YH-{day:%Y%m%d}-0001",
        f"YH-{day:%Y%m%d}-0002",
        f"YH-{day:%Y%m%d}-0001",
    ]


def test_report_input_errors_are_field_errors(world: World) -> None:
    w = world
    with pytest.raises(ValidationError) as err:
        services.report_hazard(w.user("worker_a1"), area=w.area_a1, description=" ", category="x", source="y")
    assert sorted(err.value.message_dict) == ["category", "description", "source"]
    with pytest.raises(ValidationError) as err:
        services.report_hazard(w.user("worker_a1"), description="漏油")
    assert list(err.value.message_dict) == ["area"]
    with pytest.raises(ValidationError) as err:
        services.report_hazard(
            w.user("worker_a1"), area=w.area_a2, equipment=w.equipment["T-101"], description="x"
        )
    assert list(err.value.message_dict) == ["equipment"]
    assert Hazard.objects.count() == 0


# --- duplicates ------------------------------------------------------------------------------------
def test_a_similar_report_of_the_same_equipment_is_a_likely_duplicate(world: World) -> None:
    w = world
    first, _c = services.report_hazard(
        w.user("worker_a1"), equipment=w.equipment["T-101"], description="1号罐罐顶呼吸阀有泄漏，气味较大"
    )
    with captured() as published:
        second, _c = services.report_hazard(
            w.user("leader_a1"), equipment=w.equipment["T-101"], description="1号罐罐顶呼吸阀泄漏，有异味"
        )
    assert second.likely_duplicate is True
    (candidate,) = DuplicateCandidate.objects.filter(hazard=second)
    kinds = [r["kind"] for r in candidate.reasons]
    assert (candidate.candidate_id, kinds) == (first.pk, ["same_equipment", "text", "time"])
    assert candidate.score == pytest.approx(
        0.35 + 0.35 * duplicates.text_similarity(first.description, second.description) + 0.1, abs=1e-4
    )
    reported_event = next(e for e in published if isinstance(e, events.HazardReported))
    assert reported_event.likely_duplicate is True
    # a different hazard in another area is not
    third, _c = services.report_hazard(w.user("worker_a2"), area=w.area_a2, description="泵房照明灯损坏")
    assert third.likely_duplicate is False


def test_a_similar_photo_in_the_same_area_is_a_likely_duplicate(world: World) -> None:
    w = world

    # the same scene photographed twice (a gradient: one photo slightly brighter)
    def scene(shift: int) -> object:
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        image = Image.new("RGB", (96, 64))
        image.putdata(
            [(min(255, x * 2 + shift), min(255, y * 3 + shift), 80) for y in range(64) for x in range(96)]
        )
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return SimpleUploadedFile("scene.png", buffer.getvalue(), content_type="image/png")

    first, _c = services.report_hazard(
        w.user("worker_a1"), area=w.area_a1, description="围堰排水阀未关", files=[scene(0)]
    )
    second, _c = services.report_hazard(
        w.user("leader_a1"), area=w.area_a1, description="看到阀门开着", files=[scene(6)]
    )
    assert duplicates.photo_distance(first.photo_hashes, second.photo_hashes) <= duplicates.PHOTO_MAX_DISTANCE
    (candidate,) = DuplicateCandidate.objects.filter(hazard=second)
    assert [r["kind"] for r in candidate.reasons] == ["same_area", "photo", "time"]
    assert candidate.score == pytest.approx(0.2 + 0.3 + 0.1)


def test_closed_or_old_hazards_are_not_duplicate_candidates(world: World) -> None:
    w = world
    old, _c = services.report_hazard(
        w.user("worker_a1"),
        equipment=w.equipment["T-101"],
        description="呼吸阀泄漏",
        now=timezone.now() - dt.timedelta(days=duplicates.WINDOW_DAYS + 1),
    )
    rejected = reported(w)
    services.reject(w.user("officer_a"), rejected, "无效")
    new, _c = services.report_hazard(
        w.user("worker_a1"), equipment=w.equipment["T-101"], description="呼吸阀泄漏"
    )
    assert list(DuplicateCandidate.objects.filter(hazard=new)) == []
    assert old.pk != new.pk


def test_text_similarity_and_score_are_plain_functions() -> None:
    assert duplicates.text_similarity("罐区呼吸阀泄漏", "罐区呼吸阀泄漏") == 1.0
    assert duplicates.text_similarity("罐区呼吸阀泄漏", "") == 0.0
    now = timezone.now()
    a = duplicates.Report(1, 10, 5, "泵房地面油污", ("0" * 16,), now)
    b = duplicates.Report(2, 10, 6, "配电室门未关", ("f" * 16,), now - dt.timedelta(days=3))
    assert duplicates.score(a, b) == (0.2, [{"kind": "same_area"}])
    assert duplicates.likely_duplicates(a, [b]) == []


# --- grading -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("d", "colour"),
    [
        (400, "red"),
        (320.01, "red"),
        (320, "orange"),
        (160.01, "orange"),
        (160, "yellow"),
        (70.5, "yellow"),
        (70, "blue"),
        (1, "blue"),
    ],
)
def test_lec_colour_bands(d: float, colour: str) -> None:
    assert grading.lec_colour(d) == colour


def test_lec_values_are_checked_required_and_decide_the_colour(world: World) -> None:
    w = world
    officer = w.user("officer_a")
    hazard = services.verify(officer, reported(w))
    with pytest.raises(ValidationError) as err:
        services.grade(officer, hazard, grade="general", manage_type="deadline", lec_l=4, lec_e=6, lec_c="x")
    assert sorted(err.value.message_dict) == ["lec_c", "lec_l"]
    assert err.value.message_dict["lec_l"] == ["可选值：0.1、0.2、0.5、1、3、6、10。"]
    with pytest.raises(ValidationError) as err:  # the site grades by LEC: its three factors are required
        services.grade(officer, hazard, grade="general", manage_type="deadline")
    assert sorted(err.value.message_dict) == ["lec_c", "lec_e", "lec_l"]
    with pytest.raises(ValidationError) as err:  # and the matrix's levels are refused
        services.grade(officer, hazard, grade="general", manage_type="deadline", ls_l=3, ls_s=4, **LEC["red"])
    assert err.value.message_dict == {
        "ls_l": ["本场所按 LEC 法评估，请填写 L、E、C，不填风险矩阵等级。"],
        "ls_s": ["本场所按 LEC 法评估，请填写 L、E、C，不填风险矩阵等级。"],
    }
    assert Hazard.objects.get(pk=hazard.pk).state == HazardState.VERIFIED
    services.grade(officer, hazard, grade="major", manage_type="deadline", lec_l=10, lec_e=6, lec_c=7)
    hazard.refresh_from_db()
    assert (hazard.lec_d, hazard.risk_colour, hazard.ls_r, hazard.grading_method) == (
        420.0,
        "red",
        None,
        "lec",
    )
    step = HazardStep.objects.get(hazard=hazard, kind="graded")
    assert step.data == {
        "grade": "major",
        "risk_colour": "red",
        "manage_type": "deadline",
        "method": "lec",
        "L": 10.0,
        "E": 6.0,
        "C": 7.0,
        "D": 420.0,
    }


def test_national_codes_map_level_manage_type_and_state() -> None:
    hazard = Hazard(grade="", manage_type="", state=HazardState.REPORTED)
    assert grading.national_codes(hazard) == {
        "hazard_level": None,
        "manage_type": None,
        "state": None,
        "danger_src": None,
        "hazard_danger_type": None,
    }
    hazard = Hazard(grade="general", manage_type="immediate", state=HazardState.RECTIFYING)
    codes = grading.national_codes(hazard)
    assert (codes["hazard_level"], codes["manage_type"], codes["state"]) == ("0", "0", "0")
    hazard = Hazard(grade="major", manage_type="deadline", state=HazardState.AWAITING_ACCEPTANCE)
    codes = grading.national_codes(hazard)
    assert (codes["hazard_level"], codes["manage_type"], codes["state"]) == ("1", "1", "1")
    for state in (HazardState.ACCEPTED, HazardState.CLOSED):
        assert (
            grading.national_codes(Hazard(grade="major", manage_type="deadline", state=state))["state"] == "9"
        )
    assert grading.national_codes(Hazard(state=HazardState.REJECTED))["state"] is None


def test_national_codes_of_every_source_and_type() -> None:
    """dangerSrc 1 … 10 and hazardDangerType 1 … 8, one for each of ours, with the official labels."""
    sources = {
        str(label): grading.national_codes(Hazard(source=value))["danger_src"]
        for value, label in HazardSource.choices
    }
    assert sources == {
        "日常排查": "1",
        "综合性排查": "2",
        "专业性排查": "3",
        "季节性排查": "4",
        "重点时段及节假日前排查": "5",
        "事故类比排查": "6",
        "复产复工前排查": "7",
        "外聘专家诊断式排查": "8",
        "管控措施失效": "9",
        "其他": "10",
    }
    types = {
        str(label): grading.national_codes(Hazard(category=value))["hazard_danger_type"]
        for value, label in HazardCategory.choices
    }
    assert types == {
        "安全": "1",
        "工艺": "2",
        "电气": "3",
        "仪表": "4",
        "消防": "5",
        "总图": "6",
        "设备": "7",
        "其他": "8",
    }


# --- deadlines -----------------------------------------------------------------------------------
def test_reminder_before_the_deadline_then_escalation_each_once(world: World) -> None:
    w = world
    officer, leader = w.user("officer_a"), w.user("leader_a1")
    hazard = services.verify(officer, reported(w))
    services.grade(officer, hazard, grade="general", manage_type="deadline", **LEC["yellow"])
    assigned_at = timezone.now()
    deadline = assigned_at + dt.timedelta(days=2)
    services.assign(officer, hazard, responsible=leader, measures="更换", deadline=deadline, now=assigned_at)

    assert services.run_deadlines(deadline - dt.timedelta(hours=30)) == {"reminded": 0, "escalated": 0}
    assert services.run_deadlines(deadline - dt.timedelta(hours=23)) == {"reminded": 1, "escalated": 0}
    assert services.run_deadlines(deadline - dt.timedelta(hours=22)) == {"reminded": 0, "escalated": 0}
    assert _titles(leader)[-1] == f"隐患整改即将到期：{hazard.number}"

    assert services.run_deadlines(deadline + dt.timedelta(minutes=5)) == {"reminded": 0, "escalated": 1}
    assert services.run_deadlines(deadline + dt.timedelta(hours=2)) == {"reminded": 0, "escalated": 0}
    assert _titles(w.user("manager_a1"))[-1] == f"隐患整改逾期：{hazard.number}"
    assert f"隐患整改逾期：{hazard.number}" not in _titles(w.user("ehs"))

    assert services.run_deadlines(deadline + dt.timedelta(hours=25)) == {"reminded": 0, "escalated": 1}
    assert services.run_deadlines(deadline + dt.timedelta(hours=30)) == {"reminded": 0, "escalated": 0}
    assert _titles(w.user("ehs"))[-1] == f"隐患整改逾期：{hazard.number}"
    steps = list(
        HazardStep.objects.filter(
            hazard=hazard, kind__in=[StepKind.REMINDED, StepKind.ESCALATED]
        ).values_list("kind", "data")
    )
    assert steps == [
        ("reminded", {"to": leader.pk}),
        ("escalated", {"level": 1, "to": [w.user("manager_a1").pk]}),
        ("escalated", {"level": 2, "to": [w.user("ehs").pk]}),
    ]


def test_a_missed_run_catches_up_and_a_rectified_hazard_is_left_alone(world: World) -> None:
    w = world
    officer, leader = w.user("officer_a"), w.user("leader_a1")
    late = services.verify(officer, reported(w))
    services.grade(officer, late, grade="general", manage_type="deadline", **LEC["yellow"])
    deadline = timezone.now() + dt.timedelta(hours=1)
    services.assign(officer, late, responsible=leader, measures="更换", deadline=deadline)
    done = services.verify(officer, reported(w))
    services.grade(officer, done, grade="general", manage_type="deadline", **LEC["yellow"])
    services.assign(officer, done, responsible=leader, measures="更换", deadline=deadline)
    services.rectify(leader, done, note="好了", files=[png()])
    assert services.run_deadlines(deadline + dt.timedelta(days=3)) == {"reminded": 0, "escalated": 2}
    late.refresh_from_db()
    done.refresh_from_db()
    assert (late.escalation_level, done.escalation_level) == (2, 0)


def test_the_deadline_job_is_registered_every_five_minutes() -> None:
    from anquan.hazards import tasks
    from anquan.platform.schedule import JOBS

    job = JOBS[tasks.hazard_deadlines.module_path]
    assert job.every == dt.timedelta(minutes=5)
