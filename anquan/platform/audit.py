"""The audit trail: every create/update/delete and state change of a business record.

Services call ``record_*`` inside their transaction, so an audit entry exists exactly when the
change it describes was committed. Entries form a hash chain: each stores the SHA-256 of its own
canonical content together with the previous entry's hash, so editing or deleting any entry breaks
every hash after it; ``verify()`` names the first broken one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from anquan.platform.models import AuditAction, AuditEntry, AuditHead

GENESIS = "0" * 64
# Field names never written into the trail (secrets and noise).
REDACTED = {"password", "secret", "token_hash", "webhook_secret", "smtp_password"}
SKIPPED = {"updated_at", "created_at", "last_login"}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, FieldFile):  # (hasattr(value, "url") raises on an empty one)
        return value.name or ""
    if isinstance(value, bytes | bytearray | memoryview):  # binary content: its digest, not the bytes
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-safe primitives."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in SKIPPED:
            continue
        value = "***" if field.name in REDACTED else _plain(getattr(instance, field.attname))
        data[field.name] = value
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _site_of(instance: models.Model) -> int | None:
    site_id = getattr(instance, "audit_site_id", None)
    value = site_id() if callable(site_id) else site_id
    return int(value) if value is not None else None


def canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "model": entry.model,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "site_id": entry.site_id,
        "changes": entry.changes,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def record(
    actor: Any,
    action: str,
    instance: models.Model,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain (inside the caller's transaction)."""
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"hash": GENESIS})
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_name=(actor.get_username() if getattr(actor, "pk", None) else "system")[:150],
            action=action,
            model=instance._meta.label_lower,
            object_id=str(instance.pk),
            object_repr=str(instance)[:200],
            site_id=_site_of(instance),
            changes=_plain(changes or {}),
            prev_hash=head.hash,
        )
        # JSON round trip so the hash is computed over exactly what the database returns.
        entry.changes = json.loads(json.dumps(entry.changes, ensure_ascii=False))
        entry.hash = entry_hash(entry)
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


def record_create(actor: Any, instance: models.Model) -> AuditEntry:
    return record(actor, AuditAction.CREATE, instance, snapshot(instance))


def record_update(actor: Any, instance: models.Model, before: dict[str, Any]) -> AuditEntry | None:
    """Record the fields that changed since ``before`` (a ``snapshot``); nothing if none did."""
    changes = diff(before, snapshot(instance))
    if not changes:
        return None
    return record(actor, AuditAction.UPDATE, instance, changes)


def record_delete(actor: Any, instance: models.Model) -> AuditEntry:
    return record(actor, AuditAction.DELETE, instance, snapshot(instance))


def record_transition(actor: Any, instance: models.Model, field: str, old: Any, new: Any) -> AuditEntry:
    return record(actor, AuditAction.TRANSITION, instance, {field: [old, new]})


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken_seq: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _iter_entries(batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the chain from the start; stop at the first entry that does not check out."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in _iter_entries():
        if entry.seq != expected_seq:
            return VerifyResult(checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return VerifyResult(checked, entry.seq, "previous-hash link does not match")
        if entry_hash(entry) != entry.hash:
            return VerifyResult(checked, entry.seq, "content does not match its hash")
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if progress:
            progress(1)
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.seq != checked:
        return VerifyResult(checked, checked + 1, f"entries after #{checked} were removed")
    return VerifyResult(checked)
