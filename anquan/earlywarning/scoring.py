"""Online scoring: the stream feeds stored readings here; every active model version scores them at
its own data rate and raises, follows and ends AI alerts.

Per model: readings → ``resample.Aligner`` (the same grid rule as training) → the detector's online
scorer (window, smoothing and k-of-n persistence state kept between batches) → one decision per grid
row. An alert opens on the first alarm row, keeps its highest score while it lasts, and ends after
``END_QUIET_ROWS`` quiet rows. It carries the contribution shares, a heatmap of the last
``RING`` rows, the propagation path over the process topology and time-to-limit forecasts.

Data time drives everything, so a replayed history raises the alerts it would have raised live.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Max, Q

from anquan.detectors.base import Detector, OnlineScorer
from anquan.detectors.resample import Aligner
from anquan.earlywarning import explain, services, training
from anquan.earlywarning.models import AIAlert, WarningModel
from anquan.plant.models import ProcessLink, SensorTag

logger = logging.getLogger(__name__)

RING = 360  # rows kept per model for the heatmap, the path and the forecasts
END_QUIET_ROWS = 30  # an alert ends after this many rows without an alarm
FORECAST_ROWS = 120  # the recent rows the time-to-limit estimate looks at
UPDATE_EVERY_S = 10.0  # an open alert's score and forecasts are written at most this often
RELOAD_CHECK_S = 5.0


def ms_to_dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


@dataclass
class _Run:
    """One active model version being scored."""

    model_id: int
    version_id: int
    codes: list[str]
    index: dict[int, str]  # tag id → code
    detector: Detector
    scorer: OnlineScorer
    aligner: Aligner
    info: dict[str, explain.TagInfo]
    links: list[tuple[str, str]]
    times: deque[int] = field(default_factory=lambda: deque(maxlen=RING))
    rows: deque[np.ndarray] = field(default_factory=lambda: deque(maxlen=RING))
    contrib: deque[np.ndarray] = field(default_factory=lambda: deque(maxlen=RING))
    alert_id: int | None = None
    peak: float = 0.0
    quiet: int = 0
    latest_ms: int = 0
    last_update: float = 0.0


class ScoringHub:
    """Scores the active versions of the enabled models (of ``site_ids``, or all)."""

    def __init__(self, site_ids: Iterable[int] | None = None) -> None:
        self.site_ids = None if site_ids is None else sorted(set(site_ids))
        self.runs: dict[int, _Run] = {}
        self.by_tag: dict[int, list[_Run]] = {}
        self._fingerprint: Any = None
        self._next_check = 0.0
        self.scored = 0
        self.raised = 0

    # --- configuration -------------------------------------------------------------------------
    def _models(self) -> Any:
        models = WarningModel.objects.filter(enabled=True, active_version__isnull=False)
        if self.site_ids is not None:
            models = models.filter(site_id__in=self.site_ids)
        return models

    def fingerprint(self) -> Any:
        agg = self._models().aggregate(n=Count("id"), t=Max("updated_at"), v=Max("active_version_id"))
        return agg["n"], agg["t"], agg["v"]

    def tag_ids(self) -> frozenset[int]:
        """The tags some active model reads (several workers: forwarded to the scoring worker)."""
        return frozenset(self.by_tag)

    def reload(self) -> None:
        self._fingerprint = self.fingerprint()
        wanted = {
            m.pk: m for m in self._models().select_related("active_version", "unit__area").order_by("pk")
        }
        for model_id in list(self.runs):
            run = self.runs[model_id]
            model = wanted.get(model_id)
            if model is None or model.active_version_id != run.version_id:
                del self.runs[model_id]
        for model_id, model in wanted.items():
            if model_id in self.runs:
                continue
            version = model.active_version
            if version is None or version.artefact is None:
                continue
            try:
                run = self._run(model, version)
            except Exception:
                logger.exception("early-warning model %s v%s could not be loaded", model.name, version.number)
                continue
            self.runs[model_id] = run
        self.by_tag = {}
        for run in self.runs.values():
            for tag_id in run.index:
                self.by_tag.setdefault(tag_id, []).append(run)

    def _run(self, model: WarningModel, version: Any) -> _Run:
        detector = training.from_bytes(bytes(version.artefact))
        codes = list(version.tag_codes)
        tags = {
            t.tag: t
            for t in SensorTag.objects.filter(site_id=model.site_id, tag__in=codes).select_related(
                "equipment"
            )
        }
        index = {tags[c].pk: c for c in codes if c in tags}
        info = {
            c: explain.TagInfo(
                code=c,
                equipment=t.equipment.code,
                equipment_name=t.equipment.name,
                limits={
                    level: float(value)
                    for level in ("hh", "h", "l", "ll")
                    if (value := getattr(t, level, None)) is not None
                },
            )
            for c, t in tags.items()
        }
        equipment = {i.equipment for i in info.values()}
        links = [
            (src, dst)
            for src, dst in ProcessLink.objects.filter(
                Q(source__code__in=equipment) | Q(target__code__in=equipment),
                source__area__site_id=model.site_id,
            ).values_list("source__code", "target__code")
        ]
        interval_ms = version.interval_s * 1000
        run = _Run(
            model_id=model.pk,
            version_id=version.pk,
            codes=codes,
            index=index,
            detector=detector,
            scorer=detector.scorer(explain=True),
            aligner=Aligner(codes, interval_ms, max_age_ms=training.STALE_INTERVALS * interval_ms),
            info=info,
            links=links,
        )
        open_alert = AIAlert.objects.filter(version=version, ended_at__isnull=True).order_by("-pk").first()
        if open_alert is not None:
            run.alert_id, run.peak = open_alert.pk, open_alert.score
        return run

    def tick(self, now_ms: int) -> None:
        """Every few seconds: pick up changed models and versions."""
        mono = time.monotonic()
        if mono < self._next_check:
            return
        self._next_check = mono + RELOAD_CHECK_S
        if self.fingerprint() != self._fingerprint:
            self.reload()

    # --- readings ------------------------------------------------------------------------------
    def process(self, rows: Sequence[tuple[int, int, float]]) -> None:
        """Stored readings (tag id, ts ms, value), in time order."""
        if not self.by_tag:
            return
        touched: dict[int, _Run] = {}
        for tag_id, ts, value in rows:
            runs = self.by_tag.get(tag_id)
            if runs is None:
                continue
            for run in runs:
                run.aligner.add(run.index[tag_id], ts, value)
                if ts > run.latest_ms:
                    run.latest_ms = ts
                touched[run.model_id] = run
        for run in touched.values():
            grid_ts, X = run.aligner.due(run.latest_ms)
            if len(X):
                self._score(run, grid_ts, X)

    def _score(self, run: _Run, grid_ts: np.ndarray, X: np.ndarray) -> None:
        scores = run.scorer.update(X)
        alarms = run.scorer.last_alarms
        contrib = run.scorer.last_contributions
        assert alarms is not None and contrib is not None
        self.scored += len(X)
        for i in range(len(X)):
            run.times.append(int(grid_ts[i]))
            run.rows.append(X[i])
            run.contrib.append(contrib[i])
            score = float(scores[i])
            if alarms[i]:
                run.quiet = 0
                if run.alert_id is None:
                    self._open(run, int(grid_ts[i]), score)
                elif score > run.peak:
                    run.peak = score
            elif run.alert_id is not None:
                run.quiet += 1
                if run.quiet >= END_QUIET_ROWS:
                    services.end_alert(run.alert_id, ms_to_dt(int(grid_ts[i])))
                    run.alert_id, run.peak, run.quiet = None, 0.0, 0
        if run.alert_id is not None and time.monotonic() - run.last_update >= UPDATE_EVERY_S:
            run.last_update = time.monotonic()
            services.update_alert(run.alert_id, score=run.peak, forecasts=self._forecasts(run))

    def _recent(self, run: _Run, n: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        times = np.array(run.times, dtype=np.int64)
        rows = np.array(run.rows)
        contrib = np.array(run.contrib)
        if n is not None:
            times, rows, contrib = times[-n:], rows[-n:], contrib[-n:]
        return times, rows, contrib

    def _forecasts(self, run: _Run) -> list[dict[str, Any]]:
        times, rows, _contrib = self._recent(run, FORECAST_ROWS)
        return explain.forecasts(times, rows, run.codes, run.info)

    def _open(self, run: _Run, at_ms: int, score: float) -> None:
        times, rows, contrib = self._recent(run)
        model = WarningModel.objects.select_related("active_version", "unit__area", "site").get(
            pk=run.model_id
        )
        version = model.active_version
        if version is None or version.pk != run.version_id:
            return  # replaced meanwhile: the next reload scores the new one
        version.model = model
        recent = contrib[-10:]
        alert = services.raise_alert(
            version,
            at=ms_to_dt(at_ms),
            score=score,
            contributors=explain.contributors(recent, run.codes),
            heatmap=explain.heatmap(times, contrib, run.codes),
            path=explain.propagation(times, rows, run.codes, run.info, run.links),
            forecasts=explain.forecasts(times[-FORECAST_ROWS:], rows[-FORECAST_ROWS:], run.codes, run.info),
        )
        run.alert_id, run.peak, run.quiet = alert.pk, score, 0
        run.last_update = time.monotonic()
        self.raised += 1
