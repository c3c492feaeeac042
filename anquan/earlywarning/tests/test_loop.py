"""The early-warning loop through the services: define a model, train it from stored history,
approve it, score readings online, raise an AI alert with its explanation, review it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anquan.earlywarning import services
from anquan.earlywarning.choices import ReviewStatus, VersionStatus
from anquan.earlywarning.events import AIAlertRaised, AIAlertReviewed
from anquan.earlywarning.models import AIAlert, ModelVersion
from anquan.earlywarning.scoring import ScoringHub
from anquan.monitoring import storage
from anquan.monitoring.choices import JournalKind, RuleKind, RuleSource
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmRule
from anquan.plant import services as plant
from anquan.platform.events import captured

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
START_MS = int(START.timestamp() * 1000)
STEP_MS = 10_000


@pytest.fixture
def unit(world: Any) -> Any:
    u = plant.create_unit(None, area=world.area_a1, code="tanks", name="储罐单元")
    tank = world.equipment["T-101"]
    plant.update_equipment(None, tank, unit=u)
    world.tags["PI-101"] = plant.create_tag(
        None, equipment=tank, tag="PI-101", name="1号罐压力", kind="pressure", unit="kPa",
        range_low=Decimal("0"), range_high=Decimal("20"), h=Decimal("12"),
    )  # fmt: skip
    return u


def history(world: Any, n: int, start_ms: int = START_MS, fault_from: int | None = None) -> None:
    """Temperature and pressure that move together (a tank warming in the sun); from ``fault_from``
    on the pressure drops while the temperature keeps rising (a leak)."""
    rng = np.random.default_rng(7)
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-101"].pk
    rows = []
    for i in range(n):
        ts = start_ms + i * STEP_MS
        warm = 25 + 5 * np.sin(i / 200)
        temp = warm + rng.normal(0, 0.1)
        press = 5 + 0.4 * (warm - 25) + rng.normal(0, 0.05)
        if fault_from is not None and i >= fault_from:
            press -= 0.05 * (i - fault_from)
        rows += [(ti, ts, float(temp)), (pi, ts, float(press))]
    storage.write_readings(rows)


def trained(world: Any, unit: Any, **kw: Any) -> ModelVersion:
    model = services.define_model(
        world.user("ehs"), unit=unit, name="储罐单元预警", tags=[world.tags["TI-101"], world.tags["PI-101"]],
        detector="pca", interval_s=10, training_days=1, alerts_per_day=1.0, **kw,
    )  # fmt: skip
    history(world, 8640)  # one day at 10 s
    with captured():
        version = services.request_training(world.user("ehs"), model, end=START + dt.timedelta(days=1))
    assert services.run_training(version.pk) == VersionStatus.READY
    version.refresh_from_db()
    return version


def test_a_model_trains_from_stored_history_into_a_version_awaiting_approval(world, unit):
    version = trained(world, unit)

    assert (version.number, version.status, version.progress) == (1, VersionStatus.READY, 100)
    assert version.tag_codes == ["PI-101", "TI-101"]
    assert version.rows == 8640 and len(version.data_hash) == 64
    assert version.threshold is not None and version.threshold > 0
    assert version.metrics["train_rows"] == 6912 and version.metrics["holdout_rows"] == 1728
    assert version.metrics["holdout_alarm_rate"] <= 0.01
    assert set(version.metrics["envelope"]) == {"PI-101", "TI-101"}
    assert version.model.active_version is None  # not in service before approval


def test_training_without_enough_history_fails_with_the_reason(world, unit):
    model = services.define_model(
        world.user("ehs"), unit=unit, name="空模型", tags=[world.tags["TI-101"], world.tags["PI-101"]]
    )
    with captured():
        version = services.request_training(world.user("ehs"), model, end=START)
    assert services.run_training(version.pk) == VersionStatus.FAILED
    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED
    assert version.message.startswith("训练窗口内完整样本只有 0 个")


def test_bad_definitions_get_every_field_error(world, unit):
    with pytest.raises(ValidationError) as err:
        services.define_model(
            world.user("ehs"), unit=unit, name="", tags=[world.tags["LI-901"]], detector="magic",
            interval_s=7, training_days=0, alerts_per_day=30, notify="never", priority="urgent",
        )  # fmt: skip
    assert set(err.value.message_dict) == {
        "name", "tags", "detector", "interval_s", "training_days", "alerts_per_day", "notify", "priority",
    }  # fmt: skip
    assert err.value.message_dict["tags"] == ["测点必须是本场所的测点。"]


def test_only_configurers_define_and_approve(world, unit):
    with pytest.raises(PermissionDenied):
        services.define_model(world.user("operator_a"), unit=unit, name="x", tags=[world.tags["TI-101"]])
    version = trained(world, unit)
    with pytest.raises(PermissionDenied):
        services.approve_version(world.user("expert"), version)
    assert ModelVersion.objects.get(pk=version.pk).status == VersionStatus.READY


def test_approval_puts_one_version_in_service_and_an_older_one_can_come_back(world, unit):
    v1 = trained(world, unit)
    services.approve_version(world.user("ehs"), v1)
    v2 = services.recalibrate(world.user("ehs"), v1, v1.threshold * 2)
    assert (v2.number, v2.status, v2.threshold) == (2, VersionStatus.READY, v1.threshold * 2)
    services.approve_version(world.user("manager_a1"), v2)
    v1.model.refresh_from_db()
    assert v1.model.active_version_id == v2.pk

    services.activate_version(world.user("ehs"), v1)  # roll back

    v1.model.refresh_from_db()
    assert v1.model.active_version_id == v1.pk
    v2.refresh_from_db()
    assert (v2.approved_by, v2.status) == (world.user("manager_a1"), VersionStatus.APPROVED)


def scored_fault(world: Any, unit: Any) -> AIAlert:
    version = trained(world, unit)
    services.approve_version(world.user("ehs"), version)
    hub = ScoringHub()
    hub.reload()
    day2 = START_MS + 86_400_000
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-101"].pk
    rng = np.random.default_rng(11)
    with captured() as events:
        for i in range(400):
            ts = day2 + i * STEP_MS
            warm = 25 + 5 * np.sin(i / 200)
            press = 5 + 0.4 * (warm - 25) + rng.normal(0, 0.05) - (0.02 * (i - 200) if i >= 200 else 0)
            hub.process([(ti, ts, float(warm + rng.normal(0, 0.1))), (pi, ts, float(press))])
    assert hub.scored > 390
    (alert,) = AIAlert.objects.all()
    assert [type(e) for e in events] == [AIAlertRaised]
    return alert


def test_online_scoring_raises_an_ai_alert_with_its_explanation(world, unit):
    alert = scored_fault(world, unit)

    started_row = (int(alert.started_at.timestamp() * 1000) - (START_MS + 86_400_000)) // STEP_MS
    assert 200 < started_row < 260  # after the fault began, well before the pressure reaches a limit
    assert alert.score >= alert.threshold > 0
    assert {c["tag"] for c in alert.contributors} == {"PI-101", "TI-101"}  # the broken correlation
    assert sum(c["share"] for c in alert.contributors) == pytest.approx(1, abs=0.01)
    assert alert.heatmap["tags"] == ["PI-101", "TI-101"]
    assert len(alert.heatmap["values"]) == 2 and len(alert.heatmap["times"]) == len(
        alert.heatmap["values"][0]
    )
    assert alert.path[0]["equipment"] == "T-101"
    assert (alert.review, alert.site_id, alert.area_id) == (
        ReviewStatus.PENDING,
        world.site_a.pk,
        world.area_a1.pk,
    )


def test_a_confirmed_alert_becomes_an_alarm_on_the_models_ai_point(world, unit):
    alert = scored_fault(world, unit)
    with captured() as events:
        services.confirm_alert(world.user("expert"), alert, "压力与温度背离，疑似泄漏")

    alert.refresh_from_db()
    rule = AlarmRule.objects.get(source=RuleSource.AI)
    assert (rule.kind, rule.params, rule.area_id) == (
        RuleKind.AI,
        {"model": alert.model_id},
        world.area_a1.pk,
    )
    occurrence = AlarmOccurrence.objects.get(rule=rule)
    assert alert.occurrence == occurrence
    assert (alert.review, alert.reviewed_by) == (ReviewStatus.CONFIRMED, world.user("expert"))
    kinds = list(AlarmJournal.objects.filter(rule=rule).order_by("pk").values_list("kind", "user__username"))
    assert kinds == [(JournalKind.ACTIVATED, None), (JournalKind.COMMENTED, "expert")]
    assert [type(e).__name__ for e in events if isinstance(e, AIAlertReviewed)] == ["AIAlertReviewed"]
    with pytest.raises(ValidationError):
        services.reject_alert(world.user("expert"), alert, "重复")  # reviewed once


def test_a_rejection_needs_a_reason_and_the_review_right(world, unit):
    alert = scored_fault(world, unit)
    with pytest.raises(ValidationError) as err:
        services.reject_alert(world.user("expert"), alert, "  ")
    assert err.value.message_dict == {"reason": ["请填写驳回原因。"]}
    with pytest.raises(PermissionDenied):
        services.reject_alert(world.user("operator_a"), alert, "误报")

    services.reject_alert(world.user("expert"), alert, "装车作业引起的正常波动")

    alert.refresh_from_db()
    assert (alert.review, alert.review_reason) == (ReviewStatus.REJECTED, "装车作业引起的正常波动")
    assert not AlarmOccurrence.objects.exists()
    preview = services.threshold_preview(alert.model, [alert.score / 2, alert.score * 2])
    assert [(p["rejected_left"], p["rejected_avoided"]) for p in preview] == [(1, 0), (0, 1)]


def test_reviewers_hear_of_a_new_alert_and_operators_of_a_confirmed_one(
    world, unit, django_capture_on_commit_callbacks
):
    from anquan.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        alert = scored_fault(world, unit)
    queued = Notification.objects.filter(category="ai_alert")
    assert sorted(queued.values_list("recipient__username", flat=True)) == ["expert"]
    assert queued.get().title == "AI 预警：储罐单元预警"

    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_alert(world.user("expert"), alert)

    confirmed = Notification.objects.filter(category="ai_alert", title__startswith="AI 预警已确认为报警")
    assert sorted(confirmed.values_list("recipient__username", flat=True)) == ["officer_a", "operator_a"]
    assert confirmed.first().link == f"/monitoring/alarms/{AlarmOccurrence.objects.get().pk}/"


def test_a_training_whose_worker_died_is_marked_failed(world, unit):
    model = services.define_model(
        world.user("ehs"), unit=unit, name="储罐单元预警", tags=[world.tags["TI-101"], world.tags["PI-101"]]
    )
    with captured():
        version = services.request_training(world.user("ehs"), model, end=START)
    now = dt.datetime.now(dt.UTC)
    ModelVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.TRAINING, updated_at=now - dt.timedelta(minutes=16)
    )

    assert services.fail_stalled_training(now) == 1

    version.refresh_from_db()
    assert (version.status, version.message) == (
        VersionStatus.FAILED,
        "训练任务中断（超过 15 分钟没有进展），请重新训练。",
    )
