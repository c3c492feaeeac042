"""The gateway endpoint's fast door under uvicorn: ``POST /api/v1/ingest`` handled before Django's
ASGI stack.

Django runs each ASGI request through every middleware with a thread hop per step and a thread of
its own for the view; a gateway's batch needs none of that (no session, no CSRF, no page). This
door reads the body (never more than the limit), then runs the same ``ingest_api.accept`` as the
API view on a worker thread, in the language the gateway asks for (Accept-Language). The API view
stays: it documents the endpoint and serves it under WSGI and the test client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from anquan.streaming.ingest_api import accept, key_from_headers

PATH = "/api/v1/ingest"
ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[..., Awaitable[None]]], Awaitable[None]
]


def _language(accept_language: str) -> str:
    for code, _q in parse_accept_lang_header(accept_language):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _accept(key: str, declared: int, body: bytes | None, client_ip: str, language: str) -> tuple[int, bytes]:
    close_old_connections()
    try:
        with translation.override(language):
            return accept(key, declared, body, client_ip)
    finally:
        close_old_connections()  # back to the pool (PostgreSQL) or closed (SQLite)


async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
    try:
        declared = int(headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    limit = settings.ANQUAN_INGEST_MAX_PAYLOAD_KB * 1024
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if size <= limit:  # past the limit the rest is read and dropped: answered 413
            chunks.append(chunk)
        size += len(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks) if size <= limit else None
    client = scope.get("client") or ("", 0)
    status, answer = await sync_to_async(_accept, thread_sensitive=False)(
        key_from_headers(headers.get("authorization", ""), headers.get("x-api-key", "")),
        declared,
        body,
        str(client[0]),
        _language(headers.get("accept-language", "")),
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def with_fast_ingest(django_app: ASGIApp) -> ASGIApp:
    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PATH:
            await handle(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return application
