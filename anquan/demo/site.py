"""The demo site as data: a hazardous-chemical storage park with a hydrogen unit.

安泉危化品储运有限公司 runs 滨海化工园区储运基地: a tank farm of four tanks in one fire dike
(gasoline, diesel, methanol, toluene), a pump house, a truck loading bay, an alkaline-electrolysis
hydrogen unit, the utilities (circulating cooling water, a weather station) and a control room.
``anquan load-demo`` builds it through the services (``anquan.demo.loader``); later issues (the
simulator) read the same structures, e.g. ``TANKS`` for the dike detectors that sit near each tank.

The site map is a plan of 400 × 300 m, coordinates in metres from its top-left corner. Every
alarm limit names where its number comes from: a standard, or the enterprise's own process card
(工艺卡片) or maintenance rules where no standard sets one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from anquan.org.choices import Role
from anquan.plant.choices import AlarmPriority, EquipmentStatus, EquipmentType, LinkKind, MeasurementKind

# Shared by every demo login. It must pass Django's password validators for every demo user
# (a password too similar to "…@anquan-demo.cn" would not).
DEMO_PASSWORD = "Safety@2026"
EHS_DIRECTOR = "liuzhiqiang"  # approves the demo's AI early-warning models

ENTERPRISE: dict[str, str] = {
    "code": "anquan-demo",
    "name": "安泉危化品储运有限公司",
    "credit_code": "91320922MA1X7KQ25P",  # a made-up code with a valid GB 32100-2015 check character
    "industry": "危险化学品仓储",
}
SITE: dict[str, Any] = {
    "code": "binhai",
    "name": "滨海化工园区储运基地",
    "address": "江苏省盐城市滨海县沿海工业园区纬三路 18 号（演示地址）",
    "latitude": Decimal("34.262300"),
    "longitude": Decimal("120.271500"),
    "map_width_m": 400,
    "map_height_m": 300,
}
EMAIL_DOMAIN = "anquan-demo.cn"

Point = tuple[float, float]


def _rect(x0: float, y0: float, x1: float, y1: float) -> tuple[Point, ...]:
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


# --- Areas and process units -----------------------------------------------------------------
@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    description: str
    polygon: tuple[Point, ...]


AREAS: tuple[AreaSpec, ...] = (
    AreaSpec(
        "tank-farm",
        "储罐区",
        "甲B、乙类液体储罐区：4 座储罐共用一道防火堤，西侧接码头/管道来料总管。",
        ((20, 20), (200, 20), (200, 150), (20, 150)),
    ),
    AreaSpec("pump-house", "泵房", "储罐区至装车站的输转泵组及其防爆电机。", _rect(210, 20, 270, 90)),
    AreaSpec(
        "loading-bay",
        "装车站",
        "汽车装车站：汽油底部装车（带油气回收），其余顶部密闭装车。",
        _rect(280, 20, 390, 110),
    ),
    AreaSpec(
        "hydrogen",
        "氢气单元",
        "碱性水电解制氢、氢气压缩、缓冲储存及外供。",
        ((20, 170), (160, 170), (160, 280), (20, 280)),
    ),
    AreaSpec(
        "utilities",
        "公用工程",
        "循环冷却水系统（冷却塔、循环水泵、供水总管）和气象站。",
        _rect(170, 170, 290, 280),
    ),
    AreaSpec("control-room", "中控室", "抗爆中控室及机柜间，DCS/GDS 操作站所在。", _rect(300, 180, 390, 280)),
)

# The fire dike (防火堤) inside the tank farm; the inlet header runs outside it, along the west edge.
DIKE_POLYGON: tuple[Point, ...] = _rect(30, 28, 190, 142)


@dataclass(frozen=True)
class UnitSpec:
    area: str
    code: str
    name: str
    description: str = ""


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec("tank-farm", "oil", "成品油储存单元", "汽油罐 T-101、柴油罐 T-102 及码头来料总管"),
    UnitSpec("tank-farm", "chem", "化学品储存单元", "甲醇罐 T-103、甲苯罐 T-104"),
    UnitSpec("pump-house", "transfer", "输转泵组", "P-201～P-204 及其电机"),
    UnitSpec("loading-bay", "truck-loading", "汽车装车单元", "鹤管 LA-301～LA-304"),
    UnitSpec("hydrogen", "electrolysis", "电解制氢单元", "碱性电解槽、气液分离及碱液冷却"),
    UnitSpec("hydrogen", "compression", "氢气压缩与外供单元", "压缩机、缓冲罐、法兰阀组、外供管线"),
    UnitSpec("utilities", "cooling-water", "循环冷却水单元", "冷却塔、循环水泵、供水总管"),
    UnitSpec("control-room", "hvac", "中控室暖通与环境监测", "新风口气体检测、机柜间温度"),
)


# --- Teams and people ------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamSpec:
    area: str
    code: str
    name: str
    shift: str


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("tank-farm", "tank-1", "罐区运行一班", "甲班（四班两倒）"),
    TeamSpec("tank-farm", "tank-2", "罐区运行二班", "乙班（四班两倒）"),
    TeamSpec("hydrogen", "h2", "氢气单元班", "四班两倒"),
    TeamSpec("loading-bay", "loading", "装卸班", "常白班 08:00–17:00"),
    TeamSpec("pump-house", "maint", "维修班", "常白班 08:00–17:00（夜间值守）"),
)


@dataclass(frozen=True)
class PersonSpec:
    """A demo user. A scope is "enterprise", "site", "area:<code>" or "team:<code>"."""

    username: str
    name: str
    employee_no: str
    phone: str
    roles: tuple[tuple[str, str], ...]
    team: str | None = None
    company: str = ""
    title: str = ""  # the job, for the reader of this file

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"


HUAAN = "江苏华安石化工程有限公司"
HENGXIN = "南通恒信防腐保温工程有限公司"

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("admin", "周建国", "AQ0001", "13805150001", ((Role.ADMINISTRATOR, "site"),), title="信息化主管"),
    PersonSpec("liuzhiqiang", "刘志强", "AQ0002", "13805150002", ((Role.EHS_DIRECTOR, "enterprise"),), title="EHS 总监"),
    PersonSpec(
        "chenhaitao", "陈海涛", "AQ0101", "13805150101",
        ((Role.AREA_MANAGER, "area:tank-farm"), (Role.AREA_MANAGER, "area:pump-house"),
         (Role.AREA_MANAGER, "area:loading-bay")),
        title="储运部经理",
    ),
    PersonSpec(
        "yanglihua", "杨丽华", "AQ0102", "13805150102",
        ((Role.AREA_MANAGER, "area:hydrogen"), (Role.AREA_MANAGER, "area:utilities"),
         (Role.AREA_MANAGER, "area:control-room")),
        title="生产技术部经理",
    ),
    PersonSpec("sunxiaodong", "孙晓东", "AQ0201", "13805150201", ((Role.SAFETY_OFFICER, "site"),), title="注册安全工程师"),
    PersonSpec("wulei", "吴磊", "AQ0301", "13805150301", ((Role.OPERATOR, "site"),), title="中控主操"),
    PersonSpec("zhengxue", "郑雪", "AQ0302", "13805150302", ((Role.OPERATOR, "site"),), title="中控副操"),
    PersonSpec("huangzhenhua", "黄振华", "AQ0401", "13805150401", ((Role.EXPERT_REVIEWER, "site"),), title="工艺专家"),
    PersonSpec("maqiang", "马强", "CB0101", "13951870101", ((Role.CONTRACTOR, "site"),), company=HUAAN, title="检维修项目经理"),
    PersonSpec("huyong", "胡勇", "CB0201", "13951870201", ((Role.CONTRACTOR, "site"),), company=HENGXIN, title="防腐保温施工队长"),
    PersonSpec("wangjianjun", "王建军", "AQ1001", "13805151001", ((Role.TEAM_LEADER, "team:tank-1"),), team="tank-1"),
    PersonSpec("lichunsheng", "李春生", "AQ1002", "13805151002", ((Role.TEAM_LEADER, "team:tank-2"),), team="tank-2"),
    PersonSpec("zhangwei", "张伟", "AQ1003", "13805151003", ((Role.TEAM_LEADER, "team:h2"),), team="h2"),
    PersonSpec("xuguoqing", "徐国庆", "AQ1004", "13805151004", ((Role.TEAM_LEADER, "team:loading"),), team="loading"),
    PersonSpec("gaoyonggang", "高永刚", "AQ1005", "13805151005", ((Role.TEAM_LEADER, "team:maint"),), team="maint"),
    PersonSpec("lintao", "林涛", "AQ1101", "13805151101", ((Role.WORKER, "team:tank-1"),), team="tank-1", title="罐区操作工"),
    PersonSpec("luobin", "罗斌", "AQ1102", "13805151102", ((Role.WORKER, "team:tank-1"),), team="tank-1", title="罐区操作工"),
    PersonSpec("liangchao", "梁超", "AQ1201", "13805151201", ((Role.WORKER, "team:tank-2"),), team="tank-2", title="罐区操作工"),
    PersonSpec("songjia", "宋佳", "AQ1202", "13805151202", ((Role.WORKER, "team:tank-2"),), team="tank-2", title="罐区操作工"),
    PersonSpec("tangliang", "唐亮", "AQ1301", "13805151301", ((Role.WORKER, "team:h2"),), team="h2", title="制氢操作工"),
    PersonSpec("hanbing", "韩冰", "AQ1302", "13805151302", ((Role.WORKER, "team:h2"),), team="h2", title="制氢操作工"),
    PersonSpec("fenggang", "冯刚", "AQ1401", "13805151401", ((Role.WORKER, "team:loading"),), team="loading", title="装车工"),
    PersonSpec("dongpeng", "董鹏", "AQ1402", "13805151402", ((Role.WORKER, "team:loading"),), team="loading", title="装车工"),
    PersonSpec("caoyu", "曹宇", "AQ1501", "13805151501", ((Role.WORKER, "team:maint"),), team="maint", title="钳工"),
    PersonSpec("pengfei", "彭飞", "AQ1502", "13805151502", ((Role.WORKER, "team:maint"),), team="maint", title="仪表工"),
)  # fmt: skip


# --- Equipment -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EquipmentSpec:
    area: str
    unit: str | None
    code: str
    name: str
    type: str
    model: str
    manufacturer: str
    install_date: dt.date
    responsible: str  # a username from PEOPLE
    medium: str
    x: float
    y: float
    status: str = EquipmentStatus.IN_SERVICE
    description: str = ""


@dataclass(frozen=True)
class TankSpec:
    """What a simulator needs to know about a storage tank beyond its equipment row."""

    code: str
    product: str
    roof: str  # "internal_floating" (内浮顶) | "fixed" (拱顶)
    capacity_m3: int
    diameter_m: Decimal
    height_m: Decimal
    # Tags of the dike gas detectors near this tank (within ~45 m, on the tank's side of the dike).
    dike_sensors: tuple[str, ...]


TANKS: tuple[TankSpec, ...] = (
    TankSpec("T-101", "汽油", "internal_floating", 5000, Decimal("21.0"), Decimal("15.8"), ("AI-105", "AI-109")),
    TankSpec("T-102", "柴油", "fixed", 5000, Decimal("21.0"), Decimal("15.8"), ("AI-106", "AI-109", "AI-111")),
    TankSpec("T-103", "甲醇", "fixed", 3000, Decimal("17.0"), Decimal("14.3"), ("AI-107", "AI-110")),
    TankSpec("T-104", "甲苯", "internal_floating", 3000, Decimal("17.0"), Decimal("14.3"), ("AI-108", "AI-110", "AI-111")),
)  # fmt: skip

TANK_BUILDER = "中国石化集团第十建设有限公司"
GAS_DETECTOR_MAKER = "汉威科技集团股份有限公司"
EXPLOSION_PROOF_MOTOR = "卧龙电气南阳防爆集团股份有限公司"
CATALYTIC = "GTYQ-BS03 点型可燃气体探测器（催化燃烧式，Ex d IIC T6）"
H2S_DETECTOR = "GQ-BS03 点型有毒气体探测器（电化学式，H₂S）"
H2_DETECTOR = "GTYQ-BS03H 点型氢气探测器（催化燃烧式，Ex d IIC T1）"
O2_DETECTOR = "GQ-BS03 点型氧气探测器（电化学式）"

E = EquipmentType
EQUIPMENT: tuple[EquipmentSpec, ...] = (
    # Tank farm: four tanks in one fire dike, the inlet header from the jetty/pipeline, dike detectors.
    EquipmentSpec("tank-farm", "oil", "T-101", "1号汽油储罐", E.STORAGE_TANK, "内浮顶罐 5000 m³（Φ21.0 m × 15.8 m）",
                  TANK_BUILDER, dt.date(2019, 6, 18), "wangjianjun", "汽油", 65, 58),
    EquipmentSpec("tank-farm", "oil", "T-102", "2号柴油储罐", E.STORAGE_TANK, "拱顶罐（固定顶）5000 m³（Φ21.0 m × 15.8 m）",
                  TANK_BUILDER, dt.date(2019, 6, 18), "wangjianjun", "柴油", 145, 58),
    EquipmentSpec("tank-farm", "chem", "T-103", "3号甲醇储罐", E.STORAGE_TANK, "拱顶罐（固定顶，氮封）3000 m³（Φ17.0 m × 14.3 m）",
                  TANK_BUILDER, dt.date(2020, 4, 9), "lichunsheng", "甲醇", 65, 112),
    EquipmentSpec("tank-farm", "chem", "T-104", "4号甲苯储罐", E.STORAGE_TANK, "内浮顶罐 3000 m³（Φ17.0 m × 14.3 m）",
                  TANK_BUILDER, dt.date(2020, 4, 9), "lichunsheng", "甲苯", 145, 112),
    EquipmentSpec("tank-farm", "oil", "PL-100", "码头/管道来料总管", E.PIPELINE, "DN300 PN16 20# 无缝钢管",
                  TANK_BUILDER, dt.date(2019, 5, 30), "wangjianjun", "汽油、柴油、甲醇、甲苯", 25, 85),
    EquipmentSpec("tank-farm", "oil", "GD-105", "T-101 罐根可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "汽油蒸气", 78, 70),
    EquipmentSpec("tank-farm", "oil", "GD-106", "T-102 罐根可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "柴油蒸气", 158, 70),
    EquipmentSpec("tank-farm", "chem", "GD-107", "T-103 罐根可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "甲醇蒸气", 78, 100),
    EquipmentSpec("tank-farm", "chem", "GD-108", "T-104 罐根可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "甲苯蒸气", 158, 100),
    EquipmentSpec("tank-farm", "oil", "GD-109", "防火堤北侧低点可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "油品蒸气", 105, 45,
                  description="位于 T-101 与 T-102 之间的堤内低点，监测 T-101、T-102。"),
    EquipmentSpec("tank-farm", "chem", "GD-110", "防火堤南侧低点可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "化学品蒸气", 105, 125,
                  description="位于 T-103 与 T-104 之间的堤内低点，监测 T-103、T-104。"),
    EquipmentSpec("tank-farm", "oil", "GD-111", "防火堤排水井硫化氢探测器", E.GAS_DETECTOR, H2S_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "硫化氢", 125, 80,
                  description="堤内含油污水排水井旁，监测 T-102、T-104 一侧。"),
    # Pump house: one transfer pump per product, each driven by an explosion-proof motor.
    EquipmentSpec("pump-house", "transfer", "P-201", "汽油输转泵", E.PUMP, "OH2 100-315 单级离心泵（API 610），200 m³/h，80 m",
                  "大连深蓝泵业有限公司", dt.date(2019, 7, 2), "gaoyonggang", "汽油", 220, 40),
    EquipmentSpec("pump-house", "transfer", "P-202", "柴油输转泵", E.PUMP, "OH2 100-315 单级离心泵（API 610），200 m³/h，80 m",
                  "大连深蓝泵业有限公司", dt.date(2019, 7, 2), "gaoyonggang", "柴油", 233, 40),
    EquipmentSpec("pump-house", "transfer", "P-203", "甲醇输转泵", E.PUMP, "OH2 80-250 单级离心泵（API 610），150 m³/h，70 m",
                  "大连深蓝泵业有限公司", dt.date(2020, 5, 12), "gaoyonggang", "甲醇", 246, 40),
    EquipmentSpec("pump-house", "transfer", "P-204", "甲苯输转泵", E.PUMP, "OH2 80-250 单级离心泵（API 610），150 m³/h，70 m",
                  "大连深蓝泵业有限公司", dt.date(2020, 5, 12), "gaoyonggang", "甲苯", 259, 40),
    EquipmentSpec("pump-house", "transfer", "M-201", "汽油输转泵电机", E.OTHER, "YBX3-250M-2 隔爆型电机 55 kW，额定电流 101 A",
                  EXPLOSION_PROOF_MOTOR, dt.date(2019, 7, 2), "caoyu", "", 220, 50),
    EquipmentSpec("pump-house", "transfer", "M-202", "柴油输转泵电机", E.OTHER, "YBX3-280S-2 隔爆型电机 75 kW，额定电流 134 A",
                  EXPLOSION_PROOF_MOTOR, dt.date(2019, 7, 2), "caoyu", "", 233, 50),
    EquipmentSpec("pump-house", "transfer", "M-203", "甲醇输转泵电机", E.OTHER, "YBX3-225M-2 隔爆型电机 45 kW，额定电流 82 A",
                  EXPLOSION_PROOF_MOTOR, dt.date(2020, 5, 12), "caoyu", "", 246, 50),
    EquipmentSpec("pump-house", "transfer", "M-204", "甲苯输转泵电机", E.OTHER, "YBX3-225M-2 隔爆型电机 45 kW，额定电流 82 A",
                  EXPLOSION_PROOF_MOTOR, dt.date(2020, 5, 12), "caoyu", "", 259, 50),
    EquipmentSpec("pump-house", "transfer", "GD-205", "泵房可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "油品蒸气", 240, 68),
    EquipmentSpec("pump-house", "transfer", "GD-206", "泵房地坑硫化氢探测器", E.GAS_DETECTOR, H2S_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "硫化氢", 225, 75),
    # Loading bay: gasoline is bottom-loaded with vapour recovery (GB 20950-2020), the rest top-loaded.
    EquipmentSpec("loading-bay", "truck-loading", "LA-301", "汽油装车鹤管", E.LOADING_ARM, "AL2543 底部装车鹤管 DN100（带油气回收）",
                  "连云港远洋流体装卸设备有限公司", dt.date(2021, 3, 15), "xuguoqing", "汽油", 300, 50),
    EquipmentSpec("loading-bay", "truck-loading", "LA-302", "柴油装车鹤管", E.LOADING_ARM, "AL1412 顶部装车鹤管 DN100",
                  "连云港远洋流体装卸设备有限公司", dt.date(2019, 8, 20), "xuguoqing", "柴油", 325, 50),
    EquipmentSpec("loading-bay", "truck-loading", "LA-303", "甲醇装车鹤管", E.LOADING_ARM, "AL1503 密闭顶部装车鹤管 DN80",
                  "江苏长隆石化装备有限公司", dt.date(2020, 6, 8), "xuguoqing", "甲醇", 350, 50),
    EquipmentSpec("loading-bay", "truck-loading", "LA-304", "甲苯装车鹤管", E.LOADING_ARM, "AL1503 密闭顶部装车鹤管 DN80",
                  "江苏长隆石化装备有限公司", dt.date(2020, 6, 8), "xuguoqing", "甲苯", 375, 50),
    EquipmentSpec("loading-bay", "truck-loading", "GD-305", "装车站西侧可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "油品蒸气", 312, 75),
    EquipmentSpec("loading-bay", "truck-loading", "GD-306", "装车站东侧可燃气体探测器", E.GAS_DETECTOR, CATALYTIC,
                  GAS_DETECTOR_MAKER, dt.date(2022, 9, 1), "pengfei", "化学品蒸气", 362, 75),
    # Hydrogen unit: electrolyser -> compressor -> buffer tank -> flange/valve group -> supply line.
    EquipmentSpec("hydrogen", "electrolysis", "EL-401", "碱性水电解槽", E.ELECTROLYZER, "ALK-1000 加压碱性电解槽，1000 Nm³/h，1.6 MPa",
                  "中船（邯郸）派瑞氢能科技有限公司", dt.date(2023, 10, 26), "zhangwei", "氢气、氧气、30% KOH 溶液", 50, 200),
    EquipmentSpec("hydrogen", "compression", "C-402", "氢气压缩机", E.COMPRESSOR, "2D12-17/15-40 对称平衡往复式压缩机，6 kV 250 kW，额定电流 29 A",
                  "沈阳远大压缩机有限公司", dt.date(2023, 10, 26), "zhangwei", "氢气", 95, 200),
    EquipmentSpec("hydrogen", "compression", "V-403", "氢气缓冲罐", E.PRESSURE_VESSEL, "立式 20 m³，设计压力 4.4 MPa（Q345R）",
                  "兰州兰石重型装备股份有限公司", dt.date(2023, 9, 14), "zhangwei", "氢气", 135, 200),
    EquipmentSpec("hydrogen", "compression", "FV-404", "氢气外供法兰阀组", E.VALVE, "J41Y-40P DN100 截止阀组（含调压阀、法兰 12 对）",
                  "苏州纽威阀门股份有限公司", dt.date(2023, 9, 14), "tangliang", "氢气", 135, 235),
    EquipmentSpec("hydrogen", "compression", "PL-405", "氢气外供管线", E.PIPELINE, "DN100 PN40 316L 无缝钢管，至园区用户",
                  "中国化学工程第十四建设有限公司", dt.date(2023, 9, 30), "tangliang", "氢气", 150, 262),
    EquipmentSpec("hydrogen", "compression", "GD-406", "法兰阀组氢气探测器", E.GAS_DETECTOR, H2_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2023, 10, 10), "pengfei", "氢气", 128, 242),
    EquipmentSpec("hydrogen", "compression", "GD-407", "压缩机厂房顶部氢气探测器", E.GAS_DETECTOR, H2_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2023, 10, 10), "pengfei", "氢气", 95, 215),
    EquipmentSpec("hydrogen", "electrolysis", "GD-408", "电解厂房顶部氢气探测器", E.GAS_DETECTOR, H2_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2023, 10, 10), "pengfei", "氢气", 50, 215),
    EquipmentSpec("hydrogen", "electrolysis", "GD-409", "电解厂房氧含量探测器", E.GAS_DETECTOR, O2_DETECTOR,
                  GAS_DETECTOR_MAKER, dt.date(2023, 10, 10), "pengfei", "氧气", 38, 230,
                  description="靠近氧气放空口，监测富氧与缺氧。"),
    # Utilities: circulating cooling water (also feeds the tanks' spray rings) and the weather station.
    EquipmentSpec("utilities", "cooling-water", "CT-501", "循环水冷却塔", E.COOLING_TOWER, "LFN-800 逆流式玻璃钢冷却塔，800 m³/h",
                  "江苏海鸥冷却塔股份有限公司", dt.date(2019, 5, 20), "gaoyonggang", "循环冷却水", 200, 200),
    EquipmentSpec("utilities", "cooling-water", "P-502", "1号循环水泵", E.PUMP, "KQSN300-M6 中开双吸泵，600 m³/h，45 m，110 kW，额定电流 205 A",
                  "上海凯泉泵业（集团）有限公司", dt.date(2019, 5, 20), "caoyu", "循环冷却水", 235, 200),
    EquipmentSpec("utilities", "cooling-water", "P-503", "2号循环水泵（备用）", E.PUMP, "KQSN300-M6 中开双吸泵，600 m³/h，45 m，110 kW，额定电流 205 A",
                  "上海凯泉泵业（集团）有限公司", dt.date(2019, 5, 20), "caoyu", "循环冷却水", 235, 218,
                  status=EquipmentStatus.STANDBY),
    EquipmentSpec("utilities", "cooling-water", "PL-504", "循环冷却水供水总管", E.PIPELINE, "DN400 Q235B 螺旋焊管",
                  "中国化学工程第十四建设有限公司", dt.date(2019, 5, 20), "gaoyonggang", "循环冷却水", 262, 205),
    EquipmentSpec("utilities", None, "WS-505", "自动气象站", E.WEATHER_STATION, "DZZ5 自动气象站（风速、风向、温湿度）",
                  "华云升达（北京）气象科技有限责任公司", dt.date(2021, 4, 2), "pengfei", "", 275, 265),
    # Control room: a blast-resistant building; its HVAC intake is watched for gas.
    EquipmentSpec("control-room", "hvac", "B-601", "中控室", E.BUILDING, "抗爆结构单层建筑 860 m²（含机柜间）",
                  "中国五环工程有限公司（设计）", dt.date(2019, 4, 28), "wulei", "", 345, 230),
)  # fmt: skip


# --- Sensor tags -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TagSpec:
    equipment: str
    tag: str
    name: str
    kind: str
    unit: str
    range_low: Decimal
    range_high: Decimal
    sample_interval_s: int
    ll: Decimal | None = None
    l: Decimal | None = None  # noqa: E741
    h: Decimal | None = None
    hh: Decimal | None = None
    # Priority follows the consequence and the time to respond (EEMUA 191), not the limit's level:
    # most process limits are low; the tags that guard against a loss of containment say medium
    # or high. Across the site this gives about 72/18/11 % low/medium/high — more high than the
    # 80/15/5 target because every gas detector's second alarm is high (GB/T 50493-2019 practice).
    ll_priority: str = AlarmPriority.LOW
    l_priority: str = AlarmPriority.LOW
    h_priority: str = AlarmPriority.LOW
    hh_priority: str = AlarmPriority.LOW
    description: str = ""

    def fields(self) -> dict[str, object]:
        """The keyword arguments of ``anquan.plant.services.create_tag``."""
        return {
            "tag": self.tag, "name": self.name, "kind": self.kind, "unit": self.unit,
            "range_low": self.range_low, "range_high": self.range_high,
            "sample_interval_s": self.sample_interval_s,
            "ll": self.ll, "l": self.l, "h": self.h, "hh": self.hh,
            "ll_priority": self.ll_priority, "l_priority": self.l_priority,
            "h_priority": self.h_priority, "hh_priority": self.hh_priority,
            "description": self.description,
        }  # fmt: skip


def _d(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _t(
    equipment: str,
    tag: str,
    name: str,
    kind: str,
    unit: str,
    span: tuple[str | int, str | int],
    every: int,
    *,
    ll: str | int | None = None,
    l: str | int | None = None,  # noqa: E741
    h: str | int | None = None,
    hh: str | int | None = None,
    p: Mapping[str, str] | None = None,
    note: str = "",
) -> TagSpec:
    priorities = {f"{level}_priority": value for level, value in (p or {}).items()}
    return TagSpec(
        equipment, tag, name, kind, unit, Decimal(str(span[0])), Decimal(str(span[1])), every,
        ll=_d(ll), l=_d(l), h=_d(h), hh=_d(hh), description=note, **priorities,
    )  # fmt: skip


K = MeasurementKind
LOW, MEDIUM, HIGH = AlarmPriority.LOW, AlarmPriority.MEDIUM, AlarmPriority.HIGH

# Gas detector set points. GB/T 50493-2019 §5.5.2: combustible first alarm ≤ 25 %LEL, second
# ≤ 50 %LEL; toxic first alarm ≤ 100 % of the occupational exposure limit, second ≤ 200 %;
# ambient oxygen deficiency 19.5 %vol, enrichment 23.5 %vol.
GAS_FIRST, GAS_SECOND = "25", "50"  # %LEL, GB/T 50493-2019 §5.5.2
GAS_PRIORITIES = {"h": MEDIUM, "hh": HIGH}  # first alarm medium, second alarm high
# H₂S 10 / 20 ppm: the set points common in Chinese refineries and storage parks. GB/T 50493-2019
# §5.5.2 asks first ≤ 100 % and second ≤ 200 % of the OEL; GBZ 2.1-2019 gives H₂S MAC 10 mg/m³
# (≈ 7 ppm), so a stricter site would set 7 / 14 ppm.
H2S_FIRST, H2S_SECOND = "10", "20"  # ppm
O2_LOW, O2_HIGH = "19.5", "23.5"  # %vol, GB/T 50493-2019 §5.5.2 (欠氧 / 过氧)
O2_PRIORITIES = {"l": MEDIUM, "h": MEDIUM}
# Rotating machines: ISO 10816-3 (now ISO 20816-3) group 2 (15–300 kW), velocity r.m.s.
VIB_FLEXIBLE = ("4.5", "7.1")  # mm/s, zone B/C and C/D boundaries, flexible support
VIB_RIGID = ("2.8", "4.5")  # mm/s, zone B/C and C/D boundaries, rigid support
# Wind: GB/T 28591-2012 Beaufort force 5 starts at 8.0 m/s, force 7 at 13.9 m/s;
# GB 30871-2022 stops outdoor hot work and work at height at force 5 and above.
WIND_FORCE_5, WIND_FORCE_7 = "8.0", "13.9"


def _level_limits(height: Decimal) -> tuple[str, str]:
    """Tank high / high-high level at 85 % / 90 % of the shell height (enterprise practice for the
    SH/T 3007-2014 high and high-high level alarms; HH trips the inlet valve)."""
    return str((height * Decimal("0.85")).quantize(Decimal("0.1"))), str(
        (height * Decimal("0.90")).quantize(Decimal("0.1"))
    )


def _tank_tags() -> list[TagSpec]:
    out: list[TagSpec] = []
    # Spray-ring design flow: wall area × 2.5 L/(min·m²) for fixed roofs, 2.0 for floating roofs
    # (fixed cooling-water intensity, GB 50160-2008 and GB 50074-2014); zero until spray cooling
    # is switched on.
    spray = {"T-101": 125, "T-102": 156, "T-103": 115, "T-104": 92}
    # Storage temperature H/HH (enterprise process card, below each product's flash/boiling margin).
    temperature = {"T-101": ("38", "45"), "T-102": ("50", "60"), "T-103": ("40", "50"), "T-104": ("40", "50")}
    for n, tank in enumerate(TANKS, start=1):
        h, hh = _level_limits(tank.height_m)
        if tank.roof == "internal_floating":
            # Low level above the floating roof's landing height (legs ~1.8 m): a landed roof
            # leaves a vapour space under it.
            ll, low = "1.9", "2.2"
        else:
            ll, low = "0.6", "1.0"  # pump suction nozzle submergence (enterprise process card)
        top = "16" if tank.height_m > 15 else "15"
        th, thh = temperature[tank.code]
        out += [
            _t(tank.code, f"TI-10{n}", f"{tank.code} {tank.product}温度", K.TEMPERATURE, "°C", ("-20", "80"), 30,
               h=th, hh=thh),
            _t(tank.code, f"LI-10{n}", f"{tank.code} 液位（雷达）", K.LEVEL, "m", ("0", top), 10,
               ll=ll, l=low, h=h, hh=hh, p={"ll": MEDIUM, "hh": HIGH},  # HH: overfill (SIS trip)
               note=f"罐壁高度 {tank.height_m} m；H/HH 为罐壁高度的 85%/90%。"),
            _t(tank.code, f"FI-10{n}", f"{tank.code} 喷淋冷却水流量", K.COOLING_WATER_FLOW, "m³/h", ("0", "200"), 10,
               note=f"罐壁喷淋环管，设计流量 {spray[tank.code]} m³/h；平时为 0，夏季喷淋降温或消防冷却时投用。"),
        ]  # fmt: skip
    # Fixed-roof tanks carry a vapour-space pressure transmitter (breather valve +1.8 / −0.3 kPa).
    out += [
        _t("T-102", "PI-102", "T-102 气相空间压力", K.PRESSURE, "kPa", ("-1", "3"), 10,
           ll="-0.25", l="-0.15", h="1.2", hh="1.6",
           note="呼吸阀设定 +1.8 / −0.3 kPa（SH/T 3007-2014 呼吸阀选用），报警低于呼吸阀动作值。"),
        _t("T-103", "PI-103", "T-103 氮封压力", K.PRESSURE, "kPa", ("-1", "5"), 10,
           ll="0.1", l="0.2", h="1.5", hh="2.0", p={"ll": MEDIUM},  # LL: air enters a methanol tank
           note="氮封正常 0.3–0.6 kPa；低于 0.2 kPa 说明氮封失效（企业工艺卡片）。"),
    ]  # fmt: skip
    return out


def _detector(equipment: str, tag: str, name: str, note: str = "") -> TagSpec:
    return _t(equipment, tag, name, K.COMBUSTIBLE_GAS, "%LEL", ("0", "100"), 2,
              h=GAS_FIRST, hh=GAS_SECOND, p=GAS_PRIORITIES, note=note)  # fmt: skip


def _h2s(equipment: str, tag: str, name: str) -> TagSpec:
    return _t(equipment, tag, name, K.TOXIC_GAS, "ppm", ("0", "100"), 2,
              h=H2S_FIRST, hh=H2S_SECOND, p=GAS_PRIORITIES)  # fmt: skip


def _pump_tags() -> list[TagSpec]:
    out: list[TagSpec] = []
    # Motor rated currents from the nameplates (EQUIPMENT); H = 1.05 In, HH = 1.15 In, L = 0.3 In
    # (running dry / lost suction) — enterprise electrical maintenance rules.
    rated = {"M-201": 101, "M-202": 134, "M-203": 82, "M-204": 82}
    for n, (pump, product) in enumerate(
        (("P-201", "汽油"), ("P-202", "柴油"), ("P-203", "甲醇"), ("P-204", "甲苯")), 1
    ):
        motor = f"M-20{n}"
        rated_a = Decimal(rated[motor])
        out += [
            _t(pump, f"PI-20{n}", f"{pump} 出口压力", K.PRESSURE, "MPa", ("0", "2.5"), 5,
               ll="0.15", l="0.3", h="1.2", hh="1.4",
               note="出口管道设计压力 1.6 MPa；L/LL 提示抽空或汽蚀（企业工艺卡片）。"),
            _t(pump, f"FI-20{n}", f"{pump} {product}流量", K.FLOW, "m³/h", ("0", "300"), 5,
               ll="25", l="40", h="240",
               note="LL/L 按最小连续稳定流量设定（API 610，泵厂数据）。"),
            _t(pump, f"TI-20{n}", f"{pump} 驱动端轴承温度", K.TEMPERATURE, "°C", ("0", "150"), 10,
               h="80", hh="95", note="滚动轴承温度报警 80 °C、停机 95 °C（企业设备维护规程）。"),
            _t(pump, f"VI-20{n}", f"{pump} 驱动端轴承振动", K.VIBRATION, "mm/s", ("0", "20"), 5,
               h=VIB_FLEXIBLE[0], hh=VIB_FLEXIBLE[1],
               note="ISO 10816-3 第 2 组（15–300 kW）柔性支承，B/C 区 4.5 mm/s，C/D 区 7.1 mm/s。"),
            _t(motor, f"II-20{n}", f"{motor} 电机电流", K.MOTOR_CURRENT, "A", ("0", str(2 * rated[motor])), 2,
               l=str((rated_a * Decimal("0.3")).quantize(Decimal("1"))),
               h=str((rated_a * Decimal("1.05")).quantize(Decimal("1"))),
               hh=str((rated_a * Decimal("1.15")).quantize(Decimal("1"))),
               note=f"额定电流 {rated[motor]} A。"),
        ]  # fmt: skip
    return out


TAGS: tuple[TagSpec, ...] = (
    *_tank_tags(),
    # Inlet header. Flow limits keep the velocity in DN300 below the static-electricity limits of
    # GB 13348-2009 (800 m³/h ≈ 3.1 m/s, 950 m³/h ≈ 3.7 m/s).
    _t("PL-100", "FI-100", "来料总管流量", K.FLOW, "m³/h", ("0", "1000"), 5, h="800", hh="950"),
    _t("PL-100", "PI-100", "来料总管压力", K.PRESSURE, "MPa", ("0", "2.5"), 5, l="0.15", h="1.4", hh="1.5",
       note="管道设计压力 1.6 MPa（PN16）。"),
    _detector("GD-105", "AI-105", "T-101 罐根可燃气体"),
    _detector("GD-106", "AI-106", "T-102 罐根可燃气体"),
    _detector("GD-107", "AI-107", "T-103 罐根可燃气体", "按甲醇标定（LEL 6 %vol）。"),
    _detector("GD-108", "AI-108", "T-104 罐根可燃气体", "按甲苯标定（LEL 1.1 %vol）。"),
    _detector("GD-109", "AI-109", "防火堤北侧可燃气体"),
    _detector("GD-110", "AI-110", "防火堤南侧可燃气体"),
    _h2s("GD-111", "AI-111", "防火堤排水井硫化氢"),
    *_pump_tags(),
    _detector("GD-205", "AI-205", "泵房可燃气体"),
    _h2s("GD-206", "AI-206", "泵房地坑硫化氢"),
    # Loading arms: GB 13348-2009 limits the loading velocity (DN100 ≈ 4.5 m/s at 127 m³/h).
    *(
        _t(f"LA-30{n}", f"FI-30{n}", f"LA-30{n} {product}装车流量", K.FLOW, "m³/h", ("0", "150"), 2, h=h, hh=hh)
        for n, product, h, hh in ((1, "汽油", "110", "125"), (2, "柴油", "110", "125"),
                                  (3, "甲醇", "70", "80"), (4, "甲苯", "70", "80"))
    ),  # DN80 arms: 70/80 m³/h ≈ 3.9/4.4 m/s (GB 13348-2009)
    _detector("GD-305", "AI-305", "装车站西侧可燃气体"),
    _detector("GD-306", "AI-306", "装车站东侧可燃气体"),
    # Hydrogen unit (process card of the electrolyser vendor and GB 50177-2005 氢气站设计规范).
    _t("EL-401", "TI-401", "电解槽出口碱液温度", K.TEMPERATURE, "°C", ("0", "120"), 10, l="60", h="90", hh="95",
       note="正常 85±5 °C（电解槽厂家工艺卡片）。"),
    _t("EL-401", "PI-401", "电解系统压力", K.PRESSURE, "MPa", ("0", "2.5"), 5, l="1.2", h="1.65", hh="1.75",
       p={"hh": MEDIUM},
       note="工作压力 1.6 MPa，安全阀整定 1.76 MPa（TSG 21-2016）。"),
    _t("EL-401", "FI-401", "电解槽产氢量", K.FLOW, "Nm³/h", ("0", "1200"), 5, l="250", h="1050",
       note="低于 25 % 负荷时氧中氢升高（电解槽厂家工艺卡片）。"),
    _t("EL-401", "LI-401", "氢侧分离器液位", K.LEVEL, "%", ("0", "100"), 5, ll="20", l="30", h="70", hh="80",
       p={"ll": MEDIUM, "hh": MEDIUM},
       note="氢、氧分离器液位差过大会导致串气（电解槽厂家工艺卡片）。"),
    _t("EL-401", "AI-401", "氢中氧含量", K.OXYGEN, "%vol", ("0", "2"), 5, h="0.5", hh="1.0",
       p={"h": MEDIUM, "hh": HIGH}, note="氢中氧 ≥ 0.5 % 报警、≥ 1.0 % 联锁停车（电解槽厂家工艺卡片）。"),
    _t("EL-401", "FI-411", "碱液冷却器冷却水流量", K.COOLING_WATER_FLOW, "m³/h", ("0", "200"), 10, ll="60", l="80",
       p={"ll": MEDIUM},
       note="设计 120 m³/h（电解槽厂家工艺卡片）。"),
    _t("C-402", "PI-402", "压缩机排气压力", K.PRESSURE, "MPa", ("0", "6"), 2, l="3.0", h="4.2", hh="4.4",
       note="额定排气压力 4.0 MPa（压缩机厂家数据）。"),
    _t("C-402", "TI-402", "压缩机排气温度", K.TEMPERATURE, "°C", ("0", "200"), 5, h="125", hh="135",
       p={"hh": MEDIUM},
       note="API 618：富氢介质排气温度不超过 135 °C。"),
    _t("C-402", "VI-402", "压缩机机身振动", K.VIBRATION, "mm/s", ("0", "30"), 5, h="6.3", hh="10",
       note="往复式压缩机机身振动报警 6.3 mm/s、停机 10 mm/s（压缩机厂家随机资料）。"),
    _t("C-402", "II-402", "压缩机电机电流", K.MOTOR_CURRENT, "A", ("0", "60"), 2, l="9", h="30", hh="33",
       note="6 kV 电机额定电流 29 A；H = 1.05 In、HH = 1.15 In（企业电气维护规程）。"),
    _t("V-403", "PI-403", "缓冲罐压力", K.PRESSURE, "MPa", ("0", "6"), 2, l="1.0", h="4.1", hh="4.3",
       p={"hh": MEDIUM}, note="设计压力 4.4 MPa，安全阀整定 4.4 MPa（TSG 21-2016）。"),
    _t("PL-405", "FI-405", "氢气外供流量", K.FLOW, "Nm³/h", ("0", "1200"), 5, l="100", h="1100"),
    # Hydrogen detectors: GB/T 50493-2019 §5.5.2 (H₂ LEL 4 %vol), installed at ceilings (GB 50177-2005).
    _t("GD-406", "AI-406", "法兰阀组氢气浓度", K.HYDROGEN, "%LEL", ("0", "100"), 2,
       h=GAS_FIRST, hh=GAS_SECOND, p=GAS_PRIORITIES),
    _t("GD-407", "AI-407", "压缩机厂房氢气浓度", K.HYDROGEN, "%LEL", ("0", "100"), 2,
       h=GAS_FIRST, hh=GAS_SECOND, p=GAS_PRIORITIES),
    _t("GD-408", "AI-408", "电解厂房氢气浓度", K.HYDROGEN, "%LEL", ("0", "100"), 2,
       h=GAS_FIRST, hh=GAS_SECOND, p=GAS_PRIORITIES),
    _t("GD-409", "AI-409", "电解厂房氧含量", K.OXYGEN, "%vol", ("0", "30"), 2, l=O2_LOW, h=O2_HIGH, p=O2_PRIORITIES),
    # Utilities.
    _t("CT-501", "TI-501", "循环水供水温度", K.TEMPERATURE, "°C", ("0", "60"), 30, h="32", hh="35",
       note="冷却塔设计供水温度 32 °C（冷却塔设计工况，企业工艺卡片）。"),
    _t("CT-501", "LI-501", "冷却塔水池液位", K.LEVEL, "m", ("0", "3"), 10, ll="1.0", l="1.5", h="2.6",
       p={"ll": MEDIUM},
       note="LL 保证循环水泵吸入淹没深度（企业工艺卡片）。"),
    _t("P-502", "VI-502", "1号循环水泵振动", K.VIBRATION, "mm/s", ("0", "20"), 5, h=VIB_RIGID[0], hh=VIB_RIGID[1],
       note="ISO 10816-3 第 2 组刚性支承，B/C 区 2.8 mm/s，C/D 区 4.5 mm/s。"),
    _t("P-502", "II-502", "1号循环水泵电机电流", K.MOTOR_CURRENT, "A", ("0", "400"), 2, l="62", h="215", hh="236",
       note="额定电流 205 A；H = 1.05 In、HH = 1.15 In、L = 0.3 In（企业电气维护规程）。"),
    _t("P-503", "VI-503", "2号循环水泵振动", K.VIBRATION, "mm/s", ("0", "20"), 5, h=VIB_RIGID[0], hh=VIB_RIGID[1],
       note="ISO 10816-3 第 2 组刚性支承，B/C 区 2.8 mm/s，C/D 区 4.5 mm/s。"),
    _t("P-503", "II-503", "2号循环水泵电机电流", K.MOTOR_CURRENT, "A", ("0", "400"), 2, h="215", hh="236",
       note="备用泵：停运时电流为 0，故不设低限。"),
    _t("PL-504", "FI-504", "循环冷却水总管流量", K.COOLING_WATER_FLOW, "m³/h", ("0", "1000"), 5, ll="250", l="350",
       p={"ll": MEDIUM},
       note="正常 450–600 m³/h（企业工艺卡片）。"),
    _t("PL-504", "PI-504", "循环冷却水总管压力", K.PRESSURE, "MPa", ("0", "1"), 5, ll="0.25", l="0.3", h="0.6"),
    _t("WS-505", "SI-505", "现场风速（10 m 高）", K.WIND_SPEED, "m/s", ("0", "60"), 10,
       h=WIND_FORCE_5, hh=WIND_FORCE_7,
       note="五级风（GB/T 28591-2012）起停止露天动火、高处作业（GB 30871-2022）；七级风停止装车（企业规定）。"),
    _t("WS-505", "TI-505", "环境温度", K.TEMPERATURE, "°C", ("-40", "60"), 60, l="-5", h="35",
       note="≥ 35 °C 投用汽油罐喷淋降温；≤ −5 °C 检查防冻（企业规定）。"),
    # Control room (SH/T 3006-2012 控制室设计规范; gas detection at the HVAC fresh-air intake).
    _t("B-601", "AI-601", "新风口可燃气体", K.COMBUSTIBLE_GAS, "%LEL", ("0", "100"), 2, h="20", hh="40",
       p=GAS_PRIORITIES, note="严于 GB/T 50493-2019 §5.5.2：一级报警联锁关闭新风阀（企业规定）。"),
    _t("B-601", "AI-602", "新风口氧含量", K.OXYGEN, "%vol", ("0", "30"), 2, l=O2_LOW, h=O2_HIGH, p=O2_PRIORITIES),
    _h2s("B-601", "AI-603", "新风口硫化氢"),
    _t("B-601", "TI-601", "机柜间温度", K.TEMPERATURE, "°C", ("0", "50"), 60, l="16", h="28", hh="32",
       note="机柜间夏季 26±2 °C、冬季 20±2 °C（SH/T 3006-2012）。"),
)  # fmt: skip


# --- Process topology ------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkSpec:
    source: str
    target: str
    kind: str = LinkKind.MATERIAL
    medium: str = ""
    description: str = ""


def _links() -> list[LinkSpec]:
    out: list[LinkSpec] = []
    utility, energy, signal = LinkKind.UTILITY, LinkKind.ENERGY, LinkKind.SIGNAL
    for n, tank in enumerate(TANKS, start=1):
        out += [
            LinkSpec("PL-100", tank.code, medium=tank.product, description="码头/管道来料进罐"),
            LinkSpec(tank.code, f"P-20{n}", medium=tank.product, description="罐出口至输转泵入口"),
            LinkSpec(f"P-20{n}", f"LA-30{n}", medium=tank.product, description="输转泵至装车鹤管"),
            LinkSpec(f"M-20{n}", f"P-20{n}", energy, description="电机驱动"),
            LinkSpec("PL-504", tank.code, utility, "循环冷却水", "罐壁喷淋冷却环管"),
        ]
        for sensor in tank.dike_sensors:
            out.append(LinkSpec(tank.code, detector_of(sensor), signal, tank.product, "泄漏监测"))
    out += [LinkSpec(f"P-20{n}", "GD-205", signal, description="泄漏监测") for n in range(1, 5)]
    out += [
        LinkSpec("P-202", "GD-206", signal, "硫化氢", "地坑泄漏监测"),
        LinkSpec("LA-301", "GD-305", signal, "汽油", "装车泄漏监测"),
        LinkSpec("LA-302", "GD-305", signal, "柴油", "装车泄漏监测"),
        LinkSpec("LA-303", "GD-306", signal, "甲醇", "装车泄漏监测"),
        LinkSpec("LA-304", "GD-306", signal, "甲苯", "装车泄漏监测"),
        # Hydrogen: electrolyser -> compressor -> buffer tank -> valve group -> supply line.
        LinkSpec("EL-401", "C-402", medium="氢气", description="电解氢（1.6 MPa）至压缩机入口"),
        LinkSpec("C-402", "V-403", medium="氢气", description="压缩后（4.0 MPa）进缓冲罐"),
        LinkSpec("V-403", "FV-404", medium="氢气"),
        LinkSpec("FV-404", "PL-405", medium="氢气", description="调压后外供"),
        LinkSpec("EL-401", "GD-408", signal, "氢气", "泄漏监测"),
        LinkSpec("EL-401", "GD-409", signal, "氧气", "氧气放空监测"),
        LinkSpec("C-402", "GD-407", signal, "氢气", "泄漏监测"),
        LinkSpec("FV-404", "GD-406", signal, "氢气", "法兰泄漏监测"),
        # Circulating cooling water.
        LinkSpec("CT-501", "P-502", utility, "循环冷却水", "冷却塔水池至泵入口"),
        LinkSpec("CT-501", "P-503", utility, "循环冷却水", "冷却塔水池至泵入口"),
        LinkSpec("P-502", "PL-504", utility, "循环冷却水"),
        LinkSpec("P-503", "PL-504", utility, "循环冷却水"),
        LinkSpec("PL-504", "EL-401", utility, "循环冷却水", "碱液冷却器"),
        LinkSpec("PL-504", "C-402", utility, "循环冷却水", "级间冷却器"),
        LinkSpec("EL-401", "CT-501", utility, "循环冷却水", "回水"),
        LinkSpec("C-402", "CT-501", utility, "循环冷却水", "回水"),
    ]
    return out


def detector_of(tag: str) -> str:
    """The equipment code of the detector that carries ``tag``."""
    return next(t.equipment for t in TAGS if t.tag == tag)


LINKS: tuple[LinkSpec, ...] = tuple(_links())

# The topology is designed so that each of these groups of areas is one weakly connected graph
# (the cooling water then joins the storage and hydrogen groups into one). The weather station and
# the control-room building stand alone: they watch the plant but nothing flows through them.
TOPOLOGY_GROUPS: dict[str, tuple[str, ...]] = {
    "储运系统": ("tank-farm", "pump-house", "loading-bay"),
    "氢气系统": ("hydrogen",),
    "循环冷却水": ("utilities",),
}
STANDALONE = ("WS-505", "B-601")

# Where the demo site's data comes from: the simulator publishes over MQTT (``anquan simulate``);
# a field gateway may post batches over HTTP with its key (issued on the connector's page).
CONNECTORS: tuple[dict[str, Any], ...] = (
    {
        "name": "模拟器（MQTT）",
        "protocol": "mqtt",
        "config": {"topics": [f"anquan/{SITE['code']}/#"], "qos": 1},
    },
    {"name": "现场网关（HTTP）", "protocol": "http", "config": {}},
)


@dataclass(frozen=True)
class RuleSpec:
    """A manual alarm rule beyond the tags' own HH/H/L/LL (those are made from the tags)."""

    area: str
    name: str
    kind: str
    priority: str
    params: dict[str, Any]
    tag: str | None = None
    deadband: float = 0
    on_delay_s: int = 0
    cause: str = ""
    consequence: str = ""
    action: str = ""


RULES: tuple[RuleSpec, ...] = (
    # Two detectors agreeing (flange manifold ≥ 10 %LEL and compressor-house ceiling ≥ 5 %LEL) is
    # a confirmed release well below either detector's own first alarm (25 %LEL).
    RuleSpec(
        "hydrogen",
        "氢气泄漏确认：法兰阀组与压缩机厂房同时检出",
        "compound",
        "high",
        {
            "op": "and",
            "terms": [
                {"tag": "AI-406", "cmp": ">=", "value": 10},
                {"tag": "AI-407", "cmp": ">=", "value": 5},
            ],
        },
        on_delay_s=10,
        cause="压缩机出口法兰阀组密封失效",
        consequence="氢气积聚于厂房顶部，遇点火源爆炸",
        action="确认泄漏点，切断 V-403 进出口阀，加强厂房通风，禁止一切动火",
    ),
    # The reciprocating compressor's discharge-pressure trip (PI-402 at HH 4.4 MPa stops the machine):
    # still drawing current 10 s after the trip point means the interlock did not act. A stopped
    # motor reads 0 A; 3 A covers the transmitter's noise and leaves the L limit (9 A) well apart.
    # The demand gives way 0.06 MPa (1 % of span, as the limit rules) below the trip point.
    RuleSpec(
        "hydrogen",
        "C-402 排气压力高高联锁停机",
        "interlock",
        "high",
        {
            "cmp": ">=",
            "setpoint": 4.4,
            "output_tag": "II-402",
            "output_value": 0,
            "tolerance": 3,
            "response_s": 10,
        },
        tag="PI-402",
        deadband=0.06,
        cause="联锁回路故障（压力开关/继电器/电机开关柜拒动）或联锁被旁路，出口阀误关导致憋压",
        consequence="压缩机持续憋压，缓冲罐及管线超压，安全阀起跳泄放氢气，法兰泄漏着火爆炸",
        action="立即手动停机并确认电机电流归零；检查出口阀门；联锁回路修复并测试合格前不得开机",
    ),
    RuleSpec(
        "utilities",
        "气象站数据中断",
        "stale",
        "low",
        {"seconds": 180},
        tag="SI-505",
        cause="气象站通讯或供电故障",
        consequence="风速不可知：五级风以上禁止动火、高处作业的判断失去依据",
        action="通知仪表班检查气象站；恢复前动火与高处作业改用手持风速仪",
    ),
)


@dataclass(frozen=True)
class Counts:
    """How many records of each kind the demo site declares (the loader's summary)."""

    areas: int = len(AREAS)
    units: int = len(UNITS)
    teams: int = len(TEAMS)
    people: int = len(PEOPLE)
    equipment: int = len(EQUIPMENT)
    tags: int = len(TAGS)
    links: int = len(LINKS)
    roles: int = sum(len(p.roles) for p in PEOPLE)
    connectors: int = len(CONNECTORS)
    rules: int = len(RULES)

    @property
    def total(self) -> int:
        """Progress steps: the enterprise, the site and every record above."""
        return (
            2 + self.areas + self.units + self.teams + self.people + self.equipment + self.tags + self.links
        )
