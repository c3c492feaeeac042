"""Attachments API: list an owner's attachments, upload (multipart), download, delete.

The same registry-based checks as the pages: an owner or attachment the caller may not see is a 404,
an owner they see but may not attach to is a 403, a refused upload is a 400 with
``{"detail": …, "errors": {"file": ["…"]}}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext_lazy
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from anquan.platform.api import Page
from anquan.platform.attachments import selectors, services
from anquan.platform.attachments.downloads import file_response
from anquan.platform.attachments.models import Attachment, AttachmentKind

router = Router(tags=["attachments"])


def doc(text: StrPromise) -> str:
    """An operation's summary, translated when the OpenAPI document is rendered."""
    return cast(str, text)


def _user(request: HttpRequest) -> Any:
    # Both authenticators (bearer token, session) return the user; ninja keeps it as request.auth.
    return getattr(request, "auth", None) or request.user


class AttachmentOut(Schema):
    id: int
    owner_type: str
    owner_id: int
    site_id: int | None
    kind: AttachmentKind
    content_type: str
    original_name: str
    download_name: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    description: str
    uploaded_by_id: int | None
    created_at: dt.datetime
    download_url: str
    thumbnail_url: str | None

    @staticmethod
    def resolve_owner_type(obj: Attachment) -> str:
        return f"{obj.owner_type.app_label}.{obj.owner_type.model}"

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return reverse("api:attachment_download", kwargs={"attachment_id": obj.pk})

    @staticmethod
    def resolve_thumbnail_url(obj: Attachment) -> str | None:
        if not obj.thumbnail:
            return None
        return reverse("api:attachment_thumbnail", kwargs={"attachment_id": obj.pk})


@router.get(
    "/",
    response=list[AttachmentOut],
    summary=doc(gettext_lazy("附件列表")),
    url_name="attachment_list",
    operation_id="attachment_list",
)
@paginate(Page)
def list_attachments(request: HttpRequest, owner_type: str, owner_id: int) -> QuerySet[Attachment]:
    """The attachments of one owner record, e.g. ``?owner_type=plant.equipment&owner_id=12``."""
    user = _user(request)
    record = selectors.owner_or_404(user, owner_type, owner_id)
    return selectors.attachments_of(user, record).select_related("owner_type")


@router.post(
    "/",
    response={201: AttachmentOut},
    summary=doc(gettext_lazy("上传附件")),
    url_name="attachment_upload",
    operation_id="attachment_upload",
)
def upload(
    request: HttpRequest,
    owner_type: Form[str],
    owner_id: Form[int],
    file: File[UploadedFile | None] = None,  # missing: the service's own field error
    description: Form[str] = "",
) -> Status[Attachment]:
    """Upload a file (multipart). Its type is read from the content; photos are re-encoded."""
    user = _user(request)
    record = selectors.owner_or_404(user, owner_type, owner_id)
    return Status(201, services.store_upload(user, record, file, description))


@router.get(
    "/{attachment_id}",
    response=AttachmentOut,
    summary=doc(gettext_lazy("附件详情")),
    url_name="attachment_detail",
    operation_id="attachment_detail",
)
def detail(request: HttpRequest, attachment_id: int) -> Attachment:
    return selectors.attachment_or_404(_user(request), attachment_id)


@router.get(
    "/{attachment_id}/download",
    summary=doc(gettext_lazy("下载附件")),
    url_name="attachment_download",
    operation_id="attachment_download",
)
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    return file_response(selectors.attachment_or_404(_user(request), attachment_id))


@router.get(
    "/{attachment_id}/thumbnail",
    summary=doc(gettext_lazy("附件缩略图")),
    url_name="attachment_thumbnail",
    operation_id="attachment_thumbnail",
)
def thumbnail(request: HttpRequest, attachment_id: int) -> FileResponse:
    return file_response(selectors.attachment_or_404(_user(request), attachment_id), thumbnail=True)


@router.delete(
    "/{attachment_id}",
    response={204: None},
    summary=doc(gettext_lazy("删除附件")),
    url_name="attachment_delete",
    operation_id="attachment_delete",
)
def delete(request: HttpRequest, attachment_id: int) -> Status[None]:
    user = _user(request)
    services.delete_attachment(user, selectors.attachment_or_404(user, attachment_id))
    return Status(204, None)
