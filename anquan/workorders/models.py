"""Work orders (工单) and their timeline.

A ``WorkOrder`` is a piece of work at a place (site, optionally an area and a piece of equipment),
assigned to one person by the dispatch rules (``dispatch.py``) or by hand, tracked against the SLA of
its priority (``sla.py``) and linked back to its origin as plain data (kind, id, label, url): alarms,
AI alerts, hazards and inspections live in domains above this one, which follow their orders through
the ``WorkOrderOpened`` / ``WorkOrderChanged`` events. Every step is a ``WorkOrderStep`` row (who,
when, from → to, note) and an audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.platform.models import TimeStampedModel
from anquan.workorders.choices import DispatchRule, OriginKind, Priority, State, StepKind


class WorkOrder(TimeStampedModel):
    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("场所"))
    area = models.ForeignKey(
        "org.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("区域")
    )
    equipment = models.ForeignKey(
        "plant.Equipment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("设备"),
    )
    number = models.CharField(_("工单号"), max_length=24, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.OPEN)
    origin_kind = models.CharField(
        _("来源"), max_length=20, choices=OriginKind.choices, default=OriginKind.MANUAL
    )
    origin_id = models.BigIntegerField(_("来源记录 ID"), null=True, blank=True)
    origin_label = models.CharField(_("来源说明"), max_length=200, blank=True)
    origin_url = models.CharField(_("来源链接"), max_length=500, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    dispatch_rule = models.CharField(
        _("派单依据"), max_length=30, choices=DispatchRule.choices, default=DispatchRule.NONE
    )
    dispatch_basis = models.CharField(_("派单说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("关注人")
    )
    accept_due_at = models.DateTimeField(_("接单期限"))
    due_at = models.DateTimeField(_("完成期限"))
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("完成人"),
    )
    completion_note = models.TextField(_("处理说明"), blank=True)
    verified_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("验收人"),
    )
    reject_reason = models.TextField(_("驳回原因"), blank=True)  # the latest rejection
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="workorders_number_unique_per_site")
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="workorders_state_due"),
            models.Index(fields=["assignee", "state"], name="workorders_assignee_state"),
            models.Index(fields=["origin_kind", "origin_id"], name="workorders_origin"),
        ]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def audit_site_id(self) -> int:
        return self.site_id


class WorkOrderStep(models.Model):
    """One line of the timeline: who did what, when, from which state to which, with a note."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="steps", verbose_name=_("工单")
    )
    kind = models.CharField(_("步骤"), max_length=20, choices=StepKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    note = models.TextField(_("说明"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )  # who the order is assigned to after this step
    evidence = models.JSONField(_("凭证附件"), default=list, blank=True)  # attachment ids (completion)
    level = models.PositiveSmallIntegerField(_("升级级别"), null=True, blank=True)  # escalation steps

    class Meta:
        ordering = ["work_order_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "level"],
                condition=models.Q(kind="escalated"),
                name="workorders_escalated_once_per_level",
            )
        ]
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")

    def __str__(self) -> str:
        return f"{self.work_order.number} {self.get_kind_display()}"

    def audit_site_id(self) -> int:
        return self.work_order.site_id


class NumberSequence(models.Model):
    """The last work-order number handed out per site and day (WO-20261128-0001, …)."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="workorders_sequence_unique")]
        verbose_name = _("工单号序列")
        verbose_name_plural = _("工单号序列")

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} #{self.last}"


class ShiftPattern(TimeStampedModel):
    """A recurring shift plan (循环排班) planned in one step: on each chosen weekday from ``first_day``
    to ``last_day`` a shift of ``duration_minutes`` starting at ``start_time`` (the site's local time), taken
    in turn by the people of ``rotation`` (user ids, in order). Its shifts are ordinary ``Shift``
    rows pointing back here; see ``roster.plan_pattern``.
    """

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("班组"))
    rotation = models.JSONField(_("轮班人员"), default=list, help_text=_("用户 ID，按轮换顺序"))
    start_time = models.TimeField(_("每日开始时间"))
    duration_minutes = models.PositiveIntegerField(_("班次时长（分钟）"))
    weekdays = models.JSONField(_("星期"), default=list, help_text=_("0 = 周一 … 6 = 周日"))
    first_day = models.DateField(_("起始日期"))
    last_day = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("排班人"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("循环排班")
        verbose_name_plural = _("循环排班")

    def __str__(self) -> str:
        return f"{self.team_id} {self.first_day}–{self.last_day} {self.start_time:%H:%M}"

    def audit_site_id(self) -> int:
        return self.team.area.site_id


class Shift(TimeStampedModel):
    """A person on duty (当班) for a team from ``starts_at`` to ``ends_at`` (at most 24 h).

    The on-shift roster (排班): planned and cancelled through ``anquan.workorders.roster``, read by
    the dispatch rule ``on_shift``. Kept apart from work orders so it can move to a people domain.
    """

    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("班组"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("当班人员")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("排班人"),
    )
    pattern = models.ForeignKey(
        ShiftPattern,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shifts",
        verbose_name=_("循环排班"),
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="workorders_shift_ends_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["team", "starts_at"], name="workorders_shift_team_start"),
            models.Index(fields=["user", "starts_at"], name="workorders_shift_user_start"),
        ]
        verbose_name = _("排班")
        verbose_name_plural = _("排班")

    def __str__(self) -> str:
        return f"{self.user} @ {self.team_id} {self.starts_at:%Y-%m-%d %H:%M}"

    def audit_site_id(self) -> int:
        return self.team.area.site_id
