"""End to end: a fault played by the simulator goes through the real pipeline and alarm processor,
appears in an operator's open alarm console without a reload, is acknowledged there, returns to
normal and clears."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from anquan.conftest import FAST_HASHERS, signed_in_page
from anquan.demo import loader, simulate
from anquan.demo.models import FaultInjection
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.models import AlarmOccurrence
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.streaming.connectors.mqtt.mapping import map_document
from anquan.streaming.models import Connector
from anquan.streaming.pipeline import Pipeline

pytestmark = pytest.mark.django_db(transaction=True)


# A fixed instant: the simulator's noise and weather are functions of time, so the run is the same
# every time (10:00 in Binhai on a November morning).
START = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC).timestamp()


class Clock:
    """The simulator's and the pipeline's shared clock, advanced by the test (seconds)."""

    def __init__(self) -> None:
        self.t = START

    def __call__(self) -> float:
        return self.t

    def ms(self) -> int:
        return int(self.t * 1000)


class ToPipeline:
    """The simulator's publisher, delivering its ThingsBoard payloads as the MQTT connector would."""

    def __init__(self, pipeline: Pipeline, connector: Connector, clock: Clock) -> None:
        self.pipeline, self.connector, self.clock = pipeline, connector, clock

    def start(self) -> None:
        pass

    def publish(self, site: str, equipment: str, payload: Any) -> None:
        readings, rejects = map_document(payload, received_ms=self.clock.ms())
        self.pipeline.submit(self.connector.pk, readings, rejects)

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        pass


def test_a_simulated_leak_alarms_in_the_open_console_is_acknowledged_returns_and_clears(
    browser: Any, live_server: Any
) -> None:
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        loader.load()
    site = simulate.demo_site()
    assert site is not None
    operator = User.objects.get(username="wulei")
    assert operator.assignments.filter(role=Role.OPERATOR).exists()
    clock = Clock()
    pipeline = Pipeline(processor=AlarmProcessor(site_ids=[site.pk]), site_ids=[site.pk], clock=clock.ms)
    connector = Connector.objects.get(site=site, protocol="mqtt")
    runner = simulate.LiveRunner(site, ToPipeline(pipeline, connector, clock), clock=clock)

    def run(seconds: float, step: float = 5.0) -> None:
        end = clock.t + seconds
        while clock.t < end:
            clock.t += step
            runner.sync(clock.ms())
            runner.tick(clock.ms())
            pipeline.drain()

    run(60)  # a minute of normal operation: live values, no alarm
    assert not AlarmOccurrence.objects.exists()
    page = signed_in_page(browser, live_server, operator)
    page.goto(live_server.url + reverse("monitoring:console"))
    assert page.locator("#console-table tr[data-occurrence]").count() == 0

    # Given a hydrogen leak at the flange manifold, played by the simulator (20 simulated minutes,
    # starting now on the simulated clock)
    leak = simulate.inject(
        None, site=site, scenario="h2_leak", equipment="FV-404", duration_minutes=20, severity=2.0
    )
    FaultInjection.objects.filter(pk=leak.pk).update(start_at=dt.datetime.fromtimestamp(clock.t, dt.UTC))
    run(20 * 60)

    # the flange detector's first alarm (25 %LEL) is in the open console, without a reload
    alarm = AlarmOccurrence.objects.get(rule__tag__tag="AI-406", rule__level="h")
    row = page.locator(f"#console-table tr[data-occurrence='{alarm.pk}']")
    row.wait_for(timeout=10_000)
    assert "AI-406" in row.inner_text()

    # the operator acknowledges it there; who and when are kept
    row.locator("button[name=ack_one]").click()
    page.wait_for_function(
        f"!document.querySelector(\"#console-table tr[data-occurrence='{alarm.pk}'] button[name=ack_one]\")",
        timeout=10_000,
    )
    alarm.refresh_from_db()
    assert alarm.acked_by == operator and alarm.acked_at is not None and alarm.returned_at is None

    # the leak is isolated and the cloud clears: the alarm returns to normal and, acknowledged, clears
    run(30 * 60, step=15.0)
    alarm.refresh_from_db()
    assert alarm.returned_at is not None and alarm.cleared_at is not None
    row.wait_for(state="detached", timeout=10_000)
