"""Grading by the site's method: LEC or the LS risk matrix (风险矩阵法), its settings (service, API,
page), and the old categories mapped to the national hazard types."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anquan.api.tests.conftest import as_user
from anquan.conftest import World
from anquan.hazards import grading, selectors, services
from anquan.hazards.models import Hazard, HazardStep, RiskMatrix
from anquan.hazards.tests.permissions import LEC, ls_payload, reported
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

API = "/api/v1/hazards"
DEFAULT_5X5 = {  # R → colour (PRODUCT.md's four colours, the common banding)
    1: "blue", 2: "blue", 3: "blue", 4: "blue", 5: "blue", 6: "blue", 8: "blue",
    9: "yellow", 10: "yellow", 12: "yellow",
    15: "orange", 16: "orange",
    20: "red", 25: "red",
}  # fmt: skip


# --- grading.py -------------------------------------------------------------------------------------
def test_the_default_matrix_is_5x5_with_the_standard_levels_and_the_banding_by_r() -> None:
    matrix = grading.default_matrix()
    assert matrix.likelihood == ("极不可能", "不太可能", "可能", "很可能", "频繁")
    assert matrix.severity == ("轻微", "较小", "中等", "严重", "灾难性")
    levels = [(lv, sv) for lv in range(1, 6) for sv in range(1, 6)]
    assert {(lv, sv): matrix.colour(lv, sv) for lv, sv in levels} == {
        (lv, sv): DEFAULT_5X5[lv * sv] for lv, sv in levels
    }
    assert grading.ls_r(4, 5) == 20


def test_a_custom_matrix_decides_each_cell_and_refuses_a_cell_outside_it() -> None:
    cells = (("red", "blue", "blue"), ("blue", "yellow", "blue"), ("blue", "blue", "orange"))
    matrix = grading.Matrix(("低", "中", "高"), ("小", "中", "大"), cells)
    assert (matrix.colour(1, 1), matrix.colour(2, 2), matrix.colour(3, 3), matrix.colour(3, 2)) == (
        "red",
        "yellow",
        "orange",
        "blue",
    )
    with pytest.raises(ValueError):
        matrix.colour(4, 1)
    assert grading.default_cells(4, 4) == (
        ("blue", "blue", "blue", "blue"),
        ("blue", "blue", "yellow", "yellow"),
        ("blue", "yellow", "yellow", "orange"),
        ("blue", "yellow", "orange", "red"),
    )


# --- the settings (service) -------------------------------------------------------------------------
def _set(w: World, who: str = "officer_a", **changes: Any) -> RiskMatrix:
    return services.set_risk_matrix(w.user(who), w.site_a, **{**ls_payload(w), **changes})


def test_a_site_without_a_matrix_grades_by_lec_with_the_default_matrix_ready(world: World) -> None:
    config = selectors.risk_matrix(world.site_a)
    assert (config.pk, config.method, config.matrix) == (None, "lec", grading.default_matrix())


def test_the_officer_of_the_site_sets_the_matrix_and_it_is_audited(world: World) -> None:
    w = world
    stored = _set(w)
    assert (stored.method, stored.matrix) == ("ls", grading.default_matrix())
    cells = [list(row) for row in grading.default_cells(3, 4)]
    cells[0][0] = "red"  # need not be monotone in R
    updated = _set(w, likelihood=["低", "中", "高"], severity=["一", "二", "三", "四"], cells=cells)
    assert (updated.pk, RiskMatrix.objects.count()) == (stored.pk, 1)
    assert (updated.matrix.rows, updated.matrix.cols, updated.matrix.colour(1, 1)) == (3, 4, "red")
    actions = list(
        AuditEntry.objects.filter(model="hazards.riskmatrix", object_id=str(stored.pk))
        .order_by("seq")
        .values_list("action", "site_id")
    )
    assert actions == [("create", w.site_a.pk), ("update", w.site_a.pk)]


def test_only_hazards_manage_over_the_whole_site_sets_the_matrix(world: World) -> None:
    w = world
    for who in ("manager_a1", "worker_a1", "admin_b"):  # one area only; no capability; another site
        with pytest.raises(PermissionDenied):
            _set(w, who)
    assert not RiskMatrix.objects.exists()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"method": "abc"}, {"method": ["请选择评估方法。"]}),
        ({"likelihood": ["低", "高"]}, {"likelihood": ["须为 3 ~ 10 级。"]}),
        ({"severity": ["小", " ", "中", "大", "巨"]}, {"severity": ["每一级都须填写说明。"]}),
        (
            {"likelihood": ["很长" * 11, "不太可能", "可能", "很可能", "频繁"]},
            {"likelihood": ["每级说明不能超过 20 个字。"]},
        ),
        (  # wrong size: 5 rows of 4 for a 5 × 5 matrix
            {"cells": [["blue"] * 4] * 5},
            {"cells": ["须为 5 行（可能性）× 5 列（严重性），每格一种颜色。"]},
        ),
        (  # a missing row
            {"cells": [["blue"] * 5] * 4},
            {"cells": ["须为 5 行（可能性）× 5 列（严重性），每格一种颜色。"]},
        ),
        (  # an unknown colour and an empty cell
            {"cells": [["green", *["blue"] * 4], *[["blue"] * 5] * 3, [*["red"] * 4, ""]]},
            {
                "cells": [
                    "L=1、S=1 的格子：请选择红、橙、黄、蓝之一。",
                    "L=5、S=5 的格子：请选择红、橙、黄、蓝之一。",
                ]
            },
        ),
    ],
)
def test_a_bad_matrix_is_refused_with_field_errors(
    world: World, changes: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as err:
        _set(world, **changes)
    assert err.value.message_dict == errors
    assert not RiskMatrix.objects.exists()


# --- grading a hazard on an LS site ------------------------------------------------------------------
def _verified(w: World) -> Hazard:
    return services.verify(w.user("officer_a"), reported(w))


def test_on_an_ls_site_l_and_s_decide_r_and_the_colour(world: World) -> None:
    w = world
    _set(w)
    officer = w.user("officer_a")
    hazard = _verified(w)
    services.grade(officer, hazard, grade="general", manage_type="deadline", ls_l=4, ls_s=5, note="罐区")
    hazard.refresh_from_db()
    assert (hazard.ls_l, hazard.ls_s, hazard.ls_r, hazard.risk_colour, hazard.lec_d) == (
        4,
        5,
        20,
        "red",
        None,
    )
    assert hazard.grading_method == "ls"
    step = HazardStep.objects.get(hazard=hazard, kind="graded")
    assert step.data == {
        "grade": "general",
        "risk_colour": "red",
        "manage_type": "deadline",
        "method": "ls",
        "L": 4,
        "S": 5,
        "R": 20,
    }
    services.grade(officer, hazard, grade="general", manage_type="deadline", ls_l="3", ls_s="3")
    hazard.refresh_from_db()
    assert (hazard.ls_r, hazard.risk_colour) == (9, "yellow")


def test_on_an_ls_site_lec_factors_are_refused_and_l_s_required_within_the_matrix(world: World) -> None:
    w = world
    _set(w)
    officer = w.user("officer_a")
    hazard = _verified(w)
    with pytest.raises(ValidationError) as err:
        services.grade(officer, hazard, grade="general", manage_type="deadline", **LEC["red"])
    refused = ["本场所按风险矩阵法评估，请填写 L、S 等级，不填 LEC。"]
    assert err.value.message_dict == {
        "lec_l": refused,
        "lec_e": refused,
        "lec_c": refused,
        "ls_l": ["请选择 1 ~ 5 级。"],
        "ls_s": ["请选择 1 ~ 5 级。"],
    }
    with pytest.raises(ValidationError) as err:
        services.grade(officer, hazard, grade="general", manage_type="deadline", ls_l=6, ls_s=True)
    assert err.value.message_dict == {"ls_l": ["请选择 1 ~ 5 级。"], "ls_s": ["请选择 1 ~ 5 级。"]}
    hazard.refresh_from_db()
    assert (hazard.state, hazard.risk_colour, hazard.ls_r) == ("verified", "", None)


def test_a_custom_matrix_colours_the_hazard_and_a_later_change_leaves_it_as_graded(world: World) -> None:
    w = world
    cells = [list(row) for row in grading.default_cells(3, 3)]
    cells[0][0] = "orange"
    _set(w, likelihood=["低", "中", "高"], severity=["小", "中", "大"], cells=cells)
    hazard = _verified(w)
    services.grade(w.user("officer_a"), hazard, grade="general", manage_type="immediate", ls_l=1, ls_s=1)
    cells[0][0] = "blue"
    _set(w, likelihood=["低", "中", "高"], severity=["小", "中", "大"], cells=cells)
    _set(w, method="lec", likelihood=["低", "中", "高"], severity=["小", "中", "大"], cells=cells)
    hazard.refresh_from_db()
    assert (hazard.ls_l, hazard.ls_s, hazard.ls_r, hazard.risk_colour) == (1, 1, 1, "orange")
    with pytest.raises(ValidationError) as err:  # back on LEC: the matrix's levels are refused now
        services.grade(w.user("officer_a"), hazard, grade="general", manage_type="immediate", ls_l=1, ls_s=1)
    assert sorted(err.value.message_dict) == ["lec_c", "lec_e", "lec_l", "ls_l", "ls_s"]


# --- the API -----------------------------------------------------------------------------------------
def test_the_matrix_through_the_api(world: World) -> None:
    w = world
    officer = as_user(w, "officer_a")
    url = f"{API}/risk-matrix/{w.site_a.pk}"
    r = officer.get(url)
    assert r.status_code == 200
    assert (r.json()["method"], r.json()["stored"], r.json()["likelihood"][4], r.json()["cells"][4][4]) == (
        "lec",
        False,
        "频繁",
        "red",
    )
    bad = {**ls_payload(w), "cells": [["blue"] * 5] * 4}
    r = officer.call("PUT", url, bad)
    assert (r.status_code, r.json()["errors"]) == (
        400,
        {"cells": ["须为 5 行（可能性）× 5 列（严重性），每格一种颜色。"]},
    )
    bad = {**ls_payload(w), "cells": [["purple", *["blue"] * 4], *[["blue"] * 5] * 4]}
    r = officer.call("PUT", url, bad)
    assert (r.status_code, r.json()["errors"]) == (
        400,
        {"cells": ["L=1、S=1 的格子：请选择红、橙、黄、蓝之一。"]},
    )
    r = officer.call("PUT", url, {**ls_payload(w), "method": "abc"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["method"]
    assert not RiskMatrix.objects.exists()
    r = officer.call("PUT", url, ls_payload(w))
    assert (r.status_code, r.json()["method"], r.json()["stored"]) == (200, "ls", True)
    # grading follows: L and S give R and the colour
    hazard = _verified(w)
    r = officer.post(f"{API}/{hazard.pk}/grade", {"grade": "general", "manage_type": "deadline", "lec_l": 3})
    assert r.status_code == 400 and sorted(r.json()["errors"]) == ["lec_l", "ls_l", "ls_s"]
    r = officer.post(
        f"{API}/{hazard.pk}/grade", {"grade": "general", "manage_type": "deadline", "ls_l": 3, "ls_s": 5}
    )
    body = r.json()
    assert (r.status_code, body["ls_r"], body["risk_colour"], body["grading_method"], body["lec_d"]) == (
        200,
        15,
        "orange",
        "ls",
        None,
    )


# --- the pages ---------------------------------------------------------------------------------------
def test_the_settings_page_sets_the_method_levels_and_cells(world: World) -> None:
    w = world
    officer = w.client("officer_a")
    assert 'id="hz-nav-risk-matrix"' in officer.get("/hazards/").content.decode()
    r = officer.get("/hazards/risk-matrix/")
    assert (r.status_code, r.url) == (302, f"/hazards/risk-matrix/{w.site_a.pk}/")
    page = officer.get(r.url)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="hz-matrix"' in html and 'value="灾难性"' in html
    assert 'class="hz-red" data-cell' in html  # the cells are drawn in their colours
    resized = officer.get(f"{r.url}?rows=3&cols=4").content.decode()
    assert 'name="cell_3_4"' in resized and 'name="cell_4_1"' not in resized
    form: dict[str, str] = {"method": "ls", "rows": "3", "cols": "4"}
    form |= {f"l_{n}": label for n, label in enumerate(["低", "中", "高"], start=1)}
    form |= {f"s_{n}": label for n, label in enumerate(["一", "二", "三", "四"], start=1)}
    form |= {f"cell_{lv}_{sv}": "blue" for lv in range(1, 4) for sv in range(1, 5)}
    form["cell_3_4"] = "red"
    r = officer.post(f"/hazards/risk-matrix/{w.site_a.pk}/", {**form, "cell_2_2": "", "s_2": ""})
    html = r.content.decode()
    assert r.status_code == 400 and "L=2、S=2 的格子：请选择红、橙、黄、蓝之一。" in html
    assert "严重性 S：每一级都须填写说明。" in html
    assert not RiskMatrix.objects.exists()
    r = officer.post(f"/hazards/risk-matrix/{w.site_a.pk}/", form)
    assert r.status_code == 302
    stored = RiskMatrix.objects.get(site=w.site_a)
    assert (stored.method, stored.likelihood, stored.severity, stored.cells[2]) == (
        "ls",
        ["低", "中", "高"],
        ["一", "二", "三", "四"],
        ["blue", "blue", "blue", "red"],
    )


def test_the_settings_page_needs_hazards_manage_over_the_site(world: World) -> None:
    w = world
    url = f"/hazards/risk-matrix/{w.site_a.pk}/"
    manager = w.client("manager_a1")  # manages the hazards of one area
    assert 'id="hz-nav-risk-matrix"' not in manager.get("/hazards/").content.decode()
    assert manager.get("/hazards/risk-matrix/").status_code == 403
    assert manager.get(url).status_code == 403
    assert manager.post(url, {"method": "lec", "rows": "5", "cols": "5"}).status_code == 403
    assert w.client("worker_a1").get(url).status_code == 403
    assert w.client("admin_b").get(url).status_code == 404
    assert w.client(None).get(url).status_code == 302  # to the login page
    assert not RiskMatrix.objects.exists()


def test_the_grade_form_follows_the_site_method_and_the_detail_shows_the_result(world: World) -> None:
    w = world
    hazard = _verified(w)
    officer = w.client("officer_a")
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert (
        'name="grade-lec_l"' in page and 'name="grade-ls_l"' not in page and 'id="hz-grading-bands"' in page
    )
    _set(w)
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    assert 'name="grade-ls_l"' in page and 'name="grade-lec_l"' not in page
    assert 'id="hz-grading-matrix"' in page and '<option value="5">5 灾难性</option>' in page
    assert 'data-grading-factor="ls_l"' in page and 'data-grading-factor="ls_s"' in page
    assert 'id="hz-grading-settings"' in page
    r = officer.post(
        f"/hazards/{hazard.pk}/grade/",
        {"grade-grade": "general", "grade-manage_type": "deadline", "grade-ls_l": "3", "grade-ls_s": ""},
    )
    assert r.status_code == 400 and "请选择 1 ~ 5 级。" in r.content.decode()
    r = officer.post(
        f"/hazards/{hazard.pk}/grade/",
        {"grade-grade": "general", "grade-manage_type": "deadline", "grade-ls_l": "3", "grade-ls_s": "4"},
    )
    assert r.status_code == 302
    page = officer.get(f"/hazards/{hazard.pk}/").content.decode()
    shown = "风险矩阵法 L3 × S4 = R 12 → 黄（一般风险）"
    assert f'id="hz-grading">{shown}</dd>' in page and page.count(shown) == 2  # the detail and the timeline
    assert "隐患来源 1 · 隐患类型 7" in page


# --- the old categories ------------------------------------------------------------------------------
def test_the_old_categories_map_to_the_national_hazard_types() -> None:
    migration = importlib.import_module("anquan.hazards.migrations.0002_national_types_and_risk_matrix")
    old = ("equipment", "behaviour", "environment", "management", "fire", "electrical", "other")
    assert [migration.new_category(value) for value in old] == [
        "equipment",
        "safety",
        "safety",
        "safety",
        "fire",
        "electrical",
        "other",
    ]
    assert [migration.old_category(value) for value in ("safety", "instrument", "equipment")] == [
        "management",
        "other",
        "equipment",
    ]
