"""The stream worker in process: connectors from the database, the inbox, the real AlarmProcessor,
tag health, rollups, reloading connectors, and a clean stop."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest
from django.db import OperationalError

from anquan.monitoring.models import AlarmJournal, AlarmRule, Reading, Rollup, TagLive
from anquan.streaming import runtime as runtime_module
from anquan.streaming import services
from anquan.streaming.models import Connector, InboundBatch
from anquan.streaming.pipeline import now_ms
from anquan.streaming.runtime import Jobs, StreamRuntime
from anquan.streaming.tests.test_mqtt import Publisher, mqtt_connector, require_broker, unique_topic, wait_for


@pytest.fixture
def broker() -> int:
    return require_broker()


def quietly(predicate: Any) -> Any:
    """A predicate that reads the database while the stream writes (SQLite may be busy a moment)."""

    def check() -> bool:
        try:
            return bool(predicate())
        except OperationalError:
            return False

    return check


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "CONNECTOR_POLL_S", 0.2)
    monkeypatch.setattr(runtime_module, "ROLLUP_EVERY_S", 0.3)
    monkeypatch.setattr(runtime_module, "HEALTH_EVERY_S", 0.2)
    monkeypatch.setattr(runtime_module, "INBOX_POLL_S", 0.05)


@pytest.mark.django_db(transaction=True)
def test_the_worker_ingests_raises_and_returns_alarms_and_keeps_its_jobs(world, broker, quick):
    ti = world.tags["TI-101"]
    h_rule = AlarmRule.objects.get(tag=ti, level="h")  # from the tag's limits: H = 40, deadband 1
    topic = unique_topic()
    mqtt = mqtt_connector(world, topic)
    gateway = services.create_connector(None, site=world.site_a, name="网关", protocol="http")
    stop = threading.Event()
    worker = StreamRuntime(workers=1, worker_index=0)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    publisher = Publisher(broker)
    try:
        wait_for(quietly(lambda: Connector.objects.get(pk=mqtt.pk).status == "connected"))
        assert worker.pipeline is not None and worker.pipeline.processor is not None
        t0 = (now_ms() // 60_000 - 2) * 60_000 + 5_000  # a closed minute: rolled up at once
        for i, value in enumerate([20.0, 45.0, 46.0, 30.0]):
            assert publisher.send(topic, {"tag": "TI-101", "ts": t0 + i * 1000, "value": value})
        InboundBatch.objects.create(
            connector=gateway, payload=orjson.dumps([{"tag": "PI-201", "ts": t0, "value": 1.0}])
        )

        wait_for(quietly(lambda: Reading.objects.count() == 5))
        wait_for(quietly(lambda: AlarmJournal.objects.filter(rule=h_rule, kind="returned").exists()))
        wait_for(quietly(lambda: Rollup.objects.filter(tag=ti, period=60).exists()))
        wait_for(
            quietly(lambda: TagLive.objects.get(tag=ti).status == "stale")
        )  # its last reading is minutes old
        assert InboundBatch.objects.count() == 0

        services.set_enabled(None, mqtt, False)  # the worker notices and stops the coordinator
        wait_for(lambda: mqtt.pk not in worker.coordinators)
        wait_for(quietly(lambda: Connector.objects.get(pk=mqtt.pk).status == "disabled"))
    finally:
        publisher.close()
        stop.set()
        thread.join(30)
    assert not thread.is_alive()

    kinds = list(AlarmJournal.objects.filter(rule=h_rule).order_by("id").values_list("kind", "value"))
    assert kinds == [("activated", 45.0), ("returned", 30.0)]
    assert list(Rollup.objects.filter(tag=ti, period=60).values_list("bucket", "count")) == [(t0 - 5_000, 4)]
    assert Connector.objects.get(pk=gateway.pk).accepted == 1


@pytest.mark.django_db(transaction=True)
def test_a_connector_with_a_bad_configuration_is_marked_and_skipped(world, quick):
    connector = services.create_connector(
        None, site=world.site_a, name="坏配置", protocol="mqtt", config={"topics": ["a"]}
    )
    Connector.objects.filter(pk=connector.pk).update(config={"topics": "not a list"})  # bypassing the UI
    stop = threading.Event()
    worker = StreamRuntime(workers=1, worker_index=0)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_for(quietly(lambda: Connector.objects.get(pk=connector.pk).status == "error"))
    finally:
        stop.set()
        thread.join(30)
    assert Connector.objects.get(pk=connector.pk).status_detail.startswith("配置无效")


@pytest.mark.django_db(transaction=True)
def test_a_site_filter_starts_only_that_sites_connectors(world, broker, quick):
    east = mqtt_connector(world, unique_topic(), name="东区")
    west = services.create_connector(
        None,
        site=world.site_b,
        name="西区",
        protocol="mqtt",
        config={"topics": [unique_topic()], "session_expiry_s": 60},
    )
    worker = StreamRuntime(site_ids=[world.site_a.id], workers=1, worker_index=0)
    assert worker.start()
    try:
        assert set(worker.coordinators) == {east.pk}
        assert west.pk not in worker.coordinators
    finally:
        worker.stop()


def test_runtime_refuses_an_impossible_worker_index():
    with pytest.raises(ValueError):
        StreamRuntime(workers=2, worker_index=2)


def test_closed_minutes_are_rolled_up_for_two_cycles_and_the_open_one_waits(world, monkeypatch):
    calls: list[tuple[int, list[int], int]] = []
    monkeypatch.setattr(
        runtime_module.storage,
        "refresh_rollups",
        lambda since, tags, until_ms: calls.append((since, sorted(tags), until_ms)),
    )
    now = [240_500]  # the minute from 240 000 is still filling
    monkeypatch.setattr(runtime_module, "now_ms", lambda: now[0])

    class P:
        def __init__(self) -> None:
            self.dirty: dict[int, set[int]] = {}

        def take_dirty(self) -> dict[int, set[int]]:
            d, self.dirty = self.dirty, {}
            return d

        def restore_dirty(self, d: dict[int, set[int]]) -> None:
            for tag, buckets in d.items():
                self.dirty.setdefault(tag, set()).update(buckets)

    p = P()
    jobs = Jobs(p, site_wide=False)  # type: ignore[arg-type]
    p.dirty = {1: {120_000}, 2: {60_000, 240_000}}
    jobs.rollups()
    assert p.dirty == {2: {240_000}}  # waits for its minute to close
    now[0] = 300_100
    p.dirty.setdefault(3, set()).add(180_000)
    jobs.rollups()
    jobs.rollups()

    assert calls == [
        (60_000, [2], 120_000),
        (120_000, [1], 180_000),
        (60_000, [2], 120_000),  # the previous cycle's again
        (120_000, [1], 180_000),
        (180_000, [3], 240_000),
        (240_000, [2], 300_000),  # closed now
        (180_000, [3], 240_000),
        (240_000, [2], 300_000),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_gives_up_when_its_pipeline_thread_dies(world, monkeypatch):
    from anquan.streaming.pipeline import Pipeline, PipelineStopped

    def broken(self: Any, items: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Pipeline, "_validate", broken)
    stop = threading.Event()
    worker = StreamRuntime(workers=1, worker_index=0)
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(worker.run(stop)))
    thread.start()
    wait_for(lambda: worker.pipeline is not None and worker.pipeline.alive)
    assert worker.pipeline is not None
    worker.pipeline.submit(1, [], ack=None)
    thread.join(30)

    assert result == [False]
    with pytest.raises(PipelineStopped):  # it takes no more work
        worker.pipeline.submit(1, [], ack=None)


def test_the_command_refuses_an_unknown_site(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="unknown site"):
        call_command("stream", "--site", "nowhere")
    with pytest.raises(CommandError, match="worker-index"):
        call_command("stream", "--workers", "2", "--worker-index", "5")
