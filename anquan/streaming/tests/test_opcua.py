"""The OPC UA connector against a real asyncua server started by the test: subscriptions deliver data
changes with their source timestamps, bad status codes are refused, the coordinator reconnects with
back-off, "test connection" names missing nodes, and Basic256Sha256 with a user name works."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from cryptography.x509.oid import ExtendedKeyUsageOID

from anquan.streaming import services
from anquan.streaming.choices import ConnectorStatus, RejectReason
from anquan.streaming.connectors.opcua import client, mapping, schema
from anquan.streaming.connectors.opcua.coordinator import Backoff, Coordinator
from anquan.streaming.connectors.opcua.mapping import Sample
from anquan.streaming.types import RawReading, Reject

NS = "urn:anquan:test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Users:
    """Only operator / s3cret may log in (the secure server)."""

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username == "operator" and password == "s3cret":
            return User(role=UserRole.User, name=username)
        return None


class OpcServer:
    """An asyncua server on its own thread and loop, with Tank.Temperature, Tank.Level and Pump.Running."""

    def __init__(self, port: int, *, secure_dir: Path | None = None) -> None:
        self.port = port
        self.url = f"opc.tcp://127.0.0.1:{port}/anquan/"
        self.secure_dir = secure_dir
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.stopping: asyncio.Event | None = None
        self.nodes: dict[str, Any] = {}
        self.ns = 2

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            server = Server(user_manager=Users()) if self.secure_dir else Server()
            await server.init()
            server.set_endpoint(self.url)
            if self.secure_dir is not None:
                await server.set_application_uri("urn:anquan:test:server")
                key, cert = self.secure_dir / "server-key.pem", self.secure_dir / "server-cert.der"
                await setup_self_signed_certificate(
                    key, cert, "urn:anquan:test:server", socket.gethostname(),
                    [ExtendedKeyUsageOID.SERVER_AUTH], {"commonName": "test server"},
                )  # fmt: skip
                await server.load_certificate(str(cert))
                await server.load_private_key(str(key))
                server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
                server.set_identity_tokens([ua.UserNameIdentityToken])
            self.ns = await server.register_namespace(NS)
            tank = await server.nodes.objects.add_object(ua.NodeId("Tank", self.ns), "Tank")
            pump = await server.nodes.objects.add_object(ua.NodeId("Pump", self.ns), "Pump")
            self.nodes = {
                "Tank.Temperature": await tank.add_variable(
                    ua.NodeId("Tank.Temperature", self.ns), "Temperature", 21.5
                ),
                "Tank.Level": await tank.add_variable(ua.NodeId("Tank.Level", self.ns), "Level", 3.2),
                "Pump.Running": await pump.add_variable(ua.NodeId("Pump.Running", self.ns), "Running", True),
            }
            self.loop = asyncio.get_running_loop()
            self.stopping = asyncio.Event()
            async with server:
                ready.set()
                await self.stopping.wait()

        def run() -> None:
            try:
                asyncio.run(serve())
            except BaseException as exc:
                failure.append(exc)
                ready.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(15), "the OPC UA server did not start"
        assert not failure, failure

    def stop(self) -> None:
        if self.loop is not None and self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        if self.thread is not None:
            self.thread.join(10)
        self.loop = self.thread = self.stopping = None

    def node_id(self, name: str) -> str:
        return f"ns={self.ns};s={name}"

    def write(
        self, name: str, value: Any, *, status: int | None = None, source: dt.datetime | None = None
    ) -> None:
        assert self.loop is not None
        variant = ua.Variant(
            value, ua.VariantType.Boolean if isinstance(value, bool) else ua.VariantType.Double
        )
        dv = ua.DataValue(
            variant,
            StatusCode=ua.StatusCode(status if status is not None else ua.StatusCodes.Good),
            SourceTimestamp=source or dt.datetime.now(dt.UTC),
        )
        asyncio.run_coroutine_threadsafe(self.nodes[name].write_value(dv), self.loop).result(5)


INITIAL = {"Tank.Temperature": 21.5, "Tank.Level": 3.2, "Pump.Running": True}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[OpcServer]:
    """One server for the module: starting one loads the whole standard address space (seconds)."""
    server = OpcServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def opcua_server(shared_server: OpcServer) -> OpcServer:
    for name, value in INITIAL.items():
        shared_server.write(name, value)
    return shared_server


@pytest.fixture
def own_server() -> Iterator[OpcServer]:
    """A server this test may stop and start again."""
    server = OpcServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    return tmp_path / "pki"


class RecordingSink:
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

    def values(self, tag: str) -> list[Any]:
        with self.lock:
            return [r.value for r in self.readings if r.tag == tag]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def config(server: OpcServer, **extra: Any) -> dict[str, Any]:
    return {
        "endpoint": server.url,
        "publishing_interval_ms": 100,
        "nodes": [
            {"node_id": server.node_id("Tank.Temperature"), "tag": "TI-101"},
            {"node_id": server.node_id("Tank.Level"), "tag": "LI-101"},
            {"node_id": server.node_id("Pump.Running"), "tag": "XS-201"},
        ],
        **extra,
    }


# --- mapping (no server) ------------------------------------------------------------------------
def test_a_good_sample_becomes_a_reading_with_its_source_timestamp() -> None:
    sample = Sample(value=21.5, quality="good", status="Good", source_ts=1000, server_ts=2000)
    assert mapping.to_reading("TI-101", sample) == RawReading("TI-101", 1000, 21.5)
    no_source = Sample(
        value=True, quality="uncertain", status="UncertainLastUsableValue", source_ts=None, server_ts=2000
    )
    assert mapping.to_reading("XS-1", no_source) == RawReading("XS-1", 2000, 1.0)


def test_a_bad_sample_is_refused_for_bad_quality() -> None:
    sample = Sample(value=None, quality="bad", status="BadSensorFailure", source_ts=1000, server_ts=2000)
    assert mapping.to_reading("TI-101", sample) == Reject(
        reason=RejectReason.BAD_QUALITY,
        raw='{"tag": "TI-101", "value": null, "status": "BadSensorFailure"}',
        detail="BadSensorFailure",
        tag="TI-101",
        ts=1000,
    )


# --- schema -------------------------------------------------------------------------------------
def _errors(config: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(services.ValidationError) as caught:
        services.validate_config("opcua", config)
    return caught.value.message_dict


def test_schema_fills_defaults() -> None:
    cleaned = services.validate_config(
        "opcua", {"endpoint": "opc.tcp://plc:4840", "nodes": [{"node_id": "ns=2;i=1001", "tag": "TI-101"}]}
    )
    assert cleaned == {
        "endpoint": "opc.tcp://plc:4840",
        "security": "none",
        "security_mode": "sign_and_encrypt",
        "username": "",
        "password": "",
        "publishing_interval_ms": 1000,
        "nodes": [{"node_id": "ns=2;i=1001", "tag": "TI-101"}],
    }


def test_schema_errors_are_chinese_and_name_their_field() -> None:
    errors = _errors(
        {
            "endpoint": "http://plc:4840",
            "security": "aes",
            "publishing_interval_ms": 10,
            "nodes": [{"node_id": "Tank.Temp", "tag": "TI-101"}, {"node_id": "nsu=urn:x;s=a", "tag": ""}],
        }
    )
    assert errors == {
        "config.endpoint": ["服务器地址应以 opc.tcp:// 开头并包含主机名，如 opc.tcp://192.168.1.10:4840。"],
        "config.security": ["请选择有效的选项。"],
        "config.publishing_interval_ms": ["不能小于 50。"],
        "config.nodes.0.node_id": ["节点 ID 格式不正确，应如 ns=2;s=Tank1.Temperature 或 ns=3;i=1001。"],
        "config.nodes.1.node_id": ["请使用命名空间序号（ns=2;s=…），不支持 nsu= 形式。"],
        "config.nodes.1.tag": ["请填写测点位号。"],
    }


def test_schema_refuses_duplicates_and_a_password_without_user() -> None:
    nodes = [{"node_id": "ns=2;i=1", "tag": "A"}, {"node_id": "ns=2;i=1", "tag": "B"}]
    assert _errors({"endpoint": "opc.tcp://plc", "nodes": nodes}) == {"config": ["节点 ns=2;i=1 重复映射。"]}
    nodes = [{"node_id": "ns=2;i=1", "tag": "A"}, {"node_id": "ns=2;i=2", "tag": "A"}]
    assert _errors({"endpoint": "opc.tcp://plc", "nodes": nodes}) == {"config": ["测点 A 映射了多个节点。"]}
    one = [{"node_id": "ns=2;i=1", "tag": "A"}]
    assert _errors({"endpoint": "opc.tcp://plc", "password": "x", "nodes": one}) == {
        "config": ["填写了密码时也请填写用户名。"]
    }


# --- a real server ------------------------------------------------------------------------------
def test_the_subscription_delivers_changes_with_source_timestamps(opcua_server: OpcServer, pki: Path) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(3, 1, config(opcua_server), sink, pki_dir=pki)
    coordinator.start()
    try:
        wait_for(lambda: sink.values("TI-101") and sink.values("LI-101") and sink.values("XS-201"))
        assert sink.values("TI-101") == [21.5]
        assert sink.values("XS-201") == [1.0]  # a boolean becomes 1/0
        assert sink.statuses == [(ConnectorStatus.CONNECTED, "")]

        stamp = dt.datetime(2026, 11, 28, 8, 0, 0, 250000, tzinfo=dt.UTC)
        opcua_server.write("Tank.Temperature", 22.75, source=stamp)
        opcua_server.write("Pump.Running", False)
        wait_for(lambda: sink.values("TI-101")[-1] == 22.75 and sink.values("XS-201")[-1] == 0.0)
        with sink.lock:
            changed = [r for r in sink.readings if r.tag == "TI-101" and r.value == 22.75]
        assert changed == [RawReading("TI-101", int(stamp.timestamp() * 1000), 22.75)]
    finally:
        coordinator.stop()
    assert not coordinator.running
    assert sink.rejects == []


def test_a_bad_status_code_is_refused_as_bad_quality(opcua_server: OpcServer, pki: Path) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(3, 1, config(opcua_server), sink, pki_dir=pki)
    coordinator.start()
    try:
        wait_for(lambda: sink.values("LI-101"))
        opcua_server.write("Tank.Level", 0.0, status=ua.StatusCodes.BadSensorFailure)
        wait_for(lambda: sink.rejects)
    finally:
        coordinator.stop()
    (reject,) = sink.rejects
    assert (reject.reason, reject.tag, reject.detail) == (
        RejectReason.BAD_QUALITY,
        "LI-101",
        "BadSensorFailure",
    )


def test_missing_nodes_are_named_in_the_status(opcua_server: OpcServer, pki: Path) -> None:
    cfg = config(opcua_server)
    cfg["nodes"].append({"node_id": f"ns={opcua_server.ns};s=Tank.Nowhere", "tag": "XX-1"})
    sink = RecordingSink()
    coordinator = Coordinator(3, 1, cfg, sink, pki_dir=pki)
    coordinator.start()
    try:
        wait_for(lambda: sink.statuses)
        wait_for(lambda: sink.values("TI-101"))
    finally:
        coordinator.stop()
    assert sink.statuses[0] == (
        ConnectorStatus.CONNECTED,
        f"节点不存在：ns={opcua_server.ns};s=Tank.Nowhere（XX-1）",
    )


def test_the_coordinator_reconnects_after_the_server_restarts(own_server: OpcServer, pki: Path) -> None:
    sink = RecordingSink()
    coordinator = Coordinator(
        3, 1, config(own_server), sink, pki_dir=pki, backoff=Backoff(first=0.2, cap=0.5)
    )
    coordinator.start()
    try:
        wait_for(lambda: sink.values("TI-101"))
        own_server.stop()
        wait_for(lambda: sum(s == ConnectorStatus.RECONNECTING for s, _ in sink.statuses) >= 3, timeout=20)
        own_server.start()
        wait_for(lambda: sink.statuses[-1][0] == ConnectorStatus.CONNECTED, timeout=30)
        own_server.write("Tank.Temperature", 30.5)
        wait_for(lambda: 30.5 in sink.values("TI-101"))
    finally:
        coordinator.stop()
    reconnecting = [d for s, d in sink.statuses if s == ConnectorStatus.RECONNECTING]
    assert reconnecting[0].startswith("连接中断：")
    assert any(d.startswith("无法连接：连接被拒绝") for d in reconnecting[1:])


def test_backoff_doubles_from_one_second_to_thirty() -> None:
    backoff = Backoff()
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_test_connection_reads_every_node(opcua_server: OpcServer, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    ok, message = schema.test_connection(config(opcua_server))
    assert ok is True
    assert message == f"已连接到 {opcua_server.url}。\n3 个节点读取成功：TI-101=21.5，LI-101=3.2，XS-201=True"


def test_test_connection_names_missing_nodes(opcua_server: OpcServer, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    cfg = config(opcua_server)
    cfg["nodes"] = [
        {"node_id": opcua_server.node_id("Tank.Temperature"), "tag": "TI-101"},
        {"node_id": opcua_server.node_id("Tank.Pressure"), "tag": "PI-101"},
    ]
    ok, message = schema.test_connection(cfg)
    assert ok is False
    assert message.splitlines() == [
        f"已连接到 {opcua_server.url}。",
        "1 个节点读取成功：TI-101=21.5",
        f"以下节点在服务器上不存在：{opcua_server.node_id('Tank.Pressure')}（PI-101）",
    ]


def test_test_connection_to_a_closed_port_says_so(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    ok, message = schema.test_connection({"endpoint": url, "nodes": [{"node_id": "ns=2;i=1", "tag": "A"}]})
    assert (ok, message) == (False, f"无法连接到 {url}：连接被拒绝（端口未开放或服务未启动）")


# --- Basic256Sha256 with a user name ----------------------------------------------------------------
@pytest.fixture(scope="module")
def secure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpcServer]:
    folder = tmp_path_factory.mktemp("server")
    server = OpcServer(free_port(), secure_dir=folder)
    server.start()
    yield server
    server.stop()


def test_basic256sha256_with_user_and_password(secure_server: OpcServer, pki: Path, settings: Any) -> None:
    settings.DATA_DIR = pki.parent
    cfg = config(secure_server, security="basic256sha256", username="operator", password="s3cret")
    ok, message = schema.test_connection(cfg)
    assert ok is True, message
    assert (pki.parent / "opcua" / client.CERT_FILE).exists()  # the platform's client certificate

    sink = RecordingSink()
    coordinator = Coordinator(3, 1, cfg, sink, pki_dir=pki)
    coordinator.start()
    try:
        wait_for(lambda: sink.values("TI-101"))
    finally:
        coordinator.stop()
    assert sink.statuses[0] == (ConnectorStatus.CONNECTED, "")


def test_a_wrong_password_is_explained(secure_server: OpcServer, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    cfg = config(secure_server, security="basic256sha256", username="operator", password="wrong")
    ok, message = schema.test_connection(cfg)
    assert ok is False
    assert message.startswith(f"无法连接到 {secure_server.url}：Bad")
    assert "用户名或密码错误" in message or "拒绝了登录凭据" in message or "登录方式" in message


def test_anonymous_login_is_refused_by_a_server_that_requires_a_user(
    secure_server: OpcServer, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    ok, message = schema.test_connection(config(secure_server, security="basic256sha256"))
    assert ok is False
    assert message.startswith(f"无法连接到 {secure_server.url}：")
