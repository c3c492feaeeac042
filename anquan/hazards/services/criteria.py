"""Major-hazard determination standards (重大事故隐患判定标准), versioned by effective date.

Loaded, corrected and removed by someone with ``hazards.manage`` over a whole site
(``selectors.may_load_criteria``), audited with their items. The ranges of the sets of one scope
(industry) never overlap, so a day has at most one set in force per scope. A set a hazard cites is
read-only — editing it would rewrite the history of that grading — except that an open-ended one may
be given its last day (废止), as long as every citing hazard's day stays inside: a correction is a
new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anquan.hazards import criteria, selectors
from anquan.hazards.models import CriteriaItem, CriteriaSet, Hazard
from anquan.platform import audit
from anquan.platform.models import AuditAction

MAX_CODE = 80
MAX_TITLE = 200
MAX_SCOPE = 60


def _require_loader(actor: Any) -> None:
    if actor is not None and not selectors.may_load_criteria(actor):
        raise PermissionDenied(_("只有全场所的隐患管理权限才能录入或修改重大事故隐患判定标准。"))


def _text(value: Any, field: str, limit: int, message: str, errors: dict[str, list[str]]) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        errors[field] = [message]
    elif len(text) > limit:
        errors[field] = [_("不能超过 %(n)d 个字。") % {"n": limit}]
    return text


def _items(value: Any, errors: dict[str, list[str]]) -> list[criteria.Item]:
    """(number, text) pairs, or {"number", "text"} mappings: numbers unique, texts required."""
    items: list[criteria.Item] = []
    messages: list[str] = []
    seen: set[int] = set()
    for entry in value or ():
        number, text = (entry.get("number"), entry.get("text")) if isinstance(entry, dict) else entry
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 9999:
            messages.append(_("条款号须为 1 ~ 9999 的整数：%(value)s。") % {"value": number})
            continue
        text = " ".join(str(text or "").split())
        if not text:
            messages.append(_("第 %(number)d 条没有内容。") % {"number": number})
        elif len(text) > criteria.MAX_ITEM_TEXT:
            messages.append(
                _("第 %(number)d 条不能超过 %(n)d 个字。") % {"number": number, "n": criteria.MAX_ITEM_TEXT}
            )
        if number in seen:
            messages.append(_("条款号 %(number)d 重复。") % {"number": number})
        seen.add(number)
        items.append((number, text))
    if not items and not messages:
        messages.append(_("请至少录入一条条款。"))
    elif len(items) > criteria.MAX_ITEMS:
        messages.append(_("最多 %(n)d 条。") % {"n": criteria.MAX_ITEMS})
    if messages:
        errors["items"] = messages
    return sorted(items)


def _clean(
    code: Any,
    title: Any,
    scope: Any,
    effective_from: Any,
    effective_to: Any,
    items: Any,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean = {
        "code": _text(code, "code", MAX_CODE, _("请填写文号，如“安监总管三〔2017〕121号”。"), errors),
        "title": _text(title, "title", MAX_TITLE, _("请填写标准名称。"), errors),
        "scope": _text(scope, "scope", MAX_SCOPE, _("请填写适用行业，如“化工和危险化学品”。"), errors),
        "items": _items(items, errors),
    }
    if not isinstance(effective_from, dt.date) or isinstance(effective_from, dt.datetime):
        errors["effective_from"] = [_("请填写施行日期。")]
    if effective_to is not None and (
        not isinstance(effective_to, dt.date) or isinstance(effective_to, dt.datetime)
    ):
        errors["effective_to"] = [_("请填写日期。")]
    elif effective_to is not None and isinstance(effective_from, dt.date) and effective_to < effective_from:
        errors["effective_to"] = [_("废止日期不能早于施行日期。")]
    if errors:
        raise ValidationError(errors)
    return {**clean, "effective_from": effective_from, "effective_to": effective_to}


def _overlap(scope: str, start: dt.date, end: dt.date | None, exclude: int | None) -> CriteriaSet | None:
    """A set of the same scope whose range meets [start, end] (None: open-ended)."""
    qs = CriteriaSet.objects.filter(scope=scope).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=start)
    )
    if end is not None:
        qs = qs.filter(effective_from__lte=end)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.select_for_update().order_by("effective_from").first()


def _check_overlap(clean: dict[str, Any], exclude: int | None) -> None:
    other = _overlap(clean["scope"], clean["effective_from"], clean["effective_to"], exclude)
    if other is not None:
        until = other.effective_to.isoformat() if other.effective_to else _("至今")
        raise ValidationError(
            {
                "effective_from": [
                    _(
                        "与同一行业的“%(code)s”（%(start)s ~ %(end)s）有效期重叠：同一行业同一天只能有一套现行标准。"
                    )
                    % {"code": other.code, "start": other.effective_from.isoformat(), "end": until}
                ]
            }
        )


def _check_code(code: str, exclude: int | None) -> None:
    qs = CriteriaSet.objects.filter(code=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise ValidationError({"code": [_("已有文号为“%(code)s”的判定标准。") % {"code": code}]})


def _snapshot(criteria_set: CriteriaSet) -> dict[str, Any]:
    """The set and its items, as the audit trail keeps them."""
    items = criteria_set.items.order_by("number").values_list("number", "text")
    return {**audit.snapshot(criteria_set), "items": [[n, t] for n, t in items]}


def create_criteria_set(
    actor: Any,
    *,
    code: Any,
    title: Any,
    scope: Any,
    effective_from: Any,
    effective_to: Any = None,
    items: Sequence[Any],
) -> CriteriaSet:
    """Load a determination standard with its items."""
    _require_loader(actor)
    clean = _clean(code, title, scope, effective_from, effective_to, items)
    with transaction.atomic():
        _check_code(clean["code"], None)
        _check_overlap(clean, None)
        created = CriteriaSet.objects.create(
            code=clean["code"],
            title=clean["title"],
            scope=clean["scope"],
            effective_from=clean["effective_from"],
            effective_to=clean["effective_to"],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        CriteriaItem.objects.bulk_create(
            CriteriaItem(criteria_set=created, number=n, text=t) for n, t in clean["items"]
        )
        audit.record(actor, AuditAction.CREATE, created, _snapshot(created))
    return created


def _citing_days(criteria_set: CriteriaSet) -> list[dt.date]:
    hazards = Hazard.objects.filter(citations__item__criteria_set=criteria_set).distinct()
    return sorted({selectors.hazard_day(h) for h in hazards.only("pk", "reported_at")})


def update_criteria_set(
    actor: Any,
    criteria_set: CriteriaSet,
    *,
    code: Any,
    title: Any,
    scope: Any,
    effective_from: Any,
    effective_to: Any = None,
    items: Sequence[Any],
) -> CriteriaSet:
    """Correct a set no hazard cites yet (everything, items replaced); of a cited set only its last
    day may be set, covering every citing hazard's day."""
    _require_loader(actor)
    clean = _clean(code, title, scope, effective_from, effective_to, items)
    with transaction.atomic():
        stored = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
        before = _snapshot(stored)
        cited = selectors.criteria_cited(stored)
        if cited:
            unchanged = (
                clean["code"] == stored.code
                and clean["title"] == stored.title
                and clean["scope"] == stored.scope
                and clean["effective_from"] == stored.effective_from
                and [list(i) for i in clean["items"]] == before["items"]
            )
            if not unchanged:
                raise ValidationError(
                    _(
                        "已有 %(n)d 条隐患引用该标准，不能修改（否则会改写评估记录），只能设置废止日期；"
                        "如需更正，请录入新版本。"
                    )
                    % {"n": cited}
                )
            days = _citing_days(stored)
            end = clean["effective_to"]
            if end is not None and days and days[-1] > end:
                raise ValidationError(
                    {
                        "effective_to": [
                            _("有隐患在 %(day)s 引用了该标准，废止日期不能早于该日。")
                            % {"day": days[-1].isoformat()}
                        ]
                    }
                )
        _check_code(clean["code"], stored.pk)
        _check_overlap(clean, stored.pk)
        stored.code, stored.title, stored.scope = clean["code"], clean["title"], clean["scope"]
        stored.effective_from, stored.effective_to = clean["effective_from"], clean["effective_to"]
        stored.save()
        if not cited:
            stored.items.all().delete()
            CriteriaItem.objects.bulk_create(
                CriteriaItem(criteria_set=stored, number=n, text=t) for n, t in clean["items"]
            )
        changes = audit.diff(before, _snapshot(stored))
        if changes:
            audit.record(actor, AuditAction.UPDATE, stored, changes)
    return stored


def delete_criteria_set(actor: Any, criteria_set: CriteriaSet) -> None:
    """Remove a set loaded by mistake; a cited one stays."""
    _require_loader(actor)
    with transaction.atomic():
        stored = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
        if selectors.criteria_cited(stored):
            raise ValidationError(_("已有隐患引用该标准，不能删除。"))
        before = _snapshot(stored)
        audit.record(actor, AuditAction.DELETE, stored, before)
        stored.delete()
