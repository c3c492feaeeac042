"""Signals of the AI inspection assistant's devices: a thermal camera, an acoustic array and a gas
sensor array pointed at storage tanks and pumps. Plain numpy, deterministic per seed.

Each signal is what ``anquan.inspections.assistant.ingest_signals`` takes as ``data``:

- thermal: ``{"max_c", "mean_c", "reference_c", "hotspot": [x, y]}`` — the frame's hottest spot,
  its mean and the reference (the ambient, or the shell of a healthy neighbour);
- acoustic: ``{"bands": {Hz: dB}, "baseline": {Hz: dB}}`` — octave band levels;
- gas: ``{"channels": {name: reading}, "baseline": {name: reading}}`` — the array's channels.

Faults (``anquan.simulator.scenarios.Fault``) move the signals they would move in a plant:

- ``bearing_wear`` on a pump raises its high-frequency acoustic bands (2–8 kHz, the bearing's
  defect frequencies and their harmonics) first and most, then warms its bearing housing;
- ``cooling_failure`` on a tank (its spray ring stops) raises the thermal hot spot of the sun-side
  shell over the ambient reference.

Every random number is a pure function of (seed, equipment, kind, time), so a signal is the same
whether computed live or inside a month of history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from anquan.simulator import noise
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s

THERMAL = "thermal"
ACOUSTIC = "acoustic"
GAS = "gas"
KINDS = (THERMAL, ACOUSTIC, GAS)

TANK = "tank"
PUMP = "pump"

BANDS = ("125", "250", "500", "1000", "2000", "4000", "8000")  # octave band centres, Hz
# A healthy centrifugal pump at 1 m (dB): the running speed and vane-pass tones dominate the low bands.
PUMP_BASELINE_DB = {
    "125": 78.0,
    "250": 76.0,
    "500": 73.0,
    "1000": 70.0,
    "2000": 66.0,
    "4000": 61.0,
    "8000": 55.0,
}
# How far each band rises with a fully developed bearing defect (severity 1), dB.
BEARING_RISE_DB = {"125": 0.5, "250": 0.8, "500": 1.5, "1000": 3.0, "2000": 9.0, "4000": 14.0, "8000": 12.0}
ACOUSTIC_NOISE_DB = 0.5

GAS_CHANNELS = ("VOC", "CH4", "H2S")  # ppm: PID volatile organics, catalytic methane, electrochemical H2S
GAS_BASELINE = {"VOC": 1.2, "CH4": 2.0, "H2S": 0.1}
GAS_NOISE_SHARE = 0.08  # relative

TANK_SHELL_OVER_AMBIENT_K = 2.5  # a sprayed shell in the sun runs a little over the ambient
PUMP_HOUSING_OVER_AMBIENT_K = 3.5  # a healthy bearing housing, over the pump house's air
COOLING_RISE_K = 24.0  # a sun-side shell without its spray, fully heated (severity 1)
COOLING_TIME_CONSTANT_S = 5400.0
BEARING_HEAT_K = 14.0  # bearing housing over its normal temperature at the end of the wear
THERMAL_NOISE_K = 0.4


@dataclass(frozen=True)
class Target:
    """A piece of equipment the devices look at: its code and whether it is a tank or a pump."""

    equipment: str
    kind: str  # TANK | PUMP


def ambient_c(t_ms: int, utc_offset_h: float = 8.0, mean_c: float = 18.0, swing_k: float = 6.0) -> float:
    """The air temperature at the site: a daily cycle peaking at 14:00 local time."""
    local_h = (t_ms / 3_600_000.0 + utc_offset_h) % 24.0
    return mean_c + swing_k * float(np.cos((local_h - 14.0) / 24.0 * 2.0 * np.pi))


def _progress(fault: sc.Fault, t_ms: int) -> float:
    """How far the fault has developed at ``t_ms``: 0 before it starts and after its repair."""
    tau = (t_ms - fault.start_ms) / 1000.0
    if tau < 0 or tau > fault.duration_s:
        return 0.0
    return tau / fault.duration_s


def bearing_wear(faults: Iterable[sc.Fault], equipment: str, t_ms: int) -> float:
    """0..severity: a bearing defect grows slowly, then faster (the square of its progress)."""
    level = 0.0
    for f in faults:
        if f.scenario == sc.BEARING_WEAR and f.equipment == equipment:
            level = max(level, f.severity * _progress(f, t_ms) ** 2)
    return level


def cooling_loss(faults: Iterable[sc.Fault], equipment: str, t_ms: int) -> float:
    """0..severity: the shell heats towards its uncooled temperature (first order)."""
    level = 0.0
    for f in faults:
        if f.scenario == sc.COOLING_FAILURE and f.equipment == equipment:
            tau = (t_ms - f.start_ms) / 1000.0
            if 0 <= tau <= f.duration_s:
                level = max(level, f.severity * (1.0 - float(np.exp(-tau / COOLING_TIME_CONSTANT_S))))
    return level


class SignalGenerator:
    """The inspection devices' signals for ``targets`` with ``faults`` played on them."""

    def __init__(
        self,
        targets: Iterable[Target],
        *,
        seed: int = 0,
        faults: Iterable[sc.Fault] = (),
        utc_offset_h: float = 8.0,
    ) -> None:
        self.targets = {t.equipment: t for t in targets}
        self.seed = seed
        self.faults = list(faults)
        self.utc_offset_h = utc_offset_h

    def _normal(self, equipment: str, kind: str, channel: str, t_ms: int) -> float:
        return float(
            noise.normal(noise.key(self.seed, "inspection", equipment, kind, channel), t_ms // 1000)[0]
        )

    def thermal(self, equipment: str, t_ms: int) -> dict[str, Any]:
        target = self.targets[equipment]
        reference = ambient_c(t_ms, self.utc_offset_h)
        if target.kind == TANK:
            rise = TANK_SHELL_OVER_AMBIENT_K + COOLING_RISE_K * cooling_loss(self.faults, equipment, t_ms)
        else:
            wear = bearing_wear(self.faults, equipment, t_ms)
            # The housing warms only once the defect is well developed (after the sound rises).
            rise = PUMP_HOUSING_OVER_AMBIENT_K + BEARING_HEAT_K * max(0.0, wear - 0.3) / 0.7
        hot = reference + rise + THERMAL_NOISE_K * self._normal(equipment, THERMAL, "max", t_ms)
        mean = reference + 0.4 * rise + THERMAL_NOISE_K * self._normal(equipment, THERMAL, "mean", t_ms)
        spot_x = 0.5 + 0.1 * self._normal(equipment, THERMAL, "x", t_ms)
        spot_y = 0.4 + 0.1 * self._normal(equipment, THERMAL, "y", t_ms)
        return {
            "max_c": round(max(hot, mean), 1),
            "mean_c": round(min(hot, mean), 1),
            "reference_c": round(reference, 1),
            "hotspot": [round(min(max(spot_x, 0.0), 1.0), 3), round(min(max(spot_y, 0.0), 1.0), 3)],
        }

    def acoustic(self, equipment: str, t_ms: int) -> dict[str, Any]:
        wear = bearing_wear(self.faults, equipment, t_ms)
        bands = {
            band: round(
                PUMP_BASELINE_DB[band]
                + BEARING_RISE_DB[band] * wear
                + ACOUSTIC_NOISE_DB * self._normal(equipment, ACOUSTIC, band, t_ms),
                1,
            )
            for band in BANDS
        }
        return {"bands": bands, "baseline": dict(PUMP_BASELINE_DB)}

    def gas(self, equipment: str, t_ms: int) -> dict[str, Any]:
        channels = {
            name: round(
                max(
                    0.0,
                    GAS_BASELINE[name] * (1.0 + GAS_NOISE_SHARE * self._normal(equipment, GAS, name, t_ms)),
                ),
                2,
            )
            for name in GAS_CHANNELS
        }
        return {"channels": channels, "baseline": dict(GAS_BASELINE)}

    def kinds(self, equipment: str) -> tuple[str, ...]:
        """What the devices read at this equipment: a tank has no acoustic array (it does not run)."""
        return (THERMAL, GAS) if self.targets[equipment].kind == TANK else KINDS

    def signal(self, equipment: str, kind: str, t_ms: int) -> dict[str, Any]:
        if kind == THERMAL:
            return self.thermal(equipment, t_ms)
        if kind == ACOUSTIC:
            return self.acoustic(equipment, t_ms)
        if kind == GAS:
            return self.gas(equipment, t_ms)
        raise ValueError(f"unknown signal kind: {kind!r}")

    def at(self, t_ms: int) -> list[tuple[str, str, dict[str, Any]]]:
        """Every signal of every target at ``t_ms``: (equipment, kind, data), in a stable order."""
        return [
            (code, kind, self.signal(code, kind, t_ms))
            for code in sorted(self.targets)
            for kind in self.kinds(code)
        ]


def targets_of(equipment_types: Mapping[str, str]) -> list[Target]:
    """The tanks and pumps among ``{code: equipment type}`` (``spec.STORAGE_TANK`` / ``spec.PUMP``)."""
    kinds = {s.STORAGE_TANK: TANK, s.PUMP: PUMP}
    return [Target(code, kinds[kind]) for code, kind in sorted(equipment_types.items()) if kind in kinds]
