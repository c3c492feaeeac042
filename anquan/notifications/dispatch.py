"""From a Delivery row to the right sender: the message, the channel's settings, absolute links."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from anquan.notifications import channels
from anquan.notifications.channels import DeliveryError, Message, SmtpSettings
from anquan.notifications.choices import Category, ChannelKind, Level
from anquan.notifications.models import Channel, Delivery


class PermanentError(DeliveryError):
    """A failure that a retry cannot cure (the channel was removed or switched off)."""


def absolute_url(link: str) -> str:
    """``link`` as an address a mail or chat client can open; "" when there is none to give."""
    if not link:
        return ""
    if link.startswith(("http://", "https://")):
        return link
    base: str = getattr(settings, "ANQUAN_PUBLIC_URL", "")
    return f"{base.rstrip('/')}/{link.lstrip('/')}" if base else ""


def _label(choices: type[Category] | type[Level], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def message_for(delivery: Delivery) -> Message:
    return Message(
        title=delivery.title,
        body=delivery.body,
        level=delivery.level,
        level_label=_label(Level, delivery.level),
        category_label=_label(Category, delivery.category),
        link=absolute_url(delivery.link),
    )


def smtp_settings(channel: Channel | None) -> SmtpSettings:
    """The channel's own SMTP server, or the platform's (settings EMAIL_*) when its host is blank."""
    if channel is None or not channel.smtp_host:
        return SmtpSettings(from_email=channel.from_email if channel else None)
    port = channel.smtp_port or (465 if channel.smtp_use_ssl else 587 if channel.smtp_use_tls else 25)
    return SmtpSettings(
        host=channel.smtp_host,
        port=port,
        username=channel.smtp_username,
        password=channel.smtp_password,
        use_tls=channel.smtp_use_tls,
        use_ssl=channel.smtp_use_ssl,
        from_email=channel.from_email,
    )


def send(delivery: Delivery, *, allow_disabled: bool = False) -> str:
    """One attempt at ``delivery``; returns the response excerpt or raises DeliveryError."""
    channel = delivery.channel
    if channel is not None and not channel.enabled and not allow_disabled:
        raise PermanentError(_("渠道“%(name)s”已停用，消息未发送。") % {"name": channel.name})
    message = message_for(delivery)
    if delivery.kind == ChannelKind.EMAIL:
        if not delivery.to_address:
            raise PermanentError(_("没有收件邮箱。"))
        return channels.send_email(
            smtp_settings(channel), delivery.to_address, message, default_from=settings.DEFAULT_FROM_EMAIL
        )
    if channel is None:
        raise PermanentError(_("该渠道已被删除，消息未发送。"))
    if delivery.kind == ChannelKind.WECOM:
        return channels.send_wecom(channel.webhook_url, message)
    if delivery.kind == ChannelKind.DINGTALK:
        return channels.send_dingtalk(channel.webhook_url, channel.webhook_secret, message)
    if delivery.kind == ChannelKind.FEISHU:
        return channels.send_feishu(channel.webhook_url, channel.webhook_secret, message)
    raise PermanentError(_("未知的渠道类型：%(kind)s") % {"kind": delivery.kind})
