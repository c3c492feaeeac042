"""The notification centre's REST API (mounted at /api/v1/notifications).

Everyone: their inbox, unread count, marking read, their own preferences. Holders of
``notifications.manage``: the channels of the sites they manage, a test send, the delivery log.
Secrets (SMTP password, signing secret, the webhook address itself) are never returned: only
whether they are set.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from anquan.notifications import selectors, services
from anquan.notifications.choices import Category, ChannelKind, DeliveryStatus, Level, Medium
from anquan.notifications.models import Channel, Delivery, Notification
from anquan.platform.api import Page

router = Router(tags=["notifications"])


# --- schemas ----------------------------------------------------------------------------------
class NotificationOut(Schema):
    id: int
    category: str
    category_label: str
    level: Level
    level_label: str
    title: str
    body: str
    link: str
    site_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_category_label(obj: Notification) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_level_label(obj: Notification) -> str:
        return str(obj.get_level_display())


class UnreadCountOut(Schema):
    count: int


class ReadAllOut(Schema):
    updated: int


class PreferenceOut(Schema):
    category: str
    category_label: str
    medium: Medium
    medium_label: str
    enabled: bool | None = Field(description="null: not set, the role default or the built-in one applies")


class PreferenceIn(Schema):
    category: Category
    medium: Medium
    enabled: bool | None = Field(description="null removes your own setting")


class PreferencesIn(Schema):
    preferences: list[PreferenceIn]


class ChannelOut(Schema):
    id: int
    site_id: int
    site_name: str
    kind: ChannelKind
    kind_label: str
    name: str
    enabled: bool
    smtp_host: str
    smtp_port: int | None
    smtp_username: str
    smtp_password_set: bool
    smtp_use_tls: bool
    smtp_use_ssl: bool
    from_email: str
    webhook_url_masked: str
    webhook_secret_set: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_site_name(obj: Channel) -> str:
        return obj.site.name

    @staticmethod
    def resolve_kind_label(obj: Channel) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_smtp_password_set(obj: Channel) -> bool:
        return bool(obj.smtp_password)

    @staticmethod
    def resolve_webhook_secret_set(obj: Channel) -> bool:
        return bool(obj.webhook_secret)


class ChannelIn(Schema):
    site_id: int
    kind: ChannelKind
    name: str = Field(min_length=1, max_length=80)
    enabled: bool = True
    smtp_host: str = Field("", max_length=200)
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_username: str = Field("", max_length=200)
    smtp_password: str = Field("", max_length=200)
    smtp_use_tls: bool = False
    smtp_use_ssl: bool = False
    from_email: str = Field("", max_length=200)
    webhook_url: str = Field("", max_length=500)
    webhook_secret: str = Field("", max_length=200)


class ChannelPatch(Schema):
    """Only the fields given change. For the secrets and the webhook address, "" removes the value."""

    name: str | None = Field(None, min_length=1, max_length=80)
    enabled: bool | None = None
    smtp_host: str | None = Field(None, max_length=200)
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_username: str | None = Field(None, max_length=200)
    smtp_password: str | None = Field(None, max_length=200)
    smtp_use_tls: bool | None = None
    smtp_use_ssl: bool | None = None
    from_email: str | None = Field(None, max_length=200)
    webhook_url: str | None = Field(None, max_length=500)
    webhook_secret: str | None = Field(None, max_length=200)


class ChannelTestIn(Schema):
    to: str = Field("", max_length=254, description="e-mail channels: the test recipient (default: you)")


class DeliveryOut(Schema):
    id: int
    kind: ChannelKind
    channel_id: int | None
    channel_name: str
    site_id: int | None
    notification_id: int | None
    to_address: str
    category: str
    level: Level
    title: str
    status: DeliveryStatus
    status_label: str
    attempts: int
    last_error: str
    response: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_channel_name(obj: Delivery) -> str:
        return obj.channel.name if obj.channel else ""

    @staticmethod
    def resolve_status_label(obj: Delivery) -> str:
        return str(obj.get_status_display())


# --- the inbox --------------------------------------------------------------------------------
@router.get("/inbox", response=list[NotificationOut], summary="我的消息")
@paginate(Page)
def inbox(request: HttpRequest, unread: bool | None = None) -> Any:
    return selectors.inbox(request.user, unread=unread)


@router.get("/unread-count", response=UnreadCountOut, summary="未读消息数")
def unread_count(request: HttpRequest) -> Any:
    return {"count": selectors.unread_count(request.user)}


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest) -> Any:
    return {"updated": services.mark_all_read(request.user)}


@router.post("/{int:notification_id}/read", response=NotificationOut, summary="标为已读")
def read(request: HttpRequest, notification_id: int) -> Any:
    notification = get_object_or_404(selectors.inbox(request.user), pk=notification_id)
    return services.mark_read(request.user, notification)


# --- my preferences ---------------------------------------------------------------------------
@router.get("/preferences", response=list[PreferenceOut], summary="我的通知偏好")
def my_preferences(request: HttpRequest) -> Any:
    return selectors.preference_table(user=request.user)


@router.put("/preferences", response=list[PreferenceOut], summary="修改我的通知偏好")
def set_my_preferences(request: HttpRequest, payload: PreferencesIn) -> Any:
    services.set_preferences(
        request.user,
        [services.PreferenceChange(p.category.value, p.medium.value, p.enabled) for p in payload.preferences],
        user=request.user,  # type: ignore[arg-type]
    )
    return selectors.preference_table(user=request.user)


# --- channels (notifications.manage) ----------------------------------------------------------
def _require_manager(request: HttpRequest) -> None:
    if not selectors.can_manage(request.user):
        raise PermissionDenied(_("您没有管理通知渠道的权限。"))


def _channel(request: HttpRequest, channel_id: int) -> Channel:
    _require_manager(request)
    return get_object_or_404(selectors.channels(request.user), pk=channel_id)


@router.get("/channels", response=list[ChannelOut], summary="通知渠道")
@paginate(Page)
def channels(request: HttpRequest) -> Any:
    _require_manager(request)
    return selectors.channels(request.user)


@router.post("/channels", response={201: ChannelOut}, summary="新建通知渠道")
def create_channel(request: HttpRequest, payload: ChannelIn) -> Any:
    _require_manager(request)
    site = get_object_or_404(selectors.manageable_sites(request.user), pk=payload.site_id)
    data = payload.dict(exclude={"site_id", "kind", "name"})
    channel = services.create_channel(
        request.user, site=site, kind=payload.kind.value, name=payload.name, **data
    )
    return Status(201, channel)


@router.get("/channels/{int:channel_id}", response=ChannelOut, summary="通知渠道详情")
def channel_detail(request: HttpRequest, channel_id: int) -> Any:
    return _channel(request, channel_id)


@router.patch("/channels/{int:channel_id}", response=ChannelOut, summary="修改通知渠道")
def update_channel(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> Any:
    channel = _channel(request, channel_id)
    changes = payload.dict(exclude_unset=True)
    for field in ("name", "enabled", "smtp_use_tls", "smtp_use_ssl"):
        if field in changes and changes[field] is None:
            del changes[field]  # null for a required value: no change
    for field in ("smtp_host", "smtp_username", "from_email"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    return services.update_channel(request.user, channel, **changes)


@router.delete("/channels/{int:channel_id}", response={204: None}, summary="删除通知渠道")
def delete_channel(request: HttpRequest, channel_id: int) -> Any:
    services.delete_channel(request.user, _channel(request, channel_id))
    return Status(204, None)


@router.post("/channels/{int:channel_id}/test", response=DeliveryOut, summary="发送测试消息")
def test_channel(request: HttpRequest, channel_id: int, payload: ChannelTestIn) -> Any:
    return services.send_test_message(request.user, _channel(request, channel_id), to=payload.to)


@router.get("/deliveries", response=list[DeliveryOut], summary="发送记录")
@paginate(Page)
def deliveries(
    request: HttpRequest, status: DeliveryStatus | None = None, channel_id: int | None = None
) -> Any:
    _require_manager(request)
    return selectors.deliveries(request.user, status=status.value if status else "", channel_id=channel_id)
