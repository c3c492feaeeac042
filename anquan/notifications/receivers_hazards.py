"""Who hears of each hazard step (the hazards domain's events → the notification centre).

- the reporter, of every step of their report (not of their own actions);
- the verifiers (``hazards.manage`` at the area), when a report arrives;
- the responsible person, when the rectification is assigned, sent back, or its deadline is near;
- the acceptors (``hazards.accept`` at the area, never the rectifier), when it is rectified;
- the approvers (``hazards.approve_major``), when a major hazard's plan is submitted;
- the area's managers, then the EHS directors, when it is overdue.

Each message is written in the recipient's own interface language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anquan.hazards.events import (
    HazardAccepted,
    HazardClosed,
    HazardDeadlineNear,
    HazardEscalated,
    HazardGraded,
    HazardRectified,
    HazardRejected,
    HazardReported,
    HazardStepTaken,
    HazardVerified,
    MajorHazardPlanApproved,
    MajorHazardPlanSubmitted,
    RectificationAssigned,
)
from anquan.hazards.models import Hazard
from anquan.hazards.selectors import people_with
from anquan.notifications.choices import Category, Level
from anquan.notifications.services import notify
from anquan.org.models import User
from anquan.org.roles import HAZARD_ACCEPT, HAZARD_APPROVE_MAJOR, HAZARD_MANAGE
from anquan.platform.events import subscribe


def _hazard(event: HazardStepTaken) -> Hazard | None:
    return (
        Hazard.objects.select_related("area__site", "reporter", "responsible")
        .filter(pk=event.hazard_id)
        .first()
    )


def _link(hazard: Hazard) -> str:
    return f"/hazards/{hazard.pk}/"


def _parts(hazard: Hazard) -> dict[str, Any]:
    return {
        "number": hazard.number,
        "title": hazard.title,
        "area": str(hazard.area),
        "state": str(hazard.get_state_display()),
    }


def _send(
    user_ids: Iterable[int],
    hazard: Hazard,
    title: Any,
    body: Any,
    *,
    level: str = Level.INFO,
    skip: Iterable[int | None] = (),
) -> None:
    """Notify each user (active, not skipped) in their own language; ``title``/``body`` are
    callables rendering the text inside that language."""
    ids = set(user_ids) - {s for s in skip if s is not None}
    for user in User.objects.filter(pk__in=ids, is_active=True).order_by("pk"):
        with translation.override(user.preferred_language):
            notify(
                [user],
                Category.HAZARD,
                title=title(),
                body=body(),
                link=_link(hazard),
                level=level,
                site_id=hazard.site_id,
            )


def _tell_reporter(event: HazardStepTaken, hazard: Hazard, what: Any) -> None:
    parts = _parts(hazard)
    _send(
        [hazard.reporter_id],
        hazard,
        lambda: _("您上报的隐患 %(number)s 有新进展") % parts,
        lambda: _("“%(title)s”：%(what)s 当前状态：%(state)s。") % {**parts, "what": what()},
        skip=[event.actor_id],
    )


@subscribe(HazardReported)
def hazard_reported(event: HazardReported) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    parts = _parts(hazard)
    verifiers = people_with(HAZARD_MANAGE, hazard.area)
    _send(
        verifiers,
        hazard,
        lambda: _("新隐患待核实：%(number)s") % parts,
        lambda: (
            _("%(area)s 上报了隐患“%(title)s”，请核实。") % parts
            + (_("系统发现疑似重复的隐患，请核对。") if event.likely_duplicate else "")
        ),
        level=Level.WARNING,
        skip=[event.actor_id],
    )


@subscribe(HazardVerified)
def hazard_verified(event: HazardVerified) -> None:
    hazard = _hazard(event)
    if hazard is not None:
        _tell_reporter(event, hazard, lambda: _("已核实，感谢您的上报。"))


@subscribe(HazardRejected)
def hazard_rejected(event: HazardRejected) -> None:
    hazard = _hazard(event)
    if hazard is not None:
        _tell_reporter(
            event, hazard, lambda: _("未予登记，原因：%(reason)s。") % {"reason": hazard.reject_reason}
        )


@subscribe(HazardGraded)
def hazard_graded(event: HazardGraded) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    _tell_reporter(
        event,
        hazard,
        lambda: (
            _("已评估为%(grade)s（%(colour)s）。")
            % {"grade": hazard.get_grade_display(), "colour": hazard.get_risk_colour_display()}
        ),
    )


@subscribe(MajorHazardPlanSubmitted)
def plan_submitted(event: MajorHazardPlanSubmitted) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    parts = _parts(hazard)
    _send(
        people_with(HAZARD_APPROVE_MAJOR, hazard.area),
        hazard,
        lambda: _("重大隐患治理方案待审批：%(number)s") % parts,
        lambda: _("%(area)s 的重大隐患“%(title)s”已提交治理方案，请审批。") % parts,
        level=Level.WARNING,
        skip=[event.actor_id],
    )


@subscribe(MajorHazardPlanApproved)
def plan_approved(event: MajorHazardPlanApproved) -> None:
    hazard = _hazard(event)
    if hazard is not None:
        _tell_reporter(event, hazard, lambda: _("重大隐患治理方案已审批。"))


@subscribe(RectificationAssigned)
def rectification_assigned(event: RectificationAssigned) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    parts = _parts(hazard)

    def deadline() -> str:
        return timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M") if hazard.deadline else "—"

    _send(
        [event.responsible_id],
        hazard,
        lambda: _("请整改隐患：%(number)s") % parts,
        lambda: (
            _(
                "您被指定为隐患“%(title)s”（%(area)s）的整改责任人，整改期限 %(deadline)s。整改措施：%(measures)s"
            )
            % {**parts, "deadline": deadline(), "measures": hazard.measures}
        ),
        level=Level.WARNING,
        skip=[event.actor_id],
    )
    _tell_reporter(event, hazard, lambda: _("已安排整改，期限 %(deadline)s。") % {"deadline": deadline()})


@subscribe(HazardRectified)
def hazard_rectified(event: HazardRectified) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    parts = _parts(hazard)
    _send(
        people_with(HAZARD_ACCEPT, hazard.area),
        hazard,
        lambda: _("隐患整改待验收：%(number)s") % parts,
        lambda: _("%(area)s 的隐患“%(title)s”已整改完成，请验收。") % parts,
        skip=[event.rectifier_id, event.actor_id],
    )
    _tell_reporter(event, hazard, lambda: _("已整改完成，等待验收。"))


@subscribe(HazardAccepted)
def hazard_accepted(event: HazardAccepted) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    if event.passed:
        _tell_reporter(event, hazard, lambda: _("整改已验收通过。"))
        return
    parts = _parts(hazard)
    _send(
        [hazard.responsible_id] if hazard.responsible_id else [],
        hazard,
        lambda: _("隐患整改验收不通过：%(number)s") % parts,
        lambda: (
            _("隐患“%(title)s”验收不通过：%(note)s 请继续整改。") % {**parts, "note": hazard.acceptance_note}
        ),
        level=Level.WARNING,
        skip=[event.actor_id],
    )
    _tell_reporter(event, hazard, lambda: _("验收未通过，已退回继续整改。"))


@subscribe(HazardClosed)
def hazard_closed(event: HazardClosed) -> None:
    hazard = _hazard(event)
    if hazard is not None:
        _tell_reporter(event, hazard, lambda: _("已销号，闭环完成。感谢您的参与！"))


@subscribe(HazardDeadlineNear)
def deadline_near(event: HazardDeadlineNear) -> None:
    hazard = _hazard(event)
    if hazard is None or hazard.responsible_id != event.responsible_id:
        return  # reassigned in the meantime
    parts = _parts(hazard)
    deadline = timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M") if hazard.deadline else "—"
    _send(
        [event.responsible_id],
        hazard,
        lambda: _("隐患整改即将到期：%(number)s") % parts,
        lambda: (
            _("隐患“%(title)s”（%(area)s）的整改期限为 %(deadline)s，请按时完成并提交整改证据。")
            % {**parts, "deadline": deadline}
        ),
        level=Level.WARNING,
    )


@subscribe(HazardEscalated)
def hazard_escalated(event: HazardEscalated) -> None:
    hazard = _hazard(event)
    if hazard is None:
        return
    parts = _parts(hazard)
    deadline = timezone.localtime(hazard.deadline).strftime("%Y-%m-%d %H:%M") if hazard.deadline else "—"
    _send(
        event.user_ids,
        hazard,
        lambda: _("隐患整改逾期：%(number)s") % parts,
        lambda: (
            _(
                "%(area)s 的隐患“%(title)s”整改期限 %(deadline)s 已过，仍未完成（责任人：%(responsible)s），"
                "现逐级通知到您（第 %(level)d 级）。请督促处理。"
            )
            % {**parts, "deadline": deadline, "responsible": hazard.responsible or "—", "level": event.level}
        ),
        level=Level.CRITICAL,
    )
