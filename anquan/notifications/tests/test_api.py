"""The REST API: inbox, preferences, channels and the delivery log, with the permission matrix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from anquan.conftest import World
from anquan.notifications import services
from anquan.notifications.choices import Category, Level, Medium
from anquan.notifications.models import Channel, Delivery, Notification, Preference
from anquan.notifications.tests.conftest import DINGTALK_SECRET, Robots
from anquan.org import services as org
from anquan.platform.models import AuditEntry

API = "/api/v1/notifications"
SECRET = "SECsupersecretvalue"
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=very-secret-token"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _json(client: Client, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(
        path, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def _channel(world: World, site: Any = None, **extra: Any) -> Channel:
    fields = {"webhook_url": WEBHOOK, "webhook_secret": SECRET} | extra
    return services.create_channel(
        None, site=site or world.site_a, kind="dingtalk", name="安全钉钉群", **fields
    )


def _messages(world: World, key: str, n: int) -> list[Notification]:
    rows: list[Notification] = []
    for i in range(n):
        rows += services.notify([world.user(key)], Category.SYSTEM, f"消息 {i}", site_id=world.site_a.pk)
    return rows


# --- inbox ------------------------------------------------------------------------------------
def test_anonymous_gets_401(world: World) -> None:
    for path in ("/inbox", "/unread-count", "/preferences", "/channels", "/deliveries"):
        response = _client().get(API + path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "请先登录或提供有效的 API 令牌。"}


def test_inbox_is_paginated_filtered_and_only_mine(world: World) -> None:
    mine = _messages(world, "worker_a1", 3)
    _messages(world, "worker_a2", 2)
    services.mark_read(world.user("worker_a1"), mine[0])
    client = _client(world.user("worker_a1"))

    page = client.get(f"{API}/inbox?page_size=2").json()
    unread = client.get(f"{API}/inbox?unread=true").json()

    assert page["count"] == 3
    assert [item["title"] for item in page["items"]] == ["消息 2", "消息 1"]
    assert page["items"][0] | {"id": 0, "created_at": ""} == {
        "id": 0, "category": "system", "category_label": "系统与测试", "level": "info", "level_label": "提示",
        "title": "消息 2", "body": "", "link": "", "site_id": world.site_a.pk, "created_at": "", "read_at": None,
    }  # fmt: skip
    assert [item["title"] for item in unread["items"]] == ["消息 2", "消息 1"]
    assert client.get(f"{API}/unread-count").json() == {"count": 2}


def test_bearer_token_works_too(world: World) -> None:
    _messages(world, "worker_a1", 1)
    _, raw = org.issue_api_token(None, user=world.user("worker_a1"), name="手机")

    response = Client().get(f"{API}/unread-count", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.json() == {"count": 1}


def test_mark_read_and_read_all(world: World) -> None:
    rows = _messages(world, "worker_a1", 3)
    client = _client(world.user("worker_a1"))

    one = client.post(f"{API}/{rows[1].pk}/read")
    assert one.status_code == 200
    assert one.json()["read_at"] is not None
    assert client.post(f"{API}/read-all").json() == {"updated": 2}
    assert client.get(f"{API}/unread-count").json() == {"count": 0}


def test_someone_elses_notification_is_404_and_stays_unread(world: World) -> None:
    [other] = _messages(world, "worker_a2", 1)

    response = _client(world.user("worker_a1")).post(f"{API}/{other.pk}/read")

    assert response.status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None
    _client(world.user("worker_a1")).post(f"{API}/read-all")
    assert Notification.objects.get(pk=other.pk).read_at is None


# --- my preferences ---------------------------------------------------------------------------
def test_preferences_get_and_put(world: World) -> None:
    client = _client(world.user("worker_a1"))

    initial = client.get(f"{API}/preferences").json()
    assert len(initial) == len(Category) * len(Medium)
    assert initial[0] == {
        "category": "account", "category_label": "账号与角色", "medium": "inbox", "medium_label": "站内消息",
        "enabled": None,
    }  # fmt: skip

    body = {"preferences": [{"category": "equipment", "medium": "email", "enabled": True}]}
    updated = _json(client, "put", f"{API}/preferences", body).json()
    [cell] = [p for p in updated if (p["category"], p["medium"]) == ("equipment", "email")]
    assert cell["enabled"] is True
    assert Preference.objects.get(user=world.user("worker_a1")).enabled is True

    body = {"preferences": [{"category": "equipment", "medium": "email", "enabled": None}]}
    _json(client, "put", f"{API}/preferences", body)
    assert not Preference.objects.exists()


def test_preferences_with_an_unknown_category_are_422_and_write_nothing(world: World) -> None:
    body = {
        "preferences": [
            {"category": "equipment", "medium": "email", "enabled": True},
            {"category": "weather", "medium": "email", "enabled": True},
        ]
    }

    response = _json(_client(world.user("worker_a1")), "put", f"{API}/preferences", body)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["preferences.1.category"]
    assert not Preference.objects.exists()


# --- channels ---------------------------------------------------------------------------------
def test_channels_matrix_read(world: World) -> None:
    channel = _channel(world)
    url = f"{API}/channels/{channel.pk}"

    assert _client(world.user("worker_a1")).get(f"{API}/channels").status_code == 403
    assert _client(world.user("worker_a1")).get(url).status_code == 403
    assert _client(world.user("admin_b")).get(f"{API}/channels").json()["count"] == 0
    assert _client(world.user("admin_b")).get(url).status_code == 404
    detail = _client(world.user("admin_a")).get(url)
    assert detail.status_code == 200
    assert _client(world.user("root")).get(url).status_code == 200


def test_channel_detail_never_echoes_secrets(world: World) -> None:
    channel = _channel(world)

    response = _client(world.user("admin_a")).get(f"{API}/channels/{channel.pk}")

    body = response.json()
    assert SECRET not in response.content.decode()
    assert "very-secret-token" not in response.content.decode()
    assert body["webhook_secret_set"] is True
    assert body["smtp_password_set"] is False
    assert body["webhook_url_masked"] == "https://oapi.dingtalk.com/…oken"
    assert "webhook_secret" not in body and "webhook_url" not in body


def test_create_channel(world: World) -> None:
    payload = {
        "site_id": world.site_a.pk, "kind": "email", "name": "园区邮箱", "smtp_host": "smtp.example.cn",
        "smtp_port": 465, "smtp_username": "ehs", "smtp_password": "p@ss", "smtp_use_ssl": True,
        "from_email": "ehs@example.cn",
    }  # fmt: skip

    response = _json(_client(world.user("admin_a")), "post", f"{API}/channels", payload)

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["kind"], body["smtp_password_set"], body["site_id"]) == (
        "园区邮箱", "email", True, world.site_a.pk,
    )  # fmt: skip
    assert "p@ss" not in response.content.decode()
    channel = Channel.objects.get()
    assert (channel.smtp_password, channel.smtp_port) == ("p@ss", 465)
    assert AuditEntry.objects.filter(model="notifications.channel", action="create").count() == 1


def test_create_denied_or_out_of_scope_changes_nothing(world: World) -> None:
    payload = {
        "site_id": world.site_a.pk,
        "kind": "wecom",
        "name": "群",
        "webhook_url": "https://x.example/h",
    }
    audits = AuditEntry.objects.count()

    assert _json(_client(), "post", f"{API}/channels", payload).status_code == 401
    assert _json(_client(world.user("worker_a1")), "post", f"{API}/channels", payload).status_code == 403
    assert _json(_client(world.user("admin_b")), "post", f"{API}/channels", payload).status_code == 404

    assert not Channel.objects.exists()
    assert AuditEntry.objects.count() == audits


def test_create_invalid_answers_field_errors(world: World) -> None:
    client = _client(world.user("admin_a"))

    no_url = _json(
        client, "post", f"{API}/channels", {"site_id": world.site_a.pk, "kind": "feishu", "name": "飞书"}
    )
    bad_kind = _json(
        client, "post", f"{API}/channels", {"site_id": world.site_a.pk, "kind": "sms", "name": "短信"}
    )
    both_tls = _json(
        client, "post", f"{API}/channels",
        {"site_id": world.site_a.pk, "kind": "email", "name": "邮件", "smtp_host": "h", "smtp_use_tls": True,
         "smtp_use_ssl": True},
    )  # fmt: skip

    assert no_url.status_code == 400
    assert no_url.json()["errors"] == {"webhook_url": ["请填写机器人的 Webhook 地址。"]}
    assert bad_kind.status_code == 422
    assert list(bad_kind.json()["errors"]) == ["kind"]
    assert both_tls.json()["errors"] == {"smtp_use_ssl": ["STARTTLS 与 SSL/TLS 只能选择一种。"]}
    assert not Channel.objects.exists()


def test_patch_keeps_secrets_unless_given(world: World) -> None:
    channel = _channel(world)
    client = _client(world.user("admin_a"))

    renamed = _json(client, "patch", f"{API}/channels/{channel.pk}", {"name": "值班钉钉群", "enabled": False})
    assert renamed.status_code == 200
    channel.refresh_from_db()
    assert (channel.name, channel.enabled, channel.webhook_secret, channel.webhook_url) == (
        "值班钉钉群", False, SECRET, WEBHOOK,
    )  # fmt: skip

    cleared = _json(client, "patch", f"{API}/channels/{channel.pk}", {"webhook_secret": ""})
    assert cleared.json()["webhook_secret_set"] is False
    channel.refresh_from_db()
    assert channel.webhook_secret == ""


def test_patch_and_delete_out_of_scope_are_404_and_change_nothing(world: World) -> None:
    channel = _channel(world)
    audits = AuditEntry.objects.count()

    for user, status in ((world.user("admin_b"), 404), (world.user("worker_a1"), 403)):
        client = _client(user)
        assert _json(client, "patch", f"{API}/channels/{channel.pk}", {"name": "x"}).status_code == status
        assert client.delete(f"{API}/channels/{channel.pk}").status_code == status
        assert _json(client, "post", f"{API}/channels/{channel.pk}/test", {}).status_code == status

    channel.refresh_from_db()
    assert channel.name == "安全钉钉群"
    assert AuditEntry.objects.count() == audits
    assert not Delivery.objects.exists()


def test_delete_channel(world: World) -> None:
    channel = _channel(world)

    response = _client(world.user("admin_a")).delete(f"{API}/channels/{channel.pk}")

    assert response.status_code == 204
    assert not Channel.objects.exists()
    assert AuditEntry.objects.filter(model="notifications.channel", action="delete").count() == 1


def test_test_send_reports_the_outcome(world: World, robots: Robots) -> None:
    channel = _channel(world, webhook_url=robots.dingtalk_url, webhook_secret=DINGTALK_SECRET)
    client = _client(world.user("admin_a"))

    ok = _json(client, "post", f"{API}/channels/{channel.pk}/test", {}).json()
    services.update_channel(None, channel, webhook_secret="SECwrong")
    failed = _json(client, "post", f"{API}/channels/{channel.pk}/test", {}).json()

    assert (ok["status"], ok["attempts"], ok["response"]) == ("sent", 1, '{"errcode": 0, "errmsg": "ok"}')
    assert ok["title"] == "测试消息：安全钉钉群"
    assert failed["status"] == "failed"
    assert failed["last_error"].startswith("钉钉拒绝了消息：310000 sign not match")


def test_deliveries_are_scoped_to_the_managed_sites(world: World) -> None:
    _channel(world)
    _channel(world, site=world.site_b)
    services.notify(
        [world.user("worker_a1")], Category.SYSTEM, "东区", level=Level.CRITICAL, site_id=world.site_a.pk
    )
    services.notify(
        [world.user("worker_b1")], Category.SYSTEM, "西区", level=Level.CRITICAL, site_id=world.site_b.pk
    )

    mine = _client(world.user("admin_a")).get(f"{API}/deliveries").json()
    robots_only = _client(world.user("admin_a")).get(f"{API}/deliveries?status=pending").json()
    everything = _client(world.user("root")).get(f"{API}/deliveries").json()

    assert {item["title"] for item in mine["items"]} == {"东区"}
    assert {(i["kind"], i["to_address"]) for i in mine["items"]} == {
        ("email", "worker_a1@example.com"), ("dingtalk", ""),
    }  # fmt: skip
    assert robots_only["count"] == 2
    assert everything["count"] == 4
    assert _client(world.user("worker_a1")).get(f"{API}/deliveries").status_code == 403


@pytest.mark.parametrize("field", ["smtp_host", "from_email"])
def test_patch_with_null_text_clears_it(world: World, field: str) -> None:
    channel = services.create_channel(
        None,
        site=world.site_a,
        kind="email",
        name="邮箱",
        smtp_host="smtp.example.cn",
        from_email="a@example.cn",
    )

    response = _json(_client(world.user("admin_a")), "patch", f"{API}/channels/{channel.pk}", {field: None})

    assert response.status_code == 200
    channel.refresh_from_db()
    assert getattr(channel, field) == ""
