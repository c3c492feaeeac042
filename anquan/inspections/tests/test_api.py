"""The inspections API: the round sheet, check-in refusals, the offline batch, device signals."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.inspections import services
from anquan.inspections.models import CheckIn, HealthScore, ItemResult, Round, Signal
from anquan.inspections.tests.conftest import SHANGHAI, WEDNESDAY_9, Setup, photo_bytes

API = "/api/v1/inspections"


def at(hour: int, minute: int = 0) -> str:
    return dt.datetime(2026, 11, 25, hour, minute, tzinfo=SHANGHAI).isoformat()


def the_round(setup: Setup) -> Round:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    return made


def test_the_round_sheet_lists_checkpoints_and_items_without_codes(world: World, setup: Setup) -> None:
    made = the_round(setup)
    body = as_user(world, "worker_a1").get(f"{API}/rounds/{made.pk}").json()
    assert (body["status"], body["plan_name"], body["late"]) == ("scheduled", "罐区白班巡检", False)
    assert [
        (c["name"], c["checked_in_at"], [i["name"] for i in c["items"]]) for c in body["checkpoints"]
    ] == [
        ("1号罐罐顶", None, ["罐壁温度"]),
        ("防火堤", None, ["防火堤无渗漏"]),
    ]
    assert body["checkpoints"][0]["items"][0] | {"id": 0} == {
        "id": 0, "name": "罐壁温度", "kind": "reading", "low": 0.0, "high": 40.0, "unit": "°C",
        "photo_required": False, "result": None,
    }  # fmt: skip
    assert setup.tank.code not in str(body)


def test_a_wrong_code_is_a_clear_400(world: World, setup: Setup) -> None:
    made = the_round(setup)
    r = as_user(world, "worker_a1").post(f"{API}/rounds/{made.pk}/checkin", {"code": "NOTACODE"})
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "输入有误，请检查后重试。", "errors": {"code": ["点位码无效：没有这个巡检点。"]}},
    )
    r = as_user(world, "worker_a1").post(f"{API}/rounds/{made.pk}/checkin", {"code": setup.tank.code})
    assert (r.status_code, r.json()["status"], r.json()["checkpoints"][0]["checked_in_at"] is not None) == (
        200,
        "in_progress",
        True,
    )


def test_a_failed_reading_over_the_api(world: World, setup: Setup) -> None:
    made = the_round(setup)
    client = as_user(world, "worker_a1")
    client.post(f"{API}/rounds/{made.pk}/checkin", {"code": setup.tank.code})
    r = client.post(f"{API}/rounds/{made.pk}/results", {"item_id": setup.temperature.pk, "value": 48.5})
    assert (r.status_code, r.json()["outcome"], r.json()["value"], r.json()["follow_up"]) == (
        200,
        "fail",
        48.5,
        "work_order",
    )
    r = client.post(f"{API}/rounds/{made.pk}/results", {"item_id": setup.leak.pk, "ok": True})
    assert (r.status_code, r.json()["errors"]) == (400, {"item": ["请先在“防火堤”扫码签到。"]})


def batch(setup: Setup, **overrides: Any) -> dict[str, Any]:
    return {
        "client_uuid": "0b8f7c55-31a2-4c1e-8d7e-5b9d2f6a4c11",
        "started_at": at(8, 10),
        "finished_at": at(8, 40),
        "checkins": [{"code": setup.tank.code, "at": at(8, 10)}, {"code": setup.dike.code, "at": at(8, 20)}],
        "results": [
            {"item_id": setup.temperature.pk, "value": 22.5},
            {"item_id": setup.leak.pk, "ok": False, "note": "东侧渗油",
             "photos": [{"name": "dike.jpg", "content_base64": base64.b64encode(photo_bytes()).decode()}]},
        ],
        **overrides,
    }  # fmt: skip


def test_a_round_submitted_twice_is_stored_once(world: World, setup: Setup) -> None:
    made = the_round(setup)
    client = as_user(world, "worker_a1")
    first = client.post(f"{API}/rounds/{made.pk}/submit", batch(setup))
    assert (first.status_code, first.json()["stored"], first.json()["round"]["status"]) == (
        200,
        True,
        "completed",
    )
    second = client.post(f"{API}/rounds/{made.pk}/submit", batch(setup))
    assert (second.status_code, second.json()["stored"], second.json()["round"]) == (
        200,
        False,
        first.json()["round"],
    )
    assert (CheckIn.objects.count(), ItemResult.objects.count()) == (2, 2)
    assert [c.at.astimezone(SHANGHAI).strftime("%H:%M") for c in CheckIn.objects.order_by("at")] == [
        "08:10",
        "08:20",
    ]
    assert ItemResult.objects.get(item=setup.leak).note == "东侧渗油"


def test_a_bad_batch_names_the_field(world: World, setup: Setup) -> None:
    made = the_round(setup)
    client = as_user(world, "worker_a1")
    r = client.post(
        f"{API}/rounds/{made.pk}/submit", batch(setup, results=[{"item_id": setup.temperature.pk}])
    )
    assert (r.status_code, r.json()["errors"]) == (400, {"results.0.value": ["请填写读数。"]})
    r = client.post(f"{API}/rounds/{made.pk}/submit", batch(setup, client_uuid="not-a-uuid"))
    assert r.status_code == 422 and list(r.json()["errors"]) == ["client_uuid"]
    assert (CheckIn.objects.count(), Round.objects.get().status) == (0, "scheduled")


def test_devices_post_signals(world: World) -> None:
    client = as_user(world, "worker_a1")
    payload = {
        "signals": [
            {"equipment_id": world.equipment["T-101"].pk, "kind": "acoustic", "taken_at": at(9),
             "data": {"bands": {"1000": 74.0, "4000": 60.0}, "baseline": {"1000": 65.0, "4000": 60.0}}},
        ]
    }  # fmt: skip
    r = client.post(f"{API}/signals", payload)
    assert (r.status_code, r.json()) == (201, {"stored": 1})
    assert Signal.objects.get().data == {
        "bands": {"1000": 74.0, "4000": 60.0},
        "baseline": {"1000": 65.0, "4000": 60.0},
    }
    assert HealthScore.objects.count() == 1
    bad = client.post(f"{API}/signals", {"signals": [{**payload["signals"][0], "kind": "smell"}]})
    assert (bad.status_code, list(bad.json()["errors"])) == (422, ["signals.0.kind"])
    officer = as_user(world, "officer_a").get(f"{API}/health/{world.equipment['T-101'].pk}").json()
    assert (officer["trend"], [p["score"] for p in officer["history"]]) == ("平稳", [100])
