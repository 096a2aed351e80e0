from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import connections
from django.db.models.signals import post_migrate


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Agreements"

    def ready(self) -> None:
        checks.register(partner_status_mapping_check)
        post_migrate.connect(history_triggers_restore, sender=self, dispatch_uid="agreements.history_triggers")


def history_triggers_restore(using: str = "default", **kwargs: Any) -> None:
    """After every ``migrate`` on SQLite, put back the field-history triggers that a table rebuild
    dropped (only while migration 0016, which installs them, is applied)."""
    from django.db.migrations.recorder import MigrationRecorder

    from .history_guard import ensure_sqlite_triggers

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    recorder = MigrationRecorder(connection)
    if (
        recorder.has_table()
        and recorder.migration_qs.filter(app="agreements", name="0016_history_append_only").exists()
    ):
        ensure_sqlite_triggers(connection)


def partner_status_mapping_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check`` fails when a lifecycle state has no partner-facing status."""
    from .choices import State
    from .partner_status import check_mapping

    return [
        checks.Error(
            f"The state {state!r} has no partner-facing status.",
            hint="Add it to agreements.partner_status.PARTNER_STATUS_OF_STATE.",
            id="agreements.E001",
        )
        for state in check_mapping(State.values)
    ]
