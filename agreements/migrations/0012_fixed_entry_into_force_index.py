# The liaison page's milestones read the nearest dates of each kind; the fixed date of entry into
# force had no index, so that query scanned the whole table (126 ms at 100,000 agreements for no
# row, EXPLAIN ANALYZE). Partial: the date is set on few agreements. PostgreSQL only, like the
# other indexes created here by SQL (SQLite serves `make run`).
from django.db import migrations

INDEX = "agreement_fixed_entry_into_force"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON agreements_agreement (fixed_entry_into_force_date, id) "
            "WHERE fixed_entry_into_force_date IS NOT NULL"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0011_state_id_index"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
