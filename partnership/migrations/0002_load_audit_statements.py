"""Load the framework's audit statements from partnership/data/audit-statements.yaml (refresh
them with `manage.py load_audit_statements`)."""

from django.db import migrations


def load(apps, schema_editor):
    from partnership.statements import load_statements

    load_statements(
        apps.get_model("partnership", "Domain"), apps.get_model("partnership", "Statement")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
