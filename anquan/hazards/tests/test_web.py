"""The hazard pages: register, report form, detail with the step forms, metrics, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from anquan.conftest import World
from anquan.hazards import services
from anquan.hazards.models import Hazard
from anquan.hazards.tests.permissions import LEC, png, reported, standing_alarm
from anquan.web.views import offline_pages
from anquan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_the_menu_shows_hazards_to_reporters(world: World) -> None:
    for key in ("worker_a1", "contractor_a", "officer_a"):
        page = world.client(key).get("/").content.decode()
        assert 'href="/hazards/"' in page, key


def test_the_report_page_is_set_up_for_the_outbox(world: World) -> None:
    client = world.client("worker_a1")
    page = client.get("/hazards/new/?equipment=T-101")
    assert page.status_code == 200
    assert page.context["form"].initial == {"equipment_id": world.equipment["T-101"].pk}
    html = page.content.decode()
    assert 'action="/api/v1/hazards/"' in html and "data-outbox " in html
    assert 'data-outbox-done="/hazards/{id}/"' in html
    assert 'name="equipment_id"' in html and 'name="area_id"' in html
    assert "/hazards/new/" in offline_pages()
    assert client.post("/hazards/new/", {"description": "x"}).status_code == 405  # reports go through the API


def test_a_worker_reports_as_the_page_does_and_follows_it(world: World) -> None:
    client = world.client("worker_a1")
    uid = "0b7d3f52-5a55-4b3a-9f0e-2f1d3c4b5a69"
    data = {
        "equipment_id": world.equipment["T-101"].pk,
        "description": "罐顶人孔螺栓缺失",
        "category": "equipment",
        "source": "daily",
        "client_uid": uid,
        "files": [png()],
    }
    r = client.post("/api/v1/hazards/", data)
    hazard = Hazard.objects.get()
    assert r.status_code == 201 and r.json()["id"] == hazard.pk
    data["files"] = [png()]
    again = client.post("/api/v1/hazards/", data)  # the answer was lost: the outbox sends again
    assert again.status_code == 200 and again.json()["id"] == hazard.pk
    assert Hazard.objects.count() == 1
    listing = client.get("/hazards/").content.decode()
    assert hazard.number in listing and "我的隐患" in listing and "导出 Excel" not in listing
    detail = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert "罐顶人孔螺栓缺失" in detail and 'id="hz-no-action"' in detail
    assert 'id="hz-form-verify"' not in detail
    # another worker neither lists nor opens it
    other = world.client("worker_a2")
    assert hazard.number not in other.get("/hazards/").content.decode()
    assert other.get(f"/hazards/{hazard.pk}/").status_code == 404


def test_the_officer_takes_the_steps_on_the_detail_page(world: World) -> None:
    w = world
    hazard = reported(w)
    officer = w.client("officer_a")
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert (
        'id="hz-form-verify"' in page and 'id="hz-form-reject"' in page and 'id="hz-form-grade"' not in page
    )
    r = officer.post(f"/hazards/{hazard.pk}/verify/", {"verify-note": "属实"})
    assert r.status_code == 302
    r = officer.post(
        f"/hazards/{hazard.pk}/grade/",
        {
            "grade-grade": "general",
            "grade-manage_type": "deadline",
            "grade-lec_l": "3",
            "grade-lec_e": "6",
            "grade-lec_c": "15",
        },
    )
    hazard.refresh_from_db()
    assert (r.status_code, hazard.state, hazard.lec_d, hazard.risk_colour) == (302, "graded", 270.0, "orange")
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = officer.post(
        f"/hazards/{hazard.pk}/assign/",
        {
            "assign-responsible": w.user("leader_a1").pk,
            "assign-measures": "更换呼吸阀",
            "assign-deadline": deadline,
        },
    )
    assert r.status_code == 302
    leader = w.client("leader_a1")
    page = leader.get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'id="hz-form-rectify"' in page
    r = leader.post(f"/hazards/{hazard.pk}/rectify/", {"rectify-note": "已更换"})
    assert r.status_code == 400 and "请上传整改后的照片作为证据。" in r.content.decode()
    r = leader.post(f"/hazards/{hazard.pk}/rectify/", {"rectify-note": "已更换", "rectify-files": [png()]})
    assert r.status_code == 302
    assert leader.post(f"/hazards/{hazard.pk}/accept/", {"accept-passed": "1"}).status_code == 403
    r = officer.post(f"/hazards/{hazard.pk}/accept/", {"accept-passed": "1", "accept-note": "合格"})
    assert r.status_code == 302
    r = officer.post(f"/hazards/{hazard.pk}/close/", {"close-note": ""})
    hazard.refresh_from_db()
    assert (r.status_code, hazard.state) == (302, "closed")
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert "已销号，闭环完成。" in page and 'id="hz-national"' in page


def test_a_worker_cannot_take_a_managers_step(world: World) -> None:
    hazard = reported(world)
    r = world.client("worker_a1").post(f"/hazards/{hazard.pk}/verify/", {"verify-note": ""})
    assert r.status_code == 403
    hazard.refresh_from_db()
    assert hazard.state == "reported"
    assert world.client("officer_a").post(f"/hazards/{hazard.pk}/nonsense/").status_code == 404


def test_the_duplicate_candidates_show_on_the_detail(world: World) -> None:
    first = reported(world)
    second = reported(world)
    page = world.client("officer_a").get(f"/hazards/{second.pk}/").content.decode()
    assert 'id="hz-candidates"' in page and first.number in page and "同一设备" in page


def test_metrics_page_and_export(world: World) -> None:
    reported(world)
    officer = world.client("officer_a")
    page = officer.get("/hazards/metrics/?days=7")
    assert page.status_code == 200
    assert page.context["m"].reported == 1 and 'id="hz-trend"' in page.content.decode()
    assert world.client("worker_a1").get("/hazards/metrics/").status_code == 403
    r = officer.get("/hazards/export.xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == Hazard.objects.get().number
    assert world.client("worker_a1").get("/hazards/export.xlsx").status_code == 403


def test_an_alarm_is_turned_into_a_hazard_on_its_page(world: World) -> None:
    occurrence = standing_alarm(world)
    client = world.client("operator_a")
    page = client.get(f"/hazards/from-alarm/{occurrence.pk}/").content.decode()
    assert "持续超过 24 小时未恢复" in page
    r = client.post(f"/hazards/from-alarm/{occurrence.pk}/", {"description": ""})
    hazard = Hazard.objects.get()
    assert (r.status_code, hazard.source, hazard.alarm_occurrence_id) == (
        302,
        "control_failed",
        occurrence.pk,
    )
    assert world.client("contractor_a").get(f"/hazards/from-alarm/{occurrence.pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(world: World) -> None:
    r = world.client(None).get("/hazards/")
    assert r.status_code == 302 and "login" in r["Location"]
    assert services.MAX_FILES == 9


def test_the_back_office_shows_hazards_read_only(world: World) -> None:
    hazard = reported(world)
    root = world.client("root")
    assert hazard.number in root.get("/admin/hazards/hazard/").content.decode()
    page = root.get(f"/admin/hazards/hazard/{hazard.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert root.post(f"/admin/hazards/hazard/{hazard.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Hazard.objects.filter(pk=hazard.pk).exists()


def test_equipment_labels_open_the_report_page_with_the_equipment(world: World) -> None:
    officer = world.client("officer_a")
    assert 'href="/hazards/labels/"' in officer.get("/hazards/").content.decode()
    page = officer.get(f"/hazards/labels/?area={world.area_a1.pk}")
    assert page.status_code == 200
    assert page.context["area"] == world.area_a1
    assert [(row["equipment"].code, row["url"]) for row in page.context["sheet"]] == [
        ("T-101", "http://testserver/hazards/new/?equipment=T-101")
    ]
    assert page.context["sheet"][0]["svg"].startswith("<svg")
    # the west site's area is not offered to the east officer; a worker may not print labels
    assert world.area_b1 not in list(page.context["areas"])
    assert world.client("worker_a1").get("/hazards/labels/").status_code == 403


def test_the_rectification_goes_to_the_responsible_person_as_a_work_order(world: World) -> None:
    w = world
    hazard = reported(w)
    officer = w.client("officer_a")
    assert officer.get(f"/hazards/{hazard.pk}/").context["may_open_work_order"] is False  # not assigned yet
    refused = officer.post(f"/hazards/{hazard.pk}/work-order/", {})
    assert refused.status_code == 400 and WorkOrder.objects.count() == 0
    services.verify(w.user("officer_a"), hazard)
    services.grade(w.user("officer_a"), hazard, grade="general", manage_type="immediate", **LEC["yellow"])
    services.assign(
        w.user("officer_a"), hazard, responsible=w.user("leader_a1"), measures="更换呼吸阀垫片",
        deadline=timezone.now() + dt.timedelta(days=1),
    )  # fmt: skip

    r = officer.post(f"/hazards/{hazard.pk}/work-order/", {"title": "", "priority": "", "description": ""})

    assert r.status_code == 302 and r["Location"] == f"/hazards/{hazard.pk}/#hz-work-orders"
    order = WorkOrder.objects.get()
    assert (order.origin_kind, order.origin_id, order.origin_url) == (
        "hazard",
        hazard.pk,
        f"/hazards/{hazard.pk}/",
    )
    assert (order.assignee, order.priority, order.description) == (
        w.user("leader_a1"),
        "high",
        "更换呼吸阀垫片",
    )
    assert order.title == f"隐患整改：{hazard.number}"
    assert list(order.watchers.all()) == [w.user("worker_a1")]
    assert officer.get(f"/hazards/{hazard.pk}/").context["work_orders"] == [order]
    # the rectifier works it, but does not dispatch work orders on hazards
    assert w.client("worker_a1").post(f"/hazards/{hazard.pk}/work-order/", {}).status_code == 403
