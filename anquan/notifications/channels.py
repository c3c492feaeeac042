"""Senders: one function per outbound channel, each a single attempt with timeouts.

They know nothing of the database. Each returns a short excerpt of what the other side answered and
raises ``DeliveryError`` (with a clear message and the response excerpt) when it did not accept the
message; the task that calls them records the outcome and decides about retries.

The formats are the services' own:

- WeCom group robot (企业微信群机器人): POST the webhook (``…/cgi-bin/webhook/send?key=…``) with
  ``{"msgtype": "markdown", "markdown": {"content": …}}``; success is ``errcode == 0``.
- DingTalk custom robot (钉钉自定义机器人): POST ``webhook&timestamp=<ms>&sign=<sign>`` where
  ``sign = urlencode(base64(hmac_sha256(key=secret, msg=f"{timestamp}\\n{secret}")))`` when signing
  (加签) is on, with ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``; success is
  ``errcode == 0``.
- Feishu custom bot (飞书自定义机器人): POST ``{"timestamp": "<s>", "sign": …, "msg_type": "post",
  "content": {"post": {"zh_cn": {"title": …, "content": [[…]]}}}}`` where
  ``sign = base64(hmac_sha256(key=f"{timestamp}\\n{secret}", msg=b""))``; success is ``code == 0``
  (older deployments answer ``StatusCode == 0``).
- E-mail: Django's SMTP EmailBackend built from the channel's settings, or, when the channel names
  no server, the platform's e-mail backend (``ANQUAN_EMAIL_URL``: an SMTP server, or e-mails written
  to files for a demo without one); plain text with an HTML alternative, and
  the message's files as attachments (only e-mail carries files; the robots get the link).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SMTP_TIMEOUT = 10
EXCERPT = 500
# Size limits of the services (bytes of UTF-8): WeCom markdown content 4096; DingTalk and Feishu
# accept about 20 KB, of which the text is kept well below.
WECOM_LIMIT = 4096
ROBOT_TEXT_LIMIT = 15000
LEVEL_COLOURS = {"info": "info", "warning": "warning", "critical": "warning"}


class DeliveryError(Exception):
    """The channel did not accept the message."""

    def __init__(self, message: str, response: str = ""):
        super().__init__(message)
        self.response = response[:EXCERPT]


@dataclass(frozen=True)
class MailFile:
    """A file sent with an e-mail."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    level: str
    level_label: str
    category_label: str
    link: str = ""  # an absolute URL, or "" when none can be given
    files: tuple[MailFile, ...] = ()  # e-mail only: the group robots send the link
    notes: tuple[str, ...] = ()  # e-mail only: e.g. why a file was not attached


@dataclass(frozen=True)
class SmtpSettings:
    """A channel's SMTP server; None fields fall back to the platform's EMAIL_* settings."""

    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None
    use_tls: bool | None = None
    use_ssl: bool | None = None
    from_email: str | None = None


def excerpt(text: str) -> str:
    return " ".join(text.split())[:EXCERPT]


def truncate_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


# --- signatures -------------------------------------------------------------------------------
def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """base64(HmacSHA256(key=secret, msg="timestamp\\nsecret")), not yet URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(webhook_url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return webhook_url
    joiner = "&" if "?" in webhook_url else "?"
    sign = quote_plus(dingtalk_sign(timestamp_ms, secret))
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """base64(HmacSHA256(key="timestamp\\nsecret", msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# --- payloads ---------------------------------------------------------------------------------
def wecom_payload(message: Message) -> dict[str, Any]:
    colour = LEVEL_COLOURS.get(message.level, "comment")
    head = (
        f"### {message.title}\n"
        f'> {_("级别")}：<font color="{colour}">{message.level_label}</font>\n'
        f'> {_("类别")}：<font color="comment">{message.category_label}</font>\n\n'
    )
    tail = f"\n\n[{_('查看详情')}]({message.link})" if message.link else ""
    budget = WECOM_LIMIT - len(head.encode()) - len(tail.encode())
    return {
        "msgtype": "markdown",
        "markdown": {"content": head + truncate_bytes(message.body, budget) + tail},
    }


def dingtalk_payload(message: Message) -> dict[str, Any]:
    text = (
        f"### {message.title}\n\n"
        f"**{_('级别')}**：{message.level_label}　**{_('类别')}**：{message.category_label}\n\n"
        f"{truncate_bytes(message.body, ROBOT_TEXT_LIMIT)}"
    )
    if message.link:
        text += f"\n\n[{_('查看详情')}]({message.link})"
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def feishu_payload(message: Message, secret: str, timestamp_s: int) -> dict[str, Any]:
    lines: list[list[dict[str, str]]] = [
        [
            {
                "tag": "text",
                "text": f"{_('级别')}：{message.level_label}　{_('类别')}：{message.category_label}",
            }
        ],
    ]
    for paragraph in truncate_bytes(message.body, ROBOT_TEXT_LIMIT).splitlines() or [""]:
        lines.append([{"tag": "text", "text": paragraph}])
    if message.link:
        lines.append([{"tag": "a", "text": _("查看详情"), "href": message.link}])
    payload: dict[str, Any] = {}
    if secret:
        payload = {"timestamp": str(timestamp_s), "sign": feishu_sign(timestamp_s, secret)}
    payload["msg_type"] = "post"
    payload["content"] = {"post": {"zh_cn": {"title": message.title, "content": lines}}}
    return payload


# --- senders ----------------------------------------------------------------------------------
def _post(url: str, payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    try:
        response = httpx.post(url, json=payload, timeout=TIMEOUT)
    except httpx.TimeoutException as exc:
        raise DeliveryError(_("连接超时：%(e)s") % {"e": exc}) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(_("无法连接：%(e)s") % {"e": exc}) from exc
    text = excerpt(response.text)
    if response.status_code >= 400:
        raise DeliveryError(_("服务返回 HTTP %(code)s") % {"code": response.status_code}, text)
    try:
        body = response.json()
    except json.JSONDecodeError as exc:
        raise DeliveryError(_("服务的响应不是 JSON"), text) from exc
    if not isinstance(body, dict):
        raise DeliveryError(_("服务的响应不是 JSON 对象"), text)
    return body, text


def send_wecom(webhook_url: str, message: Message) -> str:
    body, text = _post(webhook_url, wecom_payload(message))
    if body.get("errcode") != 0:
        raise DeliveryError(
            _("企业微信拒绝了消息：%(code)s %(msg)s")
            % {"code": body.get("errcode"), "msg": body.get("errmsg", "")},
            text,
        )
    return text


def send_dingtalk(webhook_url: str, secret: str, message: Message, *, now: float | None = None) -> str:
    timestamp_ms = int((time.time() if now is None else now) * 1000)
    body, text = _post(dingtalk_url(webhook_url, secret, timestamp_ms), dingtalk_payload(message))
    if body.get("errcode") != 0:
        raise DeliveryError(
            _("钉钉拒绝了消息：%(code)s %(msg)s")
            % {"code": body.get("errcode"), "msg": body.get("errmsg", "")},
            text,
        )
    return text


def send_feishu(webhook_url: str, secret: str, message: Message, *, now: float | None = None) -> str:
    timestamp_s = int(time.time() if now is None else now)
    body, text = _post(webhook_url, feishu_payload(message, secret, timestamp_s))
    code = body.get("code", body.get("StatusCode"))
    if code != 0:
        msg = body.get("msg", body.get("StatusMessage", ""))
        raise DeliveryError(_("飞书拒绝了消息：%(code)s %(msg)s") % {"code": code, "msg": msg}, text)
    return text


def send_email(smtp: SmtpSettings, to: str, message: Message, *, default_from: str) -> str:
    backend = (
        EmailBackend(
            host=smtp.host,
            port=smtp.port or None,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.use_tls,
            use_ssl=smtp.use_ssl,
            timeout=SMTP_TIMEOUT,
            fail_silently=False,
        )
        if smtp.host
        else get_connection(fail_silently=False)  # the platform's backend (settings EMAIL_*)
    )
    context = {"message": message}
    subject = f"[{message.level_label}] {message.title}"
    mail = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/message.txt", context),
        from_email=smtp.from_email or default_from,
        to=[to],
        connection=backend,
    )
    mail.attach_alternative(render_to_string("notifications/email/message.html", context), "text/html")
    for file in message.files:
        mail.attach(file.filename, file.content, file.mimetype)
    try:
        sent = mail.send()
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        raise DeliveryError(_("邮件发送失败：%(e)s") % {"e": exc}) from exc
    if sent != 1:
        raise DeliveryError(_("邮件服务器未接收该邮件"))
    return _("邮件服务器已接收（%(to)s）") % {"to": to}
