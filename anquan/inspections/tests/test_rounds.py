"""Plans make rounds; rounds are walked, flagged when missed or late, and followed up when failed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anquan.conftest import World
from anquan.hazards.models import Hazard
from anquan.inspections import services
from anquan.inspections.choices import Cycle, DayRule, ItemKind, OnFail, Outcome, RoundStatus
from anquan.inspections.events import CheckItemFailed, RoundCompleted, RoundMissed
from anquan.inspections.models import CheckIn, ItemResult, Round
from anquan.inspections.tests.conftest import SHANGHAI, WEDNESDAY_9, Setup, photo
from anquan.notifications.models import Notification
from anquan.platform.attachments.models import Attachment
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry
from anquan.workorders.models import WorkOrder


def at(hour: int, minute: int = 0, day: int = 25) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def the_round(setup: Setup) -> Round:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    return made


# --- configuration -----------------------------------------------------------------------------
def test_checkpoints_get_random_unguessable_codes(world: World, setup: Setup) -> None:
    codes = {setup.tank.code, setup.dike.code}
    assert len(codes) == 2
    assert all(len(c) == 16 and c.isalnum() and c.isupper() for c in codes)
    assert (setup.tank.area, setup.tank.equipment, setup.dike.area) == (
        world.area_a1,
        world.equipment["T-101"],
        world.area_a1,
    )


def test_configuring_needs_the_plan_capability_where_it_applies(world: World, setup: Setup) -> None:
    with pytest.raises(PermissionDenied):
        services.create_route(world.user("worker_a1"), area=world.area_a1, name="x")
    with pytest.raises(PermissionDenied):  # an area manager of the tank farm, not of the pump house
        services.create_route(world.user("manager_a1"), area=world.area_a2, name="x")
    route = services.create_route(world.user("manager_a1"), area=world.area_a1, name="罐区夜巡")
    assert route.site == world.site_a


def test_bad_configuration_is_refused_with_field_errors(world: World, setup: Setup) -> None:
    officer = world.user("officer_a")
    with pytest.raises(ValidationError) as exc:
        services.add_item(officer, setup.tank, name="", kind=ItemKind.READING, low=50, high=10)
    assert exc.value.message_dict == {"name": ["此字段为必填项。"], "high": ["上限不能小于下限。"]}
    with pytest.raises(ValidationError) as exc:
        services.add_checkpoint(officer, setup.route, name="西区储罐", equipment=world.equipment["T-901"])
    assert exc.value.message_dict == {"equipment": ["巡检点必须在路线所在的场所内。"]}
    with pytest.raises(ValidationError) as exc:
        services.create_plan(
            officer, route=setup.route, team=world.team_a1, name="周检", cycle=Cycle.WEEK,
            day_rule=DayRule.WORKING_DAYS, window_minutes=2,
        )  # fmt: skip
    assert exc.value.message_dict == {
        "day_rule": ["每周、每月的计划不按工作日筛选，请选择“每天”。"],
        "window_minutes": ["完成时限须为 5 ~ 10080 分钟。"],
    }


# --- generation --------------------------------------------------------------------------------
def test_the_scheduler_makes_the_current_round_once(world: World, setup: Setup) -> None:
    made = the_round(setup)
    assert (made.plan, made.team, made.route, made.status) == (
        setup.plan,
        world.team_a1,
        setup.route,
        RoundStatus.SCHEDULED,
    )
    assert (made.starts_at, made.due_at) == (at(8), at(10))
    assert services.generate_rounds(WEDNESDAY_9 + dt.timedelta(minutes=5)) == []
    assert services.generate_rounds(at(8, 0, day=26)) != []
    assert Round.objects.count() == 2


def test_inactive_plans_and_skipped_days_make_no_round(world: World, setup: Setup) -> None:
    services.create_plan(
        world.user("officer_a"), route=setup.route, team=world.team_a1, name="周末巡检", cycle=Cycle.DAY,
        day_rule=DayRule.NON_WORKING_DAYS,
    )  # fmt: skip
    services.set_plan_active(world.user("officer_a"), setup.plan, False)
    assert services.generate_rounds(WEDNESDAY_9) == []
    (weekend,) = services.generate_rounds(at(9, day=28))
    assert weekend.plan.name == "周末巡检"


def test_rounds_not_started_by_their_due_time_are_missed(world: World, setup: Setup) -> None:
    made = the_round(setup)
    assert services.flag_overdue(at(9, 59)) == (0, 0)
    with captured() as events:
        assert services.flag_overdue(at(10, 1)) == (1, 0)
    made.refresh_from_db()
    assert made.status == RoundStatus.MISSED
    assert events == [RoundMissed(round_id=made.pk, site_id=world.site_a.pk, team_id=world.team_a1.pk)]
    with pytest.raises(ValidationError) as exc:
        services.start_round(world.user("worker_a1"), made, at(10, 5))
    assert exc.value.message_dict == {"round": ["该巡检任务已漏检，不能再执行。"]}


# --- walking -----------------------------------------------------------------------------------
def walk(world: World, setup: Setup, made: Round, *, temperature: float = 25.0, finish: dt.datetime) -> Round:
    worker = world.user("worker_a1")
    services.check_in(worker, made, setup.tank.code, at(8, 10))
    services.record_result(worker, made, setup.temperature, value=temperature, at=at(8, 11))
    services.check_in(worker, made, setup.dike.code.lower(), at(8, 20))
    services.record_result(worker, made, setup.leak, ok=True, photos=[photo()], at=at(8, 21))
    return services.finish_round(worker, made, finish)


def test_a_round_walked_in_time(world: World, setup: Setup) -> None:
    made = the_round(setup)
    with captured() as events:
        made = walk(world, setup, made, finish=at(9, 30))
    assert (made.status, made.late, made.walker, made.started_at) == (
        RoundStatus.COMPLETED,
        False,
        world.user("worker_a1"),
        at(8, 10),
    )
    assert [(c.checkpoint, c.at) for c in CheckIn.objects.filter(round=made)] == [
        (setup.tank, at(8, 10)),
        (setup.dike, at(8, 20)),
    ]
    assert [e for e in events if isinstance(e, RoundCompleted)] == [
        RoundCompleted(
            round_id=made.pk, site_id=world.site_a.pk, team_id=world.team_a1.pk, late=False, failed_items=0
        )
    ]
    leak = ItemResult.objects.get(round=made, item=setup.leak)
    assert Attachment.objects.filter(owner_id=leak.pk, owner_type__model="itemresult").count() == 1


def test_finishing_after_the_due_time_is_late(world: World, setup: Setup) -> None:
    made = walk(world, setup, the_round(setup), finish=at(10, 30))
    assert (made.status, made.late) == (RoundStatus.COMPLETED, True)
    assert services.flag_overdue(at(11)) == (0, 0)  # already flagged


def test_check_in_refuses_unknown_codes_and_checkpoints_of_another_route(world: World, setup: Setup) -> None:
    made = the_round(setup)
    worker = world.user("worker_a1")
    other = services.create_route(world.user("officer_a"), area=world.area_a2, name="泵房巡检")
    pump = services.add_checkpoint(
        world.user("officer_a"), other, name="1号泵", equipment=world.equipment["P-201"]
    )
    with pytest.raises(ValidationError) as exc:
        services.check_in(worker, made, "NOTACODE", at(8, 5))
    assert exc.value.message_dict == {"code": ["点位码无效：没有这个巡检点。"]}
    with pytest.raises(ValidationError) as exc:
        services.check_in(worker, made, pump.code, at(8, 5))
    assert exc.value.message_dict == {"code": ["该巡检点不属于本次巡检路线（1号泵）。"]}
    assert CheckIn.objects.count() == 0
    made.refresh_from_db()
    assert made.status == RoundStatus.SCHEDULED  # a refused check-in starts nothing


def test_items_need_a_check_in_first_and_their_photo(world: World, setup: Setup) -> None:
    made = the_round(setup)
    worker = world.user("worker_a1")
    services.check_in(worker, made, setup.tank.code, at(8, 10))
    with pytest.raises(ValidationError) as exc:
        services.record_result(worker, made, setup.leak, ok=True)
    assert exc.value.message_dict == {"item": ["请先在“防火堤”扫码签到。"]}
    services.check_in(worker, made, setup.dike.code, at(8, 20))
    with pytest.raises(ValidationError) as exc:
        services.record_result(worker, made, setup.leak, ok=True)
    assert exc.value.message_dict == {"photos": ["此检查项须拍照。"]}
    with pytest.raises(ValidationError) as exc:
        services.record_result(worker, made, setup.temperature, value="热")
    assert exc.value.message_dict == {"value": ["请输入数字。"]}


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(0.0, Outcome.PASS), (40.0, Outcome.PASS), (-0.5, Outcome.FAIL), (40.1, Outcome.FAIL)],
)
def test_a_reading_passes_within_its_limits(world: World, setup: Setup, value: float, outcome: str) -> None:
    made = the_round(setup)
    services.check_in(world.user("worker_a1"), made, setup.tank.code, at(8, 10))
    result = services.record_result(world.user("worker_a1"), made, setup.temperature, value=value)
    assert result.outcome == outcome
    assert result.follow_up == (OnFail.WORK_ORDER if outcome == Outcome.FAIL else OnFail.NONE)


def test_finishing_needs_every_item(world: World, setup: Setup) -> None:
    made = the_round(setup)
    worker = world.user("worker_a1")
    services.check_in(worker, made, setup.tank.code, at(8, 10))
    services.record_result(worker, made, setup.temperature, value=20)
    with pytest.raises(ValidationError) as exc:
        services.finish_round(worker, made, at(9))
    assert exc.value.message_dict == {"round": ["还有检查项未记录：防火堤：防火堤无渗漏。"]}


def test_failed_items_are_followed_up_by_their_rule(world: World, setup: Setup) -> None:
    made = the_round(setup)
    worker = world.user("worker_a1")
    services.check_in(worker, made, setup.tank.code, at(8, 10))
    services.record_result(worker, made, setup.temperature, value=55)
    services.check_in(worker, made, setup.dike.code, at(8, 20))
    services.record_result(worker, made, setup.leak, ok=False, note="东侧渗油", photos=[photo()])
    with captured() as events:
        services.finish_round(worker, made, at(9))
    hot = ItemResult.objects.get(item=setup.temperature)
    leak = ItemResult.objects.get(item=setup.leak)
    assert [e for e in events if isinstance(e, CheckItemFailed | RoundCompleted)] == [
        CheckItemFailed(
            result_id=hot.pk, round_id=made.pk, site_id=world.site_a.pk, area_id=world.area_a1.pk,
            equipment_id=world.equipment["T-101"].pk, on_fail=OnFail.WORK_ORDER, recorded_by_id=worker.pk,
        ),
        CheckItemFailed(
            result_id=leak.pk, round_id=made.pk, site_id=world.site_a.pk, area_id=world.area_a1.pk,
            equipment_id=None, on_fail=OnFail.HAZARD, recorded_by_id=worker.pk,
        ),
        RoundCompleted(round_id=made.pk, site_id=world.site_a.pk, team_id=world.team_a1.pk, late=False, failed_items=2),
    ]  # fmt: skip
    order = WorkOrder.objects.get()
    assert (order.site, order.area, order.equipment, order.priority, order.state) == (
        world.site_a, world.area_a1, world.equipment["T-101"], "medium", "open",
    )  # fmt: skip
    assert (order.title, order.origin_kind, order.origin_id, order.origin_url) == (
        "巡检异常：1号罐罐顶 罐壁温度", "inspection", hot.pk, f"/inspections/rounds/{made.pk}/",
    )  # fmt: skip
    assert order.description == "罐区白班巡检（2026-11-25 08:00）在“1号罐罐顶”检查“罐壁温度”：55 °C。"
    hazard = Hazard.objects.get()  # the leak, reported in the walker's name for the verifier
    assert (hazard.reporter, hazard.area, hazard.equipment, hazard.source, hazard.state) == (
        worker, world.area_a1, None, "daily", "reported",
    )  # fmt: skip
    assert (
        hazard.description
        == "巡检异常：罐区白班巡检（2026-11-25 08:00）在“防火堤”检查“防火堤无渗漏”：异常。东侧渗油"
    )
    hot.refresh_from_db()
    leak.refresh_from_db()
    assert (hot.follow_up_id, leak.follow_up, leak.follow_up_id) == (order.pk, OnFail.HAZARD, hazard.pk)


def test_only_walkers_of_the_team_walk_its_rounds(world: World, setup: Setup) -> None:
    made = the_round(setup)
    audit_before = AuditEntry.objects.count()
    for key in ("worker_a2", "worker_b1", "manager_a1", "contractor_a"):
        with pytest.raises(PermissionDenied):
            services.check_in(world.user(key), made, setup.tank.code, at(8, 10))
    assert (CheckIn.objects.count(), AuditEntry.objects.count()) == (0, audit_before)
    services.check_in(world.user("operator_a"), made, setup.tank.code, at(8, 10))  # site-wide walker


# --- offline batch -----------------------------------------------------------------------------
def batch(setup: Setup, client_uuid: uuid.UUID, *, code: str | None = None) -> dict:
    return {
        "client_uuid": client_uuid,
        "started_at": at(8, 10),
        "finished_at": at(8, 40),
        "checkins": [
            services.BatchCheckIn(code=code or setup.tank.code, at=at(8, 10)),
            services.BatchCheckIn(code=setup.dike.code, at=at(8, 20)),
        ],
        "results": [
            services.BatchResult(item_id=setup.temperature.pk, value=22.5),
            services.BatchResult(item_id=setup.leak.pk, ok=True, photos=[photo()]),
        ],
    }


def test_a_round_walked_offline_is_stored_once(world: World, setup: Setup) -> None:
    made = the_round(setup)
    worker = world.user("worker_a1")
    key = uuid.uuid4()
    made, stored = services.submit_round(worker, made, **batch(setup, key))
    assert stored is True
    assert (made.status, made.started_at, made.finished_at, made.late, made.client_uuid) == (
        RoundStatus.COMPLETED,
        at(8, 10),
        at(8, 40),
        False,
        key,
    )
    counts = (
        CheckIn.objects.count(),
        ItemResult.objects.count(),
        Attachment.objects.count(),
        AuditEntry.objects.count(),
    )
    again, stored = services.submit_round(worker, made, **batch(setup, key))
    assert (stored, again.pk) == (False, made.pk)
    assert (
        CheckIn.objects.count(), ItemResult.objects.count(), Attachment.objects.count(), AuditEntry.objects.count()
    ) == counts  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.submit_round(worker, made, **batch(setup, uuid.uuid4()))
    assert exc.value.message_dict == {"round": ["该巡检任务已完成。"]}


def test_an_offline_batch_is_all_or_nothing(world: World, setup: Setup) -> None:
    made = the_round(setup)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.submit_round(world.user("worker_a1"), made, **batch(setup, uuid.uuid4(), code="WRONGCODE"))
    assert exc.value.message_dict == {"checkins.0.code": ["点位码无效：没有这个巡检点。"]}
    made.refresh_from_db()
    assert (made.status, CheckIn.objects.count(), AuditEntry.objects.count()) == (
        RoundStatus.SCHEDULED,
        0,
        audit_before,
    )


def test_an_offline_walk_in_time_counts_though_the_round_was_flagged_missed(
    world: World, setup: Setup
) -> None:
    made = the_round(setup)
    services.flag_overdue(at(10, 5))  # the phone was offline until after the due time
    made, stored = services.submit_round(world.user("worker_a1"), made, **batch(setup, uuid.uuid4()))
    assert (stored, made.status, made.late) == (True, RoundStatus.COMPLETED, False)


def test_the_team_leader_hears_of_a_missed_round(
    world: World, setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    made = the_round(setup)
    with django_capture_on_commit_callbacks(execute=True):
        services.flag_overdue(at(10, 1))
    notes = Notification.objects.filter(title__startswith="漏检")
    assert [(n.recipient.username, n.title, n.link, n.level) for n in notes] == [
        ("leader_a1", "漏检：罐区白班巡检", f"/inspections/rounds/{made.pk}/", "warning")
    ]
    assert notes[0].body == "罐区一班 的巡检任务“罐区白班巡检”（截止 11-25 10:00）未按时开始，已标记为漏检。"


def test_the_scheduler_runs_the_jobs_periodically(world: World, setup: Setup) -> None:
    from anquan.inspections import tasks
    from anquan.platform.schedule import JOBS

    assert {name: job.every for name, job in JOBS.items() if name.startswith("anquan.inspections.")} == {
        "anquan.inspections.tasks.make_rounds": dt.timedelta(minutes=5),
        "anquan.inspections.tasks.assess_health": dt.timedelta(minutes=15),
        "anquan.inspections.tasks.build_daily_reports": dt.timedelta(minutes=5),
    }
    assert tasks.make_rounds.call() == 1  # the current period's round (real time)
    assert tasks.make_rounds.call() == 0
