"""The HTTP batch endpoint (POST /api/v1/ingest) and the stream's inbox drainer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from anquan.monitoring.models import Reading
from anquan.org import services as org
from anquan.streaming import keys, services
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.pipeline import Pipeline, now_ms
from anquan.streaming.runtime import InboxDrainer

URL = "/api/v1/ingest"


@pytest.fixture
def gateway(world: Any) -> tuple[Connector, str]:
    connector = services.create_connector(None, site=world.site_a, name="东区网关", protocol="http")
    key = services.issue_gateway_key(None, connector)
    connector.refresh_from_db()
    return connector, key


def post(body: Any, *, key: str | None = None, header: str = "Authorization", **extra: Any) -> Any:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {}
    if key is not None:
        headers[header] = f"Bearer {key}" if header == "Authorization" else key
    return Client().generic("POST", URL, data, content_type="application/json", headers=headers, **extra)


def counters(connector: Connector) -> tuple[int, int, int]:
    c = Connector.objects.get(pk=connector.pk)
    return c.received, c.accepted, c.rejected


def test_a_gateway_key_is_shown_once_and_only_its_hash_is_kept(gateway):
    connector, key = gateway

    assert key.startswith("aqg_")
    assert connector.key_prefix == key[4:12]
    assert connector.key_hash == keys.hash_key(key) != key
    assert keys.connector_for_key(key) == connector
    assert keys.connector_for_key(key + "x") is None
    assert keys.connector_for_key("aqg_") is None


def test_a_batch_with_the_key_is_accepted_into_the_inbox(gateway):
    connector, key = gateway
    body = [{"tag": "TI-101", "ts": now_ms(), "value": 21.5}, {"tag": "PI-201", "value": 1.0}]

    r = post(body, key=key)

    assert r.status_code == 202, r.content
    (row,) = InboundBatch.objects.all()
    assert r.json() == {"batch": row.pk, "readings": 2}
    assert (row.connector_id, bytes(row.payload), row.claimed_by) == (connector.pk, orjson.dumps(body), "")
    assert DeadLetter.objects.count() == 0


def test_the_key_may_come_as_x_api_key_and_every_payload_style_is_taken(gateway):
    _, key = gateway
    ts = now_ms()

    r1 = post({"tag": "TI-101", "ts": ts, "value": 1}, key=key, header="X-API-Key")
    r2 = post({"readings": [{"tag": "TI-101", "value": 1}]}, key=key, header="X-API-Key")
    r3 = post([{"ts": ts, "values": {"TI-101": 1, "PI-201": 2}}], key=key)

    assert [r.status_code for r in (r1, r2, r3)] == [202, 202, 202]
    assert [r.json()["readings"] for r in (r1, r2, r3)] == [1, 1, 2]


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer aqg_wrongwrongwrong"}, {"HTTP_AUTHORIZATION": "Basic abc"}],
)
def test_no_or_an_unknown_key_is_401_and_a_dead_letter(gateway, headers):
    r = Client().post(URL, b"[]", content_type="application/json", **headers)

    assert r.status_code == 401
    body = r.json()
    assert body["detail"] == "网关密钥缺失或无效。"
    assert body["errors"] == {"authorization": ["网关密钥缺失或无效。"]}
    assert list(DeadLetter.objects.values_list("reason", "connector_id")) == [("bad_key", None)]
    assert InboundBatch.objects.count() == 0


def test_a_wrong_key_of_a_known_gateway_is_counted_on_it(gateway):
    connector, key = gateway
    wrong = key[:12] + "x" * (len(key) - 12)

    r = post([], key=wrong)

    assert r.status_code == 401
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.connector_id, letter.site_id) == (
        "bad_key",
        connector.pk,
        connector.site_id,
    )
    assert key not in letter.raw + letter.detail  # never the key itself
    assert counters(connector) == (1, 0, 1)


def test_a_user_api_token_is_not_a_gateway_key(world, gateway):
    _, raw = org.issue_api_token(None, user=world.users["admin_a"], name="脚本")

    assert post([], key=raw).status_code == 401


def test_a_disabled_gateway_is_refused(gateway):
    connector, key = gateway
    services.set_enabled(None, connector, False)

    r = post([], key=key)

    assert r.status_code == 401
    assert r.json()["detail"] == "该数据接入已停用。"


def test_an_oversized_body_is_413_and_a_dead_letter(gateway, settings):
    settings.ANQUAN_INGEST_MAX_PAYLOAD_KB = 1
    connector, key = gateway
    body = [{"tag": "TI-101", "value": i} for i in range(100)]

    r = post(body, key=key)

    assert r.status_code == 413
    assert r.json()["errors"]["body"] == ["报文超过上限 1 KB，请分批提交。"]
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.connector_id) == ("oversized", connector.pk)
    assert counters(connector) == (1, 0, 1)
    assert InboundBatch.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "报文不是有效的 UTF-8 JSON。"),
        (b"", "报文不是有效的 UTF-8 JSON。"),
        (b'{"readings": 5}', "readings 必须是列表。"),
        (b'{"hello": "world"}', None),
    ],
)
def test_a_malformed_body_is_400_with_a_clear_message_and_a_dead_letter(gateway, body, message):
    connector, key = gateway

    r = post(body, key=key)

    assert r.status_code == 400
    errors = r.json()["errors"]["body"]
    assert errors == [message] if message else "无法识别的报文格式" in errors[0]
    assert r.json()["detail"] == "报文格式错误。"
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.connector_id, letter.raw) == ("malformed", connector.pk, body.decode())
    assert counters(connector) == (1, 0, 1)
    assert InboundBatch.objects.count() == 0


# --- the drainer -----------------------------------------------------------------------------------
def test_the_drainer_stores_the_inbox_and_empties_it(world, gateway):
    connector, key = gateway
    ts = now_ms()
    post([{"tag": "TI-101", "ts": ts, "value": 21.5}, {"tag": "NOPE", "ts": ts, "value": 1}, "x"], key=key)
    post({"values": {"PI-201": 1.5}}, key=key)  # no ts: the time it was received
    received = InboundBatch.objects.order_by("id").last()
    assert received is not None
    received_ms = int(received.received_at.timestamp() * 1000)
    pipeline = Pipeline()
    drainer = InboxDrainer(pipeline, name="test:0")

    assert drainer.drain_once() == 2
    assert InboundBatch.objects.filter(claimed_by="test:0").count() == 2
    pipeline.drain()

    assert sorted(Reading.objects.values_list("tag_id", "ts", "value")) == sorted(
        [(world.tags["TI-101"].id, ts, 21.5), (world.tags["PI-201"].id, received_ms, 1.5)]
    )
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == ["malformed", "unknown_tag"]
    assert InboundBatch.objects.count() == 0
    assert counters(connector) == (4, 2, 2)
    assert drainer.drain_once() == 0


def test_the_drainer_leaves_rows_another_worker_holds_and_takes_over_abandoned_ones(world, gateway):
    connector, _ = gateway
    now = timezone.now()
    held = InboundBatch.objects.create(
        connector=connector, payload=b"[]", claimed_by="other:1", claimed_at=now
    )
    abandoned = InboundBatch.objects.create(
        connector=connector, payload=b"[]", claimed_by="dead:1", claimed_at=now - dt.timedelta(hours=1)
    )
    mine_before = InboundBatch.objects.create(
        connector=connector, payload=b"[]", claimed_by="test:0", claimed_at=now - dt.timedelta(seconds=5)
    )
    drainer = InboxDrainer(Pipeline(), name="test:0")

    claimed = [c[0] for c in drainer.claim()]

    assert claimed == [abandoned.pk, mine_before.pk]
    assert InboundBatch.objects.get(pk=held.pk).claimed_by == "other:1"
    assert drainer.claim() == []  # claimed now by this run


def test_the_drainer_skips_disabled_gateways_and_other_sites(world, gateway):
    connector, _ = gateway
    other = services.create_connector(None, site=world.site_b, name="西区网关", protocol="http")
    InboundBatch.objects.create(connector=other, payload=b"[]")
    InboundBatch.objects.create(connector=connector, payload=b"[]")
    services.set_enabled(None, connector, False)

    assert InboxDrainer(Pipeline(), name="a:0", site_ids=[world.site_a.id]).claim() == []
    assert len(InboxDrainer(Pipeline(), name="b:0").claim()) == 1
