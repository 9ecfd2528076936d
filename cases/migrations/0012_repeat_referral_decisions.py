"""The front door's decision on a referral that joined an open case (issue 16), behind the
area wall of 0010: a decision row carries its case's area, as a case does."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "cases_repeatreferraldecision"
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
        ("agencies", "0002_drop_plaintext_api_tokens"),
        ("cases", "0011_list_indexes"),
        ("pathways", "0002_due_timer_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RepeatReferralDecision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_on", models.DateField()),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("no_change", "No change to the current route"),
                            ("step_up", "Step up"),
                        ],
                        max_length=16,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.localarea",
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="repeat_decisions",
                        to="cases.case",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "referral",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cases.referral",
                    ),
                ),
                (
                    "transition",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="pathways.transition",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("decided_at__isnull", True)),
                        fields=["area", "due_on"],
                        name="repeat_decision_open_idx",
                    ),
                    models.Index(fields=["case", "referral"], name="repeat_decision_case_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("referral", "case"), name="one_decision_per_joining"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("decided_at__isnull", True),
                                ("decided_by__isnull", True),
                                ("outcome", ""),
                            ),
                            models.Q(
                                ("decided_at__isnull", False),
                                ("decided_by__isnull", False),
                                models.Q(("outcome", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="repeat_decision_complete",
                    ),
                ],
            },
        ),
        migrations.RunPython(wall, unwall),
    ]
