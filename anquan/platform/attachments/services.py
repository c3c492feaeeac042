"""Writes of attachments: store an upload, delete one, delete all of an owner's.

A refused upload raises ``ValidationError({"file": [...]})`` with a message that names the reason.
The file is written before the row; if the row (or its audit entry) cannot be written, the file is
removed again, so a failed upload never leaves an orphan in the storage. A deleted attachment's
files are removed only after the deletion has committed.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import models, transaction
from django.utils.translation import gettext as _

from anquan.platform import audit
from anquan.platform.attachments import events, processing
from anquan.platform.attachments.models import Attachment, AttachmentKind
from anquan.platform.attachments.registry import OwnerType, owner_type
from anquan.platform.events import publish

MAX_DESCRIPTION = 500


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def _registration(owner: models.Model) -> OwnerType:
    registration = owner_type(owner)
    if registration is None:
        raise ValidationError({"owner": [_("此类记录不能添加附件。")]})
    return registration


def _denied() -> PermissionDenied:
    return PermissionDenied(_("您没有为此记录上传或删除附件的权限。"))


def require_may_attach(actor: Any, owner: models.Model) -> OwnerType:
    """The owner's registration, if ``actor`` may see ``owner`` and attach to it (None: the system)."""
    registration = _registration(owner)
    if actor is None:
        return registration
    if not registration.visible(actor).filter(pk=owner.pk).exists():
        raise _denied()
    if not registration.may_attach(actor, owner):
        raise _denied()
    return registration


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _remove(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)


def store_upload(actor: Any, owner: models.Model, uploaded_file: Any, description: str = "") -> Attachment:
    """Check, clean and keep an uploaded file as an attachment of ``owner``."""
    registration = require_may_attach(actor, owner)
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": [_("说明最多 %(n)d 个字符。") % {"n": MAX_DESCRIPTION}]})
    if uploaded_file is None:
        raise ValidationError({"file": [_("请选择要上传的文件。")]})

    size = int(getattr(uploaded_file, "size", 0) or 0)
    accepted = processing.sniff(processing.read_head(uploaded_file) if size else b"")
    processing.check_size(accepted.kind, size)

    attachment = Attachment(
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        site_id=registration.site_of(owner),
        kind=accepted.kind,
        original_name=processing.clean_filename(getattr(uploaded_file, "name", "")),
        description=description,
        uploaded_by=actor if _actor_id(actor) else None,
    )
    content: File[Any]
    thumbnail: bytes | None = None
    if accepted.kind == AttachmentKind.IMAGE:
        image = processing.reencode_image(uploaded_file, accepted)
        content, extension = ContentFile(image.data), image.extension
        attachment.content_type, attachment.width, attachment.height = image.mime, image.width, image.height
        attachment.size, attachment.sha256 = len(image.data), hashlib.sha256(image.data).hexdigest()
        thumbnail = image.thumbnail
    else:
        content, extension = File(uploaded_file), accepted.extension
        attachment.content_type, attachment.size = accepted.mime, size
        attachment.sha256 = _sha256(uploaded_file)

    storage = attachment.file.storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            stem = uuid.uuid4().hex
            attachment.file.save(f"{stem}.{extension}", content, save=False)
            stored.append(attachment.file.name or "")
            if thumbnail is not None:
                attachment.thumbnail.save(f"{stem}_thumb.jpg", ContentFile(thumbnail), save=False)
                stored.append(attachment.thumbnail.name or "")
            attachment.save()
            audit.record_create(actor, attachment)
            publish(
                events.AttachmentAdded(
                    attachment_id=attachment.pk,
                    owner_type=registration.key,
                    owner_id=attachment.owner_id,
                    site_id=attachment.site_id,
                    kind=attachment.kind,
                    actor_id=_actor_id(actor),
                )
            )
    except BaseException:
        _remove(storage, stored)
        raise
    return attachment


def delete_attachment(actor: Any, attachment: Attachment) -> None:
    owner = attachment.owner
    if owner is None:  # the owner record is gone: only the system may clean up
        if actor is not None:
            raise _denied()
        registration_key = f"{attachment.owner_type.app_label}.{attachment.owner_type.model}"
    else:
        registration_key = require_may_attach(actor, owner).key
    _delete(actor, attachment, registration_key)


def _delete(actor: Any, attachment: Attachment, registration_key: str) -> None:
    storage = attachment.file.storage
    names = [attachment.file.name or "", attachment.thumbnail.name or ""]
    with transaction.atomic():
        audit.record_delete(actor, attachment)
        attachment_id = attachment.pk
        attachment.delete()
        publish(
            events.AttachmentDeleted(
                attachment_id=attachment_id,
                owner_type=registration_key,
                owner_id=attachment.owner_id,
                site_id=attachment.site_id,
                actor_id=_actor_id(actor),
            )
        )
        transaction.on_commit(lambda: _remove(storage, names), robust=True)


def delete_all_for(actor: Any, owner: models.Model) -> int:
    """Delete every attachment of ``owner`` (a domain calls this before deleting the owner record)."""
    registration = require_may_attach(actor, owner)
    attachments = list(
        Attachment.objects.filter(owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk)
    )
    with transaction.atomic():
        for attachment in attachments:
            _delete(actor, attachment, registration.key)
    return len(attachments)
