"""On a phone: the safety officer cites an item of the determination standard in force; the grade
turns 重大 at once, and the hazard shows what it cited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from anquan.conftest import build_world, signed_in_page
from anquan.hazards import services
from anquan.hazards.models import CriteriaSet, Hazard
from anquan.hazards.tests.permissions import SHIPPED_2017

pytestmark = pytest.mark.django_db(transaction=True)

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_officer_cites_an_item_on_a_phone(browser: Any, live_server: Any) -> None:
    w = build_world()
    found = dt.datetime(2026, 3, 3, 10, tzinfo=timezone.get_current_timezone())
    hazard, _created = services.report_hazard(
        w.user("worker_a1"), area=w.area_a1, description="安全阀超期未校验仍在投用", now=found
    )
    services.verify(w.user("officer_a"), hazard, now=found + dt.timedelta(hours=1))
    item = CriteriaSet.objects.get(code=SHIPPED_2017).items.get(number=15)
    page = signed_in_page(browser, live_server, w.user("officer_a"))
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    page.wait_for_selector("#hz-criteria-cite")
    assert page.evaluate(FITS)
    assert page.locator("[name='grade-grade']").input_value() == "general"
    page.check(f"input[name='grade-criteria'][value='{item.pk}']")
    assert page.locator("[name='grade-grade']").input_value() == "major"
    for name, value in (("lec_l", "3"), ("lec_e", "6"), ("lec_c", "7")):
        page.select_option(f"[name='grade-{name}']", value)
    page.click("#hz-form-grade button[type=submit]")
    page.wait_for_selector("#hz-criteria")
    assert "第 15 条" in page.locator("#hz-criteria").inner_text()
    assert page.evaluate(FITS)
    stored = Hazard.objects.get(pk=hazard.pk)
    assert (stored.grade, [c["number"] for c in stored.criteria]) == ("major", [15])
