"""The monitoring selectors: every read scoped to the viewer, the console's order, standing alarms,
live values, and the trend resolution chosen by the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anquan.conftest import World
from anquan.monitoring import selectors, services
from anquan.monitoring.models import AlarmOccurrence, Rollup, TagLive
from anquan.monitoring.storage import write_readings
from anquan.monitoring.tests.test_web_monitoring import T0, S, feed, limit_rules
from anquan.org.roles import MONITOR_CONFIGURE, MONITOR_OPERATE

pytestmark = pytest.mark.django_db

H, D = 3_600_000, 86_400_000


@pytest.fixture
def alarms(world: World) -> dict[str, AlarmOccurrence]:
    """TI-101 H and HH (罐区, site A), PI-201 H (泵房, site A), LI-901 H (西罐区, site B)."""
    ti = limit_rules(world, "TI-101")
    pi = limit_rules(world, "PI-201")
    li = limit_rules(world, "LI-901")
    feed(world, "TI-101", 55.0)
    feed(world, "PI-201", 2.0, start=T0 + 10 * S)
    feed(world, "LI-901", 19.0, start=T0 + 20 * S)
    return {
        "ti_hh": AlarmOccurrence.objects.get(rule=ti["hh"]),
        "ti_h": AlarmOccurrence.objects.get(rule=ti["h"]),
        "pi_h": AlarmOccurrence.objects.get(rule=pi["h"]),
        "li_h": AlarmOccurrence.objects.get(rule=li["h"]),
    }


def keys(alarms: dict[str, AlarmOccurrence], qs: Any) -> set[str]:
    by_pk = {o.pk: k for k, o in alarms.items()}
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


# --- scope ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_a1", {"ti_hh", "ti_h"}),  # a team of 罐区: its area
        ("worker_a2", {"pi_h"}),  # a team of 泵房
        ("manager_a1", {"ti_hh", "ti_h"}),
        ("operator_a", {"ti_hh", "ti_h", "pi_h"}),  # site A
        ("worker_b1", {"li_h"}),
        ("ehs", {"ti_hh", "ti_h", "pi_h", "li_h"}),  # the enterprise
        ("root", {"ti_hh", "ti_h", "pi_h", "li_h"}),
        ("contractor_a", set()),  # no monitoring.view
    ],
)
def test_alarms_rules_points_and_journal_follow_the_viewers_scope(
    world: World, alarms: dict[str, AlarmOccurrence], who: str, expected: set[str]
) -> None:
    user = world.user(who)

    assert keys(alarms, selectors.occurrences(user)) == expected
    assert keys(alarms, selectors.annunciated(user)) == expected
    rule_ids = {alarms[k].rule_id for k in expected}
    assert set(selectors.journal(user).values_list("rule_id", flat=True)) == rule_ids
    visible_rules = set(selectors.rules(user).values_list("pk", flat=True))
    assert rule_ids <= visible_rules
    assert {r.area_id for r in selectors.rules(user)} == {alarms[k].area_id for k in expected}
    assert set(selectors.points(user).values_list("rule_id", flat=True)) == visible_rules


def test_capabilities_narrow_the_scope(world: World, alarms: dict[str, AlarmOccurrence]) -> None:
    assert not selectors.rules(world.user("worker_a1"), MONITOR_OPERATE).exists()
    assert {r.area_id for r in selectors.rules(world.user("leader_a1"), MONITOR_OPERATE)} == {
        world.area_a1.pk
    }
    assert not selectors.rules(world.user("operator_a"), MONITOR_CONFIGURE).exists()
    assert selectors.area_ids(world.user("manager_a1"), MONITOR_CONFIGURE) == frozenset({world.area_a1.pk})
    assert selectors.area_ids(world.user("root")) is None
    assert selectors.area_ids(world.user("contractor_a")) == frozenset()


def test_live_values_follow_the_viewers_scope(world: World) -> None:
    TagLive.objects.create(tag=world.tags["TI-101"], ts=T0, value=21.5, status="ok", status_since=T0)

    def tags(who: str, **kw: Any) -> list[tuple[str, Any, str]]:
        return [(lv.tag.tag, lv.value, lv.status) for lv in selectors.live_values(world.user(who), **kw)]

    assert tags("operator_a") == [("PI-201", None, "no_data"), ("TI-101", 21.5, "ok")]
    assert tags("worker_a1") == [("TI-101", 21.5, "ok")]
    assert tags("operator_a", equipment=world.equipment["P-201"].pk) == [("PI-201", None, "no_data")]
    assert tags("operator_a", site=world.site_b.pk) == []
    assert tags("ehs", site=world.site_b.pk) == [("LI-901", None, "no_data")]
    assert tags("contractor_a") == []


# --- the console's lists ----------------------------------------------------------------------
def test_annunciated_orders_unacknowledged_then_priority_then_newest(
    world: World, alarms: dict[str, AlarmOccurrence]
) -> None:
    ehs = world.user("ehs")
    services.acknowledge(ehs, [alarms["ti_hh"].pk])
    feed(world, "LI-901", 10.0, start=T0 + 60 * S)  # LI-901 returns, unacknowledged

    order = [o.pk for o in selectors.annunciated(ehs)]

    assert order == [alarms["pi_h"].pk, alarms["ti_h"].pk, alarms["li_h"].pk, alarms["ti_hh"].pk]
    assert [selectors.occurrence_state(o) for o in selectors.annunciated(ehs)] == [
        "unack",
        "unack",
        "rtn_unack",
        "acked",
    ]
    assert keys(alarms, selectors.annunciated(ehs, state="rtn_unack")) == {"li_h"}
    assert keys(alarms, selectors.active(ehs)) == {"ti_hh", "ti_h", "pi_h"}


def test_shelved_and_out_of_service_points_leave_the_alarm_list(
    world: World, alarms: dict[str, AlarmOccurrence]
) -> None:
    operator, admin = world.user("operator_a"), world.user("admin_a")
    services.shelve(operator, alarms["ti_h"].rule_id, minutes=30, reason="校准")
    services.remove_from_service(admin, alarms["pi_h"].rule_id, reason="检修")

    assert keys(alarms, selectors.annunciated(operator)) == {"ti_hh"}
    assert [p.rule_id for p in selectors.shelved(operator)] == [alarms["ti_h"].rule_id]
    assert [p.rule_id for p in selectors.suppressed(operator)] == [alarms["pi_h"].rule_id]
    assert not selectors.shelved(world.user("worker_b1")).exists()


def test_standing_alarms_are_active_for_more_than_a_day(
    world: World, alarms: dict[str, AlarmOccurrence]
) -> None:
    ehs = world.user("ehs")
    raised = alarms["ti_h"].raised_at

    assert keys(alarms, selectors.standing(ehs, now=raised + dt.timedelta(hours=23))) == set()
    assert keys(alarms, selectors.standing(ehs, now=raised + dt.timedelta(hours=25))) == {
        "ti_hh", "ti_h", "pi_h", "li_h"
    }  # fmt: skip
    assert keys(alarms, selectors.standing(ehs)) == {"ti_hh", "ti_h", "pi_h", "li_h"}  # raised in 2025
    assert timezone.now() - raised > selectors.STANDING_AFTER


def test_alarm_summary_per_area_and_equipment(world: World, alarms: dict[str, AlarmOccurrence]) -> None:
    operator = world.user("operator_a")
    services.acknowledge(operator, [alarms["ti_hh"].pk])

    by_area, by_equipment = selectors.alarm_summary(operator, world.site_a.pk)

    tank, pump = world.equipment["T-101"].pk, world.equipment["P-201"].pk
    assert {k: (v.active, v.unack, v.worst) for k, v in by_area.items()} == {
        world.area_a1.pk: (2, 1, "high"),
        world.area_a2.pk: (1, 1, "low"),
    }
    assert {k: (v.active, v.unack, v.worst) for k, v in by_equipment.items()} == {
        tank: (2, 1, "high"),
        pump: (1, 1, "low"),
    }
    assert selectors.alarm_summary(world.user("worker_a2"), world.site_a.pk)[0].keys() == {world.area_a2.pk}


# --- trends -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("window", "interval", "expected"),
    [
        (H, 10, "raw"),
        (6 * H, 10, "raw"),  # 2 160 samples
        (6 * H + 1, 10, "minute"),
        (2 * H, 1, "minute"),  # 7 200 one-second samples: too many for raw
        (D, 10, "minute"),
        (2 * D, 10, "minute"),
        (2 * D + 1, 10, "hour"),
        (30 * D, 10, "hour"),
    ],
)
def test_the_resolution_follows_the_window(window: int, interval: int, expected: str) -> None:
    now = 1_800_000_000_000
    assert selectors.resolution_for(now - window, now, interval, now=now) == expected


def test_past_retention_the_resolution_is_coarser(settings: Any) -> None:
    settings.ANQUAN_RETENTION_RAW_DAYS = 90
    settings.ANQUAN_RETENTION_MINUTE_DAYS = 400
    now = 1_800_000_000_000

    assert selectors.resolution_for(now - 100 * D, now - 100 * D + H, 10, now=now) == "minute"
    assert selectors.resolution_for(now - 500 * D, now - 500 * D + H, 10, now=now) == "hour"


def test_a_trend_returns_readings_or_rollups(world: World) -> None:
    tag = world.tags["TI-101"]
    now = selectors.now_ms() // H * H
    write_readings([(tag.pk, now - 2 * S, 20.0), (tag.pk, now - S, 20.5), (tag.pk, now - H - S, 1.0)])
    Rollup.objects.create(tag=tag, period=60, bucket=now - 60_000, min=19.0, max=22.0, sum=82.0, count=4)
    Rollup.objects.create(tag=tag, period=60, bucket=now - 3 * D, min=0.0, max=1.0, sum=1.0, count=2)
    Rollup.objects.create(tag=tag, period=3600, bucket=now - 10 * D, min=5.0, max=9.0, sum=0.0, count=0)

    raw = selectors.trend(tag, now - H, now)
    assert (raw.resolution, raw.period, raw.points) == ("raw", None, [[now - 2 * S, 20.0], [now - S, 20.5]])
    minute = selectors.trend(tag, now - D, now)
    assert (minute.resolution, minute.period, minute.points) == (
        "minute",
        60,
        [[now - 60_000, 19.0, 20.5, 22.0]],
    )
    hour = selectors.trend(tag, now - 30 * D, now)
    assert (hour.resolution, hour.points) == ("hour", [[now - 10 * D, 5.0, None, 9.0]])
    forced = selectors.trend(tag, now - 30 * D, now, resolution="minute")
    assert [p[0] for p in forced.points] == [now - 3 * D, now - 60_000]


def test_trend_windows_are_checked() -> None:
    assert selectors.trend_window(1000, 2000) == (1000, 2000)
    start, end = selectors.trend_window(None, 5_000_000)
    assert (start, end) == (5_000_000 - selectors.DEFAULT_WINDOW_MS, 5_000_000)
    with pytest.raises(ValidationError) as reversed_window:
        selectors.trend_window(2000, 1000)
    assert reversed_window.value.message_dict == {"start": ["开始时间必须早于结束时间。"]}
    with pytest.raises(ValidationError):
        selectors.trend_window(0, selectors.MAX_WINDOW_MS + 1)
    with pytest.raises(ValidationError):
        selectors.trend_window(0, 2**60)


def test_readings_since_returns_the_newest_in_order(world: World) -> None:
    tag = world.tags["TI-101"].pk
    write_readings([(tag, T0 + i * S, float(i)) for i in range(10)])

    assert selectors.readings_since([tag], {tag: T0 + 6 * S}) == {
        tag: [[T0 + 7 * S, 7.0], [T0 + 8 * S, 8.0], [T0 + 9 * S, 9.0]]
    }
    assert selectors.readings_since([tag], {tag: T0}, limit=2) == {
        tag: [[T0 + 8 * S, 8.0], [T0 + 9 * S, 9.0]]
    }
