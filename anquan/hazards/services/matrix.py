"""A site's grading method (LEC or the LS risk matrix) and its matrix: changed by someone with
``hazards.manage`` over the whole site, audited like other configuration. Hazards already graded
keep the values and the colour they were graded with."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anquan.hazards import grading
from anquan.hazards.choices import GradingMethod, RiskColour
from anquan.hazards.models import RiskMatrix
from anquan.org.access import Access, place_of_site
from anquan.org.models import Site
from anquan.org.roles import HAZARD_MANAGE
from anquan.platform import audit


def _levels(value: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    """The descriptions of the levels, level 1 first."""
    if not isinstance(value, list | tuple):
        errors[field] = [_("请填写各级说明。")]
        return []
    labels = [str(v).strip() if isinstance(v, str) else "" for v in value]
    if not grading.LS_MIN_LEVELS <= len(labels) <= grading.LS_MAX_LEVELS:
        errors[field] = [
            _("须为 %(min)d ~ %(max)d 级。") % {"min": grading.LS_MIN_LEVELS, "max": grading.LS_MAX_LEVELS}
        ]
    elif not all(labels):
        errors[field] = [_("每一级都须填写说明。")]
    elif any(len(label) > grading.LS_MAX_LABEL for label in labels):
        errors[field] = [_("每级说明不能超过 %(n)d 个字。") % {"n": grading.LS_MAX_LABEL}]
    return labels


def _cells(value: Any, rows: int, cols: int, errors: dict[str, list[str]]) -> list[list[str]]:
    """Every cell's colour, ``cells[l - 1][s - 1]``, for a rows × cols matrix."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != rows
        or any(not isinstance(row, list | tuple) or len(row) != cols for row in value)
    ):
        errors["cells"] = [
            _("须为 %(rows)d 行（可能性）× %(cols)d 列（严重性），每格一种颜色。")
            % {"rows": rows, "cols": cols}
        ]
        return []
    messages = [
        _("L=%(l)d、S=%(s)d 的格子：请选择红、橙、黄、蓝之一。") % {"l": l_value, "s": s_value}
        for l_value, row in enumerate(value, start=1)
        for s_value, colour in enumerate(row, start=1)
        if colour not in RiskColour.values
    ]
    if messages:
        errors["cells"] = messages
    return [[str(colour) for colour in row] for row in value]


def set_risk_matrix(
    actor: Any, site: Site, *, method: str, likelihood: Any, severity: Any, cells: Any
) -> RiskMatrix:
    """Set the site's grading method and LS matrix (kept, and checked, also while the method is LEC)."""
    if actor is not None:
        Access.of(actor).require(HAZARD_MANAGE, place_of_site(site))
    errors: dict[str, list[str]] = {}
    if method not in GradingMethod.values:
        errors["method"] = [_("请选择评估方法。")]
    l_labels = _levels(likelihood, "likelihood", errors)
    s_labels = _levels(severity, "severity", errors)
    colours: list[list[str]] = []
    sizes = range(grading.LS_MIN_LEVELS, grading.LS_MAX_LEVELS + 1)
    if len(l_labels) in sizes and len(s_labels) in sizes:  # the size is known: check every cell
        colours = _cells(cells, len(l_labels), len(s_labels), errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stored = RiskMatrix.objects.select_for_update().filter(site=site).first()
        if stored is None:
            stored = RiskMatrix.objects.create(
                site=site, method=method, likelihood=l_labels, severity=s_labels, cells=colours
            )
            audit.record_create(actor, stored)
            return stored
        before = audit.snapshot(stored)
        stored.method, stored.likelihood, stored.severity, stored.cells = method, l_labels, s_labels, colours
        stored.save()
        audit.record_update(actor, stored, before)
    return stored
