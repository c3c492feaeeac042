"""The monitoring REST API: alarms (list, acknowledge), shelving, trends and live values — scoped
like the pages, with the standard error shape; a denied call changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from anquan.api.tests.conftest import api_world, as_user  # noqa: F401 (api_world: the matrix's world)
from anquan.conftest import World
from anquan.monitoring import selectors, services
from anquan.monitoring.choices import AlarmMode, JournalKind
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, TagLive
from anquan.monitoring.storage import write_readings
from anquan.monitoring.tests.test_web_monitoring import T0, S, feed, limit_rules, snapshot

pytestmark = pytest.mark.django_db

API = "/api/v1/monitoring"


@pytest.fixture
def alarms(world: World) -> dict[str, AlarmOccurrence]:
    ti = limit_rules(world, "TI-101")
    pi = limit_rules(world, "PI-201")
    li = limit_rules(world, "LI-901")
    feed(world, "TI-101", 55.0)
    feed(world, "PI-201", 2.0, start=T0 + 10 * S)
    feed(world, "LI-901", 19.0, start=T0 + 20 * S)
    return {
        "ti_hh": AlarmOccurrence.objects.get(rule=ti["hh"]),
        "ti_h": AlarmOccurrence.objects.get(rule=ti["h"]),
        "pi_h": AlarmOccurrence.objects.get(rule=pi["h"]),
        "li_h": AlarmOccurrence.objects.get(rule=li["h"]),
    }


# --- GET /alarms ------------------------------------------------------------------------------
def test_listing_alarms_in_scope_in_console_order(world: World, alarms: Any) -> None:
    r = as_user(world, "operator_a").get(f"{API}/alarms")

    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    assert [(a["id"], a["priority"], a["state"]) for a in body["items"]] == [
        (alarms["ti_hh"].pk, "high", "unack"),
        (alarms["pi_h"].pk, "low", "unack"),  # of the same priority, the newest first
        (alarms["ti_h"].pk, "low", "unack"),
    ]
    first = body["items"][1]
    assert (first["site_id"], first["area_id"], first["tag_id"], first["raised_value"]) == (
        world.site_a.pk, world.area_a2.pk, world.tags["PI-201"].pk, 2.0
    )  # fmt: skip


def test_alarm_filters_and_pages(world: World, alarms: Any) -> None:
    client = as_user(world, "ehs")
    services.acknowledge(world.user("ehs"), [alarms["ti_hh"].pk])

    def ids(query: str) -> list[int]:
        r = client.get(f"{API}/alarms?{query}")
        assert r.status_code == 200, r.content
        return [a["id"] for a in r.json()["items"]]

    assert ids(f"site={world.site_b.pk}") == [alarms["li_h"].pk]
    assert ids(f"area={world.area_a1.pk}") == [alarms["ti_h"].pk, alarms["ti_hh"].pk]
    assert ids("priority=high") == [alarms["ti_hh"].pk]
    assert ids("state=acked") == [alarms["ti_hh"].pk]
    assert ids(f"rule={alarms['pi_h'].rule_id}") == [alarms["pi_h"].pk]
    page = client.get(f"{API}/alarms?page_size=2&page=2").json()
    assert (page["count"], len(page["items"])) == (4, 2)


def test_cleared_alarms_are_history(world: World, alarms: Any) -> None:
    client = as_user(world, "operator_a")
    services.acknowledge(world.user("operator_a"), [alarms["pi_h"].pk])
    feed(world, "PI-201", 1.0, start=T0 + 60 * S)  # returns: acknowledged, so cleared

    assert alarms["pi_h"].pk not in [a["id"] for a in client.get(f"{API}/alarms").json()["items"]]
    cleared = client.get(f"{API}/alarms?state=normal").json()["items"]
    assert [(a["id"], a["state"], a["acked_by_name"]) for a in cleared] == [
        (alarms["pi_h"].pk, "normal", "操作员")
    ]
    everything = client.get(f"{API}/alarms?include_cleared=true").json()
    assert everything["count"] == 3


def test_listing_alarms_needs_monitoring_view(world: World, alarms: Any) -> None:
    assert as_user(world, "contractor_a").get(f"{API}/alarms").status_code == 403
    r = as_user(world, None).get(f"{API}/alarms")
    assert (r.status_code, bool(r.json()["detail"])) == (401, True)


# --- POST /alarms/ack -----------------------------------------------------------------------------
def test_acknowledging_through_the_api(world: World, alarms: Any) -> None:
    ids = [alarms["ti_h"].pk, alarms["pi_h"].pk]

    r = as_user(world, "leader_a1").post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk], "comment": "收到"})
    assert (r.status_code, r.json()) == (200, {"acknowledged": 1})
    r = as_user(world, "operator_a").post(f"{API}/alarms/ack", {"ids": ids})
    assert (r.status_code, r.json()) == (200, {"acknowledged": 1})  # the first was acknowledged already

    ti, pi = (AlarmOccurrence.objects.get(pk=pk) for pk in ids)
    assert (ti.acked_by, pi.acked_by) == (world.user("leader_a1"), world.user("operator_a"))
    entry = AlarmJournal.objects.get(occurrence=ti, kind=JournalKind.ACKNOWLEDGED)
    assert (entry.user, entry.text) == (world.user("leader_a1"), "收到")


def test_a_denied_acknowledgement_changes_nothing(world: World, alarms: Any) -> None:
    before = snapshot()

    wrong_role = as_user(world, "worker_a1").post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk]})
    assert (wrong_role.status_code, bool(wrong_role.json()["detail"])) == (403, True)
    other_scope = as_user(world, "admin_b").post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk]})
    assert other_scope.status_code == 400
    assert list(other_scope.json()["errors"]) == ["ids"]
    mixed = as_user(world, "leader_a1").post(
        f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk, alarms["pi_h"].pk]}
    )
    assert mixed.status_code == 400  # the pump house is not the tank-farm team leader's
    anonymous = as_user(world, None).post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk]})
    assert anonymous.status_code == 401
    session = as_user(world, "operator_a", "session")
    assert session.post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk]}, csrf=False).status_code == 403
    assert snapshot() == before


def test_an_empty_or_bad_acknowledgement_is_422(world: World, alarms: Any) -> None:
    client = as_user(world, "operator_a")

    empty = client.post(f"{API}/alarms/ack", {"ids": []})
    assert (empty.status_code, list(empty.json()["errors"])) == (422, ["ids"])
    long = client.post(f"{API}/alarms/ack", {"ids": [alarms["ti_h"].pk], "comment": "长" * 501})
    assert (long.status_code, list(long.json()["errors"])) == (422, ["comment"])


# --- shelving -------------------------------------------------------------------------------------
def test_shelving_and_unshelving_through_the_api(world: World, alarms: Any) -> None:
    rule_id = alarms["ti_h"].rule_id
    client = as_user(world, "operator_a")

    r = client.post(f"{API}/rules/{rule_id}/shelve", {"minutes": 30, "reason": "更换变送器"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["rule_id"], body["mode"], body["mode_reason"], body["mode_by_id"]) == (
        rule_id, "shelved", "更换变送器", world.user("operator_a").pk
    )  # fmt: skip
    point = AlarmPoint.objects.get(rule_id=rule_id)
    assert point.mode == AlarmMode.SHELVED and point.shelved_until is not None

    r = client.post(f"{API}/rules/{rule_id}/unshelve")
    assert (r.status_code, r.json()["mode"]) == (200, "in_service")
    assert AlarmPoint.objects.get(rule_id=rule_id).mode == AlarmMode.IN_SERVICE


def test_shelving_errors_and_denials(world: World, alarms: Any) -> None:
    rule_id = alarms["ti_h"].rule_id
    before = snapshot()

    no_reason = as_user(world, "operator_a").post(
        f"{API}/rules/{rule_id}/shelve", {"minutes": 30, "reason": " "}
    )
    assert (no_reason.status_code, list(no_reason.json()["errors"])) == (400, ["reason"])
    too_long = as_user(world, "operator_a").post(
        f"{API}/rules/{rule_id}/shelve", {"minutes": 721, "reason": "久"}
    )
    assert (too_long.status_code, list(too_long.json()["errors"])) == (400, ["minutes"])
    assert (
        as_user(world, "worker_a1")
        .post(f"{API}/rules/{rule_id}/shelve", {"minutes": 30, "reason": "x"})
        .status_code
        == 403
    )
    assert (
        as_user(world, "admin_b")
        .post(f"{API}/rules/{rule_id}/shelve", {"minutes": 30, "reason": "x"})
        .status_code
        == 404
    )
    assert (
        as_user(world, "operator_a").post(f"{API}/rules/{rule_id}/unshelve").status_code == 400
    )  # not shelved
    assert as_user(world, "admin_b").post(f"{API}/rules/{rule_id}/unshelve").status_code == 404
    assert snapshot() == before


# --- trends and live values ------------------------------------------------------------------------
def test_trend_of_a_tag(world: World) -> None:
    tag = world.tags["TI-101"]
    now = selectors.now_ms()
    write_readings([(tag.pk, now - 2000, 21.0), (tag.pk, now - 1000, 21.5)])
    client = as_user(world, "worker_a1")

    r = client.get(f"{API}/tags/{tag.pk}/trend?start={now - 60_000}&end={now}")
    assert r.status_code == 200
    body = r.json()
    assert (body["id"], body["tag"], body["unit"], body["resolution"], body["period"], body["points"]) == (
        tag.pk, "TI-101", "°C", "raw", None, [[now - 2000, 21.0], [now - 1000, 21.5]]
    )  # fmt: skip
    default = client.get(f"{API}/tags/{tag.pk}/trend").json()
    assert default["end"] - default["start"] == 3_600_000
    bad = client.get(f"{API}/tags/{tag.pk}/trend?start={now}&end={now - 1}")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["start"])
    assert client.get(f"{API}/tags/{tag.pk}/trend?start=-1").status_code == 422
    assert as_user(world, "worker_a2").get(f"{API}/tags/{tag.pk}/trend").status_code == 404
    assert as_user(world, "contractor_a").get(f"{API}/tags/{tag.pk}/trend").status_code == 403


def test_live_values_in_scope(world: World) -> None:
    TagLive.objects.create(tag=world.tags["TI-101"], ts=T0, value=21.5, status="ok", status_since=T0)
    TagLive.objects.create(tag=world.tags["PI-201"], ts=T0, value=1.2, status="stale", status_since=T0)

    def rows(key: str, query: str = "") -> list[tuple[str, Any, str]]:
        r = as_user(world, key).get(f"{API}/live{query}")
        assert r.status_code == 200, r.content
        assert r.json()["count"] == len(r.json()["items"])
        return [(i["tag"], i["value"], i["status"]) for i in r.json()["items"]]

    assert rows("operator_a") == [("PI-201", 1.2, "stale"), ("TI-101", 21.5, "ok")]
    assert rows("worker_a1") == [("TI-101", 21.5, "ok")]
    assert rows("ehs", f"?site={world.site_b.pk}") == [("LI-901", None, "no_data")]
    assert rows("operator_a", f"?area={world.area_a2.pk}") == [("PI-201", 1.2, "stale")]
    assert rows("admin_b", f"?site={world.site_a.pk}") == []
    assert as_user(world, "contractor_a").get(f"{API}/live").status_code == 403
