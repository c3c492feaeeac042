"""The health score: each factor's penalty, the bands, the trend; signals in from devices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.conftest import World
from anquan.inspections import assistant, health
from anquan.inspections.choices import HealthBand, SignalKind
from anquan.inspections.models import HealthScore, Signal
from anquan.monitoring.models import TagLive


def default(**signals: Any) -> health.Health:
    """The health scored with the default weights."""
    return health.assess(weights=health.WEIGHTS, **signals)


def test_nothing_wrong_is_a_full_score() -> None:
    result = default()
    assert (result.score, result.band, result.action, result.reasons) == (
        100,
        HealthBand.NORMAL,
        "正常：按计划巡检",
        [],
    )


def test_thermal_penalty_starts_above_5_k_and_is_capped() -> None:
    assert default(thermal=health.Thermal(max_c=45.0, reference_c=40.0)).score == 100
    hot = default(thermal=health.Thermal(max_c=55.0, reference_c=40.0))  # ΔT 15 K: (15−5)×2
    assert (hot.score, hot.reasons) == (
        80,
        [health.Reason("thermal", 20.0, "红外热点 55 °C，高于参考温度 40 °C 达 15.0 K，扣 20 分")],
    )
    assert default(thermal=health.Thermal(max_c=140.0, reference_c=40.0)).score == 60  # cap 40


def test_acoustic_penalty_takes_the_worst_band() -> None:
    levels = health.Levels({"500": 66.0, "2000": 75.0}, {"500": 65.0, "2000": 66.0})  # +9 dB at 2 kHz
    result = default(acoustic=levels)
    assert (result.score, result.reasons) == (
        82,
        [health.Reason("acoustic", 18.0, "声学 2000 Hz 频段高于基线 9.0 dB，扣 18 分")],
    )


def test_gas_penalty_is_relative_to_the_baseline() -> None:
    result = default(gas=health.Levels({"VOC": 2.0, "H2S": 0.1}, {"VOC": 1.0, "H2S": 0.1}))  # +100 %
    assert (result.score, result.reasons) == (
        80,
        [health.Reason("gas", 20.0, "气体阵列 VOC 通道高于基线 100%，扣 20 分")],
    )


def tag(value: float) -> health.TagValue:
    return health.TagValue(
        code="TI-101", name="1号罐温度", value=value, range_low=-20, range_high=80, h=40, hh=50
    )


@pytest.mark.parametrize(
    ("value", "penalty", "text"),
    [
        (20.0, None, None),
        (33.0, 5.0, "实时测点：TI-101 33 接近报警限，扣 5 分"),  # within 10 % of the span (10) of H
        (45.0, 15.0, "实时测点：TI-101 45 超出高/低限，扣 15 分"),
        (51.0, 25.0, "实时测点：TI-101 51 超出高高/低低限，扣 25 分"),
    ],
)
def test_live_tags_near_or_over_their_limits(value: float, penalty: float | None, text: str | None) -> None:
    result = default(tags=[tag(value)])
    assert result.reasons == ([] if penalty is None else [health.Reason("tag", penalty, text or "")])


def test_factors_add_up_into_the_bands() -> None:
    result = default(
        thermal=health.Thermal(max_c=60.0, reference_c=40.0),  # 30
        acoustic=health.Levels({"1000": 73.0}, {"1000": 65.0}),  # 15
        tags=[tag(51.0)],  # 25
    )
    assert (result.score, result.band, result.action) == (
        30,
        HealthBand.ACT_NOW,
        "立即处置：现场确认，必要时停机",
    )
    assert [r.factor for r in result.reasons] == ["thermal", "acoustic", "tag"]
    assert [health.band_of(s, health.WEIGHTS)[0] for s in (80, 79, 60, 59, 40, 39)] == [
        HealthBand.NORMAL, HealthBand.WATCH, HealthBand.WATCH, HealthBand.MAINTAIN, HealthBand.MAINTAIN,
        HealthBand.ACT_NOW,
    ]  # fmt: skip


def test_trend() -> None:
    assert [health.trend(s) for s in ([90], [90, 88], [70, 80], [90, 60])] == ["平稳", "平稳", "上升", "下降"]


# --- device signals --------------------------------------------------------------------------------
def thermal(world: World, max_c: float = 58.0, **kw: object) -> dict:
    return {
        "equipment": world.equipment["T-101"], "kind": SignalKind.THERMAL, "taken_at": timezone.now(),
        "source": "IR-01", "data": {"max_c": max_c, "mean_c": 35.0, "reference_c": 38.0, "hotspot": [120, 44]},
        **kw,
    }  # fmt: skip


def test_signals_are_stored_and_the_equipment_reassessed(world: World) -> None:
    assistant.ingest_signals(world.user("worker_a1"), [thermal(world)])  # ΔT 20 K → 30
    signal = Signal.objects.get()
    assert (signal.site, signal.source, signal.data) == (
        world.site_a,
        "IR-01",
        {"max_c": 58.0, "mean_c": 35.0, "reference_c": 38.0, "hotspot": [120.0, 44.0]},
    )
    score = HealthScore.objects.get()
    assert (score.equipment, score.area, score.score, score.band) == (
        world.equipment["T-101"],
        world.area_a1,
        70,
        HealthBand.WATCH,
    )


def test_bad_signals_are_refused_whole(world: World) -> None:
    bad = thermal(world, data={"max_c": "hot", "mean_c": 35.0, "reference_c": 38.0})
    with pytest.raises(ValidationError) as exc:
        assistant.ingest_signals(world.user("worker_a1"), [thermal(world), bad])
    assert exc.value.message_dict == {"signals.1.data": ["max_c 必须是 -50 ~ 2000 之间的温度（°C）。"]}
    acoustic = {
        **thermal(world),
        "kind": SignalKind.ACOUSTIC,
        "data": {"bands": {"1000": 70.0}, "baseline": {}},
    }
    with pytest.raises(ValidationError) as exc:
        assistant.ingest_signals(world.user("worker_a1"), [acoustic])
    assert exc.value.message_dict == {"signals.0.data": ["缺少 baseline（名称 → 数值）。"]}
    assert (Signal.objects.count(), HealthScore.objects.count()) == (0, 0)


def test_a_device_account_reports_only_where_it_may_walk(world: World) -> None:
    with pytest.raises(PermissionDenied):
        assistant.ingest_signals(world.user("worker_a2"), [thermal(world)])
    assert Signal.objects.count() == 0


def test_assessment_fuses_the_latest_signals_with_live_tags(world: World) -> None:
    now = timezone.now()
    tank = world.equipment["T-101"]
    old = now - dt.timedelta(hours=30)
    assistant.ingest_signals(None, [thermal(world, max_c=140.0, taken_at=old)])  # too old to count
    assistant.ingest_signals(
        None,
        [
            {"equipment": tank, "kind": SignalKind.GAS, "taken_at": now - dt.timedelta(minutes=5),
             "data": {"channels": {"VOC": 3.0}, "baseline": {"VOC": 1.0}}},
        ],
    )  # fmt: skip
    TagLive.objects.create(tag=world.tags["TI-101"], ts=int(now.timestamp() * 1000), value=45.0, status="ok")
    score = assistant.assess_equipment(tank, now)
    assert [(r["factor"], r["penalty"]) for r in score.reasons] == [("gas", 30.0), ("tag", 15.0)]
    assert score.score == 55
    later = now + dt.timedelta(minutes=1)
    assert assistant.assess_all(later) == 1
    assert [(s.at, s.score) for s in assistant.history(tank)][-1] == (later, 55)
