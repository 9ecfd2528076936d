"""Load the tool catalogue from assessments/data/tools.yaml (refresh it with
`manage.py load_assessment_tools`)."""

from django.db import migrations


def load(apps, schema_editor):
    from assessments.catalogue import load_tools

    load_tools(apps.get_model("assessments", "AssessmentTool"))


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0003_assessment_lifecycle_and_tools"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
