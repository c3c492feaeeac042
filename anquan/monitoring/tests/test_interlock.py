"""Interlock rules (联锁/自动控制失效) against the database: their parameters validated by the service
and the rule form (field errors, 400), and the processor raising, returning and resuming them after a
restart from the point's engine memory."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from anquan.conftest import World
from anquan.monitoring import services
from anquan.monitoring.alarms.lifecycle import ms_to_dt
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.choices import JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule

pytestmark = pytest.mark.django_db

T0 = 1_764_300_000_000  # 2025-11-28 03:20:00 UTC
S = 1000


def interlock_rule(world: World, **params: Any) -> AlarmRule:
    """TI-101 > 45 °C must bring PI-201 to 0 MPa (± 0.05) within 10 s (the pump trips)."""
    p: dict[str, Any] = {
        "cmp": ">",
        "setpoint": 45,
        "output_tag": world.tags["PI-201"].pk,
        "output_value": 0,
        "tolerance": 0.05,
        "response_s": 10,
    }
    p.update(params)
    return services.create_rule(
        None,
        site=world.site_a,
        area=world.area_a1,
        tag=world.tags["TI-101"],
        kind="interlock",
        name="罐温高高联锁停泵",
        priority="high",
        params=p,
    )


def processor() -> AlarmProcessor:
    proc = AlarmProcessor()
    proc.housekeeping_ms = 0
    return proc


# --- parameters -------------------------------------------------------------------------------------
def test_a_valid_interlock_rule_is_stored_with_clean_params(world: World) -> None:
    rule = interlock_rule(world, setpoint="45.5", response_s="10", tolerance=None)

    assert rule.params == {
        "cmp": ">",
        "setpoint": 45.5,
        "output_tag": world.tags["PI-201"].pk,
        "output_value": 0.0,
        "tolerance": 0.0,
        "response_s": 10,
    }


def test_interlock_params_are_validated_field_by_field(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        interlock_rule(
            world, cmp="=", setpoint="high", output_tag=world.tags["LI-901"].pk, output_value=None,
            tolerance=-1, response_s=0, colour="red",
        )  # fmt: skip

    assert excinfo.value.message_dict == {
        "params": ["未知参数：colour"],
        "cmp": ["触发条件须为 >、>=、< 或 <=。"],
        "setpoint": ["请填写联锁设定值（数值）。"],
        "output_tag": ["请选择本场所的动作反馈测点。"],  # LI-901 is another site's
        "output_value": ["请填写联锁动作后的期望值（数值）。"],
        "tolerance": ["容差不能为负数。"],
        "response_s": ["响应时间须为 1 ~ 86400 秒的整数。"],
    }
    with pytest.raises(ValidationError) as excinfo:
        interlock_rule(world, output_tag=world.tags["TI-101"].pk, response_s=1.5)
    assert excinfo.value.message_dict == {
        "output_tag": ["动作反馈测点不能是触发测点。"],
        "response_s": ["响应时间须为 1 ~ 86400 秒的整数。"],
    }
    with pytest.raises(ValidationError) as excinfo:
        interlock_rule(world, output_tag=None)
    assert excinfo.value.message_dict == {"output_tag": ["请选择本场所的动作反馈测点。"]}
    assert not AlarmRule.objects.exists()


def form_post(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "area": world.area_a1.pk,
        "tag": world.tags["TI-101"].pk,
        "kind": "interlock",
        "name": "罐温高高联锁停泵",
        "priority": "high",
        "deadband": "0.5",
        "on_delay_s": "0",
        "off_delay_s": "0",
        "suppress_when_out_of_service": "on",
        "enabled": "on",
        "compound_op": "and",
        "rate_direction": "both",
        "interlock_cmp": ">",
        "interlock_setpoint": "45",
        "interlock_output_tag": world.tags["PI-201"].pk,
        "interlock_output_value": "0",
        "interlock_tolerance": "0.05",
        "interlock_response_s": "10",
    }
    data.update(overrides)
    return data


def test_the_rule_form_creates_an_interlock_rule(world: World) -> None:
    client = world.client("admin_a")

    response = client.post(reverse("monitoring:rule-create") + f"?site={world.site_a.pk}", form_post(world))

    assert response.status_code == 302
    rule = AlarmRule.objects.get(name="罐温高高联锁停泵")
    assert (rule.kind, rule.tag, rule.deadband) == ("interlock", world.tags["TI-101"], 0.5)
    assert rule.params == {
        "cmp": ">",
        "setpoint": 45.0,
        "output_tag": world.tags["PI-201"].pk,
        "output_value": 0.0,
        "tolerance": 0.05,
        "response_s": 10,
    }
    page = client.get(reverse("monitoring:rule-edit", args=[rule.pk]))
    form = page.context["form"]
    assert (form["interlock_output_tag"].value(), form["interlock_response_s"].value()) == (
        world.tags["PI-201"].pk,
        10,
    )


def test_bad_interlock_input_is_a_400_with_the_errors_on_its_fields(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("monitoring:rule-create") + f"?site={world.site_a.pk}"

    response = client.post(
        url,
        form_post(
            world,
            interlock_setpoint="",
            interlock_output_tag=world.tags["TI-101"].pk,
            interlock_output_value="",
            interlock_response_s="",
        ),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["interlock_setpoint"] == ["请填写联锁设定值（数值）。"]
    assert errors["interlock_output_tag"] == ["动作反馈测点不能是触发测点。"]
    assert errors["interlock_output_value"] == ["请填写联锁动作后的期望值（数值）。"]
    assert errors["interlock_response_s"] == ["响应时间须为 1 ~ 86400 秒的整数。"]
    no_tag = client.post(url, form_post(world, tag=""))
    assert no_tag.status_code == 400
    assert no_tag.context["form"].errors["tag"] == ["该类型的报警规则需要选择测点。"]
    assert not AlarmRule.objects.exists()


# --- the stream -------------------------------------------------------------------------------------
def test_the_processor_raises_a_failed_interlock_and_returns_it_when_the_output_acts(world: World) -> None:
    rule = interlock_rule(world)
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-201"].pk
    proc = processor()

    proc.process([(pi, T0, 0.9), (ti, T0 + 1 * S, 47.0)])  # demand; the pump keeps pumping
    proc.tick(T0 + 10 * S)
    assert not AlarmOccurrence.objects.exists()
    proc.tick(T0 + 11 * S)

    occurrence = AlarmOccurrence.objects.get(rule=rule)
    assert (occurrence.raised_at, occurrence.raised_value, occurrence.message, occurrence.priority) == (
        ms_to_dt(T0 + 11 * S),
        47.0,
        "罐温高高联锁停泵：47 °C",
        "high",
    )
    proc.process([(pi, T0 + 20 * S, 0.02)])  # tripped late
    occurrence.refresh_from_db()
    assert occurrence.returned_at == ms_to_dt(T0 + 20 * S)
    assert [j.kind for j in AlarmJournal.objects.filter(rule=rule).order_by("pk")] == [
        JournalKind.ACTIVATED,
        JournalKind.RETURNED,
    ]


def test_a_pending_interlock_response_survives_a_restart(world: World) -> None:
    rule = interlock_rule(world)
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-201"].pk
    processor().process([(pi, T0, 0.9), (ti, T0 + 1 * S, 47.0)])

    # the demand's onset was stored at once, not at the next checkpoint
    point = AlarmPoint.objects.get(rule=rule)
    assert (point.active, point.engine["since"]) == (False, T0 + 1 * S)

    restarted = processor()
    restarted.tick(T0 + 11 * S)

    occurrence = AlarmOccurrence.objects.get(rule=rule)
    assert (occurrence.raised_at, occurrence.raised_value) == (ms_to_dt(T0 + 11 * S), 47.0)
    assert AlarmPoint.objects.get(rule=rule).active
