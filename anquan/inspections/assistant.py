"""The AI inspection assistant's writes: device signals in, asset health scores out.

``ingest_signals`` validates a batch from an inspection device (thermal camera summary, acoustic
band levels, gas sensor array), stores it and re-assesses the equipment it names;
``assess_equipment`` fuses the latest signal of each kind (not older than ``SIGNAL_MAX_AGE``) with
the equipment's live tags into a ``HealthScore`` (``health.assess``) with the weights of its site
(``weights_of``: the site's ``HealthWeights``, else the defaults), kept on the score.
``configure_weights`` sets a site's weights (the next assessments use them; stored scores keep
theirs); ``preview`` scores the site's assets under the current and proposed weights side by side.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.inspections import health, selectors
from anquan.inspections.choices import SignalKind
from anquan.inspections.models import HealthScore, HealthWeights, Signal
from anquan.monitoring.models import TagLive
from anquan.org.access import Access, place_of_area, place_of_site
from anquan.org.models import Site
from anquan.org.roles import INSPECTION_PLAN, INSPECTION_WALK
from anquan.plant.models import Equipment
from anquan.platform import audit

SIGNAL_MAX_AGE = dt.timedelta(hours=24)  # an older signal no longer says anything about today
LIVE_MAX_AGE_MS = 15 * 60 * 1000  # a live value older than 15 minutes is not "live"
MAX_SIGNALS = 500
MAX_CHANNELS = 64
HISTORY = 48  # scores shown as the trend
PREVIEW_MAX = 200  # assets scored side by side before weights are saved


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _levels(data: Mapping[str, Any], key: str, errors: list[str]) -> dict[str, float]:
    raw = data.get(key)
    if not isinstance(raw, dict) or not raw:
        errors.append(_("缺少 %(key)s（名称 → 数值）。") % {"key": key})
        return {}
    if len(raw) > MAX_CHANNELS:
        errors.append(_("%(key)s 最多 %(n)d 项。") % {"key": key, "n": MAX_CHANNELS})
        return {}
    out = {}
    for name, value in raw.items():
        number = _finite(value)
        if number is None or not str(name).strip() or len(str(name)) > 40:
            errors.append(_("%(key)s.%(name)s 必须是有限的数字。") % {"key": key, "name": str(name)[:40]})
            continue
        out[str(name)] = number
    return out


def clean_data(kind: str, data: Any) -> dict[str, Any]:
    """The validated payload of one signal (ValidationError with a ``data`` list of messages)."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ValidationError({"data": [_("必须是 JSON 对象。")]})
    clean: dict[str, Any] = {}
    if kind == SignalKind.THERMAL:
        for key in ("max_c", "mean_c", "reference_c"):
            number = _finite(data.get(key))
            if number is None or not -50 <= number <= 2000:
                errors.append(_("%(key)s 必须是 -50 ~ 2000 之间的温度（°C）。") % {"key": key})
            clean[key] = number
        if not errors and clean["mean_c"] > clean["max_c"]:
            errors.append(_("平均温度不能高于最高温度。"))
        spot = data.get("hotspot")
        if spot is not None:
            if not (isinstance(spot, list) and len(spot) == 2 and all(_finite(v) is not None for v in spot)):
                errors.append(_("hotspot 必须是热点坐标 [x, y]。"))
            else:
                clean["hotspot"] = [float(v) for v in spot]
    elif kind in (SignalKind.ACOUSTIC, SignalKind.GAS):
        key = "bands" if kind == SignalKind.ACOUSTIC else "channels"
        clean[key] = _levels(data, key, errors)
        clean["baseline"] = _levels(data, "baseline", errors)
        if not errors and set(clean[key]) - set(clean["baseline"]):
            errors.append(_("每个 %(key)s 都需要基线值。") % {"key": key})
    else:
        raise ValidationError({"kind": [_("请选择信号类别：thermal、acoustic 或 gas。")]})
    if errors:
        raise ValidationError({"data": errors})
    return clean


def ingest_signals(actor: Any, signals: Iterable[Mapping[str, Any]]) -> list[Signal]:
    """Store a batch of device signals, all or nothing; each names an ``equipment`` (an Equipment)
    the device's account may walk (``inspections.walk`` in its area). Re-assesses the equipment."""
    rows = list(signals)
    if not rows:
        raise ValidationError({"signals": [_("至少需要 1 项。")]})
    if len(rows) > MAX_SIGNALS:
        raise ValidationError({"signals": [_("最多 %(n)d 项。") % {"n": MAX_SIGNALS}]})
    stored: list[Signal] = []
    for n, row in enumerate(rows):
        equipment: Equipment = row["equipment"]
        if actor is not None:
            Access.of(actor).require(INSPECTION_WALK, place_of_area(equipment.area))
        try:
            data = clean_data(row["kind"], row.get("data"))
        except ValidationError as exc:
            raise ValidationError({f"signals.{n}.{k}": v for k, v in exc.message_dict.items()}) from exc
        taken_at = row["taken_at"]
        if taken_at > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError({f"signals.{n}.taken_at": [_("采集时间不能晚于当前时间。")]})
        stored.append(
            Signal(
                site_id=equipment.area.site_id, equipment=equipment, kind=row["kind"], taken_at=taken_at,
                source=str(row.get("source") or "")[:80], data=data,
            )
        )  # fmt: skip
    with transaction.atomic():
        Signal.objects.bulk_create(stored)
        for equipment in {s.equipment.pk: s.equipment for s in stored}.values():
            assess_equipment(equipment)
    return stored


def _latest(equipment: Equipment, kind: str, now: dt.datetime) -> Signal | None:
    return (
        Signal.objects.filter(
            equipment=equipment, kind=kind, taken_at__gte=now - SIGNAL_MAX_AGE, taken_at__lte=now
        )
        .order_by("-taken_at", "-pk")
        .first()
    )


def _tags(equipment: Equipment, now: dt.datetime) -> list[health.TagValue]:
    now_ms = int(now.timestamp() * 1000)
    out = []
    live = TagLive.objects.filter(
        tag__equipment=equipment, value__isnull=False, ts__gte=now_ms - LIVE_MAX_AGE_MS
    )
    for row in live.select_related("tag"):
        t = row.tag
        assert row.value is not None

        def f(v: Any) -> float | None:
            return None if v is None else float(v)

        out.append(
            health.TagValue(
                code=t.tag, name=t.name, value=row.value, range_low=float(t.range_low),
                range_high=float(t.range_high), l=f(t.l), ll=f(t.ll), h=f(t.h), hh=f(t.hh),
            )
        )  # fmt: skip
    return out


def inputs_of(equipment: Equipment, now: dt.datetime) -> dict[str, Any]:
    """The latest signals and live tags of ``equipment`` as ``health.assess`` keyword arguments."""
    kwargs: dict[str, Any] = {"tags": _tags(equipment, now)}
    thermal = _latest(equipment, SignalKind.THERMAL, now)
    if thermal is not None:
        kwargs["thermal"] = health.Thermal(
            max_c=thermal.data["max_c"], reference_c=thermal.data["reference_c"]
        )
    acoustic = _latest(equipment, SignalKind.ACOUSTIC, now)
    if acoustic is not None:
        kwargs["acoustic"] = health.Levels(acoustic.data["bands"], acoustic.data["baseline"])
    gas = _latest(equipment, SignalKind.GAS, now)
    if gas is not None:
        kwargs["gas"] = health.Levels(gas.data["channels"], gas.data["baseline"])
    return kwargs


def weights_of(site_id: int) -> health.Weights:
    """The weights ``site_id`` scores with: its own, else the defaults."""
    stored = selectors.health_weights(site_id)
    return stored.weights() if stored is not None else health.WEIGHTS


def assess_equipment(
    equipment: Equipment, now: dt.datetime | None = None, weights: health.Weights | None = None
) -> HealthScore:
    """Score ``equipment`` now and keep the score (its history is the trend), with ``weights`` or
    else its site's, kept on the score so that it can be explained later."""
    now = now or timezone.now()
    w = weights if weights is not None else weights_of(equipment.area.site_id)
    result = health.assess(**inputs_of(equipment, now), weights=w)
    return HealthScore.objects.create(
        site_id=equipment.area.site_id, area_id=equipment.area_id, equipment=equipment, at=now,
        score=result.score, band=result.band, action=result.action,
        reasons=[{"factor": r.factor, "penalty": r.penalty, "text": r.text} for r in result.reasons],
        weights=w.as_dict(),
    )  # fmt: skip


def _assessable(now: dt.datetime) -> Any:
    """Equipment with a recent signal or a live tag."""
    now_ms = int(now.timestamp() * 1000)
    with_signals = Signal.objects.filter(taken_at__gte=now - SIGNAL_MAX_AGE).values("equipment_id")
    with_tags = TagLive.objects.filter(ts__gte=now_ms - LIVE_MAX_AGE_MS).values("tag__equipment_id")
    return Equipment.objects.filter(Q(pk__in=with_signals) | Q(pk__in=with_tags)).select_related("area")


def assess_all(now: dt.datetime | None = None) -> int:
    """Score every equipment with a recent signal or a live tag (the periodic job)."""
    now = now or timezone.now()
    site_weights: dict[int, health.Weights] = {}
    count = 0
    for eq in _assessable(now).order_by("pk"):
        site_id = eq.area.site_id
        if site_id not in site_weights:
            site_weights[site_id] = weights_of(site_id)
        assess_equipment(eq, now, site_weights[site_id])
        count += 1
    return count


def configure_weights(actor: Any, site: Site, values: Mapping[str, Any]) -> HealthWeights:
    """Set ``site``'s weights and band edges (every field of ``health.Weights``; ``inspections.plan``
    over the whole site). The next assessments use them; stored scores keep the weights they had."""
    if actor is not None:
        Access.of(actor).require(INSPECTION_PLAN, place_of_site(site))
    errors = health.problems(values)
    if errors:
        raise ValidationError(errors)
    checked = health.Weights.from_dict(values).as_dict()
    with transaction.atomic():
        stored = HealthWeights.objects.select_for_update().filter(site=site).first()
        if stored is None:
            stored = HealthWeights.objects.create(site=site, **checked)
            audit.record_create(actor, stored)
            return stored
        before = audit.snapshot(stored)
        for name, value in checked.items():
            setattr(stored, name, value)
        stored.save()
        audit.record_update(actor, stored, before)
    return stored


def preview(site: Site, proposed: health.Weights, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The site's assets (a recent signal or live tag; at most ``PREVIEW_MAX``, by code), each
    scored from its latest signals under the current and the ``proposed`` weights."""
    now = now or timezone.now()
    current = weights_of(site.pk)
    rows = []
    for eq in _assessable(now).filter(area__site=site).order_by("code", "pk")[:PREVIEW_MAX]:
        inputs = inputs_of(eq, now)
        before = health.assess(**inputs, weights=current)
        after = health.assess(**inputs, weights=proposed)
        rows.append(
            {"equipment": eq, "current": before, "proposed": after, "change": after.score - before.score}
        )
    return rows


def history(equipment: Equipment, limit: int = HISTORY) -> list[HealthScore]:
    """The last scores of ``equipment``, oldest first."""
    return list(reversed(HealthScore.objects.filter(equipment=equipment).order_by("-at", "-pk")[:limit]))
