"""The roster page (排班): the week of the teams the viewer may plan, adding a shift (an overnight
one too) and cancelling one — on a phone; 403 for who may not plan, 404 for another team's shift."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from anquan.conftest import World
from anquan.workorders import roster
from anquan.workorders.models import Shift

pytestmark = pytest.mark.django_db
PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}
URL = "/workorders/roster/"


def text(response: Any) -> str:
    return response.content.decode()


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def test_the_url_name() -> None:
    assert reverse("workorders:roster") == URL
    assert reverse("workorders:roster_cancel", args=[7]) == "/workorders/roster/7/cancel/"


def test_the_page_shows_a_team_leader_the_week_of_their_team(world: World) -> None:
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time(20, 0)))
    shift = roster.plan_shift(
        world.user("leader_a1"), team=world.team_a1, user=world.user("worker_a1"),
        starts_at=start, ends_at=start + dt.timedelta(hours=12),
    )  # fmt: skip
    roster.plan_shift(
        world.user("officer_a"), team=world.team_a2, user=world.user("worker_a2"),
        starts_at=start, ends_at=start + dt.timedelta(hours=8),
    )  # fmt: skip

    response = world.client("leader_a1").get(URL, **PHONE)

    assert response.status_code == 200
    body = text(response)
    assert 'name="viewport"' in body and "排班" in body
    assert "罐区一班" in body and "泵房二班" not in body and "员工乙" not in body
    assert f'data-shift="{shift.pk}"' in body
    assert "20:00–08:00" in body and "(次日)" in body and "员工甲" in body
    assert f'action="/workorders/roster/{shift.pk}/cancel/"' in body
    assert 'id="roster-form"' in body
    assert f'<option value="{world.user("worker_a1").pk}">' in body
    assert f'<option value="{world.user("worker_a2").pk}">' not in body
    assert f"?week={monday_of(today) + dt.timedelta(days=7)}" in body
    assert "1 个班次" in body


def test_a_team_leader_adds_an_overnight_shift(world: World) -> None:
    worker = world.user("worker_a1")
    client = world.client("leader_a1")
    response = client.post(
        URL,
        {"team": world.team_a1.pk, "user": worker.pk, "day": "2026-12-02", "start": "20:00", "end": "08:00"},
    )

    assert response.status_code == 302
    assert response["Location"] == URL + "?week=2026-11-30"
    shift = Shift.objects.get()
    assert (shift.team, shift.user, shift.starts_at, shift.ends_at, shift.created_by) == (
        world.team_a1, worker, local(2026, 12, 2, 20), local(2026, 12, 3, 8), world.user("leader_a1"),
    )  # fmt: skip
    week = client.get(response["Location"])
    assert "已为 员工甲 排班：12-02 20:00–12-03 08:00。" in text(week)
    assert f'data-shift="{shift.pk}"' in text(week)


def test_the_forms_errors_come_back_on_the_page(world: World) -> None:
    client = world.client("leader_a1")
    data = {"team": world.team_a1.pk, "user": world.user("worker_a1").pk, "day": "2026-12-02"}
    client.post(URL, {**data, "start": "08:00", "end": "16:00"})

    overlap = client.post(URL, {**data, "start": "12:00", "end": "20:00"})
    not_a_member = client.post(
        URL, {**data, "user": world.user("worker_a2").pk, "start": "08:00", "end": "16:00"}
    )
    empty = client.post(URL, {"team": world.team_a1.pk})

    assert overlap.status_code == 400
    assert "员工甲 在 12-02 08:00–12-02 16:00 已有班次（罐区一班），时间不能重叠。" in text(overlap)
    assert not_a_member.status_code == 400 and "选择一个有效的选项" in text(not_a_member)
    assert empty.status_code == 400 and text(empty).count("这个字段是必填项。") == 4
    assert Shift.objects.count() == 1


def test_a_manager_picks_a_person_of_the_chosen_team(world: World) -> None:
    response = world.client("officer_a").post(
        URL, {"team": world.team_a1.pk, "user": world.user("worker_a2").pk, "day": "2026-12-02",
              "start": "08:00", "end": "16:00"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "员工乙 不属于班组 罐区一班。" in text(response)
    assert Shift.objects.count() == 0


def test_a_team_leader_cancels_a_shift(world: World) -> None:
    start = timezone.now() + dt.timedelta(days=1)
    shift = roster.plan_shift(
        world.user("leader_a1"), team=world.team_a1, user=world.user("worker_a1"),
        starts_at=start, ends_at=start + dt.timedelta(hours=8),
    )  # fmt: skip

    client = world.client("leader_a1")
    response = client.post(f"/workorders/roster/{shift.pk}/cancel/")

    assert response.status_code == 302
    assert response["Location"] == URL + f"?week={monday_of(timezone.localdate(start))}"
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert "已取消 员工甲 的班次。" in text(client.get(response["Location"]))


def test_who_may_not_plan_gets_403_and_another_teams_shift_404(world: World) -> None:
    start = timezone.now() + dt.timedelta(days=1)
    west = roster.plan_shift(
        world.user("admin_b"), team=world.team_b1, user=world.user("worker_b1"),
        starts_at=start, ends_at=start + dt.timedelta(hours=8),
    )  # fmt: skip

    assert world.client(None).get(URL).status_code == 302
    assert world.client("worker_a1").get(URL).status_code == 403
    assert world.client("worker_a1").post(URL, {}).status_code == 403
    assert world.client("leader_a1").post(f"/workorders/roster/{west.pk}/cancel/").status_code == 404
    assert world.client("leader_a1").get(f"/workorders/roster/{west.pk}/cancel/").status_code == 405
    assert Shift.objects.filter(pk=west.pk).exists()


def test_the_work_order_list_links_the_roster_for_those_who_may_plan(world: World) -> None:
    leader = text(world.client("leader_a1").get(reverse("workorders:list")))
    worker = text(world.client("worker_a1").get(reverse("workorders:list")))

    assert f'href="{URL}" id="wo-roster"' in leader
    assert 'id="wo-roster"' not in worker


def test_a_bad_week_parameter_shows_this_week(world: World) -> None:
    response = world.client("leader_a1").get(URL + "?week=not-a-date")

    assert response.status_code == 200
    assert f"?week={monday_of(timezone.localdate()) - dt.timedelta(days=7)}" in text(response)
