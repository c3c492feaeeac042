"""Configuration of an OPC UA connector, and the "test connection" step the UI runs before saving.

```json
{
  "endpoint": "opc.tcp://10.0.0.5:4840/freeopcua/server/",
  "security": "none",                       // none | basic256sha256
  "security_mode": "sign_and_encrypt",      // sign | sign_and_encrypt (basic256sha256 only)
  "username": "", "password": "",           // optional user token
  "publishing_interval_ms": 1000,
  "nodes": [{"node_id": "ns=2;s=Tank1.Temperature", "tag": "TI-101"}]
}
```

Field titles are Chinese message ids (``gettext_noop``): the form translates them when it renders.
Validation messages are raised as ``PydanticCustomError`` so they read exactly as written here.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SECRET_FIELDS = ("password",)
MAX_NODES = 5000

# ns=<index>; followed by a numeric, string, GUID or opaque (base64) identifier; ns may be left out (0).
NODE_ID = re.compile(
    r"^(?:ns=\d{1,5};)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$"
)


def invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def check_tag_code(value: str) -> str:
    value = value.strip()
    if not value:
        raise invalid(_("请填写测点位号。"))
    if len(value) > 60:
        raise invalid(_("测点位号最多 60 个字符。"))
    return value


class NodeMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    node_id: str = Field(
        title=gettext_noop("节点 ID"), description=gettext_noop("如 ns=2;s=Tank1.Temperature 或 ns=3;i=1001")
    )
    tag: str = Field(title=gettext_noop("测点位号"), description=gettext_noop("本场所的测点位号，如 TI-101"))

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, value: str) -> str:
        if not value:
            raise invalid(_("请填写节点 ID。"))
        if value.startswith("nsu="):
            raise invalid(_("请使用命名空间序号（ns=2;s=…），不支持 nsu= 形式。"))
        if not NODE_ID.match(value):
            raise invalid(_("节点 ID 格式不正确，应如 ns=2;s=Tank1.Temperature 或 ns=3;i=1001。"))
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        return check_tag_code(value)


class OpcUaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    endpoint: str = Field(
        title=gettext_noop("服务器地址"), description=gettext_noop("如 opc.tcp://192.168.1.10:4840")
    )
    security: Literal["none", "basic256sha256"] = Field(
        "none",
        title=gettext_noop("安全策略"),
        json_schema_extra={"labels": {"none": gettext_noop("无"), "basic256sha256": "Basic256Sha256"}},
    )
    security_mode: Literal["sign", "sign_and_encrypt"] = Field(
        "sign_and_encrypt",
        title=gettext_noop("消息安全模式"),
        description=gettext_noop("仅在 Basic256Sha256 下生效；客户端证书需在服务器上设为信任"),
        json_schema_extra={
            "labels": {"sign": gettext_noop("签名"), "sign_and_encrypt": gettext_noop("签名并加密")}
        },
    )
    username: str = Field("", title=gettext_noop("用户名"), description=gettext_noop("留空则匿名登录"))
    password: str = Field("", title=gettext_noop("密码"), json_schema_extra={"secret": True})
    publishing_interval_ms: int = Field(
        1000,
        ge=50,
        le=3_600_000,
        title=gettext_noop("发布间隔（毫秒）"),
        description=gettext_noop("服务器推送数据变化的最短间隔"),
    )
    nodes: list[NodeMapping] = Field(
        min_length=1,
        max_length=MAX_NODES,
        title=gettext_noop("节点映射"),
        description=gettext_noop("每个 OPC UA 节点对应一个测点位号"),
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not value:
            raise invalid(_("请填写服务器地址。"))
        parts = urlsplit(value)
        if parts.scheme != "opc.tcp" or not parts.hostname:
            raise invalid(_("服务器地址应以 opc.tcp:// 开头并包含主机名，如 opc.tcp://192.168.1.10:4840。"))
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise invalid(_("端口号不正确。")) from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OpcUaConfig:
        if self.password and not self.username:
            raise PydanticCustomError("invalid", _("填写了密码时也请填写用户名。"))
        seen_nodes: set[str] = set()
        seen_tags: set[str] = set()
        for node in self.nodes:
            if node.node_id in seen_nodes:
                raise invalid(_("节点 %(node)s 重复映射。") % {"node": node.node_id})
            if node.tag in seen_tags:
                raise invalid(_("测点 %(tag)s 映射了多个节点。") % {"tag": node.tag})
            seen_nodes.add(node.node_id)
            seen_tags.add(node.tag)
        return self


Config = OpcUaConfig


def test_connection(config: OpcUaConfig | dict, *, timeout_s: float = 8.0) -> tuple[bool, str]:
    """Connect, read every configured node once, and say which are missing or unreadable."""
    from anquan.streaming.connectors.opcua import client

    cfg = config if isinstance(config, OpcUaConfig) else OpcUaConfig.model_validate(config)
    try:
        result = client.run_sync(client.probe(cfg, pki_dir=client.default_pki_dir(), timeout_s=timeout_s))
    except client.ConnectError as exc:
        return False, _("无法连接到 %(url)s：%(error)s") % {"url": cfg.endpoint, "error": exc}
    missing = [r for r in result if r.problem == "missing"]
    bad = [r for r in result if r.problem and r.problem != "missing"]
    good = [r for r in result if not r.problem]
    lines = [_("已连接到 %(url)s。") % {"url": cfg.endpoint}]
    if good:
        shown = "，".join(f"{r.tag}={r.value}" for r in good[:8])
        more = _("等") if len(good) > 8 else ""
        lines.append(
            _("%(n)d 个节点读取成功：%(values)s%(more)s") % {"n": len(good), "values": shown, "more": more}
        )
    if missing:
        names = "，".join(f"{r.node_id}（{r.tag}）" for r in missing)
        lines.append(_("以下节点在服务器上不存在：%(nodes)s") % {"nodes": names})
    if bad:
        names = "，".join(f"{r.node_id}（{r.tag}）：{r.problem}" for r in bad)
        lines.append(_("以下节点无法读取：%(nodes)s") % {"nodes": names})
    return not missing and not bad, "\n".join(lines)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
