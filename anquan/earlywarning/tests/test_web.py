"""The early-warning pages: the AI alert list and review queue, an alert with its explanation and
the expert's confirm / reject, the models list with the new-model form, a model with its version
registry, precision, recalibration and drift — scoping, permissions and exact state changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from anquan.earlywarning import services
from anquan.earlywarning.choices import ReviewStatus, VersionStatus
from anquan.earlywarning.models import AIAlert, ModelVersion, WarningModel
from anquan.earlywarning.tests import test_loop
from anquan.earlywarning.tests.test_loop import scored_fault, trained
from anquan.earlywarning.web import presentation
from anquan.monitoring import storage
from anquan.monitoring.models import AlarmOccurrence
from anquan.platform.events import captured
from anquan.workorders.choices import OriginKind, Priority
from anquan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
unit = test_loop.unit  # the fixture: a unit of 罐区 with T-101's TI-101 and PI-101


def alert_state(alert: AIAlert) -> tuple[Any, ...]:
    a = AIAlert.objects.get(pk=alert.pk)
    return (a.review, a.reviewed_by_id, a.reviewed_at, a.review_reason, a.occurrence_id)


def text(response: Any) -> str:
    return response.content.decode()


# --- AI alerts --------------------------------------------------------------------------------------
def test_the_review_queue_lists_pending_alerts_with_their_explanation(world, unit):
    alert = scored_fault(world, unit)

    response = world.client("expert").get(reverse("earlywarning:alerts"))

    assert response.status_code == 200
    body = text(response)
    assert body.count(f'href="/earlywarning/alerts/{alert.pk}/"') == 1
    assert "储罐单元预警" in body and "罐区" in body
    assert presentation.top_contributors(alert) in body
    assert f"{alert.score:.2f}" in body and f"{alert.threshold:.2f}" in body
    assert "待复核" in body and "持续中" in body


def test_alert_list_filters_and_tabs(world, unit):
    alert = scored_fault(world, unit)
    services.reject_alert(world.user("expert"), alert, "正常波动")
    client = world.client("expert")

    queue = client.get(reverse("earlywarning:alerts"))
    everything = client.get(reverse("earlywarning:alerts") + "?tab=all")
    other_model = client.get(reverse("earlywarning:alerts") + f"?tab=all&model={alert.model_id + 1}")
    other_site = client.get(reverse("earlywarning:alerts") + f"?tab=all&site={world.site_b.pk}")

    assert f"/earlywarning/alerts/{alert.pk}/" not in text(queue)
    assert "没有待复核的 AI 预警。" in text(queue)
    assert f"/earlywarning/alerts/{alert.pk}/" in text(everything) and "已驳回" in text(everything)
    assert f"/earlywarning/alerts/{alert.pk}/" not in text(other_model)
    assert f"/earlywarning/alerts/{alert.pk}/" not in text(other_site)


def test_alert_pages_are_scoped(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])

    assert world.client(None).get(url).status_code == 302
    assert world.client(None).get(reverse("earlywarning:alerts")).status_code == 302
    assert world.client("contractor_a").get(url).status_code == 403
    assert world.client("contractor_a").get(reverse("earlywarning:alerts")).status_code == 403
    assert world.client("worker_b1").get(url).status_code == 404
    other_site = world.client("worker_b1").get(reverse("earlywarning:alerts") + "?tab=all")
    assert other_site.status_code == 200 and f"/earlywarning/alerts/{alert.pk}/" not in text(other_site)


def test_the_alert_page_explains_and_offers_review_to_a_reviewer_only(world, unit):
    alert = scored_fault(world, unit)
    AIAlert.objects.filter(pk=alert.pk).update(
        forecasts=[
            {"tag": "PI-101", "level": "H", "limit": 12.0, "value": 9.1, "eta_s": 2400, "low_s": 1800, "high_s": 3300}
        ],
        path=[
            {"equipment": "T-101", "name": "1号汽油储罐", "at": alert.heatmap["times"][-1], "tags": ["PI-101"], "from": []},
            {"equipment": "P-201", "name": "1号输油泵", "at": alert.heatmap["times"][-1], "tags": ["PI-201"], "from": ["T-101"]},
        ],
    )  # fmt: skip
    url = reverse("earlywarning:alert", args=[alert.pk])

    expert = world.client("expert").get(url)
    operator = world.client("operator_a").get(url)

    assert expert.status_code == 200
    body = text(expert)
    assert "PI-101 约 40 分钟后达到 H 限（30–55 分钟）" in body
    assert "T-101 (PI-101, " in body and " → P-201 (PI-201, " in body
    assert "来自上游 T-101" in body
    assert 'id="ew-heatmap"' in body and 'id="ew-alert-data"' in body and "vendor/echarts.min.js" in body
    assert 'name="confirm"' in body and 'name="reject"' in body
    assert 'name="comment"' in body and 'name="reason"' in body
    assert operator.status_code == 200
    assert 'name="confirm"' not in text(operator) and "等待专家复核。" in text(operator)


def test_a_reviewer_confirms_through_the_page_and_the_alarm_is_linked(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])
    client = world.client("expert")

    with captured():
        response = client.post(url, {"confirm": "1", "comment": "压力与温度背离，疑似泄漏"})

    assert response.status_code == 302 and response["Location"] == url
    alert.refresh_from_db()
    occurrence = AlarmOccurrence.objects.get()
    assert (alert.review, alert.reviewed_by, alert.review_reason, alert.occurrence) == (
        ReviewStatus.CONFIRMED,
        world.user("expert"),
        "压力与温度背离，疑似泄漏",
        occurrence,
    )
    page = text(client.get(url))
    assert f'href="/monitoring/alarms/{occurrence.pk}/"' in page
    assert 'name="confirm"' not in page and "已确认" in page


def test_a_rejection_without_a_reason_shows_the_error_and_changes_nothing(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])
    before = alert_state(alert)

    response = world.client("expert").post(url, {"reject": "1", "reason": "  "})

    assert response.status_code == 400  # the form with its field error
    assert "请填写驳回原因。" in text(response)
    assert alert_state(alert) == before


def test_a_reviewer_rejects_through_the_page(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])

    with captured():
        response = world.client("expert").post(url, {"reject": "1", "reason": "装车作业引起的正常波动"})

    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.review, alert.reviewed_by, alert.review_reason, alert.occurrence) == (
        ReviewStatus.REJECTED,
        world.user("expert"),
        "装车作业引起的正常波动",
        None,
    )
    assert not AlarmOccurrence.objects.exists()
    again = world.client("expert").post(url, {"confirm": "1"}, follow=True)
    assert "该 AI 预警已复核（已驳回）。" in text(again) and 'name="confirm"' not in text(again)
    assert alert_state(alert)[0] == ReviewStatus.REJECTED and not AlarmOccurrence.objects.exists()


def test_reviewing_needs_the_review_right_in_the_alerts_area(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])
    before = alert_state(alert)

    assert world.client("operator_a").post(url, {"confirm": "1"}).status_code == 403
    assert world.client("operator_a").post(url, {"reject": "1", "reason": "误报"}).status_code == 403
    assert world.client("worker_b1").post(url, {"confirm": "1"}).status_code == 404
    assert world.client(None).post(url, {"confirm": "1"}).status_code == 302
    assert alert_state(alert) == before
    assert not AlarmOccurrence.objects.exists()


# --- Models -----------------------------------------------------------------------------------------
def test_the_models_list_shows_versions_precision_and_the_new_model_form(world, unit):
    alert = scored_fault(world, unit)
    services.confirm_alert(world.user("expert"), alert)
    model = alert.model

    ehs = world.client("ehs").get(reverse("earlywarning:models"))
    expert = world.client("expert").get(reverse("earlywarning:models"))

    assert ehs.status_code == 200
    body = text(ehs)
    assert f'href="/earlywarning/models/{model.pk}/"' in body and "储罐单元 · 罐区" in body
    assert f"v{model.active_version.number}" in body
    assert f"{model.active_version.threshold:.3f}" in body
    assert "100%" in body and "1/1" in body
    assert f'hx-get="/earlywarning/models/{model.pk}/drift/"' in body
    assert 'id="ew-new-form"' in body and "新建预警模型" in body
    assert expert.status_code == 200 and 'id="ew-new-form"' not in text(expert)
    assert world.client("contractor_a").get(reverse("earlywarning:models")).status_code == 403
    assert world.client(None).get(reverse("earlywarning:models")).status_code == 302


def test_a_model_is_defined_through_the_form(world, unit):
    ti, pi = world.tags["TI-101"], world.tags["PI-101"]
    form = {
        "unit": unit.pk, "name": "罐区温压模型", "detector": "pca", "tags": [ti.pk, pi.pk],
        "interval_s": "10", "training_days": "3", "alerts_per_day": "2",
        "notify": "immediate", "priority": "high",
    }  # fmt: skip

    response = world.client("manager_a1").post(reverse("earlywarning:model-create"), form)

    model = WarningModel.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/earlywarning/models/{model.pk}/"
    assert (model.unit, model.name, model.detector, model.interval_s, model.training_days) == (
        unit,
        "罐区温压模型",
        "pca",
        10,
        3,
    )
    assert (model.alerts_per_day, model.notify, model.priority) == (2.0, "immediate", "high")
    assert sorted(model.tags.values_list("tag", flat=True)) == ["PI-101", "TI-101"]


def test_define_model_errors_are_shown_on_the_form(world, unit):
    form = {
        "unit": unit.pk, "name": "", "detector": "pca", "tags": [world.tags["TI-101"].pk],
        "interval_s": "10", "training_days": "0", "alerts_per_day": "30",
        "notify": "immediate", "priority": "high",
    }  # fmt: skip

    response = world.client("manager_a1").post(reverse("earlywarning:model-create"), form)

    assert response.status_code == 200
    body = text(response)
    assert "请修正下面标出的错误。" in body
    assert "请填写名称。" in body
    assert "请选择 2 ~ 60 个测点。" in body
    assert "训练数据须为 1 ~ 90 天。" in body
    assert "目标误报须在 0.05 ~ 24.0 次/天之间。" in body
    assert not WarningModel.objects.exists()


def test_defining_needs_the_configure_right(world, unit):
    form = {
        "unit": unit.pk, "name": "x", "detector": "pca",
        "tags": [world.tags["TI-101"].pk, world.tags["PI-101"].pk], "interval_s": "10",
        "training_days": "3", "alerts_per_day": "2", "notify": "immediate", "priority": "high",
    }  # fmt: skip

    assert world.client("expert").post(reverse("earlywarning:model-create"), form).status_code == 403
    assert world.client("contractor_a").post(reverse("earlywarning:model-create"), form).status_code == 403
    assert world.client("admin_b").post(reverse("earlywarning:model-create"), form).status_code == 200
    assert not WarningModel.objects.exists()


def test_choosing_a_unit_preselects_its_equipments_tags(world, unit):
    response = world.client("ehs").get(reverse("earlywarning:model-tags") + f"?unit={unit.pk}", **HTMX)

    assert response.status_code == 200
    body = text(response)
    assert body.startswith('<div id="ew-tags-field">')
    for code in ("PI-101", "TI-101"):
        pk = world.tags[code].pk
        assert f'<option value="{pk}" selected>' in body
    assert f'<option value="{world.tags["PI-201"].pk}">' in body  # same site, not selected
    assert f'value="{world.tags["LI-901"].pk}"' not in body  # another site


def test_the_model_page_shows_the_registry_and_approves_a_version(world, unit):
    version = trained(world, unit)
    url = reverse("earlywarning:model", args=[version.model_id])

    page = world.client("ehs").get(url)

    assert page.status_code == 200
    body = text(page)
    assert 'id="version-1"' in body and "待审批" in body and version.data_hash[:12] in body
    assert f"{version.threshold:.3f}" in body and "8640" in body
    assert 'name="approve"' in body and 'name="train"' in body
    assert 'hx-trigger="every 2s"' not in body  # nothing training

    response = world.client("ehs").post(reverse("earlywarning:approve", args=[version.pk]))

    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.status, version.approved_by) == (VersionStatus.APPROVED, world.user("ehs"))
    assert WarningModel.objects.get().active_version_id == version.pk
    assert "在用 v1" in text(world.client("ehs").get(url))


def test_configuring_actions_need_the_right(world, unit):
    version = trained(world, unit)
    model_url = reverse("earlywarning:model", args=[version.model_id])

    page = text(world.client("expert").get(model_url))

    assert 'name="approve"' not in page and 'name="train"' not in page and 'name="save"' not in page
    assert world.client("expert").post(reverse("earlywarning:approve", args=[version.pk])).status_code == 403
    assert (
        world.client("expert").post(reverse("earlywarning:train", args=[version.model_id])).status_code == 403
    )
    assert world.client("worker_b1").get(model_url).status_code == 404
    assert world.client("contractor_a").get(model_url).status_code == 403
    assert ModelVersion.objects.get().status == VersionStatus.READY
    assert ModelVersion.objects.count() == 1


def test_training_is_requested_and_its_progress_polled(world, unit):
    version = trained(world, unit)
    client = world.client("ehs")

    with captured():
        response = client.post(reverse("earlywarning:train", args=[version.model_id]))

    assert response.status_code == 302
    queued = ModelVersion.objects.get(number=2)
    assert (queued.status, queued.created_by) == (VersionStatus.QUEUED, world.user("ehs"))
    ModelVersion.objects.filter(pk=queued.pk).update(
        status=VersionStatus.TRAINING, progress=35, message="训练模型"
    )
    partial = client.get(reverse("earlywarning:model-versions", args=[version.model_id]), **HTMX)
    body = text(partial)
    assert body.lstrip().startswith('<section class="card shadow-sm mb-3" id="versions"')
    assert 'hx-trigger="every 2s"' in body and 'style="width: 35%"' in body and "训练模型" in body


def test_a_version_is_recalibrated_from_the_preview_and_rolled_back(world, unit):
    alert = scored_fault(world, unit)
    services.reject_alert(world.user("expert"), alert, "正常波动")
    v1 = alert.version
    url = reverse("earlywarning:model", args=[v1.model_id])
    client = world.client("ehs")

    page = text(client.get(url))
    assert 'id="ew-preview"' in page
    for t in presentation.candidates(v1.threshold):
        assert f"{t:.3f}" in page
    bad = client.post(url, {"recalibrate": "1", "threshold": "-1"})
    assert bad.status_code == 200 and "阈值必须是大于 0 的数值。" in text(bad)
    assert ModelVersion.objects.count() == 1

    response = client.post(url, {"recalibrate": "1", "threshold": str(alert.score * 2)})

    assert response.status_code == 302
    v2 = ModelVersion.objects.get(number=2)
    assert (v2.status, v2.threshold, v2.metrics["recalibrated_from"]) == (
        VersionStatus.READY,
        alert.score * 2,
        1,
    )
    client.post(reverse("earlywarning:approve", args=[v2.pk]))
    assert WarningModel.objects.get().active_version_id == v2.pk
    assert 'name="activate"' in text(client.get(url))
    client.post(reverse("earlywarning:activate", args=[v1.pk]))
    assert WarningModel.objects.get().active_version_id == v1.pk


def test_the_definition_is_edited_on_the_model_page(world, unit):
    version = trained(world, unit)
    model = version.model
    url = reverse("earlywarning:model", args=[model.pk])
    form = {
        "save": "1", "name": "储罐单元预警（新）", "detector": "pca",
        "tags": [world.tags["TI-101"].pk, world.tags["PI-101"].pk, world.tags["PI-201"].pk],
        "interval_s": "30", "training_days": "5", "alerts_per_day": "1",
        "notify": "after_review", "priority": "medium", "enabled": "on",
    }  # fmt: skip

    response = world.client("ehs").post(url, form)

    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.name, model.interval_s, model.training_days) == ("储罐单元预警（新）", 30, 5)
    assert sorted(model.tags.values_list("tag", flat=True)) == ["PI-101", "PI-201", "TI-101"]
    bad = world.client("ehs").post(url, {**form, "tags": [world.tags["LI-901"].pk]})
    assert bad.status_code == 200 and "is-invalid" in text(bad)
    assert sorted(model.tags.values_list("tag", flat=True)) == ["PI-101", "PI-201", "TI-101"]


def test_precision_per_week_and_drift_are_shown(world, unit):
    alert = scored_fault(world, unit)
    with captured():
        services.confirm_alert(world.user("expert"), alert)
    model = alert.model
    # the last day: the temperature far above anything seen in training, the pressure normal
    now_ms = presentation.now_ms()
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-101"].pk
    rows = []
    for i in range(600):
        ts = now_ms - 3_600_000 + i * 5_000
        rows += [(ti, ts, 60.0 + np.sin(i)), (pi, ts, 5.0)]
    storage.write_readings(rows)

    page = world.client("ehs").get(reverse("earlywarning:model", args=[model.pk]))
    drift = world.client("ehs").get(reverse("earlywarning:model-drift", args=[model.pk]), **HTMX)

    body = text(page)
    assert 'id="ew-precision-data"' in body and 'id="ew-precision-chart"' in body
    assert '<div class="ew-big ew-num" id="ew-precision">100%</div>' in body
    chart = json.loads(page.context["precision_chart"] and json.dumps(page.context["precision_chart"]))
    week = alert.started_at.date() - dt.timedelta(days=timezone.localtime(alert.started_at).weekday())
    assert chart["confirmed"][chart["weeks"].index(f"{week:%m-%d}")] == 1
    assert (sum(chart["confirmed"]), sum(chart["rejected"])) == (1, 0)
    assert "建议重新训练" in body and "100.0%" in body
    assert drift.status_code == 200 and "100.0%" in text(drift) and "建议重新训练" in text(drift)


def test_an_operator_opens_a_work_order_from_a_confirmed_alert(world, unit):
    alert = scored_fault(world, unit)
    url = reverse("earlywarning:alert", args=[alert.pk])
    operator = world.client("operator_a")
    assert operator.get(url).context["may_open_work_order"] is False  # not reviewed yet
    services.confirm_alert(world.user("expert"), alert)

    response = operator.post(url, {"work_order": "1", "title": "", "priority": "", "description": ""})

    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.origin_kind, order.origin_id, order.origin_url) == (OriginKind.AI_ALERT, alert.pk, url)
    assert (order.priority, order.site, order.area) == (Priority.HIGH, alert.site, alert.area)
    assert order.title == f"排查 AI 预警：{alert.model.name}"
    assert order.description.startswith("主要贡献测点：")
    assert operator.get(url).context["work_orders"] == [order]
    # an expert reviews but does not dispatch work
    assert world.client("expert").get(url).context["may_open_work_order"] is False
    assert world.client("expert").post(url, {"work_order": "1"}).status_code == 403
    assert WorkOrder.objects.count() == 1
