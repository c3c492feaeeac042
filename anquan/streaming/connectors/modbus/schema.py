"""Configuration of a Modbus TCP connector, and the "test connection" step the UI runs before saving.

```json
{
  "host": "192.168.1.20", "port": 502, "unit_id": 1,
  "poll_interval_s": 5, "timeout_s": 3,
  "registers": [
    {"tag": "TI-101", "register_type": "holding", "address": 0, "data_type": "int16",
     "word_order": "big", "scale": 0.1, "offset": 0},
    {"tag": "PI-201", "register_type": "input", "address": 10, "data_type": "float32",
     "word_order": "little", "scale": 1, "offset": 0},
    {"tag": "XS-101", "register_type": "coil", "address": 0}
  ]
}
```

``address`` is the protocol address counted from 0 (holding register 40001 is address 0). Within a
register the bytes are big-endian (the Modbus rule); ``word_order`` says which 16-bit register of a
32-bit value comes first. The engineering value is ``raw × scale + offset``.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

SECRET_FIELDS: tuple[str, ...] = ()
MAX_REGISTERS = 5000
WIDTH = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}
BIT_TYPES = ("coil", "discrete")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$")


def invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


class RegisterMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tag: str = Field(title=gettext_noop("测点位号"), description=gettext_noop("本场所的测点位号，如 TI-101"))
    register_type: Literal["holding", "input", "coil", "discrete"] = Field(
        "holding",
        title=gettext_noop("寄存器类型"),
        json_schema_extra={
            "labels": {
                "holding": gettext_noop("保持寄存器 (4x)"),
                "input": gettext_noop("输入寄存器 (3x)"),
                "coil": gettext_noop("线圈 (0x)"),
                "discrete": gettext_noop("离散输入 (1x)"),
            }
        },
    )
    address: int = Field(
        ge=0,
        le=65535,
        title=gettext_noop("地址"),
        description=gettext_noop("从 0 开始的协议地址（40001 为 0）"),
    )
    data_type: Literal["int16", "uint16", "int32", "uint32", "float32"] = Field(
        "uint16",
        title=gettext_noop("数据类型"),
        description=gettext_noop("线圈和离散输入忽略此项"),
        json_schema_extra={
            "labels": {
                "int16": "INT16",
                "uint16": "UINT16",
                "int32": "INT32",
                "uint32": "UINT32",
                "float32": "FLOAT32",
            }
        },
    )
    word_order: Literal["big", "little"] = Field(
        "big",
        title=gettext_noop("字序"),
        description=gettext_noop("32 位数值中高位字在前（big）或低位字在前（little）"),
        json_schema_extra={"labels": {"big": gettext_noop("高字在前"), "little": gettext_noop("低字在前")}},
    )
    scale: float = Field(
        1.0, title=gettext_noop("比例系数"), description=gettext_noop("工程值 = 原始值 × 比例 + 偏移")
    )
    offset: float = Field(0.0, title=gettext_noop("偏移量"))

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not value:
            raise invalid(_("请填写测点位号。"))
        if len(value) > 60:
            raise invalid(_("测点位号最多 60 个字符。"))
        return value

    @field_validator("scale", "offset")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise invalid(_("请输入有限的数值。"))
        return value

    @model_validator(mode="after")
    def _fits(self) -> RegisterMapping:
        if self.scale == 0:
            raise invalid(_("比例系数不能为 0。"))
        if self.address + self.width > 65536:
            raise invalid(
                _("地址超出范围：%(type)s 需要 %(n)d 个寄存器。") % {"type": self.data_type, "n": self.width}
            )
        return self

    @property
    def is_bit(self) -> bool:
        return self.register_type in BIT_TYPES

    @property
    def width(self) -> int:
        """How many addresses the value occupies (one per bit for coils and discrete inputs)."""
        return 1 if self.is_bit else WIDTH[self.data_type]


class ModbusConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    host: str = Field(title=gettext_noop("主机"), description=gettext_noop("设备或网关的 IP 地址或主机名"))
    port: int = Field(502, ge=1, le=65535, title=gettext_noop("端口"))
    unit_id: int = Field(
        1,
        ge=0,
        le=255,
        title=gettext_noop("从站地址"),
        description=gettext_noop("Unit ID / 站号，网关后的设备需填写"),
    )
    poll_interval_s: float = Field(5.0, ge=0.1, le=86400, title=gettext_noop("轮询周期（秒）"))
    timeout_s: float = Field(3.0, ge=0.2, le=60, title=gettext_noop("响应超时（秒）"))
    registers: list[RegisterMapping] = Field(
        min_length=1,
        max_length=MAX_REGISTERS,
        title=gettext_noop("寄存器映射"),
        description=gettext_noop("每个寄存器（或线圈）对应一个测点位号"),
    )

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value:
            raise invalid(_("请填写主机地址。"))
        if not HOST.match(value):
            raise invalid(_("主机地址格式不正确。"))
        return value

    @model_validator(mode="after")
    def _unique(self) -> ModbusConfig:
        tags: set[str] = set()
        for register in self.registers:
            if register.tag in tags:
                raise invalid(_("测点 %(tag)s 映射了多个寄存器。") % {"tag": register.tag})
            tags.add(register.tag)
        return self


Config = ModbusConfig


def test_connection(config: ModbusConfig | dict, *, timeout_s: float | None = None) -> tuple[bool, str]:
    """Connect, read the whole register map once, and show the engineering values (or what failed)."""
    from anquan.streaming.connectors.modbus import client

    cfg = config if isinstance(config, ModbusConfig) else ModbusConfig.model_validate(config)
    where = f"{cfg.host}:{cfg.port}"
    try:
        values, failures = client.run_sync(client.probe(cfg, timeout_s=timeout_s))
    except client.ConnectError as exc:
        return False, _("无法连接到 %(where)s：%(error)s") % {"where": where, "error": exc}
    lines = [_("已连接到 %(where)s（从站 %(unit)d）。") % {"where": where, "unit": cfg.unit_id}]
    if values:
        shown = "，".join(f"{tag}={value:g}" for tag, value in values[:8])
        more = _("等") if len(values) > 8 else ""
        lines.append(
            _("%(n)d 个测点读取成功：%(values)s%(more)s") % {"n": len(values), "values": shown, "more": more}
        )
    for tags, error in failures:
        lines.append(_("读取失败（%(tags)s）：%(error)s") % {"tags": "，".join(tags), "error": error})
    return not failures, "\n".join(lines)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
