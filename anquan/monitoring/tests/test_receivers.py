"""Reactions to events once their transaction commits: the plant's tags and equipment drive the
alarm rules, and an escalated alarm reaches the next people up through the notification centre."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anquan.conftest import World
from anquan.monitoring import services
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.choices import AlarmMode
from anquan.monitoring.models import AlarmOccurrence, AlarmPoint, AlarmRule
from anquan.notifications.choices import Category, Level
from anquan.notifications.models import Notification
from anquan.plant import services as plant

pytestmark = pytest.mark.django_db

T0 = 1_764_300_000_000
MIN = 60_000


def test_a_new_tag_gets_its_limit_rules_after_the_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tag = plant.create_tag(
            None, equipment=world.equipment["T-101"], tag="PI-102", name="1号罐压力", kind="pressure", unit="kPa",
            range_low=Decimal("0"), range_high=Decimal("200"), hh=Decimal("180"), h=Decimal("150"), hh_priority="high",
        )  # fmt: skip
    assert not AlarmRule.objects.filter(tag=tag).exists()

    for callback in callbacks:
        callback()

    rules = {r.name: r for r in AlarmRule.objects.filter(tag=tag)}
    assert sorted(rules) == ["PI-102 高限", "PI-102 高高限"]
    assert (rules["PI-102 高高限"].priority, rules["PI-102 高高限"].deadband) == ("high", 2.0)
    assert AlarmPoint.objects.filter(rule__tag=tag, mode=AlarmMode.IN_SERVICE).count() == 2


def test_a_changed_tag_updates_its_rules(world: World, django_capture_on_commit_callbacks: Any) -> None:
    services.sync_limit_rules(world.tags["PI-201"])

    with django_capture_on_commit_callbacks(execute=True):
        plant.update_tag(None, world.tags["PI-201"], h=Decimal("1.8"), h_priority="medium")

    rule = AlarmRule.objects.get(tag=world.tags["PI-201"], level="h")
    assert (rule.params["value"], rule.priority) == (1.8, "medium")


def test_equipment_status_drives_designed_suppression(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    services.sync_limit_rules(world.tags["TI-101"])

    with django_capture_on_commit_callbacks(execute=True):
        plant.update_equipment(None, world.equipment["T-101"], status="maintenance")
    assert set(AlarmPoint.objects.values_list("mode", flat=True)) == {AlarmMode.SUPPRESSED}

    with django_capture_on_commit_callbacks(execute=True):
        plant.update_equipment(None, world.equipment["T-101"], name="1号储罐")  # not the status: nothing
    assert set(AlarmPoint.objects.values_list("mode", flat=True)) == {AlarmMode.SUPPRESSED}

    with django_capture_on_commit_callbacks(execute=True):
        plant.update_equipment(None, world.equipment["T-101"], status="in_service")
    assert set(AlarmPoint.objects.values_list("mode", flat=True)) == {AlarmMode.IN_SERVICE}


def test_escalation_notifies_the_next_person_up(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    proc = AlarmProcessor()
    proc.housekeeping_ms = 0
    tag = world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])
    leader, manager = world.user("leader_a1"), world.user("manager_a1")
    manager.preferred_language = "en"
    manager.save()

    with django_capture_on_commit_callbacks(execute=True):
        proc.tick(T0 + 5 * MIN)
    with django_capture_on_commit_callbacks(execute=True):
        proc.tick(T0 + 10 * MIN)

    occ = AlarmOccurrence.objects.get(rule__level="hh")
    note = Notification.objects.get(recipient=leader)
    assert (note.category, note.level, note.site_id, note.link) == (
        Category.ALARM, Level.CRITICAL, world.site_a.pk, f"/monitoring/alarms/{occ.pk}/",
    )  # fmt: skip
    assert note.title == "报警未及时确认：TI-101 高高限：55 °C"
    assert "东区储运园区 · 罐区 的高优先级报警“TI-101 高高限：55 °C”" in note.body
    assert "已超过 5 分钟无人确认，现逐级通知到您（第 1 级）" in note.body
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert not Notification.objects.filter(recipient=world.user("ehs")).exists()


def test_an_alarm_acknowledged_before_the_notification_goes_out_notifies_nobody(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    proc = AlarmProcessor()
    proc.housekeeping_ms = 0
    proc.process([(world.tags["TI-101"].pk, T0, 55.0)])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        proc.tick(T0 + 5 * MIN)
    services.acknowledge(world.user("operator_a"), list(AlarmOccurrence.objects.values_list("pk", flat=True)))
    for callback in callbacks:
        callback()

    assert not Notification.objects.filter(recipient=world.user("leader_a1")).exists()
