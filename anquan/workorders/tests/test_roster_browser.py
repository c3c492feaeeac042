"""A team leader plans the roster on a phone in Chromium: opens 排班 from the work-order list, adds a
night shift for a member of the team, sees it in the week, and cancels it."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from anquan.conftest import build_world, signed_in_page
from anquan.workorders.models import Shift


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("ANQUAN_TEST_SCREENSHOTS")  # set by hand to look at the pages
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_team_leader_plans_a_night_shift_on_a_phone(
    transactional_db: Any, live_server: Any, browser: Browser
) -> None:
    world = build_world()
    worker = world.user("worker_a1")
    page = signed_in_page(browser, live_server, world.user("leader_a1"))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    page.goto(f"{live_server.url}/workorders/")
    page.locator("#wo-roster").click()
    expect(page.locator("h1")).to_have_text("排班")
    page.locator("#id_user").select_option(str(worker.pk))
    page.locator("#id_day").fill(tomorrow.isoformat())
    page.locator("#id_start").fill("20:00")
    page.locator("#id_end").fill("08:00")
    page.locator("#roster-form button[type=submit]").click()

    shift = Shift.objects.get()
    row = page.locator(f"[data-shift='{shift.pk}']")
    expect(row).to_contain_text("20:00–08:00")
    expect(row).to_contain_text("员工甲")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, "workorders-roster-phone")
    assert (shift.team, shift.user) == (world.team_a1, worker)
    assert timezone.localtime(shift.ends_at) - timezone.localtime(shift.starts_at) == dt.timedelta(hours=12)

    row.get_by_role("button").click()
    expect(page.locator(f"[data-shift='{shift.pk}']")).to_have_count(0)
    assert not Shift.objects.exists()
