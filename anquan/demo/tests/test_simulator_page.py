"""The simulator page (模拟器): who may open it, injecting with validation, cancelling, the list.

The lead mounts ``anquan.demo.web.urls`` at ``/demo/``; until then these tests mount it themselves.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import include, path, reverse

from anquan.conftest import World
from anquan.demo import simulate
from anquan.demo.models import FaultInjection, FaultStatus
from anquan.platform.models import AuditEntry

urlpatterns = [path("demo/", include("anquan.demo.web.urls")), path("", include("anquan.config.urls"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def url(world: World) -> str:
    return f"{reverse('demo:simulator')}?site={world.site_a.pk}"


@pytest.mark.parametrize("who", ["operator_a", "worker_a1", "officer_a", "expert", "contractor_a"])
def test_people_who_do_not_configure_monitoring_get_403_and_cannot_inject(world: World, who: str) -> None:
    client = world.client(who)

    assert client.get(url(world)).status_code == 403
    response = client.post(
        reverse("demo:simulator"),
        {"site": world.site_a.pk, "scenario": "stuck_sensor", "equipment": world.equipment["T-101"].pk,
         "in_minutes": 0, "severity": 1},
    )  # fmt: skip
    assert response.status_code == 403
    assert not FaultInjection.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = world.client(None).get(url(world))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_administrator_sees_the_scenarios_and_injects_one(world: World) -> None:
    client = world.client("admin_a")

    page = client.get(url(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert "模拟器" in html and "故障场景" in html and "变送器漂移" in html and "还没有故障注入。" in html

    response = client.post(
        reverse("demo:simulator"),
        {"site": world.site_a.pk, "scenario": "sensor_drift", "equipment": world.equipment["T-101"].pk,
         "in_minutes": "5", "duration_minutes": "90", "severity": "1.5", "tag": "TI-101", "mode": "up"},
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == url(world)
    injection = FaultInjection.objects.get()
    assert (injection.scenario, injection.equipment, injection.duration_s) == (
        "sensor_drift",
        world.equipment["T-101"],
        5400,
    )
    assert injection.params == {"severity": 1.5, "tag": "TI-101", "mode": "up"}
    assert injection.created_by == world.users["admin_a"] and injection.status == FaultStatus.SCHEDULED
    assert (
        AuditEntry.objects.filter(model="demo.faultinjection", actor_id=world.users["admin_a"].pk).count()
        == 1
    )
    listed = client.get(url(world)).content.decode()
    assert f"#{injection.pk} 变送器漂移" in listed and "已计划故障注入" in listed


def test_a_scenario_that_does_not_fit_the_equipment_is_refused_on_its_field(world: World) -> None:
    response = world.client("admin_a").post(
        reverse("demo:simulator"),
        {"site": world.site_a.pk, "scenario": "cooling_failure", "equipment": world.equipment["T-101"].pk,
         "in_minutes": 0, "severity": 1},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "equipment": ["冷却水中断只能注入在同时有冷却水流量和温度测点的设备上（如储罐、电解槽）。"]
    }
    assert not FaultInjection.objects.exists()


def test_numbers_out_of_bounds_are_refused_by_the_form(world: World) -> None:
    response = world.client("admin_a").post(
        reverse("demo:simulator"),
        {"site": world.site_a.pk, "scenario": "stuck_sensor", "equipment": world.equipment["T-101"].pk,
         "in_minutes": "-3", "severity": "9", "duration_minutes": "abc"},
    )  # fmt: skip

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"in_minutes", "severity", "duration_minutes"}
    assert not FaultInjection.objects.exists()


def test_an_area_manager_injects_only_on_the_equipment_of_their_area(world: World) -> None:
    client = world.client("manager_a1")

    page = client.get(url(world))
    assert page.status_code == 200
    assert list(page.context["form"].fields["equipment"].queryset) == [world.equipment["T-101"]]
    response = client.post(
        reverse("demo:simulator"),
        {"site": world.site_a.pk, "scenario": "stuck_sensor", "equipment": world.equipment["P-201"].pk,
         "in_minutes": 0, "severity": 1},
    )  # fmt: skip
    assert response.status_code == 400 and "equipment" in response.context["form"].errors
    assert not FaultInjection.objects.exists()


def test_another_sites_administrator_cannot_reach_this_site(world: World) -> None:
    assert world.client("admin_b").get(url(world)).status_code == 404


def test_the_list_shows_what_the_viewer_configures_and_refreshes_alone(world: World) -> None:
    pump = simulate.inject(None, site=world.site_a, scenario="stuck_sensor", equipment="P-201")
    tank = simulate.inject(None, site=world.site_a, scenario="stuck_sensor", equipment="T-101")

    partial = world.client("manager_a1").get(f"{reverse('demo:simulator-injections')}?site={world.site_a.pk}")

    assert partial.status_code == 200
    assert [r["obj"] for r in partial.context["rows"]] == [tank]
    assert f"#{pump.pk}" not in partial.content.decode()
    assert world.client("operator_a").get(reverse("demo:simulator-injections")).status_code == 403


def test_the_ground_truth_is_shown_once_the_simulator_wrote_it(world: World) -> None:
    injection = simulate.inject(
        None, site=world.site_a, scenario="sensor_drift", equipment="T-101", tag="TI-101"
    )
    simulate._transition(
        injection,
        FaultStatus.RUNNING,
        {
            "tag": "TI-101", "mode": "up", "started_at": "2026-07-15T10:00:00+08:00",
            "first_crossing": {"tag": "TI-101", "level": "h", "at_ms": 0, "at": "2026-07-15T12:30:00+08:00"},
            "tags": [{"tag": "TI-101", "equipment": "T-101", "direction": "up",
                      "onset": "2026-07-15T10:00:10+08:00", "noticeable": "2026-07-15T10:20:00+08:00",
                      "peak": 47.2, "normal": 28.1, "crossings_at": {"h": "2026-07-15T12:30:00+08:00", "hh": None},
                      "out_of_range": False}],
        },
    )  # fmt: skip

    html = world.client("admin_a").get(url(world)).content.decode()

    assert "首个越限：TI-101 H，07-15 12:30:00" in html
    assert "受影响测点 1 个" in html and "28.1 → 47.2" in html
    assert "进行中" in html


def test_cancelling_a_scheduled_injection(world: World) -> None:
    injection = simulate.inject(
        None, site=world.site_a, scenario="stuck_sensor", equipment="T-101", in_minutes=30
    )
    client = world.client("admin_a")

    response = client.post(reverse("demo:simulator-cancel", args=[injection.pk]), {"site": world.site_a.pk})

    assert response.status_code == 302
    injection.refresh_from_db()
    assert injection.status == FaultStatus.CANCELLED
    again = client.post(
        reverse("demo:simulator-cancel", args=[injection.pk]), {"site": world.site_a.pk}, follow=True
    )
    assert "只能取消已计划或进行中的故障注入。" in again.content.decode()
    assert (
        world.client("operator_a").post(reverse("demo:simulator-cancel", args=[injection.pk])).status_code
        == 403
    )


def test_without_the_demo_site_the_command_line_asks_for_a_site(world: World) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("simulate", "inject", "stuck_sensor", "--equipment", "T-101", stdout=StringIO())

    assert caught.value.returncode == 2 and "演示场所尚未加载" in str(caught.value)
