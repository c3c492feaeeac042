"""Reads of attachments, scoped through the owner registry: a user sees an attachment exactly when
they may see its owner."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.registry import owner_type, registered


def visible_attachments(viewer: Any) -> QuerySet[Attachment]:
    """Every attachment whose owner ``viewer`` may see."""
    q = Q(pk__in=[])
    for registration in registered():
        ct = ContentType.objects.get_for_model(registration.model)
        owners = registration.visible(viewer).order_by().values("pk")
        q |= Q(owner_type=ct, owner_id__in=owners)
    return Attachment.objects.filter(q).select_related("uploaded_by", "owner_type")


def attachments_of(viewer: Any, owner: models.Model) -> QuerySet[Attachment]:
    """The attachments of ``owner``, or none if ``viewer`` may not see the owner."""
    if not owner_visible(viewer, owner):
        return Attachment.objects.none()
    ct = ContentType.objects.get_for_model(owner)
    return Attachment.objects.filter(owner_type=ct, owner_id=owner.pk).select_related("uploaded_by")


def owner_visible(viewer: Any, owner: models.Model) -> bool:
    registration = owner_type(owner)
    return registration is not None and registration.visible(viewer).filter(pk=owner.pk).exists()


def may_attach(viewer: Any, owner: models.Model) -> bool:
    registration = owner_type(owner)
    return (
        registration is not None
        and owner_visible(viewer, owner)
        and bool(registration.may_attach(viewer, owner))
    )


def owner_or_404(viewer: Any, key: str, owner_id: Any) -> models.Model:
    """The owner record ``key``/``owner_id`` if ``viewer`` may see it; 404 otherwise.

    An owner type that is not registered at all is a client error (ValidationError), not a secret.
    """
    registration = owner_type(key or "")
    if registration is None:
        raise ValidationError({"owner_type": [_("未知的附件归属类型：%(key)s") % {"key": key}]})
    try:
        pk = int(owner_id)
    except (TypeError, ValueError):
        raise Http404 from None
    owner = registration.visible(viewer).filter(pk=pk).first()
    if owner is None:
        raise Http404
    return owner


def attachment_or_404(viewer: Any, pk: Any) -> Attachment:
    attachment = visible_attachments(viewer).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment
