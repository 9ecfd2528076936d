from django.db import migrations, models


def copy_expiry(apps, schema_editor):
    """Existing guardian rows take the latest expiry of the person's grants in force; rows with
    no grant in force go (they would have said yes for ever)."""
    Row = apps.get_model("cases", "CaseUserObjectPermission")
    AccessGrant = apps.get_model("cases", "AccessGrant")
    from django.utils import timezone

    now = timezone.now()
    for row in Row.objects.all():
        expiries = list(
            AccessGrant.objects.filter(
                user_id=row.user_id, case_id=row.content_object_id, revoked_at__isnull=True
            )
            .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
            .values_list("expires_at", flat=True)
        )
        if not expiries:
            row.delete()
        else:
            row.expires_at = None if None in expiries else max(expiries)
            row.save(update_fields=["expires_at"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_row_level_security")]

    operations = [
        migrations.AddField(
            model_name="caseuserobjectpermission",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(copy_expiry, migrations.RunPython.noop),
    ]
