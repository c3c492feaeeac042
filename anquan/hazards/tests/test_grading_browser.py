"""On a phone: the safety officer switches the site to the LS risk matrix, recolours a cell, and
grades a hazard seeing R and the colour before saving."""

from __future__ import annotations

from typing import Any

import pytest

from anquan.conftest import build_world, signed_in_page
from anquan.hazards import services
from anquan.hazards.models import Hazard, RiskMatrix
from anquan.hazards.tests.permissions import reported

pytestmark = pytest.mark.django_db(transaction=True)

FITS = (
    "Array.from(document.querySelectorAll('body *:not(.table-responsive *):not(.nav *)'))"
    ".filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '#' + e.id).slice(0, 8)"
)


def test_the_officer_sets_the_matrix_and_grades_with_it_on_a_phone(browser: Any, live_server: Any) -> None:
    w = build_world()
    hazard = services.verify(w.user("officer_a"), reported(w))
    page = signed_in_page(browser, live_server, w.user("officer_a"))
    page.goto(f"{live_server.url}/hazards/")
    page.click("#hz-nav-risk-matrix")
    page.wait_for_selector("#hz-matrix")
    assert page.evaluate(FITS) == []  # only the matrix (and the tabs) scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    cell = page.locator("select[name='cell_1_1']")
    assert cell.evaluate("s => s.closest('td').className") == "hz-blue"
    cell.select_option("red")
    assert cell.evaluate("s => s.closest('td').className") == "hz-red"  # repainted at once
    page.check("input[name='method'][value='ls']")
    page.click("#hz-matrix-form button[type=submit]")
    page.wait_for_selector("#hz-matrix-updated")
    stored = RiskMatrix.objects.get(site=w.site_a)
    assert (stored.method, stored.cells[0][0], stored.cells[4][4]) == ("ls", "red", "red")

    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    page.wait_for_selector("#hz-grading-matrix")
    page.select_option("[name='grade-ls_l']", "3")
    page.select_option("[name='grade-ls_s']", "4")
    assert page.locator("#hz-grading-result").inner_text() == "R = 3 × 4 = 12 → 黄（一般风险）"
    page.click("#hz-grading-matrix td[data-l='1'][data-s='1']")  # a cell picks both levels
    assert page.locator("[name='grade-ls_l']").input_value() == "1"
    assert page.locator("#hz-grading-result").inner_text() == "R = 1 × 1 = 1 → 红（重大风险）"
    page.click("#hz-form-grade button[type=submit]")
    page.wait_for_selector("#hz-grading")
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert (hazard.ls_r, hazard.risk_colour) == (1, "red")
