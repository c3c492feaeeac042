"""From a Delivery row to the right sender: the message, the channel's settings, absolute links,
and for e-mail the delivery's attached files, read from the attachment storage at each attempt.

Files go only by e-mail, and only up to ``ANQUAN_NOTIFY_MAX_ATTACHMENT_MB`` (10 MB) together; a
larger set is left out and the mail says so and points to the link instead.
"""

from __future__ import annotations

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from anquan.notifications import channels
from anquan.notifications.channels import DeliveryError, MailFile, Message, SmtpSettings
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


def max_attachment_bytes() -> int:
    mb = float(settings.ANQUAN_NOTIFY_MAX_ATTACHMENT_MB)
    return int(mb * 1024 * 1024)


def mail_files(delivery: Delivery) -> tuple[tuple[MailFile, ...], tuple[str, ...]]:
    """(files, notes): the delivery's attachments read from storage, or none and a note saying why.

    A storage that cannot be read raises DeliveryError (the attempt is retried)."""
    attachments = list(delivery.attachments.order_by("pk"))
    if not attachments:
        return (), ()
    total, limit = sum(a.size for a in attachments), max_attachment_bytes()
    if total > limit:
        names = "、".join(a.download_name for a in attachments)
        return (), (
            _("附件 %(names)s（%(size)s）超过邮件大小上限 %(limit)s，未随邮件发送，请通过链接查看或下载。")
            % {"names": names, "size": filesizeformat(total), "limit": filesizeformat(limit)},
        )
    files = []
    for attachment in attachments:
        try:
            with attachment.file.open("rb") as stream:
                content = stream.read()
        except OSError as exc:
            raise DeliveryError(
                _("无法读取附件 %(name)s：%(e)s") % {"name": attachment.download_name, "e": exc}
            ) from exc
        files.append(MailFile(attachment.download_name, content, attachment.content_type))
    return tuple(files), ()


def message_for(delivery: Delivery) -> Message:
    files: tuple[MailFile, ...] = ()
    notes: tuple[str, ...] = ()
    if delivery.kind == ChannelKind.EMAIL:
        files, notes = mail_files(delivery)
    return Message(
        title=delivery.title,
        body=delivery.body,
        level=delivery.level,
        level_label=_label(Level, delivery.level),
        category_label=_label(Category, delivery.category),
        link=absolute_url(delivery.link),
        files=files,
        notes=notes,
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
    if delivery.kind == ChannelKind.EMAIL:
        if not delivery.to_address:
            raise PermanentError(_("没有收件邮箱。"))
        return channels.send_email(
            smtp_settings(channel),
            delivery.to_address,
            message_for(delivery),
            default_from=settings.DEFAULT_FROM_EMAIL,
        )
    message = message_for(delivery)
    if channel is None:
        raise PermanentError(_("该渠道已被删除，消息未发送。"))
    if delivery.kind == ChannelKind.WECOM:
        return channels.send_wecom(channel.webhook_url, message)
    if delivery.kind == ChannelKind.DINGTALK:
        return channels.send_dingtalk(channel.webhook_url, channel.webhook_secret, message)
    if delivery.kind == ChannelKind.FEISHU:
        return channels.send_feishu(channel.webhook_url, channel.webhook_secret, message)
    raise PermanentError(_("未知的渠道类型：%(kind)s") % {"kind": delivery.kind})
