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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from anquan.simulator import noise, operations
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.environment import DAY_S, Environment

Signal = Callable[[np.ndarray], np.ndarray]

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


def decimals(tag: s.Tag) -> int:
    """The transmitter's resolution: about five significant digits of its span."""
    return int(min(5, max(0, 4 - math.floor(math.log10(tag.span)))))


def window(tag: s.Tag) -> tuple[float, float]:
    """Where the normal value of ``tag`` lives: the process card's window, or well inside its
    alarm limits."""
    if tag.normal is not None:
        return tag.normal
    low, high = tag.low, tag.high
    if low is not None and high is not None:
        m = 0.2 * (high - low)
        return low + m, high - m
    if high is not None:
        w = high - tag.range_low
        return tag.range_low + 0.35 * w, high - 0.3 * w
    if low is not None:
        w = tag.range_high - low
        return low + 0.3 * w, tag.range_high - 0.4 * w
    return tag.range_low + 0.3 * tag.span, tag.range_low + 0.6 * tag.span


def place(tag: s.Tag, z: np.ndarray) -> np.ndarray:
    """Map ``z`` in [-1, 1] onto the tag's normal window (softly bounded)."""
    lo, hi = window(tag)
    return lo + (hi - lo) * 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=np.float64) * 0.9) / math.tanh(0.9))


def volatility(medium: str) -> float:
    m = medium.lower()
    for words, value in VOLATILITY:
        if any(w in m for w in words):
            return value
    return 0.3 if m.strip() and not sc.is_hydrogen(m) else 0.0


def lag(fn: Signal, t_s: np.ndarray, tau_s: float, grid_s: float) -> np.ndarray:
    """First-order lag of ``fn`` at ``t_s``: a truncated exponential filter on a grid anchored at
    multiples of ``grid_s``, so the result at an instant never depends on what else is asked."""
    k = math.ceil(6.0 * tau_s / grid_s)
    g0 = math.floor(float(np.min(t_s)) / grid_s) - k
    g1 = math.floor(float(np.max(t_s)) / grid_s) + 1
    grid = np.arange(g0, g1 + 1, dtype=np.float64) * grid_s
    a = math.exp(-grid_s / tau_s)
    w = a ** np.arange(k + 1)
    w /= w.sum()
    y = np.convolve(fn(grid), w)[k : len(grid)]
    return np.interp(t_s, grid[k:], y)


@dataclass
class Frame:
    """One evaluation: the instants asked for, the faults in play, and what was computed."""

    plant: Plant
    t_ms: np.ndarray
    faults: tuple[sc.Fault, ...]
    memo: dict[object, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.t_ms = np.asarray(self.t_ms, dtype=np.int64)
        self.t_s = self.t_ms / 1000.0

    def get(self, key: object, fn: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self.memo:
            self.memo[key] = fn()
        return self.memo[key]

    def at(self, t_s: np.ndarray) -> Frame:
        """A frame at other instants with the same faults (for lags evaluated on a grid)."""
        return Frame(self.plant, np.round(np.asarray(t_s) * 1000.0).astype(np.int64), self.faults)

    def on(self, scenario: str, equipment: str) -> list[sc.Fault]:
        return [f for f in self.faults if f.scenario == scenario and f.equipment == equipment]

    def tau(self, fault: sc.Fault) -> np.ndarray:
        return self.t_s - fault.start_ms / 1000.0


# --- Equipment models ---------------------------------------------------------------------------
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
            rise = 0.7 * ((tag.high - 45.0) if tag.high is not None else 30.0)
            worn = lag(lambda g: self.wear(fr.at(g)), fr.t_s, 600.0, 60.0)
            return env.ambient(fr.t_s) + 12.0 + 20.0 * heat + rise * worn
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


def _chain_load(plant: Plant, code: str, fr: Frame) -> np.ndarray | None:
    """The load of the electrolyser upstream of ``code`` along material links, if any."""
    source = plant.source_electrolyser(code)
    if source is None:
        return None
    model = plant.models[source]
    assert isinstance(model, Electrolyser)
    return model.load(fr)


class Compressor(Machine):
    def flow(self, fr: Frame) -> np.ndarray:
        lam = _chain_load(self.plant, self.code, fr)
        if lam is None:
            return super().flow(fr)
        return self.running(fr) * self.rated * (0.2 + lam)

    def value(self, tag: s.Tag, fr: Frame) -> np.ndarray:
        lam = _chain_load(self.plant, self.code, fr)
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
            lam = _chain_load(self.plant, self.code, fr)
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
    pass


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


# --- The plant ------------------------------------------------------------------------------------
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
            lam = _chain_load(self, code, fr)
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


def every(step_s: float, start_ms: int, end_ms: int) -> np.ndarray:
    """Instants on the grid of multiples of ``step_s`` from ``start_ms`` up to ``end_ms`` inclusive."""
    step = int(step_s * 1000)
    first = -(-start_ms // step) * step
    return np.arange(first, end_ms + 1, step, dtype=np.int64)


__all__ = ["DAY_S", "Frame", "Plant", "decimals", "every", "window"]
