"""The monitoring REST API (mounted at /api/v1/monitoring): alarms, acknowledging and shelving,
live values and trends.

Reads go through ``anquan.monitoring.selectors``, writes through ``anquan.monitoring.services``;
the scoping rules are the organisation API's (``anquan.org.api``): no capability anywhere 403, a
record out of scope 404, a record named in a request body that the caller cannot see a 400 field
error. Timestamps of readings are epoch milliseconds (UTC).
"""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anquan.monitoring import selectors, services
from anquan.monitoring.choices import AlarmMode, AlarmState, TagStatus
from anquan.monitoring.models import AlarmOccurrence, AlarmPoint
from anquan.org.api import Id, doc, require
from anquan.org.roles import MONITOR_OPERATE, MONITOR_VIEW
from anquan.plant.choices import AlarmPriority
from anquan.platform.api import Page

router = Router(tags=["monitoring"])

# The longest shelving the API accepts before asking the service (which holds the real limit).
SHELVE_MAX_MINUTES = 24 * 60
EpochMs = Annotated[int, Field(ge=0, le=2**53)]


# --- Schemas ---------------------------------------------------------------------------------
class AlarmOut(Schema):
    id: int
    rule_id: int
    site_id: int
    area_id: int
    tag_id: int | None
    priority: AlarmPriority
    state: AlarmState
    message: str
    raised_at: dt.datetime
    raised_value: float | None
    acked_at: dt.datetime | None
    acked_by_id: int | None
    acked_by_name: str | None
    returned_at: dt.datetime | None
    cleared_at: dt.datetime | None
    escalation_level: int

    @staticmethod
    def resolve_tag_id(obj: AlarmOccurrence) -> int | None:
        return obj.rule.tag_id

    @staticmethod
    def resolve_state(obj: AlarmOccurrence) -> str:
        return selectors.occurrence_state(obj)

    @staticmethod
    def resolve_acked_by_name(obj: AlarmOccurrence) -> str | None:
        return str(obj.acked_by) if obj.acked_by_id and obj.acked_by else None


class AlarmFilters(Schema):
    site: Id | None = None
    area: Id | None = None
    rule: Id | None = None
    priority: AlarmPriority | None = None
    state: AlarmState | None = Field(
        None, description="unack / acked / rtn_unack（仅未消除的报警）；normal：已消除的历史报警"
    )
    include_cleared: bool = Field(False, description="同时列出已消除（恢复且已确认）的历史报警")


class AckIn(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=500)
    comment: str = Field("", max_length=500)


class AckOut(Schema):
    acknowledged: int


class ShelveIn(Schema):
    minutes: int = Field(..., ge=1, le=SHELVE_MAX_MINUTES)
    reason: str = Field(..., max_length=300)


class PointOut(Schema):
    rule_id: int
    site_id: int
    area_id: int
    mode: AlarmMode
    mode_reason: str
    mode_by_id: int | None
    mode_at: dt.datetime | None
    shelved_until: dt.datetime | None
    active: bool
    occurrence_id: int | None

    @staticmethod
    def resolve_site_id(obj: AlarmPoint) -> int:
        return obj.rule.site_id

    @staticmethod
    def resolve_area_id(obj: AlarmPoint) -> int:
        return obj.rule.area_id


class TrendOut(Schema):
    id: int = Field(..., description="测点 id")
    tag: str
    unit: str
    start: int
    end: int
    resolution: str = Field(
        ..., description="raw：原始数据 [ts, value]；minute / hour：汇总 [ts, min, avg, max]"
    )
    period: int | None
    points: list[list[float | None]]


class LiveOut(Schema):
    id: int = Field(..., description="测点 id")
    tag: str
    name: str
    unit: str
    equipment_id: int
    area_id: int
    site_id: int
    ts: int | None
    value: float | None
    status: TagStatus
    status_since: int | None


class LiveList(Schema):
    count: int
    items: list[LiveOut]


# --- Alarms ----------------------------------------------------------------------------------
@router.get(
    "/alarms",
    response=list[AlarmOut],
    summary=doc(gettext_lazy("报警列表")),
    description=doc(gettext_lazy("默认列出未消除的报警：未确认在前，再按优先级和时间排序。")),
    operation_id="monitoring_alarms",
)
@paginate(Page)
def list_alarms(request: HttpRequest, filters: Query[AlarmFilters]) -> QuerySet[AlarmOccurrence]:
    user = require(request, MONITOR_VIEW)
    if filters.state == AlarmState.NORMAL or (filters.include_cleared and filters.state is None):
        qs = selectors.occurrences(user).select_related("acked_by")
        if filters.state == AlarmState.NORMAL:
            qs = qs.filter(cleared_at__isnull=False)
        qs = qs.order_by("-raised_at", "-pk")
    elif filters.state in (AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE):
        mode = {
            AlarmState.SHELVED: AlarmMode.SHELVED,
            AlarmState.SUPPRESSED: AlarmMode.SUPPRESSED,
            AlarmState.OUT_OF_SERVICE: AlarmMode.OUT_OF_SERVICE,
        }[filters.state]
        qs = (
            selectors.occurrences(user)
            .filter(cleared_at__isnull=True, rule__point__mode=mode)
            .order_by("-raised_at", "-pk")
        )
    else:
        qs = selectors.annunciated(user, state=filters.state)
    if filters.site:
        qs = qs.filter(site_id=filters.site)
    if filters.area:
        qs = qs.filter(area_id=filters.area)
    if filters.rule:
        qs = qs.filter(rule_id=filters.rule)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    return qs


@router.post(
    "/alarms/ack",
    response=AckOut,
    summary=doc(gettext_lazy("确认报警")),
    description=doc(gettext_lazy("确认一条或多条报警（已确认的不重复计数），可附备注。")),
    operation_id="monitoring_alarms_ack",
)
def acknowledge(request: HttpRequest, payload: AckIn) -> dict[str, int]:
    user = require(request, MONITOR_OPERATE)
    ids = list(dict.fromkeys(payload.ids))
    visible = set(selectors.occurrences(user).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in visible]
    if missing:
        raise ValidationError(
            {"ids": [_("未找到该记录，或您无权访问：%(ids)s") % {"ids": ", ".join(map(str, missing))}]}
        )
    return {"acknowledged": services.acknowledge(user, ids, payload.comment)}


# --- Shelving --------------------------------------------------------------------------------
def _point(user: Any, rule_id: int) -> AlarmPoint:
    return selectors.points(user).get(rule_id=rule_id)


@router.post(
    "/rules/{rule_id}/shelve",
    response=PointOut,
    summary=doc(gettext_lazy("搁置报警")),
    description=doc(gettext_lazy("在限定时间内搁置一个报警点（须填写原因），到期自动解除。")),
    operation_id="monitoring_rule_shelve",
)
def shelve(request: HttpRequest, rule_id: int, payload: ShelveIn) -> AlarmPoint:
    user = require(request, MONITOR_OPERATE)
    rule = get_object_or_404(selectors.rules(user), pk=rule_id)
    services.shelve(user, rule.pk, minutes=payload.minutes, reason=payload.reason)
    return _point(user, rule.pk)


@router.post(
    "/rules/{rule_id}/unshelve",
    response=PointOut,
    summary=doc(gettext_lazy("解除搁置")),
    operation_id="monitoring_rule_unshelve",
)
def unshelve(request: HttpRequest, rule_id: int) -> AlarmPoint:
    user = require(request, MONITOR_OPERATE)
    rule = get_object_or_404(selectors.rules(user), pk=rule_id)
    services.unshelve(user, rule.pk)
    return _point(user, rule.pk)


# --- Live values and trends ------------------------------------------------------------------
@router.get(
    "/tags/{tag_id}/trend",
    response=TrendOut,
    summary=doc(gettext_lazy("测点趋势")),
    description=doc(
        gettext_lazy(
            "start / end 为毫秒时间戳（默认最近 1 小时）。按时间范围自动选择分辨率："
            "短时段为原始数据，约 2 天以内为分钟汇总，更长为小时汇总。"
        )
    ),
    operation_id="monitoring_tag_trend",
)
def tag_trend(
    request: HttpRequest, tag_id: int, start: EpochMs | None = None, end: EpochMs | None = None
) -> dict[str, Any]:
    user = require(request, MONITOR_VIEW)
    tag = get_object_or_404(selectors.tags(user), pk=tag_id)
    start_ms, end_ms = selectors.trend_window(start, end)
    trend = selectors.trend(tag, start_ms, end_ms)
    return {
        "id": tag.pk,
        "tag": tag.tag,
        "unit": tag.unit,
        "start": trend.start,
        "end": trend.end,
        "resolution": trend.resolution,
        "period": trend.period,
        "points": trend.points,
    }


@router.get(
    "/live",
    response=LiveList,
    summary=doc(gettext_lazy("实时数值")),
    description=doc(gettext_lazy("测点的最新数值和数据状态（按场所、区域或设备筛选）。")),
    operation_id="monitoring_live",
)
def live(
    request: HttpRequest,
    site: Id | None = None,
    area: Id | None = None,
    equipment: Id | None = None,
) -> dict[str, Any]:
    user = require(request, MONITOR_VIEW)
    values = selectors.live_values(user, site=site, area=area, equipment=equipment)
    items = [
        {
            "id": lv.tag.pk,
            "tag": lv.tag.tag,
            "name": lv.tag.name,
            "unit": lv.tag.unit,
            "equipment_id": lv.tag.equipment_id,
            "area_id": lv.tag.equipment.area_id,
            "site_id": lv.tag.site_id,
            "ts": lv.ts,
            "value": lv.value,
            "status": lv.status,
            "status_since": lv.status_since,
        }
        for lv in values
    ]
    return {"count": len(items), "items": items}
