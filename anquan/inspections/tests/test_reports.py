"""The daily health report: built at the site's time, once; its figures; the PDF; the subscribers."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from PIL import ImageFile
from pypdf import PdfReader

from anquan.conftest import World
from anquan.hazards import services as hazards
from anquan.inspections import assistant, reports, services
from anquan.inspections.choices import SignalKind
from anquan.inspections.models import DailyReport
from anquan.inspections.tests.conftest import SHANGHAI, Setup
from anquan.monitoring import services as monitoring
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.notifications.models import Notification


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def a_day_at_the_tank_farm(world: World, setup: Setup) -> None:
    """Tuesday 24 November: the round is missed, T-101 runs hot, TI-101 alarms, a worker reports a
    hazard at the tank."""
    services.generate_rounds(at(24, 9))
    services.flag_overdue(at(24, 11))
    tank = world.equipment["T-101"]
    assistant.ingest_signals(
        None,
        [{"equipment": tank, "kind": SignalKind.THERMAL, "taken_at": at(24, 11),
          "data": {"max_c": 58.0, "mean_c": 35.0, "reference_c": 38.0}}],
    )  # fmt: skip
    assistant.assess_equipment(tank, at(24, 12))  # ΔT 20 K: 70, 关注
    monitoring.sync_limit_rules(world.tags["TI-101"])
    AlarmProcessor().process([(world.tags["TI-101"].pk, int(at(24, 10).timestamp() * 1000), 45.0)])
    hazards.report_hazard(
        world.user("worker_a1"), equipment=tank, description="罐顶呼吸阀锈蚀", now=at(24, 14)
    )


def test_reports_are_built_at_the_site_s_time_once(world: World, setup: Setup) -> None:
    reports.configure(world.user("admin_b"), world.site_b, send_at=dt.time(9, 0), subscribers=[])
    assert reports.build_due(at(25, 7, 29)) == []
    built = reports.build_due(at(25, 7, 31))
    assert [(r.site, r.date) for r in built] == [(world.site_a, dt.date(2026, 11, 24))]
    assert reports.build_due(at(25, 8)) == []
    assert [r.site for r in reports.build_due(at(25, 9))] == [world.site_b]
    assert DailyReport.objects.count() == 2


def test_the_report_holds_the_day_s_figures(world: World, setup: Setup) -> None:
    a_day_at_the_tank_farm(world, setup)
    report, new = reports.build_report(world.site_a, dt.date(2026, 11, 24), at(25, 7, 30))
    assert new is True
    c = report.content
    assert (c["site"], c["date"], c["built_at"]) == ("东区储运园区", "2026-11-24", "2026-11-25 07:30")
    assert c["assets"]["counts"] == [
        {"band": "normal", "label": "正常", "count": 0},
        {"band": "watch", "label": "关注", "count": 1},
        {"band": "maintain", "label": "安排检修", "count": 0},
        {"band": "act_now", "label": "立即处置", "count": 0},
    ]
    assert [(a["code"], a["score"], a["action"]) for a in c["assets"]["items"]] == [
        ("T-101", 70, "关注：加密巡检，跟踪趋势")
    ]
    assert c["inspections"] == {"due": 1, "completed": 0, "missed": 1, "late": 0}
    assert c["alarms"] | {"by_priority": None} == {
        "total": 1, "by_priority": None, "unacknowledged": 1, "per_hour": 0.04, "per_10min": 0.01,
        "peak_10min": 1, "rate_grade": "可接受", "standing": 0,
    }  # fmt: skip
    assert c["work_orders"] == {"open": 0, "overdue": 0, "opened": 0}
    assert c["hazards"] == {
        "open": 1,
        "overdue": 0,
        "reported": 1,
        "closed": 0,
        "major": 0,
        "by_colour": [
            {"colour": "红（重大风险）", "count": 0},
            {"colour": "橙（较大风险）", "count": 0},
            {"colour": "黄（一般风险）", "count": 0},
            {"colour": "蓝（低风险）", "count": 0},
        ],
    }  # fmt: skip  (reported, not yet graded: no colour)
    assert (
        c["anomalies"]["ai_alert_count"],
        c["anomalies"]["failed_count"],
        c["anomalies"]["low_health"],
    ) == (0, 0, 0)
    again, new = reports.build_report(world.site_a, dt.date(2026, 11, 24), at(25, 8))
    assert (again.pk, new) == (report.pk, False)


def test_the_pdf_embeds_chinese_text_and_the_figures(world: World, setup: Setup) -> None:
    a_day_at_the_tank_farm(world, setup)
    report, _ = reports.build_report(world.site_a, dt.date(2026, 11, 24), at(25, 7, 30))
    pdf = reports.render_pdf(report)
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "东区储运园区",
        "设备健康日报",
        "2026-11-24",
        "T-101",
        "1号汽油储罐",
        "关注：加密巡检，跟踪趋势",
    ):
        assert expected in text, expected
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any(f.endswith("+Noto-Sans-CJK-SC") for f in fonts), fonts  # embedded (a subset)
    # and rendering a PDF leaves Pillow strict: a photo cut off in upload is still refused
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_subscribers_are_told_with_a_link(
    world: World, setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    reports.configure(
        world.user("officer_a"),
        world.site_a,
        send_at=dt.time(7, 30),
        subscribers=[world.user("ehs"), world.user("officer_a")],
    )
    with pytest.raises(ValidationError) as exc:
        reports.configure(
            world.user("officer_a"),
            world.site_a,
            send_at=dt.time(7, 30),
            subscribers=[world.user("worker_a1")],
        )
    assert exc.value.message_dict == {"subscribers": ["以下人员无权查看本场所的日报：员工甲。"]}
    with django_capture_on_commit_callbacks(execute=True):
        (report,) = [r for r in reports.build_due(at(25, 7, 30)) if r.site == world.site_a]
    notes = Notification.objects.filter(title__startswith="设备健康日报").order_by("recipient__username")
    assert [(n.recipient.username, n.title, n.link) for n in notes] == [
        ("ehs", "设备健康日报：东区储运园区 2026-11-24", f"/inspections/reports/{report.pk}/"),
        ("officer_a", "设备健康日报：东区储运园区 2026-11-24", f"/inspections/reports/{report.pk}/"),
    ]
