"""Injecting a fault from the simulator page, in Chromium on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from anquan.conftest import build_world, signed_in_page
from anquan.demo.models import FaultInjection

pytestmark = [pytest.mark.urls("anquan.demo.tests.test_simulator_page")]


def test_an_administrator_injects_a_fault_on_a_phone(
    transactional_db: Any, live_server: Any, browser: Browser
) -> None:
    world = build_world()
    page = signed_in_page(browser, live_server, world.user("admin_a"))
    page.goto(f"{live_server.url}/demo/simulator/?site={world.site_a.pk}")
    expect(page.get_by_role("heading", name="模拟器")).to_be_visible()
    expect(page.get_by_text("还没有故障注入。")).to_be_visible()

    # A scenario that does not fit the tank: the page says why, on the field.
    page.get_by_label("故障场景").select_option("cooling_failure")
    page.get_by_label("设备").select_option(label="T-101 1号汽油储罐")
    page.get_by_role("button", name="注入").click()
    expect(page.get_by_text("冷却水中断只能注入在同时有冷却水流量和温度测点的设备上")).to_be_visible()

    page.get_by_label("故障场景").select_option("stuck_sensor")
    page.get_by_label("持续时间（分钟）").fill("45")
    page.get_by_role("button", name="注入").click()

    injection = FaultInjection.objects.get()
    expect(page.locator(f"#injection-{injection.pk}")).to_contain_text("测量值卡死")
    expect(page.locator(f"#injection-{injection.pk}")).to_contain_text("已计划")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert injection.duration_s == 45 * 60
