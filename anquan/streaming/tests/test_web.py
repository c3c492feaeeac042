"""The 数据接入 pages: connector list, per-protocol forms with "test connection", gateway keys, dead
letters and the import flow (upload → preview → confirm → progress)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, include, path, reverse

from anquan.config import urls as project_urls
from anquan.conftest import World
from anquan.streaming import services, tasks
from anquan.streaming.choices import RejectReason
from anquan.streaming.models import Connector, DeadLetter, HistoryImport
from anquan.streaming.tests.test_modbus import ModbusServer, free_port

# The pages live at /streaming/ (anquan/web/urls.py). Until that mount exists, these tests mount them
# themselves on top of the project's URLs.
urlpatterns = [path("streaming/", include("anquan.streaming.web.urls")), *project_urls.urlpatterns]


@pytest.fixture(autouse=True)
def _mounted(settings: Any) -> None:
    try:
        reverse("streaming:connectors")
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


OPCUA_POST = {
    "protocol": "opcua",
    "name": "罐区 OPC",
    "enabled": "on",
    "cfg-endpoint": "opc.tcp://10.0.0.5:4840",
    "cfg-security": "none",
    "cfg-security_mode": "sign_and_encrypt",
    "cfg-username": "reader",
    "cfg-password": "pw-1",
    "cfg-publishing_interval_ms": "500",
    "cfg-nodes-0-node_id": "ns=2;s=Tank1.Temperature",
    "cfg-nodes-0-tag": "TI-101",
    "cfg-nodes-3-node_id": "ns=2;s=Tank1.Level",  # indices need not be consecutive (rows removed in the page)
    "cfg-nodes-3-tag": "LI-101",
    "cfg-nodes-5-node_id": "",  # an empty row is ignored
    "cfg-nodes-5-tag": "",
}


def opcua(world: World, **config: Any) -> Connector:
    cfg = {
        "endpoint": "opc.tcp://10.0.0.5:4840",
        "username": "reader",
        "password": "pw-1",
        "nodes": [{"node_id": "ns=2;s=Tank1.Temperature", "tag": "TI-101"}],
        **config,
    }
    return services.create_connector(
        world.user("admin_a"), site=world.site_a, name="罐区 OPC", protocol="opcua", config=cfg
    )


def text(response: Any) -> str:
    return response.content.decode()


# --- access -------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_the_login(world: World) -> None:
    response = world.client(None).get(reverse("streaming:connectors"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name",
    ["streaming:connectors", "streaming:dead-letters", "streaming:imports", "streaming:opcua-certificate"],
)
def test_people_without_streaming_configure_get_403(world: World, name: str) -> None:
    for who in ("operator_a", "ehs", "manager_a1"):
        assert world.client(who).get(reverse(name)).status_code == 403
    assert (
        world.client("operator_a").get(reverse("streaming:connector-create") + "?protocol=opcua").status_code
        == 403
    )


def test_another_sites_admin_gets_404_for_a_connector(world: World) -> None:
    connector = opcua(world)
    client = world.client("admin_b")
    for name in ("streaming:connector-edit", "streaming:connector-delete"):
        assert client.get(reverse(name, args=[connector.pk])).status_code == 404
    for name in ("streaming:connector-toggle", "streaming:connector-key", "streaming:connector-delete"):
        assert client.post(reverse(name, args=[connector.pk])).status_code == 404
    connector.refresh_from_db()
    assert connector.enabled is True


def test_the_menu_shows_data_ingestion_to_admins_only(world: World) -> None:
    url = reverse("streaming:connectors")
    assert f'href="{url}"' in text(world.client("admin_a").get(reverse("home")))
    assert f'href="{url}"' not in text(world.client("operator_a").get(reverse("home")))


# --- the list -----------------------------------------------------------------------------------
def test_the_list_shows_status_counters_and_last_data(world: World) -> None:
    connector = opcua(world)
    Connector.objects.filter(pk=connector.pk).update(
        status="reconnecting",
        status_detail="无法连接：连接超时；4 秒后重试。",
        received=1200,
        accepted=1190,
        rejected=10,
    )
    response = world.client("admin_a").get(reverse("streaming:connectors"))
    assert response.status_code == 200
    body = text(response)
    assert "罐区 OPC" in body and "opc.tcp://10.0.0.5:4840" in body
    assert "重连中" in body and "无法连接：连接超时；4 秒后重试。" in body
    assert re.search(r'data-counter="received">\s*1200<', body)
    assert re.search(r'data-counter="accepted">\s*1190<', body)
    assert f'?connector={connector.pk}">10</a>' in body
    # the HTMX refresh answers with the list alone
    partial = world.client("admin_a").get(
        reverse("streaming:connectors"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="connector-groups"
    )
    assert "<html" not in text(partial) and "罐区 OPC" in text(partial)


def test_admin_b_sees_only_their_sites_connectors(world: World) -> None:
    opcua(world)
    assert "罐区 OPC" not in text(world.client("admin_b").get(reverse("streaming:connectors")))


# --- forms --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        (
            "opcua",
            ["cfg-endpoint", "cfg-security", "cfg-publishing_interval_ms", "cfg-nodes-0-node_id", "测试连接"],
        ),
        (
            "modbus",
            [
                "cfg-host",
                "cfg-unit_id",
                "cfg-registers-0-register_type",
                "cfg-registers-0-word_order",
                "测试连接",
            ],
        ),
        ("mqtt", ["cfg-url", "cfg-topics", "cfg-qos", "测试连接"]),
        ("http", ["网关密钥"]),
    ],
)
def test_each_protocol_has_its_form(world: World, protocol: str, expected: list[str]) -> None:
    response = world.client("admin_a").get(reverse("streaming:connector-create") + f"?protocol={protocol}")
    assert response.status_code == 200
    body = text(response)
    for snippet in expected:
        assert snippet in body
    assert (
        world.client("admin_a").get(reverse("streaming:connector-create") + "?protocol=bacnet").status_code
        == 404
    )


def test_creating_an_opcua_connector_from_the_form(world: World) -> None:
    data = {**OPCUA_POST, "site": world.site_a.pk}
    response = world.client("admin_a").post(reverse("streaming:connector-create"), data)
    assert response.status_code == 302
    connector = Connector.objects.get()
    assert (connector.name, connector.protocol, connector.site, connector.enabled) == (
        "罐区 OPC",
        "opcua",
        world.site_a,
        True,
    )
    assert connector.config["publishing_interval_ms"] == 500
    assert connector.config["password"] == "pw-1"
    assert connector.config["nodes"] == [
        {"node_id": "ns=2;s=Tank1.Temperature", "tag": "TI-101"},
        {"node_id": "ns=2;s=Tank1.Level", "tag": "LI-101"},
    ]


def test_a_modbus_connector_with_selects_and_numbers(world: World) -> None:
    data = {
        "protocol": "modbus", "site": world.site_a.pk, "name": "泵房 PLC", "enabled": "on",
        "cfg-host": "10.0.0.6", "cfg-port": "502", "cfg-unit_id": "3", "cfg-poll_interval_s": "2.5", "cfg-timeout_s": "",
        "cfg-registers-0-tag": "PI-201", "cfg-registers-0-register_type": "input", "cfg-registers-0-address": "10",
        "cfg-registers-0-data_type": "float32", "cfg-registers-0-word_order": "little",
        "cfg-registers-0-scale": "0.5", "cfg-registers-0-offset": "-1",
    }  # fmt: skip
    assert world.client("admin_a").post(reverse("streaming:connector-create"), data).status_code == 302
    assert Connector.objects.get().config == {
        "host": "10.0.0.6", "port": 502, "unit_id": 3, "poll_interval_s": 2.5, "timeout_s": 3.0,
        "registers": [{"tag": "PI-201", "register_type": "input", "address": 10, "data_type": "float32",
                       "word_order": "little", "scale": 0.5, "offset": -1.0}],
    }  # fmt: skip


def test_an_mqtt_connector_with_topics_one_per_line(world: World) -> None:
    data = {
        "protocol": "mqtt", "site": world.site_a.pk, "name": "园区 MQTT", "enabled": "on",
        "cfg-url": "", "cfg-topics": "anquan/east/#\r\n\r\n anquan/east/pumps/+ \n", "cfg-qos": "0",
        "cfg-client_id": "", "cfg-username": "", "cfg-password": "", "cfg-session_expiry_s": "3600",
    }  # fmt: skip
    assert world.client("admin_a").post(reverse("streaming:connector-create"), data).status_code == 302
    config = Connector.objects.get().config
    assert (config["topics"], config["qos"], config["session_expiry_s"]) == (
        ["anquan/east/#", "anquan/east/pumps/+"], 0, 3600,
    )  # fmt: skip
    page = text(
        world.client("admin_a").get(reverse("streaming:connector-edit", args=[Connector.objects.get().pk]))
    )
    assert "anquan/east/#\nanquan/east/pumps/+</textarea>" in page
    assert '<option value="0" selected>' in page


def test_form_errors_are_shown_at_their_fields_with_400(world: World) -> None:
    data = {**OPCUA_POST, "site": world.site_a.pk, "name": "", "cfg-nodes-3-node_id": "Tank1.Level"}
    response = world.client("admin_a").post(reverse("streaming:connector-create"), data)
    assert response.status_code == 400
    body = text(response)
    assert "节点 ID 格式不正确" in body
    assert (
        'name="cfg-nodes-1-node_id" id="id_cfg-nodes-1-node_id" value="Tank1.Level"' in body
    )  # kept, renumbered
    assert 'value="pw-1"' not in body  # a password is never sent back
    assert Connector.objects.count() == 0


def test_editing_keeps_the_saved_password_when_left_blank(world: World) -> None:
    connector = opcua(world)
    client = world.client("admin_a")
    page = text(client.get(reverse("streaming:connector-edit", args=[connector.pk])))
    assert "pw-1" not in page and "已设置；留空则保持不变。" in page
    data = {**OPCUA_POST, "name": "罐区 OPC UA", "cfg-password": ""}
    response = client.post(reverse("streaming:connector-edit", args=[connector.pk]), data)
    assert response.status_code == 302
    connector.refresh_from_db()
    assert (connector.name, connector.config["password"], len(connector.config["nodes"])) == (
        "罐区 OPC UA",
        "pw-1",
        2,
    )


def test_switching_a_connector_off_and_deleting_it(world: World) -> None:
    connector = opcua(world)
    client = world.client("admin_a")
    assert (
        client.post(reverse("streaming:connector-toggle", args=[connector.pk]), {"enabled": "0"}).status_code
        == 302
    )
    connector.refresh_from_db()
    assert connector.enabled is False
    assert "确定要删除" in text(client.get(reverse("streaming:connector-delete", args=[connector.pk])))
    assert client.post(reverse("streaming:connector-delete", args=[connector.pk])).status_code == 302
    assert not Connector.objects.exists()


def test_an_http_gateway_shows_its_key_once(world: World) -> None:
    client = world.client("admin_a")
    data = {"protocol": "http", "site": world.site_a.pk, "name": "网关一", "enabled": "on"}
    response = client.post(reverse("streaming:connector-create"), data)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = re.search(r'id="gateway-key" value="(aqg_[^"]+)"', text(response))
    assert key is not None
    connector = Connector.objects.get()
    assert key.group(1).startswith("aqg_" + connector.key_prefix)
    again = client.post(reverse("streaming:connector-key", args=[connector.pk]))
    new_key = re.search(r'id="gateway-key" value="(aqg_[^"]+)"', text(again))
    assert new_key is not None and new_key.group(1) != key.group(1)
    assert key.group(1) not in text(client.get(reverse("streaming:connectors")))


# --- test connection ----------------------------------------------------------------------------
def test_test_connection_before_saving_against_a_real_device(world: World) -> None:
    server = ModbusServer(free_port())
    server.start()
    try:
        data = {
            "protocol": "modbus", "site": world.site_a.pk, "name": "PLC",
            "cfg-host": "127.0.0.1", "cfg-port": str(server.port), "cfg-unit_id": "1",
            "cfg-registers-0-tag": "TI-101", "cfg-registers-0-register_type": "holding",
            "cfg-registers-0-address": "0", "cfg-registers-0-data_type": "int16", "cfg-registers-0-scale": "0.1",
        }  # fmt: skip
        response = world.client("admin_a").post(
            reverse("streaming:test-connection"), data, HTTP_HX_REQUEST="true"
        )
    finally:
        server.stop()
    assert response.status_code == 200
    body = text(response)
    assert "连接成功" in body and "1 个测点读取成功：TI-101=21.5" in body
    assert not Connector.objects.exists()  # nothing saved


def test_test_connection_reports_a_failure_and_config_errors(world: World) -> None:
    client = world.client("admin_a")
    port = free_port()
    data = {
        "protocol": "modbus", "site": world.site_a.pk, "cfg-host": "127.0.0.1", "cfg-port": str(port),
        "cfg-timeout_s": "0.5", "cfg-registers-0-tag": "TI-101", "cfg-registers-0-address": "0",
    }  # fmt: skip
    failed = client.post(reverse("streaming:test-connection"), data)
    assert failed.status_code == 200
    assert "连接测试未通过" in text(failed) and "连接被拒绝" in text(failed)
    invalid = client.post(reverse("streaming:test-connection"), {**data, "cfg-registers-0-address": "x"})
    assert invalid.status_code == 400
    assert "寄存器映射 第 1 行 · 地址：请输入整数。" in text(invalid)
    no_site = client.post(reverse("streaming:test-connection"), {**data, "site": ""})
    assert no_site.status_code == 400 and "请先选择场所。" in text(no_site)
    other_site = world.client("admin_b").post(reverse("streaming:test-connection"), data)
    assert other_site.status_code == 400  # site_a is not one of theirs: no site to test for


def test_test_connection_for_a_saved_connector_uses_its_password(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = opcua(world)
    seen: list[Any] = []
    monkeypatch.setattr(
        services.schema_module("opcua"), "test_connection", lambda cfg: (seen.append(cfg), (True, "好"))[1]
    )
    data = {**OPCUA_POST, "connector": connector.pk, "cfg-password": ""}
    response = world.client("admin_a").post(reverse("streaming:test-connection"), data)
    assert response.status_code == 200 and "连接成功" in text(response)
    assert seen[0].password == "pw-1"


def test_the_opcua_client_certificate_can_be_downloaded(world: World, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    response = world.client("admin_a").get(reverse("streaming:opcua-certificate"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-cert"
    assert response.content[:1] == b"\x30"  # DER: an ASN.1 SEQUENCE
    assert (tmp_path / "opcua" / "anquan-client-cert.der").read_bytes() == response.content


def test_the_back_office_shows_connectors_with_secrets_masked(world: World) -> None:
    connector = opcua(world)
    client = world.client("root")
    assert client.get(reverse("admin:streaming_connector_changelist")).status_code == 200
    page = client.get(reverse("admin:streaming_connector_change", args=[connector.pk]))
    assert page.status_code == 200
    assert "pw-1" not in text(page) and "&quot;password&quot;: &quot;***&quot;" in text(page)
    assert client.get(reverse("admin:streaming_deadletter_changelist")).status_code == 200
    assert client.get(reverse("admin:streaming_historyimport_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:streaming_connector_delete", args=[connector.pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    assert not Connector.objects.exists()


# --- dead letters -------------------------------------------------------------------------------
def test_dead_letters_filter_by_source_and_reason_with_counts(world: World) -> None:
    from django.utils import timezone

    connector = opcua(world)
    now = timezone.now()
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(site=world.site_a, connector=connector, received_at=now, reason=RejectReason.UNKNOWN_TAG, tag_code="XX-1", raw='{"tag":"XX-1"}'),
            DeadLetter(site=world.site_a, connector=connector, received_at=now, reason=RejectReason.UNKNOWN_TAG, tag_code="XX-2"),
            DeadLetter(site=world.site_a, connector=connector, received_at=now, reason=RejectReason.OUT_OF_RANGE, tag_code="TI-101", detail="95 超出量程"),
            DeadLetter(site=world.site_a, connector=None, received_at=now, reason=RejectReason.MALFORMED, detail="历史导入 #1 第 3 行：无法识别的时间"),
            DeadLetter(site=world.site_b, connector=None, received_at=now, reason=RejectReason.NOT_NUMERIC, tag_code="LI-901"),
        ]
    )  # fmt: skip
    client = world.client("admin_a")
    body = text(client.get(reverse("streaming:dead-letters")))
    assert "XX-1" in body and "历史导入 #1 第 3 行" in body and "LI-901" not in body
    assert re.search(r'data-reason="unknown_tag">未知测点 <span class="badge[^"]*">2<', body)
    only = text(
        client.get(reverse("streaming:dead-letters") + f"?connector={connector.pk}&reason=out_of_range")
    )
    assert "95 超出量程" in only and "XX-1" not in only and "第 3 行" not in only
    imports_only = text(client.get(reverse("streaming:dead-letters") + "?connector=imports"))
    assert "无法识别的时间" in imports_only and "XX-1" not in imports_only


# --- the import flow ----------------------------------------------------------------------------
def test_upload_preview_confirm_and_progress(world: World) -> None:
    client = world.client("admin_a")
    assert "上传并预览" in text(client.get(reverse("streaming:imports")))
    file = SimpleUploadedFile("history.csv", "时间,TI-101,XX-9\n2026-01-05 08:00:00,21.5,1\n".encode())
    preview = client.post(reverse("streaming:import-preview"), {"site": world.site_a.pk, "file": file})
    assert preview.status_code == 200
    body = text(preview)
    assert "宽表" in body and ">TI-101</span>" in body and ">XX-9</span>" in body and "确认导入" in body
    token = re.search(r'name="token" value="([0-9a-f]{32})"', body)
    assert token is not None
    started = client.post(
        reverse("streaming:import-start"), {"site": world.site_a.pk, "token": token.group(1)}
    )
    history = HistoryImport.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse(
        "streaming:import-detail", args=[history.pk]
    )
    running = client.get(reverse("streaming:import-progress", args=[history.pk]))
    assert running.status_code == 200 and "排队中" in text(running)
    tasks.import_history.call(history.pk)
    done = client.get(reverse("streaming:import-progress", args=[history.pk]))
    assert done.status_code == 286  # HTMX stops polling
    assert re.search(r'data-progress="accepted">1<', text(done))
    assert "已完成" in text(client.get(reverse("streaming:import-detail", args=[history.pk])))
    assert "history.csv" in text(client.get(reverse("streaming:imports")))
    assert (
        world.client("admin_b").get(reverse("streaming:import-detail", args=[history.pk])).status_code == 404
    )


def test_a_preview_of_a_long_file_names_the_rows_that_will_be_refused(world: World) -> None:
    content = "ts;tag;value\n1767571200000;TI-101;21,5\n1767571210000;FOO-1;3\n1767571220000;TI-101;999\n"
    file = SimpleUploadedFile("long.csv", content.encode())
    response = world.client("admin_a").post(
        reverse("streaming:import-preview"), {"site": world.site_a.pk, "file": file}
    )
    body = text(response)
    assert response.status_code == 200
    assert "长表：时间列“ts”，位号列“tag”，数值列“value”" in body
    assert "CSV（分号分隔，utf-8）" in body
    assert "未知测点：1 条将被拒收" in body and "超出仪表量程：1 条将被拒收" in body
    assert ">FOO-1</span>" in body and "这些位号的行将被拒收并记入拒收数据。" in body
    assert "确认导入" in body


def test_a_preview_with_an_error_offers_no_confirmation(world: World) -> None:
    file = SimpleUploadedFile("bad.csv", b"foo,bar\n1,2\n")
    response = world.client("admin_a").post(
        reverse("streaming:import-preview"), {"site": world.site_a.pk, "file": file}
    )
    assert response.status_code == 200
    assert "列名中没有本场所的测点位号" in text(response) and "确认导入" not in text(response)


def test_an_upload_that_is_refused_shows_the_form_again(world: World) -> None:
    file = SimpleUploadedFile("bad.pdf", b"%PDF")
    response = world.client("admin_a").post(
        reverse("streaming:import-preview"), {"site": world.site_a.pk, "file": file}
    )
    assert response.status_code == 400 and "只支持 CSV（.csv）和 Excel（.xlsx）文件。" in text(response)
    other = world.client("admin_b").post(
        reverse("streaming:import-preview"),
        {"site": world.site_a.pk, "file": SimpleUploadedFile("a.csv", b"ts,TI-101\n1,2\n")},
    )
    assert other.status_code == 400  # not one of their sites
    assert HistoryImport.objects.count() == 0


def test_cancelling_a_preview_discards_the_upload(world: World) -> None:
    client = world.client("admin_a")
    file = SimpleUploadedFile("h.csv", b"ts,TI-101\n1767571200,1\n")
    body = text(client.post(reverse("streaming:import-preview"), {"site": world.site_a.pk, "file": file}))
    token = re.search(r'name="token" value="([0-9a-f]{32})"', body).group(1)  # type: ignore[union-attr]
    assert (
        client.post(reverse("streaming:import-cancel"), {"site": world.site_a.pk, "token": token}).status_code
        == 302
    )
    response = client.post(reverse("streaming:import-start"), {"site": world.site_a.pk, "token": token})
    assert response.status_code == 302 and response["Location"] == reverse("streaming:imports")
    assert HistoryImport.objects.count() == 0
