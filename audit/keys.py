"""The audit chain's HMAC keys: parsed from the environment, never stored in the database.

`AUDIT_CHAIN_KEYS="k2:<base64>,k1:<base64>"`: the first key signs new events and seals;
the others only verify what they signed, so a key is rotated by putting a new one first and
keeping the old ones listed. Imported by the settings modules, so nothing Django here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

# A key shorter than this is refused by production settings (HMAC-SHA256's block of entropy).
MINIMUM_KEY_BYTES = 32
DEVELOPMENT_KEY_ID = "dev"
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


class ChainKeyError(ValueError):
    pass


def _decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded.encode())
        return base64.b64decode(padded.encode(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ChainKeyError("is not base64") from exc


def parse_chain_keys(value: str) -> list[tuple[str, bytes]]:
    """`id:base64,id:base64` → [(id, secret), ...], current key first."""
    keys: list[tuple[str, bytes]] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise ChainKeyError(
                "AUDIT_CHAIN_KEYS: each key is id:base64secret, the id 1-16 letters, digits, "
                "'.', '_' or '-'"
            )
        if key_id in {known for known, _ in keys}:
            raise ChainKeyError(f"AUDIT_CHAIN_KEYS: key id {key_id!r} is listed twice")
        try:
            keys.append((key_id, _decode(secret.strip())))
        except ChainKeyError as exc:
            raise ChainKeyError(f"AUDIT_CHAIN_KEYS: the secret of {key_id!r} {exc}") from exc
    return keys


def development_chain_key(secret_key: str) -> tuple[str, bytes]:
    # Derived from SECRET_KEY so development and tests sign without configuration; anyone
    # holding the (insecure) development SECRET_KEY can forge with it, hence never in production.
    return DEVELOPMENT_KEY_ID, hmac.new(
        secret_key.encode(), b"hsb-pathways audit chain development key", hashlib.sha256
    ).digest()


def production_key_problem(keys: list[tuple[str, bytes]]) -> str | None:
    """Why these keys may not sign a production trail, or None."""
    if not keys:
        return "AUDIT_CHAIN_KEYS must be set (id:base64 secret of at least 32 bytes)."
    for key_id, secret in keys:
        if key_id == DEVELOPMENT_KEY_ID:
            return f"AUDIT_CHAIN_KEYS: the key id {DEVELOPMENT_KEY_ID!r} is for development only."
        if len(secret) < MINIMUM_KEY_BYTES:
            return (
                f"AUDIT_CHAIN_KEYS: key {key_id!r} has {len(secret)} bytes; "
                f"at least {MINIMUM_KEY_BYTES} are required."
            )
    return None
