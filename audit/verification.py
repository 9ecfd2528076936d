"""Verify the audit trail: event signatures, seals over them, the seal chain and the anchor.

What each check catches:

- every event's MAC against its content, under the key its `key_id` names: an edited event,
  or one re-signed without the key (a plain hash, a guessed key), is named;
- every seal's digest and count against the events now in its range, in order: a deleted,
  inserted, moved or reordered event breaks its seal;
- the seal chain (sequence, each `prev_hash`, each seal's own HMAC, contiguous ranges): a
  deleted, inserted or forged seal;
- the latest anchor outside the database: the seal it names must still be there with the same
  hash and count, so removing the tail of seals and events, or recomputing the whole chain, is
  detected.

Events after the last seal are reported as awaiting their seal: their MACs are checked, but
only sealing (every few seconds, by the worker) protects them against deletion.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.db import connection

from .anchors import Anchor, latest_anchor
from .chain import GENESIS, RunningDigest, chain_keys, event_mac, seal_leaf, seal_mac
from .models import AuditEvent, AuditSeal, SealBasis
from .sealing import current_horizon, iterate


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: int = 0
    seals: int = 0
    pending: int = 0
    head: AuditSeal | None = None
    anchor: Anchor | None = None

    @property
    def intact(self) -> bool:
        return not self.problems


def describe_event(event: AuditEvent) -> str:
    when = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"event id {event.pk} ({when} UTC, {event.action} {event.object_type}:{event.object_id})"


def describe_seal(seal: AuditSeal) -> str:
    if seal.basis == SealBasis.XID:
        covers = (
            f"transactions {seal.xid_from}-{seal.xid_to}, events {seal.first_id}-{seal.last_id}"
        )
    else:
        covers = f"events {seal.first_id}-{seal.last_id}"
    return f"seal {seal.seq} ({covers}, {seal.event_count} sealed)"


class _Peekable:
    def __init__(self, items: Iterator[AuditEvent]):
        self._items = items
        self._next: AuditEvent | None = next(items, None)

    def peek(self) -> AuditEvent | None:
        return self._next

    def pop(self) -> AuditEvent:
        item = self._next
        assert item is not None
        self._next = next(self._items, None)
        return item

    def rest(self) -> list[AuditEvent]:
        items = []
        while self._next is not None:
            items.append(self.pop())
        return items


class _Verifier:
    def __init__(self, report: Report):
        self.report = report
        self.keys = chain_keys()

    def problem(self, message: str) -> None:
        self.report.problems.append(message)

    # --- events ----------------------------------------------------------------------------

    def check_event(self, event: AuditEvent, seal: AuditSeal | None) -> None:
        self.report.events += 1
        if not event.key_id:
            if seal is None or seal.basis != SealBasis.LEGACY:
                self.problem(f"{describe_event(event)} has no signature (forged or inserted)")
            return
        secret = self.keys.get(event.key_id)
        if secret is None:
            self.problem(
                f"{describe_event(event)} is signed with key {event.key_id!r}, which is not in "
                "AUDIT_CHAIN_KEYS (forged, or a retired key was removed from the list)"
            )
            return
        if not hmac.compare_digest(event_mac(event, event.key_id, secret), event.mac):
            self.problem(
                f"{describe_event(event)} was edited or re-signed without the key: its MAC "
                f"does not match its content under key {event.key_id!r}"
            )

    def check_sealed_run(self, seal: AuditSeal, events: Iterator[AuditEvent]) -> None:
        # Streamed: the first seal over an old trail can hold a million events.
        digest = RunningDigest()
        for event in events:
            self.check_event(event, seal)
            digest.add(seal_leaf(event))
        if digest.count != seal.event_count:
            change = "deleted" if digest.count < seal.event_count else "inserted"
            self.problem(
                f"{describe_seal(seal)} now finds {digest.count} events in its range: "
                f"{abs(seal.event_count - digest.count)} {change}"
            )
        elif not hmac.compare_digest(digest.hexdigest(), seal.digest):
            self.problem(
                f"{describe_seal(seal)}: its events no longer match its digest (an event was "
                "replaced, moved or reordered)"
            )

    def walk_xid_events(self, seals: list[AuditSeal]) -> list[AuditEvent]:
        """Merge the events with a transaction id against the xid seals; return the rest."""
        stream = _Peekable(
            iterate(AuditEvent.objects.filter(xid__isnull=False).order_by("xid", "id"))
        )

        def in_range(xid_from: int, xid_to: int) -> Iterator[AuditEvent]:
            while (event := stream.peek()) is not None and (event.xid or 0) < xid_to:
                stream.pop()
                if (event.xid or 0) < xid_from:
                    self.check_event(event, None)
                    self.problem(f"{describe_event(event)} lies between seals (inserted)")
                else:
                    yield event

        for seal in seals:
            self.check_sealed_run(seal, in_range(seal.xid_from or 0, seal.xid_to or 0))
        return stream.rest()

    def walk_id_events(self, seals: list[AuditSeal]) -> list[AuditEvent]:
        stream = _Peekable(iterate(AuditEvent.objects.filter(xid__isnull=True).order_by("id")))

        def up_to(last_id: int) -> Iterator[AuditEvent]:
            while (event := stream.peek()) is not None and event.pk <= last_id:
                yield stream.pop()

        for seal in seals:
            self.check_sealed_run(seal, up_to(seal.last_id))
        return stream.rest()

    # --- seals -----------------------------------------------------------------------------

    def check_seal_chain(self, seals: list[AuditSeal]) -> None:
        prev_hash, xid_to, total = GENESIS, 0, 0
        for expected_seq, seal in enumerate(seals, start=1):
            name = describe_seal(seal)
            if seal.seq != expected_seq:
                self.problem(
                    f"seal {expected_seq} is missing before seal {seal.seq} (deleted)"
                    if seal.seq > expected_seq
                    else f"{name} repeats an earlier place in the chain"
                )
            if seal.prev_hash != prev_hash:
                self.problem(f"{name} does not link to the seal before it (inserted or replaced)")
            secret = self.keys.get(seal.key_id)
            if secret is None:
                self.problem(f"{name} is signed with key {seal.key_id!r}, not in AUDIT_CHAIN_KEYS")
            elif not hmac.compare_digest(seal_mac(seal, seal.key_id, secret), seal.hash):
                self.problem(f"{name} was edited or forged: its HMAC does not match")
            total += seal.event_count
            if seal.total_count != total:
                self.problem(f"{name} counts {seal.total_count} events in all, the seals {total}")
            if seal.basis == SealBasis.XID:
                if seal.xid_from != xid_to:
                    self.problem(
                        f"{name} starts at transaction {seal.xid_from}, the seal before it "
                        f"ended at {xid_to} (a seal removed, or events left unsealed)"
                    )
                xid_to = seal.xid_to or 0
            elif seal.basis == SealBasis.LEGACY and seal.seq != 1:
                self.problem(f"{name} claims history from before keys but is not the first")
            prev_hash = seal.hash
        self.report.seals = len(seals)
        self.report.head = seals[-1] if seals else None

    def check_against_head(
        self, seals: dict[int, AuditSeal], seq: int, digest: str, where: str
    ) -> AuditSeal | None:
        head = self.report.head
        seal = seals.get(seq)
        if seal is None:
            ends = f"ends at seal {head.seq}" if head else "is empty"
            self.problem(
                f"the seal chain {ends} but {where} names seal {seq}: seals and their events "
                "were removed from the end (or the chain replaced)"
            )
        elif not hmac.compare_digest(seal.hash, digest):
            self.problem(
                f"seal {seq} is not the one {where} recorded (hash {seal.hash[:12]}…, "
                f"recorded {digest[:12]}…): the chain was recomputed"
            )
        return seal


def verify_trail(*, check_anchor: bool = True, expect_head: str | None = None) -> Report:
    report = Report()
    verifier = _Verifier(report)
    # The anchor first: one exported while we read names a seal we are sure to see.
    anchor = latest_anchor() if check_anchor else None
    report.anchor = anchor
    seals = list(AuditSeal.objects.order_by("seq"))
    verifier.check_seal_chain(seals)
    rest = verifier.walk_xid_events([s for s in seals if s.basis == SealBasis.XID])
    unsealed_without_xid = verifier.walk_id_events([s for s in seals if s.basis != SealBasis.XID])
    on_postgresql = connection.vendor == "postgresql"
    for event in unsealed_without_xid:
        if on_postgresql:
            verifier.check_event(event, None)
            verifier.problem(
                f"{describe_event(event)} has no transaction id and lies after every seal "
                "(inserted outside the application)"
            )
        else:
            rest.append(event)
    for event in rest:
        verifier.check_event(event, None)
    report.pending = len(rest)
    if rest and on_postgresql:
        horizon = current_horizon()
        finished = sum(1 for event in rest if event.xid is not None and event.xid < horizon)
        if finished:
            report.warnings.append(
                f"{finished} events of finished transactions await their seal: is the worker "
                "running `seal_audit_trail --export-anchor`?"
            )

    by_seq = {seal.seq: seal for seal in seals}
    if anchor is not None:
        where = f"anchor {anchor.path}"
        seal = verifier.check_against_head(by_seq, anchor.seq, anchor.hash, where)
        if seal is not None and seal.total_count != anchor.total_count:
            verifier.problem(
                f"seal {seal.seq} counts {seal.total_count} events, {where} {anchor.total_count}"
            )
    elif check_anchor:
        report.warnings.append(
            "no anchor found in AUDIT_ANCHOR_DIR: removal of the newest seals cannot be ruled "
            "out (run export_audit_head, or the worker)"
        )
    if expect_head:
        seq_text, _, digest = expect_head.partition(":")
        try:
            seq = int(seq_text)
        except ValueError:
            verifier.problem(f"--expect-head {expect_head!r} is not SEQ:HASH")
        else:
            verifier.check_against_head(by_seq, seq, digest, "--expect-head")
    return report
