"""The REST API: one NinjaAPI assembling each domain's router; OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from anquan.api.auth import SessionCsrfAuth
from anquan.org.auth import TokenAuth
from anquan.platform.api import install_error_handlers


class StrictJsonParser(Parser):
    """Strict JSON: no NaN or Infinity, and no lone surrogates (text no database can store).

    Anything else is refused before a view runs, as a 400 "request body is not valid JSON"."""

    def parse_body(self, request: HttpRequest) -> Any:
        return orjson.loads(request.body)


api = NinjaAPI(
    title="Anquan API",
    version="1",
    description=(
        "安全生产平台 REST API。认证：会话（浏览器，写操作需 CSRF 令牌）或 `Authorization: Bearer <令牌>`"
        "（令牌由 `POST /api/v1/auth/token` 签发）。列表分页：`?page=N&page_size=M`。"
        '错误统一为 `{"detail": "…", "errors": {"字段": ["说明"]}}`：未登录 401，无此权限 403，'
        "记录不存在或不在您的范围内 404，输入有误 400/422。"
    ),
    auth=[TokenAuth(), SessionCsrfAuth()],
    urls_namespace="api",
    docs_url="/docs",
    parser=StrictJsonParser(),
)
install_error_handlers(api)

api.add_router("/auth", "anquan.api.auth.router")
api.add_router("/org", "anquan.org.api.router")
api.add_router("/plant", "anquan.plant.api.router")
api.add_router("/notifications", "anquan.notifications.api.router")
api.add_router("/monitoring", "anquan.monitoring.api.router")
api.add_router("/earlywarning", "anquan.earlywarning.api.router")
api.add_router("/hazards", "anquan.hazards.api.router")
api.add_router("/workorders", "anquan.workorders.api.router")
api.add_router("/inspections", "anquan.inspections.api.router")
api.add_router("", "anquan.streaming.ingest_api.router")  # POST /api/v1/ingest, gateway keys
api.add_router("/attachments", "anquan.platform.attachments.api.router")
