"""The gateway endpoint's fast door under uvicorn (``ingest_asgi``): the same answers as the API
view, without Django's middleware stack; every other request goes on to Django."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from anquan.config.asgi import application
from anquan.streaming import services
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.pipeline import now_ms

pytestmark = pytest.mark.django_db(transaction=True)  # the door runs the endpoint on a worker thread


@pytest.fixture
def gateway(world: Any) -> tuple[Connector, str]:
    connector = services.create_connector(None, site=world.site_a, name="东区网关", protocol="http")
    return connector, services.issue_gateway_key(None, connector)


def call(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=application, client=("10.0.0.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, path, content=body, headers=headers or {})

    return asyncio.run(go())


def test_a_batch_is_accepted_into_the_inbox(gateway):
    connector, key = gateway
    body = orjson.dumps([{"tag": "TI-101", "ts": now_ms(), "value": 21.5}, {"tag": "PI-201", "value": 1.0}])

    r = call("POST", "/api/v1/ingest", body, {"Authorization": f"Bearer {key}"})

    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    (row,) = InboundBatch.objects.all()
    assert r.json() == {"batch": row.pk, "readings": 2}
    assert (row.connector_id, bytes(row.payload)) == (connector.pk, body)


def test_a_wrong_key_is_401_in_the_language_asked_for_and_a_dead_letter(gateway):
    connector, key = gateway

    zh = call("POST", "/api/v1/ingest", b"[]", {"X-API-Key": key + "x"})
    en = call("POST", "/api/v1/ingest", b"[]", {"X-API-Key": key + "x", "Accept-Language": "en-GB,en;q=0.8"})

    assert (zh.status_code, zh.json()) == (
        401,
        {"detail": "网关密钥缺失或无效。", "errors": {"authorization": ["网关密钥缺失或无效。"]}},
    )
    assert en.status_code == 401
    assert en.json()["detail"] == "Gateway key missing or invalid."
    letters = DeadLetter.objects.order_by("id")
    assert [(d.reason, d.connector_id) for d in letters] == [("bad_key", connector.pk)] * 2
    assert letters[0].detail == "网关密钥缺失或无效。（10.0.0.7）"
    assert InboundBatch.objects.count() == 0


def test_an_oversized_body_is_413_and_only_the_limit_is_kept_in_memory(gateway, settings):
    settings.ANQUAN_INGEST_MAX_PAYLOAD_KB = 1
    connector, key = gateway

    r = call("POST", "/api/v1/ingest", b"[" + b" " * 5000 + b"]", {"Authorization": f"Bearer {key}"})

    assert r.status_code == 413
    assert r.json()["errors"]["body"] == ["报文超过上限 1 KB，请分批提交。"]
    assert DeadLetter.objects.get().reason == "oversized"
    assert Connector.objects.get(pk=connector.pk).rejected == 1


def test_a_malformed_body_is_400(gateway):
    _connector, key = gateway

    r = call("POST", "/api/v1/ingest", b"{not json", {"Authorization": f"Bearer {key}"})

    assert r.status_code == 400
    assert r.json() == {"detail": "报文格式错误。", "errors": {"body": ["报文不是有效的 UTF-8 JSON。"]}}


def test_other_requests_go_on_to_django(gateway):
    assert call("GET", "/api/v1/ingest").status_code == 405  # only POST takes the fast door
    assert call("GET", "/api/v1/monitoring/alarms").status_code == 401
