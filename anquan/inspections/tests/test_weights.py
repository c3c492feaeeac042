"""A site's health score weights: scoring with them, checking them, who sets them (service, API,
page), that the assistant scores with its site's weights and that stored scores keep theirs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anquan.api.tests.conftest import as_user
from anquan.conftest import World, signed_in_page
from anquan.inspections import assistant, health, selectors
from anquan.inspections.api import WeightsValues
from anquan.inspections.choices import HealthBand, SignalKind
from anquan.inspections.models import HealthScore, HealthWeights
from anquan.monitoring.models import TagLive
from anquan.platform.models import AuditEntry

API = "/api/v1/inspections/weights"
DEFAULTS = health.WEIGHTS.as_dict()


def custom(**changes: float) -> dict[str, float]:
    return {**DEFAULTS, **changes}


def thermal(world: World, equipment: str = "T-101", max_c: float = 58.0) -> dict[str, Any]:
    """A thermal frame 20 K over the reference: (20 − 5) × 2 = 30 points with the defaults."""
    return {
        "equipment": world.equipment[equipment], "kind": SignalKind.THERMAL, "taken_at": timezone.now(),
        "source": "IR-01", "data": {"max_c": max_c, "mean_c": 35.0, "reference_c": 38.0},
    }  # fmt: skip


# --- the score with custom weights -----------------------------------------------------------------
def test_every_weight_is_stored_shown_and_set_through_the_api() -> None:
    assert tuple(s.name for s in health.SETTINGS) == health.NAMES
    assert tuple(WeightsValues.model_fields) == health.NAMES
    stored = {f.name for f in HealthWeights._meta.concrete_fields} - {
        "id",
        "site",
        "created_at",
        "updated_at",
    }
    assert stored == set(health.NAMES)
    assert HealthWeights().weights() == health.WEIGHTS  # the model's defaults are the documented ones


def test_custom_weights_change_the_penalties_and_the_bands() -> None:
    w = health.Weights(
        thermal_free_k=2, thermal_per_k=3, thermal_cap=50, gas_free_ratio=0.2, gas_per_ratio=100, gas_cap=25,
        tag_near=8, tag_near_share=0.2, normal_from=90, watch_from=70, maintain_from=50,
    )  # fmt: skip
    hot = health.assess(thermal=health.Thermal(max_c=55.0, reference_c=40.0), weights=w)  # (15 − 2) × 3
    assert (hot.score, hot.band, hot.reasons) == (
        61,
        HealthBand.MAINTAIN,
        [health.Reason("thermal", 39.0, "红外热点 55 °C，高于参考温度 40 °C 达 15.0 K，扣 39 分")],
    )
    assert health.assess(
        thermal=health.Thermal(max_c=55.0, reference_c=40.0), weights=health.WEIGHTS
    ).band == (
        HealthBand.NORMAL  # 80 with the defaults
    )
    gas = health.Levels({"VOC": 2.0}, {"VOC": 1.0})  # +100 %: (1.0 − 0.2) × 100 = 80, capped at 25
    near = health.TagValue(code="TI-101", name="1号罐温度", value=25.0, range_low=-20, range_high=80, h=40)
    result = health.assess(gas=gas, tags=[near], weights=w)  # 25 within 20 % of the span (100) of H 40
    assert (result.score, result.band, [(r.factor, r.penalty) for r in result.reasons]) == (
        67,
        HealthBand.MAINTAIN,
        [("gas", 25.0), ("tag", 8.0)],
    )
    assert health.assess(tags=[near], weights=health.WEIGHTS).reasons == []  # not near with 10 %
    assert [health.band_of(s, w)[0] for s in (90, 89, 70, 69, 50, 49)] == [
        HealthBand.NORMAL, HealthBand.WATCH, HealthBand.WATCH, HealthBand.MAINTAIN, HealthBand.MAINTAIN,
        HealthBand.ACT_NOW,
    ]  # fmt: skip


def test_proposed_weights_are_checked_field_by_field() -> None:
    assert health.problems(DEFAULTS) == {}
    bad: dict[str, Any] = custom(
        thermal_free_k=-1, thermal_cap=101, gas_per_ratio=float("inf"), tag_near_share=1.5, tag_near=20,
        normal_from=70, watch_from=70, maintain_from=0,
    )  # fmt: skip
    bad["acoustic_cap"] = "30"
    del bad["tags_cap"]
    assert health.problems(bad) == {
        "thermal_free_k": ["不能为负数。"],
        "thermal_cap": ["不能大于 100。"],
        "acoustic_cap": ["请输入有限的数字。"],
        "gas_per_ratio": ["请输入有限的数字。"],
        "tag_near_share": ["不能大于 1。"],
        "tags_cap": ["此字段为必填项。"],
        "tag_over": ["超出高/低限的扣分不能低于接近报警限的扣分。"],
        "watch_from": ["必须低于“正常”的最低分。"],
        "maintain_from": ["必须大于 0。"],
    }
    assert health.problems(custom(watch_from=50, maintain_from=50, tag_over_severe=10)) == {
        "tag_over_severe": ["超出高高/低低限的扣分不能低于超出高/低限的扣分。"],
        "maintain_from": ["必须低于“关注”的最低分。"],
    }


# --- setting them ------------------------------------------------------------------------------------
def test_a_site_planner_sets_the_weights_and_each_change_is_audited(world: World) -> None:
    officer = world.user("officer_a")
    assert assistant.weights_of(world.site_a.pk) == health.WEIGHTS
    saved = assistant.configure_weights(officer, world.site_a, custom(thermal_per_k=4, normal_from=85))
    assert assistant.weights_of(world.site_a.pk) == dataclasses.replace(
        health.WEIGHTS, thermal_per_k=4.0, normal_from=85.0
    )
    assert assistant.weights_of(world.site_b.pk) == health.WEIGHTS
    created = AuditEntry.objects.get(model="inspections.healthweights", action="create")
    assert (created.actor_id, created.site_id, created.changes["thermal_per_k"]) == (
        officer.pk,
        world.site_a.pk,
        4.0,
    )
    assistant.configure_weights(officer, world.site_a, custom(thermal_per_k=4, normal_from=90))
    updated = AuditEntry.objects.get(model="inspections.healthweights", action="update")
    assert (updated.object_id, updated.changes) == (str(saved.pk), {"normal_from": [85.0, 90.0]})
    assert HealthWeights.objects.count() == 1


def test_only_a_planner_over_the_whole_site_sets_them_and_bad_ones_change_nothing(world: World) -> None:
    with pytest.raises(PermissionDenied):
        assistant.configure_weights(world.user("manager_a1"), world.site_a, custom(thermal_per_k=4))
    with pytest.raises(PermissionDenied):
        assistant.configure_weights(world.user("admin_b"), world.site_a, custom(thermal_per_k=4))
    with pytest.raises(ValidationError) as exc:
        assistant.configure_weights(world.user("officer_a"), world.site_a, custom(thermal_cap=120))
    assert exc.value.message_dict == {"thermal_cap": ["不能大于 100。"]}
    assert (
        HealthWeights.objects.count(),
        AuditEntry.objects.filter(model="inspections.healthweights").count(),
    ) == (
        0,
        0,
    )


# --- scoring with the site's weights --------------------------------------------------------------
def test_the_assistant_scores_with_its_sites_weights_and_stored_scores_keep_theirs(world: World) -> None:
    assistant.ingest_signals(None, [thermal(world)])  # ΔT 20 K: (20 − 5) × 2 = 30 → 70
    before = HealthScore.objects.get()
    assert (before.score, before.band, before.weights) == (70, HealthBand.WATCH, DEFAULTS)

    proposed = custom(thermal_per_k=4, watch_from=75)
    assistant.configure_weights(world.user("officer_a"), world.site_a, proposed)
    before.refresh_from_db()
    assert (before.score, before.band, before.reasons[0]["penalty"], before.weights) == (
        70,
        HealthBand.WATCH,
        30.0,
        DEFAULTS,
    )

    # (20 − 5) × 4 = 60, capped at 40 → 60: below the site's 关注 edge of 75
    assistant.ingest_signals(None, [thermal(world), thermal(world, "T-901")])
    after = HealthScore.objects.filter(equipment=world.equipment["T-101"]).latest("pk")
    assert (after.score, after.band, after.reasons[0]["penalty"], after.weights) == (
        60,
        HealthBand.MAINTAIN,
        40.0,
        proposed,
    )
    west = HealthScore.objects.get(equipment=world.equipment["T-901"])  # site B: the defaults
    assert (west.score, west.weights) == (70, DEFAULTS)
    assert assistant.assess_all() == 2
    newest = {s.equipment.code: (s.score, s.band) for s in HealthScore.objects.order_by("pk")}
    assert newest == {"T-101": (60, HealthBand.MAINTAIN), "T-901": (70, HealthBand.WATCH)}


def test_the_preview_scores_the_sites_assets_under_both_weights(world: World) -> None:
    assistant.ingest_signals(None, [thermal(world), thermal(world, "T-901")])
    now_ms = int(timezone.now().timestamp() * 1000)
    TagLive.objects.create(tag=world.tags["PI-201"], ts=now_ms, value=1.7, status="ok")  # over H: 15
    proposed = health.Weights.from_dict(custom(thermal_per_k=1, tag_over=30, tag_over_severe=30))
    rows = assistant.preview(world.site_a, proposed)
    assert [(r["equipment"].code, r["current"].score, r["proposed"].score, r["change"]) for r in rows] == [
        ("P-201", 85, 70, -15),
        ("T-101", 70, 85, 15),  # (20 − 5) × 1
    ]
    assert HealthWeights.objects.count() == 0  # nothing saved


# --- API ----------------------------------------------------------------------------------------------
def test_the_api_reads_and_sets_a_sites_weights(world: World) -> None:
    url = f"{API}/{world.site_a.pk}"
    body = as_user(world, "manager_a1").get(url).json()
    assert body == {
        "site_id": world.site_a.pk, "site_name": "东区储运园区", "stored": False, "updated_at": None,
        "weights": DEFAULTS, "defaults": DEFAULTS,
    }  # fmt: skip
    r = as_user(world, "officer_a").call("PUT", url, custom(tag_near=2, maintain_from=30))
    assert (r.status_code, r.json()["stored"], r.json()["weights"]) == (
        200,
        True,
        custom(tag_near=2, maintain_from=30),
    )
    assert as_user(world, "leader_a1").get(url).json()["weights"]["maintain_from"] == 30.0


def test_bad_weights_over_the_api_are_field_errors_and_change_nothing(world: World) -> None:
    url = f"{API}/{world.site_a.pk}"
    officer = as_user(world, "officer_a")
    r = officer.call("PUT", url, custom(acoustic_per_db=-3, watch_from=90))
    assert (r.status_code, r.json()) == (
        400,
        {
            "detail": "输入有误，请检查后重试。",
            "errors": {"acoustic_per_db": ["不能为负数。"], "watch_from": ["必须低于“正常”的最低分。"]},
        },
    )
    partial = custom()
    del partial["maintain_from"]
    r = officer.call("PUT", url, {**partial, "tags_cap": "很多"})
    assert (r.status_code, r.json()["errors"]) == (
        422,
        {"tags_cap": ["请输入数字。"], "maintain_from": ["此字段为必填项。"]},
    )
    r = as_user(world, "manager_a1").call("PUT", url, custom(tag_near=2))
    assert (r.status_code, r.json()["detail"]) == (403, "只有全场所的巡检配置权限才能设置健康评分权重。")
    assert HealthWeights.objects.count() == 0


# --- the page -----------------------------------------------------------------------------------------
def form(values: dict[str, float], action: str) -> dict[str, Any]:
    return {**{k: f"{v:g}" for k, v in values.items()}, "action": action}


def test_the_weights_page_previews_then_saves(world: World) -> None:
    assistant.ingest_signals(None, [thermal(world)])
    client = world.client("officer_a")
    assert (
        client.get("/inspections/health/weights/")["Location"]
        == f"/inspections/health/weights/{world.site_a.pk}/"
    )
    url = f"/inspections/health/weights/{world.site_a.pk}/"
    page = client.get(url).content.decode()
    assert 'name="thermal_per_k"' in page and 'value="2.0"' in page and "分/K" in page and "默认 2" in page
    assert "尚未设置：本场所按默认权重评分。" in page
    health_page = client.get(f"/inspections/health/?site={world.site_a.pk}").content.decode()
    assert f'href="{url}"' in health_page

    preview = client.post(url, form(custom(thermal_per_k=1), "preview"))
    text = preview.content.decode()
    assert preview.status_code == 200 and 'data-equipment="T-101"' in text
    assert 'data-score="current">70<' in text and 'data-score="proposed">85<' in text and "+15" in text
    assert HealthWeights.objects.count() == 0

    saved = client.post(url, form(custom(thermal_per_k=1), "save"))
    assert (saved.status_code, saved["Location"]) == (302, url)
    assert assistant.weights_of(world.site_a.pk).thermal_per_k == 1.0
    assert "上次修改" in client.get(url).content.decode()
    defaults = client.get(f"{url}?defaults=1").content.decode()
    assert 'value="2.0"' in defaults and 'value="1.0"' not in defaults  # filled in, not saved
    assert assistant.weights_of(world.site_a.pk).thermal_per_k == 1.0
    equipment = client.get(f"/inspections/health/equipment/{world.equipment['T-101'].pk}/").content.decode()
    assert 'id="weights-used"' in equipment and "2 分/K" in equipment  # the score was made with 2


def test_bad_weights_on_the_page_are_shown_by_their_fields(world: World) -> None:
    client = world.client("officer_a")
    url = f"/inspections/health/weights/{world.site_a.pk}/"
    for action in ("preview", "save"):
        r = client.post(url, form(custom(tag_near_share=2, normal_from=50), action))
        text = r.content.decode()
        assert r.status_code == 400
        assert 'data-field="tag_near_share">不能大于 1。<' in text
        assert 'data-field="watch_from">必须低于“正常”的最低分。<' in text
        assert 'id="weights-preview"' not in text
    r = client.post(url, {**form(DEFAULTS, "save"), "gas_cap": "abc"})
    assert r.status_code == 400 and 'data-field="gas_cap">' in r.content.decode()
    assert HealthWeights.objects.count() == 0


def test_the_weights_page_is_for_planners_over_the_whole_site(world: World) -> None:
    url = f"/inspections/health/weights/{world.site_a.pk}/"
    assert world.client("worker_a1").get(url).status_code == 403
    assert world.client("manager_a1").get(url).status_code == 403  # inspections.plan in one area only
    assert world.client("manager_a1").get("/inspections/health/weights/").status_code == 403
    assert world.client("admin_b").get(url).status_code == 404
    assert world.client("admin_b").post(url, form(DEFAULTS, "save")).status_code == 404
    assert world.client("manager_a1").post(url, form(DEFAULTS, "save")).status_code == 403
    assert world.client(None).get(url).status_code == 302
    assert 'id="weights-link"' not in world.client("manager_a1").get("/inspections/health/").content.decode()
    assert selectors.health_weights(world.site_a.pk) is None


def test_the_weights_page_fits_a_phone(world: World, browser: Any, live_server: Any) -> None:
    assistant.ingest_signals(None, [thermal(world)])
    page = signed_in_page(browser, live_server, world.user("officer_a"))
    page.goto(f"{live_server.url}/inspections/health/weights/{world.site_a.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_thermal_per_k", "1")
    with page.expect_navigation():
        page.click("button[value=preview]")
    row = page.locator('#weights-preview tr[data-equipment="T-101"]')
    assert row.locator('[data-score="proposed"]').inner_text() == "85"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.click("button[value=save]")
    assert page.locator("#weights-updated").is_visible()
    assert assistant.weights_of(world.site_a.pk).thermal_per_k == 1.0
