"""The field-history tables become append-only (agreements/history_guard.py says how and why)."""

from django.db import migrations

from agreements.history_guard import install, remove


class Migration(migrations.Migration):
    dependencies = [("agreements", "0015_concluded_releasable_index")]

    operations = [migrations.RunPython(install, remove)]
