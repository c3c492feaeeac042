"""The vocabularies of work orders (工单): states, priorities, origins, dispatch rules, timeline steps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """open → accepted → in_progress → done → verified; a verifier's rejection sends a done order
    back to in_progress (a ``rejected`` step, with its reason); a manager may cancel an unfinished one."""

    OPEN = "open", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    IN_PROGRESS = "in_progress", _("处理中")
    DONE = "done", _("已完成")
    VERIFIED = "verified", _("已验收")
    CANCELLED = "cancelled", _("已取消")


# Not finished yet: the SLA runs, the order can be reassigned or cancelled.
ACTIVE_STATES = (State.OPEN, State.ACCEPTED, State.IN_PROGRESS)
# Nothing happens to these any more.
CLOSED_STATES = (State.VERIFIED, State.CANCELLED)


class Priority(models.TextChoices):
    """A work order's own four priorities (an alarm's three map onto the upper three; 紧急 is for
    what cannot wait, e.g. a leak). The SLA of each is in ``anquan.workorders.sla``."""

    URGENT = "urgent", _("紧急")
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class OriginKind(models.TextChoices):
    """Where a work order came from; the origin itself is plain data (kind + id + label + url),
    because the domains that create work orders sit above this one."""

    ALARM = "alarm", _("报警")
    AI_ALERT = "ai_alert", _("AI 预警")
    HAZARD = "hazard", _("隐患")
    INSPECTION = "inspection", _("巡检")
    MANUAL = "manual", _("手工")


class DispatchRule(models.TextChoices):
    """Which rule picked the assignee (派单依据)."""

    EQUIPMENT_RESPONSIBLE = "equipment_responsible", _("设备责任人")
    ON_SHIFT = "on_shift", _("当班人员")
    TEAM_LEADER = "team_leader", _("区域班组长")
    AREA_MANAGER = "area_manager", _("区域经理")
    SAFETY_OFFICER = "safety_officer", _("安全员")
    MANUAL = "manual", _("人工指派")
    NONE = "none", _("未找到处理人")


class StepKind(models.TextChoices):
    """One line of a work order's timeline."""

    OPENED = "opened", _("创建")
    ACCEPTED = "accepted", _("接单")
    STARTED = "started", _("开始处理")
    COMPLETED = "completed", _("完成")
    VERIFIED = "verified", _("验收通过")
    REJECTED = "rejected", _("已驳回")
    REASSIGNED = "reassigned", _("改派")
    CANCELLED = "cancelled", _("取消")
    ESCALATED = "escalated", _("超时升级")
