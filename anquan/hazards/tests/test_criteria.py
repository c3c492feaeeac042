"""Major-hazard determination standards (重大事故隐患判定标准), versioned by effective date: the
shipped 2017 set, loading and correcting sets, citing their items at grading, and where the
citations show (page, timeline, API, Excel)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.hazards import criteria, reports, selectors, services
from anquan.hazards.models import CriteriaItem, CriteriaSet, Hazard, HazardCriterion, HazardStep
from anquan.hazards.tests.permissions import SHIPPED_2017, criteria_payload
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

API = "/api/v1/hazards"
ITEM_15 = "安全阀、爆破片等安全附件未正常投用。"
NOT_IN_FORCE_NOTICE = "现行判定标准未录入：请录入 AQ 3067—2026"


def shipped() -> CriteriaSet:
    return CriteriaSet.objects.get(code=SHIPPED_2017)


def item(number: int, criteria_set: CriteriaSet | None = None) -> CriteriaItem:
    return (criteria_set or shipped()).items.get(number=number)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def verified_on(w: World, day: dt.date, hour: int = 10) -> Hazard:
    """A hazard reported (found) on ``day`` (local time), verified an hour later."""
    hazard, _created = services.report_hazard(
        w.user("worker_a1"),
        area=w.area_a1,
        equipment=w.equipment["T-101"],
        description="1号罐安全阀超过校验有效期仍在投用",
        category="equipment",
        now=at(day, hour),
    )
    return services.verify(w.user("officer_a"), hazard, now=at(day, hour + 1))


def grade(w: World, hazard: Hazard, **changes: Any) -> Hazard:
    values: dict[str, Any] = {
        "grade": "general",
        "manage_type": "deadline",
        "lec_l": 3,
        "lec_e": 6,
        "lec_c": 7,
    }
    return services.grade(w.user("officer_a"), hazard, **{**values, **changes})


def load(w: World, who: str = "officer_a", **changes: Any) -> CriteriaSet:
    data = {
        **criteria_payload(w),
        "effective_from": dt.date(2026, 1, 1),
        "items": [(1, "测试条款一。"), (2, "测试条款二。")],
    }
    return services.create_criteria_set(w.user(who), **{**data, **changes})


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- the shipped 2017 set, in force by date ----------------------------------------------------------
def test_the_2017_set_is_shipped_with_its_twenty_items() -> None:
    s = shipped()
    assert (s.title, s.scope, s.effective_from, s.effective_to) == (
        "《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》",
        "化工和危险化学品",
        dt.date(2017, 11, 13),
        dt.date(2026, 9, 29),
    )
    assert list(s.items.values_list("number", flat=True)) == list(range(1, 21))
    assert item(1).text == "危险化学品生产、经营单位主要负责人和安全生产管理人员未依法经考核合格。"
    assert item(15).text == ITEM_15
    assert (
        item(20).text
        == "未按国家标准分区分类储存危险化学品，超量、超品种储存危险化学品，相互禁配物质混放混存。"
    )


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (dt.date(2017, 11, 12), False),  # the day before it took effect
        (dt.date(2017, 11, 13), True),  # its first day
        (dt.date(2026, 9, 29), True),  # its last day
        (dt.date(2026, 9, 30), False),  # AQ 3067—2026 from here on, not loaded
    ],
)
def test_the_set_in_force_is_the_one_whose_range_covers_the_day(day: dt.date, in_force: bool) -> None:
    assert [s.code for s in selectors.criteria_in_force(day)] == ([SHIPPED_2017] if in_force else [])


def test_a_hazard_s_day_is_its_local_report_day(world: World) -> None:
    # 2026-09-29 23:30 in Shanghai is still the 2017 set's last day (15:30 UTC)
    hazard = verified_on(world, dt.date(2026, 9, 29), hour=22)
    hazard.reported_at = at(dt.date(2026, 9, 29), 23) + dt.timedelta(minutes=30)
    assert selectors.hazard_day(hazard) == dt.date(2026, 9, 29)
    hazard.reported_at += dt.timedelta(minutes=30)
    assert selectors.hazard_day(hazard) == dt.date(2026, 9, 30)


# --- loading a set ----------------------------------------------------------------------------------
def test_the_officer_of_a_site_loads_a_set_and_it_is_audited_with_its_items(world: World) -> None:
    loaded = load(world)
    assert list(loaded.items.values_list("number", "text")) == [(1, "测试条款一。"), (2, "测试条款二。")]
    assert (loaded.created_by, loaded.effective_to) == (world.user("officer_a"), None)
    entry = AuditEntry.objects.get(model="hazards.criteriaset", object_id=str(loaded.pk))
    assert (entry.action, entry.actor_id, entry.site_id) == ("create", world.user("officer_a").pk, None)
    assert (entry.changes["code"], entry.changes["items"]) == (
        "测试〔2026〕1号",
        [[1, "测试条款一。"], [2, "测试条款二。"]],
    )
    assert [s.code for s in selectors.criteria_in_force(dt.date(2026, 11, 28))] == ["测试〔2026〕1号"]


def test_a_set_overlapping_another_of_its_scope_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        load(world, scope="化工和危险化学品", effective_from=dt.date(2026, 9, 29))
    assert errors_of(exc) == {
        "effective_from": [
            "与同一行业的“安监总管三〔2017〕121号”（2017-11-13 ~ 2026-09-29）有效期重叠：同一行业同一天只能有一套现行标准。"
        ]
    }
    # an open-ended set of the scope: a later one overlaps it too
    load(world, scope="化工和危险化学品", effective_from=dt.date(2026, 9, 30))
    with pytest.raises(ValidationError) as exc:
        load(world, code="测试〔2027〕1号", scope="化工和危险化学品", effective_from=dt.date(2027, 1, 1))
    assert "“测试〔2026〕1号”（2026-09-30 ~ 至今）" in errors_of(exc)["effective_from"][0]
    # ending the open-ended one the day before makes room for the new version
    first = CriteriaSet.objects.get(code="测试〔2026〕1号")
    services.update_criteria_set(
        world.user("officer_a"),
        first,
        code=first.code,
        title=first.title,
        scope=first.scope,
        effective_from=first.effective_from,
        effective_to=dt.date(2026, 12, 31),
        items=[(1, "测试条款一。"), (2, "测试条款二。")],
    )
    second = load(world, code="测试〔2027〕1号", scope="化工和危险化学品", effective_from=dt.date(2027, 1, 1))
    assert [s.code for s in selectors.criteria_in_force(dt.date(2026, 12, 31))] == ["测试〔2026〕1号"]
    assert [s.pk for s in selectors.criteria_in_force(dt.date(2027, 1, 1))] == [second.pk]
    # another scope may share the dates
    assert load(world, code="测试〔2026〕9号", scope="烟花爆竹").scope == "烟花爆竹"


def test_bad_sets_are_refused_field_by_field(world: World) -> None:
    before = CriteriaSet.objects.count()
    with pytest.raises(ValidationError) as exc:
        load(world, code=" ", title="", scope="", effective_from=None, items=[])
    assert errors_of(exc) == {
        "code": ["请填写文号，如“安监总管三〔2017〕121号”。"],
        "title": ["请填写标准名称。"],
        "scope": ["请填写适用行业，如“化工和危险化学品”。"],
        "items": ["请至少录入一条条款。"],
        "effective_from": ["请填写施行日期。"],
    }
    with pytest.raises(ValidationError) as exc:
        load(world, effective_to=dt.date(2025, 12, 31), items=[(1, "甲"), (1, "乙"), (2, " "), (0, "丙")])
    assert errors_of(exc) == {
        "items": ["条款号 1 重复。", "第 2 条没有内容。", "条款号须为 1 ~ 9999 的整数：0。"],
        "effective_to": ["废止日期不能早于施行日期。"],
    }
    with pytest.raises(ValidationError) as exc:
        load(world, code=SHIPPED_2017)
    assert errors_of(exc) == {"code": ["已有文号为“安监总管三〔2017〕121号”的判定标准。"]}
    assert CriteriaSet.objects.count() == before


def test_only_hazards_manage_over_a_whole_site_loads_a_set(world: World) -> None:
    before = CriteriaSet.objects.count()
    for who in ("manager_a1", "worker_a1", "leader_a1"):  # an area's manager grades, but not site-wide
        with pytest.raises(PermissionDenied):
            load(world, who=who)
    assert CriteriaSet.objects.count() == before
    assert [
        selectors.may_load_criteria(world.user(k)) for k in ("officer_a", "ehs", "admin_b", "manager_a1")
    ] == [
        True,
        True,
        True,
        False,
    ]


# --- pasted and uploaded items -------------------------------------------------------------------------
def test_pasted_lines_are_parsed_in_the_usual_forms() -> None:
    text = "1 特种作业人员未持证上岗。\n\n第2条 未制定操作规程和工艺控制指标。\n3、甲\n 4. 乙 \n5：丙"
    assert criteria.parse_lines(text) == [
        (1, "特种作业人员未持证上岗。"),
        (2, "未制定操作规程和工艺控制指标。"),
        (3, "甲"),
        (4, "乙"),
        (5, "丙"),
    ]
    with pytest.raises(ValidationError) as exc:
        criteria.parse_lines("1 甲\n没有条款号")
    assert errors_of(exc) == {"items": ["第 2 行：须以条款号开头，如“1 特种作业人员未持证上岗。”"]}


def xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_uploaded_tables_are_parsed_with_their_header_skipped() -> None:
    content = xlsx([("条款号", "内容"), (1, "甲"), (None, None), ("第2条", "乙"), (3.0, "丙")])
    assert criteria.parse_upload("标准.xlsx", content) == [(1, "甲"), (2, "乙"), (3, "丙")]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["序号", "条款"], ["1", "甲，含逗号"], ["2", "乙"]])
    assert criteria.parse_upload("标准.CSV", buffer.getvalue().encode("gb18030")) == [
        (1, "甲，含逗号"),
        (2, "乙"),
    ]
    with pytest.raises(ValidationError) as exc:
        criteria.parse_upload("标准.xlsx", xlsx([(1, "甲"), ("附注", "乙")]))
    assert errors_of(exc) == {"file": ["第 2 行：第一列须为条款号。"]}
    with pytest.raises(ValidationError) as exc:
        criteria.parse_upload("标准.xlsx", b"not a workbook")
    assert errors_of(exc) == {"file": ["无法读取该 Excel 文件，请另存为 .xlsx 后重试。"]}
    with pytest.raises(ValidationError) as exc:
        criteria.parse_upload("标准.docx", b"x")
    assert errors_of(exc) == {"file": ["请上传 .xlsx 或 .csv 文件。"]}


# --- citing items at grading ---------------------------------------------------------------------------
def test_citing_an_item_makes_the_hazard_major_and_keeps_what_it_said(world: World) -> None:
    hazard = verified_on(world, dt.date(2026, 3, 3))
    graded = grade(world, hazard, grade="general", criteria=[item(15).pk, item(12).pk], note="按判定标准")
    assert (graded.grade, graded.report_upward) == ("major", True)
    expected = [
        {"set_id": shipped().pk, "code": SHIPPED_2017, "number": 12, "text": item(12).text},
        {"set_id": shipped().pk, "code": SHIPPED_2017, "number": 15, "text": ITEM_15},
    ]
    assert Hazard.objects.get(pk=hazard.pk).criteria == expected
    assert sorted(HazardCriterion.objects.filter(hazard=hazard).values_list("item__number", flat=True)) == [
        12,
        15,
    ]
    step = HazardStep.objects.get(hazard=hazard, kind="graded")
    assert (step.data["grade"], step.data["criteria"]) == ("major", expected)
    # a major hazard without an item is the grader's judgement; grading again drops the citations
    regraded = grade(world, hazard, grade="major")
    assert (regraded.grade, regraded.criteria, HazardCriterion.objects.filter(hazard=hazard).count()) == (
        "major",
        [],
        0,
    )


def test_an_item_of_a_set_not_in_force_on_the_hazard_s_day_is_refused(world: World) -> None:
    hazard = verified_on(world, dt.date(2026, 9, 30))  # the 2017 set ended the day before
    with pytest.raises(ValidationError) as exc:
        grade(world, hazard, criteria=[item(15).pk])
    assert errors_of(exc) == {
        "criteria": ["“安监总管三〔2017〕121号”第 15 条不是该隐患发现之日（2026-09-30）现行的判定标准条款。"]
    }
    with pytest.raises(ValidationError) as exc:
        grade(world, hazard, criteria=[999_999])
    assert errors_of(exc) == {"criteria": ["所选判定标准条款不存在。"]}
    stored = Hazard.objects.get(pk=hazard.pk)
    assert (stored.state, stored.grade, stored.criteria) == ("verified", "", [])
    assert not HazardCriterion.objects.exists()
    assert grade(world, hazard, grade="major").grade == "major"  # judgement still works


def test_a_cited_set_is_read_only_but_may_be_ended_after_its_citations(world: World) -> None:
    loaded = load(world)
    hazard = verified_on(world, dt.date(2026, 3, 3))
    grade(world, hazard, criteria=[item(2, loaded).pk])
    officer = world.user("officer_a")
    same = {
        "code": loaded.code,
        "title": loaded.title,
        "scope": loaded.scope,
        "effective_from": loaded.effective_from,
        "items": [(1, "测试条款一。"), (2, "测试条款二。")],
    }
    with pytest.raises(ValidationError) as exc:
        services.update_criteria_set(
            officer, loaded, **{**same, "items": [(1, "测试条款一。"), (2, "改写。")]}
        )
    assert exc.value.messages == [
        "已有 1 条隐患引用该标准，不能修改（否则会改写评估记录），只能设置废止日期；如需更正，请录入新版本。"
    ]
    with pytest.raises(ValidationError) as exc:
        services.update_criteria_set(officer, loaded, **same, effective_to=dt.date(2026, 3, 2))
    assert errors_of(exc) == {"effective_to": ["有隐患在 2026-03-03 引用了该标准，废止日期不能早于该日。"]}
    with pytest.raises(ValidationError) as exc:
        services.delete_criteria_set(officer, loaded)
    assert exc.value.messages == ["已有隐患引用该标准，不能删除。"]
    with pytest.raises(ProtectedError):
        item(2, loaded).delete()
    assert item(2, loaded).text == "测试条款二。"
    ended = services.update_criteria_set(officer, loaded, **same, effective_to=dt.date(2026, 3, 3))
    assert ended.effective_to == dt.date(2026, 3, 3)
    entry = AuditEntry.objects.filter(model="hazards.criteriaset", action="update").get()
    assert entry.changes == {"effective_to": [None, "2026-03-03"]}


def test_a_set_no_hazard_cites_is_corrected_or_deleted(world: World) -> None:
    loaded = load(world)
    officer = world.user("officer_a")
    corrected = services.update_criteria_set(
        officer,
        loaded,
        code=loaded.code,
        title="《测试行业重大事故隐患判定标准（修正）》",
        scope=loaded.scope,
        effective_from=loaded.effective_from,
        items=[(1, "测试条款一。"), (3, "测试条款三。")],
    )
    assert list(corrected.items.values_list("number", "text")) == [(1, "测试条款一。"), (3, "测试条款三。")]
    entry = AuditEntry.objects.filter(model="hazards.criteriaset", action="update").get()
    assert entry.changes["items"] == [
        [[1, "测试条款一。"], [2, "测试条款二。"]],
        [[1, "测试条款一。"], [3, "测试条款三。"]],
    ]
    services.delete_criteria_set(officer, corrected)
    assert not CriteriaSet.objects.filter(pk=loaded.pk).exists()
    assert AuditEntry.objects.filter(model="hazards.criteriaset", action="delete").count() == 1


# --- the API ---------------------------------------------------------------------------------------------
def test_the_api_loads_sets_lists_them_by_date_and_grades_with_items(world: World) -> None:
    officer = as_user(world, "officer_a")
    r = officer.get(f"{API}/criteria?date=2026-03-03")
    assert r.status_code == 200
    (body,) = r.json()
    assert (body["code"], body["cited"], len(body["items"]), body["items"][14]["text"]) == (
        SHIPPED_2017,
        0,
        20,
        ITEM_15,
    )
    assert officer.get(f"{API}/criteria?date=2026-10-01").json() == []
    bad = {
        **criteria_payload(world),
        "scope": "化工和危险化学品",
        "items": [{"number": 1, "text": "甲"}, {"number": 1, "text": "乙"}],
    }
    r = officer.post(f"{API}/criteria", bad)
    assert (r.status_code, r.json()["errors"]) == (400, {"items": ["条款号 1 重复。"]})
    r = officer.post(f"{API}/criteria", criteria_payload(world))
    assert (r.status_code, r.json()["effective_from"], [i["number"] for i in r.json()["items"]]) == (
        201,
        "2026-01-01",
        [1, 2],
    )

    hazard = verified_on(world, dt.date(2026, 3, 3))
    r = officer.post(
        f"{API}/{hazard.pk}/grade",
        {"manage_type": "deadline", "lec_l": 3, "lec_e": 6, "lec_c": 7, "criteria": [item(15).pk]},
    )
    assert r.status_code == 200
    assert (r.json()["grade"], r.json()["criteria"]) == (
        "major",
        [{"set_id": shipped().pk, "code": SHIPPED_2017, "number": 15, "text": ITEM_15}],
    )
    graded_step = next(s for s in r.json()["steps"] if s["kind"] == "graded")
    assert graded_step["data"]["criteria"][0]["number"] == 15
    r = officer.get(f"{API}/criteria/{shipped().pk}")
    assert r.json()["cited"] == 1

    late = verified_on(world, dt.date(2026, 10, 8))
    r = officer.post(
        f"{API}/{late.pk}/grade",
        {"manage_type": "deadline", "lec_l": 3, "lec_e": 6, "lec_c": 7, "criteria": [item(15).pk]},
    )
    assert (r.status_code, r.json()["errors"]) == (
        400,
        {
            "criteria": [
                "“安监总管三〔2017〕121号”第 15 条不是该隐患发现之日（2026-10-08）现行的判定标准条款。"
            ]
        },
    )
    r = officer.post(
        f"{API}/{late.pk}/grade", {"manage_type": "deadline", "lec_l": 3, "lec_e": 6, "lec_c": 7}
    )
    assert (r.status_code, r.json()["errors"]) == (400, {"grade": ["请选择隐患等级。"]})


# --- the pages --------------------------------------------------------------------------------------------
def test_the_grade_form_offers_the_items_in_force_and_the_detail_shows_them(world: World) -> None:
    hazard = verified_on(world, dt.date(2026, 3, 3))
    officer = world.client("officer_a")
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'id="hz-criteria-cite"' in page and NOT_IN_FORCE_NOTICE not in page
    assert f'value="{item(15).pk}"' in page and f"15. {ITEM_15}" in page
    r = officer.post(
        f"/hazards/{hazard.pk}/grade/",
        {"grade-grade": "general", "grade-manage_type": "deadline", "grade-lec_l": "3", "grade-lec_e": "6",
         "grade-lec_c": "7", "grade-criteria": [str(item(15).pk)], "grade-note": ""},
    )  # fmt: skip
    assert (r.status_code, r["Location"]) == (302, f"/hazards/{hazard.pk}/")
    assert Hazard.objects.get(pk=hazard.pk).grade == "major"
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert f"安监总管三〔2017〕121号 第 15 条</span>：{ITEM_15}" in page  # the hazard's information
    assert "判定依据：安监总管三〔2017〕121号 第 15 条" in page  # the timeline
    assert f'value="{item(15).pk}" class="form-check-input" id="id_grade-criteria_0_14" checked' in page


def test_without_a_set_in_force_the_grade_form_says_so_and_links_to_loading_one(world: World) -> None:
    hazard = verified_on(world, dt.date(2026, 10, 8))
    page = world.client("officer_a").get(f"/hazards/{hazard.pk}/").content.decode()
    assert "该隐患发现之日（2026-10-08）没有现行的重大事故隐患判定标准。" + NOT_IN_FORCE_NOTICE in page
    assert 'id="hz-criteria-load"' in page and 'id="hz-criteria-cite"' not in page
    page = world.client("manager_a1").get(f"/hazards/{hazard.pk}/").content.decode()
    assert NOT_IN_FORCE_NOTICE in page and 'id="hz-criteria-load"' not in page  # may not load one
    r = world.client("officer_a").post(
        f"/hazards/{hazard.pk}/grade/",
        {"grade-grade": "major", "grade-manage_type": "deadline", "grade-lec_l": "3", "grade-lec_e": "6",
         "grade-lec_c": "7", "grade-note": ""},
    )  # fmt: skip
    assert r.status_code == 302 and Hazard.objects.get(pk=hazard.pk).grade == "major"


def test_the_criteria_pages_list_load_and_protect_sets(world: World) -> None:
    officer, manager = world.client("officer_a"), world.client("manager_a1")
    assert world.client("worker_a1").get("/hazards/criteria/").status_code == 403
    page = manager.get("/hazards/criteria/").content.decode()
    assert SHIPPED_2017 in page and 'id="hz-criteria-new"' not in page
    assert manager.get("/hazards/criteria/new/").status_code == 403
    page = officer.get("/hazards/criteria/").content.decode()
    assert (
        'id="hz-criteria-new"' in page
        and "现行判定标准未录入：请录入 AQ 3067—2026（2026-09-30 起施行）。" in page
    )

    form = {"code": "测试〔2026〕1号", "title": "《测试》", "scope": "化工和危险化学品", "effective_from": "2026-09-01",
            "effective_to": "", "items": "1 测试条款一。\n2 测试条款二。"}  # fmt: skip
    r = officer.post("/hazards/criteria/new/", form)
    assert r.status_code == 400 and "有效期重叠" in r.content.decode()
    r = officer.post("/hazards/criteria/new/", {**form, "items": "1 甲\n乙"})
    assert r.status_code == 400 and "第 2 行：须以条款号开头" in r.content.decode()
    r = officer.post("/hazards/criteria/new/", {**form, "effective_from": "2026-09-30"})
    created = CriteriaSet.objects.get(code="测试〔2026〕1号")
    assert (r.status_code, r["Location"]) == (302, f"/hazards/criteria/{created.pk}/")
    assert list(created.items.values_list("number", "text")) == [(1, "测试条款一。"), (2, "测试条款二。")]
    upload = SimpleUploadedFile("标准.xlsx", xlsx([("条款号", "内容"), (1, "上传一"), (2, "上传二")]))
    r = officer.post(
        "/hazards/criteria/new/",
        {**form, "code": "测试〔2026〕2号", "scope": "烟花爆竹", "items": "", "file": upload},
    )
    assert r.status_code == 302
    assert list(CriteriaSet.objects.get(code="测试〔2026〕2号").items.values_list("text", flat=True)) == [
        "上传一",
        "上传二",
    ]

    # cited: the edit page only sets the last day
    hazard = verified_on(world, dt.date(2026, 3, 3))
    grade(world, hazard, criteria=[item(15).pk])
    page = officer.get(f"/hazards/criteria/{shipped().pk}/").content.decode()
    assert "设置废止日期" in page and 'id="hz-criteria-delete"' not in page
    page = officer.get(f"/hazards/criteria/{shipped().pk}/edit/").content.decode()
    assert 'id="hz-criteria-readonly"' in page
    r = officer.post(
        f"/hazards/criteria/{shipped().pk}/edit/", {"effective_to": "2026-03-02", "title": "改写"}
    )
    assert r.status_code == 400 and "有隐患在 2026-03-03 引用了该标准" in r.content.decode()
    assert shipped().title == "《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》"
    r = officer.post(f"/hazards/criteria/{created.pk}/delete/")
    assert r.status_code == 302 and not CriteriaSet.objects.filter(pk=created.pk).exists()
    assert manager.post(f"/hazards/criteria/{shipped().pk}/delete/").status_code == 403


# --- the Excel register ----------------------------------------------------------------------------------
def test_the_register_has_a_column_of_the_cited_items(world: World) -> None:
    cited = grade(world, verified_on(world, dt.date(2026, 3, 3)), criteria=[item(15).pk, item(2).pk])
    plain = grade(world, verified_on(world, dt.date(2026, 3, 4)))
    sheet = load_workbook(io.BytesIO(reports.register_workbook([cited, plain]))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    column = header.index("重大隐患判定依据")
    assert [row[column].value for row in sheet.iter_rows(min_row=2)] == [
        "安监总管三〔2017〕121号 第 2 条；安监总管三〔2017〕121号 第 15 条",
        None,
    ]
