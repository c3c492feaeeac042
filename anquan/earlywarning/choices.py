from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NotifyMode(models.TextChoices):
    """Per model: whether an AI alert notifies people at once or only once an expert confirmed it."""

    AFTER_REVIEW = "after_review", _("专家复核后通知")
    IMMEDIATE = "immediate", _("立即通知")


class VersionStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    TRAINING = "training", _("训练中")
    READY = "ready", _("待审批")
    APPROVED = "approved", _("已批准")
    FAILED = "failed", _("训练失败")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    CONFIRMED = "confirmed", pgettext_lazy("AI alert review", "已确认")
    REJECTED = "rejected", _("已驳回")
