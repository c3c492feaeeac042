"""What an assignee does with a work order, in Chromium on a phone-sized screen: find it in 我的工单,
accept, start, take a photo and complete; the manager then verifies."""

from __future__ import annotations

import io
import os
from typing import Any

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from anquan.conftest import build_world, signed_in_page
from anquan.workorders.choices import State
from anquan.workorders.models import WorkOrder
from anquan.workorders.tests.helpers import tank_order


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("ANQUAN_TEST_SCREENSHOTS")  # set by hand to look at the pages
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _photo() -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 120, 200)).save(buffer, "JPEG")
    return {"name": "阻火器.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_an_assignee_works_an_order_on_a_phone(
    transactional_db: Any, live_server: Any, browser: Browser
) -> None:
    world = build_world()
    order = tank_order(world)
    page = signed_in_page(browser, live_server, world.user("leader_a1"))

    page.goto(f"{live_server.url}/workorders/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, "workorders-mine-phone")
    item = page.locator("#wo-list [data-testid=wo-item]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("1号罐呼吸阀检修")
    expect(item).to_contain_text("待接单")
    item.click()

    expect(page.locator("h1")).to_have_text("1号罐呼吸阀检修")
    expect(page.locator("#wo-origin a")).to_have_attribute("href", "/monitoring/alarms/41/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, "workorders-detail-phone")
    page.get_by_role("button", name="接单").click()
    expect(page.locator("#wo-state")).to_have_text("已接单")
    page.get_by_role("button", name="开始处理").click()
    expect(page.locator("#wo-state")).to_have_text("处理中")

    page.locator("#wo-complete-form textarea[name=note]").fill("已清洗阻火器并更换垫片")
    page.locator("#wo-files").set_input_files([_photo()])
    page.get_by_role("button", name="提交完成").click()

    expect(page.locator("#wo-state")).to_have_text("已完成")
    expect(page.locator("#wo-timeline [data-testid=wo-step]")).to_have_count(4)
    expect(page.locator("#wo-timeline img")).to_have_count(1)
    assert WorkOrder.objects.get(pk=order.pk).state == State.DONE

    manager = signed_in_page(browser, live_server, world.user("manager_a1"))
    manager.goto(f"{live_server.url}/workorders/{order.pk}/")
    manager.get_by_role("button", name="验收通过").click()
    expect(manager.locator("#wo-state")).to_have_text("已验收")
    assert WorkOrder.objects.get(pk=order.pk).verified_by == world.user("manager_a1")
