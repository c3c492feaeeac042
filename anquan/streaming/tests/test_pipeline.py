"""The pipeline: validation, dead letters, counters, idempotency, acks, retries, partitions.

Most tests run the pipeline's batch handling in the test thread (``drain``); the threaded tests at
the end run it as the stream does."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import OperationalError

from anquan.monitoring import storage
from anquan.monitoring.models import Reading, TagLive
from anquan.streaming import pipeline as pipeline_module
from anquan.streaming import services
from anquan.streaming.choices import ConnectorStatus, RejectReason
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.pipeline import Pipeline, now_ms
from anquan.streaming.types import RawReading, Reject

NOW = now_ms()


class FakeProcessor:
    """Stands in for monitoring.alarms.processor.AlarmProcessor (same methods)."""

    def __init__(self, fail: int = 0, error: type[Exception] = OperationalError) -> None:
        self.fed: list[list[tuple[int, int, float]]] = []
        self.ticks: list[int] = []
        self.fail = fail
        self.error = error

    def reload(self) -> None:
        pass

    def process(self, readings: Sequence[tuple[int, int, float]]) -> None:
        if self.fail:
            self.fail -= 1
            raise self.error("the alarm store is unavailable")
        self.fed.append(list(readings))

    def tick(self, now_ms: int) -> None:
        self.ticks.append(now_ms)


class FakeForwarder:
    def __init__(self, fail: int = 0) -> None:
        self.sent: list[tuple[int, list[tuple[int, int, float]]]] = []
        self.fail = fail

    def forward(self, partition: int, rows: Sequence[tuple[int, int, float]]) -> bool:
        if self.fail:
            self.fail -= 1
            return False
        self.sent.append((partition, list(rows)))
        return True


class Acks:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, name: str) -> Any:
        return lambda: self.calls.append(name)


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(pipeline_module, "RETRY_MAX_S", 0.02)


@pytest.fixture
def mqtt_connector(world: Any) -> Connector:
    return services.create_connector(
        None, site=world.site_a, name="东区 MQTT", protocol="mqtt", config={"topics": ["anquan/east/#"]}
    )


def make(**kw: Any) -> Pipeline:
    kw.setdefault("processor", FakeProcessor())
    kw.setdefault("clock", lambda: NOW)
    return Pipeline(**kw)


def stored(tag_id: int) -> list[tuple[int, float]]:
    return list(Reading.objects.filter(tag_id=tag_id).order_by("ts").values_list("ts", "value"))


def test_accepted_readings_are_stored_counted_and_fed_to_the_alarms_in_time_order(world, mqtt_connector):
    ti, pi = world.tags["TI-101"].id, world.tags["PI-201"].id
    acks = Acks()
    p = make()

    p.submit(
        mqtt_connector.id,
        [RawReading("TI-101", NOW - 1000, 21.5), RawReading("PI-201", NOW - 2000, 1)],
        ack=acks("m1"),
    )
    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW - 3000, 20)], ack=acks("m2"))
    p.drain()

    assert stored(ti) == [(NOW - 3000, 20.0), (NOW - 1000, 21.5)]
    assert stored(pi) == [(NOW - 2000, 1.0)]
    assert p.processor.fed == [[(ti, NOW - 3000, 20.0), (pi, NOW - 2000, 1.0), (ti, NOW - 1000, 21.5)]]
    assert acks.calls == ["m1", "m2"]
    c = Connector.objects.get(pk=mqtt_connector.pk)
    assert (c.received, c.accepted, c.rejected) == (3, 3, 0)
    assert c.last_data_at is not None
    assert TagLive.objects.get(tag_id=ti).value == 21.5
    assert p.buffered == 0
    assert p.stats.stored == 3


def test_every_bad_reading_is_refused_with_its_reason_and_kept(world, mqtt_connector, settings):
    settings.ANQUAN_INGEST_LATE_WINDOW_S = 3600
    settings.ANQUAN_INGEST_FUTURE_TOLERANCE_S = 60
    ti = world.tags["TI-101"].id
    p = make()
    bad = [
        RawReading("NOPE-1", NOW, 1.0),  # unknown tag
        RawReading("LI-901", NOW, 1.0),  # a tag of the other site
        RawReading("TI-101", NOW, "21.5"),  # text is not a number
        RawReading("TI-101", NOW, True),  # neither is a bool
        RawReading("TI-101", NOW, None),
        RawReading("TI-101", NOW, float("nan")),
        RawReading("TI-101", NOW, float("-inf")),
        RawReading("TI-101", NOW, 10**400),  # an int too large for a float
        RawReading("TI-101", NOW, 80.5),  # range is -20..80
        RawReading("TI-101", NOW - 3600_001, 20.0),  # older than the late window
        RawReading("TI-101", NOW + 60_001, 20.0),  # ahead by more than the tolerance
    ]
    good = [
        RawReading("TI-101", NOW - 3600_000, -20),  # the bounds are inside
        RawReading("TI-101", NOW + 60_000, 80),
    ]
    mapping_reject = Reject(reason=RejectReason.MALFORMED, raw="{oops", detail="报文不是有效的 UTF-8 JSON。")

    p.submit(mqtt_connector.id, bad + good, [mapping_reject])
    p.drain()

    assert stored(ti) == [(NOW - 3600_000, -20.0), (NOW + 60_000, 80.0)]
    letters = list(
        DeadLetter.objects.order_by("id").values_list("reason", "tag_code", "ts", "connector_id", "site_id")
    )
    cid, site = mqtt_connector.id, world.site_a.id
    assert letters == [
        ("malformed", "", None, cid, site),
        ("unknown_tag", "NOPE-1", NOW, cid, site),
        ("unknown_tag", "LI-901", NOW, cid, site),
        ("not_numeric", "TI-101", NOW, cid, site),
        ("not_numeric", "TI-101", NOW, cid, site),
        ("not_numeric", "TI-101", NOW, cid, site),
        ("not_finite", "TI-101", NOW, cid, site),
        ("not_finite", "TI-101", NOW, cid, site),
        ("not_finite", "TI-101", NOW, cid, site),
        ("out_of_range", "TI-101", NOW, cid, site),
        ("too_old", "TI-101", NOW - 3600_001, cid, site),
        ("future", "TI-101", NOW + 60_001, cid, site),
    ]
    assert all(DeadLetter.objects.values_list("detail", flat=True))
    assert DeadLetter.objects.get(reason="out_of_range").raw == f'{{"tag":"TI-101","ts":{NOW},"value":80.5}}'
    c = Connector.objects.get(pk=mqtt_connector.pk)
    assert (c.received, c.accepted, c.rejected) == (14, 2, 12)
    # the out-of-range value moved the live value, so tag health reports it (the newer good one wins)
    live = TagLive.objects.get(tag_id=ti)
    assert (live.ts, live.value) == (NOW + 60_000, 80.0)


def test_an_out_of_range_value_is_the_live_value_when_it_is_the_latest(world, mqtt_connector):
    pi = world.tags["PI-201"].id
    p = make()

    p.submit(mqtt_connector.id, [RawReading("PI-201", NOW - 1000, 1.0), RawReading("PI-201", NOW, 9.9)])
    p.drain()

    assert stored(pi) == [(NOW - 1000, 1.0)]
    live = TagLive.objects.get(tag_id=pi)
    assert (live.ts, live.value) == (NOW, 9.9)
    assert p.processor.fed == [[(pi, NOW - 1000, 1.0)]]


def test_sent_twice_stored_once(world, mqtt_connector):
    ti = world.tags["TI-101"].id
    p = make()
    batch = [RawReading("TI-101", NOW - i * 1000, float(i)) for i in range(5)]

    p.submit(mqtt_connector.id, batch)
    p.drain()
    p.submit(mqtt_connector.id, batch)
    p.drain()

    assert Reading.objects.filter(tag_id=ti).count() == 5
    assert p.stats.stored == 5
    c = Connector.objects.get(pk=mqtt_connector.pk)
    assert (c.received, c.accepted, c.rejected) == (10, 10, 0)


def test_text_no_database_can_store_is_cleaned_in_dead_letters(world, mqtt_connector):
    p = make()

    p.submit(
        mqtt_connector.id, [RawReading("T\x00-1\ud800", NOW, 1.0)], [Reject("malformed", "a\x00b", "c\x00")]
    )
    p.drain()

    assert sorted(DeadLetter.objects.values_list("tag_code", "raw", "detail")) == [
        ("", "a\\0b", "c\\0"),
        (
            "T\\0-1?",
            f"RawReading(tag='T\\x00-1\\ud800', ts={NOW}, value=1.0)",
            "场所内没有位号为 T\\0-1? 的测点。",
        ),
    ]


def test_nothing_is_acknowledged_until_the_database_takes_the_batch(world, mqtt_connector, monkeypatch):
    ti = world.tags["TI-101"].id
    real = storage.write_readings
    failures = {"left": 3}

    def flaky(rows: Any) -> int:
        if failures["left"]:
            failures["left"] -= 1
            assert not acks.calls
            raise OperationalError("connection refused")
        return real(rows)

    monkeypatch.setattr(storage, "write_readings", flaky)
    acks = Acks()
    p = make()

    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW, 1.0)], ack=acks("m1"))
    p.drain()

    assert failures["left"] == 0
    assert p.stats.retries == 3
    assert acks.calls == ["m1"]
    assert stored(ti) == [(NOW, 1.0)]
    c = Connector.objects.get(pk=mqtt_connector.pk)
    assert (c.received, c.accepted) == (1, 1)  # the failed attempts left no trace


def test_a_failing_alarm_store_is_retried_before_the_ack(world, mqtt_connector):
    ti = world.tags["TI-101"].id
    acks = Acks()
    p = make(processor=FakeProcessor(fail=2))

    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW, 1.0)], ack=acks("m1"))
    p.drain()

    assert p.processor.fed == [[(ti, NOW, 1.0)]]
    assert acks.calls == ["m1"]
    assert Reading.objects.count() == 1


def test_a_broken_alarm_processor_does_not_stop_the_stream(world, mqtt_connector):
    acks = Acks()
    p = make(processor=FakeProcessor(fail=99, error=ValueError))

    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW, 1.0)], ack=acks("m1"))
    p.drain()

    assert acks.calls == ["m1"]  # stored; the alarm evaluation of this batch was logged and skipped
    assert Reading.objects.count() == 1


def test_submit_blocks_while_the_buffer_is_full(world, mqtt_connector):
    p = make(buffer_readings=10)
    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW - i, 1.0) for i in range(8)])
    done = threading.Event()

    def late() -> None:
        p.submit(mqtt_connector.id, [RawReading("TI-101", NOW - 100 - i, 1.0) for i in range(5)])
        done.set()

    thread = threading.Thread(target=late)
    thread.start()
    assert not done.wait(0.3)  # 8 + 5 > 10: waits
    assert p.buffered == 8

    p.drain()  # the first item is stored; room for the second
    assert done.wait(2)
    thread.join()
    assert p.buffered == 5
    p.drain()
    assert p.buffered == 0
    assert Reading.objects.count() == 13


def test_one_item_larger_than_the_buffer_still_passes_alone(world, mqtt_connector):
    p = make(buffer_readings=3)

    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW - i, 1.0) for i in range(10)])
    p.drain()

    assert Reading.objects.count() == 10


def test_batches_are_cut_at_the_batch_size(world, mqtt_connector):
    p = make(batch_size=4)
    for i in range(5):
        p.submit(
            mqtt_connector.id,
            [RawReading("TI-101", NOW - 10 * i, 1.0), RawReading("TI-101", NOW - 10 * i - 1, 2.0)],
        )

    p.drain()

    assert p.stats.batches == 3  # 2 + 2 | 2 + 2 | 2
    assert Reading.objects.count() == 10


def test_status_updates_are_written_by_the_pipeline(world, mqtt_connector):
    p = make()

    p.set_status(mqtt_connector.id, ConnectorStatus.RECONNECTING, "第一次")
    p.set_status(mqtt_connector.id, ConnectorStatus.CONNECTED, "已连接到 mqtt://127.0.0.1:1883")
    p.drain()

    c = Connector.objects.get(pk=mqtt_connector.pk)
    assert (c.status, c.status_detail) == ("connected", "已连接到 mqtt://127.0.0.1:1883")
    assert c.status_at is not None


def test_an_inbox_row_is_removed_with_the_batch_that_stores_it(world):
    http = services.create_connector(None, site=world.site_a, name="网关", protocol="http")
    row = InboundBatch.objects.create(connector=http, payload=b"[]")
    other = InboundBatch.objects.create(connector=http, payload=b"[]")
    p = make()

    p.submit(http.id, [RawReading("TI-101", NOW, 1.0)], inbound_id=row.id)
    p.drain()

    assert list(InboundBatch.objects.values_list("id", flat=True)) == [other.id]


def test_readings_of_an_unknown_connector_are_dead_letters_without_a_link(world):
    p = make()

    p.submit(987654, [RawReading("TI-101", NOW, 1.0)])
    p.drain()

    assert Reading.objects.count() == 0
    assert list(DeadLetter.objects.values_list("reason", "connector_id", "site_id")) == [
        ("unknown_tag", None, None)
    ]


def test_new_tags_are_seen_after_a_configuration_change(world, mqtt_connector, monkeypatch):
    from decimal import Decimal

    from anquan.plant import services as plant

    monkeypatch.setattr(pipeline_module, "CONFIG_POLL_S", 0.0)
    p = make()
    p.submit(mqtt_connector.id, [RawReading("TI-102", NOW, 1.0)])
    p.drain()
    assert DeadLetter.objects.get().reason == "unknown_tag"

    tag = plant.create_tag(
        None, equipment=world.equipment["T-101"], tag="TI-102", name="1号罐温度2", kind="temperature",
        unit="°C", range_low=Decimal("-20"), range_high=Decimal("80"),
    )  # fmt: skip
    time.sleep(0.01)
    p.submit(mqtt_connector.id, [RawReading("TI-102", NOW, 2.0)])
    p.drain()

    assert stored(tag.id) == [(NOW, 2.0)]


def test_with_partitions_other_workers_tags_are_forwarded(world, mqtt_connector):
    ti, pi = world.tags["TI-101"].id, world.tags["PI-201"].id
    forwarder = FakeForwarder(fail=1)
    acks = Acks()
    p = make(partitions=2, partition=0, forwarder=forwarder, partition_map=lambda: {ti: 0, pi: 1})

    p.submit(
        mqtt_connector.id,
        [
            RawReading("TI-101", NOW - 5, 1.0),
            RawReading("PI-201", NOW - 4, 2.0),
            RawReading("PI-201", NOW - 3, 2.1),
        ],
        ack=acks("m1"),
    )
    p.submit_forwarded([(ti, NOW - 7, 0.5)], ack=acks("fwd"))
    p.drain()

    assert forwarder.sent == [(1, [(pi, NOW - 4, 2.0), (pi, NOW - 3, 2.1)])]  # after one failed try
    assert p.processor.fed == [[(ti, NOW - 7, 0.5), (ti, NOW - 5, 1.0)]]
    assert acks.calls == ["m1", "fwd"]
    assert stored(ti) == [(NOW - 5, 1.0)]  # forwarded readings are stored by the worker that received them
    assert p.stats.forwarded_out == 2
    assert p.stats.forwarded_in == 1


def test_the_dirty_tags_for_rollups_are_handed_over_once(world, mqtt_connector):
    ti = world.tags["TI-101"].id
    p = make()
    p.submit(mqtt_connector.id, [RawReading("TI-101", NOW - 5000, 1.0), RawReading("TI-101", NOW, 2.0)])
    p.drain()

    minute = 60_000
    assert p.take_dirty() == {ti: {(NOW - 5000) // minute * minute, NOW // minute * minute}}
    assert p.take_dirty() == {}
    p.restore_dirty({ti: {NOW // minute * minute}})
    assert p.take_dirty() == {ti: {NOW // minute * minute}}


# --- the pipeline on its own thread ---------------------------------------------------------------
def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_the_pipeline_thread_batches_stores_acks_and_ticks(world, mqtt_connector):
    ti = world.tags["TI-101"].id
    processor = FakeProcessor()
    acks = Acks()
    p = Pipeline(processor=processor, batch_ms=20)
    p.start()
    try:
        now = now_ms()
        for i in range(50):
            p.submit(mqtt_connector.id, [RawReading("TI-101", now - 1000 + i, float(i))], ack=acks(f"m{i}"))
        wait_for(lambda: len(acks.calls) == 50)
    finally:
        assert p.stop()

    assert acks.calls == [f"m{i}" for i in range(50)]
    assert Reading.objects.filter(tag_id=ti).count() == 50
    assert sum(len(f) for f in processor.fed) == 50
    assert processor.ticks  # the alarm clock ran
    assert Connector.objects.get(pk=mqtt_connector.pk).accepted == 50


@pytest.mark.django_db(transaction=True)
def test_stop_flushes_what_is_queued(world, mqtt_connector):
    acks = Acks()
    p = Pipeline(processor=FakeProcessor(), batch_ms=60_000, batch_size=1_000_000)  # would wait a minute
    p.start()
    p.submit(mqtt_connector.id, [RawReading("TI-101", now_ms(), 1.0)], ack=acks("m1"))

    assert p.stop()

    assert acks.calls == ["m1"]
    assert Reading.objects.count() == 1
    with pytest.raises(pipeline_module.PipelineStopped):
        p.submit(mqtt_connector.id, [])


@pytest.mark.django_db(transaction=True)
def test_with_partitions_readings_are_held_so_late_forwarded_ones_are_fed_in_time_order(
    world, mqtt_connector
):
    # This worker takes a newer reading of its own tag from the broker first; another worker
    # forwards an older one (one batch and one broker hop later). The alarms see both, in order.
    ti = world.tags["TI-101"].id
    processor = FakeProcessor()
    acks = Acks()
    p = Pipeline(
        processor=processor,
        forwarder=FakeForwarder(),
        partitions=2,
        partition=0,
        partition_map=lambda: {ti: 0},
        batch_ms=10,
        reorder_ms=400,
    )
    p.start()
    try:
        now = now_ms()
        p.submit(mqtt_connector.id, [RawReading("TI-101", now - 5, 1.0)], ack=acks("m1"))
        time.sleep(0.1)  # stored and held (reading the table meanwhile would lock SQLite's shared cache)
        p.submit_forwarded([(ti, now - 7, 99.0)], ack=acks("fwd"))
        time.sleep(0.1)
        assert acks.calls == []  # stored, held for the alarms, not yet acknowledged
        wait_for(lambda: len(acks.calls) == 2)
    finally:
        assert p.stop()

    assert processor.fed == [[(ti, now - 7, 99.0), (ti, now - 5, 1.0)]]
    assert acks.calls == ["m1", "fwd"]
    assert Reading.objects.filter(tag_id=ti).count() == 1  # the forwarded one is stored by its receiver
