"""Inspections (巡检): routes of checkpoints with their check items, plans that cycle over a route,
the rounds they generate and what was found on them; device signals and asset health scores, and
each site's weights of the score; the daily health report of a site.

A ``Route`` is an ordered list of ``Checkpoint``s (each at an equipment or an area, with a random,
unguessable ``code`` printed as a QR code). A checkpoint's ``CheckItem``s are its checklist. A
``Plan`` walks a route on a cycle and names the responsible team; the scheduler makes one ``Round``
per plan and period (unique), which a walker starts, checks in at each checkpoint by scanning its
code (``CheckIn``), records each item (``ItemResult``) and finishes.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from anquan.inspections import health
from anquan.inspections.choices import (
    Cycle,
    DayRule,
    HealthBand,
    ItemKind,
    OnFail,
    Outcome,
    RoundStatus,
    SignalKind,
)
from anquan.platform.models import TimeStampedModel


def new_code() -> str:
    """A checkpoint's code: 16 characters from a 32-letter alphabet (80 bits), easy to type by hand."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class Route(TimeStampedModel):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    name = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["site_id", "name", "pk"]
        verbose_name = _("巡检路线")
        verbose_name_plural = _("巡检路线")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id


class Checkpoint(TimeStampedModel):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="checkpoints")
    position = models.PositiveIntegerField(_("顺序"))
    name = models.CharField(_("名称"), max_length=120)
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    equipment = models.ForeignKey(
        "plant.Equipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("设备"),
    )
    code = models.CharField(_("点位码"), max_length=32, unique=True, default=new_code, editable=False)

    class Meta:
        ordering = ["route_id", "position", "pk"]
        verbose_name = _("巡检点")
        verbose_name_plural = _("巡检点")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.route.site_id


class CheckItem(TimeStampedModel):
    """One line of a checkpoint's checklist."""

    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("顺序"))
    name = models.CharField(_("检查内容"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=ItemKind.choices)
    low = models.FloatField(_("下限"), null=True, blank=True)
    high = models.FloatField(_("上限"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    photo_required = models.BooleanField(_("须拍照"), default=False)
    on_fail = models.CharField(_("异常处理"), max_length=20, choices=OnFail.choices, default=OnFail.NONE)

    class Meta:
        ordering = ["checkpoint_id", "position", "pk"]
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.checkpoint.route.site_id


class Plan(TimeStampedModel):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="plans", verbose_name=_("路线"))
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, related_name="+", verbose_name=_("责任班组")
    )
    name = models.CharField(_("名称"), max_length=120)
    cycle = models.CharField(_("周期"), max_length=10, choices=Cycle.choices)
    day_rule = models.CharField(
        _("日历规则"), max_length=20, choices=DayRule.choices, default=DayRule.EVERY_DAY
    )
    start_time = models.TimeField(_("开始时间"), default=dt.time(8, 0))
    window_minutes = models.PositiveIntegerField(_("完成时限（分钟）"), default=60)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["site_id", "name", "pk"]
        verbose_name = _("巡检计划")
        verbose_name_plural = _("巡检计划")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id


class Round(TimeStampedModel):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("计划"))
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    team = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="+", editable=False)
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="+", editable=False)
    period_start = models.DateTimeField(_("周期开始"))
    starts_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(
        _("状态"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.SCHEDULED
    )
    late = models.BooleanField(_("超时完成"), default=False)
    started_at = models.DateTimeField(_("实际开始"), null=True, blank=True)
    finished_at = models.DateTimeField(_("实际完成"), null=True, blank=True)
    walker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("巡检人"),
    )
    client_uuid = models.UUIDField(_("离线提交编号"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_start"], name="inspections_round_once_per_period")
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="inspections_round_due")]
        verbose_name = _("巡检任务")
        verbose_name_plural = _("巡检任务")

    def __str__(self) -> str:
        return f"{self.plan.name} {self.starts_at:%Y-%m-%d %H:%M}"

    def audit_site_id(self) -> int:
        return self.site_id


class CheckIn(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="checkins")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("签到时间"))
    code = models.CharField(_("扫描的点位码"), max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["round_id", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "checkpoint"], name="inspections_checkin_once")
        ]
        verbose_name = _("签到")
        verbose_name_plural = _("签到")

    def __str__(self) -> str:
        return f"{self.checkpoint} @ {self.at:%H:%M}"

    def audit_site_id(self) -> int:
        return self.round.site_id


class ItemResult(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(CheckItem, on_delete=models.PROTECT, related_name="+")
    value = models.FloatField(_("读数"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    follow_up = models.CharField(_("异常处理"), max_length=20, choices=OnFail.choices, default=OnFail.NONE)
    follow_up_id = models.PositiveBigIntegerField(_("后续记录 ID"), null=True, blank=True)

    class Meta:
        ordering = ["round_id", "item__checkpoint__position", "item__position", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "item"], name="inspections_result_once")]
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")

    def __str__(self) -> str:
        return f"{self.item.name}: {self.get_outcome_display()}"

    def audit_site_id(self) -> int:
        return self.round.site_id


# --- AI inspection assistant ----------------------------------------------------------------------
class Signal(models.Model):
    """One reading of an inspection device at an equipment. ``data`` by kind (validated on ingest):

    - thermal: ``{"max_c", "mean_c", "reference_c", "hotspot": [x, y]}`` (a thermal frame's summary)
    - acoustic: ``{"bands": {"1000": 72.0, …}, "baseline": {"1000": 65.0, …}}`` (dB per band, Hz)
    - gas: ``{"channels": {"VOC": 3.2, …}, "baseline": {"VOC": 1.0, …}}`` (per sensor channel)
    """

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    equipment = models.ForeignKey("plant.Equipment", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类别"), max_length=20, choices=SignalKind.choices)
    taken_at = models.DateTimeField(_("采集时间"))
    source = models.CharField(_("设备"), max_length=80, blank=True)
    data = models.JSONField(_("数据"), default=dict)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["equipment", "kind", "-taken_at"], name="inspections_signal_latest")]
        verbose_name = _("巡检信号")
        verbose_name_plural = _("巡检信号")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.taken_at:%Y-%m-%d %H:%M}"

    def audit_site_id(self) -> int:
        return self.site_id


class HealthScore(models.Model):
    """An equipment's health at one moment: 0–100, the reasons, the suggested action."""

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+")
    equipment = models.ForeignKey("plant.Equipment", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("评估时间"))
    score = models.PositiveSmallIntegerField(_("健康分"))
    band = models.CharField(_("等级"), max_length=20, choices=HealthBand.choices)
    reasons = models.JSONField(_("原因"), default=list)  # [{"factor", "penalty", "text"}]
    action = models.CharField(_("建议措施"), max_length=200)
    weights = models.JSONField(_("评分权重"), default=dict)  # the health.Weights that made it

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["equipment", "-at"], name="inspections_health_latest")]
        verbose_name = _("设备健康评分")
        verbose_name_plural = _("设备健康评分")

    def __str__(self) -> str:
        return f"{self.equipment_id}: {self.score}"

    def audit_site_id(self) -> int:
        return self.site_id


def _weight(name: str) -> models.FloatField:
    setting = next(s for s in health.SETTINGS if s.name == name)
    label = format_lazy("{}：{}", setting.group, setting.label)
    return models.FloatField(label, default=getattr(health.WEIGHTS, name))


class HealthWeights(TimeStampedModel):
    """A site's weights and band edges of the health score (one field per ``health.Weights``
    field); a site without a row scores with the defaults."""

    site = models.OneToOneField("org.Site", on_delete=models.CASCADE, related_name="+", editable=False)
    thermal_free_k = _weight("thermal_free_k")
    thermal_per_k = _weight("thermal_per_k")
    thermal_cap = _weight("thermal_cap")
    acoustic_free_db = _weight("acoustic_free_db")
    acoustic_per_db = _weight("acoustic_per_db")
    acoustic_cap = _weight("acoustic_cap")
    gas_free_ratio = _weight("gas_free_ratio")
    gas_per_ratio = _weight("gas_per_ratio")
    gas_cap = _weight("gas_cap")
    tag_near = _weight("tag_near")
    tag_over = _weight("tag_over")
    tag_over_severe = _weight("tag_over_severe")
    tag_near_share = _weight("tag_near_share")
    tags_cap = _weight("tags_cap")
    normal_from = _weight("normal_from")
    watch_from = _weight("watch_from")
    maintain_from = _weight("maintain_from")

    class Meta:
        verbose_name = _("健康评分权重")
        verbose_name_plural = _("健康评分权重")

    def __str__(self) -> str:
        return str(self.site)

    def audit_site_id(self) -> int:
        return self.site_id

    def weights(self) -> health.Weights:
        return health.Weights.from_dict({name: getattr(self, name) for name in health.NAMES})


# --- daily health report --------------------------------------------------------------------------
class ReportSetting(TimeStampedModel):
    site = models.OneToOneField("org.Site", on_delete=models.CASCADE, related_name="+")
    send_at = models.TimeField(_("生成时间（当地）"), default=dt.time(7, 30))
    subscribers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        verbose_name = _("日报设置")
        verbose_name_plural = _("日报设置")

    def __str__(self) -> str:
        return f"{self.site_id} @ {self.send_at:%H:%M}"

    def audit_site_id(self) -> int:
        return self.site_id


class DailyReport(models.Model):
    """A site's daily health report for ``date`` (the day it covers, local time)."""

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    built_at = models.DateTimeField(_("生成时间"))
    content = models.JSONField(_("内容"), default=dict)

    class Meta:
        ordering = ["-date", "site_id"]
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="inspections_report_once_a_day")]
        verbose_name = _("设备健康日报")
        verbose_name_plural = _("设备健康日报")

    def __str__(self) -> str:
        return f"{self.site_id} {self.date}"

    def audit_site_id(self) -> int:
        return self.site_id
