"""Configuration of an MQTT connector, and the "test connection" step the UI runs before saving.

```json
{
  "url": "mqtt://broker.example:1883",   // optional: the platform's broker (ANQUAN_MQTT_URL) when left out
  "topics": ["anquan/east/#"],           // topic filters (+ and # allowed)
  "qos": 1,                              // 1: every message acknowledged once stored; 0: at most once
  "client_id": "",                       // optional; default anquan-<connector id>
  "username": "", "password": "",        // optional
  "session_expiry_s": 86400              // how long the broker keeps messages while the stream is down
}
```

Payloads: one reading, a batch or ThingsBoard style (see ``mapping.py``). Tags are named by their
位号 (code) within the connector's site.
"""

from __future__ import annotations

import re
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SECRET_FIELDS = ("password",)
MAX_TOPICS = 100
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` is not a valid MQTT topic filter, or None."""
    if not topic:
        return _("主题不能为空。")
    if "\x00" in topic or len(topic.encode("utf-8")) > 65535:
        return _("主题 %(t)s 无效。") % {"t": topic}
    if topic.startswith("$share/"):
        return _("请直接填写主题；多个采集进程时系统会自动使用共享订阅。")
    levels = topic.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return _("主题 %(t)s 中 # 只能单独作为最后一级。") % {"t": topic}
        if "+" in level and level != "+":
            return _("主题 %(t)s 中 + 必须单独占一级。") % {"t": topic}
    return None


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        "",
        title=gettext_noop("代理服务器地址"),
        description=gettext_noop("如 mqtt://192.168.1.10:1883 或 mqtts://…；留空使用平台的 MQTT 代理"),
    )
    topics: list[str] = Field(
        min_length=1,
        max_length=MAX_TOPICS,
        title=gettext_noop("订阅主题"),
        description=gettext_noop("如 anquan/east/#；可用 + 和 # 通配"),
    )
    qos: Literal[0, 1] = Field(
        1,
        title=gettext_noop("服务质量（QoS）"),
        description=gettext_noop("1：入库后才确认，断线或重启不丢数据；0：最多一次"),
        json_schema_extra={"labels": {"0": "QoS 0", "1": "QoS 1"}},
    )
    client_id: str = Field(
        "",
        title=gettext_noop("客户端 ID"),
        description=gettext_noop("留空则为 anquan-<接入编号>；多个采集进程时自动加 -w<序号>"),
    )
    username: str = Field("", title=gettext_noop("用户名"), description=gettext_noop("留空则匿名连接"))
    password: str = Field("", title=gettext_noop("密码"), json_schema_extra={"secret": True})
    session_expiry_s: int = Field(
        86400,
        ge=10,
        le=7 * 86400,
        title=gettext_noop("会话保留（秒）"),
        description=gettext_noop("采集进程停止期间，代理服务器为其保留消息的时长"),
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            return value
        from anquan.streaming.connectors.mqtt.client import parse_url

        try:
            parse_url(value)
        except ValueError as exc:
            raise invalid(_("地址应如 mqtt://主机:1883 或 mqtts://主机:8883。")) from exc
        return value

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        cleaned = [t.strip() for t in value]
        for topic in cleaned:
            problem = topic_problem(topic)
            if problem:
                raise invalid(problem)
        if len(set(cleaned)) != len(cleaned):
            raise invalid(_("主题重复。"))
        return cleaned

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if value and not CLIENT_ID.match(value):
            raise invalid(_("客户端 ID 只能包含字母、数字和 _ . : -，最多 64 个字符。"))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MqttConfig:
        if self.password and not self.username:
            raise invalid(_("填写了密码时也请填写用户名。"))
        return self

    def broker_url(self) -> str:
        return self.url or settings.ANQUAN_MQTT_URL


Config = MqttConfig


def test_connection(config: MqttConfig | dict, *, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Connect to the broker with a throwaway session and subscribe to the topics once."""
    from anquan.streaming.connectors.mqtt import client

    cfg = config if isinstance(config, MqttConfig) else MqttConfig.model_validate(config)
    url = cfg.broker_url()
    if not url:
        return False, _("未配置 MQTT 代理服务器（ANQUAN_MQTT_URL 为空），请填写地址。")
    try:
        broker = client.parse_url(url, username=cfg.username, password=cfg.password)
    except ValueError:
        return False, _("地址应如 mqtt://主机:1883 或 mqtts://主机:8883。")
    connected, error, refused = client.probe(broker, cfg.topics, qos=cfg.qos, timeout_s=timeout_s)
    if not connected:
        return False, _("无法连接到 %(url)s：%(error)s") % {"url": broker, "error": error or _("无响应")}
    if error == "timeout":
        return False, _("已连接到 %(url)s，但订阅没有得到答复。") % {"url": broker}
    if refused:
        return False, _("已连接到 %(url)s，但以下主题的订阅被拒绝：%(topics)s") % {
            "url": broker,
            "topics": "，".join(refused),
        }
    return True, _("已连接到 %(url)s，订阅了 %(n)d 个主题。") % {"url": broker, "n": len(cfg.topics)}
