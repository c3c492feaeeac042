"""The demo's safety work (issue 5): hazards, inspections, work orders, the AI inspection
assistant's signals and the daily report, loaded through the services at a fixed instant."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from anquan.conftest import FAST_HASHERS
from anquan.demo import loader, safety, simulate
from anquan.demo import site as demo
from anquan.demo.logins import logins_table
from anquan.hazards.choices import HazardGrade, HazardState, PlanStatus, RejectKind
from anquan.hazards.models import Hazard, MajorHazardPlan
from anquan.inspections.choices import HealthBand, Outcome, RoundStatus, SignalKind
from anquan.inspections.models import DailyReport, HealthScore, ItemResult, Plan, ReportSetting, Round, Signal
from anquan.org.models import Site
from anquan.platform.attachments.models import Attachment
from anquan.simulator import scenarios as sc
from anquan.workorders.choices import OriginKind, State
from anquan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 11, 14, 0, tzinfo=SHANGHAI)  # a Wednesday afternoon, local time


@pytest.fixture(scope="module")
def loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Site]:
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        enterprise = loader.load()
        yield Site.objects.get(enterprise=enterprise, code=demo.SITE["code"])
        transaction.set_rollback(True)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_hazards_are_in_a_believable_mix_of_states(loaded: Site) -> None:
    states = Counter(Hazard.objects.filter(site=loaded).values_list("state", flat=True))
    assert states == {
        HazardState.REPORTED: 2,
        HazardState.REJECTED: 1,
        HazardState.VERIFIED: 1,
        HazardState.RECTIFYING: 3,
        HazardState.AWAITING_ACCEPTANCE: 1,
        HazardState.ACCEPTED: 1,
        HazardState.CLOSED: 3,
    }
    oldest = Hazard.objects.order_by("reported_at").first()
    assert oldest is not None and oldest.reported_at == NOW - dt.timedelta(days=26)
    closed = Hazard.objects.filter(state=HazardState.CLOSED)
    # closed 3.1 days after the report (5.1 for the one fixed a day late)
    assert sorted(round((h.closed_at - h.reported_at).total_seconds() / 86400, 1) for h in closed) == [
        3.1,
        3.1,
        5.1,
    ]
    late = closed.get(reported_at=NOW - dt.timedelta(days=26))
    assert late.rectified_at > late.deadline  # the metrics' on-time rate has something to count
    overdue = Hazard.objects.filter(state=HazardState.RECTIFYING, deadline__lt=NOW)
    assert [h.equipment.code for h in overdue] == ["P-201"]
    assert all(h.grade == HazardGrade.GENERAL and h.lec_d for h in Hazard.objects.filter(state=HazardState.RECTIFYING)
               .exclude(equipment__code="V-403"))  # fmt: skip


def test_the_contractor_reported_one_and_a_duplicate_was_rejected(loaded: Site) -> None:
    reported = Hazard.objects.filter(state=HazardState.REPORTED).order_by("reported_at")
    assert [h.reporter.username for h in reported] == [safety.REPORTER, safety.CONTRACTOR_REPORTER]
    rejected = Hazard.objects.get(state=HazardState.REJECTED)
    assert rejected.reject_kind == RejectKind.DUPLICATE
    assert rejected.duplicate_of == reported[0]
    assert "防火堤排水阀" in reported[0].description


def test_the_major_hazard_has_its_approved_plan_and_is_being_rectified(loaded: Site) -> None:
    major = Hazard.objects.get(grade=HazardGrade.MAJOR)
    assert major.state == HazardState.RECTIFYING
    assert major.equipment.code == "V-403"
    assert major.report_upward
    plan = MajorHazardPlan.objects.get(hazard=major)
    assert plan.status == PlanStatus.APPROVED
    assert plan.approved_by.username == demo.EHS_DIRECTOR
    # found on 2026-03-03, while the 2017 determination standard was in force: it cites item 15
    assert [(c["code"], c["number"]) for c in major.criteria] == [("安监总管三〔2017〕121号", 15)]


def test_after_the_2017_standard_the_major_hazard_is_graded_by_judgement_alone() -> None:
    hazard = Hazard(reported_at=dt.datetime(2026, 10, 8, 10, tzinfo=SHANGHAI))
    assert safety._major_criteria(hazard) == []


def test_photos_are_the_evidence_of_reports_and_rectifications(loaded: Site) -> None:
    hazard_type = ContentType.objects.get_for_model(Hazard)
    photos = Attachment.objects.filter(owner_type=hazard_type)
    assert photos.count() == 12 + 5  # each report, and each rectification done
    awaiting = Hazard.objects.get(state=HazardState.AWAITING_ACCEPTANCE)
    assert awaiting.rectified_by.username == "pengfei"
    assert photos.filter(owner_id=awaiting.pk).count() == 2


def test_routes_and_plans_cover_the_tank_farm_pump_house_and_hydrogen_unit(loaded: Site) -> None:
    plans = Plan.objects.filter(site=loaded).select_related("route__area", "team")
    assert sorted((p.route.area.code, p.team.code, p.name) for p in plans) == [
        ("hydrogen", "h2", "氢气单元夜班巡检"),
        ("hydrogen", "h2", "氢气单元白班巡检"),
        ("pump-house", "maint", "泵房日常巡检"),
        ("tank-farm", "tank-1", "罐区白班巡检"),
        ("tank-farm", "tank-2", "罐区夜班巡检"),
    ]
    items = [i for route in safety.ROUTES for _n, _e, items in route[3] for i in items]
    assert sum(1 for i in items if i[5]) == 3  # photo-required items
    assert {i[1] for i in items} == {"pass_fail", "reading"}


def test_rounds_walked_late_missed_failed_and_todays_waiting(loaded: Site) -> None:
    rounds = Round.objects.filter(site=loaded)
    assert Counter(rounds.values_list("status", flat=True)) == {
        RoundStatus.COMPLETED: 11,
        RoundStatus.MISSED: 1,
        RoundStatus.SCHEDULED: 3,
    }
    assert list(rounds.filter(late=True).values_list("plan__name", flat=True)) == [safety.LATE_PLAN]
    assert list(rounds.filter(status=RoundStatus.MISSED).values_list("plan__name", flat=True)) == [
        safety.MISSED_PLAN
    ]
    today = rounds.filter(status=RoundStatus.SCHEDULED)
    assert all(r.starts_at <= NOW < r.due_at for r in today)
    failed = ItemResult.objects.get(outcome=Outcome.FAIL)
    assert failed.value == safety.FAILED_READING
    assert failed.item.checkpoint.equipment.code == "P-202"
    order = WorkOrder.objects.get(origin_kind=OriginKind.INSPECTION)
    assert order.origin_id == failed.pk
    assert failed.follow_up_id == order.pk


def test_work_orders_in_several_states(loaded: Site) -> None:
    orders = WorkOrder.objects.filter(site=loaded)
    assert Counter(orders.values_list("origin_kind", "state")) == {
        (OriginKind.INSPECTION, State.IN_PROGRESS): 1,
        (OriginKind.MANUAL, State.OPEN): 1,
        (OriginKind.MANUAL, State.ACCEPTED): 1,
        (OriginKind.MANUAL, State.DONE): 1,
        (OriginKind.MANUAL, State.VERIFIED): 1,
    }
    order_type = ContentType.objects.get_for_model(WorkOrder)
    done = orders.filter(state__in=(State.DONE, State.VERIFIED))
    assert all(Attachment.objects.filter(owner_type=order_type, owner_id=o.pk).count() == 1 for o in done)


def test_signal_history_and_health_trends(loaded: Site) -> None:
    steps = safety.SIGNAL_DAYS * 12 + 1
    # The four tanks (thermal, gas) and six pumps: four transfer, two circulating water (and acoustic).
    assert Signal.objects.filter(site=loaded).count() == steps * (4 * 2 + 6 * 3)
    assert Counter(Signal.objects.values_list("kind", flat=True)) == {
        SignalKind.THERMAL: steps * 10,
        SignalKind.GAS: steps * 10,
        SignalKind.ACOUSTIC: steps * 6,
    }
    assert HealthScore.objects.filter(site=loaded).count() == (safety.SIGNAL_DAYS * 6 + 1) * 10  # every 4 h
    newest = {s.equipment.code: s for s in HealthScore.objects.filter(at=NOW).select_related("equipment")}
    assert len(newest) == 10
    assert newest["P-202"].band == HealthBand.WATCH  # the bearing wearing for three and a half days
    assert all(s.band == HealthBand.NORMAL for code, s in newest.items() if code != "P-202")
    trend = list(
        HealthScore.objects.filter(equipment__code="P-202").order_by("at").values_list("score", flat=True)
    )
    assert trend[0] > trend[-1]
    # T-101 lost its spray cooling yesterday afternoon: its hot spot dipped its health then.
    t101 = HealthScore.objects.filter(equipment__code="T-101")
    assert t101.filter(band=HealthBand.NORMAL).count() < t101.count()


def test_yesterdays_health_report_is_built_for_its_subscribers(loaded: Site) -> None:
    setting = ReportSetting.objects.get(site=loaded)
    assert setting.send_at == safety.REPORT_SEND_AT
    assert set(setting.subscribers.values_list("username", flat=True)) == {
        demo.EHS_DIRECTOR,
        safety.SAFETY_OFFICER,
    }
    report = DailyReport.objects.get(site=loaded)
    assert report.date == dt.date(2026, 3, 10)
    assert report.content["inspections"] == {"due": 5, "completed": 4, "missed": 1, "late": 0}
    assert report.content["anomalies"]["failed_count"] == 1
    assert report.content["assets"]["items"][0]["code"] == "P-202"


def test_loading_again_changes_nothing(loaded: Site, frozen: None) -> None:
    counts = (
        Hazard.objects.count(),
        Round.objects.count(),
        WorkOrder.objects.count(),
        Signal.objects.count(),
    )
    assert loader.is_loaded()
    out = StringIO()
    call_command("load_demo", stdout=out, history_days=0)
    assert "演示场所已加载" in out.getvalue()
    assert "隐患" not in out.getvalue()
    assert (
        Hazard.objects.count(),
        Round.objects.count(),
        WorkOrder.objects.count(),
        Signal.objects.count(),
    ) == counts


def test_the_logins_name_the_people_of_the_hazard_loop(loaded: Site) -> None:
    text = "\n".join(logins_table())
    for username in (safety.REPORTER, safety.SAFETY_OFFICER, safety.RECTIFIER, safety.ACCEPTOR):
        assert f"{username}（" in text
    assert "1 上报隐患：lintao（林涛）、maqiang（马强）" in text
    assert "4 验收：chenhaitao（陈海涛）、yanglihua（杨丽华）" in text


def test_the_live_simulator_posts_inspection_signals_with_its_faults(loaded: Site, frozen: None) -> None:
    now_s = NOW.timestamp()
    runner = simulate.LiveRunner(loaded, _Null(), seed=3, clock=lambda: now_s)
    before = Signal.objects.count()
    assert runner.post_signals(int(now_s * 1000)) == 26
    assert runner.post_signals(int(now_s * 1000) + 1000) == 0  # not before the next round
    assert Signal.objects.count() == before + 26
    runner.active[1] = sc.Fault(sc.BEARING_WEAR, "P-204", int(now_s * 1000) - 3_600_000, 4500)
    with time_machine.travel(NOW + dt.timedelta(minutes=10), tick=False):
        assert runner.post_signals(int(now_s * 1000) + 600_000) == 26
    newest = (
        Signal.objects.filter(equipment__code="P-204", kind=SignalKind.ACOUSTIC).order_by("-taken_at").first()
    )
    assert newest is not None
    bands = newest.data["bands"]
    assert bands["4000"] - newest.data["baseline"]["4000"] > 10


class _Null:
    def start(self) -> None: ...
    def publish(self, site: str, equipment: str, payload: Any) -> None: ...
    def flush(self) -> None: ...
    def stop(self) -> None: ...
