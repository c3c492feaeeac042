"""End to end: a hydrogen leak played by the simulator goes through the real pipeline; the unit's AI
model warns, with its explanation, before the first threshold alarm; an expert confirms the AI alert
on a phone, and an alarm and a notification follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from anquan.conftest import FAST_HASHERS, signed_in_page
from anquan.demo import earlywarning as demo_ai
from anquan.demo import loader, simulate
from anquan.demo.models import FaultInjection
from anquan.earlywarning import services
from anquan.earlywarning.choices import ReviewStatus, VersionStatus
from anquan.earlywarning.models import AIAlert
from anquan.earlywarning.scoring import ScoringHub
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.choices import RuleSource
from anquan.monitoring.models import AlarmOccurrence
from anquan.notifications.models import Notification
from anquan.org.models import User
from anquan.plant.models import Unit
from anquan.streaming.models import Connector
from anquan.streaming.pipeline import Pipeline
from anquan.tests.test_live_monitoring_browser import START, Clock, ToPipeline

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_simulated_leak_is_warned_of_by_the_ai_before_the_threshold_alarm_and_confirmed(
    browser: Any, live_server: Any
) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        loader.load()
    site = simulate.demo_site()
    assert site is not None
    director = User.objects.get(username="liuzhiqiang")
    expert = User.objects.get(username="huangzhenhua")
    operator = User.objects.get(username="wulei")

    # Given the hydrogen compression unit's model, trained on the day before and approved
    unit = Unit.objects.get(area__site=site, code="compression")
    tags = services.default_tags(unit)
    now = dt.datetime.fromtimestamp(START, dt.UTC)
    demo_ai.write_history(site, days=1, now=now, tags=[t.tag for t in tags])
    model = services.define_model(
        director, unit=unit, name="氢气压缩单元 AI 预警", tags=tags, training_days=1
    )
    version = services.request_training(director, model, end=now)
    assert services.run_training(version.pk) == VersionStatus.READY
    services.approve_version(director, version)

    # and the stream: the pipeline, the alarm rules and the AI scoring on the simulator's clock
    clock = Clock()
    pipeline = Pipeline(
        processor=AlarmProcessor(site_ids=[site.pk]), scoring=ScoringHub([site.pk]),
        site_ids=[site.pk], clock=clock.ms,
    )  # fmt: skip
    connector = Connector.objects.get(site=site, protocol="mqtt")
    runner = simulate.LiveRunner(site, ToPipeline(pipeline, connector, clock), clock=clock)

    def run(seconds: float, step: float = 10.0) -> None:
        end = clock.t + seconds
        while clock.t < end:
            clock.t += step
            runner.sync(clock.ms())
            runner.tick(clock.ms())
            pipeline.drain()

    run(20 * 60)  # normal operation: no AI alert, no alarm
    assert not AIAlert.objects.exists()
    assert not AlarmOccurrence.objects.filter(area=unit.area).exists()

    # When a slow hydrogen leak starts at the flange manifold
    leak = simulate.inject(
        None, site=site, scenario="h2_leak", equipment="FV-404", duration_minutes=180, severity=1.0
    )
    FaultInjection.objects.filter(pk=leak.pk).update(start_at=dt.datetime.fromtimestamp(clock.t, dt.UTC))
    onset = dt.datetime.fromtimestamp(clock.t, dt.UTC)
    limit_alarm = AlarmOccurrence.objects.filter(
        rule__tag__equipment__unit=unit, rule__source=RuleSource.TAG_LIMITS
    )
    while not limit_alarm.exists() and clock.t < START + 5 * 3600:
        run(60)

    # Then the AI warned first, and says why
    first_alarm = limit_alarm.order_by("raised_at").first()
    assert first_alarm is not None, "the leak never reached a threshold alarm"
    alert = AIAlert.objects.get()
    assert onset <= alert.started_at < first_alarm.raised_at
    assert {c["tag"] for c in alert.contributors} & {"AI-406", "AI-407"}
    assert alert.heatmap["tags"] == [t.tag for t in tags]
    assert alert.path and alert.review == ReviewStatus.PENDING

    # An expert reviews it on a phone: the heatmap and the path are there; they confirm
    page = signed_in_page(browser, live_server, expert)
    page.goto(live_server.url + reverse("earlywarning:alert", args=[alert.pk]))
    page.locator("#ew-heatmap canvas").first.wait_for(timeout=10_000)
    assert alert.path[0]["equipment"] in page.locator("body").inner_text()
    page.fill("textarea[name=comment]", "AI-406/407 同步上升，法兰泄漏")
    page.click("button[name=confirm]")
    page.wait_for_load_state()

    # and an alarm and a notification follow
    alert.refresh_from_db()
    assert (alert.review, alert.reviewed_by) == (ReviewStatus.CONFIRMED, expert)
    alarm = AlarmOccurrence.objects.get(rule__source=RuleSource.AI)
    assert alert.occurrence == alarm and alarm.area_id == unit.area_id
    note = Notification.objects.get(
        recipient=operator, category="ai_alert", link=f"/monitoring/alarms/{alarm.pk}/"
    )
    assert note.title == "AI 预警已确认为报警：氢气压缩单元 AI 预警"
