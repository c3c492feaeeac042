"""KPI reports over the alarm tables, and the KPI pages.

The reports are pure computations over the alarm journal, occurrences and points, so the tests
write those rows directly with explicit timestamps (the plant comes from the ``world`` fixture).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import timezone

from anquan.monitoring import kpis
from anquan.monitoring.choices import AlarmMode, JournalKind, RuleKind
from anquan.monitoring.kpis import FloodPeriod
from anquan.monitoring.models import AlarmJournal, AlarmOccurrence, AlarmPoint, AlarmRule
from anquan.plant.choices import AlarmPriority

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
S = timedelta(seconds=1)

# Until the site's urls mount the monitoring pages, the tests mount them at /monitoring/.
urlpatterns = [
    path("monitoring/", include("anquan.monitoring.web.urls")),
    path("", include("anquan.config.urls")),
]


@pytest.fixture(autouse=True)
def _kpi_routes(settings: Any) -> None:
    try:
        reverse("monitoring:kpis")
        reverse("monitoring:area_kpis", args=[1])
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


# --- building alarm history ---------------------------------------------------------------------
def make_rule(area: Any, name: str, priority: str = AlarmPriority.LOW, tag: Any = None) -> AlarmRule:
    return AlarmRule.objects.create(
        site=area.site, area=area, tag=tag, kind=RuleKind.LIMIT, name=name, priority=priority,
        params={"level": "H", "value": 1.0},
    )  # fmt: skip


def activate(
    rule: AlarmRule,
    at: datetime,
    *,
    priority: str | None = None,
    returned: datetime | None = None,
    acked: datetime | None = None,
) -> AlarmOccurrence:
    """One annunciation: the occurrence and its ``activated`` journal row."""
    occurrence = AlarmOccurrence.objects.create(
        rule=rule, site=rule.site, area=rule.area, priority=priority or rule.priority, message=rule.name,
        raised_at=at, returned_at=returned, acked_at=acked,
    )  # fmt: skip
    AlarmJournal.objects.create(
        rule=rule, occurrence=occurrence, site=rule.site, area=rule.area, kind=JournalKind.ACTIVATED, at=at
    )
    return occurrence


def set_mode(
    rule: AlarmRule,
    mode: str,
    *,
    by: Any,
    at: datetime,
    reason: str = "",
    until: datetime | None = None,
    journal: bool = True,
) -> AlarmPoint:
    point, _ = AlarmPoint.objects.update_or_create(
        rule=rule,
        defaults={"mode": mode, "mode_by": by, "mode_at": at, "mode_reason": reason, "shelved_until": until},
    )
    if journal:
        kind = JournalKind.SHELVED if mode == AlarmMode.SHELVED else JournalKind.REMOVED_FROM_SERVICE
        log(rule, kind, by=by, at=at, text=reason)
    return point


def log(rule: AlarmRule, kind: str, *, by: Any, at: datetime, text: str = "") -> AlarmJournal:
    return AlarmJournal.objects.create(
        rule=rule, site=rule.site, area=rule.area, kind=kind, at=at, user=by, text=text
    )


# --- reports ------------------------------------------------------------------------------------
def test_area_report_counts_its_own_area_and_window(world: Any) -> None:
    a1, a2 = world.area_a1, world.area_a2
    r1, r2 = make_rule(a1, "罐温高", tag=world.tags["TI-101"]), make_rule(a1, "罐压高")
    burst = NOW - timedelta(hours=5)
    for i in range(11):  # 11 within exactly 10 minutes: a flood
        activate(r1 if i % 2 else r2, burst + 60 * i * S)
    activate(r1, NOW - timedelta(days=1) - S)  # just before the window
    activate(r1, NOW + S)  # after "now"
    activate(make_rule(a2, "泵出口压力高"), NOW - timedelta(hours=2))
    activate(make_rule(world.area_b1, "西罐液位高"), NOW - timedelta(hours=2))
    # Active while shelved: journaled without an occurrence, not annunciated, not counted.
    log(r1, JournalKind.ACTIVATED, by=None, at=NOW - timedelta(hours=1), text="搁置中，未报警")

    report = kpis.area_report(a1, days=1, now=NOW)

    assert report.rates.total == 11
    assert sum(report.series_10min) == sum(report.series_hour) == sum(report.series_day) == 11
    assert report.rates.peak_interval == 10  # 07:00–07:10 holds 10 of them, 07:10 the 11th
    start = kpis.to_ms(burst)
    assert report.floods == [FloodPeriod(start, start + 960_000, 11, 11, a1.pk)]
    assert report.flood_time == 960 / 86400
    assert report.flood_bands == [(start, start + 960_000)]
    assert [(b.rule.name, b.count) for b in report.bad_actors] == [("罐压高", 6), ("罐温高", 5)]
    assert report.top_share == 1.0

    site = kpis.site_report([a1, a2], days=1, now=NOW)
    assert site.rates.total == 12
    assert [(row.area, row.rates.total, len(row.floods)) for row in site.rows] == [(a1, 11, 1), (a2, 1, 0)]
    assert site.flood_time == 960 / 86400
    assert site.by_area_10min[a2.pk].count(1) == 1


def test_flood_running_when_the_window_opens_is_counted_from_the_window_start(world: Any) -> None:
    rule = make_rule(world.area_a1, "罐温高")
    window_start = NOW - timedelta(days=1)
    burst = window_start - 120 * S
    for i in range(11):
        activate(rule, burst + 60 * i * S)

    report = kpis.area_report(world.area_a1, days=1, now=NOW)

    assert [(f.start_ms, f.end_ms, f.count) for f in report.floods] == [
        (kpis.to_ms(burst), kpis.to_ms(burst + 960 * S), 11)
    ]
    assert report.flood_time == (960 - 120) / 86400
    assert report.rates.total == 9  # the two before the window are not in its load


def test_chattering_three_in_sixty_seconds_but_not_in_sixty_one(world: Any) -> None:
    chatters, steady = make_rule(world.area_a1, "液位开关"), make_rule(world.area_a1, "阀位反馈")
    t = NOW - timedelta(hours=3)
    for offset in (0, 30, 60):
        activate(chatters, t + offset * S)
    for offset in (0, 30, 61):
        activate(steady, t + offset * S)

    report = kpis.area_report(world.area_a1, days=1, now=NOW)

    assert [(c.rule, c.activations, c.chattering, c.episodes) for c in report.chattering] == [
        (chatters, 3, 3, [kpis.ChatterEpisode(kpis.to_ms(t), kpis.to_ms(t + 60 * S), 3)])
    ]
    assert report.grades["chattering"] == "bad"


def test_stale_is_active_for_more_than_24_hours(world: Any) -> None:
    rule = make_rule(world.area_a1, "罐温高")
    exactly = activate(rule, NOW - timedelta(hours=24))
    older = activate(rule, NOW - timedelta(hours=24) - S)
    returned = activate(rule, NOW - timedelta(hours=30), returned=NOW - timedelta(hours=1))
    cleared = activate(rule, NOW - timedelta(hours=40))
    AlarmOccurrence.objects.filter(pk=cleared.pk).update(
        returned_at=NOW - timedelta(hours=39), cleared_at=NOW
    )
    # An alarm whose point is shelved is listed with the shelved points, not as standing.
    shelved_rule = make_rule(world.area_a1, "已搁置")
    activate(shelved_rule, NOW - timedelta(hours=48))
    set_mode(
        shelved_rule,
        AlarmMode.SHELVED,
        by=world.users["operator_a"],
        at=NOW - S,
        reason="检修",
        until=NOW + S,
    )

    report = kpis.area_report(world.area_a1, days=1, now=NOW)

    assert report.standing == [older, exactly]
    assert report.standing_count == 2
    assert report.stale == [older]
    assert report.stale_count == 1
    # Local days 03-01 and 03-02: the alarm shelved only a second ago was stale from 03-01 12:00 on;
    # on 03-02 also `older` (from 11:59:59) and `returned` (06:00–11:00).
    assert report.stale_by_day == [1, 3]
    assert report.grades["stale"] == "ok"
    assert returned not in report.standing
    assert [p.rule for p in report.shelved] == [shelved_rule]


def test_top_ten_bad_actors_and_priority_mix(world: Any) -> None:
    counts = [50, 40, 30, 20, 10, 9, 8, 7, 6, 5, 3, 2]
    priorities = [AlarmPriority.HIGH, AlarmPriority.MEDIUM] + [AlarmPriority.LOW] * 10
    rules = [make_rule(world.area_a1, f"报警{i:02d}", p) for i, p in enumerate(priorities)]
    t = NOW - timedelta(hours=20)
    for rule, n in zip(rules, counts, strict=True):
        for _ in range(n):
            t += 5 * 60 * S
            activate(rule, t)
    # The occurrence's priority wins over the rule's: one activation of the last (low) rule is high.
    last = AlarmOccurrence.objects.filter(rule=rules[-1]).order_by("raised_at").last()
    AlarmOccurrence.objects.filter(pk=last.pk).update(priority=AlarmPriority.HIGH)  # type: ignore[union-attr]

    report = kpis.area_report(world.area_a1, days=1, now=NOW)

    assert report.rates.total == 190
    assert [(b.rule, b.count, b.share) for b in report.bad_actors] == [
        (rule, n, n / 190) for rule, n in zip(rules[:10], counts[:10], strict=True)
    ]
    assert report.top_share == 185 / 190
    assert report.grades["top"] == "bad"
    assert [(p.priority, p.count, p.share, p.target) for p in report.priorities] == [
        ("low", 99, 99 / 190, 0.80),
        ("medium", 40, 40 / 190, 0.15),
        ("high", 51, 51 / 190, 0.05),
    ]
    assert report.floods == []
    assert report.chattering == []


def test_unauthorised_suppressions(world: Any) -> None:
    u = world.users
    a1 = world.area_a1
    r = {name: make_rule(a1, name) for name in ("正常搁置", "无原因", "无权限搁置", "超时搁置", "无期限", "无权停用",
                                                "正常停用", "已到期", "恰好12小时", "历史无原因", "历史越权")}  # fmt: skip
    h = timedelta(hours=1)
    set_mode(
        r["正常搁置"], AlarmMode.SHELVED, by=u["operator_a"], at=NOW - 10 * h, reason="检修", until=NOW + h
    )
    set_mode(r["无原因"], AlarmMode.SHELVED, by=u["operator_a"], at=NOW - 9 * h, until=NOW + h)
    set_mode(
        r["无权限搁置"], AlarmMode.SHELVED, by=u["worker_a1"], at=NOW - 8 * h, reason="误报", until=NOW + h
    )
    set_mode(
        r["超时搁置"], AlarmMode.SHELVED, by=u["operator_a"], at=NOW - 7 * h, reason="检修", until=NOW + 6 * h
    )
    set_mode(r["无期限"], AlarmMode.SHELVED, by=None, at=NOW - 6 * h, reason="检修", journal=False)
    set_mode(r["无权停用"], AlarmMode.OUT_OF_SERVICE, by=u["operator_a"], at=NOW - 5 * h, reason="仪表故障")
    set_mode(r["正常停用"], AlarmMode.OUT_OF_SERVICE, by=u["manager_a1"], at=NOW - 4 * h, reason="仪表更换")
    set_mode(r["已到期"], AlarmMode.SHELVED, by=u["operator_a"], at=NOW - 3 * h, reason="检修", until=NOW - S)
    set_mode(
        r["恰好12小时"],
        AlarmMode.SHELVED,
        by=u["operator_a"],
        at=NOW - 2 * h,
        reason="检修",
        until=NOW + 10 * h,
    )
    # Past actions whose points are back in service.
    log(r["历史无原因"], JournalKind.SHELVED, by=u["operator_a"], at=NOW - 20 * h)
    log(r["历史越权"], JournalKind.REMOVED_FROM_SERVICE, by=u["worker_b1"], at=NOW - 19 * h, text="试验")
    log(r["历史无原因"], JournalKind.SHELVED, by=u["operator_a"], at=NOW - 30 * h)  # before the window
    # Another site's suppression is not this area's.
    set_mode(make_rule(world.area_b1, "西罐"), AlarmMode.SHELVED, by=None, at=NOW - h)

    report = kpis.area_report(a1, days=1, now=NOW)

    assert [(s.rule.name, s.action, s.problems, s.current) for s in report.unauthorised] == [
        ("无原因", AlarmMode.SHELVED, ("no_reason",), True),
        ("无权限搁置", AlarmMode.SHELVED, ("not_permitted",), True),
        ("超时搁置", AlarmMode.SHELVED, ("too_long",), True),
        ("无期限", AlarmMode.SHELVED, ("unknown_user", "no_limit"), True),
        ("无权停用", AlarmMode.OUT_OF_SERVICE, ("not_permitted",), True),
        ("已到期", AlarmMode.SHELVED, ("expired",), True),
        ("历史无原因", AlarmMode.SHELVED, ("no_reason",), False),
        ("历史越权", AlarmMode.OUT_OF_SERVICE, ("not_permitted",), False),
    ]
    assert report.unauthorised[3].problem_labels == ["操作人不明", "搁置未设期限"]
    assert len(report.shelved) == 7
    assert [p.rule.name for p in report.out_of_service] == ["无权停用", "正常停用"]
    assert report.grades["unauthorised"] == "bad"


def test_average_time_to_acknowledge(world: Any) -> None:
    rule = make_rule(world.area_a1, "罐温高")
    t = NOW - timedelta(hours=2)
    activate(rule, t, acked=t + 30 * S, returned=t + 40 * S)
    activate(rule, t + 600 * S, acked=t + 690 * S, returned=t + 700 * S)
    activate(rule, t + 1200 * S, returned=t + 1300 * S)
    activate(rule, NOW - timedelta(days=2), acked=NOW - timedelta(hours=1), returned=NOW - timedelta(days=2))

    ack = kpis.area_report(world.area_a1, days=1, now=NOW).ack

    assert (ack.raised, ack.acked, ack.mean_s, ack.median_s) == (3, 2, 60.0, 60.0)


# --- pages --------------------------------------------------------------------------------------
def busy_history(world: Any) -> dict[str, Any]:
    """Recent history in the east tank farm: a flood, a chattering switch, a stale alarm, a shelve."""
    now = timezone.now()
    a1 = world.area_a1
    tank = make_rule(a1, "1号罐温度高", AlarmPriority.HIGH, tag=world.tags["TI-101"])
    switch = make_rule(a1, "液位开关抖动")
    for i in range(11):
        activate(tank, now - timedelta(hours=3) + 50 * i * S, returned=now - timedelta(hours=2))
    for offset in (0, 20, 40):
        activate(switch, now - timedelta(hours=1) + offset * S, returned=now - timedelta(minutes=50))
    stale = activate(make_rule(a1, "可燃气体探测器故障"), now - timedelta(hours=30))
    set_mode(
        switch, AlarmMode.SHELVED, by=world.users["operator_a"], at=now - timedelta(minutes=30), until=now + S
    )
    activate(
        make_rule(world.area_a2, "泵出口压力高"), now - timedelta(hours=4), returned=now - timedelta(hours=3)
    )
    return {"tank": tank, "switch": switch, "stale": stale}


def kpis_url(**query: Any) -> str:
    return reverse("monitoring:kpis") + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def area_url(area: Any, **query: Any) -> str:
    url = reverse("monitoring:area_kpis", args=[area.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_site_page_for_a_viewer(world: Any) -> None:
    busy_history(world)

    response = world.client("operator_a").get(kpis_url(site=world.site_a.pk, days=1))

    assert response.status_code == 200
    ctx = response.context
    assert ctx["site"] == world.site_a
    assert ctx["days"] == 1
    assert [row["area"] for row in ctx["rows"]] == [world.area_a2, world.area_a1]  # by code
    assert [row["summary"]["total"] for row in ctx["rows"]] == [1, 14]
    assert [row["summary"]["chattering"] for row in ctx["rows"]] == [0, 1]
    summary = ctx["summary"]
    assert (summary["total"], summary["floods"], summary["stale"], summary["unauthorised"]) == (15, 1, 1, 1)
    html = response.content.decode()
    assert "报警管理指标" in html
    assert "液位开关抖动" in html and "可燃气体探测器故障" in html
    assert area_url(world.area_a1, days=1) in html.replace("&amp;", "&")
    chart = json.loads(html.split('<script id="kpi-data" type="application/json">')[1].split("</script>")[0])
    assert chart["lines"]["rate10"] == [2.0, 4.0]  # two areas: the targets summed
    assert [s["name"] for s in chart["rate10"]["stacks"]] == ["泵房", "罐区"]
    assert len(chart["floods"]) == 1


def test_area_page_for_a_team_member(world: Any) -> None:
    busy_history(world)

    response = world.client("worker_a1").get(area_url(world.area_a1, days=30))

    assert response.status_code == 200
    assert response.context["area"] == world.area_a1
    assert response.context["report"].rates.total == 15
    html = response.content.decode()
    chart = json.loads(html.split('<script id="kpi-data" type="application/json">')[1].split("</script>")[0])
    assert chart["lines"] == {"rate10": [1.0, 2.0], "hour": [6.0, 12.0], "day": [144.0, 288.0]}
    assert [p["target"] for p in chart["priorities"]] == [0.8, 0.15, 0.05]
    assert chart["top"][-1]["name"] == "1号罐温度高 (TI-101)"  # drawn bottom-up: the biggest last


def test_team_member_sees_only_their_area_on_the_site_page(world: Any) -> None:
    busy_history(world)

    response = world.client("worker_a1").get(kpis_url())

    assert response.status_code == 200
    assert response.context["site"] == world.site_a
    assert [row["area"] for row in response.context["rows"]] == [world.area_a1]
    assert response.context["summary"]["total"] == 15  # a 7-day window holds the stale alarm's activation


def test_contractor_is_forbidden(world: Any) -> None:
    client = world.client("contractor_a")
    assert client.get(kpis_url()).status_code == 403
    assert client.get(area_url(world.area_a1)).status_code == 403


def test_other_sites_and_areas_are_not_found(world: Any) -> None:
    operator = world.client("operator_a")
    assert operator.get(area_url(world.area_b1)).status_code == 404
    assert operator.get(kpis_url(site=world.site_b.pk)).status_code == 404
    assert operator.get(kpis_url(area=world.area_b1.pk)).status_code == 404
    assert operator.get(kpis_url(site="east")).status_code == 404
    assert world.client("worker_a1").get(area_url(world.area_a2)).status_code == 404
    assert world.client("worker_b1").get(area_url(world.area_b1)).status_code == 200


def test_choosing_an_area_opens_its_page(world: Any) -> None:
    response = world.client("operator_a").get(kpis_url(site=world.site_a.pk, area=world.area_a2.pk, days=30))
    assert response.status_code == 302
    assert response["Location"] == area_url(world.area_a2, days=30)


def test_enterprise_viewer_picks_a_site_and_an_unknown_window_falls_back(world: Any) -> None:
    response = world.client("ehs").get(kpis_url(site=world.site_b.pk, days=5))
    assert response.status_code == 200
    assert response.context["site"] == world.site_b
    assert response.context["days"] == kpis.DEFAULT_DAYS
    assert [row["area"] for row in response.context["rows"]] == [world.area_b1]
    assert len(response.context["sites"]) == 2


def test_anonymous_is_sent_to_sign_in(world: Any) -> None:
    response = world.client(None).get(kpis_url())
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
