"""The sealer: links freely appended events, in order, into a keyed chain of seals.

Writers take no shared lock (audit.services.record_event is one INSERT), so events are
ordered after the fact. On PostgreSQL each event records its transaction id; every
transaction below `pg_snapshot_xmin(pg_current_snapshot())` has finished, so no event can
appear below that horizon any more. A seal takes the events between the previous seal's
horizon and the current one, ordered by (xid, id). On SQLite (the embedded demo, one writer
at a time, so ids follow commit order) a seal takes the events after the previous seal's last
id. Two sealers at once are serialised by an advisory lock (PostgreSQL) and, everywhere, by
the unique `seq`.

The worker calls `seal_and_anchor()` every few seconds (`manage.py seal_audit_trail
--export-anchor` does the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .anchors import export_anchor
from .chain import GENESIS, RunningDigest, seal_leaf, sign_seal
from .models import AuditEvent, AuditSeal, SealBasis

# pg_advisory_xact_lock key: "HSBSEAL" read as hex-ish digits; any constant unique to us.
SEAL_LOCK_KEY = 0x4853_4253_4541_4C
CHUNK = 5000
_LEAF_FIELDS = ("id", "key_id", "mac")


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def current_horizon() -> int:
    """The oldest transaction id still running: every lower one has finished (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        (horizon,) = cursor.fetchone()
    return int(horizon)


def last_seal(basis: tuple[str, ...] | None = None) -> AuditSeal | None:
    seals = AuditSeal.objects.all()
    if basis:
        seals = seals.filter(basis__in=basis)
    return seals.order_by("-seq").first()


def id_range_start() -> int:
    """Events without a transaction id after this id are not yet sealed."""
    previous = last_seal((SealBasis.ID, SealBasis.LEGACY))
    return previous.last_id if previous else 0


def xid_range_start() -> int:
    previous = last_seal((SealBasis.XID,))
    return previous.xid_to if previous and previous.xid_to is not None else 0


def events_in_xid_range(xid_from: int, xid_to: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(xid__gte=xid_from, xid__lt=xid_to).order_by("xid", "id")


def events_in_id_range(after_id: int, last_id: int | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(xid__isnull=True, id__gt=after_id)
    if last_id is not None:
        events = events.filter(id__lte=last_id)
    return events.order_by("id")


def unsealed_events() -> QuerySet[AuditEvent]:
    """Events no seal covers yet: past the last XID seal's range, or (without a transaction
    id) past the last ID seal."""
    return AuditEvent.objects.filter(
        Q(xid__gte=xid_range_start()) | Q(xid__isnull=True, id__gt=id_range_start())
    )


def iterate(events: QuerySet[AuditEvent], fields: tuple[str, ...] | None = None) -> Iterator[Any]:
    # Keyset pages in the queryset's order, so a million events never sit in memory at once
    # and no server-side cursor is needed (works inside and outside a transaction).
    order = list(events.query.order_by)
    page = events.only(*fields) if fields else events
    last: tuple[Any, ...] | None = None
    while True:
        chunk = page
        if last is not None:
            if order == ["xid", "id"]:
                chunk = chunk.filter(Q(xid__gt=last[0]) | Q(xid=last[0], id__gt=last[1]))
            else:
                chunk = chunk.filter(id__gt=last[1])
        rows = list(chunk[:CHUNK])
        if not rows:
            return
        yield from rows
        last = (rows[-1].xid, rows[-1].id)
        if len(rows) < CHUNK:
            return


def _seal(
    basis: str,
    events: QuerySet[AuditEvent],
    previous: AuditSeal | None,
    xid_range: tuple[int, int] | None = None,
) -> AuditSeal | None:
    digest = RunningDigest()
    first_id = last_id = None
    for event in iterate(events, ("id", "xid", "key_id", "mac", *_LEGACY_FIELDS[basis])):
        digest.add(seal_leaf(event))
        first_id = event.id if first_id is None else min(first_id, event.id)
        last_id = event.id if last_id is None else max(last_id, event.id)
    if not digest.count or first_id is None or last_id is None:
        return None
    seal = AuditSeal(
        seq=previous.seq + 1 if previous else 1,
        prev_hash=previous.hash if previous else GENESIS,
        basis=basis,
        xid_from=xid_range[0] if xid_range else None,
        xid_to=xid_range[1] if xid_range else None,
        first_id=first_id,
        last_id=last_id,
        event_count=digest.count,
        total_count=(previous.total_count if previous else 0) + digest.count,
        digest=digest.hexdigest(),
        sealed_at=timezone.now(),
    )
    sign_seal(seal)
    seal.save(force_insert=True)
    return seal


# Legacy leaves are computed from content, so the sealer must load it.
_LEGACY_FIELDS: dict[str, tuple[str, ...]] = {
    SealBasis.XID: (),
    SealBasis.ID: (),
    SealBasis.LEGACY: (
        "occurred_at",
        "actor",
        "actor_role",
        "actor_agency_id",
        "action",
        "object_type",
        "object_id",
        "changes",
        "reason",
        "request_id",
        "client_address",
    ),
}


def seal_pending_events() -> AuditSeal | None:
    """Seal every event that can no longer be joined by an earlier one; None if none."""
    with transaction.atomic():
        if _is_postgresql():
            with connection.cursor() as cursor:
                # Held to commit: a second sealer waits here, then sees this seal.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            previous = last_seal()
            start = xid_range_start()
            # Taken after the lock, so it is never behind the seal just read.
            horizon = current_horizon()
            if horizon <= start:
                return None
            return _seal(
                SealBasis.XID, events_in_xid_range(start, horizon), previous, (start, horizon)
            )
        previous = last_seal()
        return _seal(SealBasis.ID, events_in_id_range(id_range_start()), previous)


def seal_legacy_events() -> AuditSeal | None:
    """Seal the events of the unkeyed hash chain (written before keys) as history."""
    with transaction.atomic():
        legacy = AuditEvent.objects.filter(key_id="")
        if not legacy.exists() or AuditSeal.objects.exists():
            return None
        last_id = legacy.order_by("-id").values_list("id", flat=True)[0]
        return _seal(SealBasis.LEGACY, events_in_id_range(0, last_id), None)


@dataclass(frozen=True)
class SealResult:
    seal: AuditSeal | None
    anchor: Path | None


def seal_and_anchor() -> SealResult:
    """What the worker runs on its schedule: seal, then export the head to the anchor dir."""
    seal = seal_pending_events()
    return SealResult(seal=seal, anchor=export_anchor())
