"""What a person does in the notification centre, in Chromium on a phone-sized screen."""

from __future__ import annotations

import os
from typing import Any

from playwright.sync_api import Browser, Page, expect

from anquan.conftest import build_world, signed_in_page
from anquan.notifications import services
from anquan.notifications.choices import Category, Level
from anquan.notifications.models import Notification
from anquan.notifications.tests.conftest import Robots


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("ANQUAN_TEST_SCREENSHOTS")  # set by hand to look at the pages
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_reading_messages_on_a_phone(transactional_db: Any, live_server: Any, browser: Browser) -> None:
    world = build_world()
    worker = world.user("worker_a1")
    Notification.objects.filter(recipient=worker).delete()  # the welcome and role messages
    for title, level in (("T-101 温度高报警", Level.WARNING), ("请完成今日巡检", Level.INFO)):
        services.notify(
            [worker], Category.SYSTEM, title, "罐区一班请注意。", level=level, site_id=world.site_a.pk
        )
    page = signed_in_page(browser, live_server, worker)

    page.goto(f"{live_server.url}/notifications/")

    badge = page.locator(".aq-bell-count")
    expect(badge).to_have_text("2")
    expect(page.locator("#inbox-unread-count")).to_have_text("2")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, "inbox-phone")
    first = page.locator("#inbox-list .list-group-item").first
    expect(first).to_contain_text("请完成今日巡检")
    first.get_by_role("button", name="标为已读").click()
    expect(first).not_to_have_class("aq-unread")
    expect(page.locator("#inbox-unread-count")).to_have_text("1")
    expect(badge).to_have_text("1")

    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator("#inbox-list .aq-unread")).to_have_count(0)
    expect(page.locator("#inbox-unread-count")).to_have_text("0")
    expect(badge).to_have_text("")
    assert not Notification.objects.filter(recipient=worker, read_at__isnull=True).exists()


def test_testing_a_robot_from_the_channels_page(
    transactional_db: Any, live_server: Any, browser: Browser, robots: Robots
) -> None:
    world = build_world()
    services.create_channel(
        None, site=world.site_a, kind="wecom", name="罐区企业微信群", webhook_url=robots.wecom_url
    )
    page = signed_in_page(browser, live_server, world.user("admin_a"))

    page.goto(f"{live_server.url}/notifications/channels/")
    page.get_by_role("button", name="发送测试消息").click()

    expect(page.locator("#test-result .alert-success")).to_contain_text(
        "测试消息已通过“罐区企业微信群”发送。"
    )
    expect(page.locator("#delivery-table")).to_contain_text("测试消息：罐区企业微信群")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    _screenshot(page, "channels-phone")
    assert len(robots.of("wecom")) == 1
