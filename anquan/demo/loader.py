"""Build the demo site (``anquan.demo.site``) through the organisation, plant, streaming and
monitoring services, then its safety work — hazards, inspections, work orders, inspection signals
and the daily health report (``anquan.demo.safety``) — through those domains' services.

The site goes through the services with ``actor=None`` (the system), so each record is validated,
audited and announced exactly as if an administrator had entered it; the safety work is done by the
demo people who would do it. The whole site is one transaction: it is there completely or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anquan.demo import safety
from anquan.demo import site as demo
from anquan.monitoring import services as monitoring
from anquan.org import services as org
from anquan.org.models import Area, Enterprise, Site, Team, User
from anquan.plant import services as plant
from anquan.plant.models import Equipment, SensorTag, Unit
from anquan.streaming import services as streaming

Progress = Callable[[int], None]


def is_loaded() -> bool:
    return Enterprise.objects.filter(code=demo.ENTERPRISE["code"]).exists()


def conflicting_usernames() -> list[str]:
    """Demo usernames already taken by someone else (the demo cannot load over them)."""
    names = [p.username for p in demo.PEOPLE]
    return sorted(User.objects.filter(username__in=names).values_list("username", flat=True))


def load(progress: Progress | None = None) -> Enterprise:
    """Create the demo enterprise and everything in it; the caller checks ``is_loaded`` first."""
    step: Progress = progress or (lambda n: None)
    taken = conflicting_usernames()
    if taken:
        raise ValidationError(
            _("以下用户名已被占用，无法加载演示场所：%(names)s") % {"names": "、".join(taken)}
        )
    with transaction.atomic():
        enterprise = org.create_enterprise(None, **demo.ENTERPRISE)
        step(1)
        site = org.create_site(None, enterprise=enterprise, **demo.SITE)
        step(1)
        areas = _areas(site, step)
        units = _units(areas, step)
        teams = _teams(areas, step)
        people = _people(enterprise, site, areas, teams, step)
        equipment = _equipment(areas, units, people, step)
        for spec in demo.TAGS:
            plant.create_tag(None, equipment=equipment[spec.equipment], **spec.fields())
            step(1)
        for link in demo.LINKS:
            plant.link(
                None,
                source=equipment[link.source],
                target=equipment[link.target],
                kind=link.kind,
                medium=link.medium,
                description=link.description,
            )
            step(1)
        _connectors(site)
        _rules(site, areas)
        safety.load(site)
    return enterprise


def _connectors(site: Site) -> None:
    for spec in demo.CONNECTORS:
        streaming.create_connector(None, site=site, **spec)


def _rules(site: Site, areas: dict[str, Area]) -> None:
    tags = {t.tag: t for t in SensorTag.objects.filter(site=site)}
    for spec in demo.RULES:
        params = dict(spec.params)
        if "terms" in params:
            params["terms"] = [{**term, "tag": tags[term["tag"]].pk} for term in params["terms"]]
        if "output_tag" in params:
            params["output_tag"] = tags[params["output_tag"]].pk
        monitoring.create_rule(
            None,
            site=site,
            area=areas[spec.area],
            kind=spec.kind,
            name=spec.name,
            priority=spec.priority,
            tag=tags[spec.tag] if spec.tag else None,
            params=params,
            deadband=spec.deadband,
            on_delay_s=spec.on_delay_s,
            cause=spec.cause,
            consequence=spec.consequence,
            action=spec.action,
        )


def _areas(site: Site, step: Progress) -> dict[str, Area]:
    out = {}
    for spec in demo.AREAS:
        out[spec.code] = org.create_area(
            None,
            site=site,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            map_polygon=[[x, y] for x, y in spec.polygon],
        )
        step(1)
    return out


def _units(areas: dict[str, Area], step: Progress) -> dict[str, Unit]:
    out = {}
    for spec in demo.UNITS:
        out[spec.code] = plant.create_unit(
            None, area=areas[spec.area], code=spec.code, name=spec.name, description=spec.description
        )
        step(1)
    return out


def _teams(areas: dict[str, Area], step: Progress) -> dict[str, Team]:
    out = {}
    for spec in demo.TEAMS:
        out[spec.code] = org.create_team(
            None, area=areas[spec.area], code=spec.code, name=spec.name, shift=spec.shift
        )
        step(1)
    return out


def _people(
    enterprise: Enterprise,
    site: Site,
    areas: dict[str, Area],
    teams: dict[str, Team],
    step: Progress,
) -> dict[str, User]:
    def scope(name: str) -> Any:
        level, _sep, code = name.partition(":")
        return {"enterprise": enterprise, "site": site, "area": areas.get(code), "team": teams.get(code)}[
            level
        ]

    out = {}
    for spec in demo.PEOPLE:
        out[spec.username] = org.create_user(
            None,
            username=spec.username,
            password=demo.DEMO_PASSWORD,
            roles=[(role, scope(where)) for role, where in spec.roles],
            name=spec.name,
            email=spec.email,
            phone=spec.phone,
            employee_no=spec.employee_no,
            company=spec.company,
            team=teams[spec.team] if spec.team else None,
        )
        step(1)
    return out


def _equipment(
    areas: dict[str, Area], units: dict[str, Unit], people: dict[str, User], step: Progress
) -> dict[str, Equipment]:
    out = {}
    for spec in demo.EQUIPMENT:
        out[spec.code] = plant.create_equipment(
            None,
            area=areas[spec.area],
            unit=units[spec.unit] if spec.unit else None,
            code=spec.code,
            name=spec.name,
            type=spec.type,
            status=spec.status,
            model=spec.model,
            manufacturer=spec.manufacturer,
            install_date=spec.install_date,
            responsible=people[spec.responsible],
            medium=spec.medium,
            map_x=float(spec.x),
            map_y=float(spec.y),
            description=spec.description,
        )
        step(1)
    return out
