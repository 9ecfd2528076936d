"""The audit trail is append-only in the database and hash-chained, so tampering shows."""

import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from agencies.models import LocalArea
from audit.chain import verify_chain
from audit.models import AuditChainHead, AuditEvent
from audit.services import record_event

pytestmark = pytest.mark.django_db


def _events(n, actor=None):
    target = LocalArea.objects.create(name=f"Area {LocalArea.objects.count()}")
    return [
        record_event(actor=actor, action="test.event", target=target, changes={"i": i})
        for i in range(n)
    ]


def _verify():
    head = AuditChainHead.objects.get(pk=1)
    return verify_chain(AuditEvent.objects.order_by("seq", "id"), head=(head.seq, head.hash))


def _disable_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As a superuser would; deferred foreign-key checks must run first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_events_are_linked_into_one_unbroken_chain(make_user):
    _events(5, actor=make_user())

    checked, problems = _verify()

    assert checked >= 5
    assert problems == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_updating_an_event_is_refused_by_the_database():
    event = _events(1)[0]

    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_deleting_an_event_is_refused_by_the_database():
    event = _events(1)[0]

    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_an_event_edited_with_the_trigger_disabled_is_reported():
    events = _events(4)
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = 'nothing happened' WHERE id = %s", [events[2].pk]
        )

    _, problems = _verify()

    assert [p.seq for p in problems] == [
        events[2].refresh_from_db() or AuditEvent.objects.get(pk=events[2].pk).seq
    ]
    assert "was edited" in problems[0].message
    with pytest.raises(CommandError):
        call_command("verify_audit_trail")


def test_a_deleted_event_is_reported_as_missing():
    events = _events(4)
    seq = AuditEvent.objects.get(pk=events[1].pk).seq
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    _, problems = _verify()

    assert any(p.seq == seq and "missing" in p.message for p in problems)


def test_an_inserted_event_is_reported():
    events = _events(3)
    last = AuditEvent.objects.get(pk=events[-1].pk)
    _disable_triggers()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_role, action, object_type, "
            "object_id, changes, reason, request_id, seq, prev_hash, content_hash, hash) "
            "VALUES (%s, '', 'case.read', 'cases.case', '1', '{}', '', '', %s, %s, %s, %s)",
            [last.occurred_at, last.seq + 1, last.hash, "f" * 64, "e" * 64],
        )

    _, problems = _verify()

    assert any(p.seq == last.seq + 1 and "edited" in p.message for p in problems)


def test_the_exported_head_must_still_be_in_the_chain(capsys):
    _events(2)
    call_command("export_audit_head")
    exported = capsys.readouterr().out

    head = json.loads(exported)["expect_head"]
    call_command("verify_audit_trail", expect_head=head)

    with pytest.raises(CommandError):
        call_command("verify_audit_trail", expect_head="1:" + "a" * 64)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    area = LocalArea.objects.create(name="Concurrent")
    errors = []

    def write(n):
        try:
            for i in range(n):
                with transaction.atomic():
                    record_event(
                        actor=None, action="test.concurrent", target=area, changes={"i": i}
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    checked, problems = _verify()
    assert problems == []
    assert checked == AuditEvent.objects.count() >= 100
