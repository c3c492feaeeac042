"""How early warning is shown: durations, the propagation chain, time-to-limit sentences, the
reviews' precision per week and the JSON the charts read. Pure functions over models the selectors
returned (drift is ``selectors.drift``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anquan.earlywarning.choices import ReviewStatus, VersionStatus
from anquan.earlywarning.models import AIAlert, ModelVersion

THRESHOLD_FACTORS = (0.8, 1.0, 1.25, 1.5, 2.0)  # candidates of the recalibration preview
PRECISION_WEEKS = 12  # weeks shown in the precision chart

DETECTOR_LABELS = {
    "ensemble": gettext_lazy("组合模型（默认）"),
    "pca": gettext_lazy("PCA（T² + SPE）"),
    "dpca": gettext_lazy("动态 PCA（含滞后变量）"),
    "iforest": gettext_lazy("孤立森林"),
    "lstm": gettext_lazy("LSTM 自编码器"),
}
REVIEW_BADGES = {
    ReviewStatus.PENDING.value: "text-bg-warning",
    ReviewStatus.CONFIRMED.value: "text-bg-danger",
    ReviewStatus.REJECTED.value: "text-bg-secondary",
}
VERSION_BADGES = {
    VersionStatus.QUEUED.value: "text-bg-light border",
    VersionStatus.TRAINING.value: "text-bg-info",
    VersionStatus.READY.value: "text-bg-warning",
    VersionStatus.APPROVED.value: "text-bg-success",
    VersionStatus.FAILED.value: "text-bg-danger",
}
RUNNING = (VersionStatus.QUEUED.value, VersionStatus.TRAINING.value)


def detector_label(name: str) -> str:
    label = DETECTOR_LABELS.get(name)
    return str(label) if label is not None else name


def from_ms(ms: Any) -> dt.datetime | None:
    try:
        return timezone.localtime(dt.datetime.fromtimestamp(int(ms) / 1000, tz=dt.UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


# --- time to limit ------------------------------------------------------------------------------
def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def eta_text(seconds: float) -> str:
    """ "40 分钟", "2.5 小时"."""
    if seconds < 90 * 60:
        return _("%(n)d 分钟") % {"n": _minutes(seconds)}
    return _("%(h).1f 小时") % {"h": seconds / 3600}


def band_text(low: float, high: float) -> str:
    """ "30–55 分钟", "1.5–3.0 小时" (one unit for both ends)."""
    if high < 90 * 60:
        return _("%(low)d–%(high)d 分钟") % {"low": _minutes(low), "high": _minutes(high)}
    return _("%(low).1f–%(high).1f 小时") % {"low": low / 3600, "high": high / 3600}


def forecast_rows(forecasts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each time-to-limit estimate as a sentence: "PI-101 约 40 分钟后达到 H 限（30–55 分钟）"."""
    rows = []
    for f in forecasts:
        try:
            eta, low, high = float(f["eta_s"]), float(f["low_s"]), float(f["high_s"])
        except (KeyError, TypeError, ValueError):
            continue
        text = _("%(tag)s 约 %(eta)s后达到 %(level)s 限（%(band)s）") % {
            "tag": f.get("tag", "?"),
            "eta": eta_text(eta),
            "level": f.get("level", ""),
            "band": band_text(min(low, eta), max(high, eta)),
        }
        rows.append({**f, "text": text, "urgent": eta < 30 * 60})
    return rows


# --- propagation path ---------------------------------------------------------------------------
def path_steps(path: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The propagation path in order, each step with its local time and a one-line label:
    "T-101 (PI-101, 10:02)"."""
    steps = []
    for step in path:
        at = from_ms(step.get("at"))
        tags = [str(t) for t in step.get("tags") or []]
        when = f", {at:%H:%M}" if at is not None else ""
        label = f"{step.get('equipment', '?')} ({'、'.join(tags)}{when})"
        steps.append(
            {
                "equipment": step.get("equipment", "?"),
                "name": step.get("name", ""),
                "at": at,
                "tags": tags,
                "from": [str(c) for c in step.get("from") or []],
                "label": label,
            }
        )
    return steps


def path_text(steps: Sequence[dict[str, Any]]) -> str:
    return " → ".join(s["label"] for s in steps)


def top_contributors(alert: AIAlert, n: int = 3) -> str:
    return "、".join(f"{c['tag']} {float(c['share']):.0%}" for c in (alert.contributors or [])[:n]) or "—"


# --- the charts' data -----------------------------------------------------------------------------
def alert_chart(alert: AIAlert) -> dict[str, Any]:
    """What the alert page's charts read: contributions (bar) and the tags × time heatmap."""
    heat = alert.heatmap or {}
    tags = [str(t) for t in heat.get("tags") or []]
    times = list(heat.get("times") or [])
    values = heat.get("values") or []
    cells = [
        [i, j, v]
        for j, row in enumerate(values[: len(tags)])
        for i, v in enumerate(row[: len(times)])
        if v is not None
    ]
    labels = [f"{t:%H:%M:%S}" if (t := from_ms(ms)) is not None else "" for ms in times]
    return {
        "contributors": [
            {"tag": str(c.get("tag")), "share": float(c.get("share", 0))} for c in alert.contributors or []
        ],
        "heatmap": {"tags": tags, "times": labels, "cells": cells},
        "labels": {"share": _("贡献占比"), "time": _("时间"), "tag": _("测点"), "noData": _("没有数据")},
    }


def _week(moment: dt.datetime) -> dt.date:
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def precision_weeks(
    reviews: Iterable[tuple[dt.datetime, str]], today: dt.date | None = None
) -> dict[str, Any]:
    """Per week (Monday) of the last ``PRECISION_WEEKS``: confirmed and rejected alerts, and the
    precision (confirmed / reviewed; None without reviews)."""
    today = today or timezone.localdate()
    last = today - dt.timedelta(days=today.weekday())
    weeks = [last - dt.timedelta(weeks=k) for k in range(PRECISION_WEEKS - 1, -1, -1)]
    counts: Counter[tuple[dt.date, str]] = Counter()
    for started, review in reviews:
        counts[(_week(started), review)] += 1
    confirmed = [counts[(w, ReviewStatus.CONFIRMED.value)] for w in weeks]
    rejected = [counts[(w, ReviewStatus.REJECTED.value)] for w in weeks]
    precision = [round(c / (c + r), 3) if c + r else None for c, r in zip(confirmed, rejected, strict=True)]
    return {
        "weeks": [f"{w:%m-%d}" for w in weeks],
        "confirmed": confirmed,
        "rejected": rejected,
        "precision": precision,
        "labels": {
            "confirmed": str(ReviewStatus.CONFIRMED.label),
            "rejected": _("已驳回"),
            "precision": _("准确率"),
            "week": _("周（起始日）"),
        },
    }


def precision(confirmed: int, rejected: int) -> float | None:
    return confirmed / (confirmed + rejected) if confirmed + rejected else None


def recalibration_base(versions: Sequence[ModelVersion], active_id: int | None) -> ModelVersion | None:
    """The version a recalibration starts from: the active one, else the newest trained one."""
    trained = [
        v
        for v in versions
        if v.threshold is not None and v.status in (VersionStatus.READY, VersionStatus.APPROVED)
    ]
    for v in trained:
        if v.pk == active_id:
            return v
    return trained[0] if trained else None


def candidates(threshold: float) -> list[float]:
    return [round(threshold * f, 6) for f in THRESHOLD_FACTORS]


def version_summary(version: ModelVersion) -> list[str]:
    """The metrics of a version in a few words."""
    m = version.metrics or {}
    lines = []
    rate = m.get("holdout_alarm_rate")
    if isinstance(rate, int | float):
        lines.append(_("验证集报警率 %(p).2f%%") % {"p": rate * 100})
    if m.get("constant_tags"):
        lines.append(_("恒定测点：%(tags)s") % {"tags": "、".join(map(str, m["constant_tags"]))})
    if m.get("recalibrated_from"):
        lines.append(
            _("由 v%(n)s 重新标定（原阈值 %(t).3f）")
            % {"n": m["recalibrated_from"], "t": float(m.get("threshold_before") or 0)}
        )
    if isinstance(m.get("seconds"), int | float):
        lines.append(_("用时 %(s).1f 秒") % {"s": m["seconds"]})
    return lines
