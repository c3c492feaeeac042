"""How data gets in: connectors (configured in the UI), the HTTP inbox, dead letters, history imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.platform.models import TimeStampedModel
from anquan.streaming.choices import ConnectorStatus, ImportStatus, Protocol, RejectReason


class Connector(TimeStampedModel):
    """One data source of a site. ``config`` is validated by the protocol's schema (connectors/<protocol>/)."""

    site = models.ForeignKey("org.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("场所"))
    name = models.CharField(_("名称"), max_length=120)
    protocol = models.CharField(_("协议"), max_length=20, choices=Protocol.choices)
    config = models.JSONField(_("配置"), default=dict)
    enabled = models.BooleanField(_("启用"), default=True)
    # HTTP gateways: only the hash of the key is kept; the prefix identifies it in lists.
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, blank=True, db_index=True)
    key_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("连接状态"), max_length=20, choices=ConnectorStatus.choices, default=ConnectorStatus.UNKNOWN
    )
    status_detail = models.CharField(_("状态说明"), max_length=500, blank=True)
    status_at = models.DateTimeField(_("状态时间"), null=True, blank=True)
    received = models.BigIntegerField(_("接收读数"), default=0)
    accepted = models.BigIntegerField(_("入库读数"), default=0)
    rejected = models.BigIntegerField(_("拒收读数"), default=0)
    last_data_at = models.DateTimeField(_("最近数据时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据接入")
        verbose_name_plural = _("数据接入")
        ordering = ["site", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="connector_name_unique_in_site")]

    def __str__(self) -> str:
        return self.name

    def audit_site_id(self) -> int:
        return self.site_id


class InboundBatch(models.Model):
    """A payload received by the HTTP batch endpoint, waiting for a stream worker (a durable inbox)."""

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.BinaryField()
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["claimed_by", "id"])]

    def __str__(self) -> str:
        return f"{self.connector_id}#{self.pk}"


class DeadLetter(models.Model):
    """A refused reading or payload with its reason; never dropped silently."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    connector = models.ForeignKey(
        Connector, on_delete=models.CASCADE, null=True, blank=True, related_name="dead_letters"
    )
    received_at = models.DateTimeField(_("接收时间"), db_index=True)
    reason = models.CharField(_("原因"), max_length=20, choices=RejectReason.choices)
    tag_code = models.CharField(_("测点位号"), max_length=120, blank=True)
    ts = models.BigIntegerField(_("时间戳（毫秒）"), null=True, blank=True)
    raw = models.TextField(_("原始内容"), blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("拒收数据")
        verbose_name_plural = _("拒收数据")
        ordering = ["-id"]
        indexes = [models.Index(fields=["connector", "reason"])]

    def __str__(self) -> str:
        return f"{self.reason}: {self.tag_code or self.raw[:40]}"


class HistoryImport(TimeStampedModel):
    """A CSV/Excel history file imported into readings as a background task."""

    site = models.ForeignKey("org.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("场所"))
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows = models.IntegerField(_("行数"), default=0)
    accepted = models.BigIntegerField(_("入库读数"), default=0)
    rejected = models.BigIntegerField(_("拒收读数"), default=0)
    detail = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("历史数据导入")
        verbose_name_plural = _("历史数据导入")
        ordering = ["-id"]

    def audit_site_id(self) -> int:
        return self.site_id
