"""The audit tables (the lifecycle trail and the liaison access log) are append-only on every
database the project runs on, enforced by the database itself.

PostgreSQL: row triggers refuse UPDATE and DELETE; a statement trigger refuses TRUNCATE unless the
session sets ``icp.audit_truncate = 'allow'``, which only the test settings do (the test runner
empties its database between transactional tests with TRUNCATE). SQLite (``make run``): triggers
refuse UPDATE and DELETE. On both, the one UPDATE allowed is the access log's ``document_id``
becoming NULL when its document is deleted (``on_delete=SET_NULL``); nothing else changes.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION icp_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF coalesce(current_setting('icp.audit_truncate', true), '') = 'allow' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'workflow_accesslog' THEN
        IF (to_jsonb(NEW) ->> 'document_id') IS NULL
            AND (to_jsonb(NEW) - 'document_id') = (to_jsonb(OLD) - 'document_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS workflow_transitionlog_append_only ON workflow_transitionlog;
DROP TRIGGER IF EXISTS workflow_transitionlog_no_truncate ON workflow_transitionlog;
CREATE TRIGGER workflow_transitionlog_append_only
    BEFORE UPDATE OR DELETE ON workflow_transitionlog
    FOR EACH ROW EXECUTE FUNCTION icp_audit_append_only();
CREATE TRIGGER workflow_transitionlog_no_truncate
    BEFORE TRUNCATE ON workflow_transitionlog
    FOR EACH STATEMENT EXECUTE FUNCTION icp_audit_append_only();

CREATE TRIGGER workflow_accesslog_append_only
    BEFORE UPDATE OR DELETE ON workflow_accesslog
    FOR EACH ROW EXECUTE FUNCTION icp_audit_append_only();
CREATE TRIGGER workflow_accesslog_no_truncate
    BEFORE TRUNCATE ON workflow_accesslog
    FOR EACH STATEMENT EXECUTE FUNCTION icp_audit_append_only();

DROP FUNCTION IF EXISTS workflow_transitionlog_append_only();
"""

# Back to the state after 0003: UPDATE and DELETE refused on the trail only, TRUNCATE allowed.
POSTGRESQL_REVERSE = """
CREATE OR REPLACE FUNCTION workflow_transitionlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_transitionlog is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS workflow_accesslog_no_truncate ON workflow_accesslog;
DROP TRIGGER IF EXISTS workflow_accesslog_append_only ON workflow_accesslog;
DROP TRIGGER IF EXISTS workflow_transitionlog_no_truncate ON workflow_transitionlog;
DROP TRIGGER IF EXISTS workflow_transitionlog_append_only ON workflow_transitionlog;
CREATE TRIGGER workflow_transitionlog_append_only
    BEFORE UPDATE OR DELETE ON workflow_transitionlog
    FOR EACH ROW EXECUTE FUNCTION workflow_transitionlog_append_only();
DROP FUNCTION IF EXISTS icp_audit_append_only();
"""

ACCESSLOG_UNCHANGED = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in (
        "id",
        "user_id",
        "agreement_id",
        "method",
        "path",
        "status_code",
        "timestamp",
        "request_id",
        "client_address",
    )
)

SQLITE_FORWARD = [
    """CREATE TRIGGER workflow_transitionlog_no_update BEFORE UPDATE ON workflow_transitionlog
    BEGIN SELECT RAISE(ABORT, 'workflow_transitionlog is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER workflow_transitionlog_no_delete BEFORE DELETE ON workflow_transitionlog
    BEGIN SELECT RAISE(ABORT, 'workflow_transitionlog is append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER workflow_accesslog_no_update BEFORE UPDATE ON workflow_accesslog
    WHEN NOT (NEW.document_id IS NULL AND {ACCESSLOG_UNCHANGED})
    BEGIN SELECT RAISE(ABORT, 'workflow_accesslog is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER workflow_accesslog_no_delete BEFORE DELETE ON workflow_accesslog
    BEGIN SELECT RAISE(ABORT, 'workflow_accesslog is append-only: DELETE refused'); END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS workflow_accesslog_no_delete",
    "DROP TRIGGER IF EXISTS workflow_accesslog_no_update",
    "DROP TRIGGER IF EXISTS workflow_transitionlog_no_delete",
    "DROP TRIGGER IF EXISTS workflow_transitionlog_no_update",
]


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_FORWARD])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_REVERSE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_transitionlog_state_signed")]

    operations = [migrations.RunPython(forward, reverse)]
