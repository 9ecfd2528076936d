"""Feedback from children and families on the referral and assessment process (statement 3.8;
issue 16), behind the area wall of cases 0010: a feedback row carries its case's area, as a case
does."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TABLE = "partnership_processfeedback"
POLICY = "area_wall"
PREDICATE = "(SELECT app_system_context()) OR area_id = ANY ((SELECT app_area_ids())::bigint[])"


def wall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY;"
            f"CREATE POLICY {POLICY} ON {TABLE} USING ({PREDICATE}) WITH CHECK ({PREDICATE})"
        )


def unwall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0002_drop_plaintext_api_tokens'),
        ('cases', '0012_repeat_referral_decisions'),
        ('partnership', '0003_figures_generation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProcessFeedback',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('given_by', models.CharField(choices=[('child', 'The child'), ('parent_carer', 'A parent or carer'), ('family', 'Another family member')], max_length=16)),
                ('aspect', models.CharField(choices=[('referral', 'Referral and the first response'), ('assessment', 'Assessment'), ('support', 'Support, planning and review'), ('overall', 'The process overall')], max_length=16)),
                ('feedback', models.TextField()),
                ('found_accessible', models.BooleanField(blank=True, null=True)),
                ('recorded_at', models.DateTimeField()),
                ('area', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agencies.localarea')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='process_feedback', to='cases.case')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-recorded_at', '-pk'],
                'indexes': [models.Index(fields=['given_by', 'case'], name='process_feedback_giver_idx')],
            },
        ),
        migrations.RunPython(wall, unwall),
    ]
