"""TRUNCATE is how ``manage.py flush`` (and the test runner) empties a database: it stays allowed.
Row-level UPDATE and DELETE on the audit trail remain refused."""

from django.db import migrations


def drop_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS workflow_transitionlog_no_truncate ON workflow_transitionlog", params=None
        )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_transitionlog_append_only_trigger")]

    operations = [migrations.RunPython(drop_truncate_trigger, migrations.RunPython.noop)]
