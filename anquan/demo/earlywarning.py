"""The demo's AI early warning: the simulated plant's recent history as stored readings, and one
trained, approved model per process unit, so that a leak injected on the 模拟器 page is warned of
by the AI before a threshold alarm — on the first ``make run``.

The history is the live simulator's own physics (same seed) on each tag's sample grid for the
``days`` before now; the live stream continues from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.demo.simulate import spec_for_site
from anquan.earlywarning import services
from anquan.earlywarning.choices import NotifyMode, VersionStatus
from anquan.earlywarning.models import WarningModel
from anquan.monitoring import storage
from anquan.org.models import Site, User
from anquan.plant.models import SensorTag, Unit
from anquan.simulator.plant import Plant

CHUNK_MS = 3_600_000  # history is simulated and stored an hour at a time
MODEL_INTERVAL_S = 10


def write_history(site: Site, *, days: float, seed: int = 0, now: dt.datetime | None = None,
                  tags: Iterable[str] | None = None,
                  progress: Callable[[int], None] = lambda n: None) -> int:  # fmt: skip
    """Store the simulated readings of the tags of ``site`` (or only ``tags``) for the ``days``
    before ``now``."""
    end_ms = int((now or timezone.now()).timestamp() * 1000)
    start_ms = end_ms - int(days * 86_400_000)
    spec = spec_for_site(site)
    plant = Plant(spec, seed=seed)
    ids = dict(SensorTag.objects.filter(site=site).values_list("tag", "pk"))
    if tags is not None:
        wanted = set(tags)
        ids = {code: pk for code, pk in ids.items() if code in wanted}
    by_interval: dict[int, list[str]] = {}
    for tag in spec.tags:
        if tag.code in ids:
            by_interval.setdefault(tag.sample_interval_s * 1000, []).append(tag.code)
    stored = 0
    for chunk in range(start_ms, end_ms, CHUNK_MS):
        rows: list[tuple[int, int, float]] = []
        for step, codes in by_interval.items():
            first = -(-chunk // step) * step
            t = np.arange(first, min(chunk + CHUNK_MS, end_ms), step, dtype=np.int64)
            if t.size == 0:
                continue
            for code, values in plant.sample(t, codes).items():
                tag_id = ids[code]
                rows.extend(zip([tag_id] * t.size, t.tolist(), values.tolist(), strict=True))
        stored += storage.write_readings(rows)
        progress(len(rows))
    return stored


def train_models(
    site: Site, approver: User, *, days: float, now: dt.datetime | None = None
) -> list[WarningModel]:
    """One model per process unit of ``site`` (its equipment's tags, the default detector), trained
    on the stored history before ``now`` and approved by ``approver``."""
    now = now or timezone.now()
    models = []
    for unit in Unit.objects.filter(area__site=site).order_by("area__code", "code"):
        tags = services.default_tags(unit)
        if len(tags) < services.MIN_TAGS:
            continue
        model = WarningModel.objects.filter(unit=unit).first() or services.define_model(
            approver,
            unit=unit,
            name=_("%(unit)s AI 预警") % {"unit": unit.name},
            tags=tags[: services.MAX_TAGS],
            interval_s=MODEL_INTERVAL_S,
            training_days=max(int(np.ceil(days)), 1),
            notify=NotifyMode.AFTER_REVIEW,
        )
        if model.active_version_id is None:
            with transaction.atomic():
                version = services.request_training(approver, model, end=now)
            if services.run_training(version.pk) == VersionStatus.READY:
                version.refresh_from_db()
                services.approve_version(approver, version)
        models.append(model)
    return models
