"""The security log is append-only in the database itself, as the lifecycle trail and the access
log are (workflow migration 0002), not only by the application role's grants.

PostgreSQL: a row trigger refuses UPDATE and DELETE; a statement trigger refuses TRUNCATE unless
the session sets ``icp.audit_truncate = 'allow'`` (only the test settings do, so the test runner
can empty its database between transactional tests). SQLite (``make run``): triggers refuse
UPDATE and DELETE. On both, the one UPDATE allowed is ``user_id`` becoming NULL when the user is
deleted (``on_delete=SET_NULL``); nothing else about an event changes.

Pruning old events (after exporting them, per the records schedule) is the owner's job: in one
transaction, ``ALTER TABLE security_securityevent DISABLE TRIGGER security_securityevent_append_only``,
the DELETE, then ``ENABLE TRIGGER`` (docs/security.md).

Reversing removes both triggers and the function. A later migration that rebuilds the table on
SQLite must install the triggers again (``reinstall_sqlite``).
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION icp_security_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF coalesce(current_setting('icp.audit_truncate', true), '') = 'allow' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.user_id IS NULL AND (to_jsonb(NEW) - 'user_id') = (to_jsonb(OLD) - 'user_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER security_securityevent_append_only
    BEFORE UPDATE OR DELETE ON security_securityevent
    FOR EACH ROW EXECUTE FUNCTION icp_security_event_append_only();
CREATE TRIGGER security_securityevent_no_truncate
    BEFORE TRUNCATE ON security_securityevent
    FOR EACH STATEMENT EXECUTE FUNCTION icp_security_event_append_only();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS security_securityevent_no_truncate ON security_securityevent;
DROP TRIGGER IF EXISTS security_securityevent_append_only ON security_securityevent;
DROP FUNCTION IF EXISTS icp_security_event_append_only();
"""

UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "at",
        "kind",
        "outcome",
        "username",
        "client_address",
        "request_id",
        "method",
        "path",
        "target",
        "detail",
    )
)

SQLITE_FORWARD = [
    f"""CREATE TRIGGER security_securityevent_no_update BEFORE UPDATE ON security_securityevent
    WHEN NOT (NEW.user_id IS NULL AND {UNCHANGED})
    BEGIN SELECT RAISE(ABORT, 'security_securityevent is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER security_securityevent_no_delete BEFORE DELETE ON security_securityevent
    BEGIN SELECT RAISE(ABORT, 'security_securityevent is append-only: DELETE refused'); END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS security_securityevent_no_delete",
    "DROP TRIGGER IF EXISTS security_securityevent_no_update",
]


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor) -> None:
    """Make the security log append-only (PostgreSQL and SQLite; no other database is supported)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_FORWARD])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def remove(apps, schema_editor) -> None:
    """Drop the triggers (and on PostgreSQL the function) that ``install`` created."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_REVERSE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)


def reinstall_sqlite(apps, schema_editor) -> None:
    """For a later migration that rebuilt the table on SQLite: the triggers again, once each."""
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)
        _run(schema_editor, SQLITE_FORWARD)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
