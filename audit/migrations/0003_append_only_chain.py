"""Protect the audit trail in the database itself.

UPDATE and DELETE on audit events are refused by triggers on PostgreSQL and SQLite. On
PostgreSQL a BEFORE INSERT trigger also links each event into the hash chain under a row
lock on the chain head, so concurrent transactions cannot fork it. TRUNCATE is left to the
database owner (Django's test flush uses it); a truncated trail no longer matches an
exported chain head, which `verify_audit_trail --expect-head` detects.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER audit_event_append_only
        BEFORE UPDATE OR DELETE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
    """
    CREATE OR REPLACE FUNCTION audit_link_event() RETURNS trigger AS $$
    DECLARE
        head_seq bigint;
        head_hash varchar(64);
    BEGIN
        SELECT seq, hash INTO head_seq, head_hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
            -- The head row is gone only after a flush; concurrent first writers race here.
            INSERT INTO audit_auditchainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64))
                ON CONFLICT (id) DO NOTHING;
            SELECT seq, hash INTO head_seq, head_hash FROM audit_auditchainhead
                WHERE id = 1 FOR UPDATE;
        END IF;
        NEW.seq := head_seq + 1;
        NEW.prev_hash := head_hash;
        -- Mirrors audit.chain.link_digest.
        NEW.hash := encode(
            sha256(convert_to(NEW.seq::text || '|' || NEW.prev_hash || '|' || NEW.content_hash, 'UTF8')),
            'hex'
        );
        UPDATE audit_auditchainhead SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER audit_event_link
        BEFORE INSERT ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_link_event();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_link ON audit_auditevent;",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_link_event();",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


def create_head(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": "0" * 64}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_fields")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
