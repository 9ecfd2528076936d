"""The flow moved from pathways/flows.py to cases/process/flow.py (issue 14).

viewflow stores the flow class and each task's node as a string, `<app label>/<module path
inside the app>.<class>[.<node>]` (`viewflow.workflow.fields.get_flow_ref`, `get_task_ref`),
in `viewflow_process.flow_class` and `viewflow_task.flow_task`. Rows written before the move
name `pathways/flows.PathwayFlow`, which no longer imports: their cases would not load their
flow, and their deadline timers would be skipped as orphans. This rewrites them to the new
name, and back on reverse. Our own tables hold no such reference (a case is the process row).
"""

from django.db import migrations

OLD = "pathways/flows.PathwayFlow"
NEW = "cases/process.flow.PathwayFlow"


def _rewrite(old: str, new: str) -> list[str]:
    # `||` and substr() read the same on PostgreSQL and SQLite; `old` has no LIKE wildcard.
    return [
        f"UPDATE viewflow_process SET flow_class = '{new}' WHERE flow_class = '{old}'",
        f"UPDATE viewflow_task SET flow_task = '{new}' || substr(flow_task, {len(old) + 1}) "
        f"WHERE flow_task LIKE '{old}.%'",
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_caseuserobjectpermission_expires_at"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(sql=_rewrite(OLD, NEW), reverse_sql=_rewrite(NEW, OLD)),
    ]
