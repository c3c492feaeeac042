"""Early-warning models per process unit, their trained versions, and the AI alerts they raise.

A ``WarningModel`` says which tags of a unit are watched by which detector (``anquan.detectors``),
sampled on which grid. Each training makes a ``ModelVersion`` (the artefact, its training window,
data hash and metrics); an approved version is made active, one per model, and can be rolled back.
The stream scores the active versions online and records ``AIAlert``s, which experts review.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.earlywarning.choices import NotifyMode, ReviewStatus, VersionStatus
from anquan.plant.choices import AlarmPriority
from anquan.platform.models import TimeStampedModel


class WarningModel(TimeStampedModel):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    unit = models.ForeignKey(
        "plant.Unit", on_delete=models.PROTECT, related_name="warning_models", verbose_name=_("装置单元")
    )
    name = models.CharField(_("名称"), max_length=120)
    detector = models.CharField(_("检测算法"), max_length=40)
    tags = models.ManyToManyField("plant.SensorTag", related_name="+", verbose_name=_("测点"))
    interval_s = models.PositiveIntegerField(_("采样间隔（秒）"), default=10)
    training_days = models.PositiveIntegerField(_("训练数据（天）"), default=7)
    alerts_per_day = models.FloatField(_("目标误报（次/天）"), default=1.0)
    notify = models.CharField(
        _("通知方式"), max_length=20, choices=NotifyMode.choices, default=NotifyMode.AFTER_REVIEW
    )
    priority = models.CharField(
        _("确认后报警优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.MEDIUM
    )
    enabled = models.BooleanField(_("启用"), default=True)
    active_version = models.ForeignKey(
        "earlywarning.ModelVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("在用版本"),
    )

    class Meta:
        ordering = ["site_id", "name"]
        verbose_name = _("预警模型")
        verbose_name_plural = _("预警模型")

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id


class ModelVersion(TimeStampedModel):
    model = models.ForeignKey(
        WarningModel, on_delete=models.CASCADE, related_name="versions", verbose_name=_("预警模型")
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.TextField(_("说明"), blank=True)
    detector = models.CharField(_("检测算法"), max_length=40)
    tag_codes = models.JSONField(_("测点"), default=list)  # the variables, in the artefact's order
    interval_s = models.PositiveIntegerField(_("采样间隔（秒）"))
    train_from = models.DateTimeField(_("训练数据起"))
    train_to = models.DateTimeField(_("训练数据止"))
    rows = models.PositiveIntegerField(_("训练样本数"), default=0)
    data_hash = models.CharField(_("训练数据摘要（SHA-256）"), max_length=64, blank=True)
    threshold = models.FloatField(_("报警阈值"), null=True, blank=True)
    metrics = models.JSONField(_("指标"), default=dict)
    artefact = models.BinaryField(_("模型文件"), null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("训练人"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        ordering = ["model_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="earlywarning_version_number_unique")
        ]
        verbose_name = _("模型版本")
        verbose_name_plural = _("模型版本")

    def __str__(self) -> str:
        return f"{self.model.name} v{self.number}"

    def audit_site_id(self) -> int:
        return self.model.site_id


class AIAlert(TimeStampedModel):
    """One episode of a model's score above its threshold (with persistence), with what explains it."""

    model = models.ForeignKey(
        WarningModel, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("预警模型")
    )
    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("模型版本")
    )
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", editable=False)
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+", editable=False)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    score = models.FloatField(_("最高得分"))
    threshold = models.FloatField(_("阈值"))
    contributors = models.JSONField(_("主要贡献测点"), default=list)  # [{"tag": code, "share": 0.41}]
    heatmap = models.JSONField(
        _("贡献热力图"), default=dict
    )  # {"tags": [...], "times": [ms], "values": [[...]]}
    path = models.JSONField(
        _("传播路径"), default=list
    )  # [{"equipment": code, "name", "at": ms, "tags": [...]}]
    forecasts = models.JSONField(
        _("到限预测"), default=list
    )  # [{"tag", "level", "limit", "eta_s", "low_s", "high_s"}]
    review = models.CharField(
        _("复核"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    reviewed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    review_reason = models.TextField(_("复核说明"), blank=True)
    occurrence = models.ForeignKey(
        "monitoring.AlarmOccurrence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认后的报警"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["site", "review", "-started_at"], name="earlywarning_alert_queue")]
        verbose_name = _("AI 预警")
        verbose_name_plural = _("AI 预警")

    def __str__(self) -> str:
        return f"{self.model.name} @ {self.started_at:%Y-%m-%d %H:%M}"

    def audit_site_id(self) -> int:
        return self.site_id
