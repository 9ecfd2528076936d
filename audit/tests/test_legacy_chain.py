"""Events of the old unkeyed hash chain become history under one first seal."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent, AuditSeal, SealBasis
from audit.sealing import seal_pending_events
from audit.verification import verify_trail

from .conftest import execute, write_events

pytestmark = pytest.mark.django_db(transaction=True)
_migration = importlib.import_module("audit.migrations.0004_keyed_seals")


class _SchemaEditor:
    connection = connection


def _old_chain(n: int) -> list[AuditEvent]:
    # As 0003 wrote them: no key, no MAC, no transaction id.
    return [
        AuditEvent.objects.create(
            occurred_at=timezone.now(),
            action="case.read",
            object_type="cases.case",
            object_id=str(i),
            xid=None,
        )
        for i in range(n)
    ]


def test_the_old_chain_is_sealed_first_and_the_trail_verifies():
    old = _old_chain(3)
    _migration.seal_old_chain(apps, _SchemaEditor())
    write_events(2)
    seal_pending_events()

    seals = list(AuditSeal.objects.order_by("seq"))
    assert [(s.basis, s.event_count) for s in seals] == [
        (SealBasis.LEGACY, 3),
        (SealBasis.XID if connection.vendor == "postgresql" else SealBasis.ID, 2),
    ]
    assert (seals[0].first_id, seals[0].last_id) == (old[0].pk, old[-1].pk)
    assert verify_trail(check_anchor=False).problems == []


def test_an_edited_old_event_breaks_the_first_seal(as_table_owner):
    old = _old_chain(3)
    _migration.seal_old_chain(apps, _SchemaEditor())
    execute("UPDATE audit_auditevent SET object_id = '99' WHERE id = %s", [old[1].pk])

    problems = verify_trail(check_anchor=False).problems

    assert any("seal 1 (" in p and "no longer match its digest" in p for p in problems), problems


def test_migrating_a_trail_of_the_old_chain_seals_it_as_history():
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("audit", "0003_append_only_chain")], [("audit", "0004_keyed_seals")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        # Rows as the old chain wrote them (its columns; on PostgreSQL its trigger links them).
        for i in range(3):
            execute(
                "INSERT INTO audit_auditevent (occurred_at, actor_role, action, object_type, "
                "object_id, changes, reason, request_id, seq, prev_hash, content_hash, hash) "
                "VALUES (%s, '', 'case.read', 'cases.case', %s, '{}', '', '', %s, '', '', '')",
                [timezone.now(), str(i), i + 1],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

    old = list(AuditEvent.objects.order_by("id"))
    assert [(e.key_id, e.xid) for e in old] == [("", None)] * 3
    write_events(2)
    seal_pending_events()
    seals = list(AuditSeal.objects.order_by("seq"))
    assert (seals[0].basis, seals[0].event_count) == (SealBasis.LEGACY, 3)
    assert seals[-1].total_count == 5
    assert verify_trail(check_anchor=False).problems == []
