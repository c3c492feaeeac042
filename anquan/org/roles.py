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
# Hazards (隐患): everyone reports and follows their own reports; the steps after need these. The
# rectification itself is done by the person it is assigned to, whatever their role.
HAZARD_REPORT = "hazards.report"  # 隐患随手拍
HAZARD_VIEW = "hazards.view"  # the register of a scope (beyond one's own reports)
HAZARD_MANAGE = "hazards.manage"  # verify or reject, grade, assign the rectification, close (销号)
HAZARD_ACCEPT = "hazards.accept"  # accept a rectification (验收; never one's own)
HAZARD_APPROVE_MAJOR = "hazards.approve_major"  # approve a major hazard's plan, report it upward
# Work orders: the assignee works on theirs, whatever their role.
WORKORDER_VIEW = "workorders.view"  # the work orders of a scope (beyond one's own)
WORKORDER_MANAGE = "workorders.manage"  # create by hand, dispatch and reassign, verify or reject
# Inspections (巡检): plans, routes and checklists; rounds walked on a phone; asset health and reports.
INSPECTION_VIEW = "inspections.view"  # plans, rounds, asset health, daily reports of a scope
INSPECTION_WALK = "inspections.walk"  # walk a round: check in at checkpoints, record check items
INSPECTION_PLAN = "inspections.plan"  # plans, routes, checkpoints, checklists, report subscriptions

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
    HAZARD_REPORT,
    HAZARD_VIEW,
    HAZARD_MANAGE,
    HAZARD_ACCEPT,
    HAZARD_APPROVE_MAJOR,
    WORKORDER_VIEW,
    WORKORDER_MANAGE,
    INSPECTION_VIEW,
    INSPECTION_WALK,
    INSPECTION_PLAN,
}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.WORKER: frozenset({ORG_VIEW, PLANT_VIEW, MONITOR_VIEW, HAZARD_REPORT, INSPECTION_WALK}),
    Role.TEAM_LEADER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE}
        | {HAZARD_REPORT, HAZARD_VIEW, WORKORDER_VIEW, WORKORDER_MANAGE, INSPECTION_VIEW, INSPECTION_WALK}
    ),
    Role.OPERATOR: frozenset(
        {ORG_VIEW, PLANT_VIEW, MONITOR_VIEW, MONITOR_OPERATE, HAZARD_REPORT, HAZARD_VIEW}
        | {WORKORDER_VIEW, WORKORDER_MANAGE, INSPECTION_VIEW, INSPECTION_WALK}
    ),
    Role.SAFETY_OFFICER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE}
        | {HAZARD_REPORT, HAZARD_VIEW, HAZARD_MANAGE, HAZARD_ACCEPT, WORKORDER_VIEW, WORKORDER_MANAGE}
        | {INSPECTION_VIEW, INSPECTION_WALK, INSPECTION_PLAN}
    ),
    Role.AREA_MANAGER: frozenset(
        {ORG_VIEW, PLANT_VIEW, PEOPLE_VIEW, PLANT_ATTACH, MONITOR_VIEW, MONITOR_OPERATE, MONITOR_CONFIGURE}
        | {WARNING_CONFIGURE}
        | {HAZARD_REPORT, HAZARD_VIEW, HAZARD_MANAGE, HAZARD_ACCEPT, WORKORDER_VIEW, WORKORDER_MANAGE}
        | {INSPECTION_VIEW, INSPECTION_PLAN}
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
            HAZARD_REPORT,
            HAZARD_VIEW,
            HAZARD_MANAGE,
            HAZARD_ACCEPT,
            HAZARD_APPROVE_MAJOR,
            WORKORDER_VIEW,
            WORKORDER_MANAGE,
            INSPECTION_VIEW,
            INSPECTION_PLAN,
        }
    ),
    Role.EXPERT_REVIEWER: frozenset({ORG_VIEW, PLANT_VIEW, MONITOR_VIEW, WARNING_REVIEW, HAZARD_REPORT}),
    # A contractor sees its own people, certificates and permits (later domains), not the plant;
    # its workers report hazards like anyone on site and follow their own reports.
    Role.CONTRACTOR: frozenset({ORG_VIEW, HAZARD_REPORT}),
    Role.ADMINISTRATOR: frozenset(_ALL),
}


def capabilities(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())
