"""An attachment: a photo, a recording, a video or a PDF belonging to any registered owner record.

The owner is reached through a generic relation (content type + object id), because the platform
sits below every domain that owns attachments. The model belongs to the ``platform`` app
(anquan/platform/models.py imports it).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("图片")
    AUDIO = "audio", _("音频")
    VIDEO = "video", _("视频")
    PDF = "pdf", _("PDF 文档")


# Files are stored as attachments/<yyyy>/<mm>/<uuid>.<ext>; the service chooses <uuid>.<ext>.
UPLOAD_TO = "attachments/%Y/%m/"


class Attachment(models.Model):
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("归属类型")
    )
    owner_id = models.PositiveBigIntegerField(_("归属记录 ID"))
    owner = GenericForeignKey("owner_type", "owner_id")
    site_id = models.BigIntegerField(_("场所 ID"), null=True, blank=True, db_index=True)
    kind = models.CharField(_("类别"), max_length=10, choices=AttachmentKind.choices)
    content_type = models.CharField(_("文件类型"), max_length=100, help_text=_("按文件内容识别的 MIME 类型"))
    original_name = models.CharField(_("原文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    width = models.PositiveIntegerField(_("宽度（像素）"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高度（像素）"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to=UPLOAD_TO, max_length=255)
    thumbnail = models.FileField(_("缩略图"), upload_to=UPLOAD_TO, max_length=255, blank=True)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True, db_index=True)

    class Meta:
        app_label = "platform"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="platform_attachment_owner")]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name

    def audit_site_id(self) -> int | None:
        return self.site_id

    @property
    def extension(self) -> str:
        """The extension of the stored file (it follows the content, not the uploaded name)."""
        return PurePosixPath(self.file.name or "").suffix.lstrip(".").lower()

    @property
    def download_name(self) -> str:
        """The original name with the extension of what is actually stored (photo.heic -> photo.jpg)."""
        stem = PurePosixPath(self.original_name).stem or str(_("附件"))
        return f"{stem}.{self.extension}" if self.extension else stem

    @property
    def is_image(self) -> bool:
        return self.kind == AttachmentKind.IMAGE

    @property
    def icon(self) -> str:
        return {
            AttachmentKind.IMAGE: "bi-file-earmark-image",
            AttachmentKind.AUDIO: "bi-file-earmark-music",
            AttachmentKind.VIDEO: "bi-file-earmark-play",
            AttachmentKind.PDF: "bi-file-earmark-pdf",
        }.get(AttachmentKind(self.kind), "bi-file-earmark")
