"""The inspections pages: a round walked on the phone page, the QR sheet, health and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anquan.conftest import World, signed_in_page
from anquan.inspections import assistant, reports, selectors, services
from anquan.inspections.choices import RoundStatus
from anquan.inspections.models import CheckIn, ItemResult, Plan, Route
from anquan.inspections.tests.conftest import SHANGHAI, WEDNESDAY_9, Setup, photo


def test_a_worker_walks_a_round_on_the_phone_page(world: World, setup: Setup) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    client = world.client("worker_a1")
    page = client.get("/inspections/")
    assert page.status_code == 200 and "罐区白班巡检" in page.content.decode()
    url = f"/inspections/rounds/{made.pk}/"
    assert setup.tank.code not in client.get(url).content.decode()  # the code is scanned, never shown

    refused = client.post(f"{url}checkin/", {"code": "NOTACODE"}, follow=True)
    assert "点位码无效：没有这个巡检点。" in refused.content.decode()
    client.post(f"{url}checkin/", {"code": setup.tank.code})
    client.post(f"{url}items/{setup.temperature.pk}/", {"value": "41.5", "note": "偏高"})
    client.post(f"{url}checkin/", {"code": setup.dike.code})
    missing_photo = client.post(f"{url}items/{setup.leak.pk}/", {"ok": "1"}, follow=True)
    assert "此检查项须拍照。" in missing_photo.content.decode()
    client.post(f"{url}items/{setup.leak.pk}/", {"ok": "1", "photos": photo()})
    done = client.post(f"{url}finish/", follow=True)
    assert "巡检已完成" in done.content.decode()
    made.refresh_from_db()
    assert made.status == RoundStatus.COMPLETED
    assert CheckIn.objects.filter(round=made).count() == 2
    assert [(r.item.name, r.value, r.outcome, r.note) for r in ItemResult.objects.filter(round=made)] == [
        ("罐壁温度", 41.5, "fail", "偏高"),
        ("防火堤无渗漏", None, "pass", ""),
    ]


def test_pages_are_refused_without_the_capability_and_out_of_scope(world: World, setup: Setup) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    assert world.client("contractor_a").get("/inspections/").status_code == 403
    assert world.client("worker_a2").get(f"/inspections/rounds/{made.pk}/").status_code == 404
    assert (
        world.client("worker_a2").post(f"/inspections/rounds/{made.pk}/checkin/", {"code": "X"}).status_code
        == 404
    )
    assert world.client("worker_a1").get(f"/inspections/routes/{setup.route.pk}/codes/").status_code == 403
    assert world.client(None).get("/inspections/").status_code == 302


def test_planners_build_routes_and_plans_on_the_pages(world: World) -> None:
    client = world.client("officer_a")
    client.post("/inspections/routes/new/", {"name": "泵房巡检", "area": world.area_a2.pk})
    route = Route.objects.get(name="泵房巡检")
    client.post(
        f"/inspections/routes/{route.pk}/checkpoints/",
        {"name": "1号泵", "equipment": world.equipment["P-201"].pk},
    )
    (checkpoint,) = route.checkpoints.all()
    client.post(
        f"/inspections/routes/{route.pk}/checkpoints/{checkpoint.pk}/items/",
        {
            "name": "出口压力",
            "kind": "reading",
            "low": "0.2",
            "high": "1.6",
            "unit": "MPa",
            "on_fail": "work_order",
        },
    )
    client.post(
        "/inspections/plans/new/",
        {"name": "泵房巡检（工作日）", "route": route.pk, "team": world.team_a2.pk, "cycle": "hour",
         "day_rule": "working_days", "start_time": "08:00", "window_minutes": "30"},
    )  # fmt: skip
    plan = Plan.objects.get()
    assert (plan.route, plan.team, plan.cycle, plan.day_rule, plan.window_minutes) == (
        route, world.team_a2, "hour", "working_days", 30,
    )  # fmt: skip
    item = checkpoint.items.get()
    assert (item.kind, item.low, item.high, item.unit, item.on_fail) == (
        "reading",
        0.2,
        1.6,
        "MPa",
        "work_order",
    )
    sheet = client.get(f"/inspections/routes/{route.pk}/codes/").content.decode()
    assert checkpoint.code in sheet and "<svg" in sheet
    assert "泵房巡检（工作日）" in client.get("/inspections/plans/").content.decode()


def test_health_and_report_pages(world: World, setup: Setup) -> None:
    assistant.assess_equipment(world.equipment["T-101"])
    report, _ = reports.build_report(
        world.site_a, dt.date(2026, 11, 24), dt.datetime(2026, 11, 25, 7, 30, tzinfo=SHANGHAI)
    )
    client = world.client("officer_a")
    health = client.get(f"/inspections/health/?site={world.site_a.pk}").content.decode()
    assert "T-101" in health and "正常" in health
    detail = client.get(f"/inspections/health/equipment/{world.equipment['T-101'].pk}/").content.decode()
    assert 'id="health-score">100<' in detail
    assert "设备健康日报" in client.get(f"/inspections/reports/{report.pk}/").content.decode()
    pdf = client.get(f"/inspections/reports/{report.pk}/pdf/")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    # The download is the stored file the subscribers are sent, rendered once.
    assert client.get(f"/inspections/reports/{report.pk}/pdf/").content == pdf.content
    assert reports.pdf_bytes(report) == pdf.content
    assert world.client("admin_b").get(f"/inspections/reports/{report.pk}/").status_code == 404
    assert world.client("worker_a1").get("/inspections/health/").status_code == 403


def test_the_round_page_fits_a_phone(world: World, setup: Setup, browser: Any, live_server: Any) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    services.check_in(world.user("worker_a1"), made, setup.tank.code)
    page = signed_in_page(browser, live_server, world.user("worker_a1"))
    page.goto(f"{live_server.url}/inspections/rounds/{made.pk}/")
    assert page.locator(f"#code-{setup.dike.pk}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill(f"#code-{setup.dike.pk}", setup.dike.code)
    page.click(f"#cp-{setup.dike.pk} button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(f"#cp-{setup.dike.pk} .badge.text-bg-success").count() == 1


def test_missed_rounds_are_flagged_in_the_list(world: World, setup: Setup) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    services.flag_overdue(dt.datetime(2026, 11, 25, 10, 1, tzinfo=SHANGHAI))
    page = world.client("leader_a1").get("/inspections/?tab=flagged").content.decode()
    assert f'href="/inspections/rounds/{made.pk}/"' in page and "漏检" in page
    todo = world.client("worker_a1").get("/inspections/?tab=todo").content.decode()
    assert f'href="/inspections/rounds/{made.pk}/"' not in todo


def test_report_settings_page(world: World) -> None:
    client = world.client("officer_a")
    url = f"/inspections/reports/settings/{world.site_a.pk}/"
    page = client.get(url).content.decode()
    assert 'value="07:30"' in page and "总监" in page and "员工甲" not in page
    client.post(url, {"send_at": "06:45", "subscribers": [world.user("ehs").pk]})
    saved = selectors.report_setting(world.site_a.pk)
    assert saved is not None
    assert (saved.send_at, list(saved.subscribers.all())) == (dt.time(6, 45), [world.user("ehs")])
    assert world.client("admin_b").get(url).status_code == 404
    assert world.client("worker_a1").get(url).status_code == 403
