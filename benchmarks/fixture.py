"""The Django side of the benchmarks, run as a subprocess pointed at the bench database.

    python -m benchmarks.fixture build '{"tags": 1000, "markers": 50, "run": "ab12cd34"}'
    python -m benchmarks.fixture counts

``build`` makes a synthetic site through the org, plant, monitoring and streaming services (the
way a person would through the UI): an enterprise, a site, areas, equipment with ``tags`` temperature
tags (range 0…100 °C, LL 5 / L 10 / H 90 / HH 95), ``markers`` marker tags with only an H limit
(one rule each, for the latency probe), the limit alarm rules of every tag, an MQTT connector on
``bench/<run>/#``, an HTTP gateway connector with a fresh key, and an operator signed in (a session
in the database). It prints what the benchmark needs as JSON.

``counts`` prints the row counts the benchmarks compare before and after a run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from typing import Any

from benchmarks import workload

AREAS = 5
TAGS_PER_EQUIPMENT = 20


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anquan.config.settings")
    import django

    django.setup()


def build(tags: int, markers: int, run: str) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from anquan.monitoring import services as monitoring
    from anquan.monitoring.models import AlarmRule
    from anquan.monitoring.web.events import POLL_INTERVAL_S
    from anquan.org import services as org
    from anquan.org.choices import Role
    from anquan.plant import services as plant
    from anquan.streaming import services as streaming

    t0 = time.perf_counter()
    ent = org.create_enterprise(None, code=f"bench-{run}", name="基准测试企业")
    site = org.create_site(None, enterprise=ent, code="bench", name="基准测试场所")
    areas = [
        org.create_area(None, site=site, code=f"A{i + 1}", name=f"基准区域 {i + 1}") for i in range(AREAS)
    ]

    def equipment(index: int, area: Any) -> Any:
        return plant.create_equipment(
            None, area=area, code=f"E-{index:03d}", name=f"基准储罐 {index}", type="storage_tank"
        )

    tag_ids: dict[str, int] = {}
    eq: Any = None
    for i, code in enumerate(workload.tag_codes(tags)):
        if i % TAGS_PER_EQUIPMENT == 0:
            eq = equipment(i // TAGS_PER_EQUIPMENT + 1, areas[(i // TAGS_PER_EQUIPMENT) % AREAS])
        tag = plant.create_tag(
            None, equipment=eq, tag=code, name=f"温度 {code}", kind="temperature", unit="°C",
            range_low=Decimal(workload.RANGE[0]), range_high=Decimal(workload.RANGE[1]),
            ll=Decimal(workload.LL), l=Decimal(workload.L), h=Decimal(workload.H), hh=Decimal(workload.HH),
            sample_interval_s=1,
        )  # fmt: skip
        tag_ids[code] = tag.pk
    marker_ids: dict[str, int] = {}
    if markers:
        meq = plant.create_equipment(None, area=areas[0], code="E-MARK", name="标记储罐", type="storage_tank")
        for code in workload.marker_codes(markers):
            tag = plant.create_tag(
                None, equipment=meq, tag=code, name=f"标记 {code}", kind="temperature", unit="°C",
                range_low=Decimal(workload.RANGE[0]), range_high=Decimal(workload.RANGE[1]),
                h=Decimal(workload.H), h_priority="high", sample_interval_s=3600,
            )  # fmt: skip
            marker_ids[code] = tag.pk
    tags_s = time.perf_counter() - t0

    # The receiver of SensorTagChanged made each tag's limit rules when it was created; a tag
    # without them (a receiver that failed) is synced here, as `anquan alarms sync` would.
    t1 = time.perf_counter()
    with_rules = set(AlarmRule.objects.filter(site=site).values_list("tag_id", flat=True))
    for tag_id in [*tag_ids.values(), *marker_ids.values()]:
        if tag_id not in with_rules:
            monitoring.sync_limit_rules(tag_id)
    rules_s = time.perf_counter() - t1
    rules = AlarmRule.objects.filter(site=site, enabled=True).count()
    marker_rules = {
        str(rule_id): code
        for rule_id, code in AlarmRule.objects.filter(tag_id__in=marker_ids.values()).values_list(
            "pk", "tag__tag"
        )
    }

    mqtt = streaming.create_connector(
        None, site=site, name="基准 MQTT", protocol="mqtt",
        config={"topics": [f"bench/{run}/#"], "qos": 1, "client_id": f"anquan-bench-{run}", "session_expiry_s": 60},
    )  # fmt: skip
    http = streaming.create_connector(None, site=site, name="基准 HTTP 网关", protocol="http", config={})
    key = streaming.issue_gateway_key(None, http)

    operator = org.create_user(
        None,
        username=f"bench-operator-{run}",
        password=None,
        name="基准操作员",
        roles=[(Role.OPERATOR, site)],
    )
    client = Client()
    client.force_login(operator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "site_id": site.pk,
        "tags": len(tag_ids),
        "markers": len(marker_ids),
        "rules": rules,
        "marker_rules": marker_rules,
        "mqtt_connector": mqtt.pk,
        "http_connector": http.pk,
        "gateway_key": key,
        "session_cookie": [settings.SESSION_COOKIE_NAME, session],
        "build_s": round(tags_s, 1),
        "sync_s": round(rules_s, 1),
        "stream_batch_ms": settings.ANQUAN_STREAM_BATCH_MS,  # what the stream will run with
        "feed_poll_ms": round(POLL_INTERVAL_S * 1000),
    }


def counts() -> dict[str, int]:
    from django.db.models import Sum

    from anquan.monitoring.models import AlarmJournal, AlarmOccurrence
    from anquan.streaming.models import Connector, DeadLetter

    totals = Connector.objects.aggregate(a=Sum("accepted"), r=Sum("rejected"))
    return {
        "accepted": totals["a"] or 0,
        "rejected": totals["r"] or 0,
        "occurrences": AlarmOccurrence.objects.count(),
        "journal": AlarmJournal.objects.count(),
        "dead_letters": DeadLetter.objects.count(),
    }


def main(argv: list[str]) -> int:
    _setup()
    command = argv[0] if argv else ""
    args = json.loads(argv[1]) if len(argv) > 1 else {}
    if command == "build":
        result: dict[str, Any] = build(int(args["tags"]), int(args.get("markers", 0)), str(args["run"]))
    elif command == "counts":
        result = counts()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
