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
MONITOR_VIEW = "monitoring.view"  # live values, trends, alarms, KPIs
MONITOR_OPERATE = "monitoring.operate"  # acknowledge, shelve with a reason, comment
MONITOR_CONFIGURE = "monitoring.configure"  # alarm rules, remove from service, escalation policy
STREAM_CONFIGURE = "streaming.configure"  # connectors, gateway keys, history imports, dead letters
WARNING_REVIEW = "earlywarning.review"  # confirm or reject AI alerts (the expert track)
WARNING_CONFIGURE = "earlywarning.configure"  # define and train models, approve and roll back versions

_ALL = {
    ORG_VIEW,
    PEOPLE_VIEW,
    PEOPLE_MANAGE,
    PLANT_VIEW,
    PLANT_CHANGE,
    PLANT_ATTACH,
    AUDIT_VIEW,
    NOTIFY_MANAGE,
    MONITOR_VIEW,
    MONITOR_OPERATE,
    MONITOR_CONFIGURE,
    STREAM_CONFIGURE,
    WARNING_REVIEW,
    WARNING_CONFIGURE,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({ORG_VIEW, PLANT_VIEW, MONITOR_VIEW}),
    Role.TEAM_LEADER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE}
    ),
    Role.OPERATOR: frozenset({ORG_VIEW, PLANT_VIEW, MONITOR_VIEW, MONITOR_OPERATE}),
    Role.SAFETY_OFFICER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE}
    ),
    Role.AREA_MANAGER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE, MONITOR_CONFIGURE}
        | {WARNING_CONFIGURE}
    ),
    Role.EHS_DIRECTOR: frozenset(
        {
            ORG_VIEW,
            PLANT_VIEW,
            PEOPLE_VIEW,
            PLANT_ATTACH,
            AUDIT_VIEW,
            MONITOR_VIEW,
            MONITOR_OPERATE,
            MONITOR_CONFIGURE,
            WARNING_REVIEW,
            WARNING_CONFIGURE,
        }
    ),
    Role.EXPERT_REVIEWER: frozenset({ORG_VIEW, PLANT_VIEW, MONITOR_VIEW, WARNING_REVIEW}),
    # A contractor sees its own people, certificates and permits (later domains), not the plant.
    Role.CONTRACTOR: frozenset({ORG_VIEW}),
    Role.ADMINISTRATOR: frozenset(_ALL),
}


def capabilities(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())
