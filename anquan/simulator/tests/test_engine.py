"""The plant in normal operation: deterministic, inside its limits, coupled along the topology."""

from __future__ import annotations

import numpy as np
import pytest

from anquan.simulator import Plant, every
from anquan.simulator import spec as s
from anquan.simulator.plant import decimals
from anquan.simulator.tests.conftest import DAY_MS, SUMMER, WINTER, ms


def crossings(tag: s.Tag, values: np.ndarray) -> list[str]:
    out = []
    for level, limit in tag.limits().items():
        beyond = values >= limit if level in ("h", "hh") else values <= limit
        if beyond.any():
            out.append(f"{tag.code} {level}={limit}: {values[beyond][:3]}")
    return out


def day_on_each_tag_grid(plant: Plant, start: int) -> dict[str, np.ndarray]:
    """A whole day, every tag at its own sample interval (what the live simulator publishes)."""
    out: dict[str, np.ndarray] = {}
    for interval in sorted({t.sample_interval_s for t in plant.spec.tags}):
        codes = [t.code for t in plant.spec.tags if t.sample_interval_s == interval]
        out.update(plant.sample(every(interval, start, start + DAY_MS - 1), codes))
    return out


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(spec: s.PlantSpec) -> None:
    times = every(10, SUMMER, SUMMER + 6 * 3_600_000)

    first = Plant(spec, seed=7).sample(times)
    again = Plant(spec, seed=7).sample(times)
    other = Plant(spec, seed=8).sample(times)

    assert all(np.array_equal(first[c], again[c]) for c in first)
    assert sum(not np.array_equal(first[c], other[c]) for c in first) == len(first)


def test_one_instant_reads_the_same_as_a_batch_and_batches_do_not_depend_on_their_split(
    spec: s.PlantSpec,
) -> None:
    plant = Plant(spec, seed=3)
    times = every(10, SUMMER + 9 * 3_600_000, SUMMER + 11 * 3_600_000)
    whole = plant.sample(times)
    halves = [plant.sample(times[:300]), plant.sample(times[300:])]

    for code, values in whole.items():
        assert np.allclose(values, np.concatenate([halves[0][code], halves[1][code]]), rtol=0, atol=1e-9), (
            code
        )
    for i in (0, 137, 599, len(times) - 1):
        one = plant.values(int(times[i]))
        assert one == pytest.approx({c: float(v[i]) for c, v in whole.items()}, abs=1e-9)


@pytest.mark.parametrize(
    "start", [SUMMER, WINTER, ms(2026, 4, 10), ms(2026, 10, 25)], ids=["summer", "winter", "spring", "autumn"]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_normal_day_crosses_no_alarm_limit_on_any_tag(spec: s.PlantSpec, start: int, seed: int) -> None:
    plant = Plant(spec, seed=seed)

    day = day_on_each_tag_grid(plant, start)

    problems = [p for tag in spec.tags for p in crossings(tag, day[tag.code])]
    assert problems == []
    assert len(day) == len(spec.tags) == 81


def test_readings_stay_inside_the_instrument_range_at_the_transmitters_resolution(spec: s.PlantSpec) -> None:
    day = Plant(spec, seed=2).sample(every(30, SUMMER, SUMMER + DAY_MS))
    for tag in spec.tags:
        values = day[tag.code]
        assert values.min() >= tag.range_low and values.max() <= tag.range_high, tag.code
        assert np.array_equal(values, np.round(values, decimals(tag))), tag.code
        assert len(np.unique(values)) > 10, f"{tag.code} looks frozen"  # never a flat line when healthy


def test_a_pumps_motor_current_follows_its_flow(spec: s.PlantSpec) -> None:
    day = Plant(spec, seed=0).sample(every(60, SUMMER, SUMMER + 2 * DAY_MS), ["FI-201", "II-201", "PI-201"])

    assert np.corrcoef(day["FI-201"], day["II-201"])[0, 1] > 0.95
    assert np.corrcoef(day["FI-201"], day["PI-201"])[0, 1] < -0.5  # down the pump curve


def test_loading_runs_in_daytime_empty_the_tank_and_receipts_fill_it(spec: s.PlantSpec) -> None:
    plant = Plant(spec, seed=0)
    times = every(60, SUMMER, SUMMER + 8 * DAY_MS)
    data = plant.sample(times, ["FI-301", "FI-201", "LI-101", "FI-100", "LI-102", "LI-103", "LI-104"])
    hours = ((times / 1000 + 8 * 3600) % 86_400) / 3600
    loading = data["FI-301"] > 20

    assert 0.05 < loading.mean() < 0.3
    assert hours[loading].min() >= 8 and hours[loading].max() < 18
    assert np.all(data["FI-201"][loading] > data["FI-201"][~loading].max() - 5)  # the pump carries the run
    falling = np.diff(data["LI-101"])[loading[1:]]
    assert falling.mean() < -0.003  # m per minute while a truck is loaded
    receiving = data["FI-100"] > 100
    assert receiving.any()
    rising = sum(np.diff(data[f"LI-10{n}"])[receiving[1:]] for n in range(1, 5))
    assert (rising > 0).mean() > 0.95 and rising.mean() > 0.01  # the tank on receipt fills


def test_hot_afternoons_switch_the_spray_on_which_cools_the_tank_and_starts_the_standby_pump(
    spec: s.PlantSpec,
) -> None:
    plant = Plant(spec, seed=0)
    times = every(60, SUMMER, SUMMER + 4 * DAY_MS)
    data = plant.sample(times, ["FI-101", "FI-102", "TI-505", "II-503", "FI-504"])
    spraying = data["FI-101"] > 60

    assert spraying.any() and data["TI-505"][spraying].min() > 29.0
    assert data["FI-102"].max() < 1.0  # diesel: no spray
    assert np.all(data["II-503"][spraying] > 100)  # the second cooling-water pump runs with them
    assert data["FI-504"][spraying].mean() > data["FI-504"][~spraying].mean() + 200

    sprayed = Plant(spec, seed=0)
    dry = Plant(spec, seed=0)
    dry.models["T-101"].sprayed = False  # type: ignore[attr-defined]
    later = times[spraying] + 3_600_000  # the shell cools with a lag
    cooled, warm = sprayed.sample(later, ["TI-101"])["TI-101"], dry.sample(later, ["TI-101"])["TI-101"]
    assert cooled.mean() < warm.mean() - 0.5


def test_a_warmer_season_raises_tank_temperature_pressure_and_vapour_at_the_dike(spec: s.PlantSpec) -> None:
    plant = Plant(spec, seed=0)
    codes = ["TI-102", "PI-102", "AI-105", "AI-107"]
    summer = plant.sample(every(60, SUMMER, SUMMER + DAY_MS), codes)
    winter = plant.sample(every(60, WINTER, WINTER + DAY_MS), codes)

    assert summer["TI-102"].mean() > winter["TI-102"].mean() + 15
    assert summer["PI-102"].mean() > winter["PI-102"].mean() + 0.2
    assert summer["AI-105"].mean() > winter["AI-105"].mean() + 0.5
    assert summer["AI-107"].mean() > winter["AI-107"].mean() + 0.5


def test_the_standby_cooling_water_pump_is_test_run_weekly_in_winter(spec: s.PlantSpec) -> None:
    data = Plant(spec, seed=0).sample(every(60, WINTER, WINTER + 7 * DAY_MS), ["II-503", "II-502"])
    running = data["II-503"] > 50

    assert 25 <= running.sum() <= 35  # one 30-minute run
    assert data["II-502"].min() > 62  # the duty pump never stops


def test_any_plant_spec_is_simulated_sensibly() -> None:
    tank = s.Equipment("T-1", s.STORAGE_TANK, "汽油", 10, 10)
    pump = s.Equipment("P-1", s.PUMP, "汽油", 30, 10)
    odd = s.Equipment("X-1", s.HEAT_EXCHANGER)
    tags = (
        s.Tag("TI-1", "T-1", s.TEMPERATURE, "°C", -20, 80, 10, h=40, hh=50),
        s.Tag("PI-1", "P-1", s.PRESSURE, "MPa", 0, 2.5, 5, h=1.6),
        s.Tag("FI-9", "X-1", s.FLOW, "m³/h", 0, 100, 5),
        s.Tag("AI-9", "X-1", s.COMBUSTIBLE_GAS, "%LEL", 0, 100, 2, h=25, hh=50),
    )
    spec = s.PlantSpec("tiny", (tank, pump, odd), tags, (s.Link("T-1", "P-1"),))
    plant = Plant(spec, seed=1)

    day = day_on_each_tag_grid(plant, SUMMER)

    assert [p for tag in tags for p in crossings(tag, day[tag.code])] == []
    assert 20 < day["TI-1"].mean() < 40
    assert 30 < day["FI-9"].mean() < 60
