"""``anquan simulate``: the site's spec, ``inject`` and ``history`` and the live mode's input checks."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from anquan.conftest import World
from anquan.demo import simulate
from anquan.demo.models import FaultInjection, FaultStatus
from anquan.org.models import Enterprise
from anquan.platform.models import AuditEntry
from anquan.simulator import Plant, every

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_the_loaded_demo_site_is_the_plant_of_the_demo_module(demo_site: Enterprise) -> None:
    site = simulate.demo_site()
    assert site is not None

    assert simulate.spec_for_site(site) == simulate.demo_spec()


def test_a_site_built_in_the_ui_is_simulated_too(world: World) -> None:
    spec = simulate.spec_for_site(world.site_a)

    assert [t.code for t in spec.tags] == ["PI-201", "TI-101"]
    assert [(link.source, link.target) for link in spec.links] == [("T-101", "P-201")]
    values = Plant(spec).sample(every(10, 1_784_000_000_000, 1_784_086_400_000))
    assert values["TI-101"].max() < 40 and values["PI-201"].max() < 1.6


def test_inject_schedules_a_fault_for_the_running_simulator(demo_site: Enterprise) -> None:
    out = run(
        "inject", "h2_leak", "--equipment", "FV-404", "--in", "5", "--duration", "30", "--severity", "1.5"
    )

    injection = FaultInjection.objects.get()
    assert (injection.scenario, injection.equipment.code, injection.duration_s) == ("h2_leak", "FV-404", 1800)
    assert injection.params == {"severity": 1.5}
    assert injection.status == FaultStatus.SCHEDULED and injection.created_by is None
    assert injection.site == simulate.demo_site()
    assert f"已计划故障注入 #{injection.pk}：氢气法兰缓慢泄漏 @ FV-404" in out
    assert AuditEntry.objects.filter(model="demo.faultinjection", object_id=str(injection.pk)).count() == 1


def test_inject_takes_a_sensor_faults_tag_and_mode_and_the_scenarios_default_duration(
    demo_site: Enterprise,
) -> None:
    run(
        "inject",
        "instrument_failure",
        "--equipment",
        "EL-401",
        "--tag",
        "LI-401",
        "--mode",
        "dead",
        "--seed",
        "4",
    )

    injection = FaultInjection.objects.get()
    assert injection.params == {"severity": 1.0, "tag": "LI-401", "mode": "dead"}
    assert (injection.duration_s, injection.seed) == (3600, 4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("flood", "--equipment", "T-101"), "未知的故障场景。"),
        (("h2_leak", "--equipment", "X-999"), "该设备不属于本场所。"),
        (("h2_leak", "--equipment", "T-101"), "氢气泄漏只能注入在氢气介质的"),
        (
            ("cooling_failure", "--equipment", "P-201"),
            "冷却水中断只能注入在同时有冷却水流量和温度测点的设备上",
        ),
        (
            ("bearing_wear", "--equipment", "T-101"),
            "轴承磨损只能注入在带振动测点的泵、压缩机或其驱动电机上。",
        ),
        (("stuck_sensor", "--equipment", "FV-404"), "该设备没有测点，无法模拟仪表故障。"),
        (("sensor_drift", "--equipment", "T-101", "--tag", "PI-201"), "该测点不属于所选设备。"),
        (("sensor_drift", "--equipment", "T-101", "--mode", "high"), "该故障场景不支持所选模式。"),
        (("h2_leak", "--equipment", "FV-404", "--severity", "7"), "严重程度须在 0.1～5 之间。"),
        (("h2_leak", "--equipment", "FV-404", "--severity", "nan"), "严重程度须在 0.1～5 之间。"),
        (("h2_leak", "--equipment", "FV-404", "--duration", "0.5"), "持续时间须在 1 分钟～7 天之间。"),
        (("h2_leak", "--equipment", "FV-404", "--in", "-1"), "开始时间须在现在起 0 分钟～7 天之内。"),
    ],
)
def test_inject_refuses_bad_input_with_exit_code_2_and_writes_nothing(
    demo_site: Enterprise, args: tuple[str, ...], message: str
) -> None:
    assert message in refused("inject", *args)
    assert not FaultInjection.objects.exists()


def test_inject_on_another_site_by_its_code(world: World) -> None:
    run("inject", "stuck_sensor", "--equipment", "T-101", "--site", "east")

    injection = FaultInjection.objects.get()
    assert injection.site == world.site_a and injection.equipment == world.equipment["T-101"]
    assert "没有编码为 nowhere 的场所。" in refused(
        "inject", "stuck_sensor", "--equipment", "T-101", "--site", "nowhere"
    )


def test_history_writes_the_csv_and_ground_truth_and_the_same_seed_gives_the_same_bytes(
    demo_site: Enterprise, tmp_path: Path
) -> None:
    args = ("history", "--days", "0.25", "--interval", "60", "--seed", "3", "--start", "2026-07-15T06:00")
    fault = ("--fault", "cooling_failure:EL-401:1:2", "--fault", "stuck_sensor:P-201:0.5:1:2")

    out = run(*args, "--output", str(tmp_path / "a"), *fault)
    run(*args, "--output", str(tmp_path / "b"), *fault)

    assert "已写入 360 行 × 82 列" in out
    digest = {d: hashlib.sha256((tmp_path / d / "history.csv").read_bytes()).hexdigest() for d in "ab"}
    assert digest["a"] == digest["b"]
    assert (tmp_path / "a" / "ground_truth.json").read_bytes() == (
        tmp_path / "b" / "ground_truth.json"
    ).read_bytes()
    truth: dict[str, Any] = json.loads((tmp_path / "a" / "ground_truth.json").read_text())
    assert truth["start"] == "2026-07-15T06:00:00+08:00"
    assert [(f["scenario"], f["equipment"], f["start"], f["severity"]) for f in truth["faults"]] == [
        ("cooling_failure", "EL-401", "2026-07-15T07:00:00+08:00", 1.0),
        ("stuck_sensor", "P-201", "2026-07-15T06:30:00+08:00", 2.0),
    ]
    lines = (tmp_path / "a" / "history.csv").read_text().splitlines()
    assert lines[1].startswith("2026-07-15T06:00:00+08:00,") and len(lines) == 361


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--fault", "h2_leak:FV-404"), "故障格式应为 场景:设备:开始小时:持续小时[:严重程度]"),
        (("--fault", "h2_leak:T-101:1:1"), "h2_leak:T-101:1:1: 氢气泄漏只能注入在"),
        (("--days", "0"), "天数和采样间隔都必须大于 0。"),
        (("--start", "yesterday"), "开始时间格式不正确"),
    ],
)
def test_history_refuses_bad_input_with_exit_code_2(
    demo_site: Enterprise, tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    assert message in refused("history", "--days", "0.01", "--output", str(tmp_path), *extra)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--via", "http"), "--via http 需要 --key（网关 API 密钥）。"),
        (("--via", "http", "--key", "k", "--url", "ftp://x"), "HTTP 地址须以 http:// 或 https:// 开头"),
        (("--mqtt-url", "amqp://x"), "MQTT 地址须以 mqtt:// 或 mqtts:// 开头"),
        (("--speed", "0"), "--speed 必须大于 0。"),
        (("--faults-every", "soon"), "时间间隔格式应为数字加单位"),
    ],
)
def test_live_mode_refuses_bad_input_with_exit_code_2(
    demo_site: Enterprise, extra: tuple[str, ...], message: str
) -> None:
    assert message in refused(*extra)


def test_durations_for_faults_every() -> None:
    assert [simulate.parse_every(t) for t in ("6h", "30m", "90s", "1d", "45")] == [21600, 1800, 90, 86400, 45]
