"""What the audit trail's keys cover: one definition for the writer, the sealer and verify.

An event carries `mac`, an HMAC-SHA256 under the key named by `key_id`, over its canonical
content: every concrete field of `AuditEvent` except those the database assigns or that carry
the MAC itself (`UNSIGNED_FIELDS`). A field added to the model later is covered without a
change here; while it holds its empty value it is left out, so events written before the
field existed still verify.

Seals (`AuditSeal`) link events in order: each seal's `digest` is a running SHA-256 over its
events' leaves (an event's MAC; for events from before keys, the unkeyed content digest of
the old hash chain), and its `hash` is an HMAC over the seal's own fields including the
previous seal's hash, so the seals form a keyed chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

# Assigned by the database at insert (id, the transaction id) or the signature itself.
UNSIGNED_FIELDS = frozenset({"id", "xid", "key_id", "mac"})
_EMPTY: tuple[Any, ...] = (None, "", {}, [])
EVENT_DOMAIN = b"hsb-audit-event-v2\n"
SEAL_DOMAIN = b"hsb-audit-seal-v1\n"
GENESIS = "0" * 64


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


# --- keys ----------------------------------------------------------------------------------


def chain_keys() -> dict[str, bytes]:
    return dict(settings.AUDIT_CHAIN_KEYS)


def current_key() -> tuple[str, bytes]:
    key_id, secret = settings.AUDIT_CHAIN_KEYS[0]
    return key_id, secret


def _hmac(secret: bytes, domain: bytes, key_id: str, text: str) -> str:
    message = domain + key_id.encode() + b"\n" + text.encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


# --- events --------------------------------------------------------------------------------


def canonical_content(event: Any) -> str:
    """The event's signed content as one JSON text (field name → value, empties left out)."""
    content = {}
    for field in type(event)._meta.concrete_fields:
        if field.name in UNSIGNED_FIELDS:
            continue
        value = getattr(event, field.attname)
        if value in _EMPTY:
            continue
        content[field.attname] = _plain(value)
    # Through JSON and back, so what the database returns (integer keys of `changes` become
    # strings, tuples lists) signs the same as what was written.
    return _json(json.loads(json.dumps(content, ensure_ascii=False, default=str)))


def event_mac(event: Any, key_id: str, secret: bytes) -> str:
    return _hmac(secret, EVENT_DOMAIN, key_id, canonical_content(event))


def sign_event(event: Any) -> None:
    key_id, secret = current_key()
    event.key_id = key_id
    event.mac = event_mac(event, key_id, secret)


def legacy_content_digest(event: Any) -> str:
    """The unkeyed content digest of the hash chain before keys (frozen: old events keep it)."""
    payload = {
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "actor_agency_id": event.actor_agency_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
        "client_address": event.client_address,
    }
    return hashlib.sha256(_json(payload).encode()).hexdigest()


def seal_leaf(event: Any) -> str:
    """What a seal's digest covers for one event: its MAC, or the legacy content digest."""
    return event.mac if event.key_id else legacy_content_digest(event)


class RunningDigest:
    """SHA-256 over the leaves in order; a deleted, inserted or reordered event changes it."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(b"hsb-audit-seal-digest-v1\n")
        self.count = 0

    def add(self, leaf: str) -> None:
        self._hash.update(leaf.encode() + b"\n")
        self.count += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- seals ---------------------------------------------------------------------------------

SEAL_FIELDS = (
    "seq",
    "prev_hash",
    "basis",
    "xid_from",
    "xid_to",
    "first_id",
    "last_id",
    "event_count",
    "total_count",
    "digest",
    "sealed_at",
)


def canonical_seal(seal: Any) -> str:
    return _json({name: _plain(getattr(seal, name)) for name in SEAL_FIELDS})


def seal_mac(seal: Any, key_id: str, secret: bytes) -> str:
    return _hmac(secret, SEAL_DOMAIN, key_id, canonical_seal(seal))


def sign_seal(seal: Any) -> None:
    key_id, secret = current_key()
    seal.key_id = key_id
    seal.hash = seal_mac(seal, key_id, secret)
