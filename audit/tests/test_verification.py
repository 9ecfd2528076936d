"""verify_audit_trail catches what someone who can write the tables, but lacks the key, does."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.anchors import export_anchor
from audit.chain import (
    RunningDigest,
    canonical_content,
    event_mac,
    seal_leaf,
    seal_mac,
)
from audit.models import AuditEvent, AuditSeal, SealBasis
from audit.sealing import seal_pending_events
from audit.verification import verify_trail

from .conftest import execute, write_events

pytestmark = pytest.mark.django_db(transaction=True)


def _sealed_trail(batches=(4, 3, 3)) -> list[AuditEvent]:
    """Events in three seals, the head exported as an anchor."""
    events: list[AuditEvent] = []
    for size in batches:
        events += write_events(size)
        assert seal_pending_events() is not None
    assert export_anchor() is not None
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def _verify_fails(*expected: str, **options) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_trail", **options)
    report = verify_trail(
        check_anchor=not options.get("no_anchor"), expect_head=options.get("expect_head")
    )
    text = "\n".join(report.problems)
    for fragment in expected:
        assert fragment in text, text
    assert "audit trail broken" in str(failure.value)
    return text


def test_an_intact_trail_verifies_against_its_anchor(capsys):
    _sealed_trail()
    write_events(2)  # not yet sealed: checked, reported as waiting

    call_command("verify_audit_trail")

    out = capsys.readouterr().out
    assert "audit trail intact: 12 events, 3 seals, head seal 3, 2 awaiting their seal" in out
    assert "matches anchor audit-anchor-000000000003-" in out


def test_an_event_edited_with_a_recomputed_plain_hash_is_named(as_table_owner):
    events = _sealed_trail()
    edited = events[5]
    edited.reason = "Nothing happened"
    execute(
        "UPDATE audit_auditevent SET reason = %s, mac = %s WHERE id = %s",
        [
            edited.reason,
            hashlib.sha256(canonical_content(edited).encode()).hexdigest(),
            edited.pk,
        ],
    )

    text = _verify_fails(f"event id {edited.pk} (", "was edited or re-signed without the key")

    assert f"event id {events[4].pk} " not in text


def test_an_event_rewritten_with_a_mac_under_a_wrong_key_is_named(as_table_owner):
    events = _sealed_trail()
    rewritten = events[2]
    rewritten.action = "case.closed"
    forged = event_mac(rewritten, rewritten.key_id, b"a guessed key, thirty-two bytes!")
    execute(
        "UPDATE audit_auditevent SET action = %s, mac = %s WHERE id = %s",
        [rewritten.action, forged, rewritten.pk],
    )

    _verify_fails(f"event id {rewritten.pk} (", "its MAC does not match its content")


def test_a_deleted_middle_event_breaks_its_seal(as_table_owner):
    events = _sealed_trail()
    execute("DELETE FROM audit_auditevent WHERE id = %s", [events[5].pk])

    _verify_fails("seal 2 (", "now finds 2 events in its range: 1 deleted")


def test_events_moved_between_seals_are_reported(as_table_owner):
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    events = _sealed_trail()
    first = AuditSeal.objects.get(seq=1)
    # Into the first seal's range; its MAC still matches (xid is not signed), the seals not.
    execute("UPDATE audit_auditevent SET xid = %s WHERE id = %s", [first.xid_from, events[5].pk])

    _verify_fails("seal 1 (", "1 inserted", "seal 2 (", "1 deleted")


def test_deleted_tail_events_and_their_seals_are_caught_by_the_anchor(as_table_owner):
    events = _sealed_trail()
    last = AuditSeal.objects.get(seq=3)
    execute("DELETE FROM audit_auditseal WHERE seq = 3")
    execute("DELETE FROM audit_auditevent WHERE id >= %s", [events[7].pk])

    # Without the anchor the shortened trail looks whole: that is what the anchor is for.
    assert verify_trail(check_anchor=False).problems == []
    _verify_fails(
        "the seal chain ends at seal 2 but anchor",
        "names seal 3: seals and their events were removed from the end",
    )
    _verify_fails("names seal 3", expect_head=f"3:{last.hash}", no_anchor=True)


def test_a_chain_recomputed_without_the_key_fails(as_table_owner):
    _sealed_trail()
    attacker_key = b"the attacker's own key, 32 bytes"
    # Rewrite every event and re-sign it, then rebuild every seal with the attacker's key.
    for event in AuditEvent.objects.order_by("id"):
        execute(
            "UPDATE audit_auditevent SET reason = 'rewritten', mac = %s WHERE id = %s",
            [event_mac_after(event, "rewritten", attacker_key), event.pk],
        )
    prev_hash = "0" * 64
    for seal in AuditSeal.objects.order_by("seq"):
        events = (
            AuditEvent.objects.filter(xid__gte=seal.xid_from, xid__lt=seal.xid_to)
            if seal.basis == SealBasis.XID
            else AuditEvent.objects.filter(
                xid__isnull=True, id__gte=seal.first_id, id__lte=seal.last_id
            )
        ).order_by("xid", "id")
        digest = RunningDigest()
        for event in events:
            digest.add(seal_leaf(event))
        seal.digest, seal.prev_hash = digest.hexdigest(), prev_hash
        seal.hash = seal_mac(seal, seal.key_id, attacker_key)
        execute(
            "UPDATE audit_auditseal SET digest = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [seal.digest, seal.prev_hash, seal.hash, seal.pk],
        )
        prev_hash = seal.hash

    text = _verify_fails(
        "its MAC does not match its content",
        "seal 1 (",
        "was edited or forged: its HMAC does not match",
        "is not the one anchor",
    )
    assert text.count("its MAC does not match") == 10


def event_mac_after(event: AuditEvent, reason: str, key: bytes) -> str:
    event.reason = reason
    return event_mac(event, event.key_id, key)


def test_a_forged_event_without_a_signature_is_reported(as_table_owner):
    events = _sealed_trail()
    execute(
        "INSERT INTO audit_auditevent (occurred_at, actor_role, action, object_type, object_id, "
        "changes, reason, request_id, key_id, mac) "
        "VALUES (%s, '', 'case.read', 'cases.case', '1', '{}', '', '', '', '')",
        [events[-1].occurred_at],
    )

    _verify_fails("has no signature (forged or inserted)")


def test_a_rotated_key_verifies_old_events_by_their_key_id(settings):
    settings.AUDIT_CHAIN_KEYS = [("k1", b"1" * 32)]
    old = write_events(2)
    seal_pending_events()
    settings.AUDIT_CHAIN_KEYS = [("k2", b"2" * 32), ("k1", b"1" * 32)]
    new = write_events(2)
    seal_pending_events()
    export_anchor()

    assert verify_trail().problems == []
    assert {e.key_id for e in old} == {"k1"}
    assert {e.key_id for e in new} == {"k2"}

    settings.AUDIT_CHAIN_KEYS = [("k2", b"2" * 32)]
    _verify_fails(f"event id {old[0].pk} (", "signed with key 'k1', which is not in")


def test_export_writes_a_new_anchor_only_when_the_head_moves(anchor_dir, capsys):
    write_events(1)
    seal_pending_events()
    call_command("export_audit_head")
    first = json.loads(capsys.readouterr().out)
    call_command("export_audit_head")
    again = json.loads(capsys.readouterr().out)
    write_events(1)
    seal_pending_events()
    call_command("export_audit_head")
    second = json.loads(capsys.readouterr().out)

    files = sorted(anchor_dir.glob("audit-anchor-*.json"))
    assert [f.name for f in files] == [
        first["file"].rsplit("/", 1)[1],
        second["file"].rsplit("/", 1)[1],
    ]
    assert again["file"] is None and again["expect_head"] == first["expect_head"]
    assert json.loads(files[0].read_text())["seq"] == 1
    assert (second["seq"], second["count"]) == (2, 2)
    call_command("verify_audit_trail", expect_head=first["expect_head"])
    _verify_fails("is not the one --expect-head recorded", expect_head="1:" + "a" * 64)


def test_verify_names_a_missing_anchor_directory_as_a_warning(capsys):
    write_events(1)
    seal_pending_events()

    call_command("verify_audit_trail")

    assert "WARNING: no anchor found in AUDIT_ANCHOR_DIR" in capsys.readouterr().err


def test_events_of_finished_transactions_left_unsealed_are_flagged():
    if connection.vendor != "postgresql":
        pytest.skip("transaction horizons are PostgreSQL's")
    write_events(2)

    report = verify_trail(check_anchor=False)

    assert report.pending == 2
    assert any("2 events of finished transactions await their seal" in w for w in report.warnings)
