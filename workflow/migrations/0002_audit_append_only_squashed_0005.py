"""The audit tables (the lifecycle trail and the liaison access log) are append-only on every
database the project runs on, enforced by the database itself.

PostgreSQL: row triggers refuse UPDATE and DELETE; a statement trigger refuses TRUNCATE unless the
session sets ``icp.audit_truncate = 'allow'``, which only the test settings do (the test runner
empties its database between transactional tests with TRUNCATE). SQLite (``make run``): triggers
refuse UPDATE and DELETE. On both, the one UPDATE allowed is the access log's ``document_id``
becoming NULL when its document is deleted (``on_delete=SET_NULL``); nothing else changes.

Reversing removes every trigger and the function, back to the tables of ``0001_initial``.

This migration replaces 0002..0005 of the first development databases (a trail-only trigger, a
migration dropping its TRUNCATE half, the trail's ``signed`` state choice, and the triggers of
every audit table): a database that applied them all records this one as applied, unchanged.

SQLite cannot alter most columns in place: Django copies the table into a new one and drops the
old one, and the triggers go with it. A later migration that rebuilds ``workflow_transitionlog``
or ``workflow_accesslog`` that way must install the triggers again after the rebuild::

    triggers = importlib.import_module("workflow.migrations.0002_audit_append_only_squashed_0005")
    operations = [..., migrations.RunPython(triggers.reinstall_sqlite, migrations.RunPython.noop)]

(``tests/workflow/test_audit_sqlite.py`` migrates a fresh SQLite database to the latest migration
and fails when a trigger is missing.)
"""

from django.db import migrations, models

STATE_CHOICES = [
    ("proposal", "Proposal"),
    ("ssoi_drafting", "SSOI drafting"),
    ("rad_review", "RAD review"),
    ("negotiation", "Negotiation"),
    ("rfa_review", "RFA review"),
    ("congressional_wait", "Congressional wait"),
    ("approved", "Approved to conclude"),
    ("signing", "Signing"),
    ("signed", "Signed, awaiting entry into force"),
    ("in_force", "In force"),
    ("expired", "Expired"),
    ("terminated", "Terminated"),
    ("withdrawn", "Withdrawn"),
    ("disapproved", "Disapproved"),
]

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
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS workflow_accesslog_no_truncate ON workflow_accesslog;
DROP TRIGGER IF EXISTS workflow_accesslog_append_only ON workflow_accesslog;
DROP TRIGGER IF EXISTS workflow_transitionlog_no_truncate ON workflow_transitionlog;
DROP TRIGGER IF EXISTS workflow_transitionlog_append_only ON workflow_transitionlog;
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


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor) -> None:
    """Make the audit tables append-only (PostgreSQL and SQLite; other databases are not supported)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_FORWARD])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def remove(apps, schema_editor) -> None:
    """Drop every trigger (and on PostgreSQL the function) that ``install`` created."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_REVERSE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)


def reinstall_sqlite(apps, schema_editor) -> None:
    """For a later migration that rebuilt an audit table on SQLite: the triggers again, once each."""
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)
        _run(schema_editor, SQLITE_FORWARD)


class Migration(migrations.Migration):
    replaces = [
        ("workflow", "0002_transitionlog_append_only_trigger"),
        ("workflow", "0003_allow_truncate_for_flush"),
        ("workflow", "0004_transitionlog_state_signed"),
        ("workflow", "0005_audit_append_only_every_database"),
    ]

    dependencies = [("workflow", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="transitionlog",
            name="source",
            field=models.CharField(blank=True, choices=STATE_CHOICES, max_length=30),
        ),
        migrations.AlterField(
            model_name="transitionlog",
            name="target",
            field=models.CharField(blank=True, choices=STATE_CHOICES, max_length=30),
        ),
        migrations.RunPython(install, remove),
    ]
