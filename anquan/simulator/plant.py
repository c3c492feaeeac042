"""The plant: believable physics per equipment type, evaluated at any set of instants.

``Plant(spec, seed=…)`` answers "what does every transmitter read at these times?" with one
vectorised computation (``sample``), or for one instant (``values``, what the live simulator
publishes). Every signal is a pure function of the seed and the time, so the two always agree and
the same seed always gives the same data.

How a reading is made, layer by layer:

1. the shared environment (``environment``): ambient temperature with its seasonal, daily and
   weather swings; wind;
2. normal operation (``operations``): tank receipts and truck loading, standby pumps started for
   their weekly run or when cooling demand needs them, the hydrogen unit's daily load;
3. the physics of each equipment type, coupled along the process topology: a tank's level and
   temperature feed its vapour-space pressure and the vapour its dike detectors see; a pump's
   flow is its recirculation plus the loading arm it serves and sets its discharge pressure, motor
   current and bearing temperature; the cooling-water header carries what its users draw (tank
   spray rings switched on on hot afternoons, the electrolyser's lye cooler) and the standby pump
   starts when one pump is not enough; process faults act here;
4. the transmitter: bounded noise, clipping to the instrument range, rounding to its resolution;
   sensor faults act here.

Normal values sit well inside the alarm limits (or the process card's normal window when the spec
gives one), so a normal day raises no limit alarm; a test keeps it that way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from anquan.simulator import noise
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.environment import Environment
from anquan.simulator.equipment import (
    COMBUSTIBLE_GAIN,
    DETECTOR_REACH_M,
    LEL_TO_UNIT,
    MODELS,
    NEARBY_M,
    Electrolyser,
    LoadingArm,
    Machine,
    Model,
    Tank,
    chain_load,
    volatility,
)
from anquan.simulator.frame import Frame, decimals, every, window

# Transmitter noise (1 σ) as a share of the instrument span; flows add a share of the reading.
NOISE_SHARE: dict[str, float] = {
    s.TEMPERATURE: 0.0012,
    s.PRESSURE: 0.0015,
    s.LEVEL: 0.0001,  # radar gauges: about ±2 mm
    s.FLOW: 0.0003,
    s.COOLING_WATER_FLOW: 0.0003,
    s.COMBUSTIBLE_GAS: 0.0025,
    s.TOXIC_GAS: 0.002,
    s.OXYGEN: 0.002,
    s.HYDROGEN: 0.0025,
    s.VIBRATION: 0.004,
    s.MOTOR_CURRENT: 0.003,
    s.WIND_SPEED: 0.0,
}
FLOW_NOISE_OF_READING = 0.008
GUST_SHARE = 0.05  # wind: gusts of ±5 % (1 σ) around the mean speed


class Plant:
    def __init__(self, spec: s.PlantSpec, *, seed: int = 0, faults: Iterable[sc.Fault] = ()) -> None:
        self.spec = spec
        self.seed = seed
        self.env = Environment(seed, spec.utc_offset_h)
        self._eq = {e.code: e for e in spec.equipment}
        self._links_from: dict[str, list[s.Link]] = {e.code: [] for e in spec.equipment}
        self._links_to: dict[str, list[s.Link]] = {e.code: [] for e in spec.equipment}
        for link in spec.links:
            self._links_from[link.source].append(link)
            self._links_to[link.target].append(link)
        self.models: dict[str, Model] = {}
        tanks = sorted(e.code for e in spec.equipment if e.type == s.STORAGE_TANK)
        # Tanks first: pumps, arms and headers read their schedules.
        for eq in sorted(spec.equipment, key=lambda e: (e.type != s.STORAGE_TANK, e.code)):
            if eq.type == s.STORAGE_TANK:
                self.models[eq.code] = Tank(self, eq, tanks.index(eq.code))
            else:
                self.models[eq.code] = MODELS.get(eq.type, Model)(self, eq)
        for model in self.models.values():
            if isinstance(model, LoadingArm):
                model.bind()
        # A motor's tags belong to the machine it drives.
        self._owner: dict[str, Model] = {}
        for tag in spec.tags:
            owner = sc.driven_machine(spec, tag.equipment)
            self._owner[tag.code] = self.models[owner]
        self._tag_stream = {t.code: noise.key(seed, "tag", t.code) for t in spec.tags}
        self._gas_sources: dict[str, list[tuple[str, float, str]]] = {}
        self.faults: list[sc.Fault] = []
        for f in faults:
            self.add_fault(f)

    # --- topology -----------------------------------------------------------------------------
    def get(self, code: str) -> s.Equipment:
        return self._eq[code]

    def upstream(self, code: str, kind: str | None = None, type_: str | None = None) -> list[str]:
        return [
            link.source
            for link in self._links_to.get(code, [])
            if (kind is None or link.kind == kind) and (type_ is None or self._eq[link.source].type == type_)
        ]

    def downstream(self, code: str, kind: str | None = None, type_: str | None = None) -> list[str]:
        return [
            link.target
            for link in self._links_from.get(code, [])
            if (kind is None or link.kind == kind) and (type_ is None or self._eq[link.target].type == type_)
        ]

    def source_electrolyser(self, code: str) -> str | None:
        seen, todo = {code}, [code]
        while todo:
            here = todo.pop()
            if self._eq[here].type == s.ELECTROLYZER:
                return here
            for up in self.upstream(here, s.MATERIAL):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        return None

    # --- faults -------------------------------------------------------------------------------
    def add_fault(self, fault: sc.Fault) -> sc.Fault:
        reason = sc.check(
            self.spec, fault.scenario, fault.equipment, tag=fault.tag, mode=fault.mode,
            severity=fault.severity, duration_s=fault.duration_s,
        )  # fmt: skip
        if reason is not None:
            raise ValueError(f"{fault.scenario} on {fault.equipment}: {reason}")
        resolved = sc.resolve(self.spec, fault)
        self.faults.append(resolved)
        return resolved

    def remove_fault(self, fault: sc.Fault) -> None:
        self.faults = [f for f in self.faults if f != fault]

    # --- gas ----------------------------------------------------------------------------------
    def _sources(self, tag: s.Tag) -> list[tuple[str, float, str]]:
        """(equipment, weight by distance, link medium) releasing what ``tag`` detects."""
        if tag.code in self._gas_sources:
            return self._gas_sources[tag.code]
        here = self._eq[tag.equipment]
        linked = [(link.source, link.medium) for link in self._links_to[here.code] if link.kind == s.SIGNAL]
        if not linked and here.placed:
            linked = [
                (e.code, "")
                for e in self.spec.equipment
                if e.code != here.code
                and e.placed
                and sc.distance(e, here) <= NEARBY_M
                and e.type != s.GAS_DETECTOR
            ]
        out = []
        for code, medium in linked:
            there = self._eq[code]
            weight = (
                math.exp(-sc.distance(there, here) / DETECTOR_REACH_M)
                if there.placed and here.placed
                else 0.5
            )
            out.append((code, weight, medium))
        self._gas_sources[tag.code] = out
        return out

    def gas(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        """A gas detector's reading: zero drift, routine releases of nearby equipment carried by
        turbulence, and any leak within reach diluted by distance and wind."""
        k = noise.key(self.seed, "gas", tag.code)
        drift = noise.smooth(k, fr.t_s, 45 * 60.0)
        turbulence = 1.0 + 0.3 * noise.smooth(k ^ 0x33, fr.t_s, 90.0)
        if tag.kind == s.OXYGEN:
            value = 20.9 + 0.05 * drift
            for code, weight, _medium in self._sources(tag):
                model = self.models[code]
                if isinstance(model, Electrolyser):  # the oxygen vent
                    value = value + 0.8 * weight * model.load(fr)
            return value
        if tag.kind == s.TOXIC_GAS:
            value = 0.3 + 0.12 * drift + 0.25 * np.maximum(noise.smooth(k ^ 0x44, fr.t_s, 50 * 60.0), 0.0)
            for code, weight, medium in self._sources(tag):
                if "硫化氢" in medium or "h2s" in medium.lower():
                    model = self.models[code]
                    running = model.running(fr) if isinstance(model, Machine) else 1.0
                    value = value + 0.6 * weight * running * np.maximum(
                        noise.smooth(k ^ 0x55, fr.t_s, 1800.0), 0.0
                    )
            return value * (1.4 if tag.unit == "mg/m³" else 1.0)
        # Combustible gas and hydrogen, in %LEL.
        lel = (0.8 if tag.kind == s.COMBUSTIBLE_GAS else 0.4) + 0.35 * drift
        release = np.zeros(fr.t_s.shape)
        for code, weight, _medium in self._sources(tag):
            release = release + weight * self._release(code, tag.kind, fr)
        lel = lel + COMBUSTIBLE_GAIN * release * turbulence
        for f in fr.faults:
            if f.scenario != sc.H2_LEAK:
                continue
            src, here = self._eq[f.equipment], self._eq[tag.equipment]
            if not (src.placed and here.placed):
                continue
            d = sc.distance(src, here)
            if d > sc.H2_DETECTION_RANGE_M:
                continue
            meander = 1.0 + 0.25 * noise.smooth(k ^ noise.key(f.start_ms), fr.t_s, 40.0)
            strength = sc.leak_source(fr.tau(f), f.duration_s, f.severity)
            lel = lel + strength * math.exp(-d / sc.H2_DISPERSION_M) * self.env.dilution(fr.t_s) * meander
        if tag.kind == s.HYDROGEN:
            return lel * LEL_TO_UNIT.get(tag.unit, 1.0)
        return lel

    def _release(self, code: str, kind: str, fr: Frame) -> np.ndarray:
        model = self.models[code]
        eq = self._eq[code]
        if kind == s.HYDROGEN:
            if isinstance(model, Electrolyser):
                return 0.2 * model.load(fr)
            lam = chain_load(self, code, fr)
            return 0.15 * lam if lam is not None else np.zeros(fr.t_s.shape)
        if isinstance(model, Tank):
            return model.vapour(fr)
        if isinstance(model, Machine):
            return 0.2 * volatility(eq.medium) * model.running(fr)
        if isinstance(model, LoadingArm):
            return 0.6 * volatility(eq.medium) * np.clip(model.flow(fr) / 50.0, 0.0, 1.0)
        return np.zeros(fr.t_s.shape)

    # --- measurement --------------------------------------------------------------------------
    def sigma(self, tag: s.Tag, clean: np.ndarray) -> np.ndarray:
        if tag.kind == s.WIND_SPEED:
            return GUST_SHARE * clean
        share = NOISE_SHARE.get(tag.kind, 0.002)
        if tag.kind in (s.FLOW, s.COOLING_WATER_FLOW):
            return share * tag.span + FLOW_NOISE_OF_READING * np.abs(clean)
        if tag.kind == s.MOTOR_CURRENT:  # a current transformer's noise grows with the current
            return share * tag.span * (0.3 + 0.7 * np.clip(np.abs(clean) / (0.3 * tag.span), 0.0, 1.0))
        return np.full(clean.shape, share * tag.span)

    def _process(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        """The true process value at the transmitter (no noise yet)."""
        clean = self._owner[tag.code].value(tag, fr)
        for f in fr.faults:
            if (
                f.scenario == sc.H2_LEAK
                and tag.kind == s.PRESSURE
                and tag.code in self.leak_pressure_tags(f.equipment)
            ):
                lo, hi = window(tag)
                x = sc.leak_source(fr.tau(f), f.duration_s, f.severity) / sc.H2_SOURCE_LEL
                clean = clean - sc.H2_PRESSURE_DECAY * 0.5 * (lo + hi) * x
        return np.broadcast_to(clean, fr.t_s.shape).astype(np.float64)

    def leak_pressure_tags(self, code: str) -> set[str]:
        """Pressure transmitters that feel a leak at ``code``: its own, else its neighbours'."""
        own = {t.code for t in self.spec.tags_of(code) if t.kind == s.PRESSURE}
        if own:
            return own
        near = self.upstream(code, s.MATERIAL) + self.downstream(code, s.MATERIAL)
        return {t.code for n in near for t in self.spec.tags_of(n) if t.kind == s.PRESSURE}

    def _transmit(self, tag: s.Tag, fr: Frame, clean: np.ndarray) -> np.ndarray:
        value = clean + self.sigma(tag, clean) * noise.normal(self._tag_stream[tag.code], fr.t_ms)
        if tag.range_low == 0.0:
            value = np.abs(value)  # a small reading near zero never shows as negative
        value = np.clip(value, tag.range_low, tag.range_high)
        return np.round(value, decimals(tag))

    def measure(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        value = self._transmit(tag, fr, self._process(tag, fr))
        for f in fr.faults:
            if f.family != sc.SENSOR or f.tag != tag.code:
                continue
            tau = fr.tau(f)
            inside = (tau >= 0) & (tau <= f.duration_s)
            if not inside.any():
                continue
            if f.scenario == sc.SENSOR_DRIFT:
                lo, hi = window(tag)
                centre = 0.5 * (lo + hi)
                if f.mode == "down":
                    target = tag.low if tag.low is not None else tag.range_low
                else:
                    target = tag.high if tag.high is not None else tag.range_high
                offset = sc.DRIFT_OVERSHOOT * f.severity * (target - centre) * sc.drift(tau, f.duration_s)
                drifted = np.clip(value + offset, tag.range_low, tag.range_high)
                value = np.where(inside, np.round(drifted, decimals(tag)), value)
            elif f.scenario == sc.STUCK_SENSOR:
                others = tuple(g for g in fr.faults if g != f)
                at = Frame(self, np.array([f.start_ms]), others)
                frozen = self.measure(tag, at)[0]
                value = np.where(inside, frozen, value)
            elif f.scenario == sc.INSTRUMENT_FAILURE:
                assert f.mode is not None
                stream = noise.key(self.seed, "failure", f.tag, f.start_ms)
                mask = sc.failure_mask(stream, fr.t_ms, tau, f.duration_s)
                value = np.where(mask, round(sc.failed_value(tag, f.mode), decimals(tag)), value)
        return value

    # --- public -------------------------------------------------------------------------------
    def frame(self, t_ms: np.ndarray | Sequence[int], faults: Iterable[sc.Fault] | None = None) -> Frame:
        return Frame(self, np.asarray(t_ms), tuple(self.faults if faults is None else faults))

    def sample(
        self,
        t_ms: np.ndarray | Sequence[int],
        tags: Iterable[str] | None = None,
        *,
        faults: Iterable[sc.Fault] | None = None,
    ) -> dict[str, np.ndarray]:
        """What each transmitter reads at each instant (epoch ms), as arrays by tag code."""
        fr = self.frame(t_ms, faults)
        codes = [t.code for t in self.spec.tags] if tags is None else list(tags)
        by_code = {t.code: t for t in self.spec.tags}
        return {code: self.measure(by_code[code], fr) for code in codes}

    def values(self, t_ms: int, tags: Iterable[str] | None = None) -> dict[str, float]:
        """One instant: {tag code: value} (what the live simulator publishes)."""
        return {code: float(v[0]) for code, v in self.sample(np.array([t_ms]), tags).items()}

    def due(self, t_ms: int) -> list[str]:
        """Tags whose sample interval has a tick at ``t_ms``."""
        return [t.code for t in self.spec.tags if t_ms % (t.sample_interval_s * 1000) == 0]


__all__ = ["Frame", "Plant", "decimals", "every", "window"]
