"""The S3-compatible storage end to end, against a real local S3 server (moto's)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer

from anquan.org import services as org
from anquan.platform.attachments.downloads import open_stream
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files, upload

pytestmark = pytest.mark.django_db

CREDENTIALS = {"aws_access_key_id": "anquan-test", "aws_secret_access_key": "anquan-test-secret"}
REGION = "us-east-1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Any:
    """A fresh bucket, and the default storage pointed at it the way ANQUAN_ATTACHMENT_STORAGE=s3 does."""
    name = f"anquan-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint, region_name=REGION, **CREDENTIALS)
    s3.create_bucket(Bucket=name)
    settings.STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "region_name": REGION,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return s3.Bucket(name)


def keys(bucket: Any) -> list[str]:
    return sorted(obj.key for obj in bucket.objects.all())


def body(bucket: Any, key: str) -> bytes:
    return bytes(bucket.Object(key).get()["Body"].read())


def logged_in(world: Any, key: str) -> Client:
    client = Client()
    client.force_login(world.user(key))
    return client


def test_upload_download_and_delete_through_s3(
    world: Any, bucket: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    tank = world.equipment["T-101"]
    leader = logged_in(world, "leader_a1")
    pdf = samples.pdf()
    url = reverse("attachments:upload", args=["plant.equipment", tank.pk])

    assert (
        leader.post(
            url, {"file": upload("现场.jpg", samples.jpeg(gps=True))}, HTTP_HX_REQUEST="true"
        ).status_code
        == 200
    )
    assert leader.post(url, {"file": upload("manual.pdf", pdf)}, HTTP_HX_REQUEST="true").status_code == 200

    photo, manual = Attachment.objects.get(kind="image"), Attachment.objects.get(kind="pdf")
    assert keys(bucket) == sorted([photo.file.name, photo.thumbnail.name, manual.file.name])
    assert photo.file.name.startswith("attachments/") and manual.file.name.endswith(".pdf")
    assert stored_files(media) == []  # nothing on the local disk
    assert body(bucket, manual.file.name) == pdf
    assert b"Exif" not in body(bucket, photo.file.name)

    # Downloads stream the object through the view after the same scope check as on disk,
    # reading the object's body from the bucket (no local copy first).
    stream, length = open_stream(photo.file)
    assert isinstance(stream, StreamingBody)
    assert length == photo.size
    stream.close()
    worker = logged_in(world, "worker_a1")
    response = worker.get(reverse("attachments:download", args=[photo.pk]))
    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "image/jpeg",
        "inline; filename*=utf-8''%E7%8E%B0%E5%9C%BA.jpg",
    )
    assert int(response["Content-Length"]) == photo.size
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == body(bucket, photo.file.name)

    thumb = worker.get(reverse("attachments:thumbnail", args=[photo.pk]))
    assert b"".join(thumb.streaming_content) == body(bucket, photo.thumbnail.name)

    assert (
        logged_in(world, "worker_b1").get(reverse("attachments:download", args=[photo.pk])).status_code == 404
    )

    _, token = org.issue_api_token(None, user=world.user("worker_a1"), name="s3")
    api = Client().get(f"/api/v1/attachments/{manual.pk}/download", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    assert api["Content-Disposition"] == 'attachment; filename="manual.pdf"'
    assert b"".join(api.streaming_content) == pdf

    # Delete: the objects go once the deletion has committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = leader.post(reverse("attachments:delete", args=[photo.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert keys(bucket) == [manual.file.name]
    assert list(Attachment.objects.all()) == [manual]


def test_a_refused_upload_leaves_the_bucket_empty(world: Any, bucket: Any) -> None:
    response = logged_in(world, "leader_a1").post(
        reverse("attachments:upload", args=["plant.equipment", world.equipment["T-101"].pk]),
        {"file": upload("photo.jpg", samples.EXE)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert keys(bucket) == []
    assert not Attachment.objects.exists()
