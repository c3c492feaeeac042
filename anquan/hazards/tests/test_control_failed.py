"""A failed automated control (联锁/自动控制失效) becomes a hazard with source 管控措施失效 at once:
no 24 h wait, no chattering needed — through the service, the API and the alarm's pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.hazards import services
from anquan.hazards.models import Hazard
from anquan.monitoring import services as monitoring
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.models import AlarmOccurrence

pytestmark = pytest.mark.django_db

S = 1000


def failed_interlock(w: World) -> AlarmOccurrence:
    """TI-101 above 45 °C must trip the pump (PI-201 to 0 MPa) within 10 s; two minutes ago it
    did not."""
    rule = monitoring.create_rule(
        None,
        site=w.site_a,
        area=w.area_a1,
        tag=w.tags["TI-101"],
        kind="interlock",
        name="罐温高高联锁停泵",
        priority="high",
        params={
            "cmp": ">",
            "setpoint": 45,
            "output_tag": w.tags["PI-201"].pk,
            "output_value": 0,
            "tolerance": 0.05,
            "response_s": 10,
        },
    )
    start = int(timezone.now().timestamp() * 1000) - 120 * S
    processor = AlarmProcessor()
    processor.process([(w.tags["PI-201"].pk, start, 0.9), (w.tags["TI-101"].pk, start + S, 47.0)])
    processor.process([(w.tags["TI-101"].pk, start + 20 * S, 47.5)])
    return AlarmOccurrence.objects.get(rule=rule)


def test_a_failed_interlock_qualifies_at_once_and_becomes_a_control_failed_hazard(world: World) -> None:
    occurrence = failed_interlock(world)
    assert services.alarm_failure(occurrence, timezone.now()) == "control_failed"

    hazard = services.hazard_from_alarm(world.user("operator_a"), occurrence)

    assert (hazard.source, hazard.category, hazard.alarm_occurrence_id, hazard.area, hazard.equipment) == (
        "control_failed",
        "instrument",
        occurrence.pk,
        world.area_a1,
        world.equipment["T-101"],
    )
    assert (
        hazard.description == "联锁“罐温高高联锁停泵”未动作（报警：罐温高高联锁停泵：47 °C），管控措施失效。"
    )
    assert hazard.alarm_label == "罐温高高联锁停泵：47 °C"
    with pytest.raises(ValidationError) as err:
        services.hazard_from_alarm(world.user("operator_a"), occurrence)
    assert err.value.message_dict == {"occurrence": [f"该报警已转为隐患 {hazard.number}。"]}


def test_a_fresh_limit_alarm_is_still_refused_and_the_message_names_interlocks(world: World) -> None:
    monitoring.sync_limit_rules(world.tags["TI-101"])
    now_ms = int(timezone.now().timestamp() * 1000)
    AlarmProcessor().process([(world.tags["TI-101"].pk, now_ms - 60 * S, 45.0)])
    fresh = AlarmOccurrence.objects.get()

    with pytest.raises(ValidationError) as err:
        services.hazard_from_alarm(world.user("operator_a"), fresh)

    assert err.value.message_dict == {
        "occurrence": [
            "只有联锁/自动控制失效报警、持续超过 24 小时未恢复的报警或振荡报警才能转为“管控措施失效”隐患。"
        ]
    }
    assert not Hazard.objects.exists()


def test_the_api_turns_a_failed_interlock_into_a_hazard(world: World) -> None:
    occurrence = failed_interlock(world)

    r = as_user(world, "operator_a").post("/api/v1/hazards/from-alarm", {"occurrence_id": occurrence.pk})

    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["source"], body["alarm_occurrence_id"], body["equipment_code"]) == (
        "control_failed",
        occurrence.pk,
        "T-101",
    )


def test_the_alarm_page_offers_it_and_the_hazard_page_says_why(world: World) -> None:
    occurrence = failed_interlock(world)
    client = world.client("operator_a")

    alarm_page = client.get(reverse("monitoring:occurrence", args=[occurrence.pk])).content.decode()
    assert reverse("hazards:from-alarm", args=[occurrence.pk]) in alarm_page
    page = client.get(reverse("hazards:from-alarm", args=[occurrence.pk]))
    assert page.context["why"] == "control_failed"
    assert "联锁/自动控制未动作" in page.content.decode()

    r = client.post(reverse("hazards:from-alarm", args=[occurrence.pk]), {"description": ""})

    hazard = Hazard.objects.get()
    assert r.status_code == 302
    assert (hazard.source, hazard.alarm_occurrence_id) == ("control_failed", occurrence.pk)
