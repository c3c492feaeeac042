"""Recurring shifts (循环排班) and the shift API: a pattern's expansion (across midnight, a rotation,
a daylight-saving change), all-or-nothing planning with the single shift's checks, one audit entry,
the API's filters and field errors, the roster page's pattern form, and dispatch picking the person
of a recurring shift."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.platform.models import AuditEntry
from anquan.workorders import roster
from anquan.workorders.choices import DispatchRule
from anquan.workorders.models import Shift, ShiftPattern
from anquan.workorders.tests.helpers import tank_order

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
API = "/api/v1/workorders"
MONDAY = dt.date(2030, 3, 4)  # a Monday in the future: the shifts below can still be cancelled


def at(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def rows(planned: list[Any]) -> list[tuple[str, str, str]]:
    return [
        (
            user.username,
            f"{timezone.localtime(s, SHANGHAI):%m-%d %H:%M}",
            f"{timezone.localtime(e, SHANGHAI):%m-%d %H:%M}",
        )
        for user, s, e in planned
    ]


def plan_nights(world: World, *, by: str = "leader_a1", **overrides: Any) -> ShiftPattern:
    """Night shifts 20:00 + 12 h for a week, worker_a1 and leader_a1 in turn."""
    fields: dict[str, Any] = {
        "team": world.team_a1,
        "people": [world.user("worker_a1"), world.user("leader_a1")],
        "start_time": dt.time(20, 0),
        "duration": 12 * H,
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "first_day": MONDAY,
        "last_day": MONDAY + dt.timedelta(days=6),
    }
    fields.update(overrides)
    return roster.plan_pattern(world.user(by), **fields)


# --- expansion -------------------------------------------------------------------------------------
def test_day_shifts_on_the_chosen_weekdays(world: World) -> None:
    planned = roster.expand(
        [world.user("worker_a1")], start_time=dt.time(8, 0), duration=12 * H, weekdays=[0, 2, 4],
        first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=7), zone=SHANGHAI,
    )  # fmt: skip

    assert rows(planned) == [
        ("worker_a1", "03-04 08:00", "03-04 20:00"),
        ("worker_a1", "03-06 08:00", "03-06 20:00"),
        ("worker_a1", "03-08 08:00", "03-08 20:00"),
        ("worker_a1", "03-11 08:00", "03-11 20:00"),  # the next Monday, the last day
    ]


def test_night_shifts_cross_midnight_and_a_rotation_takes_turns(world: World) -> None:
    people = [world.user("worker_a1"), world.user("leader_a1"), world.user("manager_a1")]

    planned = roster.expand(
        people, start_time=dt.time(20, 0), duration=12 * H, weekdays=range(7),
        first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=3), zone=SHANGHAI,
    )  # fmt: skip

    assert rows(planned) == [
        ("worker_a1", "03-04 20:00", "03-05 08:00"),
        ("leader_a1", "03-05 20:00", "03-06 08:00"),
        ("manager_a1", "03-06 20:00", "03-07 08:00"),
        ("worker_a1", "03-07 20:00", "03-08 08:00"),
    ]


def test_a_daylight_saving_change_keeps_the_clock_times() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go 02:00 → 03:00 on Sunday 29 March 2026
    person: Any = object()

    nights = roster.expand(
        [person], start_time=dt.time(20, 0), duration=12 * H, weekdays=range(7),
        first_day=dt.date(2026, 3, 28), last_day=dt.date(2026, 3, 29), zone=berlin,
    )  # fmt: skip
    early = roster.expand(
        [person], start_time=dt.time(2, 30), duration=8 * H, weekdays=range(7),
        first_day=dt.date(2026, 3, 29), last_day=dt.date(2026, 3, 29), zone=berlin,
    )  # fmt: skip

    (_p, start, end), (_q, start2, end2) = nights
    assert (start, end) == (
        at(dt.date(2026, 3, 28), 20, zone=berlin),
        at(dt.date(2026, 3, 29), 8, zone=berlin),
    )
    assert end - start == 11 * H  # the night the clocks go forward is an hour shorter
    assert (f"{start2.astimezone(berlin):%H:%M%z}", end2 - start2) == ("20:00+0200", 12 * H)  # summer time
    ((_r, gap_start, gap_end),) = early
    assert f"{gap_start.astimezone(berlin):%H:%M%z}" == "03:30+0200"  # 02:30 does not exist: after the gap
    assert gap_end == at(dt.date(2026, 3, 29), 10, 30, zone=berlin)


# --- planning --------------------------------------------------------------------------------------
def test_a_pattern_plans_its_shifts_in_one_audited_action(world: World) -> None:
    pattern = plan_nights(world)

    shifts = list(Shift.objects.filter(pattern=pattern).order_by("starts_at"))
    assert [(s.user.username, timezone.localtime(s.starts_at, SHANGHAI).day) for s in shifts] == [
        ("worker_a1", 4), ("leader_a1", 5), ("worker_a1", 6), ("leader_a1", 7), ("worker_a1", 8),
        ("leader_a1", 9), ("worker_a1", 10),
    ]  # fmt: skip
    assert all(s.ends_at - s.starts_at == 12 * H and s.created_by == world.user("leader_a1") for s in shifts)
    assert (pattern.rotation, pattern.duration_minutes, pattern.weekdays) == (
        [world.user("worker_a1").pk, world.user("leader_a1").pk], 720, [0, 1, 2, 3, 4, 5, 6],
    )  # fmt: skip
    (entry,) = AuditEntry.objects.filter(model__in=["workorders.shiftpattern", "workorders.shift"])
    assert (entry.model, entry.object_id, entry.action, entry.actor_id, entry.site_id) == (
        "workorders.shiftpattern", str(pattern.pk), "create", world.user("leader_a1").pk, world.site_a.pk,
    )  # fmt: skip
    assert entry.changes["shifts"] == [s.pk for s in sorted(shifts, key=lambda s: s.pk)]


def test_one_overlap_refuses_the_whole_pattern(world: World) -> None:
    roster.plan_shift(
        world.user("leader_a1"), team=world.team_a1, user=world.user("worker_a1"),
        starts_at=at(MONDAY + dt.timedelta(days=2), 18), ends_at=at(MONDAY + dt.timedelta(days=2), 22),
    )  # fmt: skip
    audited = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as exc:
        plan_nights(world)

    assert exc.value.message_dict == {
        "starts_at": ["员工甲 在 03-06 18:00–03-06 22:00 已有班次（罐区一班），时间不能重叠。"]
    }
    assert (Shift.objects.count(), ShiftPattern.objects.count(), AuditEntry.objects.count()) == (
        1,
        0,
        audited,
    )


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"people": []}, {"people": ["请至少选择一位当班人员。"]}),
        ({"people": ["worker_a2"]}, {"people": ["员工乙 不属于班组 罐区一班。"]}),
        ({"duration": 25 * H}, {"duration": ["一个班次最长 24 小时。"]}),
        ({"weekdays": []}, {"weekdays": ["请至少选择一个星期几。"]}),
        ({"weekdays": [7]}, {"weekdays": ["星期几必须是 0（周一）到 6（周日）。"]}),
        ({"last_day": MONDAY - dt.timedelta(days=1)}, {"last_day": ["结束日期不能早于起始日期。"]}),
        ({"last_day": MONDAY + dt.timedelta(days=92)}, {"last_day": ["一次最多排 92 天。"]}),
        (
            {"weekdays": [6], "last_day": MONDAY + dt.timedelta(days=5)},
            {"weekdays": ["所选日期范围内没有所选的星期几。"]},
        ),
    ],
)
def test_a_pattern_s_fields_are_checked(
    world: World, overrides: dict[str, Any], errors: dict[str, Any]
) -> None:
    if "people" in overrides:
        overrides["people"] = [world.user(key) for key in overrides["people"]]

    with pytest.raises(ValidationError) as exc:
        plan_nights(world, **overrides)

    assert exc.value.message_dict == errors
    assert Shift.objects.count() == 0


def test_ninety_two_days_is_the_longest_pattern(world: World) -> None:
    pattern = plan_nights(world, people=[world.user("worker_a1")], last_day=MONDAY + dt.timedelta(days=91))

    assert pattern.shifts.count() == 92


@pytest.mark.parametrize("who", ["worker_a1", "admin_b"])
def test_only_who_may_plan_the_team_plans_a_pattern(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        plan_nights(world, by=who)

    assert (Shift.objects.count(), ShiftPattern.objects.count()) == (0, 0)


def test_dispatch_picks_the_person_of_a_recurring_shift(world: World) -> None:
    today = timezone.localdate()
    plan_nights(
        world,
        people=[world.user("worker_a2")],
        team=world.team_a2,
        start_time=dt.time(0, 0),
        duration=24 * H,
        first_day=today - dt.timedelta(days=1),
        last_day=today + dt.timedelta(days=1),
        by="officer_a",
    )

    order = tank_order(world, equipment=world.equipment["P-201"])  # no responsible person: 泵房

    assert (order.assignee, order.dispatch_rule) == (world.user("worker_a2"), DispatchRule.ON_SHIFT)


# --- the API ---------------------------------------------------------------------------------------
def test_the_shift_list_is_filtered_by_team_person_and_period(world: World) -> None:
    nights = plan_nights(world)
    pump = roster.plan_shift(
        world.user("officer_a"), team=world.team_a2, user=world.user("worker_a2"),
        starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 16),
    )  # fmt: skip
    officer = as_user(world, "officer_a")
    night_ids = [s.pk for s in nights.shifts.order_by("starts_at")]

    def ids(query: str) -> list[int]:
        response = officer.get(f"{API}/shifts?page_size=100&{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("") == [pump.pk, *night_ids]  # by start: the pump's day shift, then the nights
    assert ids(f"team={world.team_a2.pk}") == [pump.pk]
    assert ids(f"user={world.user('leader_a1').pk}") == night_ids[1::2]
    assert ids("from=2030-03-06T00:00:00%2B08:00&to=2030-03-07T00:00:00%2B08:00") == night_ids[1:3]
    first = officer.get(f"{API}/shifts?team={world.team_a2.pk}").json()["items"][0]
    assert first == {
        "id": pump.pk, "team_id": world.team_a2.pk, "team_name": "泵房二班", "user_id": world.user("worker_a2").pk,
        "user_name": "员工乙", "starts_at": "2030-03-04T00:00:00Z", "ends_at": "2030-03-04T08:00:00Z",
        "pattern_id": None, "created_by_id": world.user("officer_a").pk,
    }  # fmt: skip
    assert ids(f"team={world.team_a1.pk}") == night_ids  # a leader of team a1 sees the same list
    assert [i["id"] for i in as_user(world, "leader_a1").get(f"{API}/shifts").json()["items"]] == night_ids


def test_creating_a_shift_through_the_api_checks_its_fields(world: World) -> None:
    leader = as_user(world, "leader_a1")
    body = {
        "team_id": world.team_a1.pk, "user_id": world.user("worker_a1").pk,
        "starts_at": "2030-03-04T08:00:00+08:00", "ends_at": "2030-03-04T20:00:00+08:00",
    }  # fmt: skip

    created = leader.post(f"{API}/shifts", body)
    assert created.status_code == 201, created.content
    assert (created.json()["user_name"], created.json()["ends_at"]) == ("员工甲", "2030-03-04T12:00:00Z")

    def errors(**changes: Any) -> dict[str, list[str]]:
        response = leader.post(f"{API}/shifts", body | changes)
        assert response.status_code in (400, 422), response.content
        return dict(response.json()["errors"])

    assert errors() == {
        "starts_at": ["员工甲 在 03-04 08:00–03-04 20:00 已有班次（罐区一班），时间不能重叠。"]
    }
    assert errors(ends_at="2030-03-04T07:00:00+08:00") == {"ends_at": ["结束时间必须晚于开始时间。"]}
    assert errors(ends_at="2030-03-05T09:00:00+08:00") == {"ends_at": ["一个班次最长 24 小时。"]}
    assert errors(user_id=world.user("worker_a2").pk) == {"user_id": ["员工乙 不属于班组 罐区一班。"]}
    assert errors(team_id=world.team_a2.pk) == {"team_id": ["未找到该记录，或您无权访问。"]}
    assert errors(starts_at="2030-03-05T08:00:00") == {
        "starts_at": ["时间须带时区（如 2026-12-01T08:00:00+08:00）。"]
    }
    assert errors(starts_at="tomorrow").keys() == {"starts_at"}
    assert Shift.objects.count() == 1


def test_a_pattern_through_the_api(world: World) -> None:
    manager = as_user(world, "manager_a1")
    body = {
        "team_id": world.team_a1.pk,
        "people_ids": [world.user("worker_a1").pk, world.user("leader_a1").pk],
        "start_time": "20:00", "hours": 12, "weekdays": [5, 6],
        "first_day": "2030-03-04", "last_day": "2030-03-17",
    }  # fmt: skip

    created = manager.post(f"{API}/shift-patterns", body)

    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["hours"], data["weekdays"], data["people_ids"]) == (12.0, [5, 6], body["people_ids"])
    assert [(s["user_name"], s["starts_at"], s["ends_at"]) for s in data["shifts"]] == [
        ("员工甲", "2030-03-09T12:00:00Z", "2030-03-10T00:00:00Z"),  # Saturday 20:00 in Shanghai
        ("班长甲", "2030-03-10T12:00:00Z", "2030-03-11T00:00:00Z"),
        ("员工甲", "2030-03-16T12:00:00Z", "2030-03-17T00:00:00Z"),
        ("班长甲", "2030-03-17T12:00:00Z", "2030-03-18T00:00:00Z"),
    ]

    again = manager.post(f"{API}/shift-patterns", body)
    assert again.status_code == 400
    assert len(again.json()["errors"]["starts_at"]) == 4
    too_long = manager.post(f"{API}/shift-patterns", body | {"last_day": "2030-06-30"})
    assert too_long.json()["errors"] == {"last_day": ["一次最多排 92 天。"]}
    outsider = manager.post(f"{API}/shift-patterns", body | {"people_ids": [world.user("worker_a2").pk]})
    assert outsider.json()["errors"] == {"people_ids": ["员工乙 不属于班组 罐区一班。"]}
    assert manager.post(f"{API}/shift-patterns", body | {"hours": 30}).status_code == 422
    assert (ShiftPattern.objects.count(), Shift.objects.count()) == (1, 4)


def test_cancelling_through_the_api(world: World) -> None:
    leader = as_user(world, "leader_a1")
    future = plan_nights(world).shifts.order_by("starts_at").first()
    assert future is not None
    past = roster.plan_shift(
        world.user("leader_a1"), team=world.team_a1, user=world.user("worker_a1"),
        starts_at=timezone.now() - 10 * H, ends_at=timezone.now() - 2 * H,
    )  # fmt: skip

    assert leader.delete(f"{API}/shifts/{future.pk}").status_code == 204
    refused = leader.delete(f"{API}/shifts/{past.pk}")
    assert (refused.status_code, refused.json()["errors"]) == (400, {"shift": ["已结束的班次不能取消。"]})
    assert not Shift.objects.filter(pk=future.pk).exists() and Shift.objects.filter(pk=past.pk).exists()


# --- the roster page -------------------------------------------------------------------------------
def test_the_roster_page_plans_a_pattern(world: World) -> None:
    client = world.client("leader_a1")
    form = {
        "pattern-team": world.team_a1.pk,
        "pattern-people": [world.user("worker_a1").pk],
        "pattern-start_time": "08:00",
        "pattern-hours": "12",
        "pattern-weekdays": ["0", "1", "2", "3", "4"],
        "pattern-first_day": "2030-03-04",
        "pattern-last_day": "2030-03-10",
    }

    page = client.get("/workorders/roster/?week=2030-03-04")
    assert 'id="pattern-form"' in page.content.decode()
    response = client.post("/workorders/roster/pattern/?week=2030-03-04", form)

    assert (response.status_code, response["Location"]) == (302, "/workorders/roster/?week=2030-03-04")
    assert Shift.objects.filter(pattern__isnull=False, user=world.user("worker_a1")).count() == 5
    week = client.get(response["Location"]).content.decode()
    assert "已按循环排班生成 5 个班次（2030-03-04 至 2030-03-10）。" in week

    clash = client.post("/workorders/roster/pattern/?week=2030-03-04", form)
    assert clash.status_code == 400
    assert "员工甲 在 03-04 08:00–03-04 20:00 已有班次（罐区一班），时间不能重叠。" in clash.content.decode()
    too_long = client.post("/workorders/roster/pattern/", form | {"pattern-hours": "30"})
    assert too_long.status_code == 400
    assert Shift.objects.count() == 5
    assert world.client("worker_a1").post("/workorders/roster/pattern/", form).status_code == 403
