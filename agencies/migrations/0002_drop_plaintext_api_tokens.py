from django.db import migrations


class Migration(migrations.Migration):
    """DRF's authtoken kept every API token in clear; its app is gone (django-rest-knox keeps
    digests), so a database upgraded from it must not keep the old table and its secrets."""

    dependencies = [("agencies", "0001_initial")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]
