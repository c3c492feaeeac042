from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from anquan.notifications.choices import (
    ROBOT_KINDS,
    Category,
    ChannelKind,
    DeliveryStatus,
    Level,
    Medium,
)
from anquan.org.choices import Role
from anquan.org.models import Site
from anquan.platform.models import TimeStampedModel


def mask_url(url: str) -> str:
    """A webhook address with its credential (WeCom ``key``, DingTalk ``access_token``, Feishu hook
    id) hidden: scheme, host and the last four characters."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}" if len(url) > 12 else "…"


class Notification(models.Model):
    """One message in one user's inbox."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    category = models.CharField(_("类别"), max_length=40, choices=Category.choices)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("场所"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_read")]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(TimeStampedModel):
    """An outbound channel of one site: its own SMTP server, or a group robot's webhook."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+", verbose_name=_("场所"))
    kind = models.CharField(_("类型"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("名称"), max_length=80)
    enabled = models.BooleanField(_("启用"), default=True)
    # E-mail: a blank host means the platform's SMTP server (settings EMAIL_*).
    smtp_host = models.CharField(
        _("SMTP 服务器"), max_length=200, blank=True, help_text=_("留空则使用平台默认的邮件服务器")
    )
    smtp_port = models.PositiveIntegerField(_("SMTP 端口"), null=True, blank=True)
    smtp_username = models.CharField(_("SMTP 用户名"), max_length=200, blank=True)
    smtp_password = models.CharField(_("SMTP 密码"), max_length=200, blank=True)
    smtp_use_tls = models.BooleanField(_("STARTTLS"), default=False)
    smtp_use_ssl = models.BooleanField(_("SSL/TLS"), default=False)
    from_email = models.CharField(_("发件人地址"), max_length=200, blank=True)
    # Group robots.
    webhook_url = models.CharField(_("Webhook 地址"), max_length=500, blank=True)
    webhook_secret = models.CharField(
        _("签名密钥"), max_length=200, blank=True, help_text=_("钉钉、飞书机器人开启“加签”时填写")
    )

    class Meta:
        ordering = ["site__name", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="notifications_channel_name_unique")
        ]
        verbose_name = _("通知渠道")
        verbose_name_plural = _("通知渠道")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    def audit_site_id(self) -> int:
        return self.site_id

    @property
    def webhook_url_masked(self) -> str:
        return mask_url(self.webhook_url)

    @property
    def is_robot(self) -> bool:
        return self.kind in ROBOT_KINDS

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind == ChannelKind.EMAIL:
            if self.smtp_use_tls and self.smtp_use_ssl:
                errors["smtp_use_ssl"] = _("STARTTLS 与 SSL/TLS 只能选择一种。")
            if not self.smtp_host and (self.smtp_port or self.smtp_username or self.smtp_password):
                errors["smtp_host"] = _("填写了端口或账号时，请同时填写 SMTP 服务器。")
            if self.from_email:
                try:
                    validate_email(self.from_email)
                except ValidationError:
                    errors["from_email"] = _("请输入有效的邮箱地址。")
        elif self.kind in ROBOT_KINDS:
            parts = urlsplit(self.webhook_url)
            if not self.webhook_url:
                errors["webhook_url"] = _("请填写机器人的 Webhook 地址。")
            elif parts.scheme not in ("http", "https") or not parts.netloc:
                errors["webhook_url"] = _("Webhook 地址必须以 http:// 或 https:// 开头。")
            if self.kind == ChannelKind.WECOM and self.webhook_secret:
                errors["webhook_secret"] = _("企业微信群机器人不使用签名密钥，请留空。")
        if errors:
            raise ValidationError(errors)


class Preference(models.Model):
    """Whether a category of notifications goes to a medium, for one user or for a role at a site.

    A user's own row wins over the row of any role they hold at the notification's site, which wins
    over the built-in defaults (``choices.default_enabled``). When a user's roles at a site disagree,
    the medium is on if any of them turns it on.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preferences",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, blank=True)
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("场所")
    )
    category = models.CharField(_("类别"), max_length=40, choices=Category.choices)
    medium = models.CharField(_("方式"), max_length=10, choices=Medium.choices)
    enabled = models.BooleanField(_("开启"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["category", "medium"]
        constraints = [
            models.CheckConstraint(
                name="notifications_preference_user_or_role",
                condition=(
                    models.Q(user__isnull=False, role="", site__isnull=True)
                    | (models.Q(user__isnull=True, site__isnull=False) & ~models.Q(role=""))
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "category", "medium"],
                condition=models.Q(user__isnull=False),
                name="notifications_preference_user_unique",
            ),
            models.UniqueConstraint(
                fields=["site", "role", "category", "medium"],
                condition=models.Q(user__isnull=True),
                name="notifications_preference_role_unique",
            ),
        ]
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        who = str(self.user) if self.user_id else f"{self.get_role_display()} @ {self.site}"
        return f"{who}: {self.get_category_display()} / {self.get_medium_display()}"

    def audit_site_id(self) -> int | None:
        return self.site_id


class Delivery(models.Model):
    """One outbound send: an e-mail to one recipient, or one post to a site's group robot.

    The content is copied in when the delivery is created, so a retry sends exactly what was meant
    even if the inbox row is later removed. An e-mail may carry ``attachments``: references to files
    in the platform's attachment storage, read when the mail is sent (so a retry sends them again).
    """

    kind = models.CharField(_("类型"), max_length=20, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("渠道"),
        help_text=_("电子邮件未配置渠道时使用平台默认服务器"),
    )
    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("站内消息"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("场所")
    )
    to_address = models.CharField(_("收件地址"), max_length=254, blank=True)
    category = models.CharField(_("类别"), max_length=40, choices=Category.choices)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    # Files sent with an e-mail (stored attachments, loaded at each attempt; never the bytes here).
    attachments = models.ManyToManyField(
        "platform.Attachment", blank=True, related_name="+", verbose_name=_("附件")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    response = models.CharField(_("响应摘要"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_status")]
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title}"

    def audit_site_id(self) -> int | None:
        return self.site_id
