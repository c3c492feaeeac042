"""The HTTP batch endpoint: gateways POST readings with their key; the stream stores them.

``POST /api/v1/ingest`` with ``Authorization: Bearer <gateway key>`` (or ``X-API-Key: <key>``) and a
JSON body in one of the shared payload formats (``connectors/mqtt/mapping.py``). The payload is
checked (key, size, JSON, shape) and kept as one ``InboundBatch`` row — a durable inbox — and the
answer is 202; a stream worker drains the inbox into the pipeline within moments. A refused request
is answered in the API's error shape and kept as a dead letter (wrong key, oversized, malformed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router, Schema

from anquan.org.api import doc
from anquan.streaming.choices import RejectReason
from anquan.streaming.connectors.mqtt.mapping import PayloadError, decode, map_document
from anquan.streaming.keys import lookup
from anquan.streaming.models import Connector, DeadLetter, InboundBatch
from anquan.streaming.pipeline import safe_text
from anquan.streaming.types import cut

router = Router(tags=["ingest"])


class IngestAccepted(Schema):
    batch: int
    readings: int


class IngestError(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


DESCRIPTION = gettext_lazy(
    "网关以 `Authorization: Bearer <网关密钥>`（或 `X-API-Key: <网关密钥>`）提交读数，请求体为 JSON：\n\n"
    '- 单条：`{"tag": "TI-101", "ts": 1764300000000, "value": 21.5}`\n'
    '- 批量：`[{"tag", "ts", "value"}, …]` 或 `{"readings": [ … ]}`\n'
    '- ThingsBoard 格式：`{"ts": 1764300000000, "values": {"TI-101": 21.5}}` 或其列表\n\n'
    "`ts` 为毫秒、秒或 ISO-8601 时间，缺省为接收时间。接受后返回 202，由采集进程异步入库；"
    "未知测点、非数值、超量程、时间戳超出窗口的读数进入拒收数据（可在界面查看）。"
    "密钥错误 401，报文过大 413，JSON 或格式错误 400。"
)


def key_from_headers(authorization: str, api_key: str) -> str:
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return api_key.strip()


def _refuse(
    client_ip: str,
    connector: Connector | None,
    reason: str,
    status: int,
    detail: str,
    errors: dict[str, list[str]],
    raw: Any = "",
) -> tuple[int, bytes]:
    """Keep the refused payload as a dead letter, counted on the connector; the answer is the API's
    error shape (anquan.platform.api): ``{"detail", "errors": {field: [messages]}}``."""
    with transaction.atomic():
        DeadLetter.objects.create(
            site_id=connector.site_id if connector else None,
            connector=connector,
            received_at=dt.datetime.now(dt.UTC),
            reason=reason,
            raw=safe_text(cut(raw), 2000),
            detail=safe_text(f"{detail}（{client_ip}）", 300),
        )
        if connector is not None:
            Connector.objects.filter(pk=connector.pk).update(
                received=F("received") + 1, rejected=F("rejected") + 1
            )
    return status, orjson.dumps({"detail": detail, "errors": errors})


def accept(key: str, declared_length: int, body: bytes | None, client_ip: str) -> tuple[int, bytes]:
    """The endpoint itself, for both doors (the API view below; ``ingest_asgi`` in front of Django
    under uvicorn): (HTTP status, JSON answer). ``body`` None: larger than the server takes."""
    connector, owner = lookup(key) if key else (None, None)
    if connector is None:
        message = _("网关密钥缺失或无效。") if owner is None or owner.enabled else _("该数据接入已停用。")
        return _refuse(client_ip, owner, RejectReason.BAD_KEY, 401, message, {"authorization": [message]})

    max_bytes = settings.ANQUAN_INGEST_MAX_PAYLOAD_KB * 1024
    too_large = _("报文超过上限 %(kb)s KB，请分批提交。") % {"kb": settings.ANQUAN_INGEST_MAX_PAYLOAD_KB}
    if declared_length > max_bytes or body is None:
        return _refuse(client_ip, connector, RejectReason.OVERSIZED, 413, too_large, {"body": [too_large]})
    if len(body) > max_bytes:
        return _refuse(
            client_ip, connector, RejectReason.OVERSIZED, 413, too_large, {"body": [too_large]}, body[:2000]
        )

    received_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    try:
        readings, _rejects = map_document(decode(body, max_bytes=max_bytes), received_ms=received_ms)
    except PayloadError as exc:
        return _refuse(
            client_ip,
            connector,
            RejectReason.MALFORMED,
            400,
            _("报文格式错误。"),
            {"body": [exc.message]},
            body[:2000],
        )
    batch = InboundBatch.objects.create(connector=connector, payload=body)
    return 202, orjson.dumps({"batch": batch.pk, "readings": len(readings)})


@router.post(
    "/ingest",
    auth=None,
    response={202: IngestAccepted, 400: IngestError, 401: IngestError, 413: IngestError},
    summary=doc(gettext_lazy("网关批量提交读数")),
    description=doc(DESCRIPTION),
    operation_id="streaming_ingest",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": ["object", "array"]}}},
        },
    },
)
def ingest(request: HttpRequest) -> Any:
    key = key_from_headers(request.headers.get("Authorization", ""), request.headers.get("X-API-Key", ""))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body: bytes | None
    try:
        body = request.body
    except RequestDataTooBig:
        body = None
    status, answer = accept(key, declared, body, str(request.META.get("REMOTE_ADDR", "")))
    return HttpResponse(answer, status=status, content_type="application/json; charset=utf-8")
