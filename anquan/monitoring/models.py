"""Readings, rollups, tag health, alarm rules, alarm states and the alarm journal.

Readings are the hot table: one row per (tag, ts) with ``ts`` in epoch milliseconds (UTC), written
in batches by the stream (PostgreSQL COPY / SQLite executemany), never one ORM call per reading.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.monitoring.choices import AlarmMode, JournalKind, RuleKind, RuleSource, TagStatus
from anquan.plant.choices import AlarmPriority, LimitLevel
from anquan.platform.models import TimeStampedModel


class Reading(models.Model):
    pk = models.CompositePrimaryKey("tag", "ts")
    tag = models.ForeignKey(
        "plant.SensorTag",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # the primary key (tag, …) serves lookups by tag
        related_name="+",
        verbose_name=_("测点"),
    )
    ts = models.BigIntegerField(_("时间戳（毫秒）"))
    value = models.FloatField(_("数值"))

    class Meta:
        verbose_name = _("测量值")
        verbose_name_plural = _("测量值")

    def __str__(self) -> str:
        return f"{self.tag_id}@{self.ts}={self.value}"


class Rollup(models.Model):
    """Min/max/sum/count of a tag per minute (period 60) or hour (period 3600), recomputed from readings."""

    pk = models.CompositePrimaryKey("tag", "period", "bucket")
    tag = models.ForeignKey(
        "plant.SensorTag",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # the primary key (tag, …) serves lookups by tag
        related_name="+",
        verbose_name=_("测点"),
    )
    period = models.IntegerField(_("周期（秒）"))
    bucket = models.BigIntegerField(_("时段起点（毫秒）"))
    min = models.FloatField(_("最小值"))
    max = models.FloatField(_("最大值"))
    sum = models.FloatField(_("合计"))
    count = models.IntegerField(_("样本数"))

    class Meta:
        verbose_name = _("汇总值")
        verbose_name_plural = _("汇总值")

    def __str__(self) -> str:
        return f"{self.tag_id}@{self.bucket}/{self.period}s"


class TagLive(models.Model):
    """The latest value and data health of one tag, upserted by the stream per batch."""

    tag = models.OneToOneField(
        "plant.SensorTag",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="live",
        verbose_name=_("测点"),
    )
    ts = models.BigIntegerField(_("最新时间戳（毫秒）"), null=True)
    value = models.FloatField(_("最新值"), null=True)
    status = models.CharField(
        _("数据状态"), max_length=20, choices=TagStatus.choices, default=TagStatus.NO_DATA
    )
    status_since = models.BigIntegerField(_("状态起始（毫秒）"), null=True)
    changed_ts = models.BigIntegerField(_("数值最近变化（毫秒）"), null=True)

    class Meta:
        verbose_name = _("测点实时状态")
        verbose_name_plural = _("测点实时状态")

    def __str__(self) -> str:
        return f"{self.tag_id}: {self.value} ({self.status})"


class AlarmRule(TimeStampedModel):
    """One alarm point, described as data (ISA-18.2 master alarm database).

    ``params`` by kind:
      limit      {"level": "HH|H|L|LL", "value": float}
      rate       {"per_minute": float, "direction": "rise|fall|both"}
      deviation  {"reference_tag": id, "max_difference": float} or {"setpoint": float, "max_difference": float}
      stale      {"seconds": int}
      flatline   {"seconds": int, "tolerance": float}
      discrete   {"alarm_value": float}
      compound   {"op": "and|or", "terms": [{"tag": id, "cmp": ">|<|>=|<=", "value": float}
                                             | {"tag": id, "trend": "rising|falling", "per_minute": float}]}
      interlock  {"cmp": ">|<|>=|<=", "setpoint": float, "output_tag": id, "output_value": float,
                  "tolerance": float, "response_s": int} — ``tag`` is the trigger (demand) tag; the
                  alarm means the control failed: demand held ``response_s`` and the output tag is
                  still not within ``tolerance`` of ``output_value``
    """

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("场所"))
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    tag = models.ForeignKey(
        "plant.SensorTag",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alarm_rules",
        verbose_name=_("测点"),
        help_text=_("组合条件可不指定"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=RuleKind.choices)
    source = models.CharField(_("来源"), max_length=20, choices=RuleSource.choices, default=RuleSource.MANUAL)
    level = models.CharField(_("限值级别"), max_length=2, choices=LimitLevel.choices, blank=True)
    name = models.CharField(_("名称"), max_length=160)
    priority = models.CharField(
        _("优先级"), max_length=10, choices=AlarmPriority.choices, default=AlarmPriority.LOW
    )
    params = models.JSONField(_("参数"), default=dict)
    deadband = models.FloatField(_("死区（工程单位）"), default=0)
    on_delay_s = models.PositiveIntegerField(_("报警延时（秒）"), default=0)
    off_delay_s = models.PositiveIntegerField(_("恢复延时（秒）"), default=0)
    suppress_when_out_of_service = models.BooleanField(
        _("设备停用/检修时抑制"), default=True, help_text=_("设计抑制：所属设备不在用时不报警")
    )
    enabled = models.BooleanField(_("启用"), default=True)
    cause = models.TextField(_("可能原因"), blank=True)
    consequence = models.TextField(_("后果"), blank=True)
    action = models.TextField(_("处置措施"), blank=True)
    response_minutes = models.PositiveIntegerField(_("允许响应时间（分钟）"), null=True, blank=True)

    class Meta:
        verbose_name = _("报警规则")
        verbose_name_plural = _("报警规则")
        ordering = ["site", "area", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tag", "level"],
                condition=models.Q(source="tag_limits"),
                name="one_limit_rule_per_level",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id


class AlarmPoint(models.Model):
    """The runtime state of one rule: its mode, whether its condition is active, and the engine's memory.

    ``engine`` holds what the rule engine needs to survive a restart (pending on/off delay since,
    last value/ts per tag, …); it is opaque outside ``monitoring.alarms``.
    """

    rule = models.OneToOneField(AlarmRule, on_delete=models.CASCADE, primary_key=True, related_name="point")
    mode = models.CharField(_("模式"), max_length=20, choices=AlarmMode.choices, default=AlarmMode.IN_SERVICE)
    mode_reason = models.CharField(_("原因"), max_length=300, blank=True)
    mode_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mode_at = models.DateTimeField(_("模式变更时间"), null=True, blank=True)
    shelved_until = models.DateTimeField(_("搁置至"), null=True, blank=True)
    active = models.BooleanField(_("条件成立"), default=False)
    occurrence = models.OneToOneField(
        "AlarmOccurrence", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    engine = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("报警点状态")
        verbose_name_plural = _("报警点状态")

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.mode}{' active' if self.active else ''}"


class AlarmOccurrence(models.Model):
    """One annunciated alarm, from activation until it is both returned to normal and acknowledged."""

    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="occurrences")
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(_("优先级"), max_length=10, choices=AlarmPriority.choices)
    message = models.CharField(_("报警信息"), max_length=300)
    raised_at = models.DateTimeField(_("报警时间"))
    raised_value = models.FloatField(_("报警值"), null=True)
    acked_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("消除时间"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)

    class Meta:
        verbose_name = _("报警")
        verbose_name_plural = _("报警")
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["site", "cleared_at"]),
            models.Index(fields=["area", "raised_at"]),
            models.Index(fields=["rule", "raised_at"]),
        ]

    def __str__(self) -> str:
        return self.message


class AlarmJournal(models.Model):
    """Every alarm transition and operator action, with who and when. Append-only."""

    rule = models.ForeignKey(AlarmRule, on_delete=models.CASCADE, related_name="journal")
    occurrence = models.ForeignKey(
        AlarmOccurrence, on_delete=models.CASCADE, null=True, blank=True, related_name="journal"
    )
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey("org.Area", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("事件"), max_length=30, choices=JournalKind.choices)
    at = models.DateTimeField(_("时间"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    value = models.FloatField(_("数值"), null=True, blank=True)
    text = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("报警日志")
        verbose_name_plural = _("报警日志")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["site", "id"]),
            models.Index(fields=["area", "kind", "at"]),
            models.Index(fields=["rule", "kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} #{self.rule_id}"


class EscalationPolicy(TimeStampedModel):
    """Per site: minutes an alarm may stay unacknowledged, per priority, before the next person up is told."""

    site = models.OneToOneField("org.Site", on_delete=models.CASCADE, related_name="alarm_escalation")
    # Defaults are a site's starting policy, not figures from a standard: EEMUA 191 and ISA-18.2 leave
    # the allowed response time to the alarm's rationalisation (AlarmRule.response_minutes).
    high_minutes = models.PositiveIntegerField(_("高优先级（分钟）"), default=5)
    medium_minutes = models.PositiveIntegerField(_("中优先级（分钟）"), default=15)
    low_minutes = models.PositiveIntegerField(_("低优先级（分钟）"), default=30)
    roles = models.JSONField(
        _("升级顺序（角色）"),
        default=list,
        help_text=_("依次通知的角色，如 班组长 → 区域经理 → EHS 总监"),
    )

    class Meta:
        verbose_name = _("报警升级策略")
        verbose_name_plural = _("报警升级策略")

    def audit_site_id(self) -> int:
        return self.site_id
