"""What every hazards use case shares: limits, the attach window, permission, locking, the timeline."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from anquan.hazards.models import Hazard, HazardStep
from anquan.org.access import Access, place_of_area
from anquan.platform.attachments import processing
from anquan.platform.attachments.models import Attachment, AttachmentKind
from anquan.platform.attachments.services import store_upload

MAX_DESCRIPTION = 2000
MAX_NOTE = 2000
MAX_FILES = 9  # photos, a voice note, a short video
MAX_FUNDS = Decimal("9999999999.99")
REMIND_BEFORE = dt.timedelta(hours=24)  # the responsible person is reminded this long before the deadline
ESCALATE_SECOND_AFTER = dt.timedelta(
    hours=24
)  # overdue this long: from the area managers to the EHS director
# An alarm that is "control measure failed" (管控措施失效): standing — active for more than 24 h (EEMUA
# 191) — or chattering — 3 activations within 60 s (ISA-18.2) — in the last day.
CHATTER_LOOKBACK = dt.timedelta(hours=24)

_attaching: ContextVar[frozenset[tuple[int | None, int]]] = ContextVar(
    "hazards_attaching", default=frozenset()
)


# --- helpers ------------------------------------------------------------------------------------
def may_attach(user: Any, hazard: Hazard) -> bool:
    """Attachments are added to a hazard only by these services (report, rectify): the registry's
    ``may_attach`` is true only inside them, for their actor."""
    return (getattr(user, "pk", None), hazard.pk) in _attaching.get()


@contextlib.contextmanager
def _attach_window(user: Any, hazard: Hazard) -> Iterator[None]:
    token = _attaching.set(_attaching.get() | {(getattr(user, "pk", None), hazard.pk)})
    try:
        yield
    finally:
        _attaching.reset(token)


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def _user_or_none(actor: Any) -> Any:
    return actor if _actor_id(actor) else None


def _require(actor: Any, capability: str, hazard: Hazard) -> None:
    if actor is not None:
        Access.of(actor).require(capability, place_of_area(hazard.area))


def _text(value: Any, field: str, *, required: bool, limit: int, message: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [message or _("此字段为必填项。")]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def _lock(hazard: Hazard) -> Hazard:
    return (
        Hazard.objects.select_for_update(of=("self",))
        .select_related("site", "area__site", "equipment", "reporter", "responsible")
        .get(pk=hazard.pk)
    )


def _expect(hazard: Hazard, *states: str) -> None:
    if hazard.state not in states:
        raise ValidationError(
            {
                "state": [
                    _("隐患 %(number)s 当前为“%(state)s”，不能进行此操作。")
                    % {"number": hazard.number, "state": hazard.get_state_display()}
                ]
            }
        )


def _step(
    hazard: Hazard,
    kind: str,
    actor: Any,
    *,
    at: dt.datetime,
    from_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> HazardStep:
    return HazardStep.objects.create(
        hazard=hazard,
        kind=kind,
        at=at,
        actor=_user_or_none(actor),
        from_state=from_state,
        to_state=hazard.state,
        note=note,
        data=data or {},
    )


def _common(hazard: Hazard, actor: Any) -> dict[str, Any]:
    return {
        "hazard_id": hazard.pk,
        "site_id": hazard.site_id,
        "area_id": hazard.area_id,
        "actor_id": _actor_id(actor),
        "state": hazard.state,
    }


def _check_files(files: Sequence[Any], *, images_only: bool = False) -> None:
    """Refuse the whole set before anything is stored (type by content, size per kind)."""
    if len(files) > MAX_FILES:
        raise ValidationError({"files": [_("最多上传 %(n)d 个文件。") % {"n": MAX_FILES}]})
    for upload in files:
        size = int(getattr(upload, "size", 0) or 0)
        try:
            accepted = processing.sniff(processing.read_head(upload) if size else b"")
            processing.check_size(accepted.kind, size)
        except ValidationError as exc:
            raise ValidationError({"files": exc.messages}) from None
        if images_only and accepted.kind != AttachmentKind.IMAGE:
            raise ValidationError({"files": [_("整改证据须为照片。")]})


def _store(actor: Any, hazard: Hazard, files: Sequence[Any], description: str) -> list[Attachment]:
    stored = []
    with _attach_window(actor, hazard):
        for upload in files:
            try:
                stored.append(store_upload(actor, hazard, upload, description))
            except ValidationError as exc:
                raise ValidationError({"files": exc.messages}) from None
    return stored
