"""A partial index of the timers still waiting to fire, on viewflow's task table.

The worker's claim and `timer_lag` ask for the oldest SCHEDULED TIMER task due by now.
viewflow indexes `scheduled` and `status` separately; with the table grown by years of
finished deadlines, PostgreSQL walks the `scheduled` index from the oldest row and filters
out every finished timer: 48 ms per query at 200,000 rows, paid once per fired timer
(`./scripts/bench_timers`). This index holds only the waiting timers, about one per open
case, in firing order: the same queries take one index probe.

Created here, not in viewflow's app (whose migrations we do not change). Built
CONCURRENTLY on PostgreSQL so a deployment's `migrate` does not block writes to the task
table while it scans it; an invalid index left by an interrupted build is dropped and built
again.
"""

from django.db import migrations

INDEX = "pathways_due_timer_idx"
TABLE = "viewflow_task"
COLUMNS_AND_PREDICATE = "(scheduled, id) WHERE flow_task_type = 'TIMER' AND status = 'SCHEDULED'"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        # SQLite (the demo) has partial indexes too, and nothing to run concurrently with.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} {COLUMNS_AND_PREDICATE}"
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [INDEX],
        )
        row = cursor.fetchone()
        if row is not None and not row[0]:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON {TABLE} {COLUMNS_AND_PREDICATE}"
        )


def drop_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("pathways", "0001_initial"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
