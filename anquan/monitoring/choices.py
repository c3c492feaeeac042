from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TagStatus(models.TextChoices):
    """Health of a tag's data, kept by the stream (see docs/monitoring.md)."""

    NO_DATA = "no_data", _("无数据")
    OK = "ok", _("正常")
    STALE = "stale", _("数据中断")
    FLATLINE = "flatline", _("数值冻结")
    OUT_OF_RANGE = "out_of_range", _("超量程")


class RuleKind(models.TextChoices):
    """Alarm rule types. A new kind of alarm is a new row type here, not a new code path."""

    LIMIT = "limit", _("限值（HH/H/L/LL）")
    RATE = "rate", _("变化率")
    DEVIATION = "deviation", _("偏差")
    STALE = "stale", _("数据停滞")
    FLATLINE = "flatline", _("数值冻结")
    DISCRETE = "discrete", _("开关量状态")
    COMPOUND = "compound", _("组合条件")
    INTERLOCK = "interlock", _("联锁/自动控制失效")
    AI = "ai", _("AI 预警（专家确认）")  # raised by earlywarning when an expert confirms an AI alert


# The kinds a person configures; AI points are kept by their early-warning model.
CONFIGURABLE_KINDS = tuple(k for k in RuleKind if k != RuleKind.AI)


class RuleSource(models.TextChoices):
    TAG_LIMITS = "tag_limits", _("测点限值")
    MANUAL = "manual", _("手工配置")
    AI = "ai", _("AI 预警模型")


class AlarmMode(models.TextChoices):
    """The alarm point's mode (ISA-18.2): only in service annunciates."""

    IN_SERVICE = "in_service", _("投用")
    SHELVED = "shelved", _("搁置")
    SUPPRESSED = "suppressed", _("设计抑制")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class AlarmState(models.TextChoices):
    """The state an operator sees (ISA-18.2 / IEC 62682 state model)."""

    NORMAL = "normal", _("正常")
    UNACK = "unack", _("未确认")
    ACKED = "acked", _("已确认")
    RTN_UNACK = "rtn_unack", _("已恢复未确认")
    SHELVED = "shelved", _("搁置")
    SUPPRESSED = "suppressed", _("设计抑制")
    OUT_OF_SERVICE = "out_of_service", _("停用")


class JournalKind(models.TextChoices):
    ACTIVATED = "activated", _("报警")
    RETURNED = "returned", _("恢复正常")
    ACKNOWLEDGED = "acknowledged", _("确认")
    CLEARED = "cleared", _("消除")
    SHELVED = "shelved", _("搁置")
    UNSHELVED = "unshelved", _("解除搁置")
    SUPPRESSED = "suppressed", _("设计抑制")
    UNSUPPRESSED = "unsuppressed", _("解除抑制")
    REMOVED_FROM_SERVICE = "removed_from_service", _("停用")
    RETURNED_TO_SERVICE = "returned_to_service", _("恢复投用")
    COMMENTED = "commented", _("备注")
    ESCALATED = "escalated", _("升级通知")
