"""The demo's safety work (issue 5): hazards in every state of their closed loop, inspection routes
and plans with rounds walked over the last days, work orders, the AI inspection assistant's
signals and health scores, and yesterday's daily health report.

Everything goes through the domain services — ``anquan.hazards.services``,
``anquan.inspections.services`` / ``assistant`` / ``reports`` and ``anquan.workorders.services`` —
as the demo people who would do it (a worker reports, the safety officer verifies and grades, the
maintenance team leader rectifies, the area manager accepts). History is spread over the last
weeks with the services' own time parameters (``now=`` / ``at=``); the steps that have none
(verify, grade, rectify, accept, close) happen at load time, so a closed hazard's closure time is
the time from its report to the load.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from anquan.demo import site as demo
from anquan.hazards import selectors as hazard_selectors
from anquan.hazards import services as hazards
from anquan.hazards.choices import HazardCategory, HazardGrade, HazardSource, ManageType
from anquan.hazards.models import Hazard
from anquan.inspections import assistant, cycles, reports
from anquan.inspections import services as inspections
from anquan.inspections.choices import Cycle, ItemKind, OnFail
from anquan.inspections.models import CheckItem, Plan, Round
from anquan.org.models import Area, Site, Team, User
from anquan.plant.models import Equipment
from anquan.simulator import scenarios as sc
from anquan.simulator.inspection import SignalGenerator, targets_of
from anquan.workorders import services as workorders
from anquan.workorders.choices import OriginKind, Priority
from anquan.workorders.models import WorkOrder

# Who does what in the hazard loop (the logins table names them too).
REPORTER = "lintao"  # 罐区操作工: reports from the phone
CONTRACTOR_REPORTER = "maqiang"  # 承包商: reports what he sees on the loading bay
SAFETY_OFFICER = "sunxiaodong"  # verifies, grades, assigns, closes
RECTIFIER = "gaoyonggang"  # 维修班班长: the responsible person of the rectifications
ACCEPTOR = "chenhaitao"  # 储运部经理: accepts the rectifications (never the rectifier)
HYDROGEN_ACCEPTOR = "yanglihua"  # 生产技术部经理: the same for the hydrogen unit and utilities
MAJOR_APPROVER = demo.EHS_DIRECTOR  # approves a major hazard's six-element plan

SIGNAL_DAYS = 3  # days of inspection-device history written at load
SIGNAL_EVERY = dt.timedelta(hours=2)
SCORE_EVERY = 2  # the health trend at load: a score every second signal time (4 h); ingesting scores now
SIGNAL_SOURCE = "巡检机器人 XJ-01"
REPORT_SEND_AT = dt.time(7, 30)
# The major hazard (a safety valve past its calibration, still in use) meets item 15 of the 2017
# determination standard, "安全阀、爆破片等安全附件未正常投用", when that standard is in force on its day.
MAJOR_CRITERIA = ("安监总管三〔2017〕121号", 15)


def photo(
    seed: int, *, tint: tuple[int, int, int] = (150, 150, 150), name: str = "现场照片.png"
) -> SimpleUploadedFile:
    """A simple drawn scene (sky, ground, a tank or a pipe, a red mark) as a PNG upload."""
    image = Image.new("RGB", (480, 360), (188, 208, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 230, 480, 360), fill=(120, 118, 110))
    x = 60 + (seed * 47) % 220
    draw.rectangle((x, 90, x + 150, 240), fill=tint, outline=(60, 60, 60), width=3)
    draw.ellipse((x, 70, x + 150, 110), fill=tint, outline=(60, 60, 60), width=3)
    draw.line((0, 280 + seed % 40, 480, 260 + (seed * 7) % 50), fill=(90, 90, 200), width=8)
    mx, my = 40 + (seed * 89) % 400, 150 + (seed * 31) % 150
    draw.ellipse((mx - 18, my - 18, mx + 18, my + 18), outline=(220, 20, 20), width=5)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class Made:
    """What ``load`` made (for the command's summary and the tests)."""

    hazards: list[Hazard] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    rounds_today: list[Round] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)
    signals: int = 0
    scores: int = 0


def load(site: Site, now: dt.datetime | None = None) -> Made:
    """Add the safety work to the freshly loaded demo ``site`` (inside the caller's transaction)."""
    now = now or timezone.now()
    people = {u.username: u for u in User.objects.filter(username__in=[p.username for p in demo.PEOPLE])}
    areas = {a.code: a for a in Area.objects.filter(site=site)}
    teams = {t.code: t for t in Team.objects.filter(area__site=site)}
    equipment = {e.code: e for e in Equipment.objects.filter(area__site=site).select_related("area")}
    made = Made()
    made.hazards = _hazards(people, areas, equipment, now)
    made.plans = _plans(areas, teams, equipment)
    _walk_past_rounds(made.plans, people, equipment, now)
    made.rounds_today = inspections.generate_rounds(now)
    inspections.flag_overdue(now)
    made.work_orders = _work_orders(site, people, equipment, now)
    made.signals, made.scores = _signals(site, equipment, now)
    _report(site, people, now)
    return made


# --- hazards ------------------------------------------------------------------------------------
def _major_criteria(hazard: Hazard) -> list[int]:
    """The item the demo's major hazard cites, if its standard is in force on the hazard's day."""
    code, number = MAJOR_CRITERIA
    return [
        item.pk
        for criteria_set in hazard_selectors.criteria_in_force(hazard_selectors.hazard_day(hazard))
        if criteria_set.code == code
        for item in criteria_set.items.all()
        if item.number == number
    ]


def _hazards(
    people: dict[str, User], areas: dict[str, Area], equipment: dict[str, Equipment], now: dt.datetime
) -> list[Hazard]:
    officer, rectifier, acceptor = people[SAFETY_OFFICER], people[RECTIFIER], people[ACCEPTOR]
    ago = lambda days: now - dt.timedelta(days=days)  # noqa: E731

    def report(user: str, days: float, text: str, *, seed: int, area: str | None = None,
               eq: str | None = None, category: str = HazardCategory.EQUIPMENT,
               source: str = HazardSource.DAILY, tint: tuple[int, int, int] = (150, 150, 150)) -> Hazard:  # fmt: skip
        hazard, _new = hazards.report_hazard(
            people[user], description=text, area=areas[area] if area else None,
            equipment=equipment[eq] if eq else None, category=category, source=source,
            files=[photo(seed, tint=tint)], now=ago(days),
        )  # fmt: skip
        return hazard

    def general(
        hazard: Hazard, l_value: float, e_value: float, c_value: float, manage: str, days: float
    ) -> Hazard:
        """Verified and graded within hours of the report (``days`` ago)."""
        hazards.verify(officer, hazard, note="现场确认属实。", now=ago(days - 0.1))
        return hazards.grade(
            officer, hazard, grade=HazardGrade.GENERAL, manage_type=manage,
            lec_l=l_value, lec_e=e_value, lec_c=c_value, now=ago(days - 0.2),
        )  # fmt: skip

    def assign(hazard: Hazard, measures: str, at_days: float, deadline_days: float, who: User = rectifier,
               funds: Any = None) -> Hazard:  # fmt: skip
        return hazards.assign(
            officer, hazard, responsible=who, measures=measures, funds=funds,
            deadline=ago(deadline_days), now=ago(at_days),
        )  # fmt: skip

    def rectify(hazard: Hazard, note: str, seed: int, days: float, who: User = rectifier) -> Hazard:
        return hazards.rectify(
            who, hazard, note=note, files=[photo(seed, tint=(90, 170, 90), name="整改后.png")], now=ago(days)
        )

    out: list[Hazard] = []
    # Closed over the past weeks (the metrics page's closure times).
    for days, text, area, eq, lec, manage, measures, note, seed in (
        (
            26,
            "罐区消防通道（防火堤东侧）堆放废旧管件和木托盘，占用通道约 3 米。",
            "tank-farm",
            None,
            (3, 6, 3),
            ManageType.IMMEDIATE,
            "立即清理堆放物，划定通道禁停标线。",
            "杂物已清运，通道标线已补画。",
            11,
        ),
        (
            19,
            "氢气单元压缩机厂房防爆灯 EX-07 灯罩破损，隔爆面外露。",
            "hydrogen",
            "C-402",
            (3, 6, 7),
            ManageType.DEADLINE,
            "更换同型号防爆灯具，检查同厂房其余灯具。",
            "已更换防爆灯，其余 11 盏检查完好。",
            12,
        ),
        (
            13,
            "T-104 甲苯罐罐顶量油孔盖未盖严，密封垫老化。",
            "tank-farm",
            "T-104",
            (3, 3, 7),
            ManageType.DEADLINE,
            "更换量油孔密封垫，计量后及时关闭量油孔。",
            "已更换密封垫并复核关闭。",
            13,
        ),
    ):
        hazard = report(REPORTER if seed != 12 else "tangliang", days, text, seed=seed, area=area, eq=eq)
        general(hazard, *lec, manage, days)
        # Fixed within days (the 26-day-old one a day late), accepted the next day, closed at once.
        late = days == 26
        assign(hazard, measures, days - 0.5, days - 3)
        rectify(hazard, note, seed + 100, days - (4 if late else 2))
        who = people[HYDROGEN_ACCEPTOR] if area == "hydrogen" else acceptor
        hazards.accept(who, hazard, passed=True, note="验收合格。", now=ago(days - (5 if late else 3)))
        out.append(hazards.close(officer, hazard, note="准予销号。", now=ago(days - (5.1 if late else 3.1))))
    # Accepted, not yet closed.
    hazard = report("liangchao", 9, "T-102 柴油罐罐壁喷淋环管 2 处喷头堵塞。", seed=14, eq="T-102")
    general(hazard, 3, 3, 3, ManageType.DEADLINE, 9)
    assign(hazard, "疏通或更换堵塞喷头，做一次喷淋试验。", 8.5, 4)
    rectify(hazard, "已更换 2 个喷头，喷淋试验均匀覆盖罐壁。", 114, 6)
    out.append(hazards.accept(acceptor, hazard, passed=True, note="喷淋试验合格。", now=ago(5)))
    # Rectified, awaiting acceptance.
    hazard = report("fenggang", 5, "装车站 LA-302 静电接地报警器指示灯不亮，无法确认接地状态。", seed=15,
                    eq="LA-302", category=HazardCategory.ELECTRICAL)  # fmt: skip
    general(hazard, 3, 6, 7, ManageType.DEADLINE, 5)
    assign(hazard, "检查接地报警器电源和接地夹，修复后联动测试。", 4.5, -2, who=people["pengfei"])
    out.append(rectify(hazard, "更换报警器电源模块，联动测试正常。", 115, 1, who=people["pengfei"]))
    # Rectifying, one overdue.
    hazard = report("caoyu", 12, "P-201 汽油输转泵机械密封渗漏，泵座下可见油迹。", seed=16, eq="P-201")
    general(hazard, 6, 6, 7, ManageType.DEADLINE, 12)
    out.append(assign(hazard, "倒泵运行，更换机械密封，清理泵座油污。", 11, 11 - 7, funds="3800"))
    hazard = report("luobin", 6, "T-103 甲醇罐呼吸阀阻火器锈蚀，阻火网部分堵塞。", seed=17, eq="T-103")
    general(hazard, 3, 6, 7, ManageType.DEADLINE, 6)
    out.append(assign(hazard, "拆检阻火器，清洗或更换阻火网，检查呼吸阀动作压力。", 5.5, -5, funds="1200"))
    # A major hazard with its six-element plan approved, under rectification.
    hazard = report("zhangwei", 8, "氢气缓冲罐 V-403 安全阀超过校验有效期（到期 2 个月），仍在投用。", seed=18,
                    eq="V-403", category=HazardCategory.EQUIPMENT, source=HazardSource.SPECIALIST)  # fmt: skip
    hazards.verify(officer, hazard, note="核对安全阀台账，确认超期。", now=ago(7.9))
    hazards.grade(
        officer, hazard, grade=HazardGrade.MAJOR, manage_type=ManageType.DEADLINE,
        lec_l=3, lec_e=6, lec_c=40, criteria=_major_criteria(hazard),
        note="压力容器安全附件失效，按重大隐患判定标准认定为重大隐患。", now=ago(7.8),
    )  # fmt: skip
    hazards.submit_plan(
        officer, hazard, now=ago(7),
        goal="20 天内完成 V-403 安全阀离线校验或更换，恢复超压保护。",
        methods="停用氢气外供一个班次，V-403 泄压置换后拆下安全阀送检；备用校验合格安全阀先行安装。",
        funds_materials="校验费及备用安全阀 1.6 万元，由设备维修费列支；氮气置换 200 Nm³。",
        organisation="生产技术部杨丽华总负责，维修班高永刚实施，安全员孙晓东现场监护。",
        time_limit="20 天内完成，期间每班巡检 V-403 压力不超过 4.1 MPa。",
        safety_emergency="降压运行至 3.8 MPa；作业办理盲板抽堵、动火以外的检修作业票；现场配备便携式氢气检测仪和灭火器。",
    )  # fmt: skip
    hazards.approve_plan(people[MAJOR_APPROVER], hazard, note="同意方案，按期完成后报告。", now=ago(6.5))
    out.append(
        assign(
            hazard, "按审批的治理方案校验或更换 V-403 安全阀。", 6, -14, who=people["zhangwei"], funds="16000"
        )
    )
    # Verified, waiting for grading.
    hazard = report("caoyu", 2, "泵房 P-202 电机接地线松动，接线端子有锈蚀。", seed=19, eq="M-202",
                    category=HazardCategory.ELECTRICAL)  # fmt: skip
    out.append(hazards.verify(officer, hazard, note="确认松动，待评估。", now=ago(1.8)))
    # Just reported: a worker's and a contractor's; and a duplicate, rejected.
    first = report(REPORTER, 0.3, "罐区防火堤排水阀未关闭，雨水排放后未复位。", seed=20, area="tank-farm",
                   category=HazardCategory.SAFETY, tint=(120, 120, 130))  # fmt: skip
    out.append(first)
    out.append(
        report(
            CONTRACTOR_REPORTER,
            0.2,
            "装车鹤管 LA-301 静电夹损坏，夹口弹簧断裂。",
            seed=21,
            eq="LA-301",
            category=HazardCategory.ELECTRICAL,
        )
    )
    duplicate = report("luobin", 0.25, "防火堤排水阀开着没关。", seed=20, area="tank-farm",
                       category=HazardCategory.SAFETY, tint=(120, 120, 130))  # fmt: skip
    out.append(
        hazards.reject(officer, duplicate, "与林涛上报的同一问题重复。", duplicate_of=first, now=ago(0.1))
    )
    return out


# --- inspections --------------------------------------------------------------------------------
P, R = ItemKind.PASS_FAIL, ItemKind.READING
# Route: (area, name, description, checkpoints); checkpoint: (name, equipment, items);
# item: (name, kind, low, high, unit, photo required, on fail).
ItemSpec = tuple[str, str, float | None, float | None, str, bool, str]
ROUTES: tuple[tuple[str, str, str, tuple[tuple[str, str, tuple[ItemSpec, ...]], ...]], ...] = (
    ("tank-farm", "罐区巡检路线", "四座储罐、罐根阀门和防火堤。", (
        ("1号汽油储罐 T-101", "T-101", (
            ("液位计现场读数与中控一致", P, None, None, "", False, OnFail.NONE),
            ("罐体温度（红外测温）", R, -10, 38, "°C", False, OnFail.WORK_ORDER),
            ("罐根阀门、法兰无渗漏", P, None, None, "", False, OnFail.WORK_ORDER),
        )),
        ("2号柴油储罐 T-102", "T-102", (
            ("呼吸阀、阻火器完好", P, None, None, "", False, OnFail.WORK_ORDER),
            ("罐顶气相压力（现场表）", R, -0.3, 1.2, "kPa", False, OnFail.WORK_ORDER),
        )),
        ("3号甲醇储罐 T-103", "T-103", (
            ("氮封压力（现场表）", R, 0.2, 1.5, "kPa", False, OnFail.WORK_ORDER),
            ("罐根阀门、法兰无渗漏", P, None, None, "", False, OnFail.WORK_ORDER),
        )),
        ("4号甲苯储罐 T-104", "T-104", (
            ("量油孔、透光孔关闭严密", P, None, None, "", False, OnFail.HAZARD),
        )),
        ("防火堤排水阀", "", (
            ("排水阀处于关闭状态（拍照）", P, None, None, "", True, OnFail.HAZARD),
        )),
    )),
    ("pump-house", "泵房巡检路线", "四台输转泵及其电机。", (
        ("汽油输转泵 P-201", "P-201", (
            ("驱动端轴承振动", R, 0, 4.5, "mm/s", False, OnFail.WORK_ORDER),
            ("机械密封无泄漏", P, None, None, "", False, OnFail.WORK_ORDER),
        )),
        ("柴油输转泵 P-202", "P-202", (
            ("驱动端轴承振动", R, 0, 4.5, "mm/s", False, OnFail.WORK_ORDER),
            ("轴承温度（测温枪）", R, 0, 80, "°C", False, OnFail.WORK_ORDER),
        )),
        ("甲醇输转泵 P-203", "P-203", (
            ("驱动端轴承振动", R, 0, 4.5, "mm/s", False, OnFail.WORK_ORDER),
        )),
        ("甲苯输转泵 P-204", "P-204", (
            ("驱动端轴承振动", R, 0, 4.5, "mm/s", False, OnFail.WORK_ORDER),
            ("泵房地面无积油（拍照）", P, None, None, "", True, OnFail.HAZARD),
        )),
    )),
    ("hydrogen", "氢气单元巡检路线", "电解槽、压缩机、缓冲罐与法兰阀组。", (
        ("电解槽 EL-401", "EL-401", (
            ("碱液温度（现场表）", R, 60, 90, "°C", False, OnFail.WORK_ORDER),
            ("氢侧分离器液位（现场液位计）", R, 30, 70, "%", False, OnFail.WORK_ORDER),
        )),
        ("氢气压缩机 C-402", "C-402", (
            ("排气压力（现场表）", R, 3.0, 4.2, "MPa", False, OnFail.WORK_ORDER),
            ("机身无异常声响", P, None, None, "", False, OnFail.WORK_ORDER),
        )),
        ("氢气缓冲罐 V-403", "V-403", (
            ("罐压（现场表）", R, 1.0, 4.1, "MPa", False, OnFail.WORK_ORDER),
            ("安全阀铅封完好（拍照）", P, None, None, "", True, OnFail.HAZARD),
        )),
        ("法兰阀组 FV-404", "FV-404", (
            ("便携式检测仪检漏", R, 0, 0.4, "%vol", False, OnFail.HAZARD),
        )),
    )),
)  # fmt: skip
# Plan: (route index, team, name, start, window minutes). Per-shift plans (四班两倒, 12 h shifts) are
# walked once within their shift; the pump house once a day shift.
PLANS: tuple[tuple[int, str, str, dt.time, int], ...] = (
    (0, "tank-1", "罐区白班巡检", dt.time(8, 0), 720),
    (0, "tank-2", "罐区夜班巡检", dt.time(20, 0), 720),
    (1, "maint", "泵房日常巡检", dt.time(8, 0), 600),
    (2, "h2", "氢气单元白班巡检", dt.time(8, 30), 720),
    (2, "h2", "氢气单元夜班巡检", dt.time(20, 30), 720),
)
WALKERS = {"tank-1": "lintao", "tank-2": "liangchao", "maint": "caoyu", "h2": "tangliang"}
LATE_PLAN = "氢气单元白班巡检"  # two days ago: finished after its due time
MISSED_PLAN = "氢气单元夜班巡检"  # two days ago: nobody walked it
FAILING_PLAN = "泵房日常巡检"  # yesterday: P-202 vibrating above its limit (a work order)
FAILING_EQUIPMENT = "P-202"
FAILED_READING = 6.3  # mm/s at P-202, zone C of ISO 10816-3


def _plans(areas: dict[str, Area], teams: dict[str, Team], equipment: dict[str, Equipment]) -> list[Plan]:
    routes = []
    for area, name, description, checkpoints in ROUTES:
        route = inspections.create_route(None, area=areas[area], name=name, description=description)
        for point, code, items in checkpoints:
            checkpoint = inspections.add_checkpoint(
                None, route, name=point, equipment=equipment[code] if code else None, area=areas[area]
            )
            for item, kind, low, high, unit, photo_required, on_fail in items:
                inspections.add_item(
                    None, checkpoint, name=item, kind=kind, low=low, high=high, unit=unit,
                    photo_required=photo_required, on_fail=on_fail,
                )  # fmt: skip
        routes.append(route)
    return [
        inspections.create_plan(
            None,
            route=routes[index],
            team=teams[team],
            name=name,
            cycle=Cycle.DAY,
            start_time=start,
            window_minutes=window,
        )
        for index, team, name, start, window in PLANS
    ]


def _value(item: CheckItem, n: int) -> float:
    """A reading inside the item's limits, a little different each round."""
    low = item.low if item.low is not None else 0.0
    high = item.high if item.high is not None else low + 10.0
    share = 0.35 + 0.3 * ((n * 37 + item.pk * 11) % 100) / 100.0
    return round(low + (high - low) * share, 2)


def _walk(made: Round, walker: User, n: int, *, late: bool = False, failing_at: int | None = None) -> None:
    """Walk ``made`` offline-style (one batch); ``failing_at``: the equipment whose vibration fails."""
    items = list(CheckItem.objects.filter(checkpoint__route_id=made.route_id).select_related("checkpoint"))
    started = made.starts_at + dt.timedelta(minutes=40)
    if late:
        started = made.due_at - dt.timedelta(minutes=30)
    checkpoints = sorted({i.checkpoint for i in items}, key=lambda c: c.position)
    checkins = [
        inspections.BatchCheckIn(code=c.code, at=started + dt.timedelta(minutes=6 * k))
        for k, c in enumerate(checkpoints)
    ]
    results = []
    for item in items:
        value: float | None = None
        ok: bool | None = None
        note = ""
        if item.kind == ItemKind.READING:
            value = _value(item, n)
            if failing_at is not None and item.checkpoint.equipment_id == failing_at and item.unit == "mm/s":
                value, note = FAILED_READING, "驱动端轴承振动明显，伴有异响。"
        else:
            ok = True
        photos = [photo(item.pk + n, tint=(110, 110, 120))] if item.photo_required else []
        results.append(inspections.BatchResult(item_id=item.pk, value=value, ok=ok, note=note, photos=photos))
    finished = started + dt.timedelta(minutes=6 * len(checkpoints) + 5)
    if late:
        finished = made.due_at + dt.timedelta(minutes=35)
    inspections.submit_round(
        walker, made, client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"anquan-demo-round-{made.pk}"),
        started_at=started, finished_at=finished, checkins=checkins, results=results,
    )  # fmt: skip


def _walk_past_rounds(
    plans: Sequence[Plan], people: dict[str, User], equipment: dict[str, Equipment], now: dt.datetime
) -> None:
    """The rounds of the two days before today: made by the scheduler as it would have, walked by
    the teams — one late and one missed two days ago, one with a failed item yesterday — and any
    still within its time left for today."""
    tz = cycles.zone()
    today = now.astimezone(tz).date()
    for days in (2, 1):
        day = today - dt.timedelta(days=days)
        for at in (dt.time(9, 0), dt.time(21, 0)):
            inspections.generate_rounds(dt.datetime.combine(day, at, tzinfo=tz))
    two_days_ago = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(0, 0), tzinfo=tz)
    rounds = Round.objects.filter(plan__in=plans).select_related("plan", "team").order_by("starts_at", "pk")
    for n, made in enumerate(rounds):
        if made.due_at > now:
            continue  # still within its time: the team walks it today
        on_d2 = two_days_ago <= made.starts_at < two_days_ago + dt.timedelta(days=1)
        on_d1 = two_days_ago + dt.timedelta(days=1) <= made.starts_at < two_days_ago + dt.timedelta(days=2)
        if on_d2 and made.plan.name == MISSED_PLAN:
            continue
        walker = people[WALKERS[made.team.code]]
        _walk(
            made, walker, n,
            late=on_d2 and made.plan.name == LATE_PLAN,
            failing_at=equipment[FAILING_EQUIPMENT].pk if on_d1 and made.plan.name == FAILING_PLAN else None,
        )  # fmt: skip


# --- work orders --------------------------------------------------------------------------------
def _work_orders(
    site: Site, people: dict[str, User], equipment: dict[str, Equipment], now: dt.datetime
) -> list[WorkOrder]:
    ago = lambda hours: now - dt.timedelta(hours=hours)  # noqa: E731
    out = list(WorkOrder.objects.filter(site=site, origin_kind=OriginKind.INSPECTION).order_by("pk"))
    for order in out:  # the failed inspection item's order: taken on and under way
        if order.assignee is not None:  # opened at load time: the round's service takes no time for it
            order = workorders.accept(order.assignee, order)
            workorders.start(order.assignee, order)
    manager, officer = people[ACCEPTOR], people[SAFETY_OFFICER]
    maint, meter = people[RECTIFIER], people["pengfei"]

    def manual(title: str, description: str, eq: str, who: User, hours: float, priority: str) -> WorkOrder:
        return workorders.open_work_order(
            manager if equipment[eq].area.code in ("tank-farm", "pump-house", "loading-bay") else officer,
            site=site, equipment=equipment[eq], title=title, description=description, priority=priority,
            origin_kind=OriginKind.MANUAL, assignee=who, now=ago(hours),
        )  # fmt: skip

    out.append(
        manual(
            "中控室机柜间空调滤网清洗",
            "机柜间温度偏高，清洗两台精密空调滤网。",
            "B-601",
            meter,
            3,
            Priority.LOW,
        )
    )
    order = manual(
        "GD-406 氢气探测器季度标定",
        "按季度标定计划，用 50 %LEL 标准气标定。",
        "GD-406",
        meter,
        20,
        Priority.MEDIUM,
    )
    out.append(workorders.accept(meter, order, now=ago(19)))
    order = manual(
        "T-102 罐顶呼吸阀季度检查",
        "拆检呼吸阀阀盘、阻火网，记录动作压力。",
        "T-102",
        maint,
        50,
        Priority.MEDIUM,
    )
    workorders.accept(maint, order, now=ago(49))
    workorders.start(maint, order, now=ago(30))
    evidence = [photo(31, tint=(90, 170, 90), name="呼吸阀检查.png")]
    out.append(
        workorders.complete(
            maint, order, "阀盘、阻火网清洁，动作压力 +1.8/−0.3 kPa 正常。", evidence, now=ago(27)
        )
    )
    order = manual(
        "LA-303 鹤管快速接头密封圈更换",
        "甲醇鹤管快速接头密封圈老化渗漏。",
        "LA-303",
        maint,
        120,
        Priority.HIGH,
    )
    workorders.accept(maint, order, now=ago(119))
    workorders.start(maint, order, now=ago(118))
    evidence = [photo(32, tint=(90, 170, 90), name="更换后.png")]
    workorders.complete(maint, order, "已更换氟橡胶密封圈，试压无渗漏。", evidence, now=ago(115))
    out.append(workorders.verify(manager, order, "复查无渗漏，验收通过。", now=ago(100)))
    return out


# --- AI inspection assistant --------------------------------------------------------------------
def signal_faults(now: dt.datetime) -> list[sc.Fault]:
    """The demo history's story: P-202's bearing wearing since three and a half days ago (the
    inspection found it vibrating two days ago), and T-101's spray cooling lost for six hours
    yesterday afternoon, then restored."""
    now_ms = int(now.timestamp() * 1000)
    day_ms = 86_400_000
    tz = cycles.zone()
    yesterday_13 = dt.datetime.combine(now.astimezone(tz).date() - dt.timedelta(1), dt.time(13, 0), tzinfo=tz)
    return [
        sc.Fault(sc.BEARING_WEAR, "P-202", now_ms - int(3.5 * day_ms), int(4.5 * 86_400)),
        sc.Fault(sc.COOLING_FAILURE, "T-101", int(yesterday_13.timestamp() * 1000), 6 * 3600),
    ]


def _signals(site: Site, equipment: dict[str, Equipment], now: dt.datetime) -> tuple[int, int]:
    targets = targets_of({code: e.type for code, e in equipment.items()})  # the tanks and pumps
    generator = SignalGenerator(targets, seed=0, faults=signal_faults(now))
    steps = int(dt.timedelta(days=SIGNAL_DAYS) / SIGNAL_EVERY)
    times = [now - SIGNAL_EVERY * k for k in range(steps, -1, -1)]
    count = 0
    by_equipment: dict[str, list[dict[str, Any]]] = {}
    for at in times:
        for code, kind, data in generator.at(int(at.timestamp() * 1000)):
            by_equipment.setdefault(code, []).append(
                {
                    "equipment": equipment[code],
                    "kind": kind,
                    "taken_at": at,
                    "source": SIGNAL_SOURCE,
                    "data": data,
                }
            )
    batch: list[dict[str, Any]] = []
    for rows in by_equipment.values():
        if len(batch) + len(rows) > assistant.MAX_SIGNALS:
            count += len(assistant.ingest_signals(None, batch))
            batch = []
        batch.extend(rows)
    if batch:
        count += len(assistant.ingest_signals(None, batch))
    scores = 0
    for at in times[:-1][::-1][SCORE_EVERY - 1 :: SCORE_EVERY][::-1]:  # now − 4 h, now − 8 h, …
        for target in targets:
            assistant.assess_equipment(equipment[target.equipment], at)
            scores += 1
    return count, scores + len(targets)


# --- the daily health report --------------------------------------------------------------------
def _report(site: Site, people: dict[str, User], now: dt.datetime) -> None:
    reports.configure(
        None, site, send_at=REPORT_SEND_AT, subscribers=[people[demo.EHS_DIRECTOR], people[SAFETY_OFFICER]]
    )
    yesterday = now.astimezone(cycles.zone()).date() - dt.timedelta(1)
    reports.build_report(site, yesterday, now)
