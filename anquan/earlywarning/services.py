"""Writes of early warning: models, training, approval and roll back, AI alerts and their review.

Each use case owns its transaction, checks who may do it (``earlywarning.configure`` to define,
train, approve and roll back; ``earlywarning.review`` to confirm or reject an alert, in the alert's
area), audits, and publishes events after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.detectors import registry
from anquan.earlywarning import training
from anquan.earlywarning.choices import NotifyMode, ReviewStatus, VersionStatus
from anquan.earlywarning.events import AIAlertRaised, AIAlertReviewed, ModelVersionTrained
from anquan.earlywarning.models import AIAlert, ModelVersion, WarningModel
from anquan.monitoring import services as monitoring
from anquan.org.access import Access, place_of_area
from anquan.org.roles import WARNING_CONFIGURE, WARNING_REVIEW
from anquan.plant.choices import AlarmPriority
from anquan.plant.models import Equipment, SensorTag, Unit
from anquan.platform import audit
from anquan.platform.events import publish
from anquan.workorders import services as workorders
from anquan.workorders.choices import OriginKind
from anquan.workorders.choices import Priority as WorkOrderPriority
from anquan.workorders.models import WorkOrder

logger = logging.getLogger(__name__)

MAX_TAGS = 60  # variables of one model: a unit's worth, not a site's
MIN_TAGS = 2  # a multivariate model needs at least two
INTERVALS_S = (1, 2, 5, 10, 15, 30, 60)
MAX_TRAINING_DAYS = 90
# The target of false AI alerts per model and day (PRODUCT.md: at most one per unit and day).
MIN_ALERTS_PER_DAY = 0.05
MAX_ALERTS_PER_DAY = 24.0
MODEL_FIELDS = (
    "name",
    "detector",
    "tags",
    "interval_s",
    "training_days",
    "alerts_per_day",
    "notify",
    "priority",
    "enabled",
)


def _require(actor: Any, capability: str, unit_or_area: Any) -> None:
    if actor is not None:
        area = unit_or_area.area if isinstance(unit_or_area, Unit) else unit_or_area
        Access.of(actor).require(capability, place_of_area(area))


def default_tags(unit: Unit) -> list[SensorTag]:
    """The variables a new model of ``unit`` starts with: every tag of the unit's equipment."""
    return list(SensorTag.objects.filter(equipment__unit=unit).order_by("tag"))


def _clean(unit: Unit, values: dict[str, Any]) -> dict[str, Any]:
    """Every field error at once (Chinese messages, keyed by field); the cleaned values."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("请填写名称。")]
    elif len(name) > 120:
        errors["name"] = [_("不能超过 %(n)d 个字。") % {"n": 120}]
    clean["name"] = name
    detector = str(values.get("detector") or "")
    if detector not in registry.DETECTORS:
        errors["detector"] = [
            _("请选择检测算法：%(names)s。") % {"names": "、".join(sorted(registry.DETECTORS))}
        ]
    clean["detector"] = detector
    tags = list(values.get("tags") or [])
    ids = [t.pk if isinstance(t, SensorTag) else t for t in tags]
    found = list(SensorTag.objects.filter(pk__in=ids, site_id=unit.area.site_id).order_by("tag"))
    if len(found) != len(set(ids)):
        errors["tags"] = [_("测点必须是本场所的测点。")]
    elif not MIN_TAGS <= len(found) <= MAX_TAGS:
        errors["tags"] = [_("请选择 %(min)d ~ %(max)d 个测点。") % {"min": MIN_TAGS, "max": MAX_TAGS}]
    clean["tags"] = found
    interval = values.get("interval_s")
    if isinstance(interval, bool) or interval not in INTERVALS_S:
        errors["interval_s"] = [
            _("采样间隔须为以下之一（秒）：%(values)s。") % {"values": "、".join(map(str, INTERVALS_S))}
        ]
    clean["interval_s"] = interval
    days = values.get("training_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TRAINING_DAYS:
        errors["training_days"] = [_("训练数据须为 1 ~ %(max)d 天。") % {"max": MAX_TRAINING_DAYS}]
    clean["training_days"] = days
    rate = values.get("alerts_per_day")
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or not MIN_ALERTS_PER_DAY <= rate <= MAX_ALERTS_PER_DAY
    ):
        errors["alerts_per_day"] = [
            _("目标误报须在 %(min)s ~ %(max)s 次/天之间。")
            % {"min": MIN_ALERTS_PER_DAY, "max": MAX_ALERTS_PER_DAY}
        ]
    clean["alerts_per_day"] = rate
    if values.get("notify") not in NotifyMode.values:
        errors["notify"] = [_("请选择通知方式。")]
    clean["notify"] = values.get("notify")
    if values.get("priority") not in AlarmPriority.values:
        errors["priority"] = [_("请选择优先级。")]
    clean["priority"] = values.get("priority")
    clean["enabled"] = bool(values.get("enabled", True))
    if errors:
        raise ValidationError(errors)
    return clean


def define_model(
    user: Any,
    *,
    unit: Unit,
    name: str,
    tags: Sequence[SensorTag | int],
    detector: str = registry.DEFAULT,
    interval_s: int = 10,
    training_days: int = 7,
    alerts_per_day: float = 1.0,
    notify: str = NotifyMode.AFTER_REVIEW,
    priority: str = AlarmPriority.MEDIUM,
    enabled: bool = True,
) -> WarningModel:
    _require(user, WARNING_CONFIGURE, unit)
    clean = _clean(
        unit,
        {
            "name": name, "detector": detector, "tags": tags, "interval_s": interval_s,
            "training_days": training_days, "alerts_per_day": alerts_per_day, "notify": notify,
            "priority": priority, "enabled": enabled,
        },
    )  # fmt: skip
    chosen = clean.pop("tags")
    with transaction.atomic():
        model = WarningModel.objects.create(site_id=unit.area.site_id, unit=unit, **clean)
        model.tags.set(chosen)
        audit.record_create(user, model)
    return model


def update_model(user: Any, model: WarningModel, **fields: Any) -> WarningModel:
    """Change a model's definition. Its versions keep what they were trained with; a new training
    uses the new definition."""
    unknown = set(fields) - set(MODEL_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    _require(user, WARNING_CONFIGURE, model.unit)
    current: dict[str, Any] = {name: getattr(model, name) for name in MODEL_FIELDS if name != "tags"}
    current["tags"] = list(model.tags.all())
    clean = _clean(model.unit, {**current, **fields})
    chosen = clean.pop("tags")
    before = audit.snapshot(model)
    with transaction.atomic():
        for name, value in clean.items():
            setattr(model, name, value)
        model.save()
        model.tags.set(chosen)
        audit.record_update(user, model, before)
    return model


# --- training ----------------------------------------------------------------------------------
def request_training(user: Any, model: WarningModel, *, end: dt.datetime | None = None) -> ModelVersion:
    """Queue a training of ``model`` on the ``training_days`` before ``end`` (default: now) as a new
    version; a background task trains it (``earlywarning.tasks.train_version``)."""
    _require(user, WARNING_CONFIGURE, model.unit)
    end = end or timezone.now()
    tags = list(model.tags.order_by("tag"))
    with transaction.atomic():
        WarningModel.objects.select_for_update().filter(pk=model.pk).first()
        number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ModelVersion.objects.create(
            model=model,
            number=number,
            detector=model.detector,
            tag_codes=[t.tag for t in tags],
            interval_s=model.interval_s,
            train_from=end - dt.timedelta(days=model.training_days),
            train_to=end,
            created_by=user if getattr(user, "pk", None) else None,
            metrics={"tag_ids": [t.pk for t in tags], "alerts_per_day": model.alerts_per_day},
        )
        audit.record_create(user, version)
        transaction.on_commit(partial(_enqueue_training, version.pk), robust=True)
    return version


def _enqueue_training(version_id: int) -> None:
    from anquan.earlywarning.tasks import train_version

    try:
        train_version.enqueue(version_id)
    except Exception:  # the queue being down must not leave the version queued silently
        logger.exception("could not enqueue training of model version %s", version_id)
        ModelVersion.objects.filter(pk=version_id, status=VersionStatus.QUEUED).update(
            status=VersionStatus.FAILED,
            message=_("无法提交后台任务，请稍后重试。"),
            updated_at=timezone.now(),
        )


def run_training(version_id: int) -> str:
    """The task body: train a queued version (claimed by compare-and-set, so running twice is safe)."""
    claimed = ModelVersion.objects.filter(pk=version_id, status=VersionStatus.QUEUED).update(
        status=VersionStatus.TRAINING, progress=1, updated_at=timezone.now()
    )
    version = ModelVersion.objects.select_related("model").get(pk=version_id)
    if not claimed:
        return version.status

    def progress(pct: int, message: str) -> None:
        ModelVersion.objects.filter(pk=version_id).update(
            progress=pct, message=message, updated_at=timezone.now()
        )

    tag_ids = [int(i) for i in version.metrics.get("tag_ids", [])]
    try:
        result = training.train(
            detector_name=version.detector,
            tag_ids=tag_ids,
            codes=list(version.tag_codes),
            start_ms=int(version.train_from.timestamp() * 1000),
            end_ms=int(version.train_to.timestamp() * 1000),
            interval_s=version.interval_s,
            alerts_per_day=float(version.metrics.get("alerts_per_day", version.model.alerts_per_day)),
            progress=progress,
        )
    except training.TrainingError as exc:
        _finish(version, VersionStatus.FAILED, str(exc))
        return VersionStatus.FAILED
    except Exception as exc:
        logger.exception("training of model version %s failed", version_id)
        _finish(version, VersionStatus.FAILED, _("训练失败：%(error)s") % {"error": exc})
        return VersionStatus.FAILED
    with transaction.atomic():
        version.status = VersionStatus.READY
        version.progress = 100
        version.message = _("训练完成，待审批后投用。")
        version.artefact = result.artefact
        version.rows = result.rows
        version.data_hash = result.data_hash
        version.threshold = result.threshold
        version.metrics = {**version.metrics, **result.metrics}
        version.save()
        audit.record_transition(None, version, "status", VersionStatus.TRAINING, VersionStatus.READY)
        publish(
            ModelVersionTrained(
                version_id=version.pk, model_id=version.model_id, site_id=version.model.site_id, ok=True
            )
        )
    return VersionStatus.READY


STALLED_AFTER_S = 900  # a training that reported no progress for this long lost its worker


def fail_stalled_training(now: dt.datetime | None = None) -> int:
    """Mark trainings whose worker died (no progress for STALLED_AFTER_S) as failed."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=STALLED_AFTER_S)
    return ModelVersion.objects.filter(status=VersionStatus.TRAINING, updated_at__lt=cutoff).update(
        status=VersionStatus.FAILED,
        message=_("训练任务中断（超过 %(min)d 分钟没有进展），请重新训练。") % {"min": STALLED_AFTER_S // 60},
        progress=100,
        updated_at=timezone.now(),
    )


def _finish(version: ModelVersion, status: str, message: str) -> None:
    with transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(
            status=status, message=message[:2000], progress=100, updated_at=timezone.now()
        )
        audit.record_transition(None, version, "status", VersionStatus.TRAINING, status)
        publish(
            ModelVersionTrained(
                version_id=version.pk, model_id=version.model_id, site_id=version.model.site_id, ok=False
            )
        )


def approve_version(user: Any, version: ModelVersion) -> ModelVersion:
    """Approve a trained version and put it in service (the model's one active version)."""
    _require(user, WARNING_CONFIGURE, version.model.unit)
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        if version.status != VersionStatus.READY:
            raise ValidationError({"version": [_("只有训练完成、待审批的版本可以审批。")]})
        version.status = VersionStatus.APPROVED
        version.approved_by = user if getattr(user, "pk", None) else None
        version.approved_at = timezone.now()
        version.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        audit.record_transition(user, version, "status", VersionStatus.READY, VersionStatus.APPROVED)
        _activate(user, version)
    return version


def activate_version(user: Any, version: ModelVersion) -> ModelVersion:
    """Put an approved version back in service (roll back or forward)."""
    _require(user, WARNING_CONFIGURE, version.model.unit)
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.APPROVED:
            raise ValidationError({"version": [_("只有已审批的版本可以投用。")]})
        _activate(user, version)
    return version


def _activate(user: Any, version: ModelVersion) -> None:
    model = WarningModel.objects.select_for_update().get(pk=version.model_id)
    before = model.active_version_id
    if before == version.pk:
        return
    model.active_version = version
    model.save(update_fields=["active_version", "updated_at"])
    audit.record_transition(user, model, "active_version", before, version.pk)


def recalibrate(user: Any, version: ModelVersion, threshold: float) -> ModelVersion:
    """A new version with the same trained model and another threshold (e.g. from the reviews'
    preview); it is approved like any version."""
    _require(user, WARNING_CONFIGURE, version.model.unit)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not math.isfinite(threshold)
        or threshold <= 0
    ):
        raise ValidationError({"threshold": [_("阈值必须是大于 0 的数值。")]})
    if version.artefact is None:
        raise ValidationError({"version": [_("该版本没有训练好的模型。")]})
    detector = training.from_bytes(bytes(version.artefact))
    detector.threshold_ = float(threshold)
    with transaction.atomic():
        WarningModel.objects.select_for_update().filter(pk=version.model_id).first()
        number = (
            ModelVersion.objects.filter(model_id=version.model_id).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        new = ModelVersion.objects.create(
            model_id=version.model_id,
            number=number,
            status=VersionStatus.READY,
            progress=100,
            message=_("由 v%(n)d 按复核结果重新标定阈值。") % {"n": version.number},
            detector=version.detector,
            tag_codes=version.tag_codes,
            interval_s=version.interval_s,
            train_from=version.train_from,
            train_to=version.train_to,
            rows=version.rows,
            data_hash=version.data_hash,
            threshold=float(threshold),
            metrics={
                **version.metrics,
                "recalibrated_from": version.number,
                "threshold_before": version.threshold,
            },
            artefact=training.to_bytes(detector),
            created_by=user if getattr(user, "pk", None) else None,
        )
        audit.record_create(user, new)
    return new


# --- AI alerts (raised by the stream's scoring) ---------------------------------------------------
def raise_alert(
    version: ModelVersion,
    *,
    at: dt.datetime,
    score: float,
    contributors: list[dict[str, Any]],
    heatmap: dict[str, Any],
    path: list[dict[str, Any]],
    forecasts: list[dict[str, Any]],
) -> AIAlert:
    model = version.model
    with transaction.atomic():
        alert = AIAlert.objects.create(
            model=model,
            version=version,
            site_id=model.site_id,
            area_id=model.unit.area_id,
            started_at=at,
            score=score,
            threshold=float(version.threshold or 0),
            contributors=contributors,
            heatmap=heatmap,
            path=path,
            forecasts=forecasts,
        )
        publish(
            AIAlertRaised(
                alert_id=alert.pk,
                model_id=model.pk,
                site_id=model.site_id,
                area_id=model.unit.area_id,
                notify_now=model.notify == NotifyMode.IMMEDIATE,
            )
        )
    return alert


def update_alert(alert_id: int, *, score: float, forecasts: list[dict[str, Any]] | None = None) -> None:
    """The episode goes on: keep its highest score (and the latest time-to-limit estimates)."""
    fields: dict[str, Any] = {"updated_at": timezone.now()}
    if forecasts is not None:
        fields["forecasts"] = forecasts
    AIAlert.objects.filter(pk=alert_id, score__lt=score).update(score=score)
    AIAlert.objects.filter(pk=alert_id).update(**fields)


def end_alert(alert_id: int, at: dt.datetime) -> None:
    """The score stayed below the threshold: the episode ends (a confirmed one's alarm returns)."""
    with transaction.atomic():
        alert = AIAlert.objects.select_for_update().select_related("model").filter(pk=alert_id).first()
        if alert is None or alert.ended_at is not None:
            return
        alert.ended_at = at
        alert.save(update_fields=["ended_at", "updated_at"])
        if alert.review == ReviewStatus.CONFIRMED:
            monitoring.return_ai_alarm(_alarm_rule(alert.model), at)


def _alarm_rule(model: WarningModel) -> Any:
    return monitoring.ai_rule(
        model_id=model.pk,
        site=model.site,
        area=model.unit.area,
        name=_("AI 预警：%(model)s") % {"model": model.name},
        priority=model.priority,
    )


def open_work_order(
    user: Any, alert: AIAlert, *, title: str = "", description: str = "", priority: str = ""
) -> WorkOrder:
    """A work order for a confirmed AI alert (e.g. "check the flange at FV-404"): dispatched by
    the work-order rules to the unit's equipment that deviated first, linked back to the alert."""
    if alert.review != ReviewStatus.CONFIRMED:
        raise ValidationError({"alert": [_("只有专家确认的 AI 预警才能开工单。")]})
    first = (alert.path or [{}])[0]
    equipment = Equipment.objects.filter(area__site_id=alert.site_id, code=first.get("equipment", "")).first()
    top = "、".join(f"{c['tag']} {c['share']:.0%}" for c in alert.contributors[:3]) or "—"
    return workorders.open_work_order(
        user,
        site=alert.site,
        area=alert.area,
        equipment=equipment,
        title=title.strip() or _("排查 AI 预警：%(model)s") % {"model": alert.model.name},
        description=description.strip() or _("主要贡献测点：%(top)s。请到现场核查并处置。") % {"top": top},
        priority=priority or WorkOrderPriority.HIGH,
        origin_kind=OriginKind.AI_ALERT,
        origin_id=alert.pk,
        origin_label=(_("AI 预警 %(model)s") % {"model": alert.model.name})[:200],
        origin_url=reverse("earlywarning:alert", args=[alert.pk]),
    )


def confirm_alert(user: Any, alert: AIAlert, comment: str = "") -> AIAlert:
    """An expert confirms: the alert becomes an alarm on the model's AI alarm point (the alarm
    console, escalation and KPIs take it from there)."""
    comment = str(comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": [_("不能超过 %(n)d 个字。") % {"n": 500}]})
    _require(user, WARNING_REVIEW, alert.area)
    with transaction.atomic():
        alert = _pending(alert)
        now = timezone.now()
        text = _("专家确认 AI 预警（得分 %(score).2f / 阈值 %(threshold).2f；主要贡献：%(top)s）") % {
            "score": alert.score,
            "threshold": alert.threshold,
            "top": "、".join(f"{c['tag']} {c['share']:.0%}" for c in alert.contributors[:3]) or "—",
        }
        if comment:
            text = f"{text}：{comment}"
        rule = _alarm_rule(alert.model)
        occurrence = monitoring.raise_ai_alarm(rule, now, alert.score, text, user)
        if alert.ended_at is not None:
            monitoring.return_ai_alarm(rule, now)
        alert.review = ReviewStatus.CONFIRMED
        alert.reviewed_by = user if getattr(user, "pk", None) else None
        alert.reviewed_at = now
        alert.review_reason = comment
        alert.occurrence = occurrence
        alert.save(
            update_fields=[
                "review",
                "reviewed_by",
                "reviewed_at",
                "review_reason",
                "occurrence",
                "updated_at",
            ]
        )
        audit.record_transition(user, alert, "review", ReviewStatus.PENDING, ReviewStatus.CONFIRMED)
        publish(
            AIAlertReviewed(
                alert_id=alert.pk,
                site_id=alert.site_id,
                confirmed=True,
                reviewer_id=getattr(user, "pk", None),
                occurrence_id=occurrence.pk if occurrence is not None else None,
            )
        )
    return alert


def reject_alert(user: Any, alert: AIAlert, reason: str) -> AIAlert:
    """An expert rejects with a reason (the reason is the label the model's precision learns from)."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写驳回原因。")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("不能超过 %(n)d 个字。") % {"n": 500}]})
    _require(user, WARNING_REVIEW, alert.area)
    with transaction.atomic():
        alert = _pending(alert)
        alert.review = ReviewStatus.REJECTED
        alert.reviewed_by = user if getattr(user, "pk", None) else None
        alert.reviewed_at = timezone.now()
        alert.review_reason = reason
        alert.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_reason", "updated_at"])
        audit.record_transition(user, alert, "review", ReviewStatus.PENDING, ReviewStatus.REJECTED)
        publish(
            AIAlertReviewed(
                alert_id=alert.pk,
                site_id=alert.site_id,
                confirmed=False,
                reviewer_id=getattr(user, "pk", None),
                occurrence_id=None,
            )
        )
    return alert


def _pending(alert: AIAlert) -> AIAlert:
    locked = (
        AIAlert.objects.select_for_update()
        .select_related("model__unit__area", "model__site")
        .get(pk=alert.pk)
    )
    if locked.review != ReviewStatus.PENDING:
        raise ValidationError(
            {"alert": [_("该 AI 预警已复核（%(status)s）。") % {"status": locked.get_review_display()}]}
        )
    return locked


def threshold_preview(model: WarningModel, thresholds: Iterable[float]) -> list[dict[str, Any]]:
    """What the reviewed alerts say about other thresholds: per candidate, how many confirmed
    alerts would still have been raised and how many rejected ones would not."""
    reviewed = list(model.alerts.exclude(review=ReviewStatus.PENDING).values_list("review", "score"))
    confirmed = [s for r, s in reviewed if r == ReviewStatus.CONFIRMED]
    rejected = [s for r, s in reviewed if r == ReviewStatus.REJECTED]
    out = []
    for t in thresholds:
        kept = sum(1 for s in confirmed if s >= t)
        still_false = sum(1 for s in rejected if s >= t)
        out.append(
            {
                "threshold": t,
                "confirmed_kept": kept,
                "confirmed_lost": len(confirmed) - kept,
                "rejected_avoided": len(rejected) - still_false,
                "rejected_left": still_false,
                "precision": kept / (kept + still_false) if kept + still_false else None,
            }
        )
    return out
