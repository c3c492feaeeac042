"""What the simulator is told about a plant: equipment, sensor tags and the process topology.

Plain frozen dataclasses with no dependency on Django, so the engine runs anywhere (a benchmark, a
notebook, a training job). ``anquan.demo.simulate`` builds a ``PlantSpec`` from the database; the
strings below mirror ``anquan.plant.choices`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Equipment types (anquan.plant.choices.EquipmentType).
STORAGE_TANK = "storage_tank"
PRESSURE_VESSEL = "pressure_vessel"
PUMP = "pump"
COMPRESSOR = "compressor"
ELECTROLYZER = "electrolyzer"
HEAT_EXCHANGER = "heat_exchanger"
COOLING_TOWER = "cooling_tower"
PIPELINE = "pipeline"
VALVE = "valve"
LOADING_ARM = "loading_arm"
GAS_DETECTOR = "gas_detector"
WEATHER_STATION = "weather_station"
BUILDING = "building"
OTHER = "other"
EQUIPMENT_TYPES = (
    STORAGE_TANK, PRESSURE_VESSEL, PUMP, COMPRESSOR, ELECTROLYZER, HEAT_EXCHANGER, COOLING_TOWER,
    PIPELINE, VALVE, LOADING_ARM, GAS_DETECTOR, WEATHER_STATION, BUILDING, OTHER,
)  # fmt: skip

# Equipment status (anquan.plant.choices.EquipmentStatus).
IN_SERVICE = "in_service"
STANDBY = "standby"
MAINTENANCE = "maintenance"
OUT_OF_SERVICE = "out_of_service"

# Measurement kinds (anquan.plant.choices.MeasurementKind).
TEMPERATURE = "temperature"
PRESSURE = "pressure"
LEVEL = "level"
FLOW = "flow"
COMBUSTIBLE_GAS = "combustible_gas"
TOXIC_GAS = "toxic_gas"
OXYGEN = "oxygen"
HYDROGEN = "hydrogen"
VIBRATION = "vibration"
MOTOR_CURRENT = "motor_current"
COOLING_WATER_FLOW = "cooling_water_flow"
WIND_SPEED = "wind_speed"
KINDS = (
    TEMPERATURE, PRESSURE, LEVEL, FLOW, COMBUSTIBLE_GAS, TOXIC_GAS, OXYGEN, HYDROGEN, VIBRATION,
    MOTOR_CURRENT, COOLING_WATER_FLOW, WIND_SPEED,
)  # fmt: skip

# Process link kinds (anquan.plant.choices.LinkKind).
MATERIAL = "material"
UTILITY = "utility"
ENERGY = "energy"
SIGNAL = "signal"

LIMIT_LEVELS = ("ll", "l", "h", "hh")


@dataclass(frozen=True)
class Equipment:
    code: str
    type: str
    medium: str = ""
    x: float | None = None  # site-map position, metres
    y: float | None = None
    status: str = IN_SERVICE
    # Extra physical facts when known, e.g. {"diameter_m": 21.0} for a tank.
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def placed(self) -> bool:
        return self.x is not None and self.y is not None


@dataclass(frozen=True)
class Tag:
    code: str
    equipment: str
    kind: str
    unit: str
    range_low: float
    range_high: float
    sample_interval_s: int = 10
    ll: float | None = None
    l: float | None = None  # noqa: E741
    h: float | None = None
    hh: float | None = None
    # The normal operating window when the process card states one (e.g. a nitrogen blanket held
    # at 0.3–0.6 kPa); otherwise the engine places normal values well inside the alarm limits.
    normal: tuple[float, float] | None = None

    @property
    def span(self) -> float:
        return self.range_high - self.range_low

    def limits(self) -> dict[str, float]:
        """The configured limits by level (ll, l, h, hh)."""
        return {level: v for level in LIMIT_LEVELS if (v := getattr(self, level)) is not None}

    @property
    def high(self) -> float | None:
        """The lowest upper limit (H, or HH when there is no H)."""
        return self.h if self.h is not None else self.hh

    @property
    def low(self) -> float | None:
        """The highest lower limit (L, or LL when there is no L)."""
        return self.l if self.l is not None else self.ll


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    kind: str = MATERIAL
    medium: str = ""


@dataclass(frozen=True)
class PlantSpec:
    site: str
    equipment: tuple[Equipment, ...]
    tags: tuple[Tag, ...]
    links: tuple[Link, ...] = ()
    utc_offset_h: float = 8.0  # the site's local time (daily cycles, shifts, loading hours)

    def __post_init__(self) -> None:
        codes = [e.code for e in self.equipment]
        if len(set(codes)) != len(codes):
            raise ValueError("equipment codes must be unique")
        tags = [t.code for t in self.tags]
        if len(set(tags)) != len(tags):
            raise ValueError("tag codes must be unique")
        known = set(codes)
        for tag in self.tags:
            if tag.equipment not in known:
                raise ValueError(f"tag {tag.code} names unknown equipment {tag.equipment}")
            if not tag.range_low < tag.range_high:
                raise ValueError(f"tag {tag.code}: range_low must be below range_high")
            if tag.sample_interval_s <= 0:
                raise ValueError(f"tag {tag.code}: sample_interval_s must be positive")
        for link in self.links:
            if link.source not in known or link.target not in known:
                raise ValueError(f"link {link.source} -> {link.target} names unknown equipment")

    def get(self, code: str) -> Equipment:
        for eq in self.equipment:
            if eq.code == code:
                return eq
        raise KeyError(code)

    def tag(self, code: str) -> Tag:
        for tag in self.tags:
            if tag.code == code:
                return tag
        raise KeyError(code)

    def tags_of(self, equipment: str) -> tuple[Tag, ...]:
        return tuple(t for t in self.tags if t.equipment == equipment)
