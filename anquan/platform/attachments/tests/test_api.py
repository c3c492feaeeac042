"""/api/v1/attachments: list, upload, detail, download, delete with the registry's checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from anquan.org import services as org
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import store_upload
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files, upload
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

BASE = "/api/v1/attachments/"


class Api:
    """A bearer-token client (None: anonymous)."""

    def __init__(self, world: Any, key: str | None):
        self.client = Client()
        self.headers: dict[str, str] = {}
        if key:
            _, raw = org.issue_api_token(None, user=world.user(key), name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params, **self.headers)

    def post(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.post(url, data, **self.headers)

    def delete(self, url: str) -> Any:
        return self.client.delete(url, **self.headers)


def upload_form(eq: Any, name: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"owner_type": "plant.equipment", "owner_id": eq.pk, "file": upload(name, data), **extra}


@pytest.fixture
def manual(world: Any) -> Attachment:
    return store_upload(
        world.user("leader_a1"), world.equipment["T-101"], upload("说明书.pdf", samples.pdf()), "手册"
    )


# --- upload ------------------------------------------------------------------------------------
def test_upload_returns_201_with_the_record(world: Any, media: Path) -> None:
    tank = world.equipment["T-101"]
    response = Api(world, "leader_a1").post(
        BASE, upload_form(tank, "IMG.jpg", samples.jpeg(gps=True), description="罐顶")
    )

    assert response.status_code == 201
    att = Attachment.objects.get()
    body = response.json()
    assert body == {
        "id": att.pk,
        "owner_type": "plant.equipment",
        "owner_id": tank.pk,
        "site_id": world.site_a.pk,
        "kind": "image",
        "content_type": "image/jpeg",
        "original_name": "IMG.jpg",
        "download_name": "IMG.jpg",
        "size": att.size,
        "sha256": att.sha256,
        "width": 60,
        "height": 40,
        "description": "罐顶",
        "uploaded_by_id": world.user("leader_a1").pk,
        "created_at": body["created_at"],
        "download_url": f"/api/v1/attachments/{att.pk}/download",
        "thumbnail_url": f"/api/v1/attachments/{att.pk}/thumbnail",
    }


@pytest.mark.parametrize(
    ("key", "status"),
    [
        (None, 401),
        ("admin_b", 404),
        ("worker_b1", 404),
        ("contractor_a", 404),
        ("worker_a1", 403),
        ("expert", 403),
    ],
    ids=[
        "anonymous",
        "other-site-admin",
        "other-site-worker",
        "contractor",
        "worker-without-attach",
        "expert",
    ],
)
def test_upload_denied_stores_nothing(world: Any, media: Path, key: str | None, status: int) -> None:
    api = Api(world, key)
    entries = AuditEntry.objects.count()
    response = api.post(BASE, upload_form(world.equipment["T-101"], "m.pdf", samples.pdf()))
    assert response.status_code == status
    assert set(response.json()) == {"detail"}
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert AuditEntry.objects.count() == entries


def test_a_refused_upload_is_a_400_with_field_errors(world: Any, media: Path) -> None:
    response = Api(world, "leader_a1").post(
        BASE, upload_form(world.equipment["T-101"], "photo.jpg", samples.zip_archive())
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "输入有误，请检查后重试。",
        "errors": {
            "file": [
                "不支持的文件类型：文件内容是 ZIP（application/zip），与文件名无关。"
                "可上传照片（JPEG、PNG、WebP、HEIC）、录音（MP3、M4A、AAC、WAV、OGG、AMR）、视频（MP4、MOV、WebM）或 PDF 文档。"
            ]
        },
    }
    assert stored_files(media) == []


def test_an_unknown_owner_type_is_a_400(world: Any, media: Path) -> None:
    form = {"owner_type": "org.site", "owner_id": world.site_a.pk, "file": upload("m.pdf", samples.pdf())}
    response = Api(world, "root").post(BASE, form)
    assert response.status_code == 400
    assert response.json()["errors"] == {"owner_type": ["未知的附件归属类型：org.site"]}


def test_a_missing_file_is_a_400(world: Any) -> None:
    form = {"owner_type": "plant.equipment", "owner_id": world.equipment["T-101"].pk}
    response = Api(world, "leader_a1").post(BASE, form)
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["请选择要上传的文件。"]}


def test_a_malformed_owner_id_is_a_422(world: Any) -> None:
    form = {"owner_type": "plant.equipment", "owner_id": "T-101", "file": upload("m.pdf", samples.pdf())}
    response = Api(world, "leader_a1").post(BASE, form)
    assert response.status_code == 422
    assert response.json()["errors"] == {"owner_id": ["请输入整数。"]}


def test_the_session_works_too(world: Any, media: Path) -> None:
    client = Client()
    client.force_login(world.user("leader_a1"))
    response = client.post(BASE, upload_form(world.equipment["T-101"], "a.wav", samples.wav()))
    assert (response.status_code, response.json()["kind"]) == (201, "audio")


# --- list and detail ---------------------------------------------------------------------------
def test_list_an_owners_attachments(world: Any, manual: Attachment) -> None:
    tank = world.equipment["T-101"]
    store_upload(None, world.equipment["T-901"], upload("west.pdf", samples.pdf()))

    response = Api(world, "worker_a1").get(BASE, owner_type="plant.equipment", owner_id=tank.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(a["id"], a["original_name"], a["description"], a["thumbnail_url"]) for a in body["items"]] == [
        (manual.pk, "说明书.pdf", "手册", None)
    ]


@pytest.mark.parametrize(
    ("key", "status"),
    [(None, 401), ("admin_b", 404), ("worker_b1", 404), ("contractor_a", 404), ("worker_a2", 404)],
    ids=["anonymous", "other-site-admin", "other-site-worker", "contractor", "other-area-worker"],
)
def test_list_detail_and_download_are_hidden_outside_the_owner_scope(
    world: Any, manual: Attachment, key: str | None, status: int
) -> None:
    api = Api(world, key)
    assert (
        api.get(BASE, owner_type="plant.equipment", owner_id=world.equipment["T-101"].pk).status_code
        == status
    )
    assert api.get(f"{BASE}{manual.pk}").status_code == status
    assert api.get(f"{BASE}{manual.pk}/download").status_code == status


def test_detail_and_download(world: Any, manual: Attachment, media: Path) -> None:
    api = Api(world, "worker_a1")
    assert api.get(f"{BASE}{manual.pk}").json()["download_name"] == "说明书.pdf"

    response = api.get(f"{BASE}{manual.pk}/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == (media / manual.file.name).read_bytes()


# --- delete ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "status"),
    [(None, 401), ("admin_b", 404), ("worker_b1", 404), ("worker_a1", 403), ("operator_a", 403)],
    ids=["anonymous", "other-site-admin", "other-site-worker", "worker-without-attach", "operator"],
)
def test_delete_denied_changes_nothing(
    world: Any,
    manual: Attachment,
    media: Path,
    key: str | None,
    status: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = Api(world, key)
    files, entries = stored_files(media), AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.delete(f"{BASE}{manual.pk}")
    assert response.status_code == status
    assert Attachment.objects.filter(pk=manual.pk).exists()
    assert stored_files(media) == files
    assert AuditEntry.objects.count() == entries


def test_delete(world: Any, manual: Attachment, media: Path, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Api(world, "officer_a").delete(f"{BASE}{manual.pk}")
    assert response.status_code == 204
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.model, entry.actor_name) == ("delete", "platform.attachment", "officer_a")


def test_the_openapi_document_describes_the_routes(world: Any) -> None:
    client = Client()
    client.force_login(world.user("root"))
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/attachments/"])
    upload_schema = paths["/api/v1/attachments/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_schema
    assert "/api/v1/attachments/{attachment_id}/download" in paths
