"""What a person does with the panel, in Chromium on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from anquan.conftest import build_world, signed_in_page
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files

pytestmark = [pytest.mark.urls("anquan.platform.attachments.tests.urls")]


def test_upload_refusal_and_delete_on_a_phone(
    transactional_db: Any, live_server: Any, browser: Browser, media: Path, tmp_path: Path
) -> None:
    world = build_world()
    tank = world.equipment["T-101"]
    page = signed_in_page(browser, live_server, world.user("leader_a1"))
    page.goto(f"{live_server.url}/test-attachments/equipment/{tank.pk}/")
    panel = page.locator(".attachments-panel")
    expect(panel.get_by_text("暂无附件。")).to_be_visible()
    file_input = panel.locator('input[name="file"]')
    assert file_input.get_attribute("accept") == "image/*,audio/*,video/*,application/pdf"
    assert panel.locator('input[name="photo"]').get_attribute("capture") == "environment"

    # A PDF that calls itself a photo is kept as what it is.
    file_input.set_input_files({"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.pdf()})
    panel.locator('input[name="description"]').fill("储罐检验报告")
    panel.get_by_role("button", name="上传").click()
    expect(panel.get_by_test_id("attachment-count")).to_have_text("1")
    expect(panel.get_by_text("photo.pdf")).to_be_visible()
    expect(panel.get_by_text("储罐检验报告")).to_be_visible()

    # A program disguised as a photo is refused, and the panel says why (HTMX swaps the 400 in).
    panel.locator('input[name="file"]').set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": samples.EXE}
    )
    panel.get_by_role("button", name="上传").click()
    expect(panel.get_by_test_id("attachment-errors")).to_contain_text("不支持的文件类型：文件内容是 EXE")
    expect(panel.get_by_test_id("attachment-count")).to_have_text("1")

    # A photo from the camera input gets a thumbnail.
    panel.locator('input[name="photo"]').set_input_files(
        {"name": "cam.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg((300, 200), gps=True)}
    )
    panel.get_by_role("button", name="上传").click()
    expect(panel.get_by_test_id("attachment-count")).to_have_text("2")
    thumb = panel.locator("img.attachment-thumb")
    expect(thumb).to_have_count(1)
    page.wait_for_function("() => document.querySelector('img.attachment-thumb').naturalWidth === 300")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(tmp_path / "attachments-phone.png"), full_page=True)

    # Delete the PDF (after confirming).
    page.once("dialog", lambda dialog: dialog.accept())
    pdf = Attachment.objects.get(kind="pdf")
    panel.locator(f'form[action$="/{pdf.pk}/delete/"] button').click()
    expect(panel.get_by_test_id("attachment-count")).to_have_text("1")
    expect(panel.get_by_text("photo.pdf")).to_have_count(0)
    assert list(Attachment.objects.values_list("kind", flat=True)) == ["image"]
    photo = Attachment.objects.get()
    assert sorted(stored_files(media)) == sorted([photo.file.name, photo.thumbnail.name])


def test_a_viewer_without_the_right_sees_files_but_no_form(
    transactional_db: Any, live_server: Any, browser: Browser, media: Path
) -> None:
    from anquan.platform.attachments.services import store_upload

    world = build_world()
    tank = world.equipment["T-101"]
    store_upload(None, tank, samples.upload("说明书.pdf", samples.pdf()))
    page = signed_in_page(browser, live_server, world.user("worker_a1"))
    page.goto(f"{live_server.url}/test-attachments/equipment/{tank.pk}/")
    panel = page.locator(".attachments-panel")
    expect(panel.get_by_text("说明书.pdf")).to_be_visible()
    expect(panel.locator("form")).to_have_count(0)
