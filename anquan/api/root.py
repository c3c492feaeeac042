"""The REST API: one NinjaAPI assembling each domain's router; OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from anquan.org.auth import API_AUTH
from anquan.platform.api import install_error_handlers

api = NinjaAPI(
    title="Anquan API",
    version="1",
    description="安全生产平台 REST API。认证：会话（浏览器）或 `Authorization: Bearer <令牌>`。",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)

api.add_router("/org", "anquan.org.api.router")
api.add_router("/plant", "anquan.plant.api.router")
api.add_router("/notifications", "anquan.notifications.api.router")
api.add_router("/attachments", "anquan.platform.attachments.api.router")
