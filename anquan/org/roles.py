"""What each role may do. Scope (where) comes from the role assignment; this says what.

Capabilities are named ``<domain>.<verb>``. Later domains add their own capabilities here, so the
whole matrix stays readable in one table (docs/architecture.md shows it).
"""

from __future__ import annotations

from anquan.org.choices import Role

ORG_VIEW = "org.view"  # enterprises, sites, areas, teams
PEOPLE_VIEW = "org.view_people"
PEOPLE_MANAGE = "org.manage_people"
PLANT_VIEW = "plant.view"
PLANT_CHANGE = "plant.change"
PLANT_ATTACH = "plant.attach"  # upload photos and documents to equipment
AUDIT_VIEW = "audit.view"
NOTIFY_MANAGE = "notifications.manage"  # channels, role preferences

_ALL = {
    ORG_VIEW,
    PEOPLE_VIEW,
    PEOPLE_MANAGE,
    PLANT_VIEW,
    PLANT_CHANGE,
    PLANT_ATTACH,
    AUDIT_VIEW,
    NOTIFY_MANAGE,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({ORG_VIEW, PLANT_VIEW}),
    Role.TEAM_LEADER: frozenset({ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH}),
    Role.OPERATOR: frozenset({ORG_VIEW, PLANT_VIEW}),
    Role.SAFETY_OFFICER: frozenset({ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH}),
    Role.AREA_MANAGER: frozenset({ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH}),
    Role.EHS_DIRECTOR: frozenset({ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, AUDIT_VIEW}),
    Role.EXPERT_REVIEWER: frozenset({ORG_VIEW, PLANT_VIEW}),
    # A contractor sees its own people, certificates and permits (later domains), not the plant.
    Role.CONTRACTOR: frozenset({ORG_VIEW}),
    Role.ADMINISTRATOR: frozenset(_ALL),
}


def capabilities(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())
