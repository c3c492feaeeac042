"""The vocabularies of the notification centre.

``Category`` is an open list: each domain that sends notifications adds its own member here when it
lands (alarm 报警, hazard 隐患, permit 作业票, inspection 巡检, training 培训 …), together with the
receiver that sends them. Preferences are kept per category, so a new member is at once switchable
by every user and role; a category nobody configured follows the built-in defaults (``defaults``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    ACCOUNT = "account", _("账号与角色")
    EQUIPMENT = "equipment", _("设备责任")
    ALARM = "alarm", _("报警")
    AI_ALERT = "ai_alert", _("AI 预警")
    HAZARD = "hazard", _("隐患")
    WORK_ORDER = "work_order", _("工单")
    INSPECTION = "inspection", _("巡检")
    SYSTEM = "system", _("系统与测试")


class Level(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("警告")
    CRITICAL = "critical", _("严重")


class ChannelKind(models.TextChoices):
    """A configured outbound channel (the in-app inbox needs no configuration)."""

    EMAIL = "email", _("电子邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    FEISHU = "feishu", _("飞书群机器人")


ROBOT_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)


class Medium(models.TextChoices):
    """What a preference switches: the inbox, e-mail, or the site's IM group robots."""

    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("电子邮件")
    IM = "im", _("群机器人")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    RETRYING = "retrying", _("重试中")
    FAILED = "failed", _("失败")


def default_enabled(medium: str, level: str) -> bool:
    """The built-in defaults: inbox always; e-mail from warning up; IM robots for critical only."""
    if medium == Medium.INBOX:
        return True
    if medium == Medium.EMAIL:
        return level in (Level.WARNING, Level.CRITICAL)
    return level == Level.CRITICAL
