"""Hazard metrics (closure times, on-time rate, overdue, open by colour, trends) and the register
export to Excel. Both take a queryset the caller has already scoped with ``selectors``."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from anquan.hazards.choices import FINAL_STATES, HazardGrade, HazardState, RiskColour
from anquan.hazards.criteria import cited_text
from anquan.hazards.grading import national_codes
from anquan.hazards.models import Hazard

DEFAULT_DAYS = 30
MAX_DAYS = 366


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0…1) with linear interpolation between ranks (None: no values)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Closure:
    """Closure times (reported → closed), in hours."""

    label: str
    count: int
    median_h: float | None
    p90_h: float | None


def _closure(label: str, hours: list[float]) -> Closure:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return Closure(label, len(hours), rounded(percentile(hours, 0.5)), rounded(percentile(hours, 0.9)))


@dataclass
class Metrics:
    start: dt.datetime
    end: dt.datetime
    reported: int
    closed: int
    closure: Closure
    closure_by_area: list[Closure]
    closure_by_team: list[Closure]
    closure_by_grade: list[Closure]
    rectified: int
    on_time: int
    overdue: int
    open_total: int
    open_by_colour: dict[str, int]
    days: list[str] = field(default_factory=list)
    reported_by_day: list[int] = field(default_factory=list)
    closed_by_day: list[int] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.rectified, 4) if self.rectified else None


def window(days: int | None, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last ``days`` whole local days up to the end of today."""
    days = max(1, min(int(days or DEFAULT_DAYS), MAX_DAYS))
    now = timezone.localtime(now or timezone.now())
    end = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - dt.timedelta(days=days), end


def _grouped(items: Iterable[tuple[str, float]]) -> list[Closure]:
    groups: dict[str, list[float]] = defaultdict(list)
    for label, hours in items:
        groups[label].append(hours)
    return [_closure(label, values) for label, values in sorted(groups.items())]


def metrics(
    qs: QuerySet[Hazard], *, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> Metrics:
    now = now or timezone.now()
    qs = qs.select_related("area", "responsible__team")
    closed = list(qs.filter(state=HazardState.CLOSED, closed_at__gte=start, closed_at__lt=end))
    hours = [((h.closed_at - h.reported_at).total_seconds() / 3600, h) for h in closed if h.closed_at]
    no_team = _("（无班组）")
    rectified = list(
        qs.filter(rectified_at__gte=start, rectified_at__lt=end, deadline__isnull=False).values_list(
            "rectified_at", "deadline"
        )
    )
    open_qs = qs.exclude(state__in=FINAL_STATES)
    by_colour = {colour: 0 for colour in RiskColour.values} | {"": 0}
    for colour in open_qs.values_list("risk_colour", flat=True):
        by_colour[colour or ""] = by_colour.get(colour or "", 0) + 1
    grade_labels = dict(HazardGrade.choices)
    result = Metrics(
        start=start,
        end=end,
        reported=qs.filter(reported_at__gte=start, reported_at__lt=end).count(),
        closed=len(closed),
        closure=_closure(_("全部"), [x for x, _h in hours]),
        closure_by_area=_grouped((h.area.name, x) for x, h in hours),
        closure_by_team=_grouped(
            ((h.responsible.team.name if h.responsible and h.responsible.team else no_team), x)
            for x, h in hours
        ),
        closure_by_grade=_grouped((str(grade_labels.get(h.grade, _("未分级"))), x) for x, h in hours),
        rectified=len(rectified),
        on_time=sum(1 for done, deadline in rectified if done and deadline and done <= deadline),
        overdue=qs.filter(state=HazardState.RECTIFYING, deadline__lt=now).count(),
        open_total=open_qs.count(),
        open_by_colour=by_colour,
    )
    _trend(result, qs, start, end)
    return result


def _trend(result: Metrics, qs: QuerySet[Hazard], start: dt.datetime, end: dt.datetime) -> None:
    zone = timezone.get_current_timezone()
    first = timezone.localtime(start, zone).date()
    count = (timezone.localtime(end, zone).date() - first).days
    result.days = [(first + dt.timedelta(days=i)).isoformat() for i in range(count)]
    reported, closed = [0] * count, [0] * count
    for at in qs.filter(reported_at__gte=start, reported_at__lt=end).values_list("reported_at", flat=True):
        index = (timezone.localtime(at, zone).date() - first).days
        if 0 <= index < count:
            reported[index] += 1
    for closed_at in qs.filter(closed_at__gte=start, closed_at__lt=end).values_list("closed_at", flat=True):
        if closed_at is None:
            continue
        index = (timezone.localtime(closed_at, zone).date() - first).days
        if 0 <= index < count:
            closed[index] += 1
    result.reported_by_day, result.closed_by_day = reported, closed


# --- the register in Excel --------------------------------------------------------------------------
def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def columns() -> list[tuple[str, Any, int]]:
    """(header, value of a hazard, width)."""

    def display(name: str) -> Any:
        return lambda h: getattr(h, f"get_{name}_display")() if getattr(h, name) else ""

    return [
        (_("隐患编号"), lambda h: h.number, 20),
        (_("场所"), lambda h: h.site.name, 14),
        (_("区域"), lambda h: h.area.name, 12),
        (_("设备"), lambda h: f"{h.equipment.code} {h.equipment.name}" if h.equipment else "", 18),
        (_("隐患描述"), lambda h: h.description, 40),
        (_("隐患类型"), display("category"), 12),
        (_("隐患来源"), display("source"), 14),
        (_("状态"), display("state"), 10),
        (_("隐患等级"), display("grade"), 10),
        (_("风险颜色"), display("risk_colour"), 14),
        (_("D（风险值）"), lambda h: h.lec_d, 10),
        (_("R（风险值）"), lambda h: h.ls_r, 10),
        (_("治理类型"), display("manage_type"), 10),
        (_("整改责任人"), lambda h: str(h.responsible) if h.responsible else "", 12),
        (_("整改措施"), lambda h: h.measures, 30),
        (_("整改资金（元）"), lambda h: float(h.funds) if h.funds is not None else None, 12),
        (_("整改期限"), lambda h: _local(h.deadline), 18),
        (_("上报人"), lambda h: str(h.reporter), 12),
        (_("上报时间"), lambda h: _local(h.reported_at), 18),
        (_("整改完成时间"), lambda h: _local(h.rectified_at), 18),
        (_("验收时间"), lambda h: _local(h.accepted_at), 18),
        (_("销号时间"), lambda h: _local(h.closed_at), 18),
        (_("须向上级报告"), lambda h: _("是") if h.report_upward else "", 10),
        (_("重大隐患判定依据"), lambda h: cited_text(h.criteria), 30),
        (_("国家接口-隐患级别"), lambda h: national_codes(h)["hazard_level"] or "", 12),
        (_("国家接口-治理类型"), lambda h: national_codes(h)["manage_type"] or "", 12),
        (_("国家接口-隐患状态"), lambda h: national_codes(h)["state"] or "", 12),
        (_("国家接口-隐患来源"), lambda h: national_codes(h)["danger_src"] or "", 12),
        (_("国家接口-隐患类型"), lambda h: national_codes(h)["hazard_danger_type"] or "", 12),
    ]


def register_workbook(hazards: Iterable[Hazard]) -> bytes:
    """The hazard register (隐患台账) as an .xlsx file."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("隐患台账")
    cols = columns()
    sheet.append([header for header, _value, _width in cols])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (_header, _value, width) in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for hazard in hazards:
        sheet.append([value(hazard) for _header, value, _width in cols])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
