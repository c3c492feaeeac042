"""The Modbus TCP connector: pure register mapping, and the coordinator and "test connection" against a
real pymodbus server started by the test."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from anquan.streaming import services
from anquan.streaming.choices import ConnectorStatus, RejectReason
from anquan.streaming.connectors.modbus import mapping, schema
from anquan.streaming.connectors.modbus.coordinator import Backoff, Coordinator
from anquan.streaming.connectors.modbus.schema import ModbusConfig, RegisterMapping
from anquan.streaming.types import RawReading, Reject


def point(tag: str, register_type: str = "holding", address: int = 0, **kw: Any) -> RegisterMapping:
    return RegisterMapping(tag=tag, register_type=register_type, address=address, **kw)  # type: ignore[arg-type]


# --- mapping (no server) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data_type", "word_order", "value", "words"),
    [
        ("int16", "big", -2, [0xFFFE]),
        ("uint16", "big", 65534, [0xFFFE]),
        ("int32", "big", -123456, [0xFFFE, 0x1DC0]),
        ("int32", "little", -123456, [0x1DC0, 0xFFFE]),
        ("uint32", "big", 0x12345678, [0x1234, 0x5678]),
        ("uint32", "little", 0x12345678, [0x5678, 0x1234]),
        ("float32", "big", 3.25, [0x4050, 0x0000]),
        ("float32", "little", 3.25, [0x0000, 0x4050]),
    ],
)
def test_decode_and_encode_are_inverse(
    data_type: str, word_order: str, value: float, words: list[int]
) -> None:
    assert mapping.encode(value, data_type, word_order) == words
    assert mapping.decode(words, data_type, word_order) == value


def test_float32_nan_is_passed_on_for_the_pipeline_to_refuse() -> None:
    assert math.isnan(mapping.decode([0x7FC0, 0x0000], "float32", "big"))


def test_engineering_value_is_raw_times_scale_plus_offset() -> None:
    assert mapping.engineering(215, 0.1, 0) == pytest.approx(21.5)
    assert mapping.engineering(4000, 0.01, -20) == pytest.approx(20.0)
    assert mapping.engineering(True, 1, 0) == 1.0


def test_plan_merges_touching_addresses_per_register_type() -> None:
    points = [
        point("A", "holding", 0, data_type="int16"),
        point("B", "holding", 1, data_type="float32"),  # 1–2
        point("C", "holding", 3, data_type="uint16"),
        point("D", "holding", 10, data_type="int16"),  # a gap: its own read
        point("E", "input", 0, data_type="int32"),
        point("F", "coil", 5),
        point("G", "coil", 6),
    ]
    blocks = mapping.plan(points)
    assert [(b.register_type, b.start, b.count, b.tags) for b in blocks] == [
        ("holding", 0, 4, ["A", "B", "C"]),
        ("holding", 10, 1, ["D"]),
        ("input", 0, 2, ["E"]),
        ("coil", 5, 2, ["F", "G"]),
    ]


def test_plan_respects_the_protocol_limit_of_125_registers() -> None:
    points = [point(f"T{i}", "holding", i * 2, data_type="float32") for i in range(100)]  # 200 registers
    blocks = mapping.plan(points)
    assert [(b.start, b.count) for b in blocks] == [(0, 124), (124, 76)]
    assert sum(len(b.points) for b in blocks) == 100


def test_plan_with_a_gap_allowance_reads_across_unmapped_addresses() -> None:
    blocks = mapping.plan([point("A", address=0), point("B", address=3)], max_gap=2)
    assert [(b.start, b.count, b.tags) for b in blocks] == [(0, 4, ["A", "B"])]


def test_readings_decode_each_point_of_a_block_with_its_scaling() -> None:
    points = [
        point("TI-101", address=0, data_type="int16", scale=0.1),
        point("FI-1", address=1, data_type="float32", word_order="little", scale=2, offset=1),
    ]
    (block,) = mapping.plan(points)
    words = [215, *mapping.encode(3.25, "float32", "little")]
    assert mapping.readings(block, words, 1_764_300_000_000) == [
        RawReading("TI-101", 1_764_300_000_000, pytest.approx(21.5)),
        RawReading("FI-1", 1_764_300_000_000, 7.5),
    ]


def test_a_failing_read_becomes_bad_quality_rejects_for_its_tags() -> None:
    (block,) = mapping.plan([point("A", address=500), point("B", address=501)])
    rejects = mapping.failed(block, 1000, "Modbus 异常 2：非法数据地址")
    assert [(r.reason, r.tag, r.ts, r.detail) for r in rejects] == [
        (RejectReason.BAD_QUALITY, "A", 1000, "Modbus 异常 2：非法数据地址"),
        (RejectReason.BAD_QUALITY, "B", 1000, "Modbus 异常 2：非法数据地址"),
    ]


# --- schema -------------------------------------------------------------------------------------
def _errors(config: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(services.ValidationError) as caught:
        services.validate_config("modbus", config)
    return caught.value.message_dict


def test_schema_fills_defaults() -> None:
    cleaned = services.validate_config(
        "modbus", {"host": "10.0.0.5", "registers": [{"tag": "TI-1", "address": 3}]}
    )
    assert cleaned == {
        "host": "10.0.0.5",
        "port": 502,
        "unit_id": 1,
        "poll_interval_s": 5.0,
        "timeout_s": 3.0,
        "registers": [
            {
                "tag": "TI-1",
                "register_type": "holding",
                "address": 3,
                "data_type": "uint16",
                "word_order": "big",
                "scale": 1.0,
                "offset": 0.0,
            }
        ],
    }


def test_schema_errors_are_chinese_and_name_their_field() -> None:
    errors = _errors(
        {
            "host": "bad host!",
            "port": 70000,
            "registers": [
                {"tag": "", "address": 0},
                {"tag": "B", "address": 65535, "data_type": "float32"},
                {"tag": "C", "address": "x", "register_type": "eeprom"},
            ],
        }
    )
    assert errors == {
        "config.host": ["主机地址格式不正确。"],
        "config.port": ["不能大于 65535。"],
        "config.registers.0.tag": ["请填写测点位号。"],
        "config.registers.1": ["地址超出范围：float32 需要 2 个寄存器。"],
        "config.registers.2.register_type": ["请选择有效的选项。"],
        "config.registers.2.address": ["请输入整数。"],
    }


def test_schema_requires_registers_and_unique_tags() -> None:
    assert _errors({"host": "plc"}) == {"config.registers": ["此项为必填项。"]}
    assert _errors({"host": "plc", "registers": []}) == {"config.registers": ["至少需要 1 项。"]}
    same = {"host": "plc", "registers": [{"tag": "A", "address": 0}, {"tag": "A", "address": 1}]}
    assert _errors(same) == {"config": ["测点 A 映射了多个寄存器。"]}


# --- a real server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HOLDING = [
    215,
    0xFFFF,
    *mapping.encode(3.25, "float32", "little"),
    *mapping.encode(70000, "uint32", "big"),
    0,
    0,
]
INPUT = [*mapping.encode(-123456, "int32", "big"), 4000]


class ModbusServer:
    """A pymodbus TCP server on its own thread and loop (unit 1); stop() and start() again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: ModbusTcpServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()

        async def serve() -> None:
            device = SimDevice(
                id=1,
                simdata=(
                    [SimData(0, values=[True, False, True, False], datatype=DataType.BITS)],
                    [SimData(0, values=[False, True], datatype=DataType.BITS)],
                    [SimData(0, values=list(HOLDING), datatype=DataType.REGISTERS)],
                    [SimData(0, values=list(INPUT), datatype=DataType.REGISTERS)],
                ),
            )
            self.loop = asyncio.get_running_loop()
            self.server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            task = asyncio.create_task(self.server.serve_forever())
            for _ in range(100):
                await asyncio.sleep(0.02)
                if self.server.transport is not None:
                    break
            ready.set()
            await task

        self.thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self.thread.start()
        assert ready.wait(5), "the Modbus server did not start"

    def stop(self) -> None:
        if self.loop is not None and self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(5)
        if self.thread is not None:
            self.thread.join(5)
        self.loop = self.server = self.thread = None

    def write(self, address: int, words: list[int]) -> None:
        client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=2)
        assert client.connect()
        try:
            result = client.write_registers(address, words, device_id=1)
            assert not result.isError()
        finally:
            client.close()


@pytest.fixture
def modbus_server() -> Iterator[ModbusServer]:
    server = ModbusServer(free_port())
    server.start()
    yield server
    server.stop()


class RecordingSink:
    """What the pipeline would receive, recorded."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.readings: list[RawReading] = []
        self.rejects: list[Reject] = []
        self.statuses: list[tuple[str, str]] = []

    def submit(
        self, connector_id: int, readings: list[RawReading], rejects: Any = (), ack: Any = None
    ) -> None:
        with self.lock:
            self.readings += readings
            self.rejects += list(rejects)
        if ack is not None:
            ack()

    def set_status(self, connector_id: int, status: str, detail: str = "") -> None:
        with self.lock:
            self.statuses.append((str(status), detail))


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def config(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port,
        "unit_id": 1,
        "poll_interval_s": 0.2,
        "timeout_s": 1,
        "registers": [
            {"tag": "TI-101", "register_type": "holding", "address": 0, "data_type": "int16", "scale": 0.1},
            {"tag": "XI-1", "register_type": "holding", "address": 1, "data_type": "int16"},
            {
                "tag": "FI-1",
                "register_type": "holding",
                "address": 2,
                "data_type": "float32",
                "word_order": "little",
            },
            {"tag": "CI-1", "register_type": "holding", "address": 4, "data_type": "uint32"},
            {"tag": "PI-201", "register_type": "input", "address": 0, "data_type": "int32", "scale": 0.001},
            {
                "tag": "LI-1",
                "register_type": "input",
                "address": 2,
                "data_type": "uint16",
                "scale": 0.01,
                "offset": -20,
            },
            {"tag": "XS-1", "register_type": "coil", "address": 2},
            {"tag": "XS-2", "register_type": "discrete", "address": 1},
        ],
        **extra,
    }


def latest(sink: RecordingSink) -> dict[str, float]:
    with sink.lock:
        return {r.tag: r.value for r in sink.readings}


def test_coordinator_polls_the_register_map_with_scaling_and_word_order(modbus_server: ModbusServer) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(7, 1, config(modbus_server.port), sink)
    before = int(time.time() * 1000)
    coordinator.start()
    try:
        values = wait_for(lambda: len(latest(sink)) == 8 and latest(sink))
        assert values == {
            "TI-101": pytest.approx(21.5),
            "XI-1": -1.0,
            "FI-1": 3.25,
            "CI-1": 70000.0,
            "PI-201": pytest.approx(-123.456),
            "LI-1": pytest.approx(20.0),
            "XS-1": 1.0,
            "XS-2": 1.0,
        }
        first = sink.readings[0].ts
        assert first is not None and before <= first <= int(time.time() * 1000)
        assert {r.ts for r in sink.readings[:8]} == {first}  # one timestamp per poll
        assert sink.statuses[0] == (ConnectorStatus.CONNECTED, "")

        # the device's value changes: the next poll delivers it
        modbus_server.write(0, [mapping.encode(-5, "int16")[0]])
        modbus_server.write(2, mapping.encode(-1.5, "float32", "little"))
        wait_for(lambda: latest(sink)["TI-101"] == pytest.approx(-0.5) and latest(sink)["FI-1"] == -1.5)
    finally:
        coordinator.stop()
    assert not coordinator.running
    assert sink.rejects == []


def test_an_illegal_address_is_dead_lettered_once_and_shown_in_the_status(
    modbus_server: ModbusServer,
) -> None:
    cfg = config(modbus_server.port)
    cfg["registers"].append(
        {"tag": "BAD-1", "register_type": "holding", "address": 500, "data_type": "int16"}
    )
    sink = RecordingSink()
    coordinator = Coordinator(7, 1, cfg, sink)
    coordinator.start()
    try:
        wait_for(lambda: coordinator.polls >= 4)
    finally:
        coordinator.stop()
    assert [(r.reason, r.tag, r.detail) for r in sink.rejects] == [
        (RejectReason.BAD_QUALITY, "BAD-1", "Modbus 异常 2：非法数据地址")
    ]
    assert (ConnectorStatus.CONNECTED, "读取失败（BAD-1）：Modbus 异常 2：非法数据地址") in sink.statuses
    assert "TI-101" in latest(sink)  # the rest of the map is still read


def test_the_coordinator_reconnects_with_backoff_after_the_device_goes_away(
    modbus_server: ModbusServer,
) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(7, 1, config(modbus_server.port), sink, backoff=Backoff(first=0.1, cap=0.4))
    coordinator.start()
    try:
        wait_for(lambda: latest(sink))
        modbus_server.stop()
        # the connection is lost, then connecting fails while the device stays down
        wait_for(lambda: sum(s == ConnectorStatus.RECONNECTING for s, _ in sink.statuses) >= 3)
        count = len(sink.readings)
        modbus_server.start()
        wait_for(lambda: sink.statuses[-1][0] == ConnectorStatus.CONNECTED and len(sink.readings) > count + 8)
    finally:
        coordinator.stop()
    reconnecting = [d for s, d in sink.statuses if s == ConnectorStatus.RECONNECTING]
    assert reconnecting[0].startswith("连接中断：")
    assert any("连接被拒绝" in d for d in reconnecting[1:])


def test_a_paused_coordinator_hands_over_nothing_more(modbus_server: ModbusServer) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(7, 1, config(modbus_server.port), sink)
    coordinator.start()
    try:
        wait_for(lambda: latest(sink))
        coordinator.pause()  # the stream is shutting down
        time.sleep(0.3)  # (a poll already under way may still finish)
        count = len(sink.readings)
        polls = coordinator.polls
        time.sleep(0.6)
        assert len(sink.readings) == count and coordinator.polls == polls
    finally:
        coordinator.stop()


def test_backoff_doubles_from_one_second_to_thirty() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next() == 1


def test_test_connection_reads_the_map_once(modbus_server: ModbusServer) -> None:
    ok, message = schema.test_connection(ModbusConfig.model_validate(config(modbus_server.port)))
    assert ok is True
    assert message == (
        f"已连接到 127.0.0.1:{modbus_server.port}（从站 1）。\n"
        "8 个测点读取成功：TI-101=21.5，XI-1=-1，FI-1=3.25，CI-1=70000，PI-201=-123.456，LI-1=20，XS-1=1，XS-2=1"
    )


def test_test_connection_names_the_registers_that_fail(modbus_server: ModbusServer) -> None:
    cfg = config(modbus_server.port)
    cfg["registers"] = [
        {"tag": "TI-101", "address": 0, "data_type": "int16", "scale": 0.1},
        {"tag": "BAD-1", "address": 900},
        {"tag": "BAD-2", "address": 901},
    ]
    ok, message = schema.test_connection(cfg)
    assert ok is False
    assert message.splitlines()[1:] == [
        "1 个测点读取成功：TI-101=21.5",
        "读取失败（BAD-1，BAD-2）：Modbus 异常 2：非法数据地址",
    ]


def test_test_connection_to_a_closed_port_says_so() -> None:
    port = free_port()
    ok, message = schema.test_connection(config(port))
    assert ok is False
    assert message == f"无法连接到 127.0.0.1:{port}：连接被拒绝（端口未开放或服务未启动）"
