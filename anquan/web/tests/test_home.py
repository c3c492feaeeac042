"""The home page: each person's own sites and areas with real counts, and the shell around it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from anquan.conftest import World, client_for
from anquan.notifications.choices import Category
from anquan.notifications.services import notify
from anquan.plant import services as plant

pytestmark = [pytest.mark.django_db]


def table(response: Any) -> dict[str, dict[str, tuple[int, int]]]:
    return {
        row["site"].name: {r["area"].name: (r["equipment"], r["tags"]) for r in row["areas"]}
        for row in response.context["site_rows"]
    }


def test_home_shows_a_workers_own_area(world: World) -> None:
    response = client_for(world.user("worker_a1")).get(reverse("home"))

    assert response.status_code == 200
    assert table(response) == {"东区储运园区": {"罐区": (1, 1)}}
    assert response.context["totals"] == {"sites": 1, "areas": 1, "equipment": 1, "tags": 1}
    assert response.context["people_count"] is None
    assert "西区" not in response.content.decode()


def test_home_counts_every_piece_of_equipment_of_an_area(world: World) -> None:
    for code in ("T-102", "T-103"):
        plant.create_equipment(None, area=world.area_a1, code=code, name=f"{code} 储罐", type="storage_tank")

    response = client_for(world.user("admin_a")).get(reverse("home"))

    assert table(response) == {"东区储运园区": {"泵房": (1, 1), "罐区": (3, 1)}}
    assert response.context["totals"]["equipment"] == 4


def test_home_of_another_site(world: World) -> None:
    response = client_for(world.user("admin_b")).get(reverse("home"))

    assert table(response) == {"西区储运园区": {"西罐区": (1, 1)}}
    assert response.context["people_count"] == 2
    assert response.context["chart"] is None  # a single area: nothing to compare
    assert "东区" not in response.content.decode()


def test_home_across_the_enterprise(world: World) -> None:
    response = client_for(world.user("ehs")).get(reverse("home"))

    assert table(response) == {
        "东区储运园区": {"泵房": (1, 1), "罐区": (1, 1)},
        "西区储运园区": {"西罐区": (1, 1)},
    }
    assert response.context["chart"]["labels"] == [
        "东区储运园区 · 泵房",
        "东区储运园区 · 罐区",
        "西区储运园区 · 西罐区",
    ]


def test_home_without_plant_access_shows_no_plant_figures(world: World) -> None:
    response = client_for(world.user("contractor_a")).get(reverse("home"))

    assert response.context["can_plant"] is False
    assert response.context["chart"] is None
    assert table(response) == {"东区储运园区": {"泵房": (0, 0), "罐区": (0, 0)}}
    assert "plant:browser" not in [i["url_name"] for i in response.context["quick_links"]]


def test_home_lists_the_latest_notifications(world: World) -> None:
    worker = world.user("worker_a1")
    for i in range(7):
        notify([worker], Category.ACCOUNT, title=f"消息{i}")
    notify([world.user("worker_a2")], Category.ACCOUNT, title="别人的消息")

    response = client_for(worker).get(reverse("home"))

    notes = response.context["notifications"]
    assert notes["unread"] == 7
    assert [n.title for n in notes["latest"]] == ["消息6", "消息5", "消息4", "消息3", "消息2"]
    assert "别人的消息" not in response.content.decode()


def test_shell_shows_menu_roles_badge_and_admin_link(world: World) -> None:
    body = client_for(world.user("admin_a")).get(reverse("home")).content.decode()
    root_body = client_for(world.user("root")).get(reverse("home")).content.decode()

    assert (
        f'hx-get="{reverse("notifications:badge")}" hx-trigger="load, every 60s, notifications-changed from:body"'
        in body
    )
    assert "系统管理员" in body and "东区储运园区" in body  # role with its scope in the user menu
    assert reverse("org:tokens") in body
    assert reverse("password_change") in body
    assert f'action="{reverse("logout")}"' in body
    assert reverse("admin:index") not in body
    assert reverse("admin:index") in root_body


def test_menu_marks_the_current_page(world: World) -> None:
    response = client_for(world.user("admin_a")).get(reverse("org:people"))

    active = [i["url_name"] for i in response.context["nav_items"] if i["active"]]
    assert active == ["org:people"]
