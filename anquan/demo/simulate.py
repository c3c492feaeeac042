"""The plant simulator for a site of the platform: the Django side of ``anquan.simulator``.

- ``spec_for_site`` turns a site's equipment, tags and process links into the simulator's
  ``PlantSpec`` (for the demo site adding what ``anquan.demo.site`` knows beyond the database:
  tank sizes and roofs, and the normal windows stated on the process cards);
- ``inject`` / ``cancel`` schedule and withdraw fault injections (``FaultInjection``): a service
  that checks monitoring.configure on the equipment's area, validates the scenario against the
  equipment, audits, and lets the running simulator pick the fault up;
- ``LiveRunner`` drives the tags in real time (or ``speed`` times faster), publishing through MQTT
  (``MqttPublisher``) or the HTTP ingest endpoint (``HttpPublisher``) exactly as a plant's gateway
  would, plays scheduled faults when their time comes and writes what they really did
  (``ground_truth``);
- ``write_site_history`` writes a month (or any span) of history as CSV with its ground truth.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import re
import threading
import time
import zoneinfo
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anquan.demo import site as demo
from anquan.demo.models import FaultInjection, FaultStatus
from anquan.inspections import assistant
from anquan.org.access import Access, Paths, place_of_area, place_of_site
from anquan.org.models import Site
from anquan.org.roles import MONITOR_CONFIGURE
from anquan.plant.models import Equipment, ProcessLink, SensorTag
from anquan.platform import audit
from anquan.simulator import noise
from anquan.simulator import scenarios as sc
from anquan.simulator import spec as s
from anquan.simulator.history import HistoryResult, write_history
from anquan.simulator.inspection import SignalGenerator, targets_of
from anquan.simulator.plant import Plant
from anquan.simulator.truth import ground_truth, iso

logger = logging.getLogger(__name__)

# --- Words ------------------------------------------------------------------------------------
SCENARIO_LABELS = {
    sc.H2_LEAK: gettext_lazy("氢气法兰缓慢泄漏"),
    sc.COOLING_FAILURE: gettext_lazy("冷却水中断"),
    sc.BEARING_WEAR: gettext_lazy("轴承磨损"),
    sc.SENSOR_DRIFT: gettext_lazy("变送器漂移"),
    sc.STUCK_SENSOR: gettext_lazy("测量值卡死"),
    sc.INSTRUMENT_FAILURE: gettext_lazy("仪表故障（超量程/失效）"),
    sc.INTERLOCK_FAILURE: gettext_lazy("联锁拒动（压缩机超压未停机）"),
}
SCENARIO_HELP = {
    sc.H2_LEAK: gettext_lazy(
        "法兰垫片缓慢失效：附近氢气探测器浓度按距离和风速逐渐上升，上游压力轻微下降。适用于氢气介质的设备。"
    ),
    sc.COOLING_FAILURE: gettext_lazy(
        "冷却水（罐壁喷淋或碱液冷却器）中断：冷却水流量下降，随后温度上升，固定顶储罐的气相压力和罐区可燃气体浓度随之升高。"
    ),
    sc.BEARING_WEAR: gettext_lazy("泵或压缩机轴承劣化：振动先缓慢、后加速上升，电机电流和轴承温度随后爬升。"),
    sc.SENSOR_DRIFT: gettext_lazy("变送器零点漂移：一个测点的读数线性偏离真实值，过程本身正常。"),
    sc.STUCK_SENSOR: gettext_lazy("变送器卡死：一个测点的读数保持不变，不再反映过程变化。"),
    sc.INSTRUMENT_FAILURE: gettext_lazy(
        "仪表回路故障：先是间歇性跳变，随后读数固定在超量程（21 mA）、欠量程（3.6 mA）或零值。"
    ),
    sc.INTERLOCK_FAILURE: gettext_lazy(
        "压缩机出口阀误关憋压：排气压力升过高高联锁值，联锁却未停机，电机电流不降反升，直至故障结束时人工停机。"
    ),
}
MODE_LABELS = {
    "up": gettext_lazy("向上漂移"),
    "down": gettext_lazy("向下漂移"),
    "high": gettext_lazy("超量程（21 mA）"),
    "low": gettext_lazy("欠量程（3.6 mA）"),
    "dead": gettext_lazy("回路失效（读数为零）"),
}
# Why a scenario cannot be played, by the form field the message belongs to.
REASONS: dict[str, tuple[str, Any]] = {
    sc.UNKNOWN_SCENARIO: ("scenario", gettext_lazy("未知的故障场景。")),
    sc.UNKNOWN_EQUIPMENT: ("equipment", gettext_lazy("该设备不属于本场所。")),
    sc.NOT_HYDROGEN: (
        "equipment",
        gettext_lazy("氢气泄漏只能注入在氢气介质的电解槽、压缩机、压力容器、阀门、管道或换热器上。"),
    ),
    sc.NOT_PLACED: ("equipment", gettext_lazy("该设备没有平面图坐标，无法按距离计算附近探测器的浓度。")),
    sc.NO_DETECTOR: ("equipment", gettext_lazy("该设备 100 米范围内没有氢气或可燃气体探测器。")),
    sc.NO_COOLING: (
        "equipment",
        gettext_lazy("冷却水中断只能注入在同时有冷却水流量和温度测点的设备上（如储罐、电解槽）。"),
    ),
    sc.NOT_ROTATING: ("equipment", gettext_lazy("轴承磨损只能注入在带振动测点的泵、压缩机或其驱动电机上。")),
    sc.NO_TRIP: (
        "equipment",
        gettext_lazy("联锁拒动只能注入在有排气压力（带高高限）和电机电流测点的压缩机上。"),
    ),
    sc.NO_TAGS: ("equipment", gettext_lazy("该设备没有测点，无法模拟仪表故障。")),
    sc.UNKNOWN_TAG: ("tag", gettext_lazy("该测点不属于所选设备。")),
    sc.BAD_MODE: ("mode", gettext_lazy("该故障场景不支持所选模式。")),
    sc.BAD_SEVERITY: ("severity", gettext_lazy("严重程度须在 0.1～5 之间。")),
    sc.BAD_DURATION: ("duration_minutes", gettext_lazy("持续时间须在 1 分钟～7 天之间。")),
}
MAX_DELAY_MINUTES = 7 * 24 * 60
RECENT_INJECTIONS = 50

# --- The plant as the simulator sees it --------------------------------------------------------
# Normal operating windows of demo tags, from the process-card notes in anquan.demo.site; other
# tags run well inside their alarm limits.
DEMO_NORMAL_WINDOWS: dict[str, tuple[float, float]] = {
    "PI-103": (0.3, 0.6),  # 氮封正常 0.3–0.6 kPa
    "TI-401": (82.0, 88.0),  # 正常 85±5 °C (kept inside the 90 °C H limit)
    "PI-401": (1.58, 1.62),  # 工作压力 1.6 MPa
    "LI-401": (45.0, 55.0),
    "AI-401": (0.1, 0.3),  # 氢中氧，正常远低于 0.5 %
    "FI-411": (100.0, 130.0),  # 设计 120 m³/h
    "PI-402": (3.9, 4.05),  # 额定排气压力 4.0 MPa
    "TI-402": (100.0, 118.0),
    "VI-402": (2.0, 3.5),
    "PI-403": (3.5, 3.85),
    "FI-504": (450.0, 600.0),  # 正常 450–600 m³/h
    "PI-504": (0.38, 0.46),
    "LI-501": (1.9, 2.3),
}


def demo_site() -> Site | None:
    return Site.objects.filter(enterprise__code=demo.ENTERPRISE["code"], code=demo.SITE["code"]).first()


def utc_offset_h(at: dt.datetime | None = None) -> float:
    """The platform time zone's offset from UTC (hours) — the site's local time."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offset = (at or timezone.now()).astimezone(zone).utcoffset()
    return offset.total_seconds() / 3600.0 if offset is not None else 0.0


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def spec_for_site(site: Site) -> s.PlantSpec:
    """The site's plant as the simulator's ``PlantSpec`` (sorted by code, so the same plant always
    gives the same spec whatever the database's collation)."""
    is_demo = site.code == demo.SITE["code"] and site.enterprise.code == demo.ENTERPRISE["code"]
    rows = sorted(
        Equipment.objects.filter(area__site=site).select_related("area"), key=lambda e: (e.code, e.pk)
    )
    # Codes are unique per area; the rare repeat within a site is told apart by its area.
    seen: set[str] = set()
    names: dict[int, str] = {}
    for eq in rows:
        names[eq.pk] = eq.code if eq.code not in seen else f"{eq.code}@{eq.area.code}"
        seen.add(eq.code)
    equipment = tuple(
        s.Equipment(
            names[eq.pk],
            eq.type,
            eq.medium,
            eq.map_x,
            eq.map_y,
            eq.status,
            _tank_params(eq.code) if is_demo else {},
        )
        for eq in rows
    )
    tags = tuple(
        s.Tag(
            t.tag,
            names[t.equipment_id],
            t.kind,
            t.unit,
            float(t.range_low),
            float(t.range_high),
            t.sample_interval_s,
            _f(t.ll),
            _f(t.l),
            _f(t.h),
            _f(t.hh),
            DEMO_NORMAL_WINDOWS.get(t.tag) if is_demo else None,
        )
        for t in sorted(SensorTag.objects.filter(site=site), key=lambda t: t.tag)
        if t.equipment_id in names
    )
    links = tuple(
        sorted(
            (
                s.Link(names[link.source_id], names[link.target_id], link.kind, link.medium)
                for link in ProcessLink.objects.filter(source__area__site=site)
                if link.source_id in names and link.target_id in names
            ),
            key=lambda link: (link.source, link.target, link.kind),
        )
    )
    return s.PlantSpec(site.code, equipment, tags, links, utc_offset_h())


def _tank_params(code: str) -> dict[str, float]:
    tank = next((t for t in demo.TANKS if t.code == code), None)
    if tank is None:
        return {}
    return {
        "diameter_m": float(tank.diameter_m),
        "height_m": float(tank.height_m),
        "floating_roof": 1.0 if tank.roof == "internal_floating" else 0.0,
    }


def demo_spec() -> s.PlantSpec:
    """The demo site's plant straight from ``anquan.demo.site`` (no database): what
    ``spec_for_site`` gives for a freshly loaded demo site."""
    equipment = tuple(
        s.Equipment(
            e.code, str(e.type), e.medium, float(e.x), float(e.y), str(e.status), _tank_params(e.code)
        )
        for e in sorted(demo.EQUIPMENT, key=lambda e: e.code)
    )
    tags = tuple(
        s.Tag(
            t.tag,
            t.equipment,
            str(t.kind),
            t.unit,
            float(t.range_low),
            float(t.range_high),
            t.sample_interval_s,
            _f(t.ll),
            _f(t.l),
            _f(t.h),
            _f(t.hh),
            DEMO_NORMAL_WINDOWS.get(t.tag),
        )
        for t in sorted(demo.TAGS, key=lambda t: t.tag)
    )
    links = tuple(
        s.Link(link.source, link.target, str(link.kind), link.medium)
        for link in sorted(demo.LINKS, key=lambda link: (link.source, link.target, str(link.kind)))
    )
    return s.PlantSpec(demo.SITE["code"], equipment, tags, links, utc_offset_h())


# --- Injections: reads --------------------------------------------------------------------------
INJECTION_PATHS = Paths(site="site", area="equipment__area")
EQUIPMENT_PATHS = Paths(site="area__site", area="area")


def configurable_sites(user: Any) -> QuerySet[Site]:
    """Sites where ``user`` may inject faults (monitoring.configure reaches part of them)."""
    ids = Access.of(user).site_ids(MONITOR_CONFIGURE)
    qs = Site.objects.select_related("enterprise").order_by("enterprise__code", "code")
    return qs if ids is None else qs.filter(pk__in=ids)


def configurable_equipment(user: Any, site: Site) -> QuerySet[Equipment]:
    qs = Equipment.objects.filter(area__site=site).select_related("area__site").order_by("code")
    return Access.of(user).filter(qs, MONITOR_CONFIGURE, EQUIPMENT_PATHS)


def injections(user: Any, site: Site) -> QuerySet[FaultInjection]:
    """The site's injections ``user`` may see: on equipment in their monitoring.configure scope
    (site-wide grants also see site-wide ones without equipment)."""
    qs = (
        FaultInjection.objects.filter(site=site)
        .select_related("equipment", "created_by")
        .order_by("-start_at", "-pk")
    )
    access = Access.of(user)
    q = access.q(MONITOR_CONFIGURE, INJECTION_PATHS)
    if q is None:
        return qs
    site_wide = access.covers(MONITOR_CONFIGURE, place_of_site(site))
    return qs.filter(q | Q(equipment__isnull=True)) if site_wide else qs.filter(q)


# --- Injections: writes -----------------------------------------------------------------------
def _reason_error(reason: str) -> ValidationError:
    field, message = REASONS[reason]
    return ValidationError({field: str(message)})


def inject(
    actor: Any,
    *,
    site: Site,
    scenario: str,
    equipment: Equipment | str,
    in_minutes: float = 0,
    duration_minutes: float | None = None,
    severity: float = 1.0,
    tag: str | None = None,
    mode: str | None = None,
    seed: int = 0,
    spec: s.PlantSpec | None = None,
) -> FaultInjection:
    """Schedule ``scenario`` on ``equipment`` to start in ``in_minutes`` (the running simulator
    plays it). ``actor`` None is the system (the command line, the simulator's own schedule)."""
    if isinstance(equipment, str):
        found = Equipment.objects.filter(area__site=site, code=equipment).select_related("area__site").first()
        if found is None:
            raise _reason_error(sc.UNKNOWN_EQUIPMENT)
        equipment = found
    if equipment.area.site_id != site.pk:
        raise _reason_error(sc.UNKNOWN_EQUIPMENT)
    if actor is not None:
        Access.of(actor).require(MONITOR_CONFIGURE, place_of_area(equipment.area))
    if scenario not in sc.SCENARIOS:
        raise _reason_error(sc.UNKNOWN_SCENARIO)
    if not (0 <= in_minutes <= MAX_DELAY_MINUTES):
        raise ValidationError({"in_minutes": _("开始时间须在现在起 0 分钟～7 天之内。")})
    if duration_minutes is None:
        duration_s = sc.SCENARIOS[scenario].default_duration_s
    elif not math.isfinite(duration_minutes):
        raise _reason_error(sc.BAD_DURATION)
    else:
        duration_s = round(duration_minutes * 60)
    if not math.isfinite(severity):
        raise _reason_error(sc.BAD_SEVERITY)
    tag = tag or None
    mode = mode or None
    reason = sc.check(
        spec or spec_for_site(site), scenario, equipment.code, tag=tag, mode=mode, severity=severity,
        duration_s=duration_s,
    )  # fmt: skip
    if reason is not None:
        raise _reason_error(reason)
    params: dict[str, Any] = {"severity": severity}
    if tag:
        params["tag"] = tag
    if mode:
        params["mode"] = mode
    with transaction.atomic():
        injection = FaultInjection.objects.create(
            site=site,
            scenario=scenario,
            equipment=equipment,
            params=params,
            start_at=timezone.now() + dt.timedelta(minutes=in_minutes),
            duration_s=duration_s,
            seed=seed,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record_create(actor, injection)
    return injection


def cancel(actor: Any, injection: FaultInjection) -> FaultInjection:
    """Withdraw a scheduled injection, or stop a running one (the simulator repairs the fault)."""
    if actor is not None:
        if injection.equipment is not None:
            Access.of(actor).require(MONITOR_CONFIGURE, place_of_area(injection.equipment.area))
        else:
            Access.of(actor).require(MONITOR_CONFIGURE, place_of_site(injection.site))
    with transaction.atomic():
        locked = FaultInjection.objects.select_for_update().get(pk=injection.pk)
        if locked.status not in (FaultStatus.SCHEDULED, FaultStatus.RUNNING):
            raise ValidationError(_("只能取消已计划或进行中的故障注入。"))
        old = locked.status
        locked.status = FaultStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit.record_transition(actor, locked, "status", old, locked.status)
    return locked


def _transition(injection: FaultInjection, status: str, truth: dict[str, Any] | None = None) -> bool:
    """The simulator moves an injection on; False if someone cancelled it meanwhile."""
    with transaction.atomic():
        locked = FaultInjection.objects.select_for_update().filter(pk=injection.pk).first()
        if locked is None or locked.status == FaultStatus.CANCELLED:
            return False
        old = locked.status
        fields = ["status"]
        locked.status = status
        if truth is not None:
            locked.ground_truth = truth
            fields.append("ground_truth")
        locked.save(update_fields=fields)
        if old != status:
            audit.record_transition(None, locked, "status", old, status)
    injection.status = status
    if truth is not None:
        injection.ground_truth = truth
    return True


def fault_of(injection: FaultInjection, start_ms: int) -> sc.Fault:
    params = injection.params or {}
    return sc.Fault(
        scenario=injection.scenario,
        equipment=injection.equipment.code if injection.equipment else "",
        start_ms=start_ms,
        duration_s=injection.duration_s,
        severity=float(params.get("severity", 1.0)),
        seed=injection.seed,
        tag=params.get("tag") or None,
        mode=params.get("mode") or None,
    )


# --- Publishing ---------------------------------------------------------------------------------
Payload = dict[str, Any] | list[dict[str, Any]]


class Publisher(Protocol):
    def start(self) -> None: ...
    def publish(self, site: str, equipment: str, payload: Payload) -> None: ...
    def flush(self) -> None: ...
    def stop(self) -> None: ...


def topic(site: str, equipment: str) -> str:
    return f"anquan/{site}/{equipment}"


class MqttPublisher:
    """Publishes to ``anquan/<site>/<equipment>`` at QoS 1. paho reconnects on its own with a
    bounded back-off (1 s doubling to 30 s); while the broker is away up to ``queue`` messages
    wait in memory and are sent on reconnection, beyond that the oldest readings are dropped and
    counted — never an exception in the simulator's loop."""

    def __init__(self, url: str, *, client_id: str = "", queue: int = 20_000) -> None:
        import paho.mqtt.client as mqtt

        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(_("MQTT 地址须以 mqtt:// 或 mqtts:// 开头：%(url)s") % {"url": url})
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if parts.scheme in ("mqtts", "ssl") else 1883)
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"anquan-simulator-{int(time.time() * 1000) % 10**9}",
            protocol=mqtt.MQTTv311,
        )
        if parts.username:
            self.client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
        if parts.scheme in ("mqtts", "ssl"):
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.max_queued_messages_set(queue)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.stopping = False
        self.last: Any = None
        self.sent = 0
        self.dropped = 0

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not getattr(reason, "is_failure", False):
            self.connected.set()
            logger.info("simulator connected to MQTT %s:%s", self.host, self.port)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self.connected.is_set() and not self.stopping:
            logger.warning("simulator lost MQTT %s:%s (%s); reconnecting", self.host, self.port, reason)
        self.connected.clear()

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def publish(self, site: str, equipment: str, payload: Payload) -> None:
        try:
            info = self.client.publish(topic(site, equipment), json.dumps(payload), qos=1)
        except (OSError, ValueError) as exc:  # a socket error surfaces here on some platforms
            logger.warning("MQTT publish failed: %s", exc)
            self.dropped += 1
            return
        from paho.mqtt.client import MQTT_ERR_NO_CONN, MQTT_ERR_SUCCESS

        if info.rc in (MQTT_ERR_SUCCESS, MQTT_ERR_NO_CONN):  # NO_CONN: queued until reconnection
            self.sent += 1
            self.last = info
        else:
            self.dropped += 1

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        self.stopping = True
        if self.last is not None and self.connected.is_set():
            with contextlib.suppress(RuntimeError, ValueError):  # let the last readings reach the broker
                self.last.wait_for_publish(timeout=2.0)
        self.client.disconnect()
        self.client.loop_stop()


class HttpPublisher:
    """Posts batches to the HTTP ingest endpoint with a gateway key. When the server cannot be
    reached the batch waits (at most ``buffer`` readings, oldest dropped first) and is retried
    with a back-off of 1 s doubling to 30 s."""

    def __init__(self, url: str, key: str, *, buffer: int = 200_000, timeout: float = 5.0) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise ValueError(_("HTTP 地址须以 http:// 或 https:// 开头：%(url)s") % {"url": url})
        self.url = url
        self.client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {key}"})
        self.pending: deque[dict[str, Any]] = deque()
        self.pending_readings = 0
        self.buffer = buffer
        self.batch: list[dict[str, Any]] = []
        self.backoff = 0.0
        self.retry_at = 0.0
        self.sent = 0
        self.dropped = 0
        self.clock: Callable[[], float] = time.monotonic

    def start(self) -> None:
        pass

    def publish(self, site: str, equipment: str, payload: Payload) -> None:
        self.batch.extend(payload if isinstance(payload, list) else [payload])

    def flush(self) -> None:
        for item in self.batch:
            self.pending.append(item)
            self.pending_readings += len(item["values"])
        self.batch = []
        while self.pending_readings > self.buffer and self.pending:
            dropped = self.pending.popleft()
            self.pending_readings -= len(dropped["values"])
            self.dropped += len(dropped["values"])
        if not self.pending or self.clock() < self.retry_at:
            return
        body = list(self.pending)
        try:
            response = self.client.post(self.url, json=body)
        except Exception as exc:
            self._back_off(f"{type(exc).__name__}: {exc}")
            return
        if response.status_code >= 500 or response.status_code == 429:
            self._back_off(f"HTTP {response.status_code}")
            return
        if response.status_code >= 400:  # a rejected batch (wrong key, bad payload) is not retried
            logger.error("ingest refused the batch: HTTP %s %s", response.status_code, response.text[:200])
            self.dropped += self.pending_readings
        else:
            self.sent += self.pending_readings
        self.pending.clear()
        self.pending_readings = 0
        self.backoff = 0.0

    def _back_off(self, why: str) -> None:
        self.backoff = min(30.0, max(1.0, self.backoff * 2))
        self.retry_at = self.clock() + self.backoff
        logger.warning("ingest unreachable (%s); retrying in %.0f s", why, self.backoff)

    def stop(self) -> None:
        self.retry_at = 0.0
        self.flush()
        self.client.close()


# --- The live simulator -----------------------------------------------------------------------
CATCH_UP_S = 60.0  # after a stall, publish at most this much of the missed (model) time
KEEP_AFTER_END_S = 12 * 3600.0  # a fault's after-effects (a tank cooling down) play this long
SIGNALS_EVERY_S = 600.0  # the inspection robot's round: thermal, acoustic and gas signals every 10 min
SIGNALS_SOURCE = "巡检机器人 XJ-01（模拟）"
MAX_TRUTH_POINTS = 40_000  # per tag; longer faults are checked on a coarser multiple of the grid
EVERY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_every(text: str) -> float:
    """'6h', '30m', '90s', '1d' → seconds."""
    match = EVERY_PATTERN.match(text.lower())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(_("时间间隔格式应为数字加单位，如 6h、30m、90s、1d：%(text)s") % {"text": text})
    return float(match.group(1)) * UNIT_S[match.group(2)]


class LiveRunner:
    """Drives a site's tags: each tag on its own sample interval (multiples of it since the epoch,
    as a real DCS scans), grouped per equipment in ThingsBoard-style payloads.

    With ``speed`` N the plant's clock runs N times faster than the wall clock (faults develop N
    times faster); readings still carry wall-clock timestamps, so the platform stores them as
    live data.
    """

    def __init__(
        self,
        site: Site,
        publisher: Publisher,
        *,
        seed: int = 0,
        speed: float = 1.0,
        faults_every_s: float | None = None,
        signals_every_s: float | None = SIGNALS_EVERY_S,
        poll_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        out: Callable[[str], None] | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.site = site
        self.publisher = publisher
        self.spec = spec_for_site(site)
        self.plant = Plant(self.spec, seed=seed)
        self.seed = seed
        self.speed = speed
        self.faults_every_s = faults_every_s
        self.poll_s = poll_s
        self.clock = clock
        self.out = out or (lambda line: None)
        self.origin_ms = int(clock() * 1000)
        self.groups: dict[int, list[str]] = {}
        for tag in self.spec.tags:
            self.groups.setdefault(tag.sample_interval_s * 1000, []).append(tag.code)
        self.equipment_of = {t.code: t.equipment for t in self.spec.tags}
        origin = self.origin_ms
        self.next_ms = {step: -(-origin // step) * step for step in self.groups}
        self.active: dict[int, sc.Fault] = {}
        self.ended: dict[int, sc.Fault] = {}
        self.last_poll = -math.inf
        self.last_random = origin
        self.signals_every_s = signals_every_s
        self.signal_targets = targets_of({e.code: e.type for e in self.spec.equipment})
        self.last_signals = -math.inf
        self.signals_posted = 0
        self.random_count = 0
        self.published = 0

    # --- clocks -------------------------------------------------------------------------------
    def model_ms(self, wall_ms: float) -> int:
        return int(self.origin_ms + (wall_ms - self.origin_ms) * self.speed)

    def wall_ms(self, model_ms: float) -> int:
        return round(self.origin_ms + (model_ms - self.origin_ms) / self.speed)

    # --- publishing ---------------------------------------------------------------------------
    def tick(self, wall_ms: int) -> int:
        """Publish every reading due up to ``wall_ms``; returns how many."""
        target = self.model_ms(wall_ms)
        per_equipment: dict[str, dict[int, dict[str, float]]] = {}
        count = 0
        for step, codes in self.groups.items():
            first = self.next_ms[step]
            if first > target:
                continue
            oldest = target - int(CATCH_UP_S * 1000 * self.speed)
            if first < oldest:
                first = -(-oldest // step) * step
            times = np.arange(first, target + 1, step, dtype=np.int64)
            self.next_ms[step] = int(times[-1]) + step if times.size else first
            if not times.size:
                continue
            values = self.plant.sample(times, codes)
            for code in codes:
                readings = per_equipment.setdefault(self.equipment_of[code], {})
                for t, v in zip(times.tolist(), values[code].tolist(), strict=True):
                    readings.setdefault(self.wall_ms(t), {})[code] = v
            count += times.size * len(codes)
        for equipment, by_ts in sorted(per_equipment.items()):
            items = [{"ts": ts, "values": by_ts[ts]} for ts in sorted(by_ts)]
            self.publisher.publish(self.site.code, equipment, items[0] if len(items) == 1 else items)
        self.publisher.flush()
        self.published += count
        return count

    def next_due_wall_ms(self) -> int:
        return min(self.wall_ms(t) for t in self.next_ms.values())

    # --- faults -------------------------------------------------------------------------------
    def sync(self, wall_ms: int) -> None:
        """Play, end or drop injections as the database says (called about every second)."""
        now_model = self.model_ms(wall_ms)
        now = dt.datetime.fromtimestamp(wall_ms / 1000, tz=dt.UTC)
        rows = list(
            FaultInjection.objects.filter(site=self.site)
            .filter(Q(status__in=(FaultStatus.SCHEDULED, FaultStatus.RUNNING)) | Q(pk__in=list(self.active)))
            .select_related("equipment")
        )
        for row in rows:
            if row.status == FaultStatus.CANCELLED:
                fault = self.active.pop(row.pk, None)
                if fault is not None:
                    self.plant.remove_fault(fault)
                    self.out(_("故障注入 #%(id)s 已取消，模拟器已恢复正常。") % {"id": row.pk})
                continue
            waiting = row.status in (FaultStatus.SCHEDULED, FaultStatus.RUNNING) and row.pk not in self.active
            if waiting and row.start_at <= now:
                self._start(row)
            fault = self.active.get(row.pk)
            if fault is not None and row.status == FaultStatus.RUNNING and now_model >= fault.end_ms:
                truth = dict(row.ground_truth or {})
                truth["ended_at"] = iso(wall_ms, self.spec.utc_offset_h)
                if _transition(row, FaultStatus.ENDED, truth):
                    self.out(_("故障注入 #%(id)s 已结束。") % {"id": row.pk})
                self.ended[row.pk] = self.active.pop(row.pk)
        for pk, fault in list(self.ended.items()):
            if now_model > fault.end_ms + KEEP_AFTER_END_S * 1000:
                self.plant.remove_fault(fault)
                del self.ended[pk]

    def _start(self, row: FaultInjection) -> None:
        start_model = self.model_ms(row.start_at.timestamp() * 1000)
        try:
            fault = self.plant.add_fault(fault_of(row, start_model))
        except (ValueError, KeyError) as exc:  # the plant changed since it was scheduled
            failed: dict[str, Any] = {"error": str(exc)}
            logger.warning("injection #%s cannot be played: %s", row.pk, exc)
            _transition(row, FaultStatus.ENDED, failed)
            return
        self.active[row.pk] = fault
        truth: dict[str, Any] = self.truth(fault)
        truth["injection"] = row.pk
        truth["started_at"] = iso(self.wall_ms(start_model), self.spec.utc_offset_h)
        if not _transition(row, FaultStatus.RUNNING, truth):
            self.plant.remove_fault(fault)
            del self.active[row.pk]
            return
        label = SCENARIO_LABELS.get(row.scenario, row.scenario)
        self.out(
            _("故障注入 #%(id)s 开始：%(label)s @ %(eq)s")
            % {"id": row.pk, "label": label, "eq": fault.equipment}
        )

    def truth(self, fault: sc.Fault) -> dict[str, Any]:
        """The fault's ground truth with times as published (wall clock)."""
        longest = max(self.groups) / 1000.0
        step = None
        points = fault.duration_s / (min(self.groups) / 1000.0)
        if points > MAX_TRUTH_POINTS:
            step = float(math.ceil(fault.duration_s / MAX_TRUTH_POINTS / longest) * longest)
        truth = ground_truth(self.plant, fault, step_s=step)
        truth = _map_times(truth, self.wall_ms, self.spec.utc_offset_h)
        truth["speed"] = self.speed
        truth["site"] = self.site.code
        return truth

    def schedule_random(self, wall_ms: int) -> FaultInjection | None:
        """``--faults-every``: inject a scenario chosen by the seed on equipment it fits."""
        if self.faults_every_s is None or wall_ms - self.last_random < self.faults_every_s * 1000:
            return None
        self.last_random = wall_ms
        stream = noise.key(self.seed, "random-faults", self.site.code)
        n = self.random_count
        self.random_count += 1
        options = [(name, sc.applicable(self.spec, name)) for name in sorted(sc.SCENARIOS)]
        options = [(name, codes) for name, codes in options if codes]
        if not options:
            return None
        name, codes = options[int(noise.uniform1(stream, 2 * n) * len(options))]
        code = codes[int(noise.uniform1(stream, 2 * n + 1) * len(codes))]
        try:
            injection = inject(
                None, site=self.site, scenario=name, equipment=code, seed=self.seed + n, spec=self.spec
            )
        except ValidationError as exc:
            logger.warning("random fault %s on %s refused: %s", name, code, exc)
            return None
        self.out(_("已自动计划故障：%(label)s @ %(eq)s") % {"label": SCENARIO_LABELS[name], "eq": code})
        return injection

    # --- the AI inspection assistant's devices ------------------------------------------------
    def post_signals(self, wall_ms: int) -> int:
        """Every ``signals_every_s``: the thermal, acoustic and gas signals of the site's tanks and
        pumps, with the faults being played (bearing wear, cooling failure) showing in them, posted
        through ``inspections.assistant.ingest_signals`` (which re-scores the equipment)."""
        if self.signals_every_s is None or not self.signal_targets:
            return 0
        if wall_ms - self.last_signals < self.signals_every_s * 1000:
            return 0
        self.last_signals = wall_ms
        faults = [*self.active.values(), *self.ended.values()]
        generator = SignalGenerator(
            self.signal_targets, seed=self.seed, faults=faults, utc_offset_h=self.spec.utc_offset_h
        )
        codes = [t.equipment for t in self.signal_targets]
        equipment = {
            e.code: e
            for e in Equipment.objects.filter(area__site=self.site, code__in=codes).select_related("area")
        }
        taken_at = dt.datetime.fromtimestamp(wall_ms / 1000, tz=dt.UTC)
        rows = [
            {"equipment": equipment[code], "kind": kind, "taken_at": taken_at, "source": SIGNALS_SOURCE,
             "data": data}
            for code, kind, data in generator.at(self.model_ms(wall_ms))
            if code in equipment
        ]  # fmt: skip
        if not rows:
            return 0
        stored = len(assistant.ingest_signals(None, rows))
        self.signals_posted += stored
        return stored

    # --- the loop -----------------------------------------------------------------------------
    def run(self, stop: threading.Event, *, sleep: Callable[[float], Any] | None = None) -> None:
        wait = sleep or stop.wait
        self.publisher.start()
        self.out(
            _("模拟器正在驱动 %(site)s 的 %(n)d 个测点（%(speed)s 倍速）。Ctrl-C 停止。")
            % {"site": self.site.name, "n": len(self.spec.tags), "speed": f"{self.speed:g}"}
        )
        last_report = self.clock()
        try:
            while not stop.is_set():
                now_ms = int(self.clock() * 1000)
                if now_ms - self.last_poll >= self.poll_s * 1000:
                    self.last_poll = now_ms
                    self._guarded(self.schedule_random, now_ms)
                    self._guarded(self.sync, now_ms)
                    self._guarded(self.post_signals, now_ms)
                self._guarded(self.tick, now_ms)
                if self.clock() - last_report >= 60:
                    last_report = self.clock()
                    self.out(_("已发布 %(n)d 条读数。") % {"n": self.published})
                due = min(self.next_due_wall_ms(), self.last_poll + int(self.poll_s * 1000))
                wait(max(0.0, min(1.0, (due - self.clock() * 1000) / 1000.0)))
        finally:
            self._guarded(self.publisher.stop)

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> None:
        """One failing step (a database hiccup, a network error) never ends the simulator."""
        try:
            fn(*args)
        except Exception:
            logger.exception("simulator step failed; continuing")


def _map_times(truth: dict[str, Any], to_wall: Callable[[int], int], offset_h: float) -> dict[str, Any]:
    """Ground truth from plant time to wall-clock time (the identity at speed 1)."""

    def wall(ms: int | None) -> int | None:
        return None if ms is None else to_wall(ms)

    out = dict(truth)
    for key in ("start", "end"):
        out[f"{key}_ms"] = wall(out[f"{key}_ms"])
        out[key] = iso(out[f"{key}_ms"], offset_h)
    if out.get("first_crossing"):
        first = dict(out["first_crossing"])
        first["at_ms"] = wall(first["at_ms"])
        first["at"] = iso(first["at_ms"], offset_h)
        out["first_crossing"] = first
    rows = []
    for row in out.get("tags", []):
        row = dict(row)
        for key in ("onset", "noticeable"):
            row[f"{key}_ms"] = wall(row[f"{key}_ms"])
            row[key] = iso(row[f"{key}_ms"], offset_h)
        row["crossings"] = {level: wall(at) for level, at in row["crossings"].items()}
        row["crossings_at"] = {level: iso(at, offset_h) for level, at in row["crossings"].items()}
        rows.append(row)
    out["tags"] = rows
    return out


# --- History ------------------------------------------------------------------------------------
DEFAULT_HISTORY_START = "2026-07-01T00:00:00"  # local midnight; fixed, so the same seed gives the same bytes
FAULT_PATTERN = re.compile(r"^([a-z0-9_]+):([^:]+):(-?\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$")


def parse_start(text: str | None) -> int:
    """ISO date/time (local time when it has no offset) → epoch ms."""
    value = dt.datetime.fromisoformat(text or DEFAULT_HISTORY_START)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return int(value.timestamp() * 1000)


def parse_fault(text: str, start_ms: int, spec: s.PlantSpec) -> sc.Fault:
    """``SCENARIO:EQUIPMENT:START_HOURS:DURATION_HOURS[:SEVERITY]`` (hours from the history's start)."""
    match = FAULT_PATTERN.match(text.strip())
    if not match:
        raise ValidationError(
            _("故障格式应为 场景:设备:开始小时:持续小时[:严重程度]，如 h2_leak:FV-404:48:2 —— 收到 %(text)s")
            % {"text": text}
        )
    name, code, start_h, duration_h, severity = match.groups()
    fault = sc.Fault(
        scenario=name,
        equipment=code,
        start_ms=start_ms + round(float(start_h) * 3_600_000),
        duration_s=round(float(duration_h) * 3600),
        severity=float(severity) if severity else 1.0,
    )
    reason = sc.check(spec, name, code, severity=fault.severity, duration_s=fault.duration_s)
    if reason is not None:
        raise ValidationError(f"{text}: {REASONS[reason][1]}")
    return fault


def write_site_history(
    site: Site,
    output: str | Path,
    *,
    days: float,
    interval_s: float,
    seed: int,
    start: str | None = None,
    faults: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    spec = spec_for_site(site)
    start_ms = parse_start(start)
    played: Iterable[sc.Fault] = [parse_fault(text, start_ms, spec) for text in faults]
    return write_history(
        spec,
        output,
        seed=seed,
        start_ms=start_ms,
        days=days,
        interval_s=interval_s,
        faults=played,
        progress=progress,
    )
