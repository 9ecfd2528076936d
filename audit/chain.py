"""The audit trail's hash chain: how an event is digested, linked and verified.

The same functions serve the writer (SQLite path), the PostgreSQL trigger's twin, and
`verify_audit_trail`, so there is one definition of what an event's hash covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

GENESIS = "0" * 64


def content_digest(event: Any) -> str:
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
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


def link_digest(seq: int, prev_hash: str, content_hash: str) -> str:
    # Mirrors the PostgreSQL trigger in audit/migrations/0002_append_only_chain.py.
    return hashlib.sha256(f"{seq}|{prev_hash}|{content_hash}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    message: str


def verify_chain(
    events: Iterable[Any], head: tuple[int, str] | None = None
) -> tuple[int, list[ChainProblem]]:
    """Walk events in sequence order; return how many were checked and every broken link."""
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, checked = 1, GENESIS, 0

    def report(event: Any, message: str) -> None:
        name = f"event {event.seq} (id {event.pk})"
        problems.append(ChainProblem(event.seq, event.pk, f"{name} {message}"))

    for event in events:
        checked += 1
        if event.seq is None:
            report(event, "has no place in the chain (inserted outside the trigger)")
            continue
        if event.seq > expected_seq:
            gap = f"{expected_seq}" + (f"-{event.seq - 1}" if event.seq > expected_seq + 1 else "")
            problems.append(
                ChainProblem(
                    expected_seq, None, f"event(s) {gap} missing before {event.seq} (deleted)"
                )
            )
        elif event.seq < expected_seq:
            report(event, "repeats an earlier place in the chain (inserted)")
        if event.prev_hash != prev_hash:
            report(event, "does not link to the event before it (inserted, or that one changed)")
        if content_digest(event) != event.content_hash:
            report(event, "was edited: its content does not match its hash")
        if link_digest(event.seq, event.prev_hash, event.content_hash) != event.hash:
            report(event, "has a link hash that does not match (forged)")
        expected_seq, prev_hash = event.seq + 1, event.hash
    if head is not None and head != (expected_seq - 1, prev_hash):
        problems.append(
            ChainProblem(
                head[0],
                None,
                f"the chain head names event {head[0]} but the events end at {expected_seq - 1} "
                "(events removed from the end, or the head changed)",
            )
        )
    return checked, problems
