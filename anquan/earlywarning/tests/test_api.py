"""The early-warning API: reviewing an AI alert (permissions per operation: the API matrix)."""

from __future__ import annotations

from typing import Any

from anquan.api.tests.conftest import as_user
from anquan.api.tests.test_permission_matrix import _ai_alert
from anquan.earlywarning.choices import ReviewStatus
from anquan.earlywarning.models import AIAlert
from anquan.monitoring.models import AlarmOccurrence

API = "/api/v1/earlywarning"


def test_an_expert_confirms_through_the_api_and_the_alarm_follows(world: Any) -> None:
    alert = _ai_alert(world)

    r = as_user(world, "expert").post(f"{API}/alerts/{alert.pk}/confirm", {"comment": "现场确认法兰渗漏"})

    assert r.status_code == 200, r.content
    occurrence = AlarmOccurrence.objects.get()
    assert (r.json()["review"], r.json()["occurrence_id"]) == ("confirmed", occurrence.pk)
    assert AIAlert.objects.get().review_reason == "现场确认法兰渗漏"


def test_a_rejection_without_a_reason_is_a_field_error_in_the_language_asked_for(world: Any) -> None:
    alert = _ai_alert(world)
    client = as_user(world, "expert")

    zh = client.post(f"{API}/alerts/{alert.pk}/reject", {"reason": " "})
    en = client.post(
        f"{API}/alerts/{alert.pk}/reject", {"reason": ""},
        headers={"Accept-Language": "en"},
    )  # fmt: skip

    assert (zh.status_code, zh.json()["errors"]) == (400, {"reason": ["请填写驳回原因。"]})
    assert (en.status_code, en.json()["errors"]) == (400, {"reason": ["Enter a reason for rejecting."]})
    assert AIAlert.objects.get().review == ReviewStatus.PENDING


def test_the_review_queue_is_the_pending_alerts(world: Any) -> None:
    alert = _ai_alert(world)
    client = as_user(world, "expert")

    pending = client.get(f"{API}/alerts?review=pending").json()
    detail = client.get(f"{API}/alerts/{alert.pk}").json()

    assert [a["id"] for a in pending["items"]] == [alert.pk]
    assert pending["items"][0]["contributors"] == [
        {"tag": "TI-101", "share": 0.7},
        {"tag": "PI-201", "share": 0.3},
    ]
    assert detail["heatmap"] == {"tags": ["PI-201", "TI-101"], "times": [], "values": [[], []]}
