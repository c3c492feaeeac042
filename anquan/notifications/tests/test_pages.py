"""The pages: inbox with HTMX, badge, preferences, channels, test sends and the delivery log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anquan.conftest import World
from anquan.notifications import services
from anquan.notifications.choices import Category, Level, Medium
from anquan.notifications.models import Channel, Delivery, Notification, Preference
from anquan.notifications.tests.conftest import Robots, SmtpServer
from anquan.org.choices import Role
from anquan.platform.models import AuditEntry

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "SECpage-secret-value"
WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=page-secret-key"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _message(world: World, key: str, title: str = "请确认巡检结果", **kwargs: Any) -> Notification:
    [n] = services.notify([world.user(key)], Category.SYSTEM, title, site_id=world.site_a.pk, **kwargs)
    return n


def _wecom(world: World, site: Any = None) -> Channel:
    return services.create_channel(
        None, site=site or world.site_a, kind="wecom", name="罐区群", webhook_url=WEBHOOK
    )


# --- anonymous --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["inbox", "preferences", "role-preferences", "channels", "channel-create", "deliveries"]
)
def test_anonymous_is_sent_to_the_login(world: World, name: str) -> None:
    url = reverse(f"notifications:{name}")

    response = _client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_badge_is_empty_and_posts_change_nothing(world: World) -> None:
    n = _message(world, "worker_a1")

    assert _client().get(reverse("notifications:badge")).content == b""
    assert _client().post(reverse("notifications:read", args=[n.pk])).status_code == 302
    assert _client().post(reverse("notifications:read-all")).status_code == 302
    assert Notification.objects.get(pk=n.pk).read_at is None


# --- inbox ------------------------------------------------------------------------------------
def test_badge_shows_the_unread_count(world: World) -> None:
    client = _client(world.user("worker_a1"))
    assert client.get(reverse("notifications:badge")).content == b""

    _message(world, "worker_a1")
    _message(world, "worker_a1")
    _message(world, "worker_a2")

    html = client.get(reverse("notifications:badge")).content.decode()
    assert html.startswith("<span") and html.endswith("</span>")
    assert 'data-unread="2"' in html and html.endswith(">2</span>")


def test_inbox_lists_only_my_messages_and_filters_unread(world: World) -> None:
    read = _message(world, "worker_a1", "已读的消息")
    services.mark_read(world.user("worker_a1"), read)
    _message(world, "worker_a1", "未读的消息")
    _message(world, "worker_a2", "别人的消息")
    client = _client(world.user("worker_a1"))

    everything = client.get(reverse("notifications:inbox")).content.decode()
    unread = client.get(reverse("notifications:inbox") + "?unread=1").content.decode()

    assert "已读的消息" in everything and "未读的消息" in everything
    assert "别人的消息" not in everything
    assert "未读的消息" in unread and "已读的消息" not in unread


def test_mark_one_read_with_htmx(world: World) -> None:
    n = _message(world, "worker_a1", link="/plant/equipment/1/")
    _message(world, "worker_a1")

    response = _client(world.user("worker_a1")).post(reverse("notifications:read", args=[n.pk]), **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    html = response.content.decode()
    assert f'id="notification-{n.pk}"' in html
    assert "aq-unread" not in html
    assert 'id="inbox-unread-count" hx-swap-oob="true">1</span>' in html
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_mark_someone_elses_message_is_404_and_changes_nothing(world: World) -> None:
    other = _message(world, "worker_a2")

    response = _client(world.user("worker_a1")).post(reverse("notifications:read", args=[other.pk]), **HTMX)

    assert response.status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None
    assert (
        _client(world.user("worker_a1")).get(reverse("notifications:open", args=[other.pk])).status_code
        == 404
    )
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_mark_all_read_with_htmx_rerenders_the_list(world: World) -> None:
    _message(world, "worker_a1", "第一条")
    _message(world, "worker_a1", "第二条")
    other = _message(world, "worker_a2")

    response = _client(world.user("worker_a1")).post(reverse("notifications:read-all"), **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div class="card" id="inbox-list">')
    assert "第一条" in html and "aq-unread" not in html
    assert not Notification.objects.filter(recipient=world.user("worker_a1"), read_at__isnull=True).exists()
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_open_marks_read_and_follows_the_link(world: World) -> None:
    n = _message(world, "worker_a1", link="/plant/equipment/7/")
    outside = _message(world, "worker_a1", link="https://evil.example.com/")
    client = _client(world.user("worker_a1"))

    response = client.get(reverse("notifications:open", args=[n.pk]))
    elsewhere = client.get(reverse("notifications:open", args=[outside.pk]))

    assert response["Location"] == "/plant/equipment/7/"
    assert Notification.objects.get(pk=n.pk).read_at is not None
    assert elsewhere["Location"] == reverse("notifications:inbox")


# --- preferences ------------------------------------------------------------------------------
def _grid(prefix: str, **values: str) -> dict[str, str]:
    data = {f"{prefix}-{c}__{m}": "" for c in Category.values for m in Medium.values}
    data.update({f"{prefix}-{k}": v for k, v in values.items()})
    return data


def test_my_preferences_page_saves_my_choices(world: World) -> None:
    worker = world.user("worker_a1")
    client = _client(worker)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert 'name="me-equipment__email"' in page
    assert "角色默认设置" not in page  # only for NOTIFY_MANAGE holders

    response = client.post(
        reverse("notifications:preferences"), _grid("me", equipment__email="on", system__im="off")
    )

    assert response.status_code == 302
    assert set(Preference.objects.filter(user=worker).values_list("category", "medium", "enabled")) == {
        ("equipment", "email", True),
        ("system", "im", False),
    }
    client.post(reverse("notifications:preferences"), _grid("me", equipment__email="on"))
    assert set(Preference.objects.filter(user=worker).values_list("category", "medium", "enabled")) == {
        ("equipment", "email", True),
    }


def test_invalid_preference_value_shows_an_error_and_saves_nothing(world: World) -> None:
    response = _client(world.user("worker_a1")).post(
        reverse("notifications:preferences"), _grid("me", equipment__email="maybe")
    )

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Preference.objects.exists()


def test_role_defaults_page_permissions(world: World) -> None:
    url = reverse("notifications:role-preferences")
    data = {"site": world.site_a.pk, "role": Role.WORKER, **_grid("role", equipment__im="on")}

    assert _client(world.user("worker_a1")).get(url).status_code == 403
    assert _client(world.user("worker_a1")).post(url, data).status_code == 403
    # admin_b manages site B only: site A is not among the choices.
    denied = _client(world.user("admin_b")).post(url, data)
    assert denied.status_code == 400
    assert not Preference.objects.exists()

    manager = _client(world.user("admin_a"))
    assert "角色默认设置" in manager.get(reverse("notifications:preferences")).content.decode()
    form = manager.get(url, {"site": world.site_a.pk, "role": Role.WORKER}).content.decode()
    assert 'name="role-equipment__im"' in form
    saved = manager.post(url, data)

    assert saved.status_code == 302
    row = Preference.objects.get()
    assert (row.site_id, row.role, row.category, row.medium, row.enabled, row.user_id) == (
        world.site_a.pk, "worker", "equipment", "im", True, None,
    )  # fmt: skip
    assert AuditEntry.objects.filter(model="notifications.preference", action="create").count() == 1


# --- channels ---------------------------------------------------------------------------------
def test_channels_page_permissions(world: World) -> None:
    channel = _wecom(world)
    edit = reverse("notifications:channel-edit", args=[channel.pk])

    assert _client(world.user("worker_a1")).get(reverse("notifications:channels")).status_code == 403
    assert _client(world.user("worker_a1")).get(edit).status_code == 403
    other = _client(world.user("admin_b"))
    assert "罐区群" not in other.get(reverse("notifications:channels")).content.decode()
    assert other.get(edit).status_code == 404
    assert other.post(edit, {"name": "改名"}).status_code == 404
    assert other.post(reverse("notifications:channel-delete", args=[channel.pk])).status_code == 404
    assert other.post(reverse("notifications:channel-test", args=[channel.pk])).status_code == 404
    channel.refresh_from_db()
    assert channel.name == "罐区群"
    assert not Delivery.objects.exists()


def test_channels_page_never_shows_secrets(world: World) -> None:
    channel = services.create_channel(
        None, site=world.site_a, kind="dingtalk", name="钉钉群", webhook_url=WEBHOOK, webhook_secret=SECRET
    )
    client = _client(world.user("admin_a"))

    pages = [
        client.get(reverse("notifications:channels")).content.decode(),
        client.get(reverse("notifications:channel-edit", args=[channel.pk])).content.decode(),
    ]

    for html in pages:
        assert SECRET not in html
        assert "page-secret-key" not in html
        assert "已设置" in html


def test_create_channel_with_the_form(world: World) -> None:
    client = _client(world.user("admin_a"))
    url = reverse("notifications:channel-create")
    assert client.get(url + "?kind=feishu").status_code == 200

    missing = client.post(url, {"site": world.site_a.pk, "kind": "feishu", "name": "应急群", "enabled": "on"})
    assert missing.status_code == 400
    assert "请填写机器人的 Webhook 地址。" in missing.content.decode()
    assert not Channel.objects.exists()

    created = client.post(
        url,
        {"site": world.site_a.pk, "kind": "feishu", "name": "应急群", "enabled": "on",
         "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/abc", "webhook_secret": "s3cret"},
    )  # fmt: skip
    assert created.status_code == 302
    channel = Channel.objects.get()
    assert (channel.kind, channel.webhook_secret, channel.enabled) == ("feishu", "s3cret", True)


def test_create_channel_in_a_site_out_of_scope_is_refused(world: World) -> None:
    response = _client(world.user("admin_a")).post(
        reverse("notifications:channel-create"),
        {"site": world.site_b.pk, "kind": "wecom", "name": "西区群", "webhook_url": WEBHOOK},
    )

    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert not Channel.objects.exists()


def test_edit_keeps_secrets_when_left_blank_and_clears_on_request(world: World) -> None:
    channel = services.create_channel(
        None, site=world.site_a, kind="dingtalk", name="钉钉群", webhook_url=WEBHOOK, webhook_secret=SECRET
    )
    client = _client(world.user("admin_a"))
    url = reverse("notifications:channel-edit", args=[channel.pk])

    assert client.post(url, {"name": "值班钉钉群", "enabled": "on"}).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.webhook_url, channel.webhook_secret) == ("值班钉钉群", WEBHOOK, SECRET)

    client.post(url, {"name": "值班钉钉群", "clear_webhook_secret": "on"})
    channel.refresh_from_db()
    assert (channel.webhook_secret, channel.enabled) == ("", False)


def test_delete_channel_with_confirmation(world: World) -> None:
    channel = _wecom(world)
    client = _client(world.user("admin_a"))
    url = reverse("notifications:channel-delete", args=[channel.pk])

    assert "确定要删除" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Channel.objects.exists()


def test_send_test_message_shows_the_result(world: World, robots: Robots) -> None:
    channel = services.create_channel(
        None, site=world.site_a, kind="wecom", name="罐区群", webhook_url=robots.wecom_url
    )
    broken = services.create_channel(
        None,
        site=world.site_a,
        kind="wecom",
        name="坏的群",
        webhook_url=f"{robots.base}/cgi-bin/webhook/send?key=bad",
    )
    client = _client(world.user("admin_a"))

    ok = client.post(reverse("notifications:channel-test", args=[channel.pk]), **HTMX).content.decode()
    failed = client.post(reverse("notifications:channel-test", args=[broken.pk]), **HTMX).content.decode()

    assert "测试消息已通过“罐区群”发送。" in ok
    assert "&quot;errcode&quot;: 0" in ok
    assert "通过“坏的群”发送测试消息失败。" in failed
    assert "企业微信拒绝了消息：93000" in failed
    assert robots.of("wecom")[0].body["markdown"]["content"].startswith("### 测试消息：罐区群")


def test_test_email_goes_to_the_given_or_own_address(world: World, smtp_server: SmtpServer) -> None:
    channel = services.create_channel(
        None,
        site=world.site_a,
        kind="email",
        name="园区邮箱",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
    )
    client = _client(world.user("admin_a"))
    url = reverse("notifications:channel-test", args=[channel.pk])

    client.post(url, **HTMX)
    client.post(url, {"to": "duty@example.cn"}, **HTMX)
    invalid = client.post(url, {"to": "not-an-address"}, **HTMX).content.decode()

    assert [m.rcpt_tos for m in smtp_server.received] == [["admin_a@example.com"], ["duty@example.cn"]]
    assert "输入一个有效的 Email 地址。" in invalid
    assert Delivery.objects.count() == 2


def test_delivery_log_shows_status_attempts_and_errors(world: World) -> None:
    channel = _wecom(world)
    _message(world, "worker_a1", level=Level.CRITICAL, title="高高报警")
    Delivery.objects.filter(channel=channel).update(
        status="retrying", attempts=2, last_error="服务返回 HTTP 502"
    )
    services.notify(
        [world.user("worker_b1")], Category.SYSTEM, "西区消息", level=Level.CRITICAL, site_id=world.site_b.pk
    )
    client = _client(world.user("admin_a"))

    html = client.get(reverse("notifications:deliveries")).content.decode()
    filtered = client.get(reverse("notifications:deliveries"), {"status": "retrying"}).content.decode()

    assert "高高报警" in html and "西区消息" not in html
    assert "服务返回 HTTP 502" in html and "重试中" in html
    assert "worker_a1@example.com" in html
    assert "worker_a1@example.com" not in filtered and "服务返回 HTTP 502" in filtered
    assert _client(world.user("worker_a1")).get(reverse("notifications:deliveries")).status_code == 403


def test_navigation_entries(world: World) -> None:
    from django.apps import apps

    items = apps.get_app_config("notifications").navigation
    assert [(i.url_name, i.capability, i.order) for i in items] == [
        ("notifications:inbox", None, 90),
        ("notifications:channels", "notifications.manage", 95),
    ]
    assert (
        "/notifications/channels/"
        in _client(world.user("admin_a")).get(reverse("notifications:inbox")).content.decode()
    )
    assert (
        "/notifications/channels/"
        not in _client(world.user("worker_a1")).get(reverse("notifications:inbox")).content.decode()
    )
