"""Writes of the alarm system: operator actions (acknowledge, shelve, comment), configuration
(rules, out of service, escalation policy) and the rules that follow a tag's HH/H/L/LL limits.

Every write checks ``Access.require`` at the rule's area (``actor=None`` is the system), journals who
and when, audits configuration changes and publishes its events after commit. The stream's side of
an alarm (activation, return) is ``alarms.processor``; both go through ``alarms.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.monitoring.alarms import lifecycle
from anquan.monitoring.alarms.lifecycle import RuleInfo
from anquan.monitoring.choices import CONFIGURABLE_KINDS, AlarmMode, JournalKind, RuleKind, RuleSource
from anquan.monitoring.events import AlarmAcknowledged
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule, EscalationPolicy
from anquan.org.access import Access, place_of_area, place_of_site
from anquan.org.choices import Role
from anquan.org.models import Area, Site
from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_OPERATE
from anquan.plant.choices import AlarmPriority, LimitLevel
from anquan.plant.models import SensorTag
from anquan.platform import audit
from anquan.platform.events import publish
from anquan.workorders import services as workorders
from anquan.workorders.choices import OriginKind
from anquan.workorders.choices import Priority as WorkOrderPriority
from anquan.workorders.models import WorkOrder

# ISA-18.2 §10.2 asks for a time limit on shelving; ours is twelve hours (one shift plus handover).
MAX_SHELVE_MINUTES = 12 * 60
MAX_DELAY_S = 24 * 3600  # on/off delays
MAX_WINDOW_S = 3600  # rate-of-change windows
MAX_DURATION_S = 7 * 24 * 3600  # stale / flatline durations
MAX_ESCALATION_MINUTES = 24 * 60
MAX_TERMS = 8  # compound conditions
MAX_TEXT = 500  # comments, reasons (journal text)
# A tag's limits become rules with a deadband of 1 % of the instrument span (EEMUA 191 Table 10
# suggests 0.5-5 % by measurement; 1 % is the common starting point), no delay.
LIMIT_DEADBAND_FRACTION = Decimal("0.01")
LIMIT_RULE_NAMES = {
    LimitLevel.HH: "高高限",
    LimitLevel.H: "高限",
    LimitLevel.L: "低限",
    LimitLevel.LL: "低低限",
}

RULE_FIELDS = (
    "area", "tag", "kind", "name", "priority", "params", "deadband", "on_delay_s", "off_delay_s",
    "suppress_when_out_of_service", "enabled", "cause", "consequence", "action", "response_minutes",
)  # fmt: skip
# A rule that follows a tag's limits takes these from the tag (change the limits on the tag).
TAG_LIMIT_FIELDS = ("area", "tag", "kind", "name", "priority", "params")


def _require(actor: Any, capability: str, area: Area) -> None:
    if actor is not None:
        Access.of(actor).require(capability, place_of_area(area))


def _now() -> dt.datetime:
    """Now, in whole milliseconds: the resolution of the stream's clock (shelves expire on its tick)."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _rule(rule_id: int | AlarmRule) -> AlarmRule:
    pk = rule_id.pk if isinstance(rule_id, AlarmRule) else int(rule_id)
    return AlarmRule.objects.select_related("area__site", "tag__equipment").get(pk=pk)


def _locked_point(rule: AlarmRule) -> AlarmPoint:
    """The rule's point, created if missing, locked for this transaction."""
    AlarmPoint.objects.get_or_create(rule=rule, defaults={"mode": lifecycle.designed_mode(rule)})
    return AlarmPoint.objects.select_for_update().get(rule=rule)


def _text(value: Any, field: str, required: str, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: [required]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


# --- operator actions -------------------------------------------------------------------------
def acknowledge(user: Any, occurrence_ids: Sequence[int], comment: str = "") -> int:
    """Acknowledge the given occurrences (all must be within the user's reach). An occurrence
    that already returned to normal clears. Returns how many were newly acknowledged; one already
    acknowledged keeps who acknowledged it first."""
    comment = str(comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": [_("不能超过 %(n)d 个字。") % {"n": MAX_TEXT}]})
    ids = list(dict.fromkeys(int(i) for i in occurrence_ids))
    if not ids:
        return 0
    with transaction.atomic():
        occurrences = list(
            AlarmOccurrence.objects.select_for_update(of=("self",))
            .select_related("rule__tag", "area__site")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        for occurrence in occurrences:
            _require(user, MONITOR_OPERATE, occurrence.area)
        now = _now()
        acked: dict[int, list[int]] = defaultdict(list)
        for occurrence in occurrences:
            if lifecycle.acknowledge(occurrence, RuleInfo.of(occurrence.rule), user, now, comment):
                acked[occurrence.site_id].append(occurrence.pk)
        for site_id, site_ids in acked.items():
            publish(
                AlarmAcknowledged(
                    occurrence_ids=tuple(site_ids), user_id=getattr(user, "pk", None), site_id=site_id
                )
            )
    return sum(len(v) for v in acked.values())


def shelve(user: Any, rule_id: int, *, minutes: int, reason: str) -> AlarmPoint:
    """Shelve a point for ``minutes`` (at most MAX_SHELVE_MINUTES) with a reason; it unshelves by
    itself when the time is up (the stream's clock)."""
    rule = _rule(rule_id)
    _require(user, MONITOR_OPERATE, rule.area)
    errors: dict[str, list[str]] = {}
    try:
        reason = _text(reason, "reason", _("请填写搁置原因。"), 300)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_SHELVE_MINUTES:
        errors["minutes"] = [_("搁置时长须为 1 ~ %(max)d 分钟。") % {"max": MAX_SHELVE_MINUTES}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        point = _locked_point(rule)
        if point.mode == AlarmMode.OUT_OF_SERVICE:
            raise ValidationError({"mode": [_("停用的报警不能搁置。")]})
        if point.mode == AlarmMode.SUPPRESSED:
            raise ValidationError({"mode": [_("该报警正处于设计抑制中，无需搁置。")]})
        now = _now()
        lifecycle.change_mode(
            point,
            RuleInfo.of(rule),
            AlarmMode.SHELVED,
            JournalKind.SHELVED,
            now,
            user=user,
            reason=reason,
            shelved_until=now + dt.timedelta(minutes=minutes),
        )
    return point


def unshelve(user: Any, rule_id: int) -> AlarmPoint:
    rule = _rule(rule_id)
    _require(user, MONITOR_OPERATE, rule.area)
    with transaction.atomic():
        point = _locked_point(rule)
        if point.mode != AlarmMode.SHELVED:
            raise ValidationError({"mode": [_("该报警未被搁置。")]})
        lifecycle.leave_mode(point, rule, JournalKind.UNSHELVED, _now(), user=user)
    return point


def remove_from_service(user: Any, rule_id: int, *, reason: str) -> AlarmPoint:
    rule = _rule(rule_id)
    _require(user, MONITOR_CONFIGURE, rule.area)
    reason = _text(reason, "reason", _("请填写停用原因。"), 300)
    with transaction.atomic():
        point = _locked_point(rule)
        if point.mode == AlarmMode.OUT_OF_SERVICE:
            raise ValidationError({"mode": [_("该报警已经停用。")]})
        lifecycle.change_mode(
            point, RuleInfo.of(rule), AlarmMode.OUT_OF_SERVICE, JournalKind.REMOVED_FROM_SERVICE, _now(),
            user=user, reason=reason,
        )  # fmt: skip
    return point


def return_to_service(user: Any, rule_id: int) -> AlarmPoint:
    rule = _rule(rule_id)
    _require(user, MONITOR_CONFIGURE, rule.area)
    with transaction.atomic():
        point = _locked_point(rule)
        if point.mode != AlarmMode.OUT_OF_SERVICE:
            raise ValidationError({"mode": [_("该报警未停用。")]})
        lifecycle.leave_mode(point, rule, JournalKind.RETURNED_TO_SERVICE, _now(), user=user)
    return point


def comment(user: Any, occurrence_id: int, text: str) -> AlarmJournal:
    occurrence = AlarmOccurrence.objects.select_related("rule__tag", "area__site").get(pk=int(occurrence_id))
    _require(user, MONITOR_OPERATE, occurrence.area)
    text = _text(text, "text", _("请填写备注内容。"))
    with transaction.atomic():
        return lifecycle.journal(
            RuleInfo.of(occurrence.rule),
            JournalKind.COMMENTED,
            _now(),
            user=user,
            occurrence=occurrence,
            text=text,
        )


# --- work orders from alarms ------------------------------------------------------------------
# An alarm's priority → the work order's (紧急 stays for what a person judges cannot wait).
WORK_ORDER_PRIORITY: dict[str, str] = {
    AlarmPriority.HIGH: WorkOrderPriority.HIGH,
    AlarmPriority.MEDIUM: WorkOrderPriority.MEDIUM,
    AlarmPriority.LOW: WorkOrderPriority.LOW,
}


def open_work_order(
    user: Any, occurrence_id: int, *, title: str = "", description: str = "", priority: str = ""
) -> WorkOrder:
    """A work order for an alarm (a transmitter to repair, a chattering switch, a valve to check):
    dispatched by the work-order rules, linked back to the alarm, and noted in the alarm's journal.
    Needs the right to operate alarms there and to create work orders."""
    occurrence = AlarmOccurrence.objects.select_related("rule__tag__equipment", "area__site").get(
        pk=int(occurrence_id)
    )
    _require(user, MONITOR_OPERATE, occurrence.area)
    rule = occurrence.rule
    equipment = rule.tag.equipment if rule.tag is not None else None
    with transaction.atomic():
        order = workorders.open_work_order(
            user,
            site=occurrence.area.site,
            area=occurrence.area,
            equipment=equipment,
            title=title.strip() or _("处理报警：%(message)s") % {"message": occurrence.message},
            description=description,
            priority=priority or WORK_ORDER_PRIORITY.get(occurrence.priority, WorkOrderPriority.MEDIUM),
            origin_kind=OriginKind.ALARM,
            origin_id=occurrence.pk,
            origin_label=(_("报警 %(message)s") % {"message": occurrence.message})[:200],
            origin_url=reverse("monitoring:occurrence", args=[occurrence.pk]),
        )
        lifecycle.journal(
            RuleInfo.of(rule),
            JournalKind.COMMENTED,
            _now(),
            user=user,
            occurrence=occurrence,
            text=_("已开工单 %(number)s：%(title)s") % {"number": order.number, "title": order.title},
        )
    return order


# --- rules ------------------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    """A finite number (ints, floats, decimals, numeric strings), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any, low: int, high: int) -> int | None:
    number = _number(value)
    if number is None or number != int(number) or not low <= number <= high:
        return None
    return int(number)


def _site_tag_ids(site: Site, ids: Sequence[Any]) -> set[int]:
    wanted = {i for i in (_whole(v, 1, 2**62) for v in ids) if i is not None}
    return set(SensorTag.objects.filter(site=site, pk__in=wanted).values_list("pk", flat=True))


def validate_params(kind: str, params: Any, *, site: Site, tag: SensorTag | None) -> dict[str, Any]:
    """The cleaned ``params`` of a rule of ``kind`` (see AlarmRule), or ValidationError with a
    Chinese message per parameter (keys: the parameter names, ``params`` for the whole)."""
    if not isinstance(params, Mapping):
        raise ValidationError({"params": [_("参数格式不正确。")]})
    allowed = {
        RuleKind.LIMIT: {"level", "value"},
        RuleKind.RATE: {"per_minute", "direction", "window_s"},
        RuleKind.DEVIATION: {"reference_tag", "setpoint", "max_difference"},
        RuleKind.STALE: {"seconds"},
        RuleKind.FLATLINE: {"seconds", "tolerance"},
        RuleKind.DISCRETE: {"alarm_value"},
        RuleKind.COMPOUND: {"op", "terms"},
        RuleKind.INTERLOCK: {"cmp", "setpoint", "output_tag", "output_value", "tolerance", "response_s"},
    }[RuleKind(kind)]
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(params) - allowed)
    if unknown:
        errors["params"] = [_("未知参数：%(names)s") % {"names": "、".join(map(str, unknown))}]
    clean: dict[str, Any] = {}

    def number(name: str, message: str, *, positive: bool = False, minimum: float | None = None) -> None:
        value = _number(params.get(name))
        if value is None or (positive and value <= 0) or (minimum is not None and value < minimum):
            errors[name] = [message]
        else:
            clean[name] = value

    def duration(name: str) -> None:
        value = _whole(params.get(name), 1, MAX_DURATION_S)
        if value is None:
            errors[name] = [_("时长须为 1 ~ %(max)d 秒的整数。") % {"max": MAX_DURATION_S}]
        else:
            clean[name] = value

    if kind == RuleKind.LIMIT:
        level = str(params.get("level", "")).upper()
        if level not in ("HH", "H", "L", "LL"):
            errors["level"] = [_("请选择限值级别：HH、H、L 或 LL。")]
        else:
            clean["level"] = level
        number("value", _("请填写限值（数值）。"))
    elif kind == RuleKind.RATE:
        number("per_minute", _("变化率（每分钟）必须大于 0。"), positive=True)
        direction = params.get("direction", "both")
        if direction not in ("rise", "fall", "both"):
            errors["direction"] = [_("方向须为上升（rise）、下降（fall）或双向（both）。")]
        else:
            clean["direction"] = direction
        if params.get("window_s") is not None:
            window = _whole(params.get("window_s"), 1, MAX_WINDOW_S)
            if window is None:
                errors["window_s"] = [_("计算窗口须为 1 ~ %(max)d 秒的整数。") % {"max": MAX_WINDOW_S}]
            else:
                clean["window_s"] = window
    elif kind == RuleKind.DEVIATION:
        has_ref = params.get("reference_tag") not in (None, "")
        has_setpoint = params.get("setpoint") not in (None, "")
        if has_ref == has_setpoint:
            errors["reference_tag"] = [_("请选择参考测点或填写设定值（二者选一）。")]
        elif has_ref:
            ref = _whole(params.get("reference_tag"), 1, 2**62)
            if ref is None or not _site_tag_ids(site, [ref]):
                errors["reference_tag"] = [_("参考测点必须是本场所的测点。")]
            elif tag is not None and ref == tag.pk:
                errors["reference_tag"] = [_("参考测点不能是本测点。")]
            else:
                clean["reference_tag"] = ref
        else:
            number("setpoint", _("请填写设定值（数值）。"))
        number("max_difference", _("允许偏差必须大于 0。"), positive=True)
    elif kind == RuleKind.STALE:
        duration("seconds")
    elif kind == RuleKind.FLATLINE:
        duration("seconds")
        if params.get("tolerance") in (None, ""):
            clean["tolerance"] = 0.0
        else:
            number("tolerance", _("容差不能为负数。"), minimum=0)
    elif kind == RuleKind.DISCRETE:
        number("alarm_value", _("请填写报警状态值（数值）。"))
    elif kind == RuleKind.COMPOUND:
        op = str(params.get("op", "")).lower()
        if op not in ("and", "or"):
            errors["op"] = [_("逻辑须为“与”（and）或“或”（or）。")]
        else:
            clean["op"] = op
        terms = params.get("terms")
        if not isinstance(terms, list) or not 2 <= len(terms) <= MAX_TERMS:
            errors["terms"] = [_("组合条件须有 2 ~ %(max)d 项。") % {"max": MAX_TERMS}]
        else:
            term_errors, clean_terms = _clean_terms(terms, site)
            if term_errors:
                errors["terms"] = term_errors
            else:
                clean["terms"] = clean_terms
    elif kind == RuleKind.INTERLOCK:
        cmp = params.get("cmp")
        if cmp not in (">", ">=", "<", "<="):
            errors["cmp"] = [_("触发条件须为 >、>=、< 或 <=。")]
        else:
            clean["cmp"] = cmp
        number("setpoint", _("请填写联锁设定值（数值）。"))
        output = _whole(params.get("output_tag"), 1, 2**62)
        if output is None or not _site_tag_ids(site, [output]):
            errors["output_tag"] = [_("请选择本场所的动作反馈测点。")]
        elif tag is not None and output == tag.pk:
            errors["output_tag"] = [_("动作反馈测点不能是触发测点。")]
        else:
            clean["output_tag"] = output
        number("output_value", _("请填写联锁动作后的期望值（数值）。"))
        if params.get("tolerance") in (None, ""):
            clean["tolerance"] = 0.0
        else:
            number("tolerance", _("容差不能为负数。"), minimum=0)
        response = _whole(params.get("response_s"), 1, MAX_DELAY_S)
        if response is None:
            errors["response_s"] = [_("响应时间须为 1 ~ %(max)d 秒的整数。") % {"max": MAX_DELAY_S}]
        else:
            clean["response_s"] = response
    if errors:
        raise ValidationError(errors)
    return clean


def _clean_terms(terms: list[Any], site: Site) -> tuple[list[str], list[dict[str, Any]]]:
    known = _site_tag_ids(site, [t.get("tag") for t in terms if isinstance(t, Mapping)])
    errors: list[str] = []
    clean: list[dict[str, Any]] = []
    for n, term in enumerate(terms, start=1):
        if not isinstance(term, Mapping):
            errors.append(_("第 %(n)d 项：格式不正确。") % {"n": n})
            continue
        tag_id = _whole(term.get("tag"), 1, 2**62)
        if tag_id is None or tag_id not in known:
            errors.append(_("第 %(n)d 项：测点必须是本场所的测点。") % {"n": n})
            continue
        if term.get("trend") is not None:
            per_minute = _number(term.get("per_minute", 0))
            if term.get("trend") not in ("rising", "falling") or set(term) - {"tag", "trend", "per_minute"}:
                errors.append(_("第 %(n)d 项：趋势须为上升（rising）或下降（falling）。") % {"n": n})
            elif per_minute is None or per_minute < 0:
                errors.append(_("第 %(n)d 项：变化率（每分钟）不能为负数。") % {"n": n})
            else:
                clean.append({"tag": tag_id, "trend": term["trend"], "per_minute": per_minute})
            continue
        value = _number(term.get("value"))
        if term.get("cmp") not in (">", ">=", "<", "<=") or set(term) - {"tag", "cmp", "value"}:
            errors.append(_("第 %(n)d 项：比较须为 >、>=、< 或 <=。") % {"n": n})
        elif value is None:
            errors.append(_("第 %(n)d 项：请填写比较值（数值）。") % {"n": n})
        else:
            clean.append({"tag": tag_id, "cmp": term["cmp"], "value": value})
    return errors, clean


def _validate_rule(rule: AlarmRule) -> None:
    """Every field error of ``rule`` at once (its params cleaned in place)."""
    errors: dict[str, list[str]] = {}
    if not str(rule.name or "").strip():
        errors["name"] = [_("请填写名称。")]
    elif len(rule.name) > 160:
        errors["name"] = [_("不能超过 %(n)d 个字。") % {"n": 160}]
    if rule.area.site_id != rule.site_id:
        errors["area"] = [_("区域必须属于本场所。")]
    if rule.priority not in AlarmPriority.values:
        errors["priority"] = [_("请选择优先级。")]
    tag = rule.tag if rule.tag_id else None
    if tag is not None and tag.site_id != rule.site_id:
        errors["tag"] = [_("测点必须属于本场所。")]
    if rule.kind not in CONFIGURABLE_KINDS:
        errors["kind"] = [_("请选择报警类型。")]
    else:
        if tag is None and rule.kind != RuleKind.COMPOUND:
            errors["tag"] = [_("该类型的报警规则需要选择测点。")]
        try:
            rule.params = validate_params(rule.kind, rule.params, site=rule.site, tag=tag)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    deadband = _number(rule.deadband)
    if deadband is None or deadband < 0:
        errors["deadband"] = [_("死区不能为负数。")]
    else:
        rule.deadband = deadband
    for name in ("on_delay_s", "off_delay_s"):
        delay = _whole(getattr(rule, name), 0, MAX_DELAY_S)
        if delay is None:
            errors[name] = [_("延时须为 0 ~ %(max)d 秒的整数。") % {"max": MAX_DELAY_S}]
        else:
            setattr(rule, name, delay)
    if rule.response_minutes is not None and _whole(rule.response_minutes, 1, 24 * 60) is None:
        errors["response_minutes"] = [_("允许响应时间须为 1 ~ 1440 分钟。")]
    if errors:
        raise ValidationError(errors)
    if rule.kind == RuleKind.LIMIT and rule.source == RuleSource.MANUAL:
        rule.level = str(rule.params["level"]).lower()


def create_rule(
    user: Any,
    *,
    site: Site,
    area: Area,
    kind: str,
    name: str,
    priority: str,
    tag: SensorTag | None = None,
    params: Mapping[str, Any],
    deadband: float = 0,
    on_delay_s: int = 0,
    off_delay_s: int = 0,
    **extra: Any,
) -> AlarmRule:
    """A manual rule (monitoring.configure in ``area``); ``extra``: suppress_when_out_of_service,
    enabled, cause, consequence, action, response_minutes."""
    unknown = set(extra) - {
        "suppress_when_out_of_service",
        "enabled",
        "cause",
        "consequence",
        "action",
        "response_minutes",
    }
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _require(user, MONITOR_CONFIGURE, area)
    rule = AlarmRule(
        site=site, area=area, tag=tag, kind=kind, source=RuleSource.MANUAL, name=str(name or "").strip(),
        priority=priority, params=dict(params) if isinstance(params, Mapping) else params, deadband=deadband,
        on_delay_s=on_delay_s, off_delay_s=off_delay_s, **extra,
    )  # fmt: skip
    _validate_rule(rule)
    with transaction.atomic():
        rule.save()
        audit.record_create(user, rule)
        _new_point(rule)
    return rule


def _new_point(rule: AlarmRule) -> AlarmPoint:
    mode = lifecycle.designed_mode(rule)
    point = AlarmPoint.objects.create(rule=rule, mode=mode)
    if mode == AlarmMode.SUPPRESSED:
        lifecycle.journal(RuleInfo.of(rule), JournalKind.SUPPRESSED, _now(), text=_("设备不在用，设计抑制"))
    return point


def update_rule(user: Any, rule: AlarmRule, **fields: Any) -> AlarmRule:
    """Change a rule (monitoring.configure in its area, and in the new area if it moves). A rule
    following a tag's limits takes its limits, priority, name and area from the tag. Disabling a
    rule ends its active condition (its open alarm returns)."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _require(user, MONITOR_CONFIGURE, rule.area)
    if "area" in fields:
        _require(user, MONITOR_CONFIGURE, fields["area"])
    if rule.source == RuleSource.AI:
        raise ValidationError({"rule": [_("该报警点由 AI 预警模型维护，请在预警模型中修改。")]})
    if rule.source == RuleSource.TAG_LIMITS:
        locked = sorted(f for f in TAG_LIMIT_FIELDS if f in fields)
        if locked:
            raise ValidationError(
                {f: [_("该规则由测点限值生成，请在测点上修改限值、优先级和位号。")] for f in locked}
            )
        if fields.get("enabled") and rule.params.get("value") is None:
            raise ValidationError({"enabled": [_("测点上已没有这一限值，规则无法启用。")]})
    was_enabled = rule.enabled
    with transaction.atomic():
        before = audit.snapshot(rule)
        for name, value in fields.items():
            setattr(rule, name, value)
        _validate_rule(rule)
        rule.save()
        audit.record_update(user, rule, before)
        if was_enabled and not rule.enabled:
            _retire(rule, _("规则已停用"))
        if "tag" in fields or "suppress_when_out_of_service" in fields:
            point = _locked_point(rule)
            lifecycle.apply_design(point, rule, _now())
    return rule


def _retire(rule: AlarmRule, text: str) -> None:
    """The rule is no longer evaluated: its active condition ends (journaled as a return)."""
    point = _locked_point(rule)
    if point.active:
        lifecycle.returned(point, RuleInfo.of(rule), _now(), None, text=text)
    point.active = False
    point.engine = {}
    point.save(update_fields=["active", "engine", "updated_at"])


def delete_rule(user: Any, rule: AlarmRule) -> None:
    """Delete a rule that has never raised an alarm; one with history is disabled instead (its
    alarms stay, e.g. for hazard records)."""
    _require(user, MONITOR_CONFIGURE, rule.area)
    if rule.source == RuleSource.AI:
        raise ValidationError({"rule": [_("该报警点由 AI 预警模型维护，请在预警模型中修改。")]})
    if rule.source == RuleSource.TAG_LIMITS:
        raise ValidationError({"rule": [_("该规则由测点限值生成，请在测点上删除相应限值。")]})
    if AlarmOccurrence.objects.filter(rule=rule).exists():
        raise ValidationError({"rule": [_("该规则已有报警记录，不能删除；如不再需要，请停用。")]})
    with transaction.atomic():
        audit.record_delete(user, rule)
        rule.delete()


# --- alarm points kept by an AI early-warning model (earlywarning) ----------------------------------
def ai_rule(*, model_id: int, site: Site, area: Area, name: str, priority: str) -> AlarmRule:
    """The alarm point of early-warning model ``model_id`` (made on first use; its name, area and
    priority follow the model). Confirmed AI alerts are raised on it (``raise_ai_alarm``)."""
    with transaction.atomic():
        rule = (
            AlarmRule.objects.select_for_update()
            .filter(source=RuleSource.AI, params__model=model_id)
            .order_by("pk")
            .first()
        )
        if rule is None:
            rule = AlarmRule.objects.create(
                site=site, area=area, kind=RuleKind.AI, source=RuleSource.AI, name=name[:160],
                priority=priority, params={"model": model_id},
            )  # fmt: skip
            _new_point(rule)
        elif (rule.name, rule.area_id, rule.priority) != (name[:160], area.pk, priority):
            rule.name, rule.area, rule.priority = name[:160], area, priority
            rule.save(update_fields=["name", "area", "priority", "updated_at"])
    return rule


def raise_ai_alarm(
    rule: AlarmRule, at: dt.datetime, value: float, text: str, user: Any = None
) -> AlarmOccurrence | None:
    """An expert confirmed an AI alert: its point becomes active and (in service) annunciates, with
    ``text`` in the journal. None when the point was active already or does not annunciate."""
    with transaction.atomic():
        point = AlarmPoint.objects.select_for_update().filter(rule=rule).first() or _new_point(rule)
        if point.active:
            return None
        point.active = True
        point.save(update_fields=["active", "updated_at"])
        occurrence = lifecycle.activated(point, RuleInfo.of(rule), at, value)
        if occurrence is not None and text:
            lifecycle.journal(
                RuleInfo.of(rule), JournalKind.COMMENTED, at, user=user, occurrence=occurrence, text=text
            )
        return occurrence


def return_ai_alarm(rule: AlarmRule, at: dt.datetime, value: float | None = None) -> None:
    """The AI alert behind the point ended: the point returns to normal."""
    with transaction.atomic():
        point = AlarmPoint.objects.select_for_update().filter(rule=rule).first()
        if point is None or not point.active:
            return
        point.active = False
        point.save(update_fields=["active", "updated_at"])
        lifecycle.returned(point, RuleInfo.of(rule), at, value)


# --- escalation policy ------------------------------------------------------------------------
def set_escalation_policy(
    user: Any, site: Site, *, high_minutes: int, medium_minutes: int, low_minutes: int, roles: Sequence[str]
) -> EscalationPolicy:
    if user is not None:
        Access.of(user).require(MONITOR_CONFIGURE, place_of_site(site))
    errors: dict[str, list[str]] = {}
    minutes: dict[str, int] = {}
    for name, value in (
        ("high_minutes", high_minutes),
        ("medium_minutes", medium_minutes),
        ("low_minutes", low_minutes),
    ):
        whole = _whole(value, 1, MAX_ESCALATION_MINUTES)
        if whole is None:
            errors[name] = [_("升级时间须为 1 ~ %(max)d 分钟的整数。") % {"max": MAX_ESCALATION_MINUTES}]
        else:
            minutes[name] = whole
    ladder = [str(r) for r in roles] if isinstance(roles, list | tuple) else None
    if ladder is None or any(r not in Role.values for r in ladder):
        errors["roles"] = [_("请选择有效的角色。")]
    elif len(set(ladder)) != len(ladder):
        errors["roles"] = [_("同一角色不能重复出现在升级顺序中。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = EscalationPolicy.objects.select_for_update().filter(site=site).first()
        if policy is None:
            policy = EscalationPolicy.objects.create(site=site, roles=ladder, **minutes)
            audit.record_create(user, policy)
            return policy
        before = audit.snapshot(policy)
        for name, value in minutes.items():
            setattr(policy, name, value)
        policy.roles = ladder
        policy.save()
        audit.record_update(user, policy, before)
    return policy


# --- rules that follow a tag's limits ---------------------------------------------------------
def sync_limit_rules(tag: SensorTag | int) -> None:
    """Make the tag's HH/H/L/LL limits its ``tag_limits`` rules: one per limit, with the tag's
    priorities, a 1 % of span deadband (on creation; kept if changed since), no delay, in the
    equipment's area. A limit removed from the tag disables its rule (its history stays); a rule
    disabled by hand stays disabled. Also re-applies designed suppression to the tag's rules."""
    tag_id = tag.pk if isinstance(tag, SensorTag) else int(tag)
    with transaction.atomic():
        current = SensorTag.objects.select_related("equipment__area__site").filter(pk=tag_id).first()
        if current is None:
            return
        existing = {r.level: r for r in AlarmRule.objects.filter(tag=current, source=RuleSource.TAG_LIMITS)}
        span = current.range_high - current.range_low
        for level in LimitLevel:
            value = getattr(current, level.value)
            rule = existing.get(level.value)
            if value is None:
                if rule is not None and rule.params.get("value") is not None:
                    before = audit.snapshot(rule)
                    rule.params = {"level": level.value.upper(), "value": None}
                    was_enabled, rule.enabled = rule.enabled, False
                    rule.save()
                    audit.record_update(None, rule, before)
                    if was_enabled:
                        _retire(rule, _("测点限值已删除"))
                continue
            wanted: dict[str, Any] = {
                "site_id": current.site_id,
                "area_id": current.equipment.area_id,
                "kind": RuleKind.LIMIT,
                "name": f"{current.tag} {LIMIT_RULE_NAMES[level]}",
                "priority": getattr(current, f"{level.value}_priority"),
                "params": {"level": level.value.upper(), "value": float(value)},
            }
            if rule is None:
                rule = AlarmRule(
                    tag=current, source=RuleSource.TAG_LIMITS, level=level.value,
                    deadband=float((span * LIMIT_DEADBAND_FRACTION).normalize()), on_delay_s=0, off_delay_s=0,
                    **wanted,
                )  # fmt: skip
                rule.save()
                audit.record_create(None, rule)
                _new_point(rule)
                continue
            if rule.params.get("value") is None:  # the limit is back: so is its rule
                wanted["enabled"] = True
            changed = {k: v for k, v in wanted.items() if getattr(rule, k) != v}
            if changed:
                before = audit.snapshot(rule)
                for name, value in changed.items():
                    setattr(rule, name, value)
                rule.save()
                audit.record_update(None, rule, before)
        now = _now()
        for rule in AlarmRule.objects.select_related("tag__equipment").filter(tag=current, enabled=True):
            lifecycle.apply_design(_locked_point(rule), rule, now)


def apply_designed_suppression(equipment_id: int) -> int:
    """Suppress (or release) by design the rules of the equipment's tags, as its status now asks.
    Returns how many points changed mode."""
    changed = 0
    with transaction.atomic():
        now = _now()
        rules = AlarmRule.objects.select_related("tag__equipment", "area__site").filter(
            tag__equipment_id=equipment_id
        )
        for rule in rules:
            if lifecycle.apply_design(_locked_point(rule), rule, now):
                changed += 1
    return changed
