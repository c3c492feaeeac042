"""Connector services: who may configure what, config validation through the protocol schemas, secrets
kept out of the audit trail, gateway keys, switching on and off, and "test connection"."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anquan.conftest import World
from anquan.platform.models import AuditEntry
from anquan.streaming import keys, selectors, services
from anquan.streaming.choices import ConnectorStatus, Protocol
from anquan.streaming.models import Connector

OPCUA = {
    "endpoint": "opc.tcp://10.0.0.5:4840",
    "username": "reader",
    "password": "pw-1",
    "nodes": [{"node_id": "ns=2;s=Tank1.Temperature", "tag": "TI-101"}],
}
MODBUS = {
    "host": "10.0.0.6",
    "registers": [{"tag": "PI-201", "address": 0, "data_type": "int16", "scale": 0.01}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create(world: World, who: str = "admin_a", **kw: Any) -> Connector:
    fields: dict[str, Any] = {"site": world.site_a, "name": "罐区 OPC", "protocol": "opcua", "config": OPCUA}
    fields.update(kw)
    return services.create_connector(world.user(who), **fields)


def entries(connector: Connector) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(model="streaming.connector", object_id=str(connector.pk)).order_by("seq")
    )


# --- create -------------------------------------------------------------------------------------
def test_an_administrator_creates_a_connector_with_a_validated_config(world: World) -> None:
    connector = create(world)
    connector.refresh_from_db()
    assert (connector.site, connector.name, connector.protocol, connector.enabled) == (
        world.site_a, "罐区 OPC", "opcua", True,
    )  # fmt: skip
    assert connector.config == {
        "endpoint": "opc.tcp://10.0.0.5:4840",
        "security": "none",
        "security_mode": "sign_and_encrypt",
        "username": "reader",
        "password": "pw-1",
        "publishing_interval_ms": 1000,
        "nodes": [{"node_id": "ns=2;s=Tank1.Temperature", "tag": "TI-101"}],
    }
    (entry,) = entries(connector)
    assert entry.action == "create"
    assert entry.actor_id == world.user("admin_a").pk
    assert entry.changes["config"]["password"] == "***"  # never the secret itself
    assert "pw-1" not in str(entry.changes)
    assert "received" not in entry.changes and "key_hash" not in entry.changes


@pytest.mark.parametrize("who", ["operator_a", "manager_a1", "ehs", "officer_a", "worker_a1", "admin_b"])
def test_only_an_administrator_of_the_site_may_create(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        create(world, who)
    assert Connector.objects.count() == 0
    assert not AuditEntry.objects.filter(model="streaming.connector").exists()


def test_a_superuser_may_configure_any_site(world: World) -> None:
    assert create(world, "root", site=world.site_b, name="西区").site == world.site_b


def test_config_errors_come_back_per_field_with_the_name_error(world: World) -> None:
    create(world)
    with pytest.raises(ValidationError) as caught:
        create(world, config={"endpoint": "tcp://x", "nodes": [{"node_id": "bad", "tag": "TI-101"}]})
    assert caught.value.message_dict == {
        "name": ["本场所已有名为“罐区 OPC”的数据接入。"],
        "config.endpoint": ["服务器地址应以 opc.tcp:// 开头并包含主机名，如 opc.tcp://192.168.1.10:4840。"],
        "config.nodes.0.node_id": ["节点 ID 格式不正确，应如 ns=2;s=Tank1.Temperature 或 ns=3;i=1001。"],
    }
    assert Connector.objects.count() == 1


def test_unknown_protocol_and_unknown_config_keys_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, protocol="bacnet", config={})
    assert caught.value.message_dict == {"protocol": ["未知的协议：bacnet"]}
    with pytest.raises(ValidationError) as caught:
        create(world, protocol="modbus", config={**MODBUS, "baud": 9600})
    assert caught.value.message_dict == {"config.baud": ["未知的配置项。"]}


def test_a_disabled_connector_is_created_with_status_disabled(world: World) -> None:
    connector = create(world, protocol="modbus", config=MODBUS, enabled=False)
    assert (connector.enabled, connector.status) == (False, ConnectorStatus.DISABLED)


# --- update -------------------------------------------------------------------------------------
def test_update_keeps_a_secret_given_as_none_and_audits_only_what_changed(world: World) -> None:
    connector = create(world)
    new = {**OPCUA, "password": None, "publishing_interval_ms": 500}
    services.update_connector(world.user("admin_a"), connector, name="罐区 OPC UA", config=new)
    connector.refresh_from_db()
    assert connector.config["password"] == "pw-1"
    assert connector.config["publishing_interval_ms"] == 500
    update = entries(connector)[-1]
    assert update.action == "update"
    assert update.changes == {
        "name": ["罐区 OPC", "罐区 OPC UA"],
        "config": [
            services.masked_config("opcua", {**connector.config, "publishing_interval_ms": 1000}),
            services.masked_config("opcua", connector.config),
        ],
    }


def test_a_changed_password_is_audited_without_its_value(world: World) -> None:
    connector = create(world)
    services.update_connector(world.user("admin_a"), connector, config={**OPCUA, "password": "pw-2"})
    connector.refresh_from_db()
    assert connector.config["password"] == "pw-2"
    assert entries(connector)[-1].changes == {"config.password": ["***", "***"]}
    services.update_connector(
        world.user("admin_a"), connector, config={**OPCUA, "username": "", "password": ""}
    )
    assert entries(connector)[-1].changes["config.password"] == ["***", ""]


def test_an_invalid_update_changes_nothing(world: World) -> None:
    connector = create(world)
    with pytest.raises(ValidationError) as caught:
        services.update_connector(
            world.user("admin_a"), connector, name="", config={**OPCUA, "publishing_interval_ms": "fast"}
        )
    assert caught.value.message_dict == {
        "name": ["请填写名称。"],
        "config.publishing_interval_ms": ["请输入整数。"],
    }
    connector.refresh_from_db()
    assert (connector.name, connector.config["publishing_interval_ms"]) == ("罐区 OPC", 1000)
    assert len(entries(connector)) == 1


def test_another_sites_administrator_may_not_update_or_delete(world: World) -> None:
    connector = create(world)
    with pytest.raises(PermissionDenied):
        services.update_connector(world.user("admin_b"), connector, name="x")
    with pytest.raises(PermissionDenied):
        services.delete_connector(world.user("admin_b"), connector)
    with pytest.raises(PermissionDenied):
        services.set_enabled(world.user("operator_a"), connector, False)
    connector.refresh_from_db()
    assert (connector.name, connector.enabled) == ("罐区 OPC", True)


def test_switching_off_and_on_sets_the_status(world: World) -> None:
    connector = create(world)
    services.set_enabled(world.user("admin_a"), connector, False)
    connector.refresh_from_db()
    assert (connector.enabled, connector.status) == (False, ConnectorStatus.DISABLED)
    assert entries(connector)[-1].changes == {"enabled": [True, False]}
    services.set_enabled(world.user("admin_a"), connector, True)
    connector.refresh_from_db()
    assert (connector.enabled, connector.status) == (True, ConnectorStatus.UNKNOWN)


def test_delete_removes_the_connector_and_audits_it(world: World) -> None:
    connector = create(world)
    pk = connector.pk
    services.delete_connector(world.user("admin_a"), connector)
    assert not Connector.objects.filter(pk=pk).exists()
    last = AuditEntry.objects.filter(model="streaming.connector", object_id=str(pk)).order_by("seq").last()
    assert last is not None and last.action == "delete"
    assert last.changes["config"]["password"] == "***"


# --- gateway keys -------------------------------------------------------------------------------
def test_a_gateway_key_is_shown_once_and_replaces_the_previous_one(world: World) -> None:
    connector = create(world, protocol="http", name="网关", config={})
    first = services.issue_gateway_key(world.user("admin_a"), connector)
    assert keys.connector_for_key(first) == connector
    second = services.issue_gateway_key(world.user("admin_a"), connector)
    assert keys.connector_for_key(first) is None
    assert keys.connector_for_key(second) == connector
    connector.refresh_from_db()
    assert first not in str(connector.key_hash) and second.startswith("aqg_" + connector.key_prefix)
    entry = entries(connector)[-1]
    assert entry.action == "transition" and list(entry.changes) == ["key_prefix"]


def test_gateway_keys_are_only_for_http_and_only_for_the_sites_admin(world: World) -> None:
    opc = create(world)
    with pytest.raises(ValidationError):
        services.issue_gateway_key(world.user("admin_a"), opc)
    gateway = create(world, protocol="http", name="网关", config={})
    with pytest.raises(PermissionDenied):
        services.issue_gateway_key(world.user("admin_b"), gateway)
    gateway.refresh_from_db()
    assert gateway.key_hash == ""


# --- test connection ----------------------------------------------------------------------------
def test_test_connection_of_an_unsaved_config_reports_a_failure_as_a_result(
    world: World, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    config = {**MODBUS, "host": "127.0.0.1", "port": free_port(), "timeout_s": 0.5}
    result = services.test_connection(
        world.user("admin_a"), site=world.site_a, protocol="modbus", config=config
    )
    assert result == services.TestResult(
        False, f"无法连接到 127.0.0.1:{config['port']}：连接被拒绝（端口未开放或服务未启动）"
    )


def test_test_connection_validates_first(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.test_connection(
            world.user("admin_a"), site=world.site_a, protocol="modbus", config={"host": ""}
        )
    assert caught.value.message_dict == {
        "config.host": ["请填写主机地址。"],
        "config.registers": ["此项为必填项。"],
    }


def test_test_connection_is_for_the_sites_admin_only(world: World) -> None:
    for who in ("operator_a", "admin_b"):
        with pytest.raises(PermissionDenied):
            services.test_connection(world.user(who), site=world.site_a, protocol="modbus", config=MODBUS)


def test_test_connection_of_a_saved_connector_uses_its_stored_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = create(world)
    seen: list[Any] = []
    module = services.schema_module("opcua")
    monkeypatch.setattr(module, "test_connection", lambda cfg: (seen.append(cfg), (True, "ok"))[1])
    result = services.test_connection(
        world.user("admin_a"),
        site=world.site_a,
        protocol="opcua",
        config={**OPCUA, "password": None},
        connector=connector,
    )
    assert result == services.TestResult(True, "ok")
    assert seen[0].password == "pw-1"


def test_a_library_surprise_in_test_connection_becomes_a_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(cfg: Any) -> tuple[bool, str]:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(services.schema_module("opcua"), "test_connection", boom)
    result = services.test_connection(
        world.user("admin_a"), site=world.site_a, protocol="opcua", config=OPCUA
    )
    assert result == services.TestResult(False, "测试时出错：RuntimeError: unexpected")


def test_http_needs_no_connection_test(world: World) -> None:
    result = services.test_connection(
        world.user("admin_a"), site=world.site_a, protocol=Protocol.HTTP, config={}
    )
    assert result.ok is True


# --- selectors ----------------------------------------------------------------------------------
def test_selectors_show_each_admin_their_own_sites(world: World) -> None:
    a = create(world)
    b = create(world, "admin_b", site=world.site_b, name="西区 Modbus", protocol="modbus", config=MODBUS)
    assert list(selectors.connectors(world.user("admin_a"))) == [a]
    assert list(selectors.connectors(world.user("admin_b"))) == [b]
    assert list(selectors.connectors(world.user("operator_a"))) == []
    assert set(selectors.connectors(world.user("root"))) == {a, b}
    assert list(selectors.configurable_sites(world.user("admin_a"))) == [world.site_a]
    assert selectors.can_configure(world.user("admin_a")) and not selectors.can_configure(world.user("ehs"))
