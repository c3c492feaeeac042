"""Hazard metrics and the Excel register export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from anquan.conftest import World
from anquan.hazards import reports, selectors, services
from anquan.hazards.models import Hazard
from anquan.hazards.tests.permissions import LEC, png


def _closed(
    w: World, *, hours: float, area: Any, responsible: str, grade: str = "general", late: bool = False
) -> Hazard:
    """A hazard reported ``hours`` before it is closed now; rectified after its deadline if ``late``."""
    officer = w.user("officer_a")
    now = timezone.now()
    reporter = "worker_a1" if area == w.area_a1 else "worker_a2"
    hazard, _c = services.report_hazard(
        w.user(reporter), area=area, description=f"隐患 {hours}", now=now - dt.timedelta(hours=hours)
    )
    services.verify(officer, hazard)
    colour = "red" if grade == "major" else "yellow"
    services.grade(officer, hazard, grade=grade, manage_type="deadline", **LEC[colour])
    if grade == "major":
        services.submit_plan(
            officer,
            hazard,
            goal="a",
            methods="b",
            funds_materials="c",
            organisation="d",
            time_limit="e",
            safety_emergency="f",
        )
        services.approve_plan(w.user("ehs"), hazard)
    deadline = now + dt.timedelta(minutes=10)
    services.assign(
        officer,
        hazard,
        responsible=w.user(responsible),
        measures="处理",
        deadline=deadline,
        now=now - dt.timedelta(hours=hours),
    )
    services.rectify(w.user(responsible), hazard, note="完成", files=[png()])
    if late:
        Hazard.objects.filter(pk=hazard.pk).update(deadline=now - dt.timedelta(hours=1))
    services.accept(officer, hazard, passed=True)
    services.close(officer, hazard)
    return hazard


@pytest.mark.django_db
def test_metrics_figures(world: World) -> None:
    w = world
    _closed(w, hours=10, area=w.area_a1, responsible="leader_a1")
    _closed(w, hours=20, area=w.area_a1, responsible="leader_a1", late=True)
    _closed(w, hours=40, area=w.area_a2, responsible="worker_a2", grade="major")
    # open ones: one overdue (yellow), one just reported (ungraded), one graded red
    officer = w.user("officer_a")
    overdue, _c = services.report_hazard(w.user("worker_a1"), area=w.area_a1, description="栏杆松动")
    services.verify(officer, overdue)
    services.grade(officer, overdue, grade="general", manage_type="deadline", **LEC["yellow"])
    services.assign(
        officer,
        overdue,
        responsible=w.user("leader_a1"),
        measures="加固",
        deadline=timezone.now() + dt.timedelta(hours=1),
    )
    Hazard.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - dt.timedelta(hours=2))
    services.report_hazard(w.user("worker_a1"), area=w.area_a1, description="标识缺失")
    red, _c = services.report_hazard(w.user("worker_a1"), area=w.area_a1, description="可燃气体检测仪失效")
    services.verify(officer, red)
    services.grade(officer, red, grade="general", manage_type="immediate", **LEC["red"])
    # west: outside the east officer's register
    services.report_hazard(w.user("worker_b1"), area=w.area_b1, description="西区")

    start, end = reports.window(30)
    m = reports.metrics(selectors.register(officer), start=start, end=end)
    assert (m.reported, m.closed, m.open_total, m.overdue) == (6, 3, 3, 1)
    assert (m.closure.count, m.closure.median_h, m.closure.p90_h) == (3, 20.0, 36.0)
    assert [(c.label, c.count, c.median_h, c.p90_h) for c in m.closure_by_area] == [
        ("泵房", 1, 40.0, 40.0),
        ("罐区", 2, 15.0, 19.0),
    ]
    assert [(c.label, c.count) for c in m.closure_by_team] == [("泵房二班", 1), ("罐区一班", 2)]
    assert [(c.label, c.count, c.median_h) for c in m.closure_by_grade] == [
        ("一般隐患", 2, 15.0),
        ("重大隐患", 1, 40.0),
    ]
    assert (m.rectified, m.on_time, m.on_time_rate) == (3, 2, 0.6667)
    assert m.open_by_colour == {"red": 1, "orange": 0, "yellow": 1, "blue": 0, "": 1}
    assert len(m.days) == 30 and m.days[-1] == timezone.localdate().isoformat()
    assert sum(m.reported_by_day) == 6 and sum(m.closed_by_day) == 3
    assert m.closed_by_day[-1] == 3

    west = reports.metrics(selectors.register(w.user("admin_b")), start=start, end=end)
    assert (west.reported, west.closed, west.open_total) == (1, 0, 1)


def test_percentile_interpolates() -> None:
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([10.0], 0.9) == 10.0
    assert reports.percentile([10.0, 20.0, 40.0], 0.5) == 20.0
    assert reports.percentile([10.0, 20.0, 40.0], 0.9) == pytest.approx(36.0)


@pytest.mark.django_db
def test_the_register_exports_to_excel(world: World) -> None:
    w = world
    closed = _closed(w, hours=5, area=w.area_a1, responsible="leader_a1")
    fresh, _c = services.report_hazard(
        w.user("worker_a1"), equipment=w.equipment["T-101"], description="罐顶人孔螺栓缺失"
    )
    content = reports.register_workbook(selectors.register(w.user("officer_a")).order_by("reported_at", "pk"))
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("隐患编号", "场所", "区域", "设备", "隐患描述")
    assert header[-5:] == (
        "国家接口-隐患级别",
        "国家接口-治理类型",
        "国家接口-隐患状态",
        "国家接口-隐患来源",
        "国家接口-隐患类型",
    )
    assert len(rows) == 3
    first = dict(zip(header, rows[1], strict=True))
    assert (first["隐患编号"], first["状态"], first["隐患等级"], first["风险颜色"]) == (
        closed.number,
        "已销号",
        "一般隐患",
        "黄（一般风险）",
    )
    assert (
        first["整改责任人"],
        first["整改措施"],
        first["国家接口-隐患级别"],
        first["国家接口-隐患状态"],
    ) == (
        "班长甲",
        "处理",
        "0",
        "9",
    )
    assert isinstance(first["上报时间"], dt.datetime)
    second = dict(zip(header, rows[2], strict=True))
    assert (second["隐患编号"], second["设备"], second["状态"], second["国家接口-隐患状态"]) == (
        fresh.number,
        "T-101 1号汽油储罐",
        "待核实",
        None,
    )
    assert (second["隐患类型"], second["国家接口-隐患来源"], second["国家接口-隐患类型"]) == (
        "其他",
        "1",
        "8",
    )
