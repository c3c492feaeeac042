"""The MQTT connector against a real broker: the machine's Mosquitto (127.0.0.1:1883), and for the
broker-restart test a Mosquitto of the test's own on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import paho.mqtt.client as paho
import pydantic
import pytest

from anquan.monitoring.models import Reading
from anquan.streaming import partition, services
from anquan.streaming.connectors import PROTOCOLS
from anquan.streaming.connectors.mqtt import schema
from anquan.streaming.connectors.mqtt.coordinator import Coordinator
from anquan.streaming.models import Connector
from anquan.streaming.pipeline import Pipeline, now_ms

BROKER_PORT = 1883


def _reachable(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def require_broker() -> int:
    """The machine's broker port; skips the test without it (fails in CI)."""
    if not _reachable(BROKER_PORT):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the MQTT tests, but no broker listens on 127.0.0.1:1883")
        pytest.skip("no MQTT broker on 127.0.0.1:1883 (apt-get install mosquitto)")
    return BROKER_PORT


@pytest.fixture
def broker() -> int:
    return require_broker()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Publisher:
    """A plain MQTT 5 publisher, as a gateway or the simulator would be."""

    def __init__(self, port: int = BROKER_PORT) -> None:
        self.client = paho.Client(
            paho.CallbackAPIVersion.VERSION2,
            client_id=f"pytest-pub-{uuid.uuid4().hex[:10]}",
            protocol=paho.MQTTv5,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: Any, qos: int = 1) -> bool:
        data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        info = self.client.publish(topic, data, qos=qos)
        try:
            info.wait_for_publish(5)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: int) -> Iterator[Publisher]:
    p = Publisher(broker)
    yield p
    p.close()


def wait_for(predicate: Any, timeout: float = 10.0, message: str = "timed out") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def mqtt_connector(world: Any, topic: str, port: int = BROKER_PORT, name: str = "东区 MQTT") -> Connector:
    return services.create_connector(
        None,
        site=world.site_a,
        name=name,
        protocol="mqtt",
        config={
            "url": f"mqtt://127.0.0.1:{port}",
            "topics": [topic],
            "client_id": f"pytest-{uuid.uuid4().hex[:12]}",
            "session_expiry_s": 60,
        },
    )


def unique_topic() -> str:
    return f"anquan-test/{uuid.uuid4().hex[:12]}"


def coordinator(connector: Connector, sink: Any, **kw: Any) -> Coordinator:
    return Coordinator(connector.id, connector.site_id, connector.config, sink, **kw)


# --- configuration ---------------------------------------------------------------------------------
def test_the_registry_names_the_mqtt_package():
    kind = PROTOCOLS["mqtt"]
    assert (kind.manifest.PROTOCOL, kind.manifest.LIBRARY, kind.manifest.MODE) == (
        "mqtt",
        "paho-mqtt",
        "push",
    )
    assert kind.schema.Config is schema.MqttConfig
    assert kind.coordinator is Coordinator
    assert PROTOCOLS["http"].coordinator is None


def test_the_config_schema_defaults_and_checks():
    cfg = schema.MqttConfig.model_validate({"topics": ["anquan/east/#"]})
    assert (cfg.url, cfg.qos, cfg.client_id, cfg.session_expiry_s) == ("", 1, "", 86400)

    def problem(config: dict[str, Any]) -> str:
        with pytest.raises(pydantic.ValidationError) as err:
            schema.MqttConfig.model_validate(config)
        return str(err.value.errors()[0]["msg"])

    assert problem({"topics": []})
    assert problem({"topics": ["a/#/b"]}) == "主题 a/#/b 中 # 只能单独作为最后一级。"
    assert problem({"topics": ["a/b+"]}) == "主题 a/b+ 中 + 必须单独占一级。"
    assert problem({"topics": ["$share/g/a"]}) == "请直接填写主题；多个采集进程时系统会自动使用共享订阅。"
    assert problem({"topics": ["a", "a"]}) == "主题重复。"
    assert problem({"topics": ["a"], "url": "http://x"}) == "地址应如 mqtt://主机:1883 或 mqtts://主机:8883。"
    assert problem({"topics": ["a"], "client_id": "有空格 的"}).startswith("客户端 ID")
    assert problem({"topics": ["a"], "password": "x"}) == "填写了密码时也请填写用户名。"
    assert problem({"topics": ["a"], "qos": 2})


def test_test_connection_against_the_broker(broker):
    ok, message = schema.test_connection({"url": f"mqtt://127.0.0.1:{broker}", "topics": ["anquan/#"]})
    assert ok, message
    assert message == f"已连接到 mqtt://127.0.0.1:{broker}，订阅了 1 个主题。"


def test_test_connection_names_an_unreachable_broker():
    port = free_port()
    ok, message = schema.test_connection({"url": f"mqtt://127.0.0.1:{port}", "topics": ["a"]}, timeout_s=2)
    assert not ok
    assert message.startswith(f"无法连接到 mqtt://127.0.0.1:{port}")


# --- end to end ---------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_published_readings_are_stored_and_the_connector_reports_connected(world, publisher):
    topic = unique_topic()
    connector = mqtt_connector(world, f"{topic}/#")
    pipeline = Pipeline(batch_ms=20)
    pipeline.start()
    coord = coordinator(connector, pipeline)
    coord.start()
    try:
        assert coord.wait_connected(5)
        time.sleep(0.2)  # the subscription
        ts = now_ms()
        assert publisher.send(f"{topic}/T-101", {"tag": "TI-101", "ts": ts, "value": 21.5})
        assert publisher.send(
            f"{topic}/T-101", [{"tag": "TI-101", "ts": ts + 1, "value": 22}, {"tag": "NOPE", "value": 1}]
        )
        assert publisher.send(f"{topic}/P-201", {"ts": ts, "values": {"PI-201": 1.25}})
        assert publisher.send(f"{topic}/junk", b"{broken")
        wait_for(lambda: Connector.objects.get(pk=connector.pk).received == 5)
    finally:
        coord.stop()
        pipeline.stop()

    assert sorted(Reading.objects.values_list("tag_id", "ts", "value")) == sorted(
        [
            (world.tags["TI-101"].id, ts, 21.5),
            (world.tags["TI-101"].id, ts + 1, 22.0),
            (world.tags["PI-201"].id, ts, 1.25),
        ]
    )
    c = Connector.objects.get(pk=connector.pk)
    assert (c.received, c.accepted, c.rejected, c.status) == (5, 3, 2, "connected")
    assert c.status_detail.startswith("已连接到 mqtt://127.0.0.1:1883")


@pytest.mark.django_db(transaction=True)
def test_unacknowledged_messages_come_again_to_the_next_session(world, publisher):
    """A worker that took messages but never stored them (it died) gets them again: acks are manual."""
    topic = unique_topic()
    connector = mqtt_connector(world, topic)
    stalled = Pipeline()  # never started: nothing is stored, nothing acknowledged
    first = coordinator(connector, stalled)
    first.start()
    assert first.wait_connected(5)
    time.sleep(0.2)
    ts = now_ms()
    for i in range(5):
        assert publisher.send(topic, {"tag": "TI-101", "ts": ts + i, "value": float(i)})
    wait_for(lambda: stalled.buffered == 5)
    first.stop()

    pipeline = Pipeline(batch_ms=20)
    pipeline.start()
    second = coordinator(connector, pipeline)
    second.start()
    try:
        wait_for(lambda: Reading.objects.count() == 5)
    finally:
        second.stop()
        pipeline.stop()
    assert sorted(Reading.objects.values_list("ts", flat=True)) == [ts + i for i in range(5)]


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_topic_and_store_each_message_once(world, publisher):
    topic = unique_topic()
    connector = mqtt_connector(world, topic)
    pipeline = Pipeline(batch_ms=20)
    pipeline.start()
    workers = [coordinator(connector, pipeline, workers=2, worker_index=i) for i in (0, 1)]
    assert [w.topics for w in workers] == [[f"$share/anquan-{connector.id}/{topic}"]] * 2
    assert workers[0].client_id != workers[1].client_id
    for w in workers:
        w.start()
    try:
        assert all(w.wait_connected(5) for w in workers)
        time.sleep(0.3)
        ts = now_ms() - 10_000
        for i in range(40):
            assert publisher.send(topic, {"tag": "TI-101", "ts": ts + i, "value": float(i)})
        wait_for(lambda: Reading.objects.count() == 40)
    finally:
        for w in workers:
            w.stop()
        pipeline.stop()
    assert all(w.messages > 0 for w in workers), [w.messages for w in workers]
    assert sum(w.messages for w in workers) == 40


@pytest.fixture
def own_broker(tmp_path: Any) -> Iterator[dict[str, Any]]:
    """A Mosquitto of this test's own on a free port (so restarting it disturbs no one)."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not os.path.exists(exe):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the broker-restart test, but mosquitto is not installed")
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    state: dict[str, Any] = {"port": port, "proc": None}

    def start() -> None:
        state["proc"] = subprocess.Popen(
            [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(lambda: _reachable(port), 5, "mosquitto did not start")

    def stop() -> None:
        proc = state["proc"]
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(5)

    state["start"], state["stop"] = start, stop
    start()
    yield state
    stop()


@pytest.mark.django_db(transaction=True)
def test_the_connector_reconnects_after_a_broker_restart_and_resumes(world, own_broker):
    port = own_broker["port"]
    topic = unique_topic()
    connector = mqtt_connector(world, topic, port=port)
    pipeline = Pipeline(batch_ms=20)
    pipeline.start()
    coord = coordinator(connector, pipeline)
    coord.start()
    ts = now_ms() - 60_000
    try:
        assert coord.wait_connected(5)
        time.sleep(0.2)
        before = Publisher(port)
        assert before.send(topic, {"tag": "TI-101", "ts": ts, "value": 1.0})
        before.close()
        wait_for(lambda: Reading.objects.count() == 1)

        own_broker["stop"]()
        wait_for(lambda: Connector.objects.get(pk=connector.pk).status == "reconnecting", 10)
        own_broker["start"]()
        wait_for(lambda: coord.wait_connected(0.1), 15, "no reconnect within the back-off")
        wait_for(lambda: Connector.objects.get(pk=connector.pk).status == "connected", 5)
        time.sleep(0.3)  # the new subscription (the restarted broker kept no session)

        after = Publisher(port)
        for i in range(1, 4):
            assert after.send(topic, {"tag": "TI-101", "ts": ts + i, "value": float(i)})
        after.close()
        wait_for(lambda: Reading.objects.count() == 4)
    finally:
        coord.stop()
        pipeline.stop()
    assert sorted(Reading.objects.values_list("ts", flat=True)) == [ts + i for i in range(4)]


def test_the_installation_name_prefixes_every_broker_identity(world, settings):
    settings.ANQUAN_INSTANCE = "binhai2"
    connector = services.create_connector(
        None, site=world.site_a, name="二期 MQTT", protocol="mqtt", config={"topics": ["plant/#"]}
    )
    workers = [coordinator(connector, Pipeline(), workers=2, worker_index=i) for i in (0, 1)]

    assert [w.topics for w in workers] == [[f"$share/binhai2-{connector.id}/plant/#"]] * 2
    assert [w.client_id for w in workers] == [f"binhai2-{connector.id}-w0", f"binhai2-{connector.id}-w1"]
    assert partition.topic(1) == "binhai2/_stream/partition/1"
