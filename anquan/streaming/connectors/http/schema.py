"""Configuration of an HTTP gateway connector: nothing but its key, which is issued, not configured
(``streaming.keys.issue_gateway_key``; only its prefix and SHA-256 hash are stored).

Payloads: one reading, a batch or ThingsBoard style (``connectors/mqtt/mapping.py``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict

SECRET_FIELDS: tuple[str, ...] = ()


class HttpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


Config = HttpConfig


def test_connection(config: HttpConfig | dict, *, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Nothing to connect to: the gateway calls us. Says how."""
    if not isinstance(config, HttpConfig):
        HttpConfig.model_validate(config)
    return True, _("HTTP 接入无需连接：网关以网关密钥调用 POST /api/v1/ingest 提交读数。")
