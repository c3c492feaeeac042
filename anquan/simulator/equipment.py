"""Physics per equipment type: tanks, pumps and their motors, compressors, the electrolyser, vessels,
headers, loading arms, the cooling tower, the weather station and buildings.

Each model answers ``value(tag, frame)``: the true process value at a transmitter, before noise.
Models read each other along the process topology (a pump reads the tank it draws from and the
arm it serves; a header sums what its users draw), and the process faults act here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from anquan.simulator import noise, operations
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.frame import Frame, lag, place, window

if TYPE_CHECKING:
    from anquan.simulator.plant import Plant

GAS_KINDS = (s.COMBUSTIBLE_GAS, s.TOXIC_GAS, s.OXYGEN, s.HYDROGEN)

# Tank spray cooling (罐壁喷淋): switched on when the air is hotter than this, for tanks whose
# product temperature limit is low (light, volatile products). The demo's enterprise rule starts
# the gasoline tank's spray at 35 °C ambient; the simulated climate seldom gets there, so the
# simulation starts it earlier to show the spray's effect in summer data.
SPRAY_ON_AMBIENT_C = 30.0
SPRAY_FOR_TEMPERATURE_H_AT_MOST = 40.0
SPRAY_COOLING_C = 2.0  # a spray-cooled tank ends up this much cooler
SPRAY_TAU_S = 1.5 * 3600.0
SPRAY_DESIGN_SHARE = 0.6  # design spray flow as a share of the flow transmitter's span

# Vapour release of stored products, relative to gasoline, and what a floating roof keeps in.
VOLATILITY: tuple[tuple[tuple[str, ...], float], ...] = (
    (("汽油", "gasoline", "石脑油", "naphtha"), 1.0),
    (("甲醇", "methanol", "乙醇", "ethanol"), 0.55),
    (("甲苯", "toluene", "苯", "benzene", "二甲苯", "xylene"), 0.45),
    (("油品", "化学品", "蒸气", "vapour", "vapor"), 0.5),
    (("柴油", "diesel", "煤油", "kerosene"), 0.12),
)
FLOATING_ROOF_SHARE = 0.4
COMBUSTIBLE_GAIN = 2.5  # %LEL at a source, per unit of vapour release
DETECTOR_REACH_M = 30.0  # e-folding distance of a routine release's vapour
NEARBY_M = 60.0
LEL_TO_UNIT = {"%LEL": 1.0, "%vol": 0.04, "ppm": 400.0}  # hydrogen: 100 %LEL = 4 %vol


def volatility(medium: str) -> float:
    m = medium.lower()
    for words, value in VOLATILITY:
        if any(w in m for w in words):
            return value
    return 0.3 if m.strip() and not sc.is_hydrogen(m) else 0.0


class Model:
    """Generic physics for a tag no specific model knows: a slowly wandering value inside its
    normal window (temperatures follow the air)."""

    def __init__(self, plant: Plant, eq: s.Equipment) -> None:
        self.plant = plant
        self.eq = eq
        self.code = eq.code
        self.stream = noise.key(plant.seed, "equipment", eq.code)

    def wander(self, tag: s.Tag, t_s: np.ndarray, slow_s: float = 6 * 3600.0) -> np.ndarray:
        k = noise.key(self.plant.seed, "wander", tag.code)
        return 0.55 * noise.smooth(k, t_s, slow_s) + 0.3 * noise.smooth(k ^ 0x77, t_s, 40 * 60.0)

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind in GAS_KINDS:
            return self.plant.gas(tag, fr)
        return self.generic(tag, fr)

    def generic(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        env = self.plant.env
        if tag.kind == s.WIND_SPEED:
            return env.wind(fr.t_s)
        if tag.kind == s.TEMPERATURE:
            z = 0.6 * (env.ambient(fr.t_s) - 15.0) / 15.0 + 0.2 * self.wander(tag, fr.t_s)
            return place(tag, np.clip(z, -0.95, 0.95))
        return place(tag, self.wander(tag, fr.t_s))


class Weather(Model):
    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind == s.TEMPERATURE:
            return self.plant.env.ambient(fr.t_s)
        return super().value(tag, fr)


class Building(Model):
    """A control room: HVAC holds 26 ± 2 °C in summer, 20 ± 2 °C in winter (SH/T 3006-2012)."""

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind == s.TEMPERATURE:
            env = self.plant.env
            daily = np.cos(2.0 * np.pi * (env.hour(fr.t_s) - 16.0) / 24.0)
            return 23.0 + 2.8 * env.season(fr.t_s) + 0.5 * daily + 0.4 * self.wander(tag, fr.t_s)
        return super().value(tag, fr)


class Tank(Model):
    def __init__(self, plant: Plant, eq: s.Equipment, index: int) -> None:
        super().__init__(plant, eq)
        tags = plant.spec.tags_of(eq.code)
        self.level_tag = next((t for t in tags if t.kind == s.LEVEL), None)
        self.temp_tag = next((t for t in tags if t.kind == s.TEMPERATURE), None)
        self.cw_tag = next((t for t in tags if t.kind == s.COOLING_WATER_FLOW), None)
        self.floating = bool(eq.params.get("floating_roof", 0.0))
        self.volatility = volatility(eq.medium)
        self.offset_c = 1.0 + 2.0 * (noise.uniform1(self.stream, 7) - 0.5)
        # What the tank sends out: its pumps and the loading arms they serve.
        self.arms: list[tuple[str, str]] = []
        for pump in plant.downstream(eq.code, s.MATERIAL, s.PUMP):
            self.arms += [(pump, arm) for arm in plant.downstream(pump, s.MATERIAL, s.LOADING_ARM)]
        arm_rates = []
        for _pump, arm in self.arms:
            flow = next((t for t in plant.spec.tags_of(arm) if t.kind == s.FLOW), None)
            arm_rates.append(0.78 * flow.h if flow is not None and flow.h is not None else 80.0)
        receipt = (280.0, 380.0)
        for pipe in plant.upstream(eq.code, s.MATERIAL, s.PIPELINE):
            flow = next((t for t in plant.spec.tags_of(pipe) if t.kind == s.FLOW), None)
            if flow is not None and flow.high is not None:
                receipt = (0.36 * flow.high, 0.47 * flow.high)
        self.receipt_max = receipt[1]
        self.ops = operations.TankOps(
            stream=noise.key(plant.seed, "tank-ops", eq.code),
            area_m2=self._area_per_unit(),
            band=self._band(),
            phase_days=index % operations.CYCLE_DAYS,
            receipt_rate=receipt,
            arm_rates=tuple(arm_rates),
            utc_offset_s=plant.env.offset_s,
        )
        self.spray_design = SPRAY_DESIGN_SHARE * self.cw_tag.range_high if self.cw_tag is not None else 0.0
        self.sprayed = self.cw_tag is not None and (
            self.temp_tag is None
            or self.temp_tag.high is None
            or self.temp_tag.high <= SPRAY_FOR_TEMPERATURE_H_AT_MOST
        )

    def _area_per_unit(self) -> float:
        """Cross-section per unit of the level transmitter (m³ per m, per mm or per %)."""
        p = self.eq.params
        if "area_m2" in p:
            area = float(p["area_m2"])
        else:
            area = math.pi * float(p.get("diameter_m", 20.0)) ** 2 / 4.0
        unit = self.level_tag.unit if self.level_tag is not None else "m"
        if unit == "mm":
            return area / 1000.0
        if unit == "%":
            return area * float(p.get("height_m", 15.0)) / 100.0
        return area

    def _band(self) -> tuple[float, float]:
        tag = self.level_tag
        if tag is None:
            return 2.0, 12.0
        low = tag.low if tag.low is not None else tag.range_low + 0.05 * tag.span
        high = tag.high if tag.high is not None else tag.range_high - 0.1 * tag.span
        return low + 0.12 * (high - low), high - 0.1 * (high - low)

    # --- state --------------------------------------------------------------------------------
    def spray_on(self, t_s: np.ndarray) -> np.ndarray:
        if not self.sprayed:
            return np.zeros(np.shape(t_s))
        return (self.plant.env.ambient(t_s) > SPRAY_ON_AMBIENT_C).astype(np.float64)

    def cw_flow(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            flow = self.spray_design * lag(self.spray_on, fr.t_s, 20.0, 10.0)
            for f in fr.on(sc.COOLING_FAILURE, self.code):
                flow = flow * sc.cooling_flow_factor(fr.tau(f), f.duration_s, f.severity)
            return flow

        return fr.get(("cw", self.code), compute)

    def heating(self, fr: Frame, delay_s: float = 0.0) -> np.ndarray:
        out = np.zeros(fr.t_s.shape)
        for f in fr.on(sc.COOLING_FAILURE, self.code):
            out += sc.heating(fr.tau(f) - delay_s, f.duration_s, f.severity, large=True)
        return out

    def temperature_normal(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            env = self.plant.env
            daily = 0.35 * np.cos(2.0 * np.pi * (env.hour(fr.t_s) - 17.0) / 24.0)
            spray: np.ndarray | float = 0.0
            if self.sprayed:  # the spray water actually arriving cools the shell, with a lag
                share = lag(lambda g: self.cw_flow(fr.at(g)) / self.spray_design, fr.t_s, SPRAY_TAU_S, 60.0)
                spray = -SPRAY_COOLING_C * share
            return env.ground(fr.t_s) + 2.0 + self.offset_c + daily + spray

        return fr.get(("tank-t", self.code), compute)

    def temperature(self, fr: Frame) -> np.ndarray:
        return self.temperature_normal(fr) + self.heating(fr)

    def inflow(self, fr: Frame) -> np.ndarray:
        return fr.get(("in", self.code), lambda: self.ops.inflow(fr.t_s))

    def arm_flow(self, arm: int, fr: Frame) -> np.ndarray:
        return fr.get(("arm", self.code, arm), lambda: self.ops.arm_flow(arm, fr.t_s))

    def outflow(self, fr: Frame) -> np.ndarray:
        return sum((self.arm_flow(a, fr) for a in range(len(self.arms))), np.zeros(fr.t_s.shape))

    def vapour(self, fr: Frame) -> np.ndarray:
        """Vapour released at the tank (1 = gasoline at 20 °C from a fixed roof, at rest)."""

        def compute() -> np.ndarray:
            fill = self.inflow(fr) / self.receipt_max
            empty = self.outflow(fr) / 100.0
            roof = FLOATING_ROOF_SHARE if self.floating else 1.0
            breathing = 1.0 + (0.4 if self.floating else 1.5) * fill + 0.3 * empty
            return self.volatility * roof * np.exp((self.temperature(fr) - 20.0) / 12.0) * breathing

        return fr.get(("vapour", self.code), compute)

    # --- transmitters -------------------------------------------------------------------------
    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind == s.LEVEL and tag is self.level_tag:
            return self.ops.level(fr.t_s)
        if tag.kind == s.TEMPERATURE:
            return self.temperature(fr)
        if tag.kind == s.COOLING_WATER_FLOW:
            return self.cw_flow(fr)
        if tag.kind == s.PRESSURE:
            return self.pressure(tag, fr)
        return super().value(tag, fr)

    def pressure(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        """Vapour-space pressure: up with the product temperature and the afternoon sun, up while
        the tank is filled (vapour pushed out through the breather), down while it is emptied."""
        env = self.plant.env
        fill = self.inflow(fr) / self.receipt_max
        empty = self.outflow(fr) / 100.0
        breathing = np.cos(2.0 * np.pi * (env.hour(fr.t_s) - 14.0) / 24.0)
        z = 0.04 * (self.temperature_normal(fr) - 20.0) + 0.25 * breathing + 0.4 * fill - 0.3 * empty
        lo, hi = window(tag)
        centre = 0.5 * (lo + hi)
        per_degree = ((tag.high - centre) if tag.high is not None else (hi - lo)) / 8.0
        return place(tag, z) + per_degree * self.heating(fr, delay_s=900.0)


class Machine(Model):
    """A pump or compressor with the motor that drives it (motor tags live on the motor)."""

    def __init__(self, plant: Plant, eq: s.Equipment) -> None:
        super().__init__(plant, eq)
        own = [t for t in plant.spec.tags_of(eq.code)]
        for motor in plant.upstream(eq.code, s.ENERGY):
            own += plant.spec.tags_of(motor)
        self.flow_tag = next((t for t in own if t.kind == s.FLOW), None)
        self.current_tag = next((t for t in own if t.kind == s.MOTOR_CURRENT), None)
        if self.flow_tag is not None:
            high = self.flow_tag.high
            self.rated = high / 1.2 if high is not None else 0.67 * self.flow_tag.range_high
        else:
            self.rated = float(eq.params.get("rated_flow", 600.0))
        cur = self.current_tag
        if cur is not None:
            self.rated_current = cur.high / 1.05 if cur.high is not None else 0.5 * cur.range_high
        else:
            self.rated_current = 100.0
        self.standby = eq.status == s.STANDBY
        self.stopped = eq.status in (s.MAINTENANCE, s.OUT_OF_SERVICE)

    def running(self, fr: Frame) -> np.ndarray:
        return np.full(fr.t_s.shape, 0.0 if self.stopped else 1.0)

    def load(self, fr: Frame) -> np.ndarray:
        """Flow as a share of the rated flow."""
        return fr.get(("load", self.code), lambda: self.flow(fr) / self.rated)

    def flow(self, fr: Frame) -> np.ndarray:
        return self.running(fr) * self.rated * (0.7 + 0.1 * noise.smooth(self.stream, fr.t_s, 3 * 3600.0))

    def wear(self, fr: Frame) -> np.ndarray:
        out = np.zeros(fr.t_s.shape)
        for f in fr.on(sc.BEARING_WEAR, self.code):
            out += sc.wear(fr.tau(f), f.duration_s, f.severity)
        return out

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        run = self.running(fr)
        phi = self.load(fr)
        w = self.wear(fr)
        if tag.kind in (s.FLOW, s.COOLING_WATER_FLOW) and tag is self.flow_tag:
            return self.flow(fr)
        if tag.kind == s.MOTOR_CURRENT:
            current = self.rated_current * (0.38 + 0.47 * phi + 0.06 * w)
            return run * current
        if tag.kind == s.VIBRATION:
            lo, hi = window(tag)
            centre = 0.5 * (lo + hi)
            rise = 1.4 * (tag.high - centre) if tag.high is not None else 4.0
            z = -0.3 + 0.5 * np.abs(phi - 0.75) + 0.25 * self.wander(tag, fr.t_s)
            idle = tag.range_low + 0.005 * tag.span * (1.0 + noise.smooth(self.stream, fr.t_s, 600.0))
            return np.where(run > 0, place(tag, z), idle) + rise * w
        if tag.kind == s.TEMPERATURE:
            env = self.plant.env
            heat = lag(lambda g: self.load(fr.at(g)) * self.running(fr.at(g)), fr.t_s, 900.0, 60.0)
            # Vibration leads, the bearing temperature follows (the P–F curve): at severity 1 the
            # temperature rises but stays below its H limit.
            rise = 0.7 * (max(tag.high - 45.0, 10.0) if tag.high is not None else 30.0)
            worn = lag(lambda g: self.wear(fr.at(g)), fr.t_s, 600.0, 60.0)
            # A bearing runs 12–30 °C above the air; less where the limit is set tighter.
            scale = float(np.clip((tag.high - 45.0) / 35.0, 0.3, 1.0)) if tag.high is not None else 1.0
            return env.ambient(fr.t_s) + scale * (12.0 + 20.0 * heat) + rise * worn
        if tag.kind == s.PRESSURE:
            suction: np.ndarray | float = 0.0
            for tank in self.plant.upstream(self.code, s.MATERIAL, s.STORAGE_TANK):
                model = self.plant.models[tank]
                assert isinstance(model, Tank)
                lo, hi = model.ops.lo, model.ops.hi
                suction = (model.ops.level(fr.t_s) - 0.5 * (lo + hi)) / (hi - lo)
            z = 0.6 - 1.2 * phi**2 + 0.3 * suction
            stopped = tag.range_low + 0.04 * tag.span
            return np.where(run > 0, place(tag, z), stopped)
        return super().value(tag, fr)


class Pump(Machine):
    def __init__(self, plant: Plant, eq: s.Equipment) -> None:
        super().__init__(plant, eq)
        self.tanks = plant.upstream(eq.code, s.MATERIAL, s.STORAGE_TANK)
        self.headers = plant.downstream(eq.code, s.UTILITY, s.PIPELINE)
        self.recirc = (
            1.35 * self.flow_tag.low if self.flow_tag is not None and self.flow_tag.low else 0.27 * self.rated
        )

    def running(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            if self.stopped:
                return np.zeros(fr.t_s.shape)
            if not self.standby:
                return np.ones(fr.t_s.shape)
            env = self.plant.env
            test = operations.standby_test(self.stream, env.day_index(fr.t_s), env.hour(fr.t_s))
            needed = np.zeros(fr.t_s.shape, dtype=bool)
            for header in self.headers:
                model = self.plant.models[header]
                assert isinstance(model, Pipeline)
                needed |= model.needs_standby(fr)
            return (test | needed).astype(np.float64)

        return fr.get(("run", self.code), compute)

    def flow(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            run = self.running(fr)
            if self.tanks:
                out = self.recirc * run
                for tank_code in self.tanks:
                    tank = self.plant.models[tank_code]
                    assert isinstance(tank, Tank)
                    for a, (pump, _arm) in enumerate(tank.arms):
                        if pump == self.code:
                            out = out + tank.arm_flow(a, fr)
                return out
            for header in self.headers:
                model = self.plant.models[header]
                assert isinstance(model, Pipeline)
                return run * model.demand(fr) / np.maximum(model.pumps_running(fr), 1.0)
            return super(Pump, self).flow(fr)

        return fr.get(("flow", self.code), compute)


class Electrolyser(Model):
    """Alkaline electrolyser following the park's daily demand (and its own solar supply)."""

    def load(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            hour = self.plant.env.hour(fr.t_s)
            daily = 0.2 * np.cos(2.0 * np.pi * (hour - 13.0) / 24.0)
            drift = 0.1 * noise.smooth(self.stream, fr.t_s, 6 * 3600.0)
            wobble = 0.05 * noise.smooth(self.stream ^ 0x11, fr.t_s, 40 * 60.0)
            return np.clip(0.55 + daily + drift + wobble, 0.2, 0.9)

        return fr.get(("lambda", self.code), compute)

    def production(self, fr: Frame) -> np.ndarray:
        flow = next((t for t in self.plant.spec.tags_of(self.code) if t.kind == s.FLOW), None)
        if flow is None:
            return 1000.0 * self.load(fr)
        return place(flow, 2.0 * self.load(fr) - 1.0)

    def heating(self, fr: Frame) -> np.ndarray:
        out = np.zeros(fr.t_s.shape)
        for f in fr.on(sc.COOLING_FAILURE, self.code):
            out += sc.heating(fr.tau(f), f.duration_s, f.severity, large=False)
        return out

    def cw_flow(self, fr: Frame) -> np.ndarray:
        def compute() -> np.ndarray:
            tag = next(
                (t for t in self.plant.spec.tags_of(self.code) if t.kind == s.COOLING_WATER_FLOW), None
            )
            if tag is None:
                return np.zeros(fr.t_s.shape)
            flow = place(tag, 2.0 * (self.load(fr) - 0.2) / 0.7 - 1.0)
            for f in fr.on(sc.COOLING_FAILURE, self.code):
                flow = flow * sc.cooling_flow_factor(fr.tau(f), f.duration_s, f.severity)
            return flow

        return fr.get(("cw", self.code), compute)

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        lam = self.load(fr)
        if tag.kind == s.FLOW:
            return self.production(fr)
        if tag.kind == s.COOLING_WATER_FLOW:
            return self.cw_flow(fr)
        if tag.kind == s.TEMPERATURE:
            z = 0.6 * (lam - 0.55) / 0.35 + 0.25 * self.wander(tag, fr.t_s)
            return place(tag, z) + self.heating(fr)
        if tag.kind == s.OXYGEN:  # oxygen in hydrogen: worse at low load
            return place(tag, 0.6 - 1.4 * (lam - 0.2) / 0.7 + 0.2 * self.wander(tag, fr.t_s))
        if tag.kind in (s.PRESSURE, s.LEVEL):
            return place(tag, 0.7 * self.wander(tag, fr.t_s, slow_s=3 * 3600.0))
        return super().value(tag, fr)


def chain_load(plant: Plant, code: str, fr: Frame) -> np.ndarray | None:
    """The load of the electrolyser upstream of ``code`` along material links, if any."""
    source = plant.source_electrolyser(code)
    if source is None:
        return None
    model = plant.models[source]
    assert isinstance(model, Electrolyser)
    return model.load(fr)


class Compressor(Machine):
    def flow(self, fr: Frame) -> np.ndarray:
        lam = chain_load(self.plant, self.code, fr)
        if lam is None:
            return super().flow(fr)
        return self.running(fr) * self.rated * (0.2 + lam)

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        clean = self.normal(tag, fr)
        for f in fr.on(sc.INTERLOCK_FAILURE, self.code):  # outlet blocked, the trip does not act
            pressure, current = sc.trip_tags(self.plant.spec, self.code)
            x = sc.blocked(fr.tau(f), f.duration_s)
            if pressure is not None and tag.code == pressure.code:
                clean = clean + (sc.blocked_pressure(tag, f.severity) - clean) * x
            elif current is not None and tag.code == current.code:
                clean = clean + sc.BLOCKED_CURRENT_SHARE * f.severity * self.rated_current * x
        return clean

    def normal(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        lam = chain_load(self.plant, self.code, fr)
        if lam is None:
            lam = np.full(fr.t_s.shape, 0.55)
        w = self.wear(fr)
        if tag.kind == s.PRESSURE:
            return place(tag, 0.5 * self.wander(tag, fr.t_s) + 0.3 * (lam - 0.55) / 0.35)
        if tag.kind == s.TEMPERATURE:
            ambient = self.plant.env.ambient(fr.t_s)
            z = 0.45 * (lam - 0.55) / 0.35 + 0.35 * (ambient - 15.0) / 17.5 + 0.1 * self.wander(tag, fr.t_s)
            lo, hi = window(tag)
            rise = 0.6 * (tag.high - 0.5 * (lo + hi)) if tag.high is not None else 10.0
            return place(tag, z) + rise * lag(lambda g: self.wear(fr.at(g)), fr.t_s, 600.0, 60.0)
        if tag.kind == s.MOTOR_CURRENT:
            lo, hi = window(tag)
            return place(tag, 0.85 * (2.0 * (lam - 0.2) / 0.7 - 1.0)) + 0.06 * self.rated_current * w
        if tag.kind == s.VIBRATION:
            lo, hi = window(tag)
            rise = 1.4 * (tag.high - 0.5 * (lo + hi)) if tag.high is not None else 4.0
            return place(tag, -0.2 + 0.2 * lam + 0.3 * self.wander(tag, fr.t_s)) + rise * w
        return super().value(tag, fr)


class Vessel(Model):
    """A buffer vessel between a compressor and its users: pressure breathes with the balance."""

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind == s.PRESSURE:
            lam = chain_load(self.plant, self.code, fr)
            lam = np.full(fr.t_s.shape, 0.55) if lam is None else lam
            z = 0.45 * noise.smooth(self.stream, fr.t_s, 45 * 60.0) + 0.35 * (lam - 0.55) / 0.35
            return place(tag, z + 0.2 * self.wander(tag, fr.t_s))
        return super().value(tag, fr)


class Pipeline(Model):
    """A header: the jetty line filling tanks, a cooling-water main, or a gas supply line."""

    def __init__(self, plant: Plant, eq: s.Equipment) -> None:
        super().__init__(plant, eq)
        self.tanks = plant.downstream(eq.code, s.MATERIAL, s.STORAGE_TANK)
        self.pumps = plant.upstream(eq.code, s.UTILITY, s.PUMP) + plant.upstream(eq.code, s.MATERIAL, s.PUMP)
        self.users = plant.downstream(eq.code, s.UTILITY)

    def demand(self, fr: Frame) -> np.ndarray:
        """Cooling water drawn from this main (m³/h)."""

        def compute() -> np.ndarray:
            rated = 600.0
            for p in self.pumps:
                model = self.plant.models[p]
                assert isinstance(model, Machine)
                rated = model.rated
            total = np.full(fr.t_s.shape, 0.5 * rated)  # users without their own meter
            for user in self.users:
                model = self.plant.models[user]
                metered = any(t.kind == s.COOLING_WATER_FLOW for t in self.plant.spec.tags_of(user))
                if metered and isinstance(model, Tank | Electrolyser):
                    total = total + model.cw_flow(fr)
                else:
                    total = total + 0.12 * rated
            return total

        return fr.get(("demand", self.code), compute)

    def needs_standby(self, fr: Frame) -> np.ndarray:
        duty = [p for p in self.pumps if self.plant.get(p).status == s.IN_SERVICE]
        if not duty:
            return np.ones(fr.t_s.shape, dtype=bool)
        model = self.plant.models[duty[0]]
        assert isinstance(model, Machine)
        return self.demand(fr) > 0.95 * model.rated * len(duty)

    def pumps_running(self, fr: Frame) -> np.ndarray:
        total = np.zeros(fr.t_s.shape)
        for p in self.pumps:
            model = self.plant.models[p]
            assert isinstance(model, Machine)
            total = total + model.running(fr)
        return total

    def flow(self, fr: Frame) -> np.ndarray:
        if self.tanks:
            total = np.zeros(fr.t_s.shape)
            for tank in self.tanks:
                model = self.plant.models[tank]
                assert isinstance(model, Tank)
                total = total + model.inflow(fr)
            return total
        if self.pumps:
            return self.demand(fr)
        source = self.plant.source_electrolyser(self.code)
        if source is not None:
            model = self.plant.models[source]
            assert isinstance(model, Electrolyser)
            return 0.985 * model.production(fr)
        return np.array([])

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind in (s.FLOW, s.COOLING_WATER_FLOW):
            flow = self.flow(fr)
            if flow.size:
                return flow
        if tag.kind == s.PRESSURE:
            if self.tanks:
                peak = max(self.plant.models[t].receipt_max for t in self.tanks)  # type: ignore[attr-defined]
                return place(tag, -0.8 + 1.5 * (self.flow(fr) / peak) ** 2)
            if self.pumps:
                running = np.maximum(self.pumps_running(fr), 1.0)
                share = self.demand(fr) / (running * 600.0)
                return place(tag, 0.3 - 1.2 * (share - 0.75) + 0.2 * self.wander(tag, fr.t_s))
        return super().value(tag, fr)


class LoadingArm(Model):
    def __init__(self, plant: Plant, eq: s.Equipment) -> None:
        super().__init__(plant, eq)
        self.source: tuple[Tank, int] | None = None

    def bind(self) -> None:
        for model in self.plant.models.values():
            if isinstance(model, Tank):
                for a, (_pump, arm) in enumerate(model.arms):
                    if arm == self.code:
                        self.source = (model, a)

    def flow(self, fr: Frame) -> np.ndarray:
        if self.source is None:
            return np.zeros(fr.t_s.shape)
        tank, arm = self.source
        return tank.arm_flow(arm, fr)

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        if tag.kind == s.FLOW:
            return self.flow(fr)
        return super().value(tag, fr)


class CoolingTower(Model):
    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        env = self.plant.env
        if tag.kind == s.TEMPERATURE:
            # Supply water: a wet-bulb approach, so about half the air's swing plus the tower's lift.
            return 0.55 * env.ambient(fr.t_s) + 10.5 + 1.2 * self.wander(tag, fr.t_s)
        if tag.kind == s.LEVEL:
            # The basin falls with evaporation and blowdown until the make-up valve refills it.
            period = 2.5 * 3600.0
            phase = ((fr.t_s + 977.0 * noise.uniform1(self.stream, 3)) % period) / period
            saw = np.where(phase < 0.93, 0.7 - 1.4 * phase / 0.93, -0.7 + 1.4 * (phase - 0.93) / 0.07)
            return place(tag, saw + 0.15 * self.wander(tag, fr.t_s))
        return super().value(tag, fr)


class Detector(Model):
    """A gas detector: what it reads comes from the plant's gas dispersion (``Plant.gas``)."""


MODELS: dict[str, type[Model]] = {
    s.WEATHER_STATION: Weather,
    s.BUILDING: Building,
    s.ELECTROLYZER: Electrolyser,
    s.PRESSURE_VESSEL: Vessel,
    s.PIPELINE: Pipeline,
    s.LOADING_ARM: LoadingArm,
    s.COOLING_TOWER: CoolingTower,
    s.GAS_DETECTOR: Detector,
    s.PUMP: Pump,
    s.COMPRESSOR: Compressor,
}
