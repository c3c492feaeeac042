"""The monitoring pages: the live site overview, the equipment trends, the alarm console with its
actions, the occurrence timeline, the rule pages and the escalation policy — scoping, permissions
and exact state changes through the services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anquan.conftest import World
from anquan.monitoring import selectors, services
from anquan.monitoring.alarms.processor import AlarmProcessor
from anquan.monitoring.choices import AlarmMode, JournalKind, RuleKind
from anquan.monitoring.models import (
    AlarmJournal,
    AlarmOccurrence,
    AlarmPoint,
    AlarmRule,
    EscalationPolicy,
    TagLive,
)
from anquan.monitoring.storage import write_readings
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = 1_764_300_000_000  # 2025-11-28 03:20:00 UTC
S = 1000
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- building alarms through the services and the processor ---------------------------------------
def limit_rules(world: World, tag: str) -> dict[str, AlarmRule]:
    """The tag's HH/H/L/LL limits as rules (what the receiver of SensorTagChanged does)."""
    services.sync_limit_rules(world.tags[tag])
    return {r.level: r for r in AlarmRule.objects.filter(tag=world.tags[tag])}


def feed(world: World, tag: str, *values: float, start: int = T0) -> None:
    """Readings of ``tag`` one second apart, through the processor (activations, returns)."""
    proc = AlarmProcessor()
    tag_id = world.tags[tag].pk
    proc.process([(tag_id, start + i * S, v) for i, v in enumerate(values)])


def alarm(world: World, tag: str = "TI-101", value: float = 45.0, level: str = "h") -> AlarmOccurrence:
    """An unacknowledged alarm of ``tag``'s ``level`` limit (TI-101: H 40 low, HH 50 high)."""
    rule = limit_rules(world, tag)[level]
    feed(world, tag, value)
    return AlarmOccurrence.objects.get(rule=rule, cleared_at__isnull=True)


@pytest.fixture
def two_alarms(world: World) -> Iterator[dict[str, AlarmOccurrence]]:
    """TI-101 (罐区, site A) high-high and PI-201 (泵房, site A) high; LI-901 (site B) high."""
    ti = limit_rules(world, "TI-101")
    pi = limit_rules(world, "PI-201")
    li = limit_rules(world, "LI-901")
    feed(world, "TI-101", 55.0)
    feed(world, "PI-201", 2.0, start=T0 + 10 * S)
    feed(world, "LI-901", 19.0, start=T0 + 20 * S)
    yield {
        "ti_hh": AlarmOccurrence.objects.get(rule=ti["hh"]),
        "ti_h": AlarmOccurrence.objects.get(rule=ti["h"]),
        "pi_h": AlarmOccurrence.objects.get(rule=pi["h"]),
        "li_h": AlarmOccurrence.objects.get(rule=li["h"]),
    }


def snapshot() -> list[Any]:
    """The alarm state the actions may change: occurrences, points, journal, rules, policies."""
    return [
        list(AlarmOccurrence.objects.order_by("pk").values()),
        list(AlarmPoint.objects.order_by("pk").values()),
        list(AlarmJournal.objects.order_by("pk").values()),
        list(AlarmRule.objects.order_by("pk").values()),
        list(EscalationPolicy.objects.order_by("pk").values()),
    ]


# --- permissions on every page ----------------------------------------------------------------------
def _pages(world: World, occ: AlarmOccurrence) -> list[str]:
    return [
        reverse("monitoring:overview"),
        reverse("monitoring:site", args=[world.site_a.pk]),
        reverse("monitoring:site-panel", args=[world.site_a.pk]),
        reverse("monitoring:equipment", args=[world.equipment["T-101"].pk]),
        reverse("monitoring:equipment-data", args=[world.equipment["T-101"].pk]),
        reverse("monitoring:tag-trend", args=[world.tags["TI-101"].pk]),
        reverse("monitoring:console"),
        reverse("monitoring:console-table"),
        reverse("monitoring:occurrence", args=[occ.pk]),
        reverse("monitoring:shelve", args=[occ.rule_id]),
    ]


def test_anonymous_visitors_are_sent_to_login(world: World) -> None:
    occ = alarm(world)
    for url in [*_pages(world, occ), reverse("monitoring:rules"), reverse("monitoring:events")]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_viewing_roles_open_every_page(world: World) -> None:
    occ = alarm(world)
    for key in ("worker_a1", "operator_a", "expert", "manager_a1", "ehs", "admin_a", "root"):
        client = world.client(key)
        for url in _pages(world, occ):
            assert client.get(url, follow=True).status_code == 200, (key, url)


def test_a_contractor_without_monitoring_view_gets_403(world: World) -> None:
    occ = alarm(world)
    client = world.client("contractor_a")
    for url in _pages(world, occ):
        assert client.get(url).status_code == 403, url


def test_records_of_another_site_or_area_are_404(world: World) -> None:
    occ = alarm(world)  # TI-101 in 罐区 (area a1, site A)
    for key in ("worker_b1", "admin_b", "worker_a2"):
        client = world.client(key)
        assert (
            client.get(reverse("monitoring:equipment", args=[world.equipment["T-101"].pk])).status_code == 404
        )
        assert client.get(reverse("monitoring:tag-trend", args=[world.tags["TI-101"].pk])).status_code == 404
        assert client.get(reverse("monitoring:occurrence", args=[occ.pk])).status_code == 404
        assert client.get(reverse("monitoring:shelve", args=[occ.rule_id])).status_code == 404
    for key in ("worker_b1", "admin_b"):
        assert world.client(key).get(reverse("monitoring:site", args=[world.site_a.pk])).status_code == 404


def test_rule_pages_need_monitoring_configure(world: World) -> None:
    rule = limit_rules(world, "TI-101")["h"]
    for key in ("operator_a", "worker_a1", "officer_a", "expert"):
        client = world.client(key)
        assert client.get(reverse("monitoring:rules")).status_code == 403, key
        assert client.get(reverse("monitoring:rule-edit", args=[rule.pk])).status_code == 403, key
        assert client.get(reverse("monitoring:escalation", args=[world.site_a.pk])).status_code == 403, key
    for key in ("manager_a1", "ehs", "admin_a"):
        assert world.client(key).get(reverse("monitoring:rules")).status_code == 200, key
        assert world.client(key).get(reverse("monitoring:rule-edit", args=[rule.pk])).status_code == 200, key
    # The pump-house manager has no area there; site B's administrator no site: not found.
    assert world.client("admin_b").get(reverse("monitoring:rule-edit", args=[rule.pk])).status_code == 404


def test_the_menu_offers_the_monitoring_pages_by_capability(world: World) -> None:
    from anquan.web.navigation import items_for

    def labels(key: str) -> set[str]:
        return {str(i["label"]) for i in items_for(world.user(key))}

    assert {"实时监测", "报警台", "报警规则"} <= labels("manager_a1")
    assert {"实时监测", "报警台"} <= labels("operator_a")
    assert "报警规则" not in labels("operator_a")
    assert not {"实时监测", "报警台", "报警规则"} & labels("contractor_a")


# --- the site overview ------------------------------------------------------------------------------
def test_the_overview_opens_the_only_site(world: World) -> None:
    response = world.client("worker_a1").get(reverse("monitoring:overview"))

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:site", args=[world.site_a.pk])


def test_the_overview_lists_each_site_with_its_alarms(world: World, two_alarms: Any) -> None:
    response = world.client("ehs").get(reverse("monitoring:overview"))

    cards = {c["site"].pk: c for c in response.context["cards"]}
    assert set(cards) == {world.site_a.pk, world.site_b.pk}
    a = cards[world.site_a.pk]["summary"]
    assert (a.active, a.unack, a.worst) == (3, 3, "high")
    b = cards[world.site_b.pk]["summary"]
    assert (b.active, b.unack, b.worst) == (1, 1, "low")


def test_the_site_map_colours_each_area_by_its_worst_active_alarm(world: World, two_alarms: Any) -> None:
    world.area_a1.map_polygon = [[10, 10], [120, 10], [120, 100], [10, 100]]
    world.area_a1.save()
    world.area_a2.map_polygon = [[150, 10], [250, 10], [250, 100], [150, 100]]
    world.area_a2.save()

    response = world.client("operator_a").get(reverse("monitoring:site-panel", args=[world.site_a.pk]))

    live = response.context["live"]
    colours = {a.id: a.colour for a in live.map.areas}
    assert colours == {world.area_a1.pk: "#dc3545", world.area_a2.pk: "#1098ad"}  # high, low
    rows = {r["area"].pk: (r["summary"].active, r["summary"].unack, r["summary"].worst) for r in live.areas}
    assert rows == {world.area_a1.pk: (2, 2, "high"), world.area_a2.pk: (1, 1, "low")}
    html = response.content.decode()
    assert 'hx-trigger="every 5s"' in html and 'id="site-live"' in html
    assert f'data-eq="{world.equipment["T-101"].pk}"' in html  # the tank is placed on the map


def test_acknowledged_alarms_still_colour_the_map_but_returned_ones_do_not(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)
    services.acknowledge(world.user("operator_a"), [occ.pk])
    client = world.client("operator_a")

    def tank_farm() -> tuple[int, int, str | None]:
        live = client.get(reverse("monitoring:site-panel", args=[world.site_a.pk])).context["live"]
        (row,) = [r for r in live.areas if r["area"] == world.area_a1]
        return (row["summary"].active, row["summary"].unack, row["summary"].worst)

    assert tank_farm() == (1, 0, "low")
    feed(world, "TI-101", 30.0, start=T0 + 10 * S)  # back to normal: acknowledged before, so cleared
    assert tank_farm() == (0, 0, None)


def test_the_map_tooltips_carry_live_values(world: World) -> None:
    write_readings([(world.tags["TI-101"].pk, T0, 21.5)])
    TagLive.objects.update_or_create(
        tag=world.tags["TI-101"], defaults={"ts": T0, "value": 21.5, "status": "ok", "status_since": T0}
    )

    response = world.client("worker_a1").get(reverse("monitoring:site-panel", args=[world.site_a.pk]))

    data = json.loads(
        response.content.decode()
        .split('id="site-live-data" type="application/json">')[1]
        .split("</script>")[0]
    )
    tank = data[str(world.equipment["T-101"].pk)]
    assert tank["code"] == "T-101"
    assert [(t["tag"], t["value"], t["text"], t["status"]) for t in tank["tags"]] == [
        ("TI-101", 21.5, "21.5", "ok")
    ]
    # The team-level worker of 罐区 does not see the pump house.
    assert str(world.equipment["P-201"].pk) not in data


# --- the equipment page and its data -----------------------------------------------------------------
def test_the_equipment_page_has_its_charts_with_limits(world: World) -> None:
    response = world.client("worker_a1").get(
        reverse("monitoring:equipment", args=[world.equipment["T-101"].pk])
    )

    config = response.context["config"]
    assert [t["tag"] for t in config["tags"]] == ["TI-101"]
    assert config["tags"][0]["limits"] == [
        {"level": "H", "value": 40.0, "priority": "low", "colour": "#f08c00"},
        {"level": "HH", "value": 50.0, "priority": "high", "colour": "#c92a2a"},
    ]
    assert config["data_url"] == reverse("monitoring:equipment-data", args=[world.equipment["T-101"].pk])
    assert f'data-chart="{world.tags["TI-101"].pk}"' in response.content.decode()


def test_equipment_data_returns_live_values_alarms_and_new_readings(world: World) -> None:
    tag = world.tags["TI-101"]
    write_readings([(tag.pk, T0, 20.0), (tag.pk, T0 + S, 21.0), (tag.pk, T0 + 2 * S, 22.0)])
    TagLive.objects.update_or_create(tag=tag, defaults={"ts": T0 + 2 * S, "value": 22.0, "status": "stale"})
    occ = alarm(world, "TI-101", 45.0)

    response = world.client("worker_a1").get(
        reverse("monitoring:equipment-data", args=[world.equipment["T-101"].pk]), {"since": T0}
    )

    body = response.json()
    (ti,) = body["tags"]
    assert (ti["value"], ti["status"], ti["status_label"]) == (22.0, "stale", "数据中断")
    assert [(a["id"], a["priority"], a["state"]) for a in ti["alarms"]] == [(occ.pk, "low", "unack")]
    assert body["readings"] == {str(tag.pk): [[T0 + S, 21.0], [T0 + 2 * S, 22.0]]}


def test_the_trend_endpoint_chooses_its_resolution_by_the_window(world: World) -> None:
    from anquan.monitoring.models import Rollup

    tag = world.tags["TI-101"]
    now = selectors.now_ms() // 3_600_000 * 3_600_000  # on the hour, within every retention period
    write_readings([(tag.pk, now - 60 * S, 20.0), (tag.pk, now - 30 * S, 21.0)])
    Rollup.objects.create(tag=tag, period=60, bucket=now - 120_000, min=19.0, max=23.0, sum=84.0, count=4)
    Rollup.objects.create(
        tag=tag, period=3600, bucket=now - 7_200_000, min=10.0, max=30.0, sum=600.0, count=30
    )
    client = world.client("worker_a1")
    url = reverse("monitoring:tag-trend", args=[tag.pk])

    raw = client.get(url, {"start": now - 3_600_000, "end": now}).json()
    assert (raw["resolution"], raw["points"]) == ("raw", [[now - 60 * S, 20.0], [now - 30 * S, 21.0]])
    minute = client.get(url, {"start": now - 86_400_000, "end": now}).json()
    assert (minute["resolution"], minute["period"], minute["points"]) == (
        "minute", 60, [[now - 120_000, 19.0, 21.0, 23.0]]
    )  # fmt: skip
    hour = client.get(url, {"start": now - 7 * 86_400_000, "end": now}).json()
    assert (hour["resolution"], hour["period"], hour["points"]) == (
        "hour",
        3600,
        [[now - 7_200_000, 10.0, 20.0, 30.0]],
    )


def test_a_bad_trend_window_is_a_400_with_field_errors(world: World) -> None:
    client = world.client("worker_a1")
    url = reverse("monitoring:tag-trend", args=[world.tags["TI-101"].pk])

    reversed_window = client.get(url, {"start": T0, "end": T0 - 1})
    assert reversed_window.status_code == 400
    assert reversed_window.json()["errors"] == {"start": ["开始时间必须早于结束时间。"]}
    not_a_number = client.get(url, {"start": "yesterday"})
    assert (not_a_number.status_code, list(not_a_number.json()["errors"])) == (400, ["start"])


# --- the console ------------------------------------------------------------------------------------
def test_the_console_lists_unacknowledged_first_then_by_priority(world: World, two_alarms: Any) -> None:
    services.acknowledge(world.user("operator_a"), [two_alarms["ti_hh"].pk])

    response = world.client("operator_a").get(reverse("monitoring:console"))

    rows = [(r["occ"].pk, r["state"]) for r in response.context["rows"]]
    assert rows == [
        (two_alarms["pi_h"].pk, "unack"),  # low, but unacknowledged (the newest first)
        (two_alarms["ti_h"].pk, "unack"),
        (two_alarms["ti_hh"].pk, "acked"),  # high, acknowledged
    ]
    assert response.context["counts"]["alarms"] == 3 and response.context["counts"]["unack"] == 2
    html = response.content.decode()
    assert "操作员" in html  # who acknowledged is shown
    assert reverse("monitoring:events") in html


def test_the_console_filters_by_site_area_priority_and_state(world: World, two_alarms: Any) -> None:
    client = world.client("ehs")
    url = reverse("monitoring:console-table")

    def ids(**params: Any) -> set[int]:
        return {r["occ"].pk for r in client.get(url, params).context["rows"]}

    assert ids() == {o.pk for o in two_alarms.values()}
    assert ids(site=world.site_b.pk) == {two_alarms["li_h"].pk}
    assert ids(area=world.area_a2.pk) == {two_alarms["pi_h"].pk}
    assert ids(priority="high") == {two_alarms["ti_hh"].pk}
    services.acknowledge(world.user("ehs"), [two_alarms["pi_h"].pk])
    assert ids(state="acked") == {two_alarms["pi_h"].pk}
    assert ids(state="unack", site=world.site_a.pk) == {two_alarms["ti_hh"].pk, two_alarms["ti_h"].pk}


def test_the_console_shows_only_alarms_in_scope(world: World, two_alarms: Any) -> None:
    def ids(key: str) -> set[int]:
        return {r["occ"].pk for r in world.client(key).get(reverse("monitoring:console")).context["rows"]}

    assert ids("worker_a1") == {two_alarms["ti_hh"].pk, two_alarms["ti_h"].pk}
    assert ids("worker_a2") == {two_alarms["pi_h"].pk}
    assert ids("worker_b1") == {two_alarms["li_h"].pk}
    assert ids("operator_a") == {two_alarms["ti_hh"].pk, two_alarms["ti_h"].pk, two_alarms["pi_h"].pk}


def test_acknowledging_one_alarm_from_the_console(world: World, two_alarms: Any) -> None:
    occ = two_alarms["ti_h"]

    response = world.client("operator_a").post(
        reverse("monitoring:ack"), {"ack_one": occ.pk, "ids": [two_alarms["pi_h"].pk], "query": ""}, **HTMX
    )

    assert response.status_code == 200
    assert response.context["notice"] == "已确认 1 条报警。"
    occ.refresh_from_db()
    assert (occ.acked_by, occ.acked_at is not None) == (world.user("operator_a"), True)
    two_alarms["pi_h"].refresh_from_db()
    assert two_alarms["pi_h"].acked_at is None  # only the pressed button's alarm
    assert AlarmJournal.objects.filter(occurrence=occ, kind=JournalKind.ACKNOWLEDGED).count() == 1


def test_acknowledging_in_bulk_with_a_comment(world: World, two_alarms: Any) -> None:
    ids = [two_alarms["ti_h"].pk, two_alarms["ti_hh"].pk, two_alarms["pi_h"].pk]

    response = world.client("operator_a").post(
        reverse("monitoring:ack"),
        {"ids": ids, "comment": "已通知现场巡检", "query": f"site={world.site_a.pk}"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:console") + f"?site={world.site_a.pk}"
    acked = AlarmOccurrence.objects.filter(pk__in=ids, acked_by=world.user("operator_a"))
    assert acked.count() == 3
    texts = set(AlarmJournal.objects.filter(kind=JournalKind.ACKNOWLEDGED).values_list("text", flat=True))
    assert texts == {"已通知现场巡检"}


def test_a_worker_may_not_acknowledge_and_nothing_changes(world: World, two_alarms: Any) -> None:
    before = snapshot()

    response = world.client("worker_a1").post(reverse("monitoring:ack"), {"ack_one": two_alarms["ti_h"].pk})

    assert response.status_code == 403
    assert snapshot() == before


def test_acknowledging_an_alarm_out_of_scope_is_404_and_changes_nothing(
    world: World, two_alarms: Any
) -> None:
    before = snapshot()

    for key in ("operator_a", "admin_b"):  # 西区's alarm for the east operator; the east's for the west admin
        target = two_alarms["li_h"] if key == "operator_a" else two_alarms["ti_h"]
        response = world.client(key).post(
            reverse("monitoring:ack"), {"ids": [two_alarms["pi_h"].pk, target.pk]}
        )
        assert response.status_code == 404, key
    assert snapshot() == before


def test_acknowledging_nothing_is_a_400_in_the_table(world: World, two_alarms: Any) -> None:
    response = world.client("operator_a").post(reverse("monitoring:ack"), {"query": ""}, **HTMX)

    assert response.status_code == 400
    assert response.context["error"] == "请先勾选要确认的报警。"


def test_the_shelved_suppressed_and_journal_tabs(world: World, two_alarms: Any) -> None:
    operator = world.user("operator_a")
    services.shelve(operator, two_alarms["ti_h"].rule_id, minutes=60, reason="传感器校准")
    services.remove_from_service(world.user("admin_a"), two_alarms["pi_h"].rule_id, reason="泵检修")
    client = world.client("operator_a")
    url = reverse("monitoring:console-table")

    alarms = client.get(url).context
    assert [r["occ"].pk for r in alarms["rows"]] == [two_alarms["ti_hh"].pk]
    assert (alarms["counts"]["shelved"], alarms["counts"]["suppressed"]) == (1, 1)
    shelved = client.get(url, {"tab": "shelved"}).context["points"]
    assert [(p.rule_id, p.mode_reason, p.mode_by) for p in shelved] == [
        (two_alarms["ti_h"].rule_id, "传感器校准", operator)
    ]
    suppressed = client.get(url, {"tab": "suppressed"}).context["points"]
    assert [(p.rule_id, p.mode) for p in suppressed] == [
        (two_alarms["pi_h"].rule_id, AlarmMode.OUT_OF_SERVICE)
    ]
    journal = client.get(url, {"tab": "journal"}).context["journal"]
    assert [j.kind for j in journal[:2]] == [JournalKind.REMOVED_FROM_SERVICE, JournalKind.SHELVED]
    assert all(j.site_id == world.site_a.pk for j in journal)


# --- shelving, unshelving, comments -------------------------------------------------------------------
def test_shelving_from_the_console_needs_a_reason(world: World, two_alarms: Any) -> None:
    rule_id = two_alarms["ti_h"].rule_id
    client = world.client("operator_a")

    missing = client.post(reverse("monitoring:shelve", args=[rule_id]), {"minutes": 60, "reason": ""})
    assert missing.status_code == 400
    assert missing.context["form"].errors["reason"] == ["这个字段是必填项。"]
    assert AlarmPoint.objects.get(rule_id=rule_id).mode == AlarmMode.IN_SERVICE

    done = client.post(
        reverse("monitoring:shelve", args=[rule_id]),
        {"minutes": 120, "reason": "仪表检修", "next": reverse("monitoring:console")},
    )
    assert (done.status_code, done["Location"]) == (302, reverse("monitoring:console"))
    point = AlarmPoint.objects.get(rule_id=rule_id)
    assert (point.mode, point.mode_reason, point.mode_by) == (
        AlarmMode.SHELVED,
        "仪表检修",
        world.user("operator_a"),
    )
    assert (
        point.shelved_until is not None
        and 119 <= (point.shelved_until - point.mode_at).total_seconds() / 60 <= 120
    )


def test_shelving_refuses_a_foreign_next_address(world: World, two_alarms: Any) -> None:
    rule_id = two_alarms["ti_h"].rule_id
    response = world.client("operator_a").post(
        reverse("monitoring:shelve", args=[rule_id]),
        {"minutes": 15, "reason": "校准", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("monitoring:console") + "?tab=shelved"


def test_a_worker_may_not_shelve_and_nothing_changes(world: World, two_alarms: Any) -> None:
    before = snapshot()

    response = world.client("worker_a1").post(
        reverse("monitoring:shelve", args=[two_alarms["ti_h"].rule_id]), {"minutes": 60, "reason": "想搁置"}
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_unshelving_from_the_console(world: World, two_alarms: Any) -> None:
    rule_id = two_alarms["ti_h"].rule_id
    services.shelve(world.user("operator_a"), rule_id, minutes=60, reason="校准")

    response = world.client("leader_a1").post(reverse("monitoring:unshelve", args=[rule_id]), **HTMX)

    assert (response.status_code, response["HX-Trigger"]) == (204, "monitoring-changed")
    assert AlarmPoint.objects.get(rule_id=rule_id).mode == AlarmMode.IN_SERVICE
    entry = AlarmJournal.objects.filter(rule_id=rule_id).order_by("-pk").first()
    assert entry is not None and (entry.kind, entry.user) == (JournalKind.UNSHELVED, world.user("leader_a1"))


def test_the_occurrence_page_shows_its_timeline_and_takes_comments(world: World) -> None:
    occ = alarm(world, "TI-101", 45.0)
    operator = world.user("operator_a")
    services.acknowledge(operator, [occ.pk], "已派人")
    client = world.client("operator_a")

    response = client.post(reverse("monitoring:comment", args=[occ.pk]), {"text": "现场确认：遮阳棚损坏"})
    assert response.status_code == 302

    page = client.get(reverse("monitoring:occurrence", args=[occ.pk]))
    kinds = [(e.kind, e.user, e.text) for e in page.context["timeline"]]
    assert kinds == [
        (JournalKind.ACTIVATED, None, kinds[0][2]),
        (JournalKind.ACKNOWLEDGED, operator, "已派人"),
        (JournalKind.COMMENTED, operator, "现场确认：遮阳棚损坏"),
    ]
    assert "现场确认：遮阳棚损坏" in page.content.decode()


def test_an_empty_comment_is_a_field_error(world: World) -> None:
    occ = alarm(world)
    response = world.client("operator_a").post(reverse("monitoring:comment", args=[occ.pk]), {"text": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors["text"]
    assert not AlarmJournal.objects.filter(kind=JournalKind.COMMENTED).exists()


def test_a_worker_may_not_comment(world: World) -> None:
    occ = alarm(world)
    before = snapshot()

    response = world.client("worker_a1").post(reverse("monitoring:comment", args=[occ.pk]), {"text": "看看"})

    assert response.status_code == 403
    assert snapshot() == before


# --- rules --------------------------------------------------------------------------------------------
def rule_post(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "area": world.area_a1.pk,
        "tag": world.tags["TI-101"].pk,
        "kind": "rate",
        "name": "1号罐温升过快",
        "priority": "medium",
        "deadband": "0",
        "on_delay_s": "10",
        "off_delay_s": "0",
        "suppress_when_out_of_service": "on",
        "enabled": "on",
        "cause": "冷却水中断",
        "consequence": "罐内压力上升",
        "action": "检查冷却水泵",
        "response_minutes": "10",
        "rate_per_minute": "2",
        "rate_direction": "rise",
        "rate_window_s": "",
        "compound_op": "and",
    }
    data.update(overrides)
    return data


def test_an_area_manager_creates_a_rate_rule(world: World) -> None:
    client = world.client("manager_a1")

    response = client.post(reverse("monitoring:rule-create") + f"?site={world.site_a.pk}", rule_post(world))

    assert response.status_code == 302
    rule = AlarmRule.objects.get(name="1号罐温升过快")
    assert (rule.kind, rule.priority, rule.params, rule.on_delay_s, rule.response_minutes) == (
        "rate", "medium", {"per_minute": 2.0, "direction": "rise"}, 10, 10
    )  # fmt: skip
    assert (rule.source, rule.area, rule.tag) == ("manual", world.area_a1, world.tags["TI-101"])
    assert AuditEntry.objects.filter(model="monitoring.alarmrule", object_id=str(rule.pk)).exists()


def test_each_rule_kind_builds_its_params(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("monitoring:rule-create") + f"?site={world.site_a.pk}"
    ti, pi = world.tags["TI-101"].pk, world.tags["PI-201"].pk
    cases = {
        "limit": ({"limit_level": "HH", "limit_value": "60"}, {"level": "HH", "value": 60.0}),
        "deviation": (
            {"deviation_reference_tag": pi, "deviation_max_difference": "5"},
            {"reference_tag": pi, "max_difference": 5.0},
        ),
        "stale": ({"stale_seconds": "120"}, {"seconds": 120}),
        "flatline": (
            {"flatline_seconds": "600", "flatline_tolerance": "0.1"},
            {"seconds": 600, "tolerance": 0.1},
        ),
        "discrete": ({"discrete_alarm_value": "1"}, {"alarm_value": 1.0}),
        "compound": (
            {
                "tag": "",
                "compound_op": "and",
                "term_0_tag": ti,
                "term_0_cond": ">",
                "term_0_value": "45",
                "term_1_tag": pi,
                "term_1_cond": "falling",
                "term_1_value": "0.05",
            },
            {
                "op": "and",
                "terms": [
                    {"tag": ti, "cmp": ">", "value": 45.0},
                    {"tag": pi, "trend": "falling", "per_minute": 0.05},
                ],
            },
        ),
    }
    for kind, (fields, params) in cases.items():
        response = client.post(url, rule_post(world, kind=kind, name=f"规则 {kind}", **fields))
        assert response.status_code == 302, (kind, response.context and response.context["form"].errors)
        assert AlarmRule.objects.get(name=f"规则 {kind}").params == params, kind


def test_service_errors_land_on_the_kind_fields(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("monitoring:rule-create") + f"?site={world.site_a.pk}"

    limit = client.post(url, rule_post(world, kind="limit", limit_level="H", limit_value=""))
    assert limit.status_code == 400
    assert limit.context["form"].errors["limit_value"] == ["请填写限值（数值）。"]

    rate = client.post(url, rule_post(world, rate_per_minute="0"))  # the service's rule: more than 0
    assert rate.context["form"].errors["rate_per_minute"] == ["变化率（每分钟）必须大于 0。"]

    compound = client.post(
        url,
        rule_post(
            world,
            kind="compound",
            tag="",
            term_0_tag=world.tags["TI-101"].pk,
            term_0_cond=">",
            term_0_value="1",
        ),
    )
    assert compound.status_code == 400
    groups = {g["kind"]: g["errors"] for g in compound.context["form"].kind_groups}
    assert groups["compound"] == ["组合条件须有 2 ~ 8 项。"]

    no_tag = client.post(url, rule_post(world, tag=""))
    assert no_tag.context["form"].errors["tag"] == ["该类型的报警规则需要选择测点。"]
    assert not AlarmRule.objects.exists()


def test_editing_a_rule_changes_only_what_changed(world: World) -> None:
    client = world.client("manager_a1")
    client.post(reverse("monitoring:rule-create") + f"?site={world.site_a.pk}", rule_post(world))
    rule = AlarmRule.objects.get(name="1号罐温升过快")

    page = client.get(reverse("monitoring:rule-edit", args=[rule.pk]))
    assert page.context["form"]["rate_per_minute"].value() == 2.0

    response = client.post(
        reverse("monitoring:rule-edit", args=[rule.pk]),
        rule_post(world, rate_per_minute="3", priority="high"),
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.priority, rule.params["per_minute"], rule.name) == ("high", 3.0, "1号罐温升过快")


def test_a_tag_limit_rule_keeps_its_limits_from_the_tag(world: World) -> None:
    rule = limit_rules(world, "TI-101")["h"]
    client = world.client("manager_a1")

    form = client.get(reverse("monitoring:rule-edit", args=[rule.pk])).context["form"]
    assert "kind" not in form.fields and "limit_value" not in form.fields

    post = {k: v for k, v in rule_post(world).items() if k in form.fields}
    post.update({"deadband": "2", "on_delay_s": "30", "off_delay_s": "5"})
    response = client.post(reverse("monitoring:rule-edit", args=[rule.pk]), post)

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.deadband, rule.on_delay_s, rule.params, rule.priority) == (
        2.0,
        30,
        {"level": "H", "value": 40.0},
        "low",
    )


def test_an_area_manager_cannot_configure_another_area(world: World) -> None:
    pump_rule = limit_rules(world, "PI-201")["h"]
    client = world.client("manager_a1")
    before = snapshot()

    assert client.get(reverse("monitoring:rule-edit", args=[pump_rule.pk])).status_code == 404
    create = client.post(
        reverse("monitoring:rule-create") + f"?site={world.site_a.pk}",
        rule_post(world, area=world.area_a2.pk),
    )
    assert create.status_code == 400
    assert create.context["form"].errors["area"]
    assert snapshot() == before


def test_taking_a_rule_out_of_service_and_back(world: World) -> None:
    rule = limit_rules(world, "TI-101")["h"]
    client = world.client("manager_a1")

    missing = client.post(reverse("monitoring:rule-remove", args=[rule.pk]), {"reason": ""})
    assert missing.status_code == 400
    response = client.post(reverse("monitoring:rule-remove", args=[rule.pk]), {"reason": "温度计更换"})
    assert response.status_code == 302
    point = AlarmPoint.objects.get(rule=rule)
    assert (point.mode, point.mode_reason, point.mode_by) == (
        AlarmMode.OUT_OF_SERVICE,
        "温度计更换",
        world.user("manager_a1"),
    )

    client.post(reverse("monitoring:rule-return", args=[rule.pk]))
    assert AlarmPoint.objects.get(rule=rule).mode == AlarmMode.IN_SERVICE


def test_an_operator_may_not_take_a_rule_out_of_service(world: World) -> None:
    rule = limit_rules(world, "TI-101")["h"]
    before = snapshot()

    response = world.client("operator_a").post(
        reverse("monitoring:rule-remove", args=[rule.pk]), {"reason": "x"}
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_deleting_a_rule(world: World) -> None:
    client = world.client("manager_a1")
    client.post(reverse("monitoring:rule-create") + f"?site={world.site_a.pk}", rule_post(world))
    rule = AlarmRule.objects.get(name="1号罐温升过快")

    assert client.get(reverse("monitoring:rule-delete", args=[rule.pk])).status_code == 200
    response = client.post(reverse("monitoring:rule-delete", args=[rule.pk]))

    assert response.status_code == 302
    assert not AlarmRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_with_alarms_is_not_deleted(world: World) -> None:
    occ = alarm(world)
    response = world.client("admin_a").post(reverse("monitoring:rule-delete", args=[occ.rule_id]))

    assert response.status_code == 400
    assert AlarmRule.objects.filter(pk=occ.rule_id).exists()


def test_the_rule_list_filters_and_scopes(world: World) -> None:
    limit_rules(world, "TI-101")
    limit_rules(world, "PI-201")
    limit_rules(world, "LI-901")

    def names(key: str, **params: Any) -> list[str]:
        return [r.name for r in world.client(key).get(reverse("monitoring:rules"), params).context["page"]]

    assert names("manager_a1") == ["TI-101 高限", "TI-101 高高限"]
    assert names("admin_a") == ["PI-201 高限", "TI-101 高限", "TI-101 高高限"]
    assert names("ehs", site=world.site_b.pk) == ["LI-901 低限", "LI-901 高限"]
    assert names("admin_a", priority="high") == ["TI-101 高高限"]
    assert names("admin_a", q="PI-") == ["PI-201 高限"]


def test_the_escalation_policy_of_a_site(world: World) -> None:
    client = world.client("admin_a")
    url = reverse("monitoring:escalation", args=[world.site_a.pk])

    form = client.get(url).context["form"]
    assert form["high_minutes"].value() == 5
    response = client.post(
        url,
        {
            "high_minutes": "3",
            "medium_minutes": "10",
            "low_minutes": "20",
            "role_0": "team_leader",
            "role_1": "ehs_director",
        },
    )

    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(site=world.site_a)
    assert (policy.high_minutes, policy.medium_minutes, policy.low_minutes, policy.roles) == (
        3, 10, 20, ["team_leader", "ehs_director"]
    )  # fmt: skip


def test_the_escalation_policy_needs_site_wide_configure(world: World) -> None:
    before = snapshot()
    response = world.client("manager_a1").post(
        reverse("monitoring:escalation", args=[world.site_a.pk]),
        {"high_minutes": "1", "medium_minutes": "1", "low_minutes": "1"},
    )

    assert response.status_code == 403
    assert (
        world.client("admin_b").get(reverse("monitoring:escalation", args=[world.site_a.pk])).status_code
        == 404
    )
    assert snapshot() == before


def test_rule_kinds_offered_are_every_configurable_kind(world: World) -> None:
    form = (
        world.client("admin_a")
        .get(reverse("monitoring:rule-create") + f"?site={world.site_a.pk}")
        .context["form"]
    )

    # every kind but "ai": those points are kept by their early-warning model
    assert [g["kind"] for g in form.kind_groups] == [k for k in RuleKind.values if k != RuleKind.AI]
