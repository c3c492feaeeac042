"""The vocabularies of inspections (巡检): cycles, calendar rules, check items, rounds, asset health."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Cycle(models.TextChoices):
    HOUR = "hour", _("每小时")
    DAY = "day", _("每天")
    WEEK = "week", _("每周")
    MONTH = "month", _("每月")


class DayRule(models.TextChoices):
    """Which days a plan's hourly or daily rounds fall on (weekly and monthly plans: every period)."""

    EVERY_DAY = "every_day", _("每天")
    WORKING_DAYS = "working_days", _("工作日")
    NON_WORKING_DAYS = "non_working_days", _("非工作日")


class ItemKind(models.TextChoices):
    PASS_FAIL = "pass_fail", _("正常/异常")
    READING = "reading", _("读数")


class OnFail(models.TextChoices):
    """What a failed check item opens."""

    NONE = "none", _("仅记录")
    WORK_ORDER = "work_order", _("生成工单")
    HAZARD = "hazard", _("登记隐患")


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待执行")
    IN_PROGRESS = "in_progress", _("执行中")
    COMPLETED = "completed", _("已完成")
    MISSED = "missed", _("漏检")


class Outcome(models.TextChoices):
    PASS = "pass", _("正常")
    FAIL = "fail", _("异常")


class SignalKind(models.TextChoices):
    THERMAL = "thermal", _("红外热像")
    ACOUSTIC = "acoustic", _("声学")
    GAS = "gas", _("气体/气味阵列")


class HealthBand(models.TextChoices):
    NORMAL = "normal", _("正常")
    WATCH = "watch", _("关注")
    MAINTAIN = "maintain", _("安排检修")
    ACT_NOW = "act_now", _("立即处置")
