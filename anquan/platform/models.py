from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    TRANSITION = "transition", _("状态变更")


class AuditEntry(models.Model):
    """One link of the tamper-evident audit chain. Never updated, never deleted.

    Actor and object are stored as plain values, not foreign keys, so that deleting a user or a
    record can never rewrite history (and so the hash stays verifiable).
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人 ID"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    model = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    site_id = models.BigIntegerField(_("场所 ID"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("变更内容"), default=dict)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.model}:{self.object_id}"


class AuditHead(models.Model):
    """A single row locked by every append, so concurrent writers extend the chain in turn."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


# Attachments live in their own subpackage but belong to the platform app.
from anquan.platform.attachments.models import Attachment, AttachmentKind  # noqa: E402

__all__ = ["Attachment", "AttachmentKind", "AuditAction", "AuditEntry", "AuditHead", "TimeStampedModel"]


class ScheduledRun(models.Model):
    """One slot of a periodic job, enqueued once: every task worker's clock tries to insert the
    slot and the one that succeeds enqueues the task in the same transaction (platform/schedule.py)."""

    job = models.CharField(_("定时任务"), max_length=100)
    slot = models.DateTimeField(_("时段"))
    enqueued_at = models.DateTimeField(_("入队时间"), auto_now_add=True)
    task_id = models.CharField(_("任务 ID"), max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once")]
        indexes = [models.Index(fields=["enqueued_at"], name="scheduled_run_enqueued")]
        verbose_name = _("定时任务记录")
        verbose_name_plural = _("定时任务记录")

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"
