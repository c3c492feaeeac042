"""Fault scenarios: each moves the right tags the right way, and its ground truth matches the data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from anquan.simulator import Fault, Plant, check, ground_truth
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.tests.conftest import SUMMER, WINTER

MORNING = SUMMER + 10 * 3_600_000  # 10:00 on a July day: the spray comes on in the early afternoon


def published(
    plant: Plant, code: str, start: int, end: int, faults: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """What the live simulator publishes for ``code`` between ``start`` and ``end``."""
    step = plant.spec.tag(code).sample_interval_s * 1000
    times = np.arange(-(-start // step) * step, end + 1, step, dtype=np.int64)
    return times, plant.sample(times, [code], faults=faults)[code]


def assert_truth_matches_the_data(plant: Plant, fault: Fault, truth: dict[str, Any]) -> None:
    """Every onset and crossing in the ground truth is exactly where the published data says."""
    others = [f for f in plant.faults if f != fault]
    for row in truth["tags"]:
        times, faulted = published(plant, row["tag"], fault.start_ms, fault.end_ms)
        _, normal = published(plant, row["tag"], fault.start_ms, fault.end_ms, faults=others)
        assert row["onset_ms"] == int(times[np.flatnonzero(faulted != normal)[0]])
        tag = plant.spec.tag(row["tag"])
        for level, at in row["crossings"].items():
            limit = tag.limits()[level]
            beyond = faulted >= limit if level in ("h", "hh") else faulted <= limit
            expected = int(times[np.flatnonzero(beyond)[0]]) if beyond.any() else None
            assert at == expected, (row["tag"], level)


def rows(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["tag"]: row for row in truth["tags"]}


def play(spec: s.PlantSpec, fault: Fault, seed: int = 0) -> tuple[Plant, Fault, dict[str, Any]]:
    plant = Plant(spec, seed=seed)
    played = plant.add_fault(fault)
    truth = ground_truth(plant, played)
    assert_truth_matches_the_data(plant, played, truth)
    return plant, played, truth


def test_a_hydrogen_leak_raises_the_nearby_detectors_by_distance_and_faintly_drops_the_pressure(
    spec: s.PlantSpec,
) -> None:
    plant, fault, truth = play(spec, Fault(sc.H2_LEAK, "FV-404", MORNING, 7200, severity=1.5))
    by_tag = rows(truth)

    assert set(by_tag) == {"AI-406", "AI-407", "AI-408", "PI-403"}
    assert [by_tag[t]["direction"] for t in ("AI-406", "AI-407", "AI-408", "PI-403")] == [
        "up",
        "up",
        "up",
        "down",
    ]
    # GD-406 is 10 m from the flange, GD-407 45 m, GD-408 92 m: the nearer, the sooner and the more.
    assert by_tag["AI-406"]["noticeable_ms"] < by_tag["AI-407"]["noticeable_ms"]
    assert by_tag["AI-406"]["peak"] > by_tag["AI-407"]["peak"] > by_tag["AI-408"]["peak"]
    assert by_tag["AI-406"]["crossings"]["h"] < by_tag["AI-406"]["crossings"]["hh"] <= fault.end_ms
    assert by_tag["AI-408"]["crossings"] == {"h": None, "hh": None}
    drop = by_tag["PI-403"]["normal"] - by_tag["PI-403"]["peak"]
    assert 0.02 < drop < 0.2 and by_tag["PI-403"]["crossings"] == {"l": None}  # faint: no alarm
    assert truth["first_crossing"]["tag"] == "AI-406" and truth["first_crossing"]["level"] == "h"
    assert truth["equipment_affected"] == ["FV-404", "GD-406", "GD-407", "GD-408", "V-403"]
    # Isolated at the end: the cloud clears within minutes.
    _, after = published(plant, "AI-406", fault.end_ms + 1_800_000, fault.end_ms + 2_400_000)
    assert after.max() < 5


def test_a_slow_hydrogen_leak_at_low_severity_stays_below_the_alarm_but_is_visible(spec: s.PlantSpec) -> None:
    _, _, truth = play(spec, Fault(sc.H2_LEAK, "FV-404", MORNING, 3600, severity=0.3))

    assert truth["first_crossing"] is None
    assert rows(truth)["AI-406"]["noticeable_ms"] is not None


def test_losing_a_fixed_roof_tanks_cooling_heats_it_and_then_raises_its_pressure_and_vapour(
    spec: s.PlantSpec,
) -> None:
    *_, truth = play(spec, Fault(sc.COOLING_FAILURE, "T-102", MORNING, 6 * 3600, severity=1.5))
    by_tag = rows(truth)

    assert (
        by_tag["TI-102"]["direction"]
        == by_tag["PI-102"]["direction"]
        == by_tag["AI-106"]["direction"]
        == "up"
    )
    assert by_tag["TI-102"]["onset_ms"] < by_tag["PI-102"]["onset_ms"]  # temperature, then pressure
    assert by_tag["PI-102"]["crossings"]["h"] is not None
    assert by_tag["TI-102"]["peak"] > by_tag["TI-102"]["normal"] + 10
    assert "FI-102" not in by_tag  # the diesel tank had no spray running to lose


def test_losing_the_spray_of_a_gasoline_tank_on_a_hot_afternoon_drops_the_flow_and_heats_it(
    spec: s.PlantSpec,
) -> None:
    times = np.arange(SUMMER, SUMMER + 4 * 86_400_000, 60_000)
    spraying = Plant(spec).sample(times, ["FI-101"])["FI-101"] > 60
    start = int(times[np.flatnonzero(spraying)[0]]) + 1_800_000  # half an hour into a spray period
    *_, truth = play(spec, Fault(sc.COOLING_FAILURE, "T-101", start, 6 * 3600))
    by_tag = rows(truth)

    assert by_tag["FI-101"]["direction"] == "down" and by_tag["FI-101"]["peak"] < 10
    assert by_tag["TI-101"]["direction"] == "up"
    assert by_tag["TI-101"]["crossings"]["h"] is not None  # 38 °C on a July afternoon
    assert by_tag["AI-105"]["direction"] == "up"  # more vapour at the dike
    # The cooling-water header carries less: the flow the tank did not get.
    assert by_tag["FI-504"]["direction"] == "down"


def test_an_electrolysers_cooling_failure_drops_the_cooling_flow_first_then_the_lye_overheats(
    spec: s.PlantSpec,
) -> None:
    *_, truth = play(spec, Fault(sc.COOLING_FAILURE, "EL-401", WINTER + 9 * 3_600_000, 3600))
    by_tag = rows(truth)

    assert by_tag["FI-411"]["direction"] == "down" and by_tag["TI-401"]["direction"] == "up"
    assert (
        by_tag["FI-411"]["crossings"]["l"]
        < by_tag["TI-401"]["crossings"]["h"]
        < by_tag["TI-401"]["crossings"]["hh"]
    )
    assert truth["first_crossing"]["tag"] == "FI-411"


def test_bearing_wear_on_a_motor_is_played_on_its_pump_vibration_first_then_current_and_temperature(
    spec: s.PlantSpec,
) -> None:
    _, fault, truth = play(spec, Fault(sc.BEARING_WEAR, "M-201", SUMMER, 8 * 3600))
    by_tag = rows(truth)

    assert fault.equipment == "P-201"
    assert {"VI-201", "II-201", "TI-201"} <= set(by_tag)
    assert {by_tag[t]["direction"] for t in ("VI-201", "II-201", "TI-201")} == {"up"}
    assert by_tag["VI-201"]["crossings"]["h"] is not None
    assert by_tag["TI-201"]["crossings"]["h"] is None  # at severity 1 the temperature lags behind
    assert by_tag["VI-201"]["noticeable_ms"] < by_tag["II-201"]["noticeable_ms"]
    assert set(by_tag) <= {"VI-201", "II-201", "TI-201"}  # nothing else in the plant changes


def test_a_drifting_transmitter_moves_only_itself_towards_its_limit(spec: s.PlantSpec) -> None:
    plant, fault, truth = play(spec, Fault(sc.SENSOR_DRIFT, "T-103", SUMMER, 4 * 3600, tag="PI-103"))

    assert [r["tag"] for r in truth["tags"]] == ["PI-103"]
    row = truth["tags"][0]
    assert row["direction"] == "up" and row["crossings"]["h"] is not None and fault.mode == "up"
    # At severity 1 the drift ends 30 % past the limit: it crosses H at about 1/1.3 of the way.
    share = (row["crossings"]["h"] - fault.start_ms) / (fault.duration_s * 1000)
    assert 0.65 < share < 0.85
    # Recalibrated at the end.
    _, after = published(plant, "PI-103", fault.end_ms + 10_000, fault.end_ms + 600_000)
    assert after.max() < 1.0


def test_a_downward_drift_crosses_the_low_limits(spec: s.PlantSpec) -> None:
    _, _, truth = play(spec, Fault(sc.SENSOR_DRIFT, "T-103", SUMMER, 4 * 3600, tag="PI-103", mode="down"))
    row = truth["tags"][0]
    assert row["direction"] == "down" and row["crossings"]["l"] is not None and row["crossings"]["ll"] is None

    _, _, truth = play(
        spec, Fault(sc.SENSOR_DRIFT, "T-103", SUMMER, 4 * 3600, severity=2.0, tag="PI-103", mode="down")
    )
    row = truth["tags"][0]
    assert row["crossings"]["l"] < row["crossings"]["ll"]


def test_a_stuck_transmitter_repeats_one_value_while_the_process_moves_on(spec: s.PlantSpec) -> None:
    plant, fault, truth = play(spec, Fault(sc.STUCK_SENSOR, "P-201", MORNING, 7200, tag="FI-201"))

    _, during = published(plant, "FI-201", fault.start_ms, fault.end_ms)
    _, real = published(plant, "FI-201", fault.start_ms, fault.end_ms, faults=[])
    assert len(np.unique(during)) == 1 and len(np.unique(real)) > 100
    assert [r["tag"] for r in truth["tags"]] == ["FI-201"]
    assert truth["first_crossing"] is None
    _, after = published(plant, "FI-201", fault.end_ms + 5000, fault.end_ms + 600_000)
    assert len(np.unique(after)) > 10


@pytest.mark.parametrize(
    ("mode", "value", "level"), [("high", 106.25, "h"), ("low", -2.5, None), ("dead", 0.0, None)]
)
def test_an_instrument_failure_flickers_then_reads_its_failure_value(
    spec: s.PlantSpec, mode: str, value: float, level: str | None
) -> None:
    plant, fault, truth = play(
        spec, Fault(sc.INSTRUMENT_FAILURE, "GD-105", SUMMER, 3600, tag="AI-105", mode=mode)
    )

    times, readings = published(plant, "AI-105", fault.start_ms, fault.end_ms)
    hard = times >= fault.start_ms + 0.3 * 3_600_000
    assert np.all(readings[hard] == value)
    flickers = readings[~hard] == value
    assert 0 < flickers.sum() < (~hard).sum() / 2  # an intermittent contact first
    row = truth["tags"][0]
    assert row["out_of_range"] is (mode != "dead")
    if level:
        assert row["crossings"][level] == int(times[np.flatnonzero(readings == value)[0]])


def test_a_dead_loop_on_a_tag_with_low_limits_crosses_them(spec: s.PlantSpec) -> None:
    _, _, truth = play(spec, Fault(sc.INSTRUMENT_FAILURE, "EL-401", SUMMER, 3600, tag="LI-401", mode="dead"))

    row = truth["tags"][0]
    assert row["direction"] == "down" and row["crossings"]["ll"] is not None
    assert row["crossings"]["l"] == row["crossings"]["ll"]  # straight to zero


def test_a_sensor_fault_without_a_tag_picks_one_with_limits_from_its_seed(spec: s.PlantSpec) -> None:
    plant = Plant(spec)
    a = plant.add_fault(Fault(sc.STUCK_SENSOR, "EL-401", SUMMER, 600, seed=1))
    b = Plant(spec).add_fault(Fault(sc.STUCK_SENSOR, "EL-401", SUMMER, 600, seed=1))

    assert a.tag == b.tag and a.tag in {t.code for t in spec.tags_of("EL-401")}
    assert spec.tag(a.tag).limits()


def test_faults_ending_leave_the_plant_as_if_nothing_happened(spec: s.PlantSpec) -> None:
    plant = Plant(spec, seed=0)
    plant.add_fault(Fault(sc.BEARING_WEAR, "P-202", SUMMER, 3600))
    plant.add_fault(Fault(sc.SENSOR_DRIFT, "T-103", SUMMER, 3600, tag="PI-103"))
    later = np.arange(SUMMER + 3 * 3_600_000, SUMMER + 4 * 3_600_000, 10_000)

    assert all(
        np.array_equal(a, b)
        for a, b in zip(plant.sample(later).values(), Plant(spec).sample(later).values(), strict=True)
    )


@pytest.mark.parametrize(
    ("scenario", "equipment", "options", "reason"),
    [
        ("flood", "T-101", {}, sc.UNKNOWN_SCENARIO),
        (sc.H2_LEAK, "NOPE", {}, sc.UNKNOWN_EQUIPMENT),
        (sc.H2_LEAK, "T-101", {}, sc.NOT_HYDROGEN),
        (sc.COOLING_FAILURE, "P-201", {}, sc.NO_COOLING),
        (sc.BEARING_WEAR, "T-101", {}, sc.NOT_ROTATING),
        (sc.BEARING_WEAR, "P-503", {}, None),
        (sc.STUCK_SENSOR, "FV-404", {}, sc.NO_TAGS),
        (sc.SENSOR_DRIFT, "T-101", {"tag": "PI-201"}, sc.UNKNOWN_TAG),
        (sc.INSTRUMENT_FAILURE, "T-101", {"mode": "sideways"}, sc.BAD_MODE),
        (sc.H2_LEAK, "FV-404", {"severity": 9.0}, sc.BAD_SEVERITY),
        (sc.H2_LEAK, "FV-404", {"duration_s": 10}, sc.BAD_DURATION),
        (sc.H2_LEAK, "C-402", {}, None),
    ],
)
def test_which_equipment_a_scenario_can_be_played_on(
    spec: s.PlantSpec, scenario: str, equipment: str, options: dict[str, Any], reason: str | None
) -> None:
    assert check(spec, scenario, equipment, **options) == reason


def test_each_scenario_applies_to_the_equipment_it_was_made_for(spec: s.PlantSpec) -> None:
    assert sc.applicable(spec, sc.H2_LEAK) == ["C-402", "EL-401", "FV-404", "PL-405", "V-403"]
    assert sc.applicable(spec, sc.COOLING_FAILURE) == ["EL-401", "T-101", "T-102", "T-103", "T-104"]
    assert sc.applicable(spec, sc.BEARING_WEAR) == [
        "C-402", "M-201", "M-202", "M-203", "M-204", "P-201", "P-202", "P-203", "P-204", "P-502", "P-503",
    ]  # fmt: skip
    assert sc.applicable(spec, sc.INTERLOCK_FAILURE) == ["C-402"]
    assert check(spec, sc.INTERLOCK_FAILURE, "P-201") == sc.NO_TRIP  # a centrifugal pump cannot overpressure
    with_tags = sorted({t.equipment for t in spec.tags})
    assert sc.applicable(spec, sc.STUCK_SENSOR) == with_tags
    with pytest.raises(ValueError, match="not_hydrogen"):
        Plant(spec).add_fault(Fault(sc.H2_LEAK, "T-101", SUMMER, 600))


def test_an_interlock_failure_overpressures_the_compressor_which_keeps_running(spec: s.PlantSpec) -> None:
    plant, fault, truth = play(spec, Fault(sc.INTERLOCK_FAILURE, "C-402", MORNING, 1800))
    by_tag = rows(truth)

    assert set(by_tag) == {"PI-402", "II-402"}
    pressure, current = by_tag["PI-402"], by_tag["II-402"]
    assert (pressure["direction"], current["direction"]) == ("up", "up")
    assert pressure["crossings"]["hh"] is not None  # the trip point is passed …
    assert 4.45 < pressure["peak"] <= 4.55  # … towards HH + half the H–HH gap
    _, amps = published(plant, "II-402", fault.start_ms, fault.end_ms)
    assert amps.min() > 9.0  # … and the machine runs on: its current never falls to its L limit
    assert truth["first_crossing"]["tag"] == "PI-402"
    # stopped by hand at the end: after twenty minutes the data is the normal day's again
    later = np.arange(fault.end_ms + 20 * 60_000, fault.end_ms + 30 * 60_000, 2000)
    assert np.allclose(
        plant.sample(later, ["PI-402"])["PI-402"], Plant(spec).sample(later, ["PI-402"])["PI-402"], atol=0.01
    )


def test_the_demo_interlock_rule_alarms_on_the_simulated_failure_only(spec: s.PlantSpec) -> None:
    from anquan.demo.site import RULES
    from anquan.monitoring.alarms.engine import Engine, RuleSpec, tags_of

    demo = next(r for r in RULES if r.kind == "interlock")
    ids = {t.code: n for n, t in enumerate(spec.tags, start=1)}
    params = {**demo.params, "output_tag": ids[demo.params["output_tag"]]}
    assert demo.tag is not None
    tags = tags_of("interlock", ids[demo.tag], params)
    rule = RuleSpec(id=1, kind="interlock", tags=tags, params=params, deadband=demo.deadband)
    codes = [demo.tag, demo.params["output_tag"]]

    def transitions(plant: Plant, start: int, end: int) -> list[tuple[bool, int]]:
        engine = Engine()
        engine.load(rule)
        readings = []
        for code in codes:
            times, values = published(plant, code, start, end)
            readings += [(ids[code], int(t), float(v)) for t, v in zip(times, values, strict=True)]
        readings.sort(key=lambda r: r[1])
        return [(t.active, t.ts) for t in engine.feed(readings)]

    plant = Plant(spec)
    fault = plant.add_fault(Fault(sc.INTERLOCK_FAILURE, "C-402", MORNING, 1800))
    trip = rows(ground_truth(plant, fault))["PI-402"]["crossings"]["hh"]
    assert trip is not None
    # failed 10 s after the pressure reached the trip point (it stays within the deadband above),
    # the machine running all along
    failed = transitions(plant, MORNING - 600_000, fault.end_ms + 20 * 60_000)
    assert failed[0] == (True, trip + 10_000)
    # stopped by hand at the end: the pressure falls below the deadband and the alarm returns once
    assert [active for active, _ in failed] == [True, False] and failed[1][1] > fault.end_ms
    assert transitions(Plant(spec), MORNING - 600_000, fault.end_ms) == []  # a normal morning: no demand
