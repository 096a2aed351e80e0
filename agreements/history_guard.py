"""The field history (django-simple-history's ``agreements_historical*`` tables) is append-only in
the database, as the lifecycle trail, the access log and the security log are: it is the record of
who changed which field of an agreement, its participants, contributions, loan items, documents,
DDL decision and SSOI, and when.

PostgreSQL: a row trigger refuses UPDATE and DELETE; a statement trigger refuses TRUNCATE unless
the session sets ``icp.audit_truncate = 'allow'`` (only the test settings do). SQLite (``make
run``): triggers refuse UPDATE and DELETE. On both, the one UPDATE allowed is ``history_user_id``
becoming NULL when that user is deleted (``on_delete=SET_NULL``).

Installed by agreements migration 0016. On SQLite a later migration that changes one of the
models rebuilds its history table (copy, drop, rename) and so drops the table's triggers:
``ensure_sqlite_triggers`` runs after every ``migrate`` (``post_migrate``) and puts back any that
are missing, so a schema change can never leave the history open.
"""

from __future__ import annotations

from typing import Any

from icp_portal.security.checks import HISTORY_TABLES

__all__ = ["HISTORY_TABLES", "ensure_sqlite_triggers", "install", "remove"]

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION icp_history_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF coalesce(current_setting('icp.audit_truncate', true), '') = 'allow' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.history_user_id IS NULL
           AND (to_jsonb(NEW) - 'history_user_id') = (to_jsonb(OLD) - 'history_user_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def _postgresql_forward(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION icp_history_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION icp_history_append_only();
"""


def _postgresql_reverse(table: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}; DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    )


def _sqlite_forward(table: str, columns: list[str]) -> list[str]:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns if c != "history_user_id")
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
        WHEN NOT (NEW.history_user_id IS NULL AND {unchanged})
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END""",
    ]


def _sqlite_columns(cursor: Any, table: str) -> list[str]:
    cursor.execute(f"PRAGMA table_info({table})")
    return [row[1] for row in cursor.fetchall()]


def install(apps: Any, schema_editor: Any) -> None:
    """Make every history table append-only (PostgreSQL and SQLite)."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FUNCTION, params=None)
        for table in HISTORY_TABLES:
            schema_editor.execute(_postgresql_forward(table), params=None)
    elif connection.vendor == "sqlite":
        ensure_sqlite_triggers(connection)


def remove(apps: Any, schema_editor: Any) -> None:
    """Drop what ``install`` created."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for table in HISTORY_TABLES:
            schema_editor.execute(_postgresql_reverse(table), params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS icp_history_append_only()", params=None)
    elif connection.vendor == "sqlite":
        for table in HISTORY_TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update", params=None)
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete", params=None)


def ensure_sqlite_triggers(connection: Any) -> None:
    """Create the SQLite triggers that are missing (the columns are read from the table as it is
    now, so a rebuilt table gets a trigger that knows its new columns)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in cursor.fetchall()}
        for table in HISTORY_TABLES:
            if table not in tables:
                continue  # before migration 0016 ran, or after it was reversed
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name LIKE %s",
                [table, f"{table}_no_%"],
            )
            if cursor.fetchone()[0] == 2:
                continue
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            for statement in _sqlite_forward(table, _sqlite_columns(cursor, table)):
                cursor.execute(statement)
