"""A round walked offline on a phone (Chromium): the page opened once online keeps working without
a network, the whole round waits in the outbox, and is stored exactly once when the network is back."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from typing import Any

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from anquan.conftest import World, signed_in_page
from anquan.inspections import services
from anquan.inspections.choices import RoundStatus
from anquan.inspections.models import CheckIn, ItemResult, Round
from anquan.inspections.tests.conftest import WEDNESDAY_9, Setup, photo
from anquan.inspections.web import views
from anquan.platform.attachments.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def eventually(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.2)


CACHED = """async (path) => {
  const keys = await caches.keys();
  for (const key of keys) { if (await (await caches.open(key)).match(path)) return true; }
  return false;
}"""


def test_a_round_walked_offline_is_stored_once_when_the_phone_is_back_online(
    world: World, setup: Setup, browser: Any, live_server: Any
) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    path = f"/inspections/rounds/{made.pk}/"
    page = signed_in_page(browser, live_server, world.user("worker_a1"))
    context = page.context
    page.goto(f"{live_server.url}{path}")
    assert setup.tank.code not in page.content()  # only the codes' hashes are on the page
    assert page.locator("#rw-start").is_visible() and page.locator(f"#code-{setup.tank.pk}").is_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    eventually(lambda: bool(page.evaluate(CACHED, path)))

    context.set_offline(True)
    assert page.evaluate("fetch('/inspections/').then(() => 'sent', () => 'no network')") == "no network"
    page.wait_for_selector(f"#rw-code-{setup.tank.pk}")  # going offline switches to the offline walk
    assert page.locator("#rw-online").is_hidden()
    tank = page.locator(f"#rw-cp-{setup.tank.pk}")
    page.fill(f"#rw-code-{setup.tank.pk}", "NOTACODE")
    tank.locator("button[type=submit]").click()
    expect(tank.locator(".invalid-feedback")).to_have_text(
        "点位码无效：没有这个巡检点。"
    )  # checked asynchronously
    page.fill(f"#rw-code-{setup.tank.pk}", setup.dike.code)
    tank.locator("button[type=submit]").click()
    page.wait_for_function(
        f"document.querySelector('#rw-cp-{setup.tank.pk} .invalid-feedback').textContent.includes('防火堤')"
    )
    expect(tank.locator(".invalid-feedback")).to_have_text("这是“2. 防火堤”的点位码。")
    page.fill(f"#rw-code-{setup.tank.pk}", f" {setup.tank.code.lower()} ")
    tank.locator("button[type=submit]").click()
    page.wait_for_selector(f"[data-rw-checked-in='{setup.tank.pk}']")

    temperature = page.locator(f"#rw-item-{setup.temperature.pk}")
    temperature.locator("[name=value]").fill("41.5")
    temperature.locator("[name=note]").fill("偏高")
    temperature.locator("button[type=submit]").click()
    badge = f"[data-rw-recorded='{setup.temperature.pk}']"
    page.wait_for_selector(badge)
    assert page.locator(badge).inner_text() == "41.5 °C · 异常"

    # Opened again without a network: the page comes from the phone's cache, the walk from IndexedDB.
    page.reload()
    page.wait_for_selector(badge)
    assert page.locator(badge).inner_text() == "41.5 °C · 异常"
    assert page.locator(f"[data-rw-checked-in='{setup.tank.pk}']").count() == 1

    page.fill(f"#rw-code-{setup.dike.pk}", setup.dike.code)
    page.locator(f"#rw-cp-{setup.dike.pk} button[type=submit]").click()
    leak = page.locator(f"#rw-item-{setup.leak.pk}")
    leak.wait_for()
    leak.locator("input[name=ok][value='1']").check()
    leak.locator("button[type=submit]").click()
    expect(leak.locator(".invalid-feedback")).to_have_text("此检查项须拍照。")
    leak.locator("input[type=file]").set_input_files(
        {"name": "leak.png", "mimeType": "image/png", "buffer": png()}
    )
    leak.locator("button[type=submit]").click()
    page.wait_for_selector(f"[data-rw-recorded='{setup.leak.pk}']")
    assert page.locator(f"[data-rw-recorded='{setup.leak.pk}']").inner_text() == "正常 · 1 张照片"

    page.click("#rw-finish")
    page.wait_for_selector("#rw-queued")
    page.wait_for_selector("[data-outbox-waiting='1']")
    expect(page.locator("#rw-queued")).to_have_text("巡检已完成，待上传。联网后自动上传。")
    expect(page.locator("[data-outbox-waiting]")).to_have_text("1 项待上传，联网后自动上传。")
    pending = page.evaluate("AnquanOutbox.pending()")
    assert [(e["url"], len(e["json"]["checkins"]), len(e["json"]["results"])) for e in pending] == [
        (f"/api/v1/inspections/rounds/{made.pk}/submit", 2, 2)
    ]
    # Nothing reached the server while offline.
    made.refresh_from_db()
    assert made.status == RoundStatus.SCHEDULED
    assert (CheckIn.objects.count(), ItemResult.objects.count(), Attachment.objects.count()) == (0, 0, 0)

    context.set_offline(False)  # the outbox sends the round; the page then shows what was stored
    eventually(lambda: Round.objects.get(pk=made.pk).status == RoundStatus.COMPLETED)
    page.wait_for_selector(f"#cp-{setup.leak.checkpoint_id} img.img-thumbnail")

    def stored() -> tuple[Any, ...]:
        done = Round.objects.get(pk=made.pk)
        return (
            done.status,
            done.walker,
            done.client_uuid is not None,
            sorted(CheckIn.objects.filter(round=done).values_list("checkpoint__name", flat=True)),
            [
                (r.item.name, r.value, r.outcome, r.note)
                for r in ItemResult.objects.filter(round=done).order_by(
                    "item__position", "item__checkpoint__position"
                )
            ],
            [(a.original_name, a.owner_id) for a in Attachment.objects.all()],
        )

    leak_result = ItemResult.objects.get(round=made, item=setup.leak)
    first = stored()
    assert first == (
        RoundStatus.COMPLETED,
        world.user("worker_a1"),
        True,
        ["1号罐罐顶", "防火堤"],
        [("罐壁温度", 41.5, "fail", "偏高"), ("防火堤无渗漏", None, "pass", "")],
        [("leak.png", leak_result.pk)],
    )

    # Sending again stores nothing more: the outbox is empty, and the same round sent again is a no-op.
    page.goto(f"{live_server.url}/inspections/")
    assert page.evaluate("AnquanOutbox.flush().then(() => AnquanOutbox.pending())") == []
    again = page.evaluate("(p) => AnquanOutbox.queueJson(p.url, p.json).then((q) => q.result)", pending[0])
    assert again["stored"] is False
    assert page.evaluate("AnquanOutbox.pending()") == []
    assert stored() == first
    assert (CheckIn.objects.count(), ItemResult.objects.count(), Attachment.objects.count()) == (2, 2, 1)


def test_scanning_a_checkpoint_qr_code_checks_in_on_the_round_walked_offline(
    world: World, setup: Setup, browser: Any, live_server: Any
) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    path = f"/inspections/rounds/{made.pk}/"
    page = signed_in_page(browser, live_server, world.user("worker_a1"))
    page.goto(f"{live_server.url}{path}#scan={setup.dike.code}")  # walked online: the code is filled in
    # (after the page has looked on the phone for an offline walk: asynchronous, so wait for it)
    page.wait_for_function(
        "([id, code]) => document.getElementById(id).value === code",
        arg=[f"code-{setup.dike.pk}", setup.dike.code],
    )
    assert page.evaluate("window.location.hash") == ""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    eventually(lambda: bool(page.evaluate(CACHED, path)) and bool(page.evaluate(CACHED, "/inspections/")))
    page.goto(f"{live_server.url}{path}")  # now through the service worker
    page.click("#rw-start")
    page.wait_for_selector(f"#rw-code-{setup.tank.pk}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.set_offline(True)
    # What the phone's camera app opens for the QR code of a checkpoint (the code is in the fragment).
    page.goto(f"{live_server.url}/inspections/#scan={setup.tank.code}")
    page.wait_for_selector(f"[data-rw-checked-in='{setup.tank.pk}']")
    assert page.evaluate("window.location.pathname + window.location.hash") == path
    page.goto(f"{live_server.url}/inspections/#scan=NOTACODE")
    page.wait_for_selector("#rw-flash:not([hidden])")
    expect(page.locator("#rw-flash")).to_have_text("点位码无效：没有这个巡检点。")
    assert page.locator(f"#rw-code-{setup.dike.pk}").is_visible()
    assert CheckIn.objects.count() == 0


def test_the_qr_code_url_works_on_the_online_check_in_form(world: World, setup: Setup) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    client = world.client("worker_a1")
    sheet = world.client("officer_a").get(f"/inspections/routes/{setup.route.pk}/codes/").content.decode()
    qr = segno.make(f"http://testserver/inspections/#scan={setup.tank.code}", error="m")
    assert setup.tank.code in sheet and qr.svg_inline(scale=4, border=2) in sheet
    scanned = f"http://testserver/inspections/#scan={setup.tank.code}"
    client.post(f"/inspections/rounds/{made.pk}/checkin/", {"code": scanned})
    assert list(CheckIn.objects.values_list("checkpoint__name", flat=True)) == ["1号罐罐顶"]
    page = client.get(f"/inspections/rounds/{made.pk}/").content.decode()
    assert setup.tank.code not in page and setup.dike.code not in page
    assert views.code_hash(setup.dike.code) in page


def test_a_refused_round_shows_why_and_can_be_taken_back_to_correct(
    world: World, setup: Setup, browser: Any, live_server: Any
) -> None:
    (made,) = services.generate_rounds(WEDNESDAY_9)
    page = signed_in_page(browser, live_server, world.user("worker_a1"))
    page.goto(f"{live_server.url}/inspections/rounds/{made.pk}/")
    page.click("#rw-start")
    page.context.set_offline(True)
    for checkpoint in (setup.tank, setup.dike):
        page.fill(f"#rw-code-{checkpoint.pk}", checkpoint.code)
        page.locator(f"#rw-cp-{checkpoint.pk} button[type=submit]").click()
        page.wait_for_selector(f"[data-rw-checked-in='{checkpoint.pk}']")
    page.locator(f"#rw-item-{setup.temperature.pk} [name=value]").fill("20")
    page.locator(f"#rw-item-{setup.temperature.pk} button[type=submit]").click()
    page.locator(f"#rw-item-{setup.leak.pk} input[name=ok][value='0']").check()
    page.locator(f"#rw-item-{setup.leak.pk} input[type=file]").set_input_files(
        {"name": "camera.png", "mimeType": "image/png", "buffer": png((2400, 1800))}
    )
    page.locator(f"#rw-item-{setup.leak.pk} button[type=submit]").click()
    page.wait_for_selector(f"[data-rw-recorded='{setup.leak.pk}']")
    page.click("#rw-finish")
    page.wait_for_selector("#rw-queued")
    # A camera's photo is made smaller on the phone, so that the whole round fits one request.
    (entry,) = page.evaluate("AnquanOutbox.pending()")
    (sent_photo,) = [p for r in entry["json"]["results"] for p in r["photos"]]
    with Image.open(io.BytesIO(base64.b64decode(sent_photo["content_base64"]))) as image:
        assert (sent_photo["name"], image.format, image.size) == ("camera.jpg", "JPEG", (1600, 1200))

    # Meanwhile the round was walked and finished online (another phone of the same walker).
    walker = world.user("worker_a1")
    services.check_in(walker, made, setup.tank.code)
    services.record_result(walker, made, setup.temperature, value=21)
    services.check_in(walker, made, setup.dike.code)
    services.record_result(walker, made, setup.leak, ok=True, photos=[photo()])
    services.finish_round(walker, made)

    page.context.set_offline(False)
    refused = page.locator("[data-outbox-refused]")
    refused.wait_for()
    assert "该巡检任务已完成。" in refused.inner_text()
    page.wait_for_selector("#rw-refused")
    assert page.locator("#rw-queued").count() == 0
    assert [r.value for r in ItemResult.objects.filter(round=made, item=setup.temperature)] == [21]
    refused.locator("button").click()  # 放弃: the walk comes back to be corrected or dropped
    page.wait_for_selector("#rw-finish")
    assert page.evaluate("AnquanOutbox.pending()") == []
