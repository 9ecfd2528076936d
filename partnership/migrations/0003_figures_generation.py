"""The data generation the dashboard's cache is keyed by (partnership/figures/cache.py): a
sequence, advanced after each committed write. PostgreSQL only; elsewhere nothing is cached.
The serving role gets USAGE on it with every other sequence (agencies/db_context.py)."""

from django.db import migrations

SEQUENCE = "partnership_figures_generation"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("partnership", "0002_load_audit_statements"),
    ]

    operations = [migrations.RunPython(create, drop)]
