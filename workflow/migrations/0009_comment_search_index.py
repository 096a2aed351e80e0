"""A GIN index for searching the comments of the audit trail (workflow/search.py), on exactly
the tsvector expression its query uses. PostgreSQL only."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        expression = "to_tsvector('english'::regconfig, coalesce(comment, ''))"
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS transitionlog_comment_fts ON workflow_transitionlog USING gin (({expression}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS transitionlog_comment_fts")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0008_import_batch")]

    operations = [migrations.RunPython(create, drop)]
