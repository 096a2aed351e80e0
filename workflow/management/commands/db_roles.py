"""Set up the PostgreSQL roles the portal runs with, so the audit trail is append-only for the
application itself, not only by convention:

- the **owner** (the role this command and ``migrate`` connect as) owns every table;
- the **application role** (``--app-role``, the role in the web, worker and beat DATABASE_URL)
  may read and write the portal's tables, but on the audit tables (the lifecycle trail
  ``workflow_transitionlog``, the liaison access log ``workflow_accesslog``, the security log
  ``security_securityevent`` and the field history ``agreements_historical*``) it may only SELECT
  and INSERT (plus, on the access log, set ``document_id`` when a document is deleted, and on the
  security log and the field history the user column when a user is deleted): no UPDATE, DELETE
  or TRUNCATE, and, not being the owner, it cannot ALTER the tables or disable their triggers.

Run it after every ``migrate`` (it is idempotent; tables added later get the grants through
ALTER DEFAULT PRIVILEGES, and the audit trail's restriction is re-applied). ``--check`` only
verifies and exits non-zero when the application role could change the audit trail."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from icp_portal.security.checks import AUDIT_TABLES, HISTORY_TABLES

FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE")
# The only changes the application makes to an audit row: the access log's document_id, the
# security log's user_id and the field history's history_user_id become NULL when their row is
# deleted (on_delete=SET_NULL). Granted on those columns only.
COLUMN_UPDATES = {
    "workflow_accesslog": ("document_id",),
    "security_securityevent": ("user_id",),
    **{table: ("history_user_id",) for table in HISTORY_TABLES},
}


def role_can(role: str, table: str, privilege: str) -> bool:
    """Whether database role ``role`` holds ``privilege`` on ``table``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return bool(cursor.fetchone()[0])


def role_owns(role: str, table: str) -> bool:
    """Whether database role ``role`` owns ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(%s, tableowner, 'USAGE') FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = %s",
            [role, table],
        )
        row = cursor.fetchone()
        return bool(row and row[0])


def audit_violations(role: str) -> list[str]:
    """What ``role`` could do to the audit trail that it must not."""
    problems = []
    for table in AUDIT_TABLES:
        if not role_can(role, table, "INSERT"):
            problems.append(f"{role} cannot INSERT into {table}")
        problems += [f"{role} may {p} {table}" for p in FORBIDDEN if role_can(role, table, p)]
        if table in COLUMN_UPDATES:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name = %s",
                    [table],
                )
                columns = [row[0] for row in cursor.fetchall()]
            for column in columns:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT has_column_privilege(%s, %s, %s, 'UPDATE')", [role, table, column])
                    may = bool(cursor.fetchone()[0])
                if may != (column in COLUMN_UPDATES[table]):
                    problems.append(f"{role} {'may' if may else 'may not'} UPDATE {table}.{column}")
        if role_owns(role, table):
            problems.append(f"{role} owns {table} (it could ALTER it or disable its triggers)")
    return problems


class Command(BaseCommand):
    help = "Create or update the application's PostgreSQL role: full use of the portal's tables, append-only audit."

    def add_arguments(self, parser):
        parser.add_argument("--app-role", default=os.environ.get("APP_DB_ROLE", "icp_app"))
        parser.add_argument(
            "--password-env",
            default="APP_DB_PASSWORD",
            help="Environment variable holding the application role's password (LOGIN is granted when set).",
        )
        parser.add_argument("--check", action="store_true", help="Only verify; exit 1 on any violation.")

    def handle(self, *args, app_role: str, password_env: str, check: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles apply to PostgreSQL only.")
        if check:
            problems = audit_violations(app_role)
            if problems:
                raise CommandError("; ".join(problems))
            self.stdout.write(f"{app_role}: the audit trail is append-only for this role.")
            return
        password = os.environ.get(password_env, "")
        role = sql.Identifier(app_role)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema()")
            owner, schema = cursor.fetchone()
            if owner == app_role:
                raise CommandError("Run this as the owner of the tables (the migration role), not as the app role.")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
            if password:
                cursor.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password)))
            cursor.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(connection.settings_dict["NAME"]), role
                )
            )
            schema_id = sql.Identifier(schema)
            cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_id, role))
            cursor.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(schema_id, role)
            )
            cursor.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema_id, role))
            cursor.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
                ).format(schema_id, role)
            )
            cursor.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
                    schema_id, role
                )
            )
            for table in AUDIT_TABLES:
                cursor.execute(
                    sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
                        sql.Identifier(table), role
                    )
                )
                cursor.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(sql.Identifier(table)))
                for column in COLUMN_UPDATES.get(table, ()):
                    cursor.execute(
                        sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                            sql.Identifier(column), sql.Identifier(table), role
                        )
                    )
        problems = audit_violations(app_role)
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"{app_role}: may use the portal's tables; on the audit trail only SELECT and INSERT (owner: {owner})."
            )
        )
