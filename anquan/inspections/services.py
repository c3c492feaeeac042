"""Writes of inspections: routes, checkpoints and check items, plans, the rounds the scheduler makes,
walking a round (start, check in, record, finish, or one offline batch), follow-ups of failed items.

Each use case owns its transaction, checks who may do it (``inspections.plan`` to configure, at the
route's area or the plan's team; ``inspections.walk`` to walk a round of a team), audits and
publishes events after commit. Bad input raises ValidationError with field errors.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.hazards import services as hazards
from anquan.hazards.choices import HazardCategory, HazardSource
from anquan.inspections import cycles
from anquan.inspections.choices import Cycle, DayRule, ItemKind, OnFail, Outcome, RoundStatus
from anquan.inspections.events import CheckItemFailed, RoundCompleted, RoundMissed
from anquan.inspections.models import CheckIn, CheckItem, Checkpoint, ItemResult, Plan, Round, Route
from anquan.org.access import Access, place_of_area, place_of_team
from anquan.org.models import Area, Team
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_WALK
from anquan.plant.models import Equipment
from anquan.platform import audit
from anquan.platform.attachments.services import store_upload
from anquan.platform.events import publish
from anquan.workorders import services as workorders
from anquan.workorders.choices import OriginKind
from anquan.workorders.choices import Priority as WorkOrderPriority

logger = logging.getLogger(__name__)

MIN_WINDOW = 5  # minutes
MAX_BATCH_RESULTS = 500
PERIOD_MINUTES = {Cycle.HOUR: 60, Cycle.DAY: 24 * 60, Cycle.WEEK: 7 * 24 * 60, Cycle.MONTH: 28 * 24 * 60}


def _require(actor: Any, capability: str, place: Any) -> None:
    if actor is not None:
        Access.of(actor).require(capability, place)


def _text(errors: dict[str, list[str]], name: str, value: Any, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[name] = [_("此字段为必填项。")]
    elif len(text) > limit:
        errors[name] = [_("最多 %(n)d 个字符。") % {"n": limit}]
    return text


def _number(errors: dict[str, list[str]], name: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[name] = [_("请输入数字。")]
        return None
    if isinstance(value, bool) or not math.isfinite(number):
        errors[name] = [_("请输入数字。")]
        return None
    return number


# --- routes, checkpoints, check items ----------------------------------------------------------
def create_route(actor: Any, *, area: Area, name: str, description: str = "") -> Route:
    _require(actor, INSPECTION_PLAN, place_of_area(area))
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 120)
    description = _text(errors, "description", description, 2000, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        route = Route.objects.create(site_id=area.site_id, area=area, name=name, description=description)
        audit.record_create(actor, route)
    return route


def add_checkpoint(
    actor: Any, route: Route, *, name: str, area: Area | None = None, equipment: Equipment | None = None
) -> Checkpoint:
    """A checkpoint at ``equipment`` (its area) or at ``area``, last on the route, with a new code."""
    _require(actor, INSPECTION_PLAN, place_of_area(route.area))
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 120)
    if equipment is not None:
        area = equipment.area
    if area is None:
        errors["area"] = [_("请选择设备或区域。")]
    elif area.site_id != route.site_id:
        errors["equipment" if equipment is not None else "area"] = [_("巡检点必须在路线所在的场所内。")]
    if errors:
        raise ValidationError(errors)
    assert area is not None
    with transaction.atomic():
        position = (
            route.checkpoints.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        checkpoint = Checkpoint.objects.create(
            route=route, position=position, name=name, area=area, equipment=equipment
        )
        audit.record_create(actor, checkpoint)
    return checkpoint


def add_item(
    actor: Any,
    checkpoint: Checkpoint,
    *,
    name: str,
    kind: str,
    low: Any = None,
    high: Any = None,
    unit: str = "",
    photo_required: bool = False,
    on_fail: str = OnFail.NONE,
) -> CheckItem:
    _require(actor, INSPECTION_PLAN, place_of_area(checkpoint.route.area))
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, 200)
    unit = _text(errors, "unit", unit, 20, required=False)
    if kind not in ItemKind.values:
        errors["kind"] = [_("请选择检查项类型。")]
    if on_fail not in OnFail.values:
        errors["on_fail"] = [_("请选择异常处理方式。")]
    low_v, high_v = _number(errors, "low", low), _number(errors, "high", high)
    if kind == ItemKind.PASS_FAIL and (low_v is not None or high_v is not None):
        errors["low"] = [_("“正常/异常”类检查项没有上下限。")]
    if low_v is not None and high_v is not None and low_v > high_v:
        errors["high"] = [_("上限不能小于下限。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        position = (
            checkpoint.items.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        item = CheckItem.objects.create(
            checkpoint=checkpoint, position=position, name=name, kind=kind, low=low_v, high=high_v,
            unit=unit, photo_required=bool(photo_required), on_fail=on_fail,
        )  # fmt: skip
        audit.record_create(actor, item)
    return item


# --- plans -------------------------------------------------------------------------------------
def _clean_plan(route: Route, team: Team, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {"name": _text(errors, "name", values.get("name"), 120)}
    if team.area.site_id != route.site_id:
        errors["team"] = [_("责任班组必须在路线所在的场所内。")]
    cycle, day_rule = values.get("cycle"), values.get("day_rule") or DayRule.EVERY_DAY
    if cycle not in Cycle.values:
        errors["cycle"] = [_("请选择周期。")]
    if day_rule not in DayRule.values:
        errors["day_rule"] = [_("请选择日历规则。")]
    elif cycle in (Cycle.WEEK, Cycle.MONTH) and day_rule != DayRule.EVERY_DAY:
        errors["day_rule"] = [_("每周、每月的计划不按工作日筛选，请选择“每天”。")]
    start_time = values.get("start_time") or dt.time(8, 0)
    if not isinstance(start_time, dt.time):
        errors["start_time"] = [_("请输入有效的时间。")]
    window = values.get("window_minutes")
    if isinstance(window, bool) or not isinstance(window, int):
        errors["window_minutes"] = [_("请输入整数。")]
    elif cycle in PERIOD_MINUTES and not MIN_WINDOW <= window <= PERIOD_MINUTES[cycle]:
        errors["window_minutes"] = [
            _("完成时限须为 %(min)d ~ %(max)d 分钟。") % {"min": MIN_WINDOW, "max": PERIOD_MINUTES[cycle]}
        ]
    if not route.checkpoints.exists():
        errors["route"] = [_("路线还没有巡检点。")]
    if errors:
        raise ValidationError(errors)
    clean.update(cycle=cycle, day_rule=day_rule, start_time=start_time, window_minutes=window)
    clean["active"] = bool(values.get("active", True))
    return clean


def create_plan(
    actor: Any,
    *,
    route: Route,
    team: Team,
    name: str,
    cycle: str,
    day_rule: str = DayRule.EVERY_DAY,
    start_time: dt.time = dt.time(8, 0),
    window_minutes: int = 60,
    active: bool = True,
) -> Plan:
    _require(actor, INSPECTION_PLAN, place_of_team(team))
    clean = _clean_plan(
        route, team,
        {"name": name, "cycle": cycle, "day_rule": day_rule, "start_time": start_time,
         "window_minutes": window_minutes, "active": active},
    )  # fmt: skip
    with transaction.atomic():
        plan = Plan.objects.create(site_id=route.site_id, route=route, team=team, **clean)
        audit.record_create(actor, plan)
    return plan


def set_plan_active(actor: Any, plan: Plan, active: bool) -> Plan:
    _require(actor, INSPECTION_PLAN, place_of_team(plan.team))
    if plan.active != active:
        with transaction.atomic():
            old, plan.active = plan.active, active
            plan.save(update_fields=["active", "updated_at"])
            audit.record_transition(actor, plan, "active", old, active)
    return plan


# --- the scheduler -----------------------------------------------------------------------------
def generate_rounds(now: dt.datetime | None = None) -> list[Round]:
    """Make the round of the current period of every active plan, unless it exists (idempotent:
    one round per plan and period start, enforced by a unique constraint). The new rounds."""
    now = now or timezone.now()
    created = []
    for plan in Plan.objects.filter(active=True).select_related("route").order_by("pk"):
        period = cycles.current_period(plan.cycle, plan.day_rule, plan.start_time, plan.window_minutes, now)
        if period is None:
            continue
        start, due = period
        if Round.objects.filter(plan=plan, period_start=start).exists():
            continue
        try:
            with transaction.atomic():
                made = Round.objects.create(
                    plan=plan, site_id=plan.site_id, team_id=plan.team_id, route_id=plan.route_id,
                    period_start=start, starts_at=start, due_at=due,
                )  # fmt: skip
                audit.record_create(None, made)
        except IntegrityError:
            continue  # another worker made it
        created.append(made)
    return created


def flag_overdue(now: dt.datetime | None = None) -> tuple[int, int]:
    """Mark rounds not started by their due time missed, and completed rounds finished after it
    late. (missed, late) counts."""
    now = now or timezone.now()
    missed = 0
    for made in Round.objects.filter(status=RoundStatus.SCHEDULED, due_at__lt=now).order_by("pk"):
        with transaction.atomic():
            changed = Round.objects.filter(pk=made.pk, status=RoundStatus.SCHEDULED).update(
                status=RoundStatus.MISSED, updated_at=timezone.now()
            )
            if not changed:
                continue
            audit.record_transition(None, made, "status", RoundStatus.SCHEDULED, RoundStatus.MISSED)
            publish(RoundMissed(round_id=made.pk, site_id=made.site_id, team_id=made.team_id))
        missed += 1
    late = 0
    for made in Round.objects.filter(status=RoundStatus.COMPLETED, late=False).order_by("pk"):
        if made.finished_at and made.finished_at > made.due_at:
            with transaction.atomic():
                made.late = True
                made.save(update_fields=["late", "updated_at"])
                audit.record_transition(None, made, "late", False, True)
            late += 1
    return missed, late


# --- walking a round ---------------------------------------------------------------------------
def evaluate(item: CheckItem, value: float | None, ok: bool | None) -> str:
    """Pass or fail: a reading within [low, high] (a missing limit is no limit) passes; a
    pass/fail item passes when it is OK."""
    if item.kind == ItemKind.READING:
        assert value is not None
        if item.low is not None and value < item.low:
            return Outcome.FAIL
        if item.high is not None and value > item.high:
            return Outcome.FAIL
        return Outcome.PASS
    return Outcome.PASS if ok else Outcome.FAIL


def _walkable(actor: Any, made: Round) -> None:
    _require(actor, INSPECTION_WALK, place_of_team(made.team))


def _lock(made: Round) -> Round:
    return Round.objects.select_for_update().select_related("team__area", "route").get(pk=made.pk)


def _start(actor: Any, made: Round, at: dt.datetime) -> None:
    if made.status == RoundStatus.COMPLETED:
        raise ValidationError({"round": [_("该巡检任务已完成。")]})
    if made.status == RoundStatus.MISSED:
        raise ValidationError({"round": [_("该巡检任务已漏检，不能再执行。")]})
    if made.status == RoundStatus.SCHEDULED:
        made.status, made.started_at = RoundStatus.IN_PROGRESS, at
        made.walker = actor if getattr(actor, "pk", None) else None
        made.save(update_fields=["status", "started_at", "walker", "updated_at"])
        audit.record_transition(actor, made, "status", RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS)


def start_round(actor: Any, made: Round, at: dt.datetime | None = None) -> Round:
    _walkable(actor, made)
    with transaction.atomic():
        made = _lock(made)
        _start(actor, made, at or timezone.now())
    return made


def _checkpoint_by_code(made: Round, code: str) -> Checkpoint:
    code = str(code or "").strip().upper()
    if not code:
        raise ValidationError({"code": [_("请扫描或输入点位码。")]})
    checkpoint = Checkpoint.objects.filter(code=code).first()
    if checkpoint is None:
        raise ValidationError({"code": [_("点位码无效：没有这个巡检点。")]})
    if checkpoint.route_id != made.route_id:
        raise ValidationError(
            {"code": [_("该巡检点不属于本次巡检路线（%(name)s）。") % {"name": checkpoint.name}]}
        )
    return checkpoint


def _check_in(actor: Any, made: Round, code: str, at: dt.datetime) -> CheckIn:
    checkpoint = _checkpoint_by_code(made, code)
    existing = CheckIn.objects.filter(round=made, checkpoint=checkpoint).first()
    if existing is not None:
        return existing
    checkin = CheckIn.objects.create(
        round=made, checkpoint=checkpoint, at=at, code=checkpoint.code,
        user=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    audit.record_create(actor, checkin)
    return checkin


def check_in(actor: Any, made: Round, code: str, at: dt.datetime | None = None) -> CheckIn:
    """Check in at the checkpoint whose code was scanned (starts the round if need be). A code of
    no checkpoint, or of a checkpoint of another route, is refused with a ``code`` field error."""
    _walkable(actor, made)
    at = at or timezone.now()
    with transaction.atomic():
        made = _lock(made)
        _start(actor, made, at)
        return _check_in(actor, made, code, at)


def _record(
    actor: Any,
    made: Round,
    item: CheckItem,
    *,
    value: Any,
    ok: Any,
    note: str,
    photos: Sequence[Any],
    at: dt.datetime,
    prefix: str = "",
) -> ItemResult:
    errors: dict[str, list[str]] = {}
    if item.checkpoint.route_id != made.route_id:
        raise ValidationError({f"{prefix}item": [_("该检查项不属于本次巡检路线。")]})
    if not CheckIn.objects.filter(round=made, checkpoint_id=item.checkpoint_id).exists():
        raise ValidationError(
            {f"{prefix}item": [_("请先在“%(name)s”扫码签到。") % {"name": item.checkpoint.name}]}
        )
    number: float | None = None
    if item.kind == ItemKind.READING:
        number = _number(errors, f"{prefix}value", value)
        if number is None and f"{prefix}value" not in errors:
            errors[f"{prefix}value"] = [_("请填写读数。")]
    elif not isinstance(ok, bool):
        errors[f"{prefix}ok"] = [_("请选择正常或异常。")]
    note = _text(errors, f"{prefix}note", note, 500, required=False)
    existing = ItemResult.objects.filter(round=made, item=item).first()
    has_photo = bool(photos) or (existing is not None and _photo_count(existing) > 0)
    if item.photo_required and not has_photo:
        errors[f"{prefix}photos"] = [_("此检查项须拍照。")]
    if errors:
        raise ValidationError(errors)
    outcome = evaluate(item, number, ok if isinstance(ok, bool) else None)
    who = actor if getattr(actor, "pk", None) else None
    if existing is None:
        result = ItemResult.objects.create(
            round=made, item=item, value=number, outcome=outcome, note=note, recorded_at=at,
            recorded_by=who, follow_up=item.on_fail if outcome == Outcome.FAIL else OnFail.NONE,
        )  # fmt: skip
        audit.record_create(actor, result)
    else:
        result = existing
        before = audit.snapshot(result)
        result.value, result.outcome, result.note, result.recorded_at, result.recorded_by = (
            number, outcome, note, at, who,
        )  # fmt: skip
        result.follow_up = item.on_fail if outcome == Outcome.FAIL else OnFail.NONE
        result.save()
        audit.record_update(actor, result, before)
    for photo in photos:
        store_upload(actor, result, photo)
    return result


def _photo_count(result: ItemResult) -> int:
    from django.contrib.contenttypes.models import ContentType

    from anquan.platform.attachments.models import Attachment

    return Attachment.objects.filter(
        owner_type=ContentType.objects.get_for_model(ItemResult), owner_id=result.pk
    ).count()


def record_result(
    actor: Any,
    made: Round,
    item: CheckItem,
    *,
    value: Any = None,
    ok: Any = None,
    note: str = "",
    photos: Sequence[Any] = (),
    at: dt.datetime | None = None,
) -> ItemResult:
    """Record one check item of a round in progress (after checking in at its checkpoint); a value
    outside the item's limits, or "not OK", fails. Recording again replaces the value."""
    _walkable(actor, made)
    with transaction.atomic():
        made = _lock(made)
        if made.status != RoundStatus.IN_PROGRESS:
            raise ValidationError({"round": [_("巡检任务未在执行中。")]})
        return _record(
            actor, made, item, value=value, ok=ok, note=note, photos=photos, at=at or timezone.now()
        )


def _finish(actor: Any, made: Round, at: dt.datetime) -> Round:
    if made.status != RoundStatus.IN_PROGRESS:
        raise ValidationError({"round": [_("巡检任务未在执行中。")]})
    items = CheckItem.objects.filter(checkpoint__route_id=made.route_id)
    missing = items.exclude(pk__in=made.results.values("item_id")).select_related("checkpoint")
    if missing.exists():
        names = "、".join(f"{i.checkpoint.name}：{i.name}" for i in missing[:5])
        raise ValidationError({"round": [_("还有检查项未记录：%(names)s。") % {"names": names}]})
    made.status, made.finished_at, made.late = RoundStatus.COMPLETED, at, at > made.due_at
    made.save(update_fields=["status", "finished_at", "late", "updated_at"])
    audit.record_transition(actor, made, "status", RoundStatus.IN_PROGRESS, RoundStatus.COMPLETED)
    failed = list(
        made.results.filter(outcome=Outcome.FAIL).select_related(
            "item__checkpoint__area", "item__checkpoint__equipment"
        )
    )
    for result in failed:
        _follow_up(actor, made, result)
    publish(
        RoundCompleted(
            round_id=made.pk,
            site_id=made.site_id,
            team_id=made.team_id,
            late=made.late,
            failed_items=len(failed),
        )
    )
    return made


def _follow_up(actor: Any, made: Round, result: ItemResult) -> None:
    """A failed item's rule: ``work_order`` opens a work order (by the system: the rule, not the
    walker, decides; the work-order dispatch rules choose the assignee) linked back to the result;
    ``hazard`` reports a hazard in the walker's name (source 日常排查) for the verifier; every failure
    publishes ``CheckItemFailed``."""
    checkpoint = result.item.checkpoint
    if result.follow_up == OnFail.WORK_ORDER:
        local = timezone.localtime(made.starts_at)
        reading = f"{result.value:g} {result.item.unit}".strip() if result.value is not None else _("异常")
        order = workorders.open_work_order(
            None,
            site=made.site,
            area=checkpoint.area,
            equipment=checkpoint.equipment,
            title=_("巡检异常：%(point)s %(item)s") % {"point": checkpoint.name, "item": result.item.name},
            description=_("%(plan)s（%(at)s）在“%(point)s”检查“%(item)s”：%(reading)s。%(note)s")
            % {"plan": made.plan.name, "at": f"{local:%Y-%m-%d %H:%M}", "point": checkpoint.name,
               "item": result.item.name, "reading": reading, "note": result.note},
            priority=WorkOrderPriority.MEDIUM,
            origin_kind=OriginKind.INSPECTION,
            origin_id=result.pk,
            origin_label=_("巡检 %(plan)s %(at)s") % {"plan": made.plan.name, "at": f"{local:%m-%d %H:%M}"},
            origin_url=reverse("inspections:round", args=[made.pk]),
            now=made.finished_at or timezone.now(),
        )  # fmt: skip
        result.follow_up_id = order.pk
        result.save(update_fields=["follow_up_id"])
    elif result.follow_up == OnFail.HAZARD and result.recorded_by is not None:
        # the walker found it: reported in their name (a hazard's reporter is a person), once per
        # result however often the round is submitted (a client id made from the result)
        local = timezone.localtime(made.starts_at)
        reading = f"{result.value:g} {result.item.unit}".strip() if result.value is not None else _("异常")
        try:
            hazard, _created = hazards.report_hazard(
                result.recorded_by,
                area=checkpoint.area,
                equipment=checkpoint.equipment,
                description=_("巡检异常：%(plan)s（%(at)s）在“%(point)s”检查“%(item)s”：%(reading)s。%(note)s")
                % {"plan": made.plan.name, "at": f"{local:%Y-%m-%d %H:%M}", "point": checkpoint.name,
                   "item": result.item.name, "reading": reading, "note": result.note},
                category=HazardCategory.EQUIPMENT if checkpoint.equipment_id else HazardCategory.OTHER,
                source=HazardSource.DAILY,
                client_uid=uuid.uuid5(uuid.NAMESPACE_URL, f"anquan:inspections:itemresult:{result.pk}"),
            )  # fmt: skip
        except PermissionDenied:
            logger.warning("inspection result %s: its walker may not report hazards there", result.pk)
        else:
            result.follow_up_id = hazard.pk
            result.save(update_fields=["follow_up_id"])
    publish(
        CheckItemFailed(
            result_id=result.pk,
            round_id=made.pk,
            site_id=made.site_id,
            area_id=checkpoint.area_id,
            equipment_id=checkpoint.equipment_id,
            on_fail=result.follow_up,
            recorded_by_id=result.recorded_by_id,
        )
    )


def finish_round(actor: Any, made: Round, at: dt.datetime | None = None) -> Round:
    """Finish a round whose every check item is recorded; late when after its due time. Failed
    items are followed up by their rule."""
    _walkable(actor, made)
    with transaction.atomic():
        made = _lock(made)
        return _finish(actor, made, at or timezone.now())


# --- offline: a whole round in one request -----------------------------------------------------
@dataclass
class BatchResult:
    item_id: int
    value: Any = None
    ok: Any = None
    note: str = ""
    photos: list[Any] = field(default_factory=list)


@dataclass
class BatchCheckIn:
    code: str
    at: dt.datetime


def submit_round(
    actor: Any,
    made: Round,
    *,
    client_uuid: uuid.UUID,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    checkins: Iterable[BatchCheckIn],
    results: Iterable[BatchResult],
) -> tuple[Round, bool]:
    """Store a round walked offline, all or nothing: its check-ins (the codes scanned, with their
    times), its results and its finish. Idempotent on ``client_uuid``: sent again, the round is
    returned unchanged. (round, stored now). A round marked missed while the phone was offline is
    accepted when the walk started before its due time."""
    _walkable(actor, made)
    checkins, results = list(checkins), list(results)
    if len(results) > MAX_BATCH_RESULTS:
        raise ValidationError({"results": [_("最多 %(n)d 项。") % {"n": MAX_BATCH_RESULTS}]})
    if finished_at < started_at:
        raise ValidationError({"finished_at": [_("完成时间不能早于开始时间。")]})
    with transaction.atomic():
        made = _lock(made)
        if made.client_uuid == client_uuid:
            return made, False
        if Round.objects.filter(client_uuid=client_uuid).exclude(pk=made.pk).exists():
            raise ValidationError({"client_uuid": [_("该离线提交编号已用于另一次巡检。")]})
        if made.status == RoundStatus.MISSED and started_at <= made.due_at:
            made.status = RoundStatus.SCHEDULED  # it was walked in time, offline
            audit.record_transition(actor, made, "status", RoundStatus.MISSED, RoundStatus.SCHEDULED)
        if made.status == RoundStatus.SCHEDULED:
            _start(actor, made, started_at)
        elif made.status == RoundStatus.IN_PROGRESS:
            pass
        else:
            _start(actor, made, started_at)  # raises: completed or missed
        for n, c in enumerate(checkins):
            try:
                _check_in(actor, made, c.code, c.at)
            except ValidationError as exc:
                raise ValidationError({f"checkins.{n}.code": exc.message_dict["code"]}) from exc
        items = {
            i.pk: i
            for i in CheckItem.objects.filter(checkpoint__route_id=made.route_id).select_related("checkpoint")
        }
        for n, r in enumerate(results):
            item = items.get(r.item_id)
            if item is None:
                raise ValidationError({f"results.{n}.item_id": [_("该检查项不属于本次巡检路线。")]})
            _record(
                actor, made, item, value=r.value, ok=r.ok, note=r.note, photos=r.photos,
                at=finished_at, prefix=f"results.{n}.",
            )  # fmt: skip
        made.client_uuid = client_uuid
        made.save(update_fields=["client_uuid", "updated_at"])
        _finish(actor, made, finished_at)
    return made, True
