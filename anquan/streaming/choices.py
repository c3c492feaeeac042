from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Protocol(models.TextChoices):
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP 批量接口")
    OPCUA = "opcua", _("OPC UA")
    MODBUS = "modbus", _("Modbus TCP")


class ConnectorStatus(models.TextChoices):
    UNKNOWN = "unknown", _("未连接")
    CONNECTED = "connected", _("已连接")
    RECONNECTING = "reconnecting", _("重连中")
    ERROR = "error", _("故障")
    DISABLED = "disabled", _("已停用")


class RejectReason(models.TextChoices):
    """Why a reading or payload was refused. Each is counted per connector and kept as a dead letter."""

    UNKNOWN_TAG = "unknown_tag", _("未知测点")
    NOT_NUMERIC = "not_numeric", _("非数值")
    NOT_FINITE = "not_finite", _("NaN 或无穷大")
    OUT_OF_RANGE = "out_of_range", _("超出仪表量程")
    MALFORMED = "malformed", _("格式错误")
    OVERSIZED = "oversized", _("报文过大")
    BAD_KEY = "bad_key", _("API 密钥错误")
    TOO_OLD = "too_old", _("时间戳过旧")
    FUTURE = "future", _("时间戳超前")
    BAD_QUALITY = "bad_quality", _("质量码不良")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
