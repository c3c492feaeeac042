"""Which records may own attachments, and who may see and change them.

The platform cannot import the domains above it, so each domain registers its owner models from its
AppConfig.ready()::

    register_owner(
        Equipment,
        visible=lambda user: selectors.equipment(user),          # the owners the user may see
        may_attach=lambda user, eq: Access.of(user).covers(...),  # may upload to / delete from it
    )

Every read and write of attachments goes through these two callables, so a user sees an attachment
exactly when they may see its owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


def _audit_site_id(owner: Any) -> int | None:
    value = getattr(owner, "audit_site_id", None)
    value = value() if callable(value) else value
    return int(value) if value is not None else None


@dataclass(frozen=True)
class OwnerType:
    key: str  # the model's label_lower, e.g. "plant.equipment"
    model: type[models.Model]
    visible: Callable[[Any], models.QuerySet[Any]]
    may_attach: Callable[[Any, Any], bool]
    site_of: Callable[[Any], int | None] = _audit_site_id


_owners: dict[str, OwnerType] = {}


def key_of(model_or_instance: type[models.Model] | models.Model) -> str:
    return model_or_instance._meta.label_lower


def register_owner(
    model: type[models.Model],
    *,
    visible: Callable[[Any], models.QuerySet[Any]],
    may_attach: Callable[[Any, Any], bool],
    site_of: Callable[[Any], int | None] | None = None,
) -> OwnerType:
    """Let ``model`` own attachments (idempotent: registering again replaces the entry)."""
    owner_type = OwnerType(
        key=key_of(model),
        model=model,
        visible=visible,
        may_attach=may_attach,
        site_of=site_of or _audit_site_id,
    )
    _owners[owner_type.key] = owner_type
    return owner_type


def unregister_owner(model: type[models.Model]) -> None:
    _owners.pop(key_of(model), None)


def owner_type(key_or_owner: str | type[models.Model] | models.Model) -> OwnerType | None:
    """The registration for a key ("plant.equipment"), a model or an instance; None if not registered."""
    key = key_or_owner.lower() if isinstance(key_or_owner, str) else key_of(key_or_owner)
    return _owners.get(key)


def registered() -> list[OwnerType]:
    return list(_owners.values())
