"""Keyed events and seals in place of the locked hash chain.

- Events gain `key_id` and `mac` (an HMAC computed by the application; the key is not in the
  database) and `xid`, the writing transaction's id (a PostgreSQL column default; NULL on
  SQLite), which the sealer orders by.
- The insert trigger that linked every event under a lock on the single chain head is
  dropped, with the head table: inserts no longer wait on each other.
- `AuditSeal` links events into a keyed chain; append-only, like events.
- Events already written (the old chain) become history: one first seal covers them, its
  digest over their content digests, signed with the current key.

The old chain's columns go: a legacy event's leaf is recomputed from its content.
"""

import importlib

from django.db import migrations, models

import audit.db

_previous = importlib.import_module("audit.migrations.0003_append_only_chain")

POSTGRES_UNLINK = [
    "DROP TRIGGER IF EXISTS audit_event_link ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_link_event();",
]
# 0003's function and trigger that linked each event under the head's lock.
POSTGRES_RELINK = _previous.POSTGRES_FORWARD[2:4]
POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER audit_seal_append_only
        BEFORE UPDATE OR DELETE ON audit_auditseal
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
]
POSTGRES_REVERSE = ["DROP TRIGGER IF EXISTS audit_seal_append_only ON audit_auditseal;"]
SEAL_SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_seal_no_update BEFORE UPDATE ON audit_auditseal
    BEGIN SELECT RAISE(ABORT, 'audit seals are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_seal_no_delete BEFORE DELETE ON audit_auditseal
    BEGIN SELECT RAISE(ABORT, 'audit seals are append-only: DELETE refused'); END;
    """,
]
SEAL_SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_seal_no_update;",
    "DROP TRIGGER IF EXISTS audit_seal_no_delete;",
]
# Everything that refuses changes on SQLite, for audit/management/commands/flush.py.
SQLITE_FORWARD = [*_previous.SQLITE_FORWARD, *SEAL_SQLITE_FORWARD]
SQLITE_REVERSE = [*_previous.SQLITE_REVERSE, *SEAL_SQLITE_REVERSE]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


def seal_old_chain(apps, schema_editor):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from audit.chain import GENESIS, RunningDigest, legacy_content_digest, sign_seal

    events = apps.get_model("audit", "AuditEvent").objects.using(schema_editor.connection.alias)
    seals = apps.get_model("audit", "AuditSeal").objects.using(schema_editor.connection.alias)
    if seals.exists():
        return
    digest, first_id, last_id = RunningDigest(), None, None
    for event in events.order_by("id").iterator(chunk_size=5000):
        digest.add(legacy_content_digest(event))
        first_id = event.id if first_id is None else first_id
        last_id = event.id
    if first_id is None or last_id is None:
        return
    seal = seals.model(
        seq=1,
        prev_hash=GENESIS,
        basis="legacy",
        xid_from=None,
        xid_to=None,
        first_id=first_id,
        last_id=last_id,
        event_count=digest.count,
        total_count=digest.count,
        digest=digest.hexdigest(),
        sealed_at=timezone.now(),
    )
    sign_seal(seal)
    seal.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_chain")]

    operations = [
        # SQLite rebuilds the table for some of the changes below, and the rebuild's DROP
        # TABLE must not meet the DELETE trigger; the triggers come back at the end.
        migrations.RunPython(
            _run({"sqlite": _previous.SQLITE_REVERSE, "postgresql": POSTGRES_UNLINK}),
            _run({"sqlite": _previous.SQLITE_FORWARD, "postgresql": POSTGRES_RELINK}),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        # Added without a default first, so the rows already there keep NULL (legacy, sealed
        # by id) instead of taking this migration's transaction id.
        migrations.AddField(
            model_name="auditevent",
            name="xid",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="xid",
            field=models.BigIntegerField(
                blank=True,
                db_default=audit.db.CurrentTransactionId(),
                editable=False,
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True)),
                ("prev_hash", models.CharField(max_length=64)),
                (
                    "basis",
                    models.CharField(
                        choices=[
                            ("xid", "transaction ids (PostgreSQL)"),
                            ("id", "event ids (SQLite, one writer at a time)"),
                            ("legacy", "events from before keyed seals"),
                        ],
                        max_length=8,
                    ),
                ),
                ("xid_from", models.BigIntegerField(blank=True, null=True)),
                ("xid_to", models.BigIntegerField(blank=True, null=True)),
                ("first_id", models.BigIntegerField()),
                ("last_id", models.BigIntegerField()),
                ("event_count", models.BigIntegerField()),
                ("total_count", models.BigIntegerField()),
                ("digest", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.RunPython(seal_old_chain, migrations.RunPython.noop),
        migrations.RemoveField(model_name="auditevent", name="seq"),
        migrations.RemoveField(model_name="auditevent", name="prev_hash"),
        migrations.RemoveField(model_name="auditevent", name="content_hash"),
        migrations.RemoveField(model_name="auditevent", name="hash"),
        migrations.DeleteModel(name="AuditChainHead"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["xid", "id"], name="audit_event_xid_idx"),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
