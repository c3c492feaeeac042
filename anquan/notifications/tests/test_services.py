"""Channel and preference services: permissions, audit trail, secrets kept out of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from anquan.conftest import World
from anquan.notifications import services
from anquan.notifications.choices import Category, DeliveryStatus, Medium
from anquan.notifications.models import Channel, Delivery, Preference
from anquan.notifications.tests.conftest import Robots
from anquan.org.choices import Role
from anquan.platform import audit
from anquan.platform.models import AuditEntry

SECRET = "SECvery-secret"
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=token-that-must-not-leak"


def _entries() -> str:
    return json.dumps(list(AuditEntry.objects.values("changes", "object_repr")), ensure_ascii=False)


def test_channel_lifecycle_is_audited_without_secrets(world: World) -> None:
    admin = world.user("admin_a")

    channel = services.create_channel(
        admin, site=world.site_a, kind="dingtalk", name="钉钉群", webhook_url=WEBHOOK, webhook_secret=SECRET
    )
    services.update_channel(admin, channel, webhook_secret="SECanother", webhook_url=WEBHOOK + "2")
    services.update_channel(admin, channel, name="值班群")
    services.delete_channel(admin, channel)

    rows = list(AuditEntry.objects.filter(model="notifications.channel").order_by("seq"))
    assert [r.action for r in rows] == ["create", "update", "update", "delete"]
    assert rows[0].changes["webhook_secret"] == "***"
    assert rows[0].changes["webhook_url"] == "https://oapi.dingtalk.com/…leak"
    assert rows[0].site_id == world.site_a.pk
    assert rows[1].changes == {
        "webhook_secret": ["***", "***"],
        "webhook_url": ["https://oapi.dingtalk.com/…leak", "https://oapi.dingtalk.com/…eak2"],
    }
    assert rows[2].changes == {"name": ["钉钉群", "值班群"]}
    assert "token-that-must-not-leak" not in _entries() and "very-secret" not in _entries()
    assert audit.verify().ok


def test_an_update_that_changes_nothing_is_not_audited(world: World) -> None:
    channel = services.create_channel(None, site=world.site_a, kind="wecom", name="群", webhook_url=WEBHOOK)
    before = AuditEntry.objects.count()

    services.update_channel(None, channel, name="群", webhook_url=None)

    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("actor_key", ["worker_a1", "admin_b", "officer_a"])
def test_channel_writes_need_notify_manage_at_the_site(world: World, actor_key: str) -> None:
    actor = world.user(actor_key)
    channel = services.create_channel(None, site=world.site_a, kind="wecom", name="群", webhook_url=WEBHOOK)
    audits = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        services.create_channel(actor, site=world.site_a, kind="wecom", name="新群", webhook_url=WEBHOOK)
    with pytest.raises(PermissionDenied):
        services.update_channel(actor, channel, name="改名")
    with pytest.raises(PermissionDenied):
        services.delete_channel(actor, channel)
    with pytest.raises(PermissionDenied):
        services.send_test_message(actor, channel)

    assert list(Channel.objects.values_list("name", flat=True)) == ["群"]
    assert AuditEntry.objects.count() == audits
    assert not Delivery.objects.exists()


def test_enterprise_wide_grant_reaches_every_site(world: World) -> None:
    from anquan.org import services as org

    boss = world.user("ehs")
    org.assign_role(None, user=boss, role=Role.ADMINISTRATOR, scope=world.enterprise)

    channel = services.create_channel(
        boss, site=world.site_b, kind="wecom", name="西区群", webhook_url=WEBHOOK
    )

    assert channel.site_id == world.site_b.pk


def test_channel_names_are_unique_per_site(world: World) -> None:
    services.create_channel(None, site=world.site_a, kind="wecom", name="值班群", webhook_url=WEBHOOK)
    services.create_channel(None, site=world.site_b, kind="wecom", name="值班群", webhook_url=WEBHOOK)

    with pytest.raises(ValidationError) as err:
        services.create_channel(None, site=world.site_a, kind="feishu", name="值班群", webhook_url=WEBHOOK)

    assert err.value.message_dict == {"name": ["本场所已有名为“值班群”的渠道。"]}


@pytest.mark.parametrize(
    ("kind", "fields", "errors"),
    [
        (
            "wecom",
            {"webhook_url": "ftp://x"},
            {"webhook_url": ["Webhook 地址必须以 http:// 或 https:// 开头。"]},
        ),
        (
            "wecom",
            {"webhook_url": WEBHOOK, "webhook_secret": "x"},
            {"webhook_secret": ["企业微信群机器人不使用签名密钥，请留空。"]},
        ),
        ("email", {"smtp_port": 25}, {"smtp_host": ["填写了端口或账号时，请同时填写 SMTP 服务器。"]}),
        ("email", {"from_email": "nobody"}, {"from_email": ["请输入有效的邮箱地址。"]}),
        ("sms", {}, {"kind": ["未知的渠道类型：sms"]}),
    ],
)
def test_channel_validation(
    world: World, kind: str, fields: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as err:
        services.create_channel(None, site=world.site_a, kind=kind, name="渠道", **fields)

    assert err.value.message_dict == errors
    assert not Channel.objects.exists()


def test_test_message_is_recorded_and_audited(world: World, robots: Robots) -> None:
    channel = services.create_channel(
        None, site=world.site_a, kind="wecom", name="群", webhook_url=robots.wecom_url, enabled=False
    )

    delivery = services.send_test_message(world.user("admin_a"), channel)

    assert (delivery.status, delivery.attempts, delivery.category) == (
        DeliveryStatus.SENT,
        1,
        Category.SYSTEM,
    )
    assert "管理员甲" in robots.of("wecom")[0].body["markdown"]["content"]
    entry = AuditEntry.objects.filter(model="notifications.delivery").get()
    assert (entry.action, entry.actor_name, entry.site_id) == ("create", "admin_a", world.site_a.pk)


def test_test_email_needs_an_address(world: World) -> None:
    channel = services.create_channel(None, site=world.site_a, kind="email", name="邮箱")
    root = world.user("root")  # has no e-mail address

    with pytest.raises(ValidationError) as err:
        services.send_test_message(root, channel)

    assert err.value.message_dict == {"to": ["请填写接收测试邮件的邮箱地址。"]}
    assert not Delivery.objects.exists()


# --- preferences ------------------------------------------------------------------------------
def test_nobody_sets_another_users_preferences(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.set_preference(
            world.user("admin_a"),
            user=world.user("worker_a1"),
            category="system",
            medium="email",
            enabled=True,
        )
    assert not Preference.objects.exists()


@pytest.mark.parametrize("actor_key", ["worker_a1", "admin_b", "ehs"])
def test_role_defaults_need_notify_manage_at_the_site(world: World, actor_key: str) -> None:
    with pytest.raises(PermissionDenied):
        services.set_preference(
            world.user(actor_key),
            role=Role.WORKER,
            site=world.site_a,
            category="system",
            medium="im",
            enabled=True,
        )
    assert not Preference.objects.exists()
    assert not AuditEntry.objects.filter(model="notifications.preference").exists()


def test_preferences_are_written_all_or_nothing(world: World) -> None:
    worker = world.user("worker_a1")
    changes = [
        services.PreferenceChange("system", "email", True),
        services.PreferenceChange("system", "fax", True),
    ]

    with pytest.raises(ValidationError) as err:
        services.set_preferences(worker, changes, user=worker)

    assert err.value.message_dict == {"medium": ["未知的方式：fax"]}
    assert not Preference.objects.exists()


def test_preference_changes_are_audited(world: World) -> None:
    admin = world.user("admin_a")
    kwargs: dict[str, Any] = {
        "role": Role.WORKER,
        "site": world.site_a,
        "category": "system",
        "medium": Medium.IM,
    }

    services.set_preference(admin, enabled=True, **kwargs)
    services.set_preference(admin, enabled=False, **kwargs)
    services.set_preference(admin, enabled=False, **kwargs)  # no change, no entry
    services.set_preference(admin, enabled=None, **kwargs)

    actions = list(
        AuditEntry.objects.filter(model="notifications.preference").values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]
    assert not Preference.objects.exists()


# --- admin ------------------------------------------------------------------------------------
def test_admin_channel_form_keeps_secrets_and_audits_through_the_services(
    world: World, settings: Any
) -> None:
    channel = services.create_channel(
        None, site=world.site_a, kind="dingtalk", name="钉钉群", webhook_url=WEBHOOK, webhook_secret=SECRET
    )
    client = Client()
    client.force_login(world.user("root"))
    url = f"/admin/notifications/channel/{channel.pk}/change/"

    page = client.get(url).content.decode()
    response = client.post(url, {"name": "钉钉值班群", "enabled": "on"})

    assert SECRET not in page and "token-that-must-not-leak" not in page
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_secret, channel.webhook_url) == ("钉钉值班群", SECRET, WEBHOOK)
    assert AuditEntry.objects.filter(model="notifications.channel").last().changes == {  # type: ignore[union-attr]
        "name": ["钉钉群", "钉钉值班群"]
    }


def test_openapi_lists_the_notification_routes(world: World) -> None:
    client = Client()
    client.force_login(world.user("admin_a"))

    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/notifications/inbox", "/api/v1/notifications/unread-count", "/api/v1/notifications/read-all",
        "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/preferences",
        "/api/v1/notifications/channels", "/api/v1/notifications/channels/{channel_id}",
        "/api/v1/notifications/channels/{channel_id}/test", "/api/v1/notifications/deliveries",
    } <= set(paths)  # fmt: skip
