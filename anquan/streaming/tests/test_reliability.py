"""Reliability of ``anquan stream`` as a real process against the real broker and PostgreSQL:

- SIGKILL while a publisher sends at QoS 1, restart: every reading the broker accepted is stored once;
- the database unreachable for seconds (a TCP proxy the test stops): nothing dropped, back-pressure
  holds the rest at the broker, everything stored after;
- two workers sharing a connector: both get load, every reading stored once, and each limit alarm
  raised once and returned once although its readings arrive at either worker.

The stream process and the test must see the same database, so these run on PostgreSQL only (the
suite's PostgreSQL pass: ``ANQUAN_DATABASE_URL=postgres://… pytest``).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from django.db import connection

from anquan.monitoring.models import AlarmJournal, AlarmRule, Reading
from anquan.streaming.models import Connector
from anquan.streaming.pipeline import now_ms
from anquan.streaming.tests.test_mqtt import (
    Publisher,
    free_port,
    mqtt_connector,
    require_broker,
    unique_topic,
    wait_for,
)


@pytest.fixture
def broker() -> int:
    return require_broker()


pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "the stream runs as a separate process here and must share the test database: "
            "run these on PostgreSQL (ANQUAN_DATABASE_URL=postgres://…)"
        )


def db_url(port: int | None = None) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{s['NAME']}"


class StreamProcess:
    """``anquan stream`` as a child process, its log in a file."""

    def __init__(self, tmp_path: Path, name: str, env: dict[str, str], args: list[str]) -> None:
        self.log = tmp_path / f"{name}.log"
        self.env = env
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "anquan.cli", "stream", *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def stream(tmp_path: Path) -> Iterator[Any]:
    started: list[StreamProcess] = []

    def make(
        name: str = "stream", *, db_port: int | None = None, args: list[str] | None = None, **env: str
    ) -> StreamProcess:
        environment = {
            **os.environ,
            "ANQUAN_DATABASE_URL": db_url(db_port),
            "ANQUAN_DATA_DIR": str(tmp_path / "data"),
            "ANQUAN_SECRET_KEY": "pytest-" + "x" * 50,
            "ANQUAN_MQTT_URL": "mqtt://127.0.0.1:1883",
            "ANQUAN_STREAM_BATCH_MS": "20",
            "ANQUAN_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        p = StreamProcess(tmp_path, name, environment, args or [])
        started.append(p)
        return p

    yield make
    for p in started:
        if p.alive:
            p.stop()


def connected(connector: Connector) -> Any:
    return lambda: Connector.objects.get(pk=connector.pk).status == "connected"


def stored_ts(tag_id: int) -> list[int]:
    return list(Reading.objects.filter(tag_id=tag_id).values_list("ts", flat=True))


class PublisherThread(threading.Thread):
    """Publishes batches of 10 readings at QoS 1 at a steady pace; remembers what the broker accepted."""

    def __init__(
        self, topic: str, messages: int, *, tags: tuple[str, ...] = ("TI-101",), pace_s: float = 0.01
    ) -> None:
        super().__init__(daemon=True)
        self.topic = topic
        self.messages = messages
        self.tags = tags
        self.pace_s = pace_s
        self.base = now_ms() - 120_000
        self.accepted: list[tuple[str, int]] = []
        self.refused = 0
        self.sent = 0

    def run(self) -> None:
        pub = Publisher()
        try:
            for i in range(self.messages):
                batch = [
                    {"tag": tag, "ts": self.base + i * 10 + j, "value": 20.0 + (i % 7)}
                    for tag in self.tags
                    for j in range(10 // len(self.tags))
                ]
                if pub.send(self.topic, batch):
                    self.accepted.extend((r["tag"], r["ts"]) for r in batch)
                else:
                    self.refused += 1
                self.sent = i + 1
                time.sleep(self.pace_s)
        finally:
            pub.close()


@pytest.mark.django_db(transaction=True)
def test_sigkill_while_publishing_loses_nothing_the_broker_accepted(world, broker, stream):
    ti = world.tags["TI-101"].id
    topic = unique_topic()
    connector = mqtt_connector(world, topic)
    worker = stream("first")
    worker.start()
    wait_for(connected(connector), 30, "the stream did not connect")

    publisher = PublisherThread(topic, 400)
    publisher.start()
    wait_for(lambda: publisher.sent >= 100, 20)
    worker.kill()  # mid-stream: batches in memory, stored but not yet acknowledged, …
    wait_for(lambda: publisher.sent >= 200, 20)
    again = stream("second")
    again.start()
    publisher.join(60)
    assert not publisher.is_alive()
    accepted = {ts for _, ts in publisher.accepted}
    assert len(accepted) >= 3500 and publisher.refused == 0

    wait_for(lambda: set(stored_ts(ti)) >= accepted, 60, "readings the broker accepted are missing")
    time.sleep(0.5)
    assert again.stop() == 0
    stored = stored_ts(ti)
    assert len(stored) == len(set(stored))  # once each (the primary key)
    assert set(stored) == accepted


class TcpProxy:
    """A TCP forwarder to PostgreSQL that the test can stop (dropping every connection) and restart."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # stopped while this one was connecting: drop it too
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.mark.django_db(transaction=True)
def test_the_database_unavailable_for_seconds_drops_nothing(world, broker, stream):
    ti = world.tags["TI-101"].id
    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    proxy.start()
    topic = unique_topic()
    connector = mqtt_connector(world, topic)
    worker = stream(db_port=proxy.port, ANQUAN_STREAM_BUFFER_READINGS="300")
    worker.start()
    try:
        wait_for(connected(connector), 30, "the stream did not connect")
        before = PublisherThread(topic, 20, pace_s=0)
        before.run()
        wait_for(lambda: len(stored_ts(ti)) == 200, 20)

        proxy.stop()  # every connection of the stream to the database drops; new ones are refused
        during = PublisherThread(topic, 60, pace_s=0)
        during.base = before.base + 100_000
        during.run()
        assert len(during.accepted) == 600  # the broker took them all …
        time.sleep(5)
        assert len(stored_ts(ti)) == 200  # … the stream could store none …
        assert worker.alive  # … and neither crashed nor dropped them

        proxy.start()
        wanted = {ts for _, ts in before.accepted + during.accepted}
        wait_for(lambda: set(stored_ts(ti)) == wanted, 60, "readings held during the outage were not stored")
        assert worker.stop() == 0
    finally:
        proxy.stop()
    log = worker.text()
    assert "database unavailable" in log or "retrying" in log


def _purge_sessions(client_ids: list[str]) -> None:
    """Forget what the broker holds for these clients (partition sessions of earlier runs): a clean
    start replaces the session, and one that expires at disconnect leaves nothing behind."""
    for client_id in client_ids:
        c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        c.connect("127.0.0.1", 1883, clean_start=True)
        c.loop_start()
        time.sleep(0.2)
        c.disconnect()
        c.loop_stop()


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_load_and_alarms_stay_correct(world, broker, stream):
    ti, pi = world.tags["TI-101"], world.tags["PI-201"]
    assert {ti.id % 2, pi.id % 2} == {0, 1}  # their alarm rules live in different partitions
    ti_h = AlarmRule.objects.get(tag=ti, level="h")  # H 40, deadband 1
    pi_h = AlarmRule.objects.get(tag=pi, level="h")  # H 1.6, deadband 0.025
    _purge_sessions(["anquan-stream-p0-of-2", "anquan-stream-p1-of-2"])
    topic = unique_topic()
    connector = mqtt_connector(world, topic)
    workers = [stream(f"w{i}", args=["--workers", "2", "--worker-index", str(i)]) for i in (0, 1)]
    for w in workers:
        w.start()
    wait_for(connected(connector), 30, "the stream did not connect")
    time.sleep(1.0)  # both workers subscribed

    # one message a second of data time, sent close together: normal, one second high (both alarm),
    # normal again (both return). Each worker takes messages of both tags from the broker; the
    # owner of a tag's rules gets the other worker's share forwarded, later than its own: it holds
    # its own long enough to feed the rules all of them in time order.
    base = now_ms() - 300_000
    pub = Publisher()
    total = 0
    for i in range(90):
        high = i == 30
        payload = [
            {"tag": "TI-101", "ts": base + i * 1000, "value": 45.0 if high else 30.0 + (i % 3)},
            {"tag": "PI-201", "ts": base + i * 1000, "value": 2.0 if high else 1.0},
        ]
        assert pub.send(topic, payload)
        total += 2
        time.sleep(0.002)
    pub.close()

    wait_for(lambda: Reading.objects.count() == total, 30)

    def journal(rule: AlarmRule) -> list[str]:
        return list(AlarmJournal.objects.filter(rule=rule).order_by("id").values_list("kind", flat=True))

    wait_for(
        lambda: journal(ti_h) == ["activated", "returned"] and journal(pi_h) == ["activated", "returned"], 30
    )
    time.sleep(2)  # nothing more comes
    assert [w.stop() for w in workers] == [0, 0]
    _purge_sessions(["anquan-stream-p0-of-2", "anquan-stream-p1-of-2"])  # leave the shared broker clean
    assert journal(ti_h) == ["activated", "returned"]
    assert journal(pi_h) == ["activated", "returned"]
    assert AlarmJournal.objects.filter(rule=ti_h, kind="activated").get().value == 45.0

    stats = []
    for w in workers:
        lines = re.findall(
            r"received=(\d+) accepted=(\d+) .* forwarded_out=(\d+) forwarded_in=(\d+)", w.text()
        )
        assert lines, w.text()[-2000:]
        stats.append(tuple(int(x) for x in lines[-1]))
    assert all(s[0] > 0 for s in stats), stats  # both workers got load
    assert sum(s[1] for s in stats) == total
    assert sum(s[2] for s in stats) == sum(s[3] for s in stats) > 0  # forwarded between them
