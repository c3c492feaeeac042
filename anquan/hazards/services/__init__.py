"""Writes of hazards: the closed loop report → verify → grade → (major plan) → assign → rectify →
accept → close, alarms turned into hazards, and the deadline reminders and escalations.

Each use case owns its transaction, checks who may do it, writes the audit trail and the hazard's
timeline, and publishes its event after commit:

- set a site's grading method and LS matrix: ``hazards.manage`` over the whole site.
- report: ``hazards.report`` at the place; verify, reject, grade, submit a major plan, assign and
  close: ``hazards.manage``; rectify: the assigned responsible person only; accept:
  ``hazards.accept`` and never the rectifier; approve a major hazard's plan:
  ``hazards.approve_major``.
- load, correct or remove a major-hazard determination standard (重大事故隐患判定标准):
  ``hazards.manage`` over a whole site; a standard a hazard cites is read-only.
- A submitted report is never altered or deleted by its reporter: there is no such use case, and
  attachments are added to a hazard only here (``may_attach`` is open inside these services only).
"""

from anquan.hazards.services._base import (
    CHATTER_LOOKBACK,
    ESCALATE_SECOND_AFTER,
    MAX_DESCRIPTION,
    MAX_FILES,
    MAX_FUNDS,
    MAX_NOTE,
    REMIND_BEFORE,
    may_attach,
)
from anquan.hazards.services.criteria import (
    create_criteria_set,
    delete_criteria_set,
    update_criteria_set,
)
from anquan.hazards.services.deadlines import run_deadlines
from anquan.hazards.services.intake import alarm_failure, hazard_from_alarm, report_hazard
from anquan.hazards.services.matrix import set_risk_matrix
from anquan.hazards.services.orders import open_work_order, work_order_priority
from anquan.hazards.services.steps import (
    PLAN_FIELDS,
    accept,
    approve_plan,
    assign,
    assignable,
    close,
    grade,
    plan_approved,
    rectify,
    reject,
    submit_plan,
    verify,
)

__all__ = [
    "CHATTER_LOOKBACK",
    "ESCALATE_SECOND_AFTER",
    "MAX_DESCRIPTION",
    "MAX_FILES",
    "MAX_FUNDS",
    "MAX_NOTE",
    "PLAN_FIELDS",
    "REMIND_BEFORE",
    "accept",
    "alarm_failure",
    "approve_plan",
    "assign",
    "assignable",
    "close",
    "create_criteria_set",
    "delete_criteria_set",
    "grade",
    "hazard_from_alarm",
    "may_attach",
    "open_work_order",
    "plan_approved",
    "rectify",
    "reject",
    "report_hazard",
    "run_deadlines",
    "set_risk_matrix",
    "submit_plan",
    "update_criteria_set",
    "verify",
    "work_order_priority",
]
