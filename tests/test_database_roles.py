"""The serving role owns nothing (agencies/db_context.py), on PostgreSQL.

scripts/run_tests.py creates `hsb_app` in the throwaway cluster; `migrate` (as the owner, for
the test database) grants it its rights. Each test acts as it with `SET ROLE` inside a
savepoint, so a refused statement rolls back the role change with it.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from agencies.db_context import grant_serving_role
from agencies.models import LocalArea
from agencies.tests.factories import LocalAreaFactory
from audit.models import AuditEvent
from audit.services import record_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SERVING_ROLE = "hsb_app"
PRIVILEGES_SQL = (
    "SELECT tablename, tableowner, "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'SELECT'), "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'INSERT'), "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'UPDATE'), "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'DELETE'), "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'TRUNCATE'), "
    "has_table_privilege(%(role)s, quote_ident(tablename), 'TRIGGER') "
    "FROM pg_tables WHERE schemaname = current_schema()"
)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")


@pytest.fixture
def area() -> LocalArea:
    return LocalAreaFactory(name="Grantshire")


@pytest.fixture
def event(area) -> AuditEvent:
    return record_event(actor=None, action="test.invented", target=area)


def as_serving_role(sql: str, params: list | None = None) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {SERVING_ROLE}")
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("RESET ROLE")
    return rows


def refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as error:
        as_serving_role(sql, params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user <> %s", [SERVING_ROLE])
        assert cursor.fetchone()[0], "the refused statement's savepoint took the role back"
    return str(error.value)


def test_the_serving_role_exists_and_is_not_a_superuser_or_owner() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = %s",
            [SERVING_ROLE],
        )
        assert cursor.fetchone() == (False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s",
            [SERVING_ROLE],
        )
        assert cursor.fetchone()[0] == 0


def test_the_serving_role_may_read_and_append_audit_events(area, event) -> None:
    assert as_serving_role("SELECT id FROM audit_auditevent WHERE id = %s", [event.pk]) == [
        (event.pk,)
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {SERVING_ROLE}")
        record_event(actor=None, action="test.appended", target=area)
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(action="test.appended").exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'rewritten'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_serving_role_cannot_rewrite_or_delete_audit_events(event, statement) -> None:
    assert "permission denied" in refused(statement)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.invented"


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
        "ALTER TABLE audit_auditevent ADD COLUMN forged text",
        "DROP TABLE audit_auditevent",
        "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    ],
)
def test_the_serving_role_cannot_truncate_alter_or_drop_the_audit_table(event, statement) -> None:
    message = refused(statement)
    assert "permission denied" in message or "must be owner" in message, message
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_every_audit_trigger_survives_a_drop_attempt() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
            "AND NOT tgisinternal"
        )
        triggers = [row[0] for row in cursor.fetchall()]
    assert triggers, "the audit table has its append-only triggers"
    for name in triggers:
        message = refused(f'DROP TRIGGER "{name}" ON audit_auditevent')
        assert "must be owner" in message, message


def test_the_serving_role_may_write_ordinary_tables_but_not_truncate_them(area) -> None:
    as_serving_role("UPDATE agencies_localarea SET name = 'Grantshire' WHERE id = %s", [area.pk])
    assert "permission denied" in refused("TRUNCATE agencies_localarea CASCADE")
    assert "must be owner" in refused("ALTER TABLE agencies_localarea ADD COLUMN forged text")
    # Recording a migration is the owner's.
    assert "permission denied" in refused("DELETE FROM django_migrations")


def test_grants_are_skipped_for_a_role_that_does_not_exist() -> None:
    assert grant_serving_role(role="no_such_role_here") is False
    assert grant_serving_role() is True


def test_privileges_table_by_table() -> None:
    """Every audit table (events and seals): INSERT and SELECT only; every other table: no
    TRUNCATE, TRIGGER or REFERENCES; none owned."""
    with connection.cursor() as cursor:
        cursor.execute(PRIVILEGES_SQL, {"role": SERVING_ROLE})
        rows = cursor.fetchall()
    audit_tables = {row[0] for row in rows if row[0].startswith("audit_")}
    assert {"audit_auditevent", "audit_auditseal"} <= audit_tables
    for table, owner, select, insert, update, delete, truncate, trigger in rows:
        assert owner != SERVING_ROLE, table
        assert not truncate and not trigger, table
        if table in audit_tables:
            assert (select, insert, update, delete) == (True, True, False, False), table
        elif table != "django_migrations":
            assert (select, insert, update, delete) == (True, True, True, True), table


def test_the_app_connection_never_jit_compiles() -> None:
    # config/settings/base.py asks for it per connection; the serving role inherits it after
    # SET ROLE, so case lists and counts are planned without JIT's compile cost.
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE hsb_app")
        try:
            cursor.execute("SHOW jit")
            (jit,) = cursor.fetchone()
        finally:
            cursor.execute("RESET ROLE")
    assert jit == "off"
