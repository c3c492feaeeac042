"""The inspection devices' signals: deterministic per seed, and the faults move the right ones."""

from __future__ import annotations

from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.inspection import (
    ACOUSTIC,
    BANDS,
    GAS,
    PUMP,
    PUMP_BASELINE_DB,
    TANK,
    THERMAL,
    SignalGenerator,
    Target,
    ambient_c,
    targets_of,
)

HOUR_MS = 3_600_000
TARGETS = [Target("P-202", PUMP), Target("T-101", TANK)]


def _worst_rise(data: dict) -> float:
    return max(data["bands"][b] - data["baseline"][b] for b in BANDS)


def test_the_same_seed_gives_the_same_signals_and_another_seed_others() -> None:
    times = [0, 5 * HOUR_MS + 17_000, 30 * HOUR_MS]
    a = [SignalGenerator(TARGETS, seed=7).at(t) for t in times]
    b = [SignalGenerator(TARGETS, seed=7).at(t) for t in times]
    c = [SignalGenerator(TARGETS, seed=8).at(t) for t in times]
    assert a == b
    assert a != c


def test_a_tank_has_thermal_and_gas_signals_and_a_pump_all_three() -> None:
    rows = SignalGenerator(TARGETS, seed=1).at(HOUR_MS)
    assert [(code, kind) for code, kind, _data in rows] == [
        ("P-202", THERMAL), ("P-202", ACOUSTIC), ("P-202", GAS), ("T-101", THERMAL), ("T-101", GAS),
    ]  # fmt: skip


def test_healthy_equipment_stays_near_its_baselines() -> None:
    gen = SignalGenerator(TARGETS, seed=3)
    for n in range(48):
        t = n * HOUR_MS
        assert _worst_rise(gen.acoustic("P-202", t)) < 3.0  # below the health score's 3 dB threshold
        thermal = gen.thermal("T-101", t)
        assert thermal["max_c"] - thermal["reference_c"] < 5.0  # below the 5 K threshold
        assert thermal["mean_c"] <= thermal["max_c"]
        assert abs(thermal["reference_c"] - ambient_c(t)) < 0.06


def test_bearing_wear_raises_the_pumps_high_acoustic_bands_most_and_not_the_tank() -> None:
    fault = sc.Fault(sc.BEARING_WEAR, "P-202", 0, 24 * 3600)
    healthy = SignalGenerator(TARGETS, seed=2)
    worn = SignalGenerator(TARGETS, seed=2, faults=[fault])
    t = 23 * HOUR_MS
    before, after = healthy.acoustic("P-202", t)["bands"], worn.acoustic("P-202", t)["bands"]
    rise = {band: after[band] - before[band] for band in BANDS}
    assert rise["4000"] > 10.0
    assert rise["4000"] > rise["1000"] > rise["125"]
    assert worn.thermal("P-202", t)["max_c"] > healthy.thermal("P-202", t)["max_c"] + 8.0
    assert worn.thermal("T-101", t) == healthy.thermal("T-101", t)
    # It grows: little at a quarter of its course, most near its end; gone after the repair.
    assert _worst_rise(worn.acoustic("P-202", 6 * HOUR_MS)) < 3.0
    assert worn.acoustic("P-202", 25 * HOUR_MS) == healthy.acoustic("P-202", 25 * HOUR_MS)
    assert worn.acoustic("P-202", t)["baseline"] == PUMP_BASELINE_DB


def test_a_cooling_failure_raises_the_tanks_thermal_hot_spot_and_nothing_else() -> None:
    fault = sc.Fault(sc.COOLING_FAILURE, "T-101", 2 * HOUR_MS, 6 * 3600)
    healthy = SignalGenerator(TARGETS, seed=4)
    hot = SignalGenerator(TARGETS, seed=4, faults=[fault])
    t = 6 * HOUR_MS
    spot = hot.thermal("T-101", t)
    assert spot["max_c"] - spot["reference_c"] > 15.0
    assert spot["reference_c"] == healthy.thermal("T-101", t)["reference_c"]
    assert hot.gas("T-101", t) == healthy.gas("T-101", t)
    assert hot.acoustic("P-202", t) == healthy.acoustic("P-202", t)
    assert hot.thermal("T-101", HOUR_MS) == healthy.thermal("T-101", HOUR_MS)  # before it began


def test_targets_are_the_tanks_and_pumps() -> None:
    found = targets_of(
        {"T-101": s.STORAGE_TANK, "P-201": s.PUMP, "GD-105": s.GAS_DETECTOR, "C-402": s.COMPRESSOR}
    )
    assert found == [Target("P-201", PUMP), Target("T-101", TANK)]
