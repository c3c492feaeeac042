from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class EquipmentType(models.TextChoices):
    STORAGE_TANK = "storage_tank", _("储罐")
    PRESSURE_VESSEL = "pressure_vessel", _("压力容器")
    PUMP = "pump", _("泵")
    COMPRESSOR = "compressor", _("压缩机")
    ELECTROLYZER = "electrolyzer", _("电解槽")
    HEAT_EXCHANGER = "heat_exchanger", _("换热器")
    COOLING_TOWER = "cooling_tower", _("冷却塔")
    PIPELINE = "pipeline", _("管道")
    VALVE = "valve", _("阀门")
    LOADING_ARM = "loading_arm", _("装车鹤管")
    GAS_DETECTOR = "gas_detector", _("气体探测器")
    WEATHER_STATION = "weather_station", _("气象站")
    BUILDING = "building", _("建筑物")
    OTHER = "other", _("其他")


class EquipmentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("在用")
    STANDBY = "standby", _("备用")
    MAINTENANCE = "maintenance", _("检修")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class MeasurementKind(models.TextChoices):
    """The twelve measurement kinds of PRODUCT.md (Plant model and monitoring)."""

    TEMPERATURE = "temperature", _("温度")
    PRESSURE = "pressure", _("压力")
    LEVEL = "level", _("液位")
    FLOW = "flow", _("流量")
    COMBUSTIBLE_GAS = "combustible_gas", _("可燃气体")
    TOXIC_GAS = "toxic_gas", _("有毒气体（H₂S）")
    OXYGEN = "oxygen", _("氧含量")
    HYDROGEN = "hydrogen", _("氢气浓度")
    VIBRATION = "vibration", _("振动")
    MOTOR_CURRENT = "motor_current", _("电机电流")
    COOLING_WATER_FLOW = "cooling_water_flow", _("冷却水流量")
    WIND_SPEED = "wind_speed", _("风速")


@dataclass(frozen=True)
class KindSpec:
    units: tuple[str, ...]  # accepted engineering units; the first is the usual one
    prefix: str  # ISA-5.1 style tag letters


KINDS: dict[str, KindSpec] = {
    MeasurementKind.TEMPERATURE: KindSpec(("°C", "K"), "TI"),
    MeasurementKind.PRESSURE: KindSpec(("kPa", "MPa", "bar"), "PI"),
    MeasurementKind.LEVEL: KindSpec(("m", "mm", "%"), "LI"),
    MeasurementKind.FLOW: KindSpec(("m³/h", "t/h", "Nm³/h", "L/min"), "FI"),
    MeasurementKind.COMBUSTIBLE_GAS: KindSpec(("%LEL",), "AI"),
    MeasurementKind.TOXIC_GAS: KindSpec(("ppm", "mg/m³"), "AI"),
    MeasurementKind.OXYGEN: KindSpec(("%vol",), "AI"),
    MeasurementKind.HYDROGEN: KindSpec(("%LEL", "ppm", "%vol"), "AI"),
    MeasurementKind.VIBRATION: KindSpec(("mm/s", "µm", "g"), "VI"),
    MeasurementKind.MOTOR_CURRENT: KindSpec(("A",), "II"),
    MeasurementKind.COOLING_WATER_FLOW: KindSpec(("m³/h", "t/h"), "FI"),
    MeasurementKind.WIND_SPEED: KindSpec(("m/s",), "SI"),
}


class AlarmPriority(models.TextChoices):
    """EEMUA 191 / ISA-18.2 priorities; the target mix is about 80/15/5 low/medium/high."""

    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class LimitLevel(models.TextChoices):
    HH = "hh", _("高高（HH）")
    H = "h", _("高（H）")
    L = "l", _("低（L）")
    LL = "ll", _("低低（LL）")


class LinkKind(models.TextChoices):
    MATERIAL = "material", _("物料")
    UTILITY = "utility", _("公用工程")
    ENERGY = "energy", _("能量")
    SIGNAL = "signal", _("信号/监测")
