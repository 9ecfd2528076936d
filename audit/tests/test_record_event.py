"""record_event signs each event as one INSERT, with no lock shared between writers."""

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from agencies.models import LocalArea
from audit.chain import canonical_content, chain_keys, event_mac
from audit.models import AuditEvent, AuditSeal
from audit.services import record_event

from .conftest import write_events

pytestmark = pytest.mark.django_db


def test_an_event_is_signed_with_the_current_key(settings, make_user):
    settings.AUDIT_CHAIN_KEYS = [("k2", b"n" * 32), ("k1", b"o" * 32)]
    event = record_event(
        actor=make_user(), action="case.read", target=LocalArea.objects.create(name="A")
    )

    stored = AuditEvent.objects.get(pk=event.pk)

    assert stored.key_id == "k2"
    assert stored.mac == event_mac(stored, "k2", b"n" * 32)
    assert stored.mac != event_mac(stored, "k1", b"o" * 32)


def test_recording_an_event_is_one_insert(django_assert_num_queries):
    target = LocalArea.objects.create(name="A")

    with django_assert_num_queries(1) as captured:
        record_event(actor=None, action="case.read", target=target)

    assert captured.captured_queries[0]["sql"].startswith("INSERT INTO")


def _another_value(field, value):
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return timezone.now()
    if kind in {"ForeignKey", "BigIntegerField", "IntegerField", "PositiveIntegerField"}:
        return (value or 0) + 987654
    if kind == "JSONField":
        return {"changed": True}
    if kind == "GenericIPAddressField":
        return "192.0.2.9"
    if kind == "BooleanField":
        return not value
    return f"{value}-changed"


def test_every_signed_field_is_covered_by_the_mac():
    # A field added to AuditEvent later (request context, say) is covered without a change
    # in audit/chain.py: each field's change alone must break the MAC.
    event = AuditEvent.objects.get(pk=write_events(1)[0].pk)
    key_id, secret = event.key_id, chain_keys()[event.key_id]
    signed = [
        f for f in AuditEvent._meta.concrete_fields if f.name not in {"id", "xid", "key_id", "mac"}
    ]
    assert {"occurred_at", "actor_id", "action", "object_id", "changes", "reason"} <= {
        f.attname for f in signed
    }
    for field in signed:
        original = getattr(event, field.attname)
        setattr(event, field.attname, _another_value(field, original))
        assert event_mac(event, key_id, secret) != event.mac, field.attname
        setattr(event, field.attname, original)
    assert event_mac(event, key_id, secret) == event.mac
    assert '"action":"test.event"' in canonical_content(event)


@pytest.mark.postgres
def test_an_event_records_its_transaction_id():
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids are PostgreSQL's")
    event = write_events(1)[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (xid,) = cursor.fetchone()

    assert event.xid == xid
    assert AuditEvent.objects.get(pk=event.pk).xid == xid


def test_updating_or_deleting_an_event_is_refused_by_the_database():
    event = write_events(1)[0]

    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_updating_or_deleting_a_seal_is_refused_by_the_database():
    seal = AuditSeal.objects.create(
        seq=1,
        prev_hash="0" * 64,
        basis="id",
        first_id=1,
        last_id=1,
        event_count=1,
        total_count=1,
        digest="a" * 64,
        sealed_at=timezone.now(),
        key_id="dev",
        hash="b" * 64,
    )

    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditSeal.objects.filter(pk=seal.pk).update(event_count=0)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditSeal.objects.filter(pk=seal.pk).delete()
    assert AuditSeal.objects.get(pk=seal.pk).event_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_audited_write_does_not_wait_for_another_open_transaction():
    # Before keyed seals every insert locked the chain head until commit: the second writer
    # below waited for the first and hit its lock timeout.
    if connection.vendor != "postgresql":
        pytest.skip("lock waits are PostgreSQL's")
    area = LocalArea.objects.create(name="Two writers")
    first_inserted, second_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_writer() -> None:
        try:
            with transaction.atomic():
                record_event(actor=None, action="test.first", target=area)
                first_inserted.set()
                # Stay open (uncommitted) until the second writer has finished.
                second_done.wait(timeout=10)
        finally:
            connections.close_all()

    def second_writer() -> None:
        try:
            first_inserted.wait(timeout=10)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                record_event(actor=None, action="test.second", target=area)
            outcome["second"] = "committed"
        except DatabaseError as exc:
            outcome["second"] = exc
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert outcome["second"] == "committed"
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "test.first",
        "test.second",
    }


def test_an_event_verifies_as_the_database_returns_it():
    # JSON stores object keys as strings and arrays as lists: {2: ..., 10: ...} and (1, 2)
    # come back as {"10": ..., "2": ...} and [1, 2], and must still match the MAC.
    target = LocalArea.objects.create(name="A")
    event = record_event(
        actor=None, action="test.keys", target=target, changes={2: "b", 10: "a", "t": (1, 2)}
    )

    stored = AuditEvent.objects.get(pk=event.pk)

    assert stored.changes == {"2": "b", "10": "a", "t": [1, 2]}
    assert stored.mac == event_mac(stored, stored.key_id, chain_keys()[stored.key_id])
