"""Named fault scenarios: which equipment each applies to, and how each develops over time.

A ``Fault`` is one scenario played on one piece of equipment from ``start_ms`` for ``duration_s``
at a ``severity`` (1 = the textbook case; 0.5 develops half as far, 2 twice as far). Each develops
over minutes to hours and ends with a repair: the leak is isolated, the cooling restored, the
bearing replaced, the transmitter recalibrated or changed.

The shapes below are functions of the time since the fault began (``tau``, seconds); the plant
applies them to the physics (process faults) or to the measurement (sensor faults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from anquan.simulator import noise
from anquan.simulator import spec as s

H2_LEAK = "h2_leak"
COOLING_FAILURE = "cooling_failure"
BEARING_WEAR = "bearing_wear"
SENSOR_DRIFT = "sensor_drift"
STUCK_SENSOR = "stuck_sensor"
INSTRUMENT_FAILURE = "instrument_failure"
INTERLOCK_FAILURE = "interlock_failure"

PROCESS = "process"
SENSOR = "sensor"


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str  # process (the plant changes) | sensor (only a measurement is wrong)
    default_duration_s: int
    modes: tuple[str, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    H2_LEAK: Scenario(H2_LEAK, PROCESS, 2 * 3600),
    COOLING_FAILURE: Scenario(COOLING_FAILURE, PROCESS, 6 * 3600),
    BEARING_WEAR: Scenario(BEARING_WEAR, PROCESS, 8 * 3600),
    SENSOR_DRIFT: Scenario(SENSOR_DRIFT, SENSOR, 4 * 3600, ("up", "down")),
    STUCK_SENSOR: Scenario(STUCK_SENSOR, SENSOR, 2 * 3600),
    INSTRUMENT_FAILURE: Scenario(INSTRUMENT_FAILURE, SENSOR, 3600, ("high", "low", "dead")),
    INTERLOCK_FAILURE: Scenario(INTERLOCK_FAILURE, PROCESS, 30 * 60),
}

SEVERITY_RANGE = (0.1, 5.0)
DURATION_RANGE_S = (60, 7 * 86_400)
H2_DETECTION_RANGE_M = 100.0  # detectors farther than this from a leak see nothing of it

# Why a scenario cannot be played on a piece of equipment (the adapter words them for people).
UNKNOWN_SCENARIO = "unknown_scenario"
UNKNOWN_EQUIPMENT = "unknown_equipment"
NOT_HYDROGEN = "not_hydrogen"
NOT_PLACED = "not_placed"
NO_DETECTOR = "no_detector"
NO_COOLING = "no_cooling"
NOT_ROTATING = "not_rotating"
NO_TRIP = "no_trip"
NO_TAGS = "no_tags"
UNKNOWN_TAG = "unknown_tag"
BAD_MODE = "bad_mode"
BAD_SEVERITY = "bad_severity"
BAD_DURATION = "bad_duration"

ROTATING = (s.PUMP, s.COMPRESSOR)
HYDROGEN_SERVICE = (s.ELECTROLYZER, s.COMPRESSOR, s.PRESSURE_VESSEL, s.VALVE, s.PIPELINE, s.HEAT_EXCHANGER)


@dataclass(frozen=True)
class Fault:
    scenario: str
    equipment: str
    start_ms: int
    duration_s: int
    severity: float = 1.0
    seed: int = 0
    tag: str | None = None  # sensor scenarios: the faulty transmitter (default: chosen by the seed)
    mode: str | None = None  # sensor_drift: up|down; instrument_failure: high|low|dead

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_s * 1000

    @property
    def family(self) -> str:
        return SCENARIOS[self.scenario].family

    def as_dict(self) -> dict[str, object]:
        return {
            "scenario": self.scenario,
            "equipment": self.equipment,
            "start_ms": self.start_ms,
            "duration_s": self.duration_s,
            "severity": self.severity,
            "seed": self.seed,
            "tag": self.tag,
            "mode": self.mode,
        }


# --- Where a scenario applies ------------------------------------------------------------------
def is_hydrogen(medium: str) -> bool:
    m = medium.lower()
    return "氢" in m or "hydrogen" in m or m.strip() in ("h2", "h₂")


def distance(a: s.Equipment, b: s.Equipment) -> float:
    assert a.x is not None and a.y is not None and b.x is not None and b.y is not None
    return float(np.hypot(a.x - b.x, a.y - b.y))


def gas_detectors_near(spec: s.PlantSpec, eq: s.Equipment) -> list[tuple[s.Tag, float]]:
    """Hydrogen and combustible-gas tags within reach of a release at ``eq``, nearest first."""
    out = []
    for tag in spec.tags:
        if tag.kind not in (s.HYDROGEN, s.COMBUSTIBLE_GAS):
            continue
        where = spec.get(tag.equipment)
        if not where.placed or not eq.placed:
            continue
        d = distance(eq, where)
        if d <= H2_DETECTION_RANGE_M:
            out.append((tag, d))
    return sorted(out, key=lambda td: (td[1], td[0].code))


def driven_machine(spec: s.PlantSpec, code: str) -> str:
    """The pump or compressor a motor drives (energy link), or ``code`` itself."""
    eq = spec.get(code)
    if eq.type in ROTATING:
        return code
    for link in spec.links:
        if link.source == code and link.kind == s.ENERGY and spec.get(link.target).type in ROTATING:
            return link.target
    return code


def trip_tags(spec: s.PlantSpec, code: str) -> tuple[s.Tag | None, s.Tag | None]:
    """A compressor's discharge-pressure trip: its pressure tag with a high-high limit and the motor
    current that shows whether it still runs (on the machine or the motor driving it)."""
    machine = driven_machine(spec, code)
    if spec.get(machine).type != s.COMPRESSOR:
        return None, None
    motors = [link.source for link in spec.links if link.target == machine and link.kind == s.ENERGY]
    tags = [t for c in (machine, *motors) for t in spec.tags_of(c)]
    pressure = next((t for t in spec.tags_of(machine) if t.kind == s.PRESSURE and t.hh is not None), None)
    current = next((t for t in tags if t.kind == s.MOTOR_CURRENT), None)
    return pressure, current


def check(
    spec: s.PlantSpec,
    scenario: str,
    equipment: str,
    *,
    tag: str | None = None,
    mode: str | None = None,
    severity: float = 1.0,
    duration_s: int | None = None,
) -> str | None:
    """None when the scenario can be played on ``equipment``, else the reason code."""
    if scenario not in SCENARIOS:
        return UNKNOWN_SCENARIO
    try:
        eq = spec.get(equipment)
    except KeyError:
        return UNKNOWN_EQUIPMENT
    info = SCENARIOS[scenario]
    if not (SEVERITY_RANGE[0] <= severity <= SEVERITY_RANGE[1]):
        return BAD_SEVERITY
    if duration_s is not None and not (DURATION_RANGE_S[0] <= duration_s <= DURATION_RANGE_S[1]):
        return BAD_DURATION
    if mode is not None and mode not in info.modes:
        return BAD_MODE
    tags = spec.tags_of(equipment)
    if scenario == H2_LEAK:
        if not is_hydrogen(eq.medium) or eq.type not in HYDROGEN_SERVICE:
            return NOT_HYDROGEN
        if not eq.placed:
            return NOT_PLACED
        if not gas_detectors_near(spec, eq):
            return NO_DETECTOR
    elif scenario == COOLING_FAILURE:
        kinds = {t.kind for t in tags}
        if s.COOLING_WATER_FLOW not in kinds or s.TEMPERATURE not in kinds:
            return NO_COOLING
    elif scenario == BEARING_WEAR:
        machine = driven_machine(spec, equipment)
        if spec.get(machine).type not in ROTATING:
            return NOT_ROTATING
        if not any(t.kind == s.VIBRATION for t in spec.tags_of(machine)):
            return NOT_ROTATING
    elif scenario == INTERLOCK_FAILURE:
        pressure, current = trip_tags(spec, equipment)
        if pressure is None or current is None:
            return NO_TRIP
    else:
        if not tags:
            return NO_TAGS
        if tag is not None and tag not in {t.code for t in tags}:
            return UNKNOWN_TAG
    return None


def applicable(spec: s.PlantSpec, scenario: str) -> list[str]:
    """Codes of the equipment ``scenario`` can be played on."""
    return [eq.code for eq in spec.equipment if check(spec, scenario, eq.code) is None]


def resolve(spec: s.PlantSpec, fault: Fault) -> Fault:
    """The fault with its choices made: a bearing fault moves from a motor to the machine it
    drives; a sensor fault picks its transmitter (one with alarm limits, when there is one) and
    its mode from the seed."""
    if fault.scenario in (BEARING_WEAR, INTERLOCK_FAILURE):
        return replace(fault, equipment=driven_machine(spec, fault.equipment))
    if SCENARIOS[fault.scenario].family != SENSOR:
        return fault
    stream = noise.key(fault.seed, fault.scenario, fault.equipment, fault.start_ms)
    tag = fault.tag
    if tag is None:
        tags = spec.tags_of(fault.equipment)
        limited = [t for t in tags if t.limits()] or list(tags)
        tag = limited[int(noise.uniform1(stream, 1) * len(limited))].code
    mode = fault.mode
    modes = SCENARIOS[fault.scenario].modes
    if mode is None and modes:
        t = spec.tag(tag)
        if fault.scenario == SENSOR_DRIFT:
            mode = "up" if t.high is not None or t.low is None else "down"
        else:
            mode = modes[int(noise.uniform1(stream, 2) * len(modes))]
    return replace(fault, tag=tag, mode=mode)


# --- How each develops --------------------------------------------------------------------------
# Hydrogen leak: the concentration a release would give at its own flange (%LEL) at full growth,
# before dilution by distance (e-folding length) and by the wind.
H2_SOURCE_LEL = 70.0
H2_DISPERSION_M = 22.0
H2_ISOLATION_S = 300.0  # after the leak is isolated the cloud clears within minutes
H2_PRESSURE_DECAY = 0.015  # of the vessel's normal pressure, at full growth: a faint decay


def leak_source(tau: np.ndarray, duration: float, severity: float) -> np.ndarray:
    """Strength of a slowly growing flange leak (%LEL at the flange)."""
    x = np.clip(tau / duration, 0.0, 1.0)
    during = H2_SOURCE_LEL * severity * x**1.5
    after = H2_SOURCE_LEL * severity * np.exp(-np.maximum(tau - duration, 0.0) / H2_ISOLATION_S)
    return np.where(tau < 0, 0.0, np.where(tau <= duration, during, after))


# Cooling failure. A tank (tens of thousands of tonnes of product) heats slowly; an electrolyser's
# lye loop heats in minutes.
TANK_HEATING_C_PER_H = 3.0  # severity 1: loss of spray cooling under summer sun
TANK_HEATING_TAU_S = 6 * 3600.0
TANK_HEATING_DELAY_S = 600.0
TANK_RECOVERY_TAU_S = 3 * 3600.0
UNIT_HEATING_C = 12.0  # severity 1: the rise a small unit approaches without its cooler
UNIT_HEATING_TAU_S = 1200.0
UNIT_HEATING_DELAY_S = 120.0
UNIT_RECOVERY_TAU_S = 600.0
COOLING_VALVE_TAU_S = 90.0


def cooling_flow_factor(tau: np.ndarray, duration: float, severity: float) -> np.ndarray:
    """Share of the normal cooling-water flow still arriving."""
    residual = float(np.clip(1.0 - 0.95 * severity, 0.0, 1.0))
    during = residual + (1.0 - residual) * np.exp(-np.maximum(tau, 0.0) / COOLING_VALVE_TAU_S)
    at_end = residual + (1.0 - residual) * np.exp(-duration / COOLING_VALVE_TAU_S)
    after = 1.0 - (1.0 - at_end) * np.exp(-np.maximum(tau - duration, 0.0) / COOLING_VALVE_TAU_S)
    return np.where(tau < 0, 1.0, np.where(tau <= duration, during, after))


def heating(tau: np.ndarray, duration: float, severity: float, *, large: bool) -> np.ndarray:
    """Temperature rise (°C) of what lost its cooling."""
    if large:
        rise, tau_c, delay, recover = (
            TANK_HEATING_C_PER_H * severity * TANK_HEATING_TAU_S / 3600.0,
            TANK_HEATING_TAU_S,
            TANK_HEATING_DELAY_S,
            TANK_RECOVERY_TAU_S,
        )
    else:
        rise, tau_c, delay, recover = (
            UNIT_HEATING_C * severity,
            UNIT_HEATING_TAU_S,
            UNIT_HEATING_DELAY_S,
            UNIT_RECOVERY_TAU_S,
        )

    def curve(x: np.ndarray) -> np.ndarray:
        return rise * (1.0 - np.exp(-np.maximum(x - delay, 0.0) / tau_c))

    at_end = curve(np.array(float(duration)))
    after = at_end * np.exp(-np.maximum(tau - duration, 0.0) / recover)
    return np.where(tau < 0, 0.0, np.where(tau <= duration, curve(tau), after))


# Bearing wear: slow at first, accelerating (the classic P–F curve), replaced at the end.
WEAR_REPAIR_S = 300.0


def wear(tau: np.ndarray, duration: float, severity: float) -> np.ndarray:
    """0 → ``severity`` over the fault, exponential in shape."""
    x = np.clip(tau / duration, 0.0, 1.0)
    during = severity * np.expm1(3.0 * x) / np.expm1(3.0)
    after = severity * np.exp(-np.maximum(tau - duration, 0.0) / WEAR_REPAIR_S)
    return np.where(tau < 0, 0.0, np.where(tau <= duration, during, after))


# Sensor drift: linear, recalibrated at the end. At severity 1 the drift ends 30 % beyond the
# alarm limit it drifts towards.
DRIFT_OVERSHOOT = 1.3


def drift(tau: np.ndarray, duration: float) -> np.ndarray:
    """0 → 1 over the fault, 0 once it ended."""
    return np.where((tau >= 0) & (tau <= duration), np.clip(tau / duration, 0.0, 1.0), 0.0)


# Instrument failure: an intermittent contact for the first part (spikes growing more frequent),
# then the hard failure. NAMUR NE 43 signal levels on a 4–20 mA loop.
INTERMITTENT_SHARE = 0.3
FAILED_HIGH_SPAN = 1.0625  # 21.0 mA: range_low + 106.25 % of span
FAILED_LOW_SPAN = -0.025  # 3.6 mA
FAILED_DEAD_SPAN = 0.0  # a dead loop reads its zero, without any noise


def failed_value(tag: s.Tag, mode: str) -> float:
    share = {"high": FAILED_HIGH_SPAN, "low": FAILED_LOW_SPAN, "dead": FAILED_DEAD_SPAN}[mode]
    return tag.range_low + share * tag.span


def failure_mask(stream: int, t_ms: np.ndarray, tau: np.ndarray, duration: float) -> np.ndarray:
    """Where the failed value replaces the measurement."""
    x = tau / duration
    hard = (x >= INTERMITTENT_SHARE) & (x <= 1.0)
    chance = 0.4 * np.clip(x / INTERMITTENT_SHARE, 0.0, 1.0) ** 2
    spikes = (x >= 0) & (x < INTERMITTENT_SHARE) & (noise.uniform(stream, t_ms // 1000) < chance)
    return hard | spikes


# Interlock failure (联锁拒动): a compressor's outlet is blocked (a valve downstream shut by mistake),
# its discharge pressure climbs past the high-high trip and the trip does not act — the machine keeps
# running, its current even rising with the pressure — until the operators stop it by hand at the
# end of the fault and the pressure falls back. At severity 1 the pressure settles half the H–HH gap
# beyond HH (the relief valve's set point is above that).
BLOCKED_TAU_S = 120.0
BLOCKED_MARGIN = 0.5
BLOCKED_CURRENT_SHARE = 0.08  # of the rated current, at the blocked-outlet pressure


def blocked(tau: np.ndarray, duration: float) -> np.ndarray:
    """0 → 1: how far the discharge pressure has climbed towards the blocked-outlet pressure."""
    during = 1.0 - np.exp(-np.maximum(tau, 0.0) / BLOCKED_TAU_S)
    at_end = 1.0 - math.exp(-duration / BLOCKED_TAU_S)
    after = at_end * np.exp(-np.maximum(tau - duration, 0.0) / BLOCKED_TAU_S)
    return np.where(tau < 0, 0.0, np.where(tau <= duration, during, after))


def blocked_pressure(tag: s.Tag, severity: float) -> float:
    """Where the discharge pressure settles with the outlet blocked and the trip failed."""
    assert tag.hh is not None
    gap = tag.hh - tag.h if tag.h is not None and tag.h < tag.hh else 0.05 * tag.hh
    return min(tag.hh + BLOCKED_MARGIN * severity * gap, tag.range_high)
