"""Gateway keys of HTTP connectors: issued once, kept only as a prefix (to find it) and a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from anquan.streaming.choices import Protocol
from anquan.streaming.models import Connector

KEY_PREFIX = "aqg_"  # Anquan gateway key
PREFIX_LENGTH = 8  # characters after KEY_PREFIX kept in Connector.key_prefix


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_gateway_key(connector: Connector) -> str:
    """A new key for ``connector`` (replacing any earlier one). Returned once; only its prefix and
    hash are stored. The caller owns the transaction and the audit entry."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    connector.key_prefix = key[len(KEY_PREFIX) : len(KEY_PREFIX) + PREFIX_LENGTH]
    connector.key_hash = hash_key(key)
    connector.save(update_fields=["key_prefix", "key_hash", "updated_at"])
    return key


def lookup(key: str) -> tuple[Connector | None, Connector | None]:
    """(the enabled HTTP connector the key belongs to, or None;
    the connector whose prefix the key carries even if the key is wrong, or None)."""
    key = key.strip()
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + PREFIX_LENGTH or len(key) > 200:
        return None, None
    prefix = key[len(KEY_PREFIX) : len(KEY_PREFIX) + PREFIX_LENGTH]
    digest = hash_key(key)
    candidates = list(
        Connector.objects.filter(key_prefix=prefix, protocol=Protocol.HTTP).exclude(key_hash="")
    )
    for connector in candidates:
        if hmac.compare_digest(connector.key_hash, digest):
            return (connector if connector.enabled else None), connector
    return None, (candidates[0] if candidates else None)


def connector_for_key(key: str) -> Connector | None:
    """The enabled HTTP connector ``key`` belongs to, or None."""
    return lookup(key)[0]
