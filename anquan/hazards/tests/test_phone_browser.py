"""End to end on a phone: a worker photographs a hazard while offline, the report is sent once when
the network is back; then the safety officer, the rectifier and an acceptor carry it to closure on
their phones, each seeing only the step that is theirs."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from anquan.conftest import World, build_world, signed_in_page
from anquan.hazards.choices import HazardState
from anquan.hazards.models import Hazard
from anquan.platform.attachments.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = ("verify", "reject", "grade", "assign", "rectify", "accept", "close")


def _photo(colour: tuple[int, int, int]) -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, "JPEG")
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def _steps_offered(page: Any) -> set[str]:
    return {s for s in STEPS if page.locator(f"#hz-form-{s}").count()}


def _open(browser: Any, live_server: Any, w: World, key: str, hazard: Hazard) -> Any:
    page = signed_in_page(browser, live_server, w.user(key))
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    return page


def test_a_hazard_reported_offline_on_a_phone_is_carried_to_closure(browser: Any, live_server: Any) -> None:
    w = build_world()

    # The worker opens 随手拍 from the tank's QR code, online: the equipment is picked already.
    reporter = signed_in_page(browser, live_server, w.user("worker_a1"))
    reporter.goto(f"{live_server.url}/hazards/new/?equipment=T-101")
    assert reporter.locator("#id_equipment_id").input_value() == str(w.equipment["T-101"].pk)
    wide = reporter.evaluate(
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"
    )
    assert wide == []  # fits the phone
    reporter.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the page is kept for offline use

    # The network drops; the page still opens, from the service worker's copy.
    reporter.context.set_offline(True)
    reporter.reload()
    assert reporter.locator("#hz-report-form").is_visible()
    reporter.set_input_files("#hz-photos", files=[_photo((180, 40, 30)), _photo((40, 40, 180))])
    reporter.fill("#id_description", "1号罐防火堤排水阀未关闭，堤内有积油")
    reporter.select_option("#id_category", "equipment")
    reporter.click("#hz-report-form button[type=submit]")

    # Kept on the phone: nothing reached the server.
    reporter.wait_for_selector("#hz-stored:not(.d-none)")
    reporter.wait_for_selector("[data-outbox-waiting='1']")
    assert Hazard.objects.count() == 0

    # Back online: sent by itself, once.
    reporter.context.set_offline(False)
    reporter.wait_for_selector("[data-outbox-waiting]", state="detached", timeout=20_000)
    assert reporter.locator("[data-outbox-refused]").count() == 0, reporter.inner_text("[data-outbox-status]")
    reporter.evaluate("AnquanOutbox.flush()")  # a further flush sends nothing again
    (hazard,) = Hazard.objects.all()
    assert (hazard.reporter, hazard.equipment, hazard.state) == (
        w.user("worker_a1"),
        w.equipment["T-101"],
        HazardState.REPORTED,
    )
    assert hazard.description == "1号罐防火堤排水阀未关闭，堤内有积油"
    assert hazard.client_uid
    assert Attachment.objects.filter(owner_id=hazard.pk, kind="image").count() == 2
    reporter.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    assert _steps_offered(reporter) == set()  # the reporter follows, and can change nothing

    # The safety officer verifies, grades (LEC) and assigns the rectification to the team leader.
    officer = _open(browser, live_server, w, "officer_a", hazard)
    assert _steps_offered(officer) == {"verify", "reject"}
    officer.fill("#hz-form-verify textarea, #hz-form-verify input[name='verify-note']", "现场核实属实")
    officer.click("#hz-form-verify button[type=submit]")
    officer.wait_for_selector("#hz-form-grade")
    assert _steps_offered(officer) == {"grade"}
    officer.select_option("[name='grade-grade']", "general")
    officer.select_option("[name='grade-manage_type']", "deadline")
    officer.select_option("[name='grade-lec_l']", "3")
    officer.select_option("[name='grade-lec_e']", "6")
    officer.select_option("[name='grade-lec_c']", "7")
    officer.click("#hz-form-grade button[type=submit]")
    officer.wait_for_selector("#hz-form-assign")
    officer.select_option("[name='assign-responsible']", str(w.user("leader_a1").pk))
    officer.fill("[name='assign-measures']", "关闭排水阀，清理堤内积油，排水阀加锁")
    deadline = timezone.localtime(timezone.now() + dt.timedelta(days=2))
    officer.fill("[name='assign-deadline']", deadline.strftime("%Y-%m-%dT%H:%M"))
    officer.click("#hz-form-assign button[type=submit]")
    officer.wait_for_selector("#hz-form-assign >> text=重新安排整改")
    hazard.refresh_from_db()
    assert (hazard.state, hazard.lec_d, hazard.responsible) == (
        HazardState.RECTIFYING,
        126.0,
        w.user("leader_a1"),
    )
    assert _steps_offered(officer) == {"assign"}  # the officer cannot rectify

    # The rectifier sees only the rectification, and must show evidence.
    leader = _open(browser, live_server, w, "leader_a1", hazard)
    assert _steps_offered(leader) == {"rectify"}
    leader.fill("[name='rectify-note']", "已关阀加锁，积油已清理")
    leader.set_input_files("#hz-rectify-files", files=[_photo((30, 160, 60))])
    leader.click("#hz-form-rectify button[type=submit]")
    leader.wait_for_selector("#hz-no-action, .alert-success")
    hazard.refresh_from_db()
    assert hazard.state == HazardState.AWAITING_ACCEPTANCE
    assert _steps_offered(leader) == set()  # never their own acceptance

    # An acceptor other than the rectifier accepts; the officer closes it (销号).
    manager = _open(browser, live_server, w, "manager_a1", hazard)
    assert _steps_offered(manager) == {"accept"}
    manager.check("[name='accept-passed'][value='1']")
    manager.click("#hz-form-accept button[type=submit]")
    manager.wait_for_selector("#hz-form-accept", state="detached")
    officer.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    assert _steps_offered(officer) == {"close"}
    officer.click("#hz-form-close button[type=submit]")
    officer.wait_for_selector("text=已销号，闭环完成。")
    hazard.refresh_from_db()
    assert hazard.state == HazardState.CLOSED
    assert [s.kind for s in hazard.steps.order_by("at", "pk")] == [
        "reported",
        "verified",
        "graded",
        "assigned",
        "rectified",
        "accepted",
        "closed",
    ]

    # The reporter followed it all: their report shows closed on their phone.
    reporter.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    assert reporter.locator("text=已销号，闭环完成。").count() == 1
