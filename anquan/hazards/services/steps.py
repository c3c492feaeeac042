"""The steps after the report: verify or reject, grade, a major hazard's plan, assign, rectify, accept, close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.hazards import events, grading, selectors
from anquan.hazards.choices import (
    GradingMethod,
    HazardGrade,
    HazardState,
    ManageType,
    PlanStatus,
    RejectKind,
    StepKind,
)
from anquan.hazards.models import CriteriaItem, CriteriaSet, Hazard, HazardCriterion, MajorHazardPlan
from anquan.hazards.services._base import (
    MAX_FUNDS,
    MAX_NOTE,
    _actor_id,
    _check_files,
    _common,
    _expect,
    _lock,
    _require,
    _step,
    _store,
    _text,
    _user_or_none,
)
from anquan.org.models import RoleAssignment, User
from anquan.org.roles import HAZARD_ACCEPT, HAZARD_APPROVE_MAJOR, HAZARD_MANAGE
from anquan.platform import audit
from anquan.platform.events import publish


# --- verify / reject ----------------------------------------------------------------------------
def verify(actor: Any, hazard: Hazard, note: str = "", *, now: dt.datetime | None = None) -> Hazard:
    """The report is a real hazard (登记): it goes on to grading."""
    note = _text(note, "note", required=False, limit=MAX_NOTE)
    _require(actor, HAZARD_MANAGE, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.REPORTED)
        before, now = audit.snapshot(hazard), now or timezone.now()
        hazard.state = HazardState.VERIFIED
        hazard.verified_by, hazard.verified_at = _user_or_none(actor), now
        hazard.save()
        audit.record_update(actor, hazard, before)
        _step(hazard, StepKind.VERIFIED, actor, at=now, from_state=HazardState.REPORTED, note=note)
        publish(events.HazardVerified(**_common(hazard, actor)))
    return hazard


def reject(
    actor: Any,
    hazard: Hazard,
    reason: str,
    duplicate_of: Hazard | None = None,
    *,
    now: dt.datetime | None = None,
) -> Hazard:
    """Not a hazard (无效) or a duplicate of another one, with a reason."""
    reason = _text(reason, "reason", required=True, limit=MAX_NOTE, message=_("请填写驳回原因。"))
    _require(actor, HAZARD_MANAGE, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.REPORTED)
        if duplicate_of is not None and (
            duplicate_of.pk == hazard.pk
            or duplicate_of.site_id != hazard.site_id
            or duplicate_of.state == HazardState.REJECTED
        ):
            raise ValidationError({"duplicate_of": [_("请选择本场所另一条未被驳回的隐患。")]})
        before, now = audit.snapshot(hazard), now or timezone.now()
        hazard.state = HazardState.REJECTED
        hazard.reject_kind = RejectKind.DUPLICATE if duplicate_of is not None else RejectKind.INVALID
        hazard.reject_reason = reason
        hazard.duplicate_of = duplicate_of
        hazard.verified_by, hazard.verified_at = _user_or_none(actor), now
        hazard.save()
        audit.record_update(actor, hazard, before)
        data = {"duplicate_of": duplicate_of.number} if duplicate_of is not None else {}
        _step(
            hazard, StepKind.REJECTED, actor, at=now, from_state=HazardState.REPORTED, note=reason, data=data
        )
        publish(
            events.HazardRejected(
                **_common(hazard, actor), duplicate_of_id=duplicate_of.pk if duplicate_of else None
            )
        )
    return hazard


# --- grade ------------------------------------------------------------------------------------------
def _factor(value: Any, allowed: Sequence[float], field: str, errors: dict[str, list[str]]) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if number not in allowed:
        errors[field] = [_("可选值：%(values)s。") % {"values": "、".join(f"{v:g}" for v in allowed)}]
        return None
    return number


def _level(value: Any, top: int, field: str, errors: dict[str, list[str]]) -> int | None:
    """A level of the LS matrix, 1 … ``top``."""
    number = None
    if not isinstance(value, bool):
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = None
    if number is None or not 1 <= number <= top:
        errors[field] = [_("请选择 1 ~ %(n)d 级。") % {"n": top}]
        return None
    return number


def _given(value: Any) -> bool:
    return value not in (None, "")


def _cited(hazard: Hazard, value: Any, errors: dict[str, list[str]]) -> list[CriteriaItem]:
    """The determination-standard items (ids) a grader cites: each of a set in force on the day
    the hazard was reported."""
    ids: list[int] = []
    for entry in value or ():
        try:
            ids.append(int(entry))
        except (TypeError, ValueError):
            errors["criteria"] = [_("所选判定标准条款不存在。")]
            return []
    found = {
        item.pk: item
        for item in CriteriaItem.objects.select_related("criteria_set")
        .filter(pk__in=ids)
        .order_by("criteria_set__code", "number")
    }
    day = selectors.hazard_day(hazard)
    messages: list[str] = []
    if any(pk not in found for pk in ids):
        messages.append(_("所选判定标准条款不存在。"))
    for item in found.values():
        if not item.criteria_set.covers(day):
            messages.append(
                _("“%(code)s”第 %(number)d 条不是该隐患发现之日（%(day)s）现行的判定标准条款。")
                % {"code": item.criteria_set.code, "number": item.number, "day": day.isoformat()}
            )
    if messages:
        errors["criteria"] = messages
    return list(found.values())


def _snapshot(items: Sequence[CriteriaItem]) -> list[dict[str, Any]]:
    return [
        {"set_id": i.criteria_set_id, "code": i.criteria_set.code, "number": i.number, "text": i.text}
        for i in items
    ]


def grade(
    actor: Any,
    hazard: Hazard,
    *,
    grade: str = "",
    manage_type: str,
    lec_l: Any = None,
    lec_e: Any = None,
    lec_c: Any = None,
    ls_l: Any = None,
    ls_s: Any = None,
    criteria: Sequence[Any] = (),
    note: str = "",
    now: dt.datetime | None = None,
) -> Hazard:
    """Grade a verified hazard: 一般/重大, 即查即改/限期整改, and its risk colour by the site's
    method — LEC (L, E, C required; D = L×E×C and the colour bands) or the site's LS matrix (L, S
    required; R = L×S and the colour of that cell). The other method's factors are refused.

    ``criteria``: ids of the items of the determination standard in force on the day the hazard
    was reported (重大事故隐患判定标准) that it meets; citing any makes it 重大. A major hazard
    without an item is the grader's judgement. Grading again replaces the citations."""
    note = _text(note, "note", required=False, limit=MAX_NOTE)
    _require(actor, HAZARD_MANAGE, hazard)
    errors: dict[str, list[str]] = {}
    cited = _cited(hazard, criteria, errors)
    if cited:
        grade = HazardGrade.MAJOR
    if grade not in HazardGrade.values:
        errors["grade"] = [_("请选择隐患等级。")]
    if manage_type not in ManageType.values:
        errors["manage_type"] = [_("请选择治理类型。")]
    config = selectors.risk_matrix(hazard.site)
    lec: tuple[float | None, float | None, float | None] = (None, None, None)
    ls: tuple[int | None, int | None] = (None, None)
    d: float | None = None
    r: int | None = None
    risk_colour = ""
    if config.method == GradingMethod.LS:
        matrix = config.matrix
        for name, value in (("lec_l", lec_l), ("lec_e", lec_e), ("lec_c", lec_c)):
            if _given(value):
                errors[name] = [_("本场所按风险矩阵法评估，请填写 L、S 等级，不填 LEC。")]
        ls = (
            _level(ls_l, matrix.rows, "ls_l", errors),
            _level(ls_s, matrix.cols, "ls_s", errors),
        )
        if ls[0] is not None and ls[1] is not None:
            r = grading.ls_r(ls[0], ls[1])
            risk_colour = matrix.colour(ls[0], ls[1])
    else:
        for name, value in (("ls_l", ls_l), ("ls_s", ls_s)):
            if _given(value):
                errors[name] = [_("本场所按 LEC 法评估，请填写 L、E、C，不填风险矩阵等级。")]
        lec = (
            _factor(lec_l, grading.LEC_L, "lec_l", errors),
            _factor(lec_e, grading.LEC_E, "lec_e", errors),
            _factor(lec_c, grading.LEC_C, "lec_c", errors),
        )
        if None not in lec:
            d = grading.lec_d(*lec)  # type: ignore[arg-type]
            risk_colour = grading.lec_colour(d)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.VERIFIED, HazardState.GRADED)
        if cited:  # the sets may not change under the citation (their writes lock them too)
            sets = {item.criteria_set_id for item in cited}
            list(CriteriaSet.objects.select_for_update().filter(pk__in=sets).values_list("pk"))
            cited = _cited(hazard, [item.pk for item in cited], errors)
            if errors:
                raise ValidationError(errors)
        before, now, from_state = audit.snapshot(hazard), now or timezone.now(), hazard.state
        hazard.state = HazardState.GRADED
        hazard.grade, hazard.manage_type, hazard.risk_colour = grade, manage_type, risk_colour
        hazard.lec_l, hazard.lec_e, hazard.lec_c = lec
        hazard.lec_d = d
        hazard.ls_l, hazard.ls_s = ls
        hazard.ls_r = r
        hazard.report_upward = grade == HazardGrade.MAJOR
        hazard.criteria = _snapshot(cited)
        hazard.graded_by, hazard.graded_at = _user_or_none(actor), now
        hazard.save()
        HazardCriterion.objects.filter(hazard=hazard).delete()
        HazardCriterion.objects.bulk_create(HazardCriterion(hazard=hazard, item=item) for item in cited)
        audit.record_update(actor, hazard, before)
        data: dict[str, Any] = {
            "grade": grade,
            "risk_colour": risk_colour,
            "manage_type": manage_type,
            "method": config.method,
        }
        if cited:
            data["criteria"] = hazard.criteria
        if d is not None:
            data.update({"L": lec[0], "E": lec[1], "C": lec[2], "D": d})
        if r is not None:
            data.update({"L": ls[0], "S": ls[1], "R": r})
        _step(hazard, StepKind.GRADED, actor, at=now, from_state=from_state, note=note, data=data)
        publish(
            events.HazardGraded(
                **_common(hazard, actor),
                grade=grade,
                risk_colour=risk_colour,
                report_upward=hazard.report_upward,
            )
        )
    return hazard


# --- a major hazard's plan --------------------------------------------------------------------------
PLAN_FIELDS = ("goal", "methods", "funds_materials", "organisation", "time_limit", "safety_emergency")


def submit_plan(
    actor: Any, hazard: Hazard, *, now: dt.datetime | None = None, **fields: Any
) -> MajorHazardPlan:
    """The six-element plan of a major hazard (a new submission replaces one not yet approved)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in PLAN_FIELDS:
        try:
            clean[name] = _text(fields.get(name), name, required=True, limit=MAX_NOTE)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _require(actor, HAZARD_MANAGE, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.GRADED)
        if hazard.grade != HazardGrade.MAJOR:
            raise ValidationError({"grade": [_("只有重大隐患需要治理方案。")]})
        now = now or timezone.now()
        plan = MajorHazardPlan.objects.select_for_update().filter(hazard=hazard).first()
        if plan is not None and plan.status == PlanStatus.APPROVED:
            raise ValidationError({"plan": [_("治理方案已审批，不能再修改。")]})
        if plan is None:
            plan = MajorHazardPlan.objects.create(
                hazard=hazard, submitted_by=_user_or_none(actor), submitted_at=now, **clean
            )
            audit.record_create(actor, plan)
        else:
            before = audit.snapshot(plan)
            for name, value in clean.items():
                setattr(plan, name, value)
            plan.submitted_by, plan.submitted_at = _user_or_none(actor), now
            plan.save()
            audit.record_update(actor, plan, before)
        _step(hazard, StepKind.PLAN_SUBMITTED, actor, at=now, from_state=hazard.state)
        publish(events.MajorHazardPlanSubmitted(**_common(hazard, actor)))
    return plan


def approve_plan(
    actor: Any, hazard: Hazard, note: str = "", *, now: dt.datetime | None = None
) -> MajorHazardPlan:
    """The extra approval of a major hazard's plan; the rectification can then be assigned."""
    note = _text(note, "note", required=False, limit=MAX_NOTE)
    _require(actor, HAZARD_APPROVE_MAJOR, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        plan = MajorHazardPlan.objects.select_for_update().filter(hazard=hazard).first()
        if plan is None or plan.status != PlanStatus.SUBMITTED:
            raise ValidationError({"plan": [_("没有待审批的治理方案。")]})
        now = now or timezone.now()
        before = audit.snapshot(plan)
        plan.status = PlanStatus.APPROVED
        plan.approved_by, plan.approved_at = _user_or_none(actor), now
        plan.save()
        audit.record_update(actor, plan, before)
        _step(hazard, StepKind.PLAN_APPROVED, actor, at=now, from_state=hazard.state, note=note)
        publish(events.MajorHazardPlanApproved(**_common(hazard, actor)))
    return plan


def plan_approved(hazard: Hazard) -> bool:
    return MajorHazardPlan.objects.filter(hazard=hazard, status=PlanStatus.APPROVED).exists()


# --- assign / rectify / accept / close ---------------------------------------------------------------
def _funds(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"funds": [_("请输入金额。")]}) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_FUNDS:
        raise ValidationError({"funds": [_("金额须在 0 ~ %(max)s 元之间。") % {"max": MAX_FUNDS}]})
    return amount.quantize(Decimal("0.01"))


def assignable(hazard: Hazard, user: Any) -> bool:
    """The responsible person must be an active member of the hazard's enterprise."""
    return (
        isinstance(user, User)
        and user.is_active
        and RoleAssignment.objects.filter(user=user, enterprise_id=hazard.site.enterprise_id).exists()
    )


def assign(
    actor: Any,
    hazard: Hazard,
    *,
    responsible: User,
    measures: str,
    deadline: dt.datetime,
    funds: Any = None,
    now: dt.datetime | None = None,
) -> Hazard:
    """Assign the rectification (responsible person, measures, funds, deadline); again while it
    is under way to reassign it (the reminders and escalations start over)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        measures = _text(measures, "measures", required=True, limit=MAX_NOTE, message=_("请填写整改措施。"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        amount = _funds(funds)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not isinstance(deadline, dt.datetime):
        errors["deadline"] = [_("请填写整改期限。")]
    elif deadline <= now:
        errors["deadline"] = [_("整改期限必须晚于现在。")]
    if not assignable(hazard, responsible):
        errors["responsible"] = [_("请选择本企业的在职人员作为整改责任人。")]
    if errors:
        raise ValidationError(errors)
    _require(actor, HAZARD_MANAGE, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.GRADED, HazardState.RECTIFYING)
        if hazard.grade == HazardGrade.MAJOR and not plan_approved(hazard):
            raise ValidationError({"plan": [_("重大隐患须先提交治理方案并经审批，才能安排整改。")]})
        before, from_state = audit.snapshot(hazard), hazard.state
        hazard.state = HazardState.RECTIFYING
        hazard.responsible, hazard.measures, hazard.funds, hazard.deadline = (
            responsible,
            measures,
            amount,
            deadline,
        )
        hazard.assigned_by, hazard.assigned_at = _user_or_none(actor), now
        hazard.reminded_at, hazard.escalation_level, hazard.escalated_at = None, 0, None
        hazard.save()
        audit.record_update(actor, hazard, before)
        _step(
            hazard,
            StepKind.ASSIGNED,
            actor,
            at=now,
            from_state=from_state,
            note=measures,
            data={
                "responsible": responsible.pk,
                "responsible_name": str(responsible),
                "deadline": deadline.isoformat(),
                "funds": str(amount) if amount is not None else None,
            },
        )
        publish(
            events.RectificationAssigned(
                **_common(hazard, actor), responsible_id=responsible.pk, deadline=deadline.isoformat()
            )
        )
    return hazard


def _evidence(files: Sequence[Any]) -> None:
    if not files:
        raise ValidationError({"files": [_("请上传整改后的照片作为证据。")]})
    _check_files(files, images_only=True)


def rectify(
    actor: Any, hazard: Hazard, *, note: str, files: Sequence[Any], now: dt.datetime | None = None
) -> Hazard:
    """The responsible person reports the rectification done, with evidence photos."""
    note = _text(note, "note", required=True, limit=MAX_NOTE, message=_("请说明整改情况。"))
    responsible_id = Hazard.objects.filter(pk=hazard.pk).values_list("responsible_id", flat=True).first()
    if _actor_id(actor) is None or _actor_id(actor) != responsible_id:
        raise PermissionDenied(_("只有整改责任人可以提交整改结果。"))
    _evidence(files)
    with transaction.atomic():
        hazard = _lock(hazard)
        if hazard.responsible_id != _actor_id(actor):
            raise PermissionDenied(_("只有整改责任人可以提交整改结果。"))
        _expect(hazard, HazardState.RECTIFYING)
        before, now = audit.snapshot(hazard), now or timezone.now()
        attachments = _store(actor, hazard, files, _("整改证据"))
        hazard.state = HazardState.AWAITING_ACCEPTANCE
        hazard.rectified_by, hazard.rectified_at, hazard.rectification_note = actor, now, note
        hazard.save()
        audit.record_update(actor, hazard, before)
        _step(
            hazard,
            StepKind.RECTIFIED,
            actor,
            at=now,
            from_state=HazardState.RECTIFYING,
            note=note,
            data={"attachments": [a.pk for a in attachments], "on_time": now <= (hazard.deadline or now)},
        )
        publish(events.HazardRectified(**_common(hazard, actor), rectifier_id=actor.pk))
    return hazard


def accept(
    actor: Any, hazard: Hazard, *, passed: bool, note: str = "", now: dt.datetime | None = None
) -> Hazard:
    """Acceptance (验收) by someone other than the rectifier: passed, or back to rectification."""
    note = _text(note, "note", required=not passed, limit=MAX_NOTE, message=_("验收不通过时请说明原因。"))
    _require(actor, HAZARD_ACCEPT, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.AWAITING_ACCEPTANCE)
        if _actor_id(actor) is not None and _actor_id(actor) in (
            hazard.rectified_by_id,
            hazard.responsible_id,
        ):
            raise PermissionDenied(_("整改人不能验收自己的整改。"))
        before, now = audit.snapshot(hazard), now or timezone.now()
        if passed:
            hazard.state = HazardState.ACCEPTED
            hazard.accepted_by, hazard.accepted_at, hazard.acceptance_note = _user_or_none(actor), now, note
        else:
            hazard.state = HazardState.RECTIFYING
            hazard.acceptance_note = note
        hazard.save()
        audit.record_update(actor, hazard, before)
        kind = StepKind.ACCEPTED if passed else StepKind.ACCEPTANCE_FAILED
        _step(hazard, kind, actor, at=now, from_state=HazardState.AWAITING_ACCEPTANCE, note=note)
        publish(events.HazardAccepted(**_common(hazard, actor), passed=passed))
    return hazard


def close(actor: Any, hazard: Hazard, note: str = "", *, now: dt.datetime | None = None) -> Hazard:
    """Close (销号) an accepted hazard."""
    note = _text(note, "note", required=False, limit=MAX_NOTE)
    _require(actor, HAZARD_MANAGE, hazard)
    with transaction.atomic():
        hazard = _lock(hazard)
        _expect(hazard, HazardState.ACCEPTED)
        before, now = audit.snapshot(hazard), now or timezone.now()
        hazard.state = HazardState.CLOSED
        hazard.closed_by, hazard.closed_at = _user_or_none(actor), now
        hazard.save()
        audit.record_update(actor, hazard, before)
        _step(hazard, StepKind.CLOSED, actor, at=now, from_state=HazardState.ACCEPTED, note=note)
        publish(events.HazardClosed(**_common(hazard, actor)))
    return hazard
