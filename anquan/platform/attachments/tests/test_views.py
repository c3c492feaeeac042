"""The pages: upload (HTMX and plain), download, thumbnail, delete, panel; the permission matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import reverse

from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import store_upload
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files, upload
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def upload_url(eq: Any) -> str:
    return reverse("attachments:upload", args=["plant.equipment", eq.pk])


def post_file(client: Client, eq: Any, name: str, data: bytes, **extra: Any) -> Any:
    return client.post(
        upload_url(eq),
        {"file": upload(name, data), "description": "罐顶照片", "next": "/plant/"},
        **extra,
    )


# --- upload ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "status"),
    [
        (None, 302),
        ("admin_b", 404),
        ("worker_b1", 404),
        ("contractor_a", 404),
        ("worker_a1", 403),
        ("operator_a", 403),
    ],
    ids=[
        "anonymous",
        "other-site-admin",
        "other-site-worker",
        "contractor",
        "worker-without-attach",
        "operator",
    ],
)
def test_upload_is_denied_and_stores_nothing(world: Any, media: Path, key: str | None, status: int) -> None:
    entries = AuditEntry.objects.count()

    response = post_file(world.client(key), world.equipment["T-101"], "p.jpg", samples.jpeg(), **HTMX)

    assert response.status_code == status
    if key is None:
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert AuditEntry.objects.count() == entries


def test_upload_with_htmx_returns_the_refreshed_panel(world: Any, media: Path) -> None:
    tank = world.equipment["T-101"]
    response = post_file(world.client("leader_a1"), tank, "罐顶.jpg", samples.jpeg(gps=True), **HTMX)

    assert response.status_code == 200
    att = Attachment.objects.get()
    assert (att.owner, att.uploaded_by, att.description, att.original_name) == (
        tank,
        world.user("leader_a1"),
        "罐顶照片",
        "罐顶.jpg",
    )
    html = response.content.decode()
    assert f'id="attachments-plant-equipment-{tank.pk}"' in html
    assert reverse("attachments:thumbnail", args=[att.pk]) in html
    assert reverse("attachments:delete", args=[att.pk]) in html
    assert 'accept="image/*,audio/*,video/*,application/pdf"' in html
    assert 'capture="environment"' in html
    assert "<html" not in html  # a partial, not a page


def test_upload_without_htmx_redirects_back(world: Any, media: Path) -> None:
    response = post_file(world.client("leader_a1"), world.equipment["T-101"], "m.pdf", samples.pdf())
    assert (response.status_code, response["Location"]) == (302, "/plant/")
    assert Attachment.objects.get().kind == "pdf"


def test_upload_never_redirects_to_another_site(world: Any, media: Path) -> None:
    client = world.client("leader_a1")
    response = client.post(
        upload_url(world.equipment["T-101"]),
        {"file": upload("m.pdf", samples.pdf()), "next": "https://evil.example.com/"},
    )
    assert (response.status_code, response["Location"]) == (302, "/")


def test_the_camera_input_is_accepted_too(world: Any, media: Path) -> None:
    client = world.client("leader_a1")
    response = client.post(
        upload_url(world.equipment["T-101"]), {"photo": upload("cam.jpg", samples.jpeg())}, **HTMX
    )
    assert response.status_code == 200
    assert Attachment.objects.get().kind == "image"


def test_a_refused_upload_with_htmx_answers_400_with_the_panel_and_the_reason(
    world: Any, media: Path
) -> None:
    response = post_file(
        world.client("leader_a1"), world.equipment["T-101"], "photo.jpg", samples.EXE, **HTMX
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "不支持的文件类型：文件内容是 EXE（application/x-msdownload），与文件名无关。" in html
    assert 'data-testid="attachment-errors"' in html
    assert 'value="罐顶照片"' in html  # what the user typed is kept
    assert "hx-on::before-swap" in html  # the panel lets HTMX swap the 400 in
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_refused_upload_without_htmx_answers_a_400_page(world: Any, media: Path) -> None:
    response = post_file(world.client("leader_a1"), world.equipment["T-101"], "p.jpg", b"")
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件是空的（0 字节），请重新选择文件。" in html
    assert "附件未上传" in html
    assert 'href="/plant/"' in html


def test_upload_to_an_unknown_owner_type_or_missing_owner_is_404(world: Any, media: Path) -> None:
    client = world.client("root")
    url = reverse("attachments:upload", args=["org.site", world.site_a.pk])
    assert client.post(url, {"file": upload("m.pdf", samples.pdf())}).status_code == 404
    url = reverse("attachments:upload", args=["plant.equipment", 999999])
    assert client.post(url, {"file": upload("m.pdf", samples.pdf())}).status_code == 404
    assert stored_files(media) == []


def test_upload_only_accepts_post(world: Any) -> None:
    assert world.client("leader_a1").get(upload_url(world.equipment["T-101"])).status_code == 405


# --- download and thumbnail --------------------------------------------------------------------
@pytest.fixture
def photo(world: Any) -> Attachment:
    return store_upload(world.user("leader_a1"), world.equipment["T-101"], upload("IMG_1.png", samples.png()))


@pytest.fixture
def manual(world: Any) -> Attachment:
    return store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("说明书.pdf", samples.pdf())
    )


@pytest.mark.parametrize(
    ("key", "status"),
    [
        (None, 302),
        ("admin_b", 404),
        ("worker_b1", 404),
        ("contractor_a", 404),
        ("worker_a2", 404),
        ("worker_a1", 200),
    ],
    ids=["anonymous", "other-site-admin", "other-site-worker", "contractor", "other-area-worker", "viewer"],
)
def test_download_follows_the_owner_visibility(
    world: Any, photo: Attachment, key: str | None, status: int
) -> None:
    client = world.client(key)
    for name in ("attachments:download", "attachments:thumbnail"):
        response = client.get(reverse(name, args=[photo.pk]))
        assert response.status_code == status


def test_an_image_downloads_inline_with_safe_headers(world: Any, photo: Attachment, media: Path) -> None:
    response = world.client("worker_a1").get(reverse("attachments:download", args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="IMG_1.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert int(response["Content-Length"]) == photo.size
    assert b"".join(response.streaming_content) == (media / photo.file.name).read_bytes()


def test_a_pdf_downloads_as_an_attachment_with_its_chinese_name(world: Any, manual: Attachment) -> None:
    response = world.client("worker_a1").get(reverse("attachments:download", args=[manual.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('说明书.pdf')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_thumbnail_is_a_small_jpeg(world: Any, photo: Attachment, media: Path) -> None:
    response = world.client("worker_a1").get(reverse("attachments:thumbnail", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(response.streaming_content) == (media / photo.thumbnail.name).read_bytes()


# --- delete ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "status"),
    [(None, 302), ("admin_b", 404), ("worker_b1", 404), ("worker_a1", 403), ("operator_a", 403)],
    ids=["anonymous", "other-site-admin", "other-site-worker", "worker-without-attach", "operator"],
)
def test_delete_is_denied_and_changes_nothing(
    world: Any,
    manual: Attachment,
    media: Path,
    key: str | None,
    status: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    files, entries = stored_files(media), AuditEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = world.client(key).post(reverse("attachments:delete", args=[manual.pk]), **HTMX)

    assert response.status_code == status
    assert Attachment.objects.filter(pk=manual.pk).exists()
    assert stored_files(media) == files
    assert AuditEntry.objects.count() == entries


def test_delete_with_htmx_returns_the_panel_without_it(
    world: Any, manual: Attachment, photo: Attachment, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("manager_a1").post(reverse("attachments:delete", args=[manual.pk]), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("attachments:download", args=[manual.pk]) not in html
    assert reverse("attachments:download", args=[photo.pk]) in html
    assert list(Attachment.objects.all()) == [photo]
    assert sorted(stored_files(media)) == sorted([photo.file.name, photo.thumbnail.name])
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.object_id, entry.actor_name) == ("delete", str(manual.pk), "manager_a1")


def test_delete_without_htmx_redirects_back(world: Any, manual: Attachment) -> None:
    response = world.client("leader_a1").post(
        reverse("attachments:delete", args=[manual.pk]), {"next": "/plant/equipment/1/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/plant/equipment/1/")
    assert not Attachment.objects.exists()


# --- the panel ---------------------------------------------------------------------------------
def render_panel(world: Any, key: str, owner: Any) -> str:
    request = RequestFactory().get("/plant/equipment/")
    request.user = world.user(key)
    template = engines["django"].from_string('{% include "attachments/_panel.html" with owner=equipment %}')
    return template.render({"equipment": owner}, request)


def test_the_panel_shows_the_form_only_to_those_who_may_attach(
    world: Any, photo: Attachment, manual: Attachment
) -> None:
    tank = world.equipment["T-101"]

    leader = render_panel(world, "leader_a1", tank)
    worker = render_panel(world, "worker_a1", tank)
    outsider = render_panel(world, "worker_b1", tank)

    for html in (leader, worker):
        assert reverse("attachments:thumbnail", args=[photo.pk]) in html  # a thumbnail for the photo
        assert "bi-file-earmark-pdf" in html  # an icon for the PDF
        assert "说明书.pdf" in html
    assert upload_url(tank) in leader and "csrfmiddlewaretoken" in leader
    assert reverse("attachments:delete", args=[manual.pk]) in leader
    assert upload_url(tank) not in worker
    assert reverse("attachments:delete", args=[manual.pk]) not in worker
    assert outsider.strip() == ""


def test_the_panel_view_refreshes_one_owner(world: Any, photo: Attachment) -> None:
    url = reverse("attachments:panel", args=["plant.equipment", world.equipment["T-101"].pk])
    assert world.client(None).get(url).status_code == 302
    assert world.client("admin_b").get(url).status_code == 404
    response = world.client("worker_a1").get(url)
    assert response.status_code == 200
    assert reverse("attachments:download", args=[photo.pk]) in response.content.decode()


# --- admin -------------------------------------------------------------------------------------
def test_the_admin_lists_attachments_read_only(world: Any, manual: Attachment) -> None:
    client = world.client("root")
    response = client.get(reverse("admin:platform_attachment_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "说明书.pdf" in html
    assert reverse("attachments:download", args=[manual.pk]) in html
    assert client.get(reverse("admin:platform_attachment_add")).status_code == 403
    detail = client.get(reverse("admin:platform_attachment_change", args=[manual.pk]))
    assert detail.status_code == 200
    assert 'name="description"' not in detail.content.decode()  # shown, not editable
