"""Serving a stored attachment: only through a view that has checked the scope, never a public URL.

Local files go out as a FileResponse; an S3 object is streamed through the same view (its body is
read chunk by chunk from the bucket), so the permission check is identical for both storages.
"""

from __future__ import annotations

from typing import IO, Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from anquan.platform.attachments.models import Attachment

# The stored file is data, never a page: no scripts, no plug-ins, no guessing the type.
SANDBOX = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


def open_stream(field_file: FieldFile) -> tuple[IO[bytes], int | None]:
    """The stored file as a readable stream, and its length when the stream cannot tell."""
    storage: Any = field_file.storage
    bucket = getattr(storage, "bucket", None)
    normalize = getattr(storage, "_normalize_name", None)
    if bucket is not None and normalize is not None:  # django-storages S3Storage
        from storages.utils import clean_name

        # The same key S3Storage itself would use (location prefix included); the body streams.
        obj = bucket.Object(normalize(clean_name(field_file.name))).get()
        return obj["Body"], int(obj["ContentLength"])
    return storage.open(field_file.name, "rb"), None


def file_response(attachment: Attachment, *, thumbnail: bool = False) -> FileResponse:
    if thumbnail and attachment.thumbnail:
        (stream, size), content_type, inline = open_stream(attachment.thumbnail), "image/jpeg", True
    else:
        (stream, size), content_type = open_stream(attachment.file), attachment.content_type
        inline = attachment.is_image
    response = FileResponse(
        stream,
        content_type=content_type,
        as_attachment=not inline,
        filename=attachment.download_name,
    )
    if size is not None and "Content-Length" not in response:
        response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=3600"
    return response
