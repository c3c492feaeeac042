"""The alarm services: who may do what, validation with Chinese field errors, journal and audit,
and the rules that follow a tag's limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anquan.conftest import World
from anquan.monitoring import events, services
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.choices import AlarmMode, JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule, EscalationPolicy
from anquan.plant import services as plant
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = 1_764_300_000_000


def errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def raise_alarms(world: World, *tags: str) -> dict[str, AlarmOccurrence]:
    """HH and H alarms on the given tags (their limit rules synced), by rule name."""
    for tag in tags:
        services.sync_limit_rules(world.tags[tag])
    proc = AlarmProcessor()
    proc.process([(world.tags[t].pk, T0, float(world.tags[t].range_high)) for t in tags])
    return {o.rule.name: o for o in AlarmOccurrence.objects.select_related("rule")}


# --- acknowledge --------------------------------------------------------------------------------
def test_an_operator_acknowledges_in_its_site(world: World) -> None:
    occ = raise_alarms(world, "TI-101")["TI-101 高高限"]

    assert services.acknowledge(world.user("operator_a"), [occ.pk]) == 1

    occ.refresh_from_db()
    assert occ.acked_by == world.user("operator_a")
    assert occ.acked_at is not None


@pytest.mark.parametrize("who", ["operator_a", "worker_b1", "worker_a1", "expert", "contractor_a"])
def test_no_acknowledgement_outside_ones_reach(world: World, who: str) -> None:
    if who == "operator_a":  # may acknowledge in site A, not in site B
        target = raise_alarms(world, "LI-901")["LI-901 高限"]
    else:  # a worker, expert or contractor may not acknowledge anywhere
        target = raise_alarms(world, "TI-101")["TI-101 高限"]

    with captured() as published, pytest.raises(PermissionDenied):
        services.acknowledge(world.user(who), [target.pk])

    assert published == []
    assert not AlarmOccurrence.objects.filter(acked_at__isnull=False).exists()
    assert not AlarmJournal.objects.filter(kind=JournalKind.ACKNOWLEDGED).exists()


def test_bulk_acknowledgement_is_all_or_nothing(world: World) -> None:
    alarms = raise_alarms(world, "TI-101", "LI-901")
    ids = [alarms["TI-101 高限"].pk, alarms["LI-901 高限"].pk]  # the second is in site B

    with pytest.raises(PermissionDenied):
        services.acknowledge(world.user("operator_a"), ids)

    assert not AlarmOccurrence.objects.filter(acked_at__isnull=False).exists()


def test_a_team_leader_acknowledges_in_its_teams_area_only(world: World) -> None:
    alarms = raise_alarms(world, "TI-101", "PI-201")
    leader = world.user("leader_a1")

    assert services.acknowledge(leader, [alarms["TI-101 高限"].pk, alarms["TI-101 高高限"].pk]) == 2
    with pytest.raises(PermissionDenied):
        services.acknowledge(leader, [alarms["PI-201 高限"].pk])  # the pump house is another area


def test_acknowledge_publishes_one_event_per_site(world: World) -> None:
    alarms = raise_alarms(world, "TI-101", "LI-901")

    with captured() as published:
        services.acknowledge(world.user("ehs"), [o.pk for o in alarms.values()], "交接班确认")

    by_site = {e.site_id: set(e.occurrence_ids) for e in published if isinstance(e, events.AlarmAcknowledged)}
    assert by_site == {
        world.site_a.pk: {alarms["TI-101 高限"].pk, alarms["TI-101 高高限"].pk},
        world.site_b.pk: {alarms["LI-901 高限"].pk},
    }


def test_a_long_comment_is_refused(world: World) -> None:
    occ = raise_alarms(world, "TI-101")["TI-101 高限"]

    with pytest.raises(ValidationError) as excinfo:
        services.acknowledge(world.user("operator_a"), [occ.pk], "长" * 501)

    assert errors(excinfo) == {"comment": ["不能超过 500 个字。"]}


# --- shelve, out of service, comment ------------------------------------------------------------
def test_shelving_needs_a_reason_and_a_limited_time(world: World) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    rule = AlarmRule.objects.get(name="TI-101 高限")
    operator = world.user("operator_a")

    with pytest.raises(ValidationError) as excinfo:
        services.shelve(operator, rule.pk, minutes=services.MAX_SHELVE_MINUTES + 1, reason="  ")

    assert errors(excinfo) == {"reason": ["请填写搁置原因。"], "minutes": ["搁置时长须为 1 ~ 720 分钟。"]}
    assert AlarmPoint.objects.get(rule=rule).mode == AlarmMode.IN_SERVICE

    point = services.shelve(operator, rule.pk, minutes=services.MAX_SHELVE_MINUTES, reason="仪表故障待修")

    assert (point.mode, point.mode_by, point.mode_reason) == (AlarmMode.SHELVED, operator, "仪表故障待修")
    assert point.shelved_until is not None and point.mode_at is not None
    assert (point.shelved_until - point.mode_at).total_seconds() == 12 * 3600
    row = AlarmJournal.objects.get(rule=rule, kind=JournalKind.SHELVED)
    assert (row.user, row.text) == (operator, "仪表故障待修")


@pytest.mark.parametrize("who", ["worker_a1", "expert", "operator_a"])
def test_who_may_shelve(world: World, who: str) -> None:
    services.sync_limit_rules(world.tags["LI-901"])  # site B: the operator of site A may not either
    rule = AlarmRule.objects.get(name="LI-901 高限")

    with pytest.raises(PermissionDenied):
        services.shelve(world.user(who), rule.pk, minutes=10, reason="检修")

    assert AlarmPoint.objects.get(rule=rule).mode == AlarmMode.IN_SERVICE
    assert not AlarmJournal.objects.filter(rule=rule).exists()


def test_unshelving_what_is_not_shelved_is_refused(world: World) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    rule = AlarmRule.objects.get(name="TI-101 高限")

    with pytest.raises(ValidationError) as excinfo:
        services.unshelve(world.user("operator_a"), rule.pk)

    assert errors(excinfo) == {"mode": ["该报警未被搁置。"]}


def test_out_of_service_needs_the_configure_capability_in_the_area(world: World) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    services.sync_limit_rules(world.tags["PI-201"])
    tank, pump = AlarmRule.objects.get(name="TI-101 高限"), AlarmRule.objects.get(name="PI-201 高限")

    with pytest.raises(PermissionDenied):
        services.remove_from_service(world.user("operator_a"), tank.pk, reason="检修")
    with pytest.raises(PermissionDenied):
        services.remove_from_service(world.user("manager_a1"), pump.pk, reason="检修")
    with pytest.raises(ValidationError) as excinfo:
        services.remove_from_service(world.user("manager_a1"), tank.pk, reason="")
    assert errors(excinfo) == {"reason": ["请填写停用原因。"]}

    with captured() as published:
        point = services.remove_from_service(world.user("manager_a1"), tank.pk, reason="检修")

    assert point.mode == AlarmMode.OUT_OF_SERVICE
    assert published == [
        events.AlarmModeChanged(tank.pk, world.site_a.pk, "out_of_service", world.user("manager_a1").pk)
    ]
    with pytest.raises(ValidationError):
        services.shelve(world.user("operator_a"), tank.pk, minutes=5, reason="x")  # not while out of service


def test_comment(world: World) -> None:
    occ = raise_alarms(world, "TI-101")["TI-101 高限"]

    with pytest.raises(ValidationError) as excinfo:
        services.comment(world.user("operator_a"), occ.pk, " ")
    assert errors(excinfo) == {"text": ["请填写备注内容。"]}
    with pytest.raises(PermissionDenied):
        services.comment(world.user("worker_a1"), occ.pk, "看到了")

    row = services.comment(world.user("operator_a"), occ.pk, "现场确认为日照升温")

    assert (row.kind, row.user, row.occurrence, row.text) == (
        JournalKind.COMMENTED, world.user("operator_a"), occ, "现场确认为日照升温",
    )  # fmt: skip


# --- rules --------------------------------------------------------------------------------------
def new_rule(world: World, user: Any = None, **overrides: Any) -> AlarmRule:
    fields: dict[str, Any] = {
        "site": world.site_a, "area": world.area_a1, "tag": world.tags["TI-101"], "kind": "limit",
        "name": "罐温偏高", "priority": "medium", "params": {"level": "H", "value": 35},
    }  # fmt: skip
    fields.update(overrides)
    return services.create_rule(user, **fields)


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("limit", {"level": "X", "value": "a"}, {"level": ["请选择限值级别：HH、H、L 或 LL。"], "value": ["请填写限值（数值）。"]}),
        ("limit", {"level": "H", "value": float("nan")}, {"value": ["请填写限值（数值）。"]}),
        ("rate", {"per_minute": 0, "direction": "up"}, {
            "per_minute": ["变化率（每分钟）必须大于 0。"], "direction": ["方向须为上升（rise）、下降（fall）或双向（both）。"],
        }),
        ("rate", {"per_minute": 1, "window_s": 0}, {"window_s": ["计算窗口须为 1 ~ 3600 秒的整数。"]}),
        ("deviation", {"max_difference": 1}, {"reference_tag": ["请选择参考测点或填写设定值（二者选一）。"]}),
        ("deviation", {"setpoint": 1, "reference_tag": 5, "max_difference": 1}, {
            "reference_tag": ["请选择参考测点或填写设定值（二者选一）。"],
        }),
        ("deviation", {"setpoint": 20, "max_difference": -1}, {"max_difference": ["允许偏差必须大于 0。"]}),
        ("stale", {"seconds": 0}, {"seconds": ["时长须为 1 ~ 604800 秒的整数。"]}),
        ("flatline", {"seconds": 1.5, "tolerance": -1}, {
            "seconds": ["时长须为 1 ~ 604800 秒的整数。"], "tolerance": ["容差不能为负数。"],
        }),
        ("discrete", {}, {"alarm_value": ["请填写报警状态值（数值）。"]}),
        ("discrete", {"alarm_value": 1, "colour": "red"}, {"params": ["未知参数：colour"]}),
        ("compound", {"op": "xor", "terms": []}, {"op": ["逻辑须为“与”（and）或“或”（or）。"], "terms": ["组合条件须有 2 ~ 8 项。"]}),
    ],
)  # fmt: skip
def test_rule_params_are_validated_per_kind(
    world: World, kind: str, params: Any, expected: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_rule(world, kind=kind, params=params)

    assert errors(excinfo) == expected
    assert not AlarmRule.objects.exists()


def test_compound_terms_are_checked_one_by_one(world: World) -> None:
    ti, li = world.tags["TI-101"].pk, world.tags["LI-901"].pk
    params = {
        "op": "and",
        "terms": [
            {"tag": ti, "cmp": "=>", "value": 1},
            {"tag": li, "cmp": ">", "value": 1},  # another site's tag
            {"tag": ti, "trend": "sideways"},
            {"tag": ti, "cmp": "<"},
        ],
    }

    with pytest.raises(ValidationError) as excinfo:
        new_rule(world, kind="compound", tag=None, params=params)

    assert errors(excinfo) == {
        "terms": [
            "第 1 项：比较须为 >、>=、< 或 <=。",
            "第 2 项：测点必须是本场所的测点。",
            "第 3 项：趋势须为上升（rising）或下降（falling）。",
            "第 4 项：请填写比较值（数值）。",
        ]
    }


def test_common_rule_fields_are_validated_together(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_rule(
            world, name=" ", area=world.area_b1, tag=None, priority="urgent", deadband=-1, on_delay_s=-5,
            off_delay_s=10**6,
        )  # fmt: skip

    assert errors(excinfo) == {
        "name": ["请填写名称。"],
        "area": ["区域必须属于本场所。"],
        "priority": ["请选择优先级。"],
        "tag": ["该类型的报警规则需要选择测点。"],
        "deadband": ["死区不能为负数。"],
        "on_delay_s": ["延时须为 0 ~ 86400 秒的整数。"],
        "off_delay_s": ["延时须为 0 ~ 86400 秒的整数。"],
    }


def test_a_deviation_reference_must_be_another_tag_of_the_site(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_rule(
            world, kind="deviation", params={"reference_tag": world.tags["TI-101"].pk, "max_difference": 2}
        )
    assert errors(excinfo) == {"reference_tag": ["参考测点不能是本测点。"]}
    with pytest.raises(ValidationError) as excinfo:
        new_rule(
            world, kind="deviation", params={"reference_tag": world.tags["LI-901"].pk, "max_difference": 2}
        )
    assert errors(excinfo) == {"reference_tag": ["参考测点必须是本场所的测点。"]}

    rule = new_rule(
        world, kind="deviation", params={"reference_tag": str(world.tags["PI-201"].pk), "max_difference": "2"}
    )

    assert rule.params == {"reference_tag": world.tags["PI-201"].pk, "max_difference": 2.0}


def test_create_rule_needs_the_configure_capability(world: World) -> None:
    for who in ("operator_a", "leader_a1", "worker_a1"):
        with pytest.raises(PermissionDenied):
            new_rule(world, world.user(who))
    with pytest.raises(PermissionDenied):
        new_rule(world, world.user("manager_a1"), area=world.area_a2)  # another area

    rule = new_rule(world, world.user("manager_a1"), deadband="0.5", on_delay_s=30)

    assert (rule.source, rule.level, rule.params, rule.deadband, rule.on_delay_s) == (
        "manual", "h", {"level": "H", "value": 35.0}, 0.5, 30,
    )  # fmt: skip
    assert AlarmPoint.objects.get(rule=rule).mode == AlarmMode.IN_SERVICE
    entry = AuditEntry.objects.get(model="monitoring.alarmrule", object_id=str(rule.pk))
    assert (entry.action, entry.actor_name) == ("create", "manager_a1")


def test_a_valid_compound_rule(world: World) -> None:
    h2, pressure = world.tags["TI-101"].pk, world.tags["PI-201"].pk
    rule = new_rule(
        world, kind="compound", tag=None, name="法兰泄漏征兆",
        params={"op": "AND", "terms": [
            {"tag": h2, "cmp": ">", "value": "0.4"}, {"tag": pressure, "trend": "falling", "per_minute": 0.05},
        ]},
    )  # fmt: skip

    assert rule.params == {
        "op": "and",
        "terms": [
            {"tag": h2, "cmp": ">", "value": 0.4},
            {"tag": pressure, "trend": "falling", "per_minute": 0.05},
        ],
    }


def test_update_rule_validates_and_audits(world: World) -> None:
    rule = new_rule(world)
    manager = world.user("manager_a1")

    with pytest.raises(ValidationError) as excinfo:
        services.update_rule(manager, rule, params={"level": "H"})
    assert errors(excinfo) == {"value": ["请填写限值（数值）。"]}
    with pytest.raises(PermissionDenied):
        services.update_rule(world.user("operator_a"), rule, name="x")
    with pytest.raises(PermissionDenied):
        services.update_rule(manager, rule, area=world.area_a2)

    services.update_rule(manager, rule, params={"level": "H", "value": 38}, on_delay_s=60)

    rule.refresh_from_db()
    assert (rule.params, rule.on_delay_s) == ({"level": "H", "value": 38.0}, 60)
    entry = AuditEntry.objects.filter(model="monitoring.alarmrule", object_id=str(rule.pk)).latest("seq")
    assert entry.changes["on_delay_s"] == [0, 60]


def test_a_tag_limit_rule_takes_its_limits_from_the_tag(world: World) -> None:
    services.sync_limit_rules(world.tags["TI-101"])
    rule = AlarmRule.objects.get(name="TI-101 高限")

    with pytest.raises(ValidationError) as excinfo:
        services.update_rule(None, rule, params={"level": "H", "value": 1}, priority="high")
    assert set(errors(excinfo)) == {"params", "priority"}

    services.update_rule(None, rule, deadband=2.5, off_delay_s=10)  # the rest is the operator's to tune
    rule.refresh_from_db()
    assert (rule.deadband, rule.off_delay_s) == (2.5, 10)


def test_disabling_an_active_rule_returns_its_alarm(world: World) -> None:
    occ = raise_alarms(world, "TI-101")["TI-101 高限"]
    rule = occ.rule

    services.update_rule(None, rule, enabled=False)

    occ.refresh_from_db()
    assert occ.returned_at is not None
    point = AlarmPoint.objects.get(rule=rule)
    assert (point.active, point.engine) == (False, {})
    assert AlarmJournal.objects.filter(rule=rule).latest("pk").text == "规则已停用"
    assert rule.pk not in AlarmProcessor().rule_ids()


def test_delete_rule(world: World) -> None:
    rule = new_rule(world)
    with pytest.raises(PermissionDenied):
        services.delete_rule(world.user("operator_a"), rule)

    services.delete_rule(world.user("manager_a1"), rule)

    assert not AlarmRule.objects.exists()
    assert AuditEntry.objects.filter(model="monitoring.alarmrule", action="delete").exists()


def test_a_rule_with_alarm_history_is_not_deleted(world: World) -> None:
    rule = new_rule(world)
    AlarmProcessor().process([(world.tags["TI-101"].pk, T0, 36.0)])

    with pytest.raises(ValidationError) as excinfo:
        services.delete_rule(None, rule)

    assert errors(excinfo) == {"rule": ["该规则已有报警记录，不能删除；如不再需要，请停用。"]}
    assert AlarmRule.objects.filter(pk=rule.pk).exists()


# --- escalation policy --------------------------------------------------------------------------
def test_set_escalation_policy(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.set_escalation_policy(
            world.user("manager_a1"),
            world.site_a,
            high_minutes=5,
            medium_minutes=15,
            low_minutes=30,
            roles=[],
        )  # an area manager configures rules of its area, not the site's policy
    with pytest.raises(ValidationError) as excinfo:
        services.set_escalation_policy(
            world.user("admin_a"), world.site_a, high_minutes=0, medium_minutes="x", low_minutes=30,
            roles=["team_leader", "boss"],
        )  # fmt: skip
    assert errors(excinfo) == {
        "high_minutes": ["升级时间须为 1 ~ 1440 分钟的整数。"],
        "medium_minutes": ["升级时间须为 1 ~ 1440 分钟的整数。"],
        "roles": ["请选择有效的角色。"],
    }

    policy = services.set_escalation_policy(
        world.user("ehs"),
        world.site_a,
        high_minutes=3,
        medium_minutes=10,
        low_minutes=20,
        roles=["safety_officer", "ehs_director"],
    )
    again = services.set_escalation_policy(
        world.user("admin_a"),
        world.site_a,
        high_minutes=4,
        medium_minutes=10,
        low_minutes=20,
        roles=["team_leader"],
    )

    assert again.pk == policy.pk
    assert EscalationPolicy.objects.get(site=world.site_a).roles == ["team_leader"]
    assert AuditEntry.objects.filter(model="monitoring.escalationpolicy").count() == 2


# --- rules that follow the tag's limits ---------------------------------------------------------
def test_sync_limit_rules_follows_the_tag(world: World) -> None:
    tag = world.tags["TI-101"]
    services.sync_limit_rules(tag)
    assert sorted(AlarmRule.objects.filter(tag=tag).values_list("level", "enabled")) == [
        ("h", True),
        ("hh", True),
    ]

    plant.update_tag(
        None, tag, tag="TI-111", hh=None, l=Decimal("-5"), l_priority="medium", h_priority="medium"
    )
    services.sync_limit_rules(tag.pk)

    rules = {r.level: r for r in AlarmRule.objects.filter(tag=tag)}
    assert {lv: (r.name, r.priority, r.params, r.enabled) for lv, r in rules.items()} == {
        "h": ("TI-111 高限", "medium", {"level": "H", "value": 40.0}, True),
        "hh": ("TI-101 高高限", "high", {"level": "HH", "value": None}, False),  # kept for its history
        "l": ("TI-111 低限", "medium", {"level": "L", "value": -5.0}, True),
    }
    assert rules["l"].deadband == 1.0  # 1 % of the -20 … 80 °C span

    plant.update_tag(None, tag, hh=Decimal("60"))
    services.sync_limit_rules(tag)
    rules["hh"].refresh_from_db()
    assert (rules["hh"].name, rules["hh"].params, rules["hh"].enabled) == (
        "TI-111 高高限", {"level": "HH", "value": 60.0}, True,
    )  # fmt: skip


def test_sync_keeps_a_rule_disabled_by_hand_and_the_tuned_deadband(world: World) -> None:
    tag = world.tags["TI-101"]
    services.sync_limit_rules(tag)
    rule = AlarmRule.objects.get(tag=tag, level="h")
    services.update_rule(None, rule, enabled=False, deadband=3)

    plant.update_tag(None, tag, h=Decimal("42"))
    services.sync_limit_rules(tag)

    rule.refresh_from_db()
    assert (rule.enabled, rule.deadband, rule.params["value"]) == (False, 3.0, 42.0)


def test_a_rule_whose_limit_was_removed_cannot_be_enabled(world: World) -> None:
    tag = world.tags["TI-101"]
    services.sync_limit_rules(tag)
    plant.update_tag(None, tag, hh=None)
    services.sync_limit_rules(tag)

    with pytest.raises(ValidationError) as excinfo:
        services.update_rule(None, AlarmRule.objects.get(tag=tag, level="hh"), enabled=True)

    assert errors(excinfo) == {"enabled": ["测点上已没有这一限值，规则无法启用。"]}


def test_sync_of_a_tag_on_equipment_out_of_service_suppresses_its_new_rules(world: World) -> None:
    plant.update_equipment(None, world.equipment["P-201"], status="out_of_service")

    services.sync_limit_rules(world.tags["PI-201"])

    point = AlarmPoint.objects.get(rule__tag=world.tags["PI-201"])
    assert point.mode == AlarmMode.SUPPRESSED
    assert AlarmJournal.objects.get(rule=point.rule).kind == JournalKind.SUPPRESSED


def test_the_sync_command_covers_every_tag(world: World) -> None:
    from django.core.management import call_command

    call_command("alarms", "sync", verbosity=0)

    assert sorted(AlarmRule.objects.values_list("name", flat=True)) == [
        "LI-901 低限", "LI-901 高限", "PI-201 高限", "TI-101 高限", "TI-101 高高限",
    ]  # fmt: skip
    call_command("alarms", "sync", verbosity=0)  # idempotent
    assert AlarmRule.objects.count() == 5
