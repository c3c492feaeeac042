"""notify(): inbox rows and deliveries in one transaction, tasks after commit, preferences applied."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from anquan.conftest import World
from anquan.notifications import services
from anquan.notifications.choices import Category, ChannelKind, DeliveryStatus, Level, Medium
from anquan.notifications.models import Delivery, Notification
from anquan.notifications.tests.conftest import DINGTALK_SECRET, FEISHU_SECRET, Robots, SmtpServer, run_worker
from anquan.org.choices import Role

pytestmark = pytest.mark.django_db(transaction=True)


def _system(
    recipients: list[Any], level: str, site_id: int | None, title: str = "储罐巡检提醒"
) -> list[Notification]:
    return services.notify(
        recipients, Category.SYSTEM, title, "请于今日完成巡检。", "/plant/equipment/1/", level, site_id
    )


def test_warning_goes_to_the_inbox_and_by_email_after_commit(world: World, default_smtp: SmtpServer) -> None:
    a1, a2 = world.user("worker_a1"), world.user("worker_a2")

    inbox = _system([a1, a2, a1.pk], Level.WARNING, world.site_a.pk)

    assert [(n.recipient_id, n.title, n.level, n.site_id) for n in inbox] == [
        (a1.pk, "储罐巡检提醒", "warning", world.site_a.pk),
        (a2.pk, "储罐巡检提醒", "warning", world.site_a.pk),
    ]
    mails = Delivery.objects.filter(kind=ChannelKind.EMAIL).order_by("to_address")
    assert [(d.to_address, d.status, d.channel_id, d.notification_id) for d in mails] == [
        ("worker_a1@example.com", DeliveryStatus.PENDING, None, inbox[0].pk),
        ("worker_a2@example.com", DeliveryStatus.PENDING, None, inbox[1].pk),
    ]
    queued = DBTaskResult.objects.filter(queue_name="notifications", status="READY")
    assert sorted(t.args_kwargs["args"][0] for t in queued) == sorted(d.pk for d in mails)

    run_worker()

    assert sorted(d.status for d in Delivery.objects.all()) == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert all(d.attempts == 1 and d.sent_at is not None for d in Delivery.objects.all())
    received = sorted(default_smtp.received, key=lambda m: m.rcpt_tos[0])
    assert [m.rcpt_tos for m in received] == [["worker_a1@example.com"], ["worker_a2@example.com"]]
    assert received[0].subject == "[警告] 储罐巡检提醒"
    assert "请于今日完成巡检。" in received[0].part("text/plain")


def test_info_is_inbox_only_by_default(world: World, default_smtp: SmtpServer) -> None:
    _system([world.user("worker_a1")], Level.INFO, world.site_a.pk)

    assert Notification.objects.filter(category=Category.SYSTEM).count() == 1
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_critical_posts_once_to_every_enabled_robot_of_the_site(
    world: World, robots: Robots, default_smtp: SmtpServer
) -> None:
    admin = world.user("admin_a")
    site = world.site_a
    services.create_channel(
        admin, site=site, kind="wecom", name="罐区企业微信群", webhook_url=robots.wecom_url
    )
    services.create_channel(
        admin, site=site, kind="dingtalk", name="安全钉钉群", webhook_url=robots.dingtalk_url,
        webhook_secret=DINGTALK_SECRET,
    )  # fmt: skip
    services.create_channel(
        admin,
        site=site,
        kind="feishu",
        name="应急飞书群",
        webhook_url=robots.feishu_url,
        webhook_secret=FEISHU_SECRET,
    )
    services.create_channel(
        admin, site=site, kind="wecom", name="停用的群", webhook_url=robots.wecom_url, enabled=False
    )

    _system(
        [world.user("worker_a1"), world.user("leader_a1")], Level.CRITICAL, site.pk, title="T-101 高高报警"
    )

    robot_rows = Delivery.objects.exclude(kind=ChannelKind.EMAIL).order_by("kind")
    assert [(d.kind, d.channel.name, d.notification_id) for d in robot_rows] == [
        ("dingtalk", "安全钉钉群", None),
        ("feishu", "应急飞书群", None),
        ("wecom", "罐区企业微信群", None),
    ]
    run_worker()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert [len(robots.of(s)) for s in ("wecom", "dingtalk", "feishu")] == [1, 1, 1]
    assert robots.of("dingtalk")[0].body["markdown"]["title"] == "T-101 高高报警"
    assert robots.of("feishu")[0].body["content"]["post"]["zh_cn"]["title"] == "T-101 高高报警"
    assert len(default_smtp.received) == 2


def test_robots_of_another_site_are_not_used(world: World, robots: Robots, default_smtp: SmtpServer) -> None:
    services.create_channel(
        world.user("admin_b"), site=world.site_b, kind="wecom", name="西区群", webhook_url=robots.wecom_url
    )

    _system([world.user("worker_a1")], Level.CRITICAL, world.site_a.pk)

    assert not Delivery.objects.exclude(kind=ChannelKind.EMAIL).exists()


def test_a_channel_that_is_down_never_blocks_or_fails_notify(world: World, settings: Any) -> None:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    services.create_channel(
        world.user("admin_a"), site=world.site_a, kind="wecom", name="断网的群",
        webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send?key=x",
    )  # fmt: skip

    started = time.monotonic()
    inbox = _system([world.user("worker_a1")], Level.CRITICAL, world.site_a.pk)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert Notification.objects.filter(pk=inbox[0].pk, recipient=world.user("worker_a1")).exists()
    run_worker()
    rows = {d.kind: d for d in Delivery.objects.all()}
    assert rows["email"].status == rows["wecom"].status == DeliveryStatus.RETRYING
    assert rows["wecom"].last_error.startswith("无法连接")
    assert rows["email"].last_error.startswith("邮件发送失败")
    assert Notification.objects.get(pk=inbox[0].pk).read_at is None


def test_a_rolled_back_caller_leaves_no_notification_and_no_task(
    world: World, default_smtp: SmtpServer
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _system([world.user("worker_a1")], Level.CRITICAL, world.site_a.pk)
        raise RuntimeError("the caller's write failed")

    assert not Notification.objects.filter(category=Category.SYSTEM).exists()
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_site_email_channel_is_used_and_a_switched_off_one_stops_email(
    world: World, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # the platform default would fail
    channel = services.create_channel(
        world.user("admin_a"), site=world.site_a, kind="email", name="园区邮箱",
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, from_email="ehs@east.example.cn",
    )  # fmt: skip

    _system([world.user("worker_a1")], Level.WARNING, world.site_a.pk)
    run_worker()

    [mail] = smtp_server.received
    assert mail.mail_from == "ehs@east.example.cn"
    assert Delivery.objects.get().channel_id == channel.pk
    services.update_channel(world.user("admin_a"), channel, enabled=False)
    _system([world.user("worker_a1")], Level.WARNING, world.site_a.pk)
    assert Delivery.objects.count() == 1


def test_notification_without_site_uses_the_platform_smtp(world: World, default_smtp: SmtpServer) -> None:
    services.notify(
        [world.user("ehs")], Category.SYSTEM, "平台维护通知", "今晚 22:00 维护。", level=Level.WARNING
    )
    run_worker()

    [mail] = default_smtp.received
    assert mail.rcpt_tos == ["ehs@example.com"]
    assert Delivery.objects.get().site_id is None


def test_users_without_address_or_inactive_get_no_email(world: World, default_smtp: SmtpServer) -> None:
    from anquan.org import services as org

    org.update_user(None, world.user("worker_a2"), email="")
    org.update_user(None, world.user("worker_b1"), is_active=False)

    inbox = _system([world.user("worker_a2"), world.user("worker_b1")], Level.WARNING, world.site_a.pk)

    assert [n.recipient_id for n in inbox] == [world.user("worker_a2").pk]
    assert Delivery.objects.count() == 0


def test_unknown_category_or_level_is_a_programming_error(world: World) -> None:
    with pytest.raises(ValueError):
        services.notify([world.user("worker_a1")], "nonsense", "x")
    with pytest.raises(ValueError):
        services.notify([world.user("worker_a1")], Category.SYSTEM, "x", level="panic")


# --- preferences: user over role over built-in ------------------------------------------------
def test_preference_precedence_user_over_role_over_default(world: World, default_smtp: SmtpServer) -> None:
    a1, a2, b1 = world.user("worker_a1"), world.user("worker_a2"), world.user("worker_b1")
    admin = world.user("admin_a")
    # Role default at site A: workers get e-mail for system messages, even at level info.
    services.set_preference(
        admin,
        role=Role.WORKER,
        site=world.site_a,
        category=Category.SYSTEM,
        medium=Medium.EMAIL,
        enabled=True,
    )
    # worker_a2's own choice beats the role default.
    services.set_preference(a2, user=a2, category=Category.SYSTEM, medium=Medium.EMAIL, enabled=False)

    media = services.effective_media([a1, a2, b1], Category.SYSTEM, Level.INFO, world.site_a)

    assert media[a1.pk] == {Medium.INBOX: True, Medium.EMAIL: True, Medium.IM: False}  # role
    assert media[a2.pk] == {Medium.INBOX: True, Medium.EMAIL: False, Medium.IM: False}  # own
    assert media[b1.pk] == {Medium.INBOX: True, Medium.EMAIL: False, Medium.IM: False}  # no role at A
    on_b = services.effective_media([a1], Category.SYSTEM, Level.INFO, world.site_b)
    assert on_b[a1.pk][Medium.EMAIL] is False  # site A's role default does not apply at site B
    other = services.effective_media([a1], Category.ACCOUNT, Level.INFO, world.site_a)
    assert other[a1.pk][Medium.EMAIL] is False  # another category follows the built-in default

    _system([a1, a2, b1], Level.INFO, world.site_a.pk)
    assert list(Delivery.objects.values_list("to_address", flat=True)) == ["worker_a1@example.com"]


def test_built_in_defaults_by_level(world: World) -> None:
    a1 = world.user("worker_a1")

    levels = {
        level: services.effective_media([a1], Category.EQUIPMENT, level, world.site_a)[a1.pk]
        for level in Level.values
    }

    assert levels == {
        "info": {"inbox": True, "email": False, "im": False},
        "warning": {"inbox": True, "email": True, "im": False},
        "critical": {"inbox": True, "email": True, "im": True},
    }


def test_a_muted_inbox_still_receives_critical(world: World) -> None:
    a1 = world.user("worker_a1")
    services.set_preference(a1, user=a1, category=Category.SYSTEM, medium=Medium.INBOX, enabled=False)

    assert _system([a1], Level.WARNING, world.site_a.pk) == []
    assert [n.level for n in _system([a1], Level.CRITICAL, world.site_a.pk)] == ["critical"]


def test_one_of_several_roles_turning_im_on_is_enough(world: World, robots: Robots) -> None:
    from anquan.org import services as org

    officer = world.user("officer_a")
    org.assign_role(None, user=officer, role=Role.OPERATOR, scope=world.site_a)
    admin = world.user("admin_a")
    services.set_preference(
        admin,
        role=Role.SAFETY_OFFICER,
        site=world.site_a,
        category=Category.SYSTEM,
        medium=Medium.IM,
        enabled=False,
    )
    services.set_preference(
        admin, role=Role.OPERATOR, site=world.site_a, category=Category.SYSTEM, medium=Medium.IM, enabled=True
    )

    media = services.effective_media([officer], Category.SYSTEM, Level.INFO, world.site_a)

    assert media[officer.pk][Medium.IM] is True
