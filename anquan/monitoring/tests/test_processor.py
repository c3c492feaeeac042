"""The alarm processor against the database: the ISA-18.2 state machine end to end, modes
(shelved, suppressed by design, out of service), restart survival, partitioning and escalation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anquan.conftest import World
from anquan.monitoring import events, services
from anquan.monitoring.alarms import lifecycle
from anquan.monitoring.alarms.engine import RuleSpec
from anquan.monitoring.alarms.lifecycle import dt_to_ms, ms_to_dt
from anquan.monitoring.alarms.processor import AlarmProcessor, partition_of
from anquan.monitoring.alarms.states import display_state
from anquan.monitoring.choices import AlarmMode, AlarmState, JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule, EscalationPolicy
from anquan.plant import services as plant
from anquan.platform.events import captured

pytestmark = pytest.mark.django_db

T0 = 1_764_300_000_000  # 2025-11-28 03:20:00 UTC
S, MIN = 1000, 60_000


def rules_of(world: World, tag: str) -> dict[str, AlarmRule]:
    services.sync_limit_rules(world.tags[tag])
    return {r.level: r for r in AlarmRule.objects.filter(tag=world.tags[tag])}


@pytest.fixture
def ti(world: World) -> dict[str, AlarmRule]:
    """TI-101 (罐区, range -20…80 °C): H 40 (low priority) and HH 50 (high), deadband 1 °C."""
    return rules_of(world, "TI-101")


def processor() -> AlarmProcessor:
    proc = AlarmProcessor()
    proc.housekeeping_ms = 0  # the tests build their clock times explicitly
    return proc


def state(rule: AlarmRule) -> AlarmState:
    point = AlarmPoint.objects.select_related("occurrence").get(rule=rule)
    return display_state(point, point.occurrence)


def journal(rule: AlarmRule) -> list[tuple[str, Any]]:
    return [(j.kind, j.occurrence_id) for j in AlarmJournal.objects.filter(rule=rule).order_by("pk")]


def of_type(published: list[Any], *types: type) -> list[Any]:
    return [e for e in published if isinstance(e, types)]


# --- the state machine ------------------------------------------------------------------------
def test_limit_rules_come_from_the_tag(ti: dict[str, AlarmRule], world: World) -> None:
    h, hh = ti["h"], ti["hh"]

    assert (h.name, h.priority, h.params, h.deadband, h.area) == (
        "TI-101 高限", "low", {"level": "H", "value": 40.0}, 1.0, world.area_a1,
    )  # fmt: skip
    assert (hh.name, hh.priority, hh.params) == ("TI-101 高高限", "high", {"level": "HH", "value": 50.0})


def test_activation_annunciates_a_new_unacknowledged_alarm(ti: dict[str, AlarmRule], world: World) -> None:
    proc = processor()
    tag = world.tags["TI-101"].pk

    with captured() as published:
        proc.process([(tag, T0, 39.0), (tag, T0 + S, 45.5)])

    occ = AlarmOccurrence.objects.get(rule=ti["h"])
    assert (occ.raised_at, occ.raised_value, occ.message, occ.priority) == (
        ms_to_dt(T0 + S), 45.5, "TI-101 高限：45.5 °C", "low",
    )  # fmt: skip
    assert (occ.site, occ.area, occ.acked_at, occ.returned_at, occ.cleared_at) == (
        world.site_a, world.area_a1, None, None, None,
    )  # fmt: skip
    point = AlarmPoint.objects.get(rule=ti["h"])
    assert (point.active, point.occurrence_id) == (True, occ.pk)
    assert journal(ti["h"]) == [(JournalKind.ACTIVATED, occ.pk)]
    assert not AlarmOccurrence.objects.filter(rule=ti["hh"]).exists()
    assert published == [
        events.AlarmRaised(occ.pk, ti["h"].pk, world.site_a.pk, world.area_a1.pk, "low"),
    ]
    assert state(ti["h"]) == AlarmState.UNACK
    assert state(ti["hh"]) == AlarmState.NORMAL


def test_unack_then_ack_then_return_clears(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag, operator = processor(), world.tags["TI-101"].pk, world.user("operator_a")
    proc.process([(tag, T0, 45.0)])
    occ = AlarmOccurrence.objects.get(rule=ti["h"])

    with captured() as published:
        assert services.acknowledge(operator, [occ.pk], "已通知现场") == 1
    assert state(ti["h"]) == AlarmState.ACKED
    occ.refresh_from_db()
    assert (occ.acked_by, occ.cleared_at) == (operator, None)
    assert published == [events.AlarmAcknowledged((occ.pk,), operator.pk, world.site_a.pk)]

    with captured() as published:
        proc.process([(tag, T0 + MIN, 39.5), (tag, T0 + 2 * MIN, 38.9)])  # 39.5 is inside the deadband

    occ.refresh_from_db()
    assert (occ.returned_at, occ.cleared_at) == (ms_to_dt(T0 + 2 * MIN), ms_to_dt(T0 + 2 * MIN))
    assert state(ti["h"]) == AlarmState.NORMAL
    assert journal(ti["h"]) == [
        (JournalKind.ACTIVATED, occ.pk),
        (JournalKind.ACKNOWLEDGED, occ.pk),
        (JournalKind.RETURNED, occ.pk),
        (JournalKind.CLEARED, occ.pk),
    ]
    assert AlarmJournal.objects.get(rule=ti["h"], kind=JournalKind.ACKNOWLEDGED).text == "已通知现场"
    assert published == [
        events.AlarmReturned(occ.pk, ti["h"].pk, world.site_a.pk),
        events.AlarmCleared(occ.pk, ti["h"].pk, world.site_a.pk),
    ]


def test_unack_then_return_then_ack_clears(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag, operator = processor(), world.tags["TI-101"].pk, world.user("operator_a")
    proc.process([(tag, T0, 45.0), (tag, T0 + MIN, 30.0)])
    occ = AlarmOccurrence.objects.get(rule=ti["h"])
    assert state(ti["h"]) == AlarmState.RTN_UNACK

    with captured() as published:
        assert services.acknowledge(operator, [occ.pk]) == 1

    occ.refresh_from_db()
    assert (occ.returned_at, occ.acked_by, occ.cleared_at is not None) == (ms_to_dt(T0 + MIN), operator, True)
    assert state(ti["h"]) == AlarmState.NORMAL
    assert [type(e) for e in published] == [events.AlarmCleared, events.AlarmAcknowledged]


def test_reactivation_while_returned_unacknowledged_raises_a_new_alarm(
    ti: dict[str, AlarmRule], world: World
) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 45.0), (tag, T0 + MIN, 30.0), (tag, T0 + 2 * MIN, 46.0)])

    first, second = AlarmOccurrence.objects.filter(rule=ti["h"]).order_by("raised_at")
    assert (first.returned_at, first.acked_at) == (ms_to_dt(T0 + MIN), None)  # still awaits its ack
    assert (second.raised_at, second.returned_at) == (ms_to_dt(T0 + 2 * MIN), None)
    assert AlarmPoint.objects.get(rule=ti["h"]).occurrence_id == second.pk
    assert state(ti["h"]) == AlarmState.UNACK


def test_a_second_acknowledgement_keeps_who_acknowledged_first(
    ti: dict[str, AlarmRule], world: World
) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 45.0)])
    occ = AlarmOccurrence.objects.get(rule=ti["h"])
    services.acknowledge(world.user("operator_a"), [occ.pk])

    assert services.acknowledge(world.user("leader_a1"), [occ.pk]) == 0

    occ.refresh_from_db()
    assert occ.acked_by == world.user("operator_a")
    assert AlarmJournal.objects.filter(occurrence=occ, kind=JournalKind.ACKNOWLEDGED).count() == 1


def test_a_batch_without_transitions_costs_no_query(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    readings = [(tag, T0 + i * 100, 20.0 + (i % 7)) for i in range(10_000)]

    with CaptureQueriesContext(connection) as queries:
        proc.process(readings)

    assert len(queries) == 0


def test_storing_failed_transitions_are_kept_and_stored_on_the_next_call(
    ti: dict[str, AlarmRule], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    real = lifecycle.activated

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(lifecycle, "activated", broken)
    with pytest.raises(RuntimeError):
        proc.process([(tag, T0, 45.0)])
    assert not AlarmOccurrence.objects.exists()

    monkeypatch.setattr(lifecycle, "activated", real)
    proc.process([(tag, T0, 45.0)])  # the stream retries the batch: the duplicate is ignored

    assert AlarmOccurrence.objects.get(rule=ti["h"]).raised_at == ms_to_dt(T0)
    assert AlarmPoint.objects.get(rule=ti["h"]).active


# --- modes ------------------------------------------------------------------------------------
def test_a_shelved_alarm_is_journaled_but_not_annunciated_and_comes_back_when_unshelved(
    ti: dict[str, AlarmRule], world: World
) -> None:
    proc, tag, operator = processor(), world.tags["TI-101"].pk, world.user("operator_a")
    services.shelve(operator, ti["h"].pk, minutes=30, reason="传感器检修中")
    assert state(ti["h"]) == AlarmState.SHELVED

    with captured() as published:
        proc.process([(tag, T0, 45.0)])

    assert not AlarmOccurrence.objects.exists()
    assert published == []
    row = AlarmJournal.objects.filter(rule=ti["h"]).order_by("-pk").first()
    assert row is not None
    assert (row.kind, row.occurrence_id, row.value, row.text) == (
        JournalKind.ACTIVATED,
        None,
        45.0,
        "搁置中，未报警",
    )
    assert AlarmPoint.objects.get(rule=ti["h"]).active

    with captured() as published:
        services.unshelve(operator, ti["h"].pk)

    occ = AlarmOccurrence.objects.get(rule=ti["h"])
    assert occ.raised_value == 45.0
    assert state(ti["h"]) == AlarmState.UNACK
    assert [type(e) for e in published] == [events.AlarmModeChanged, events.AlarmRaised]
    assert [k for k, _ in journal(ti["h"])] == [
        JournalKind.SHELVED, JournalKind.ACTIVATED, JournalKind.UNSHELVED, JournalKind.ACTIVATED,
    ]  # fmt: skip


def test_a_shelve_runs_out_by_itself_at_its_time(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    point = services.shelve(world.user("operator_a"), ti["h"].pk, minutes=10, reason="仪表标定")
    proc.process([(tag, dt_to_ms(point.mode_at), 45.0)])
    assert point.shelved_until is not None
    until = dt_to_ms(point.shelved_until)

    proc.tick(until - 1)
    assert state(ti["h"]) == AlarmState.SHELVED

    with captured() as published:
        proc.tick(until)

    assert state(ti["h"]) == AlarmState.UNACK  # still active: annunciated now
    row = AlarmJournal.objects.get(rule=ti["h"], kind=JournalKind.UNSHELVED)
    assert (row.user, row.at, row.text) == (None, point.shelved_until, "搁置时间已到，自动解除")
    assert [type(e) for e in published] == [events.AlarmModeChanged, events.AlarmRaised]
    assert AlarmPoint.objects.get(rule=ti["h"]).shelved_until is None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    minutes=st.integers(min_value=1, max_value=services.MAX_SHELVE_MINUTES),
    early_ms=st.integers(1, 3_600_000),
)
def test_property_shelving_expires_exactly_at_its_time(
    ti: dict[str, AlarmRule], world: World, minutes: int, early_ms: int
) -> None:
    proc = processor()
    point = services.shelve(world.user("operator_a"), ti["hh"].pk, minutes=minutes, reason="检修")
    assert point.shelved_until is not None and point.mode_at is not None
    until = dt_to_ms(point.shelved_until)
    assert until - dt_to_ms(point.mode_at) == minutes * MIN

    proc.tick(until - min(early_ms, minutes * MIN))
    assert AlarmPoint.objects.get(rule=ti["hh"]).mode == AlarmMode.SHELVED
    proc.tick(until)
    assert AlarmPoint.objects.get(rule=ti["hh"]).mode == AlarmMode.IN_SERVICE


def test_equipment_out_of_service_suppresses_its_alarms_by_design(
    ti: dict[str, AlarmRule], world: World
) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    plant.update_equipment(None, world.equipment["T-101"], status="maintenance")
    assert services.apply_designed_suppression(world.equipment["T-101"].pk) == 2

    assert state(ti["h"]) == AlarmState.SUPPRESSED
    point = AlarmPoint.objects.get(rule=ti["h"])
    assert point.mode_reason == "设备 T-101 状态：检修"
    proc.process([(tag, T0, 45.0)])
    assert not AlarmOccurrence.objects.exists()

    plant.update_equipment(None, world.equipment["T-101"], status="in_service")
    services.apply_designed_suppression(world.equipment["T-101"].pk)

    assert state(ti["h"]) == AlarmState.UNACK  # still active when the suppression lifted
    assert [k for k, _ in journal(ti["h"])] == [
        JournalKind.SUPPRESSED, JournalKind.ACTIVATED, JournalKind.UNSUPPRESSED, JournalKind.ACTIVATED,
    ]  # fmt: skip


def test_the_processor_applies_designed_suppression_when_it_loads(
    ti: dict[str, AlarmRule], world: World
) -> None:
    # The status changed without the receiver running (e.g. in the admin): the stream catches up.
    world.equipment["T-101"].status = "out_of_service"
    world.equipment["T-101"].save()

    processor()

    assert state(ti["h"]) == state(ti["hh"]) == AlarmState.SUPPRESSED


def test_a_rule_may_opt_out_of_designed_suppression(world: World) -> None:
    rule = services.create_rule(
        None, site=world.site_a, area=world.area_a1, tag=world.tags["TI-101"], kind="discrete", name="联锁动作",
        priority="high", params={"alarm_value": 1}, suppress_when_out_of_service=False,
    )  # fmt: skip
    plant.update_equipment(None, world.equipment["T-101"], status="standby")
    services.apply_designed_suppression(world.equipment["T-101"].pk)

    assert AlarmPoint.objects.get(rule=rule).mode == AlarmMode.IN_SERVICE


def test_out_of_service_and_back(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag, manager = processor(), world.tags["TI-101"].pk, world.user("manager_a1")
    services.remove_from_service(manager, ti["hh"].pk, reason="更换测温元件")
    assert state(ti["hh"]) == AlarmState.OUT_OF_SERVICE

    proc.process([(tag, T0, 55.0)])
    assert list(AlarmOccurrence.objects.values_list("rule_id", flat=True)) == [ti["h"].pk]

    services.return_to_service(manager, ti["hh"].pk)

    assert state(ti["hh"]) == AlarmState.UNACK
    point = AlarmPoint.objects.get(rule=ti["hh"])
    assert (point.mode_by, point.mode_reason) == (manager, "")
    row = AlarmJournal.objects.get(rule=ti["hh"], kind=JournalKind.REMOVED_FROM_SERVICE)
    assert (row.user, row.text) == (manager, "更换测温元件")


def test_returning_while_shelved_still_returns_the_open_alarm(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag, operator = processor(), world.tags["TI-101"].pk, world.user("operator_a")
    proc.process([(tag, T0, 45.0)])
    services.shelve(operator, ti["h"].pk, minutes=60, reason="误报排查")

    proc.process([(tag, T0 + MIN, 30.0)])

    occ = AlarmOccurrence.objects.get(rule=ti["h"])
    assert occ.returned_at == ms_to_dt(T0 + MIN)
    services.unshelve(operator, ti["h"].pk)
    assert state(ti["h"]) == AlarmState.RTN_UNACK
    assert AlarmOccurrence.objects.count() == 1  # no new alarm: the condition is no longer active


def test_the_stream_never_overwrites_a_mode_set_meanwhile(world: World) -> None:
    rule = services.create_rule(
        None, site=world.site_a, area=world.area_a1, tag=world.tags["TI-101"], kind="limit", name="罐温偏高",
        priority="medium", params={"level": "H", "value": 35}, on_delay_s=60,
    )  # fmt: skip
    proc = processor()  # loaded while the point was in service
    services.shelve(world.user("operator_a"), rule.pk, minutes=30, reason="巡检确认中")

    proc.process([(world.tags["TI-101"].pk, T0, 36.0)])  # a delay starts: the point's memory is stored

    point = AlarmPoint.objects.get(rule=rule)
    assert (point.mode, point.engine["on"]) == (AlarmMode.SHELVED, T0)


# --- restart ----------------------------------------------------------------------------------
def test_stale_data_rules_resume_from_the_tags_live_value(world: World) -> None:
    from anquan.monitoring.models import TagLive

    rule = services.create_rule(
        None, site=world.site_a, area=world.area_a1, tag=world.tags["TI-101"], kind="stale", name="罐温数据中断",
        priority="low", params={"seconds": 120},
    )  # fmt: skip
    TagLive.objects.create(tag=world.tags["TI-101"], ts=T0, value=21.0)

    proc = processor()  # e.g. after a restart: the last update is known from the tag's live value
    proc.tick(T0 + 2 * MIN - 1)
    assert not AlarmOccurrence.objects.exists()
    proc.tick(T0 + 3 * MIN)

    occ = AlarmOccurrence.objects.get(rule=rule)
    assert (occ.raised_at, occ.raised_value, occ.message) == (ms_to_dt(T0 + 2 * MIN), None, "罐温数据中断")


def test_a_half_elapsed_on_delay_survives_a_restart(world: World) -> None:
    rule = services.create_rule(
        None, site=world.site_a, area=world.area_a1, tag=world.tags["TI-101"], kind="limit", name="罐温持续偏高",
        priority="medium", params={"level": "H", "value": 35}, on_delay_s=600,
    )  # fmt: skip
    tag = world.tags["TI-101"].pk
    proc = processor()
    proc.process([(tag, T0, 36.0)])
    proc.process([(tag, T0 + 5 * MIN, 37.0)])
    assert AlarmPoint.objects.get(rule=rule).engine["on"] == T0

    restarted = processor()  # the stream restarts: memory comes from the database
    restarted.tick(T0 + 10 * MIN - 1)
    assert not AlarmOccurrence.objects.exists()
    restarted.tick(T0 + 10 * MIN)

    occ = AlarmOccurrence.objects.get(rule=rule)
    assert (occ.raised_at, occ.raised_value) == (ms_to_dt(T0 + 10 * MIN), 36.0)


def test_an_active_alarm_survives_a_restart_and_returns_after(ti: dict[str, AlarmRule], world: World) -> None:
    tag = world.tags["TI-101"].pk
    processor().process([(tag, T0, 45.0)])

    restarted = processor()
    restarted.process([(tag, T0 + S, 44.0)])
    assert AlarmOccurrence.objects.count() == 1  # not raised a second time
    restarted.process([(tag, T0 + 2 * S, 30.0)])

    assert AlarmOccurrence.objects.get(rule=ti["h"]).returned_at == ms_to_dt(T0 + 2 * S)


def test_trend_memory_is_checkpointed_by_the_clock(world: World) -> None:
    rule = services.create_rule(
        None, site=world.site_a, area=world.area_a1, tag=world.tags["TI-101"], kind="rate", name="升温过快",
        priority="medium", params={"per_minute": 5, "direction": "rise"},
    )  # fmt: skip
    tag = world.tags["TI-101"].pk
    proc = processor()
    proc.process([(tag, T0, 20.0), (tag, T0 + 10 * S, 20.1)])
    assert AlarmPoint.objects.get(rule=rule).engine == {}

    proc.tick(T0 + 11 * S)  # the first tick checkpoints, then every minute

    assert AlarmPoint.objects.get(rule=rule).engine["win"] == [[T0, 20.0], [T0 + 10 * S, 20.1]]
    restarted = processor()
    restarted.process([(tag, T0 + 20 * S, 22.0)])  # +2 over 20 s = 6/min with the restored window
    assert AlarmOccurrence.objects.filter(rule=rule).exists()


def test_a_changed_rule_is_reloaded_by_the_clock(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.tick(T0)
    plant.update_tag(None, world.tags["TI-101"], h=Decimal("30"))
    services.sync_limit_rules(world.tags["TI-101"])

    proc.tick(T0 + 5 * S)
    proc.process([(tag, T0 + 6 * S, 32.0)])

    assert AlarmOccurrence.objects.get().rule_id == ti["h"].pk


# --- partitions -------------------------------------------------------------------------------
def test_rules_are_partitioned_by_connected_components_of_their_tags() -> None:
    specs = [
        RuleSpec(1, "limit", (7,), {}),
        RuleSpec(2, "compound", (9, 4), {}),  # joins 9 and 4
        RuleSpec(3, "deviation", (4, 12), {}),  # … and 12: component {4, 9, 12}, min 4
        RuleSpec(4, "limit", (12,), {}),
        RuleSpec(5, "limit", (5,), {}),
    ]

    assert partition_of(specs, 2) == {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}
    assert partition_of(specs, 3) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}
    assert set(partition_of(specs, 1).values()) == {0}


def test_two_processors_share_the_rules_without_overlap(ti: dict[str, AlarmRule], world: World) -> None:
    pi = rules_of(world, "PI-201")
    li = rules_of(world, "LI-901")
    ti_tag, pi_tag, li_tag = (world.tags[t].pk for t in ("TI-101", "PI-201", "LI-901"))
    joined = services.create_rule(
        None, site=world.site_b, area=world.area_b1, kind="compound", name="西罐液位与温度", priority="low",
        params={"op": "and", "terms": [{"tag": li_tag, "cmp": ">", "value": 15}, {"tag": li_tag, "trend": "rising"}]},
    )  # fmt: skip
    procs = [AlarmProcessor(partition=k, partitions=2) for k in (0, 1)]

    owned = [p.rule_ids() for p in procs]
    assert owned[0] & owned[1] == frozenset()
    assert owned[0] | owned[1] == {
        *(r.pk for r in ti.values()),
        *(r.pk for r in pi.values()),
        li["l"].pk,
        li["h"].pk,
        joined.pk,
    }
    for proc in procs:
        for tag in proc.tag_ids():
            assert tag % 2 == proc.partition
    for tag in (ti_tag, pi_tag, li_tag):
        assert sum(tag in p.tag_ids() for p in procs) == 1


def test_a_partition_ignores_readings_of_tags_it_does_not_own(ti: dict[str, AlarmRule], world: World) -> None:
    tag = world.tags["TI-101"].pk
    other = AlarmProcessor(partition=(tag + 1) % 2, partitions=2)

    other.process([(tag, T0, 99.0)])

    assert not AlarmOccurrence.objects.exists()


# --- escalation -------------------------------------------------------------------------------
def escalations(occ: AlarmOccurrence) -> list[tuple[int, str]]:
    return [
        (int((j.at - occ.raised_at).total_seconds() // 60), j.text)
        for j in AlarmJournal.objects.filter(occurrence=occ, kind=JournalKind.ESCALATED).order_by("pk")
    ]


def test_an_unacknowledged_alarm_escalates_one_level_per_period(
    ti: dict[str, AlarmRule], world: World
) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])  # H (low priority, 30 min) and HH (high priority, 5 min)
    occ = AlarmOccurrence.objects.get(rule=ti["hh"])

    proc.tick(T0 + 5 * MIN - 1)
    assert not AlarmJournal.objects.filter(kind=JournalKind.ESCALATED).exists()
    with captured() as published:
        for minute in (5, 6, 10, 15, 20, 40):
            proc.tick(T0 + minute * MIN)

    occ.refresh_from_db()
    assert occ.escalation_level == 3
    assert of_type(published, events.AlarmEscalated) == [
        events.AlarmEscalated(occ.pk, world.site_a.pk, 1, (world.user("leader_a1").pk,)),
        events.AlarmEscalated(occ.pk, world.site_a.pk, 2, (world.user("manager_a1").pk,)),
        events.AlarmEscalated(occ.pk, world.site_a.pk, 3, (world.user("ehs").pk,)),
        # The H alarm (low priority) reaches its first level at 30 min.
        events.AlarmEscalated(
            AlarmOccurrence.objects.get(rule=ti["h"]).pk, world.site_a.pk, 1, (world.user("leader_a1").pk,)
        ),
    ]
    assert escalations(occ) == [
        (5, "未确认超时，升级通知班组长：班长甲"),
        (10, "未确认超时，升级通知区域经理：罐区经理"),
        (15, "未确认超时，升级通知EHS 总监：总监"),
    ]
    policy = EscalationPolicy.objects.get(site=world.site_a)  # created on first need, with the defaults
    assert (policy.high_minutes, policy.medium_minutes, policy.low_minutes, policy.roles) == (
        5, 15, 30, ["team_leader", "area_manager", "ehs_director"],
    )  # fmt: skip


def test_acknowledging_stops_escalation(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])
    occ = AlarmOccurrence.objects.get(rule=ti["hh"])
    proc.tick(T0 + 5 * MIN)
    services.acknowledge(world.user("operator_a"), [occ.pk])

    proc.tick(T0 + 10 * MIN)

    occ.refresh_from_db()
    assert occ.escalation_level == 1


def test_escalation_follows_the_site_policy(ti: dict[str, AlarmRule], world: World) -> None:
    services.set_escalation_policy(
        world.user("admin_a"),
        world.site_a,
        high_minutes=2,
        medium_minutes=10,
        low_minutes=20,
        roles=["safety_officer"],
    )
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])

    with captured() as published:
        for minute in (2, 4, 6):
            proc.tick(T0 + minute * MIN)

    assert of_type(published, events.AlarmEscalated) == [
        events.AlarmEscalated(
            AlarmOccurrence.objects.get(rule=ti["hh"]).pk, world.site_a.pk, 1, (world.user("officer_a").pk,)
        ),
    ]


def test_a_shelved_alarm_does_not_escalate(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])
    services.shelve(world.user("operator_a"), ti["hh"].pk, minutes=60, reason="已知故障")

    proc.tick(T0 + 6 * MIN)

    assert AlarmOccurrence.objects.get(rule=ti["hh"]).escalation_level == 0


def test_escalation_with_nobody_in_the_role_is_journaled(ti: dict[str, AlarmRule], world: World) -> None:
    services.set_escalation_policy(
        None, world.site_a, high_minutes=5, medium_minutes=15, low_minutes=30, roles=["contractor"]
    )
    world.user("contractor_a").is_active = False
    world.user("contractor_a").save()
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])

    with captured() as published:
        proc.tick(T0 + 5 * MIN)

    occ = AlarmOccurrence.objects.get(rule=ti["hh"])
    assert of_type(published, events.AlarmEscalated) == [
        events.AlarmEscalated(occ.pk, world.site_a.pk, 1, ())
    ]
    assert escalations(occ) == [(5, "未确认超时，升级至承包商，但没有找到负责该区域的在岗人员")]


def test_the_clock_uses_data_time_not_the_wall_clock(ti: dict[str, AlarmRule], world: World) -> None:
    proc, tag = processor(), world.tags["TI-101"].pk
    proc.process([(tag, T0, 55.0)])

    proc.tick(T0 + 4 * MIN)  # the wall clock is much later than T0: still no escalation

    assert AlarmOccurrence.objects.get(rule=ti["hh"]).escalation_level == 0
    assert dt.datetime.now(dt.UTC) - ms_to_dt(T0) > dt.timedelta(minutes=5)


def test_a_processor_for_other_sites_leaves_this_sites_rules_alone(
    ti: dict[str, AlarmRule], world: World
) -> None:
    elsewhere = AlarmProcessor(site_ids=[world.site_b.pk])
    here = AlarmProcessor(site_ids=[world.site_a.pk])

    assert ti["h"].pk not in elsewhere.rule_ids()
    assert {ti["h"].pk, ti["hh"].pk} <= here.rule_ids()
    elsewhere.process([(world.tags["TI-101"].pk, T0, 45.5)])
    assert not AlarmOccurrence.objects.filter(rule=ti["h"]).exists()
