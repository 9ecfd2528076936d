"""Denormalised area columns on children, referrals and cases, for row-level security.

Added nullable, backfilled from the existing joins, then made required.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill_areas(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Child = apps.get_model("cases", "Child")
    Referral = apps.get_model("cases", "Referral")
    PathwayVersion = apps.get_model("pathways", "PathwayVersion")
    Agency = apps.get_model("agencies", "Agency")
    User = apps.get_model("agencies", "User")

    def agency_area(column):
        return Subquery(Agency.objects.filter(pk=OuterRef(column)).values("area_id")[:1])

    def user_area(column):
        return Subquery(User.objects.filter(pk=OuterRef(column)).values("agency__area_id")[:1])

    # A case belongs to its pathway's area.
    Case.objects.filter(area__isnull=True).update(
        area_id=Subquery(
            PathwayVersion.objects.filter(pk=OuterRef("pathway_version_id")).values(
                "pathway__area_id"
            )[:1]
        )
    )
    # A referral: its referring agency's area, else its recorder's or referrer's, else its
    # cases' area.
    first_case_area = Subquery(
        Case.objects.filter(referral_id=OuterRef("pk")).order_by("pk").values("area_id")[:1]
    )
    Referral.objects.filter(area__isnull=True).update(
        area_id=Coalesce(
            agency_area("referring_agency_id"),
            user_area("recorded_by_id"),
            user_area("referrer_id"),
            first_case_area,
        )
    )
    # A child: the area of their latest case, else their school's, else a referral's.
    latest_case_area = Subquery(
        Case.objects.filter(child_id=OuterRef("pk")).order_by("-pk").values("area_id")[:1]
    )
    referral_area = Subquery(
        Referral.objects.filter(children__child_id=OuterRef("pk"))
        .order_by("-pk")
        .values("area_id")[:1]
    )
    Child.objects.filter(area__isnull=True).update(
        area_id=Coalesce(latest_case_area, agency_area("school_id"), referral_area)
    )
    for model in (Case, Referral, Child):
        left = model.objects.filter(area__isnull=True).count()
        if left:
            raise RuntimeError(
                f"{left} {model._meta.verbose_name_plural} have no area to derive; set "
                f"{model._meta.db_table}.area_id by hand, then migrate again."
            )


def _area(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="agencies.localarea",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0001_initial"),
        ("pathways", "0001_initial"),
        ("cases", "0005_access_grants_and_break_glass"),
    ]

    operations = [
        migrations.AddField(model_name="case", name="area", field=_area(True)),
        migrations.AddField(model_name="child", name="area", field=_area(True)),
        migrations.AddField(model_name="referral", name="area", field=_area(True)),
        migrations.RunPython(backfill_areas, migrations.RunPython.noop),
        migrations.AlterField(model_name="case", name="area", field=_area(False)),
        migrations.AlterField(model_name="child", name="area", field=_area(False)),
        migrations.AlterField(model_name="referral", name="area", field=_area(False)),
    ]
