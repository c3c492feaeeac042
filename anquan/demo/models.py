"""The demo plant's simulator state: fault scenarios injected on command, with their ground truth."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FaultStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已计划")
    RUNNING = "running", _("进行中")
    ENDED = "ended", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class FaultInjection(models.Model):
    """A fault scenario for the running simulator (``anquan simulate``) to play, and what it really did.

    ``ground_truth`` is written by the simulator: affected equipment and tags, onset per tag, and
    the time each tag would first cross a conventional limit — what warnings are scored against.
    """

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("场所"))
    scenario = models.CharField(_("故障场景"), max_length=40)
    equipment = models.ForeignKey(
        "plant.Equipment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("设备"),
    )
    params = models.JSONField(_("参数"), default=dict)
    start_at = models.DateTimeField(_("开始时间"))
    duration_s = models.PositiveIntegerField(_("持续时间（秒）"))
    seed = models.IntegerField(_("随机种子"), default=0)
    status = models.CharField(
        _("状态"), max_length=20, choices=FaultStatus.choices, default=FaultStatus.SCHEDULED
    )
    ground_truth = models.JSONField(_("真实情况"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("故障注入")
        verbose_name_plural = _("故障注入")
        ordering = ["-start_at"]

    def __str__(self) -> str:
        return f"{self.scenario} @ {self.equipment.code if self.equipment else '-'} {self.start_at:%Y-%m-%d %H:%M}"

    def audit_site_id(self) -> int:
        return self.site_id
