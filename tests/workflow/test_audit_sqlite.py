"""On SQLite (what `make run` uses) the audit trail, the access log and the security log are
append-only too: the database refuses UPDATE and DELETE, and the migrations that install the
triggers really reverse."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from icp_portal.security.checks import HISTORY_TABLES

BASE = Path(settings.BASE_DIR)


def _manage(database: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "icp_portal.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _migrate(database: Path, *args: str) -> None:
    _manage(database, "migrate", "--noinput", *args)


# Real rows through the ORM; then the document and a user are deleted, which sets the access-log
# rows' document_id and the security events' user_id to NULL (on_delete=SET_NULL), the one UPDATE
# the triggers allow on each.
MAKE_ROWS = """
from partners.models import Organization, User
from agreements.models import Agreement, Document
from icp_portal.security.models import SecurityEvent
from workflow.models import AccessLog, TransitionLog
org = Organization.objects.create(code="ARMY", name="Department of the Army")
user = User.objects.create(username="po", role="program_office", organization=org)
agreement = Agreement.objects.create(title="MOU", kind="master", lead_organization=org)
document = Document.objects.create(agreement=agreement, kind="other", file="x.txt", sha256="0" * 64)
TransitionLog.objects.create(agreement=agreement, transition="start_ssoi", comment="original")
AccessLog.objects.create(user=user, agreement=agreement, document=document, path="/agreements/")
document.delete()
leaver = User.objects.create(username="leaver", role="reviewer")
SecurityEvent.objects.create(kind="sign_in", user=leaver, username="leaver", detail="original")
leaver.delete()
print(SecurityEvent.objects.get().user_id)
print(AccessLog.objects.get().document_id)
"""


def _refused(db: sqlite3.Connection, sql: str) -> bool:
    try:
        db.execute(sql)
    except sqlite3.IntegrityError as exc:  # RAISE(ABORT, …)
        assert "append-only" in str(exc)
        return True
    return False


# Every trigger of the audit tables, after the latest migration. A later migration that rebuilds
# one of these tables on SQLite (copy, drop, rename) drops its triggers: it must install them again.
HISTORY_TRIGGERS = {f"{table}_no_{op}" for table in HISTORY_TABLES for op in ("update", "delete")}
AUDIT_TRIGGERS = HISTORY_TRIGGERS | {
    "security_securityevent_no_delete",
    "security_securityevent_no_update",
    "workflow_accesslog_no_delete",
    "workflow_accesslog_no_update",
    "workflow_transitionlog_no_delete",
    "workflow_transitionlog_no_update",
}


def _triggers(db: sqlite3.Connection) -> set[str]:
    return {
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            " AND (tbl_name IN ('workflow_transitionlog', 'workflow_accesslog', 'security_securityevent')"
            " OR tbl_name LIKE 'agreements_historical%')"
        )
    }


def test_sqlite_refuses_update_and_delete_of_the_audit_tables(tmp_path):
    database = tmp_path / "audit.sqlite3"
    _migrate(database)
    assert _manage(database, "shell", "-c", MAKE_ROWS).strip().splitlines()[-2:] == ["None", "None"]
    db = sqlite3.connect(database, isolation_level=None)
    assert _refused(db, "UPDATE workflow_transitionlog SET comment = 'rewritten'")
    assert _refused(db, "DELETE FROM workflow_transitionlog")
    assert _refused(db, "UPDATE workflow_accesslog SET path = '/elsewhere/'")
    assert _refused(db, "DELETE FROM workflow_accesslog")
    assert _refused(db, "UPDATE security_securityevent SET detail = 'rewritten'")
    assert _refused(db, "UPDATE security_securityevent SET user_id = NULL, username = 'someone'")
    assert _refused(db, "DELETE FROM security_securityevent")
    assert _refused(db, "UPDATE agreements_historicalagreement SET title = 'rewritten'")
    assert _refused(db, "UPDATE agreements_historicalagreement SET history_user_id = NULL, title = 'rewritten'")
    assert _refused(db, "DELETE FROM agreements_historicaldocument")
    assert not _refused(db, "UPDATE agreements_historicalagreement SET history_user_id = NULL")
    assert _triggers(db) == AUDIT_TRIGGERS
    assert db.execute("SELECT comment FROM workflow_transitionlog").fetchone() == ("original",)
    assert db.execute("SELECT path, document_id FROM workflow_accesslog").fetchone() == ("/agreements/", None)
    assert db.execute("SELECT detail, user_id FROM security_securityevent").fetchone() == ("original", None)
    db.close()

    # A migration that rebuilds a history table (copy, drop, rename) drops its triggers: the next
    # migrate puts them back.
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("DROP TRIGGER agreements_historicalagreement_no_update")
    db.close()
    _migrate(database)
    db = sqlite3.connect(database, isolation_level=None)
    assert _triggers(db) == AUDIT_TRIGGERS
    assert _refused(db, "UPDATE agreements_historicalagreement SET title = 'rewritten'")
    db.close()

    # The migrations reverse for real, and apply again.
    _migrate(database, "agreements", "0015")
    _migrate(database, "workflow", "0001")
    _migrate(database, "security", "0001")
    db = sqlite3.connect(database, isolation_level=None)
    assert not _refused(db, "UPDATE workflow_transitionlog SET comment = 'after reverse'")
    assert not _refused(db, "UPDATE security_securityevent SET detail = 'after reverse'")
    assert not _refused(db, "UPDATE agreements_historicalagreement SET title = 'after reverse'")
    assert _triggers(db) == set()
    db.close()
    _migrate(database)
    db = sqlite3.connect(database, isolation_level=None)
    assert _refused(db, "DELETE FROM workflow_transitionlog")
    assert _triggers(db) == AUDIT_TRIGGERS
    db.close()
