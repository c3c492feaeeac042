"""What a person does in a real browser: Debian's Chromium, headless, on a desktop and on a phone.

Two people of different scopes sign in and see only their own sites, areas and people; the menu
collapses into a working hamburger on the phone; the language switch turns the interface English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from anquan.conftest import PASSWORD, World

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}

pytestmark = [pytest.mark.browser]


@dataclass
class Tab:
    page: Any  # playwright.sync_api.Page
    viewport: str  # "desktop" | "phone"
    base: str  # the live server's url

    def open(self, path: str) -> str:
        """Go to ``path`` and return the text of the page's main part."""
        self.page.goto(f"{self.base}{path}")
        return str(self.page.locator("main").inner_text())

    def sign_in(self, username: str) -> None:
        self.page.goto(f"{self.base}{reverse('login')}")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(f"{self.base}/")

    def open_menu(self) -> None:
        """On a phone the menu hides behind the hamburger; open it (nothing to do on a desktop)."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            self.page.locator("#aq-nav.show").wait_for()

    def menu_labels(self) -> list[str]:
        self.open_menu()
        return [
            t.strip() for t in self.page.locator("#aq-nav .navbar-nav.me-auto .nav-link").all_inner_texts()
        ]


@pytest.fixture(params=list(VIEWPORTS))
def tab(request: Any, browser: Any, live_server: Any, world: World) -> Iterator[Tab]:
    # An English-speaking browser still gets Chinese until the person switches (Chinese first).
    context = browser.new_context(**VIEWPORTS[request.param], locale="en-US")
    context.set_default_timeout(20_000)
    yield Tab(context.new_page(), request.param, live_server.url)
    context.close()


def has_plant_browser() -> bool:
    try:
        reverse("plant:browser")
    except NoReverseMatch:
        return False
    return True


def test_worker_of_site_a_sees_only_their_own_area(tab: Tab, world: World) -> None:
    tab.sign_in("worker_a1")

    home = tab.page.locator("#home-areas").inner_text()
    assert "东区储运园区" in home and "罐区" in home
    assert "泵房" not in home and "西区储运园区" not in home

    structure = tab.open(reverse("org:structure"))
    assert "罐区一班" in structure
    assert "泵房" not in structure and "西区" not in structure

    labels = tab.menu_labels()
    assert "组织架构" in labels
    assert "人员与角色" not in labels
    assert "没有权限" in tab.open(reverse("org:people"))

    if has_plant_browser():
        plant = tab.open(reverse("plant:browser"))
        assert "罐区" in plant
        assert "西区储运园区" not in plant and "西罐区" not in plant


def test_administrator_of_site_b_sees_only_site_b(tab: Tab, world: World) -> None:
    tab.sign_in("admin_b")

    home = tab.page.locator("#home-areas").inner_text()
    assert "西区储运园区" in home and "西罐区" in home
    assert "东区储运园区" not in home

    tab.open(reverse("org:people"))
    people = tab.page.locator("#people-table").inner_text()
    assert "管理员乙" in people and "员工丙" in people
    assert "员工甲" not in people and "管理员甲" not in people and "总监" not in people

    structure = tab.open(reverse("org:structure"))
    assert "西罐区一班" in structure
    assert "东区储运园区" not in structure

    assert "页面不存在" in tab.open(reverse("org:person", args=[world.user("worker_a1").pk]))

    if has_plant_browser():
        plant = tab.open(reverse("plant:browser"))
        assert "西罐区" in plant
        assert "东区储运园区" not in plant


def test_people_search_narrows_the_list_as_one_types(tab: Tab, world: World) -> None:
    tab.sign_in("admin_a")
    tab.open(reverse("org:people"))

    rows = tab.page.locator("#people-table tbody tr")
    expect(rows).to_have_count(9)

    tab.page.locator("input[name=q]").press_sequentially("员工")

    expect(rows).to_have_count(2)
    assert all("员工" in row for row in rows.all_inner_texts())
    assert "q=" in tab.page.url  # the filter is in the address, so a reload or a shared link keeps it


def test_phone_menu_opens_behind_the_hamburger(tab: Tab, world: World) -> None:
    tab.sign_in("admin_a")
    link = tab.page.locator("#aq-nav").get_by_role("link", name="组织架构")

    if tab.viewport == "phone":
        assert tab.page.locator(".navbar-toggler").is_visible()
        assert not link.is_visible()
        tab.page.click(".navbar-toggler")
        link.wait_for(state="visible")
    else:
        assert not tab.page.locator(".navbar-toggler").is_visible()
        assert link.is_visible()
    link.click()

    tab.page.wait_for_url(f"{tab.base}{reverse('org:structure')}")
    assert tab.page.locator("main h1").inner_text().strip() == "组织架构"


def test_switching_to_english(tab: Tab, world: World) -> None:
    tab.sign_in("worker_a1")
    assert tab.page.get_attribute("html", "lang") == "zh-hans"

    tab.open_menu()
    tab.page.click(".aq-nav-right .dropdown-toggle:has(.bi-translate)")
    tab.page.click(".aq-language-menu button[value=en]")
    tab.page.wait_for_function("document.documentElement.lang === 'en'")

    world.user("worker_a1").refresh_from_db()
    assert world.user("worker_a1").preferred_language == "en"
    # Sign out through the user menu and meet the sign-in page in English, where Django's own
    # messages are translated.
    tab.open_menu()
    tab.page.click("#aq-user-menu")
    tab.page.click(f"form[action='{reverse('logout')}'] button")
    tab.page.wait_for_url(re.compile(r".*/login/$"))
    assert tab.page.get_attribute("html", "lang") == "en"
    tab.page.fill("input[name=username]", "worker_a1")
    tab.page.fill("input[name=password]", "not-the-password")
    tab.page.click("main button[type=submit]")
    assert "Please enter a correct" in tab.page.locator("main").inner_text()


def test_roles_are_assigned_in_place(tab: Tab, world: World) -> None:
    worker = world.user("worker_a1")
    tab.sign_in("admin_a")
    tab.open(reverse("org:person", args=[worker.pk]))
    roles = tab.page.locator("#role-list li")
    expect(roles).to_have_count(1)

    tab.page.select_option("#id_role-role", "safety_officer")
    tab.page.select_option("#id_role-scope", f"area:{world.area_a1.pk}")
    tab.page.click("#roles-panel button:has-text('分配')")

    expect(roles).to_have_count(2)
    assert "安全员" in tab.page.locator("#role-list").inner_text()
    assert worker.assignments.filter(role="safety_officer", area=world.area_a1).exists()

    # Asking again for a role already held answers with the error in the panel, nothing new.
    tab.page.select_option("#id_role-role", "safety_officer")
    tab.page.select_option("#id_role-scope", f"area:{world.area_a1.pk}")
    tab.page.click("#roles-panel button:has-text('分配')")

    expect(tab.page.locator("#roles-panel .invalid-feedback")).to_contain_text("已有这个角色")
    expect(roles).to_have_count(2)
