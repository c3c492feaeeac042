"""Shared test fixtures. State is built through the services, as a user would build it."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from anquan.org import services as org
from anquan.org.choices import Role
from anquan.org.models import Area, Enterprise, Site, Team, User
from anquan.plant import services as plant
from anquan.plant.models import Equipment, ProcessLink, SensorTag

PASSWORD = "Anquan-test-2026"

# Browser tests drive Playwright's sync API, which runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium; never a browser Playwright downloads
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the browser tests (skipped without it, except in CI). Per module:
    Playwright's sync API keeps an event loop running in the test thread while it is open, which
    would break the asyncio tests that run after it in the same process."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser: Any, live_server: Any, user: Any, **context: Any) -> Any:
    """A page of a new browser context already signed in as ``user`` (a phone unless told)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(**(context or PHONE))
    ctx.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return ctx.new_page()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_loopback(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConnectionRefusedError(f"tests may only reach loopback services, not {host}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_loopback(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_loopback(self, address)
    return _real_connect_ex(self, address)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_settings(request: pytest.FixtureRequest, settings: Any, tmp_path: Any) -> None:
    """What every test runs with: pages without the collectstatic manifest, attachments on a fresh
    local disk, and — unless a test is marked ``argon2`` — a quick password hasher, because every
    world holds a dozen accounts and Argon2 is deliberately slow (the argon2 tests check it is the
    hasher in production)."""
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    if request.node.get_closest_marker("argon2") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The network is blocked except loopback: a test never reaches a real WeCom, S3 or mail host."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@dataclass
class World:
    """Two sites of one enterprise, each with areas, teams, people of every role, and a plant."""

    enterprise: Enterprise
    site_a: Site
    site_b: Site
    area_a1: Area
    area_a2: Area
    area_b1: Area
    team_a1: Team
    team_a2: Team
    team_b1: Team
    users: dict[str, User] = field(default_factory=dict)
    equipment: dict[str, Equipment] = field(default_factory=dict)
    tags: dict[str, SensorTag] = field(default_factory=dict)
    links: list[ProcessLink] = field(default_factory=list)

    def user(self, key: str) -> User:
        return self.users[key]

    def client(self, key: str | None) -> Any:
        """A test client signed in as the user ``key`` (anonymous for None)."""
        return client_for(self.users[key] if key else None)


def client_for(user: User | None) -> Any:
    """A Django test client with ``user`` signed in (anonymous for None)."""
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def build_world() -> World:
    ent = org.create_enterprise(None, code="acme", name="安泉化工")
    site_a = org.create_site(None, enterprise=ent, code="east", name="东区储运园区")
    site_b = org.create_site(None, enterprise=ent, code="west", name="西区储运园区")
    area_a1 = org.create_area(None, site=site_a, code="tank-farm", name="罐区")
    area_a2 = org.create_area(None, site=site_a, code="pump-house", name="泵房")
    area_b1 = org.create_area(None, site=site_b, code="tank-farm", name="西罐区")
    team_a1 = org.create_team(None, area=area_a1, code="t1", name="罐区一班")
    team_a2 = org.create_team(None, area=area_a2, code="t2", name="泵房二班")
    team_b1 = org.create_team(None, area=area_b1, code="t1", name="西罐区一班")
    w = World(ent, site_a, site_b, area_a1, area_a2, area_b1, team_a1, team_a2, team_b1)

    def person(key: str, name: str, role: str, scope: Any, team: Team | None = None) -> None:
        w.users[key] = org.create_user(
            None, username=key, password=PASSWORD, name=name, email=f"{key}@example.com",
            team=team, roles=[(role, scope)],
        )  # fmt: skip

    person("admin_a", "管理员甲", Role.ADMINISTRATOR, site_a)
    person("admin_b", "管理员乙", Role.ADMINISTRATOR, site_b)
    person("ehs", "总监", Role.EHS_DIRECTOR, ent)
    person("manager_a1", "罐区经理", Role.AREA_MANAGER, area_a1)
    person("officer_a", "安全员甲", Role.SAFETY_OFFICER, site_a)
    person("leader_a1", "班长甲", Role.TEAM_LEADER, team_a1, team=team_a1)
    person("worker_a1", "员工甲", Role.WORKER, team_a1, team=team_a1)
    person("worker_a2", "员工乙", Role.WORKER, team_a2, team=team_a2)
    person("worker_b1", "员工丙", Role.WORKER, team_b1, team=team_b1)
    person("operator_a", "操作员", Role.OPERATOR, site_a)
    person("expert", "专家", Role.EXPERT_REVIEWER, site_a)
    person("contractor_a", "承包商", Role.CONTRACTOR, site_a)
    w.users["root"] = org.create_user(None, username="root", password=PASSWORD, is_superuser=True)

    tank = plant.create_equipment(
        None, area=area_a1, code="T-101", name="1号汽油储罐", type="storage_tank",
        responsible=w.users["leader_a1"], map_x=50, map_y=60,
    )  # fmt: skip
    pump = plant.create_equipment(None, area=area_a2, code="P-201", name="1号输油泵", type="pump")
    west = plant.create_equipment(None, area=area_b1, code="T-901", name="西区储罐", type="storage_tank")
    w.equipment = {"T-101": tank, "P-201": pump, "T-901": west}
    w.tags["TI-101"] = plant.create_tag(
        None, equipment=tank, tag="TI-101", name="1号罐温度", kind="temperature", unit="°C",
        range_low=Decimal("-20"), range_high=Decimal("80"), h=Decimal("40"), hh=Decimal("50"),
    )  # fmt: skip
    w.tags["PI-201"] = plant.create_tag(
        None, equipment=pump, tag="PI-201", name="泵出口压力", kind="pressure", unit="MPa",
        range_low=Decimal("0"), range_high=Decimal("2.5"), h=Decimal("1.6"),
    )  # fmt: skip
    w.tags["LI-901"] = plant.create_tag(
        None, equipment=west, tag="LI-901", name="西罐液位", kind="level", unit="m",
        range_low=Decimal("0"), range_high=Decimal("20"), l=Decimal("1"), h=Decimal("18"),
    )  # fmt: skip
    w.links.append(plant.link(None, source=tank, target=pump, kind="material", medium="汽油"))
    return w


@pytest.fixture
def world(db: Any) -> World:
    return build_world()
