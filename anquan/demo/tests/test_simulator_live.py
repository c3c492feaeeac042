"""The live simulator: readings on each tag's interval, faults played from the database with their
ground truth, and publishing through a real Mosquitto and an HTTP endpoint."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command

from anquan.demo import simulate
from anquan.demo.models import FaultInjection, FaultStatus
from anquan.org.models import Enterprise, Site
from anquan.simulator import Plant, every

pytestmark = pytest.mark.django_db
BROKER = ("127.0.0.1", 1883)


class Recorder:
    """A publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, Any]] = []

    def start(self) -> None:
        pass

    def publish(self, site: str, equipment: str, payload: Any) -> None:
        self.messages.append((site, equipment, payload))

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def readings(self) -> list[tuple[str, int, str, float]]:
        """(equipment, ts, tag, value) of everything published."""
        out = []
        for _site, equipment, payload in self.messages:
            for item in payload if isinstance(payload, list) else [payload]:
                out += [(equipment, item["ts"], tag, value) for tag, value in item["values"].items()]
        return out

    def series(self, tag: str) -> list[tuple[int, float]]:
        return sorted((ts, v) for _eq, ts, t, v in self.readings() if t == tag)


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def site(demo_site: Enterprise) -> Site:
    found = simulate.demo_site()
    assert found is not None
    return found


def run_for(runner: simulate.LiveRunner, clock: Clock, seconds: float, step: float = 1.0) -> None:
    end = clock.t + seconds
    while clock.t < end:
        clock.t += step
        now = int(clock.t * 1000)
        runner.sync(now)
        runner.tick(now)


def test_each_tag_is_published_on_its_own_interval_grouped_by_equipment(site: Site) -> None:
    start = float(int(time.time()) // 60 * 60)
    clock, recorder = Clock(start), Recorder()
    runner = simulate.LiveRunner(site, recorder, seed=5, clock=clock)

    run_for(runner, clock, 60)

    spec = runner.spec
    counts = Counter(tag for _eq, _ts, tag, _v in recorder.readings())
    expected = {
        t.code: len(every(t.sample_interval_s, int(start * 1000), int(start * 1000) + 60_000))
        for t in spec.tags
    }
    assert counts == expected
    assert {site_code for site_code, _eq, _p in recorder.messages} == {"binhai"}
    plant = Plant(spec, seed=5)
    for equipment, ts, tag, _value in recorder.readings():
        assert spec.tag(tag).equipment == equipment
        assert ts % (spec.tag(tag).sample_interval_s * 1000) == 0
    equipment, ts, tag, value = recorder.readings()[123]
    assert plant.values(ts, [tag]) == {tag: value}


def test_a_fault_is_played_when_due_its_truth_matches_what_was_published_and_it_ends(site: Site) -> None:
    injection = simulate.inject(
        None, site=site, scenario="h2_leak", equipment="FV-404", duration_minutes=20, severity=2.0
    )
    clock, recorder = Clock(time.time()), Recorder()
    runner = simulate.LiveRunner(site, recorder, clock=clock)

    run_for(runner, clock, 2)
    injection.refresh_from_db()
    assert injection.status == FaultStatus.RUNNING
    truth = injection.ground_truth
    assert truth["injection"] == injection.pk and truth["scenario"] == "h2_leak" and truth["speed"] == 1.0
    assert truth["start_ms"] == int(injection.start_at.timestamp() * 1000)
    leak = next(row for row in truth["tags"] if row["tag"] == "AI-406")

    run_for(runner, clock, 20 * 60, step=10.0)
    published = recorder.series("AI-406")
    first_alarm = next(ts for ts, v in published if v >= 25.0)
    assert leak["crossings"]["h"] == first_alarm == truth["first_crossing"]["at_ms"]
    injection.refresh_from_db()
    assert injection.status == FaultStatus.ENDED and injection.ground_truth["ended_at"]

    run_for(runner, clock, 1800, step=30.0)
    assert max(v for ts, v in recorder.series("AI-406")[-10:]) < 5.0  # isolated, the cloud is gone


def test_a_cancelled_fault_is_never_played_and_a_running_one_stops(site: Site) -> None:
    later = simulate.inject(None, site=site, scenario="stuck_sensor", equipment="P-201", in_minutes=1)
    now = simulate.inject(
        None, site=site, scenario="h2_leak", equipment="FV-404", duration_minutes=15, severity=3.0
    )
    clock, recorder = Clock(time.time()), Recorder()
    runner = simulate.LiveRunner(site, recorder, clock=clock)
    simulate.cancel(None, later)

    run_for(runner, clock, 600, step=10.0)
    assert recorder.series("AI-406")[-1][1] > 25
    simulate.cancel(None, now)
    run_for(runner, clock, 120, step=10.0)

    assert recorder.series("AI-406")[-1][1] < 5
    assert list(FaultInjection.objects.order_by("pk").values_list("status", flat=True)) == [
        "cancelled",
        "cancelled",
    ]
    assert later.ground_truth == {}


def test_at_speed_60_an_hour_long_fault_takes_a_minute_and_its_truth_is_in_wall_clock_time(
    site: Site,
) -> None:
    injection = simulate.inject(
        None, site=site, scenario="cooling_failure", equipment="EL-401", duration_minutes=60
    )
    clock, recorder = Clock(time.time()), Recorder()
    runner = simulate.LiveRunner(site, recorder, speed=60, clock=clock)

    run_for(runner, clock, 2)
    injection.refresh_from_db()
    truth = injection.ground_truth
    assert truth["end_ms"] - truth["start_ms"] == pytest.approx(60_000, abs=2)
    run_for(runner, clock, 61)
    injection.refresh_from_db()
    assert injection.status == FaultStatus.ENDED
    crossing = next(row for row in truth["tags"] if row["tag"] == "TI-401")["crossings"]["h"]
    published = recorder.series("TI-401")
    assert crossing == next(ts for ts, v in published if v >= 90.0)


def test_a_restarted_simulator_picks_up_the_fault_that_was_running(site: Site) -> None:
    injection = simulate.inject(
        None, site=site, scenario="h2_leak", equipment="FV-404", duration_minutes=20, severity=3.0
    )
    clock = Clock(time.time())
    first = simulate.LiveRunner(site, Recorder(), clock=clock)
    run_for(first, clock, 2)
    truth = FaultInjection.objects.get(pk=injection.pk).ground_truth

    clock.t += 900
    recorder = Recorder()
    second = simulate.LiveRunner(site, recorder, clock=clock)
    run_for(second, clock, 4)

    assert recorder.series("AI-406")[-1][1] > 25
    assert (
        FaultInjection.objects.get(pk=injection.pk).ground_truth["first_crossing"] == truth["first_crossing"]
    )


def test_faults_every_schedules_scenarios_on_equipment_they_fit(site: Site) -> None:
    clock = Clock(time.time())
    runner = simulate.LiveRunner(site, Recorder(), seed=11, faults_every_s=3600, clock=clock)

    for _ in range(3):
        clock.t += 3600
        runner.schedule_random(int(clock.t * 1000))

    made = list(FaultInjection.objects.order_by("pk"))
    assert len(made) == 3 and {i.created_by for i in made} == {None}
    spec = runner.spec
    assert all(simulate.sc.check(spec, i.scenario, i.equipment.code) is None for i in made)


# --- MQTT against the real broker -----------------------------------------------------------------
def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _need(condition: bool, why: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run this test: {why}")
        pytest.skip(why)


class Subscriber:
    def __init__(self, host: str, port: int, topic: str) -> None:
        self.messages: list[tuple[str, dict[str, Any] | list[Any], int]] = []
        self.ready = threading.Event()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rc, p: self.ready.set()
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, json.loads(m.payload), m.qos))
        self.client.connect(host, port)
        self.client.loop_start()
        assert self.ready.wait(10), "subscription not acknowledged"

    def wait_for(self, n: int, seconds: float = 15.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.messages) < n and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_mqtt_publishes_thingsboard_payloads_per_equipment_at_qos_1(site: Site) -> None:
    _need(_reachable(*BROKER), "no MQTT broker on 127.0.0.1:1883 (apt-get install mosquitto)")
    subscriber = Subscriber(*BROKER, "anquan/binhai/#")
    publisher = simulate.MqttPublisher(f"mqtt://{BROKER[0]}:{BROKER[1]}")
    clock = Clock(float(int(time.time()) // 60 * 60))
    runner = simulate.LiveRunner(site, publisher, clock=clock)
    try:
        publisher.start()
        assert publisher.connected.wait(10)
        runner.tick(int(clock.t * 1000))  # a whole minute: every tag is due
        equipment_with_tags = {t.equipment for t in runner.spec.tags}
        subscriber.wait_for(len(equipment_with_tags))
    finally:
        publisher.stop()
        subscriber.close()

    topics = {topic for topic, _payload, _qos in subscriber.messages}
    assert topics == {f"anquan/binhai/{code}" for code in equipment_with_tags}
    assert {qos for _t, _p, qos in subscriber.messages} == {1}
    by_topic = {topic: payload for topic, payload, _qos in subscriber.messages}
    tank = by_topic["anquan/binhai/T-101"]
    assert isinstance(tank, dict)
    assert tank["ts"] == int(clock.t * 1000) and set(tank["values"]) == {"TI-101", "LI-101", "FI-101"}
    assert tank["values"] == Plant(runner.spec).values(tank["ts"], ["TI-101", "LI-101", "FI-101"])


@pytest.fixture
def own_broker() -> Iterator[tuple[int, Any]]:
    """A Mosquitto of the test's own on a free port, which the test can stop and start."""
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
    )
    _need(binary is not None, "mosquitto is not installed (apt-get install mosquitto)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(
            subprocess.Popen(
                [str(binary), "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", port):
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)

    def stop() -> None:
        for p in procs:
            p.terminate()
            p.wait(10)
        procs.clear()

    yield port, (start, stop)
    stop()


def test_the_publisher_survives_the_broker_going_away_and_reconnects(site: Site, own_broker: Any) -> None:
    port, (start_broker, stop_broker) = own_broker
    publisher = simulate.MqttPublisher(f"mqtt://127.0.0.1:{port}")
    clock = Clock(time.time())
    runner = simulate.LiveRunner(site, publisher, clock=clock)
    publisher.start()  # no broker yet: paho keeps trying, 1 s doubling to 30 s
    run_for(runner, clock, 5)
    assert not publisher.connected.is_set() and publisher.sent > 0

    start_broker()
    assert publisher.connected.wait(15)
    subscriber = Subscriber("127.0.0.1", port, "anquan/binhai/#")
    run_for(runner, clock, 5)
    subscriber.wait_for(1)
    assert subscriber.messages

    stop_broker()  # the broker goes away mid-stream
    subscriber.close()
    run_for(runner, clock, 5)  # no exception: readings wait in paho's bounded queue
    start_broker()
    assert publisher.connected.wait(20)
    again = Subscriber("127.0.0.1", port, "anquan/binhai/#")
    run_for(runner, clock, 5)
    again.wait_for(1)
    publisher.stop()
    again.close()
    assert again.messages


# --- HTTP -----------------------------------------------------------------------------------------
class Ingest(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[tuple[str, list[tuple[str, Any]], Any]]:
    received: list[tuple[str, Any]] = []
    handler = type("Handler", (Ingest,), {"received": received})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers: list[http.server.HTTPServer] = []

    def start() -> None:
        server = http.server.HTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)

    yield f"http://127.0.0.1:{port}/api/v1/ingest", received, start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_posts_batches_with_the_gateway_key_and_holds_them_while_the_server_is_down(
    site: Site, ingest: Any
) -> None:
    url, received, start_server = ingest
    publisher = simulate.HttpPublisher(url, "gw_secret")
    monotonic = Clock(100.0)
    publisher.clock = monotonic
    clock = Clock(float(int(time.time()) // 60 * 60))
    runner = simulate.LiveRunner(site, publisher, clock=clock)

    runner.tick(int(clock.t * 1000))  # nobody listening yet
    waiting = publisher.pending_readings
    assert waiting == len(runner.spec.tags) and publisher.backoff == 1.0 and not received

    start_server()
    monotonic.t += 1.5  # past the back-off
    clock.t += 2
    runner.tick(int(clock.t * 1000))

    assert publisher.pending_readings == 0 and publisher.backoff == 0.0
    ((authorization, body),) = received
    assert authorization == "Bearer gw_secret"
    assert isinstance(body, list) and all(set(item) == {"ts", "values"} for item in body)
    assert sum(len(item["values"]) for item in body) == publisher.sent > waiting
    publisher.stop()


def test_the_live_command_runs_until_stopped_and_publishes_over_http(site: Site, ingest: Any) -> None:
    url, received, start_server = ingest
    start_server()
    out = StringIO()

    call_command("simulate", "--via", "http", "--url", url, "--key", "k", "--stop-after", "2.5", stdout=out)

    assert "模拟器正在驱动 滨海化工园区储运基地 的 81 个测点（1 倍速）" in out.getvalue()
    assert "模拟器已停止，共发布" in out.getvalue()
    assert received and all(auth == "Bearer k" for auth, _body in received)
