"""The roster (排班): a shift's checks (membership, length, overlap), who may plan and cancel, the
audit trail, and who is on shift in an area at a moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.conftest import PASSWORD, World
from anquan.org import services as org
from anquan.org.choices import Role
from anquan.org.models import User
from anquan.platform.models import AuditEntry
from anquan.workorders import roster
from anquan.workorders.models import Shift

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def soon() -> dt.datetime:
    """The next full hour (shifts below start there)."""
    return timezone.now().replace(minute=0, second=0, microsecond=0) + H


def plan(world: World, who: str = "worker_a1", *, by: str = "leader_a1", team: object = None,
         start: dt.datetime | None = None, hours: float = 8) -> Shift:  # fmt: skip
    starts_at = start or soon()
    return roster.plan_shift(
        world.user(by), team=team or world.team_a1, user=world.user(who),
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours),
    )  # fmt: skip


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_a_team_leader_plans_a_shift_of_a_member_and_it_is_audited(world: World) -> None:
    start = soon()

    shift = plan(world, start=start, hours=12)

    assert (shift.team, shift.user, shift.starts_at, shift.ends_at, shift.created_by) == (
        world.team_a1, world.user("worker_a1"), start, start + 12 * H, world.user("leader_a1"),
    )  # fmt: skip
    entry = AuditEntry.objects.get(model="workorders.shift", object_id=str(shift.pk))
    assert (entry.action, entry.actor_id, entry.site_id) == (
        "create",
        world.user("leader_a1").pk,
        world.site_a.pk,
    )


def test_the_person_must_belong_to_the_team(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        plan(world, "worker_a2")  # a member of 泵房二班

    assert errors(exc) == {"user": ["员工乙 不属于班组 罐区一班。"]}
    assert Shift.objects.count() == 0


def test_holding_a_role_at_the_team_is_belonging_too(world: World) -> None:
    relief = world.users["relief"] = org.create_user(
        None, username="relief", password=PASSWORD, name="替班员", roles=[(Role.WORKER, world.team_a1)]
    )

    shift = plan(world, "relief")

    assert shift.user == relief


def test_an_inactive_person_cannot_be_on_shift(world: World) -> None:
    org.update_user(None, world.user("worker_a1"), is_active=False)

    with pytest.raises(ValidationError) as exc:
        plan(world)

    assert errors(exc) == {"user": ["请选择在职人员。"]}


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (0, "结束时间必须晚于开始时间。"),
        (-2, "结束时间必须晚于开始时间。"),
        (24.25, "一个班次最长 24 小时。"),
    ],
)
def test_a_shift_ends_after_it_starts_and_lasts_at_most_24_hours(
    world: World, hours: float, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        plan(world, hours=hours)

    assert errors(exc) == {"ends_at": [message]}


def test_a_24_hour_shift_is_allowed(world: World) -> None:
    shift = plan(world, hours=24)

    assert shift.ends_at - shift.starts_at == 24 * H


def test_naive_times_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        roster.plan_shift(
            world.user("leader_a1"), team=world.team_a1, user=world.user("worker_a1"),
            starts_at=dt.datetime(2026, 12, 1, 8), ends_at=dt.datetime(2026, 12, 1, 20),
        )  # fmt: skip

    assert errors(exc) == {"starts_at": ["请填写开始时间。"], "ends_at": ["请填写结束时间。"]}


def test_overlapping_shifts_of_one_person_are_refused_even_in_another_team(world: World) -> None:
    start = timezone.make_aware(dt.datetime(2026, 12, 1, 8, 0))
    plan(world, start=start, hours=12)  # 08:00–20:00 (Asia/Shanghai)
    two_teams = world.user("worker_a1")
    org.assign_role(None, user=two_teams, role=Role.WORKER, scope=world.team_a2)

    with pytest.raises(ValidationError) as exc:
        plan(world, by="officer_a", team=world.team_a2, start=start + 11 * H, hours=4)

    assert errors(exc) == {
        "starts_at": ["员工甲 在 12-01 08:00–12-01 20:00 已有班次（罐区一班），时间不能重叠。"]
    }
    assert Shift.objects.count() == 1


def test_back_to_back_shifts_and_other_people_at_the_same_time_are_fine(world: World) -> None:
    start = soon()
    first = plan(world, start=start, hours=8)

    following = plan(world, start=first.ends_at, hours=8)
    colleague = plan(world, "leader_a1", start=start, hours=8)

    assert Shift.objects.filter(pk__in=[first.pk, following.pk, colleague.pk]).count() == 3


def test_a_worker_may_not_plan(world: World) -> None:
    with pytest.raises(PermissionDenied):
        plan(world, by="worker_a1")


def test_another_areas_manager_may_not_plan_but_the_areas_own_and_the_site_officer_may(world: World) -> None:
    world.users["manager_a2"] = org.create_user(
        None,
        username="manager_a2",
        password=PASSWORD,
        name="泵房经理",
        roles=[(Role.AREA_MANAGER, world.area_a2)],
    )
    other_site_admin = "admin_b"

    for refused in ("manager_a2", other_site_admin, "expert", "contractor_a"):
        with pytest.raises(PermissionDenied):
            plan(world, by=refused)
    planned = [plan(world, by=by, start=soon() + i * 10 * H).created_by.username  # type: ignore[union-attr]
               for i, by in enumerate(("manager_a1", "officer_a", "ehs", "root"))]  # fmt: skip

    assert planned == ["manager_a1", "officer_a", "ehs", "root"]


def test_another_teams_leader_may_not_plan_for_this_team(world: World) -> None:
    world.users["leader_a2"] = org.create_user(
        None, username="leader_a2", password=PASSWORD, name="班长乙", team=world.team_a2,
        roles=[(Role.TEAM_LEADER, world.team_a2)],
    )  # fmt: skip

    with pytest.raises(PermissionDenied):
        plan(world, by="leader_a2")
    assert plan(world, "worker_a2", by="leader_a2", team=world.team_a2).team == world.team_a2


def test_cancelling_a_shift_deletes_it_and_is_audited(world: World) -> None:
    shift = plan(world)
    pk = shift.pk

    roster.cancel_shift(world.user("manager_a1"), shift)

    assert not Shift.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.filter(model="workorders.shift", object_id=str(pk)).order_by("seq").last()
    assert entry is not None and (entry.action, entry.actor_id) == ("delete", world.user("manager_a1").pk)


def test_a_worker_may_not_cancel_and_an_ended_shift_stays(world: World) -> None:
    future = plan(world)
    ended = plan(world, start=soon() - 30 * H, hours=8)

    with pytest.raises(PermissionDenied):
        roster.cancel_shift(world.user("worker_a1"), future)
    with pytest.raises(ValidationError) as exc:
        roster.cancel_shift(world.user("leader_a1"), ended)

    assert errors(exc) == {"shift": ["已结束的班次不能取消。"]}
    assert Shift.objects.count() == 2


def test_on_shift_lists_the_people_on_duty_in_the_areas_teams_at_a_moment(world: World) -> None:
    start = soon()
    plan(world, start=start, hours=8)
    plan(world, "leader_a1", start=start + 4 * H, hours=8)
    plan(world, "worker_a2", by="officer_a", team=world.team_a2, start=start, hours=8)

    def names(at: dt.datetime) -> list[str]:
        return [u.username for u in roster.on_shift(world.area_a1, at)]

    assert names(start - dt.timedelta(seconds=1)) == []
    assert names(start) == ["worker_a1"]
    assert names(start + 5 * H) == sorted(["worker_a1", "leader_a1"], key=lambda n: world.user(n).pk)
    assert names(start + 8 * H) == ["leader_a1"]  # the end is not part of the shift
    assert [u.username for u in roster.on_shift(world.area_a2, start)] == ["worker_a2"]
    org.update_user(None, world.user("worker_a1"), is_active=False)
    assert names(start) == []


def test_plannable_teams_and_the_people_of_them(world: World) -> None:
    def teams(key: str) -> list[str]:
        return [t.name for t in roster.plannable_teams(world.user(key))]

    assert teams("leader_a1") == ["罐区一班"]
    assert teams("manager_a1") == ["罐区一班"]
    assert sorted(teams("officer_a")) == sorted(["罐区一班", "泵房二班"])
    assert teams("worker_a1") == []
    assert teams("admin_b") == ["西罐区一班"]
    people = roster.team_people([world.team_a1])
    assert sorted(u.username for u in people) == ["leader_a1", "worker_a1"]
    assert isinstance(people.first(), User)
