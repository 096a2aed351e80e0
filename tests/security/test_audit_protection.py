"""The security log is append-only in the database, and the portal says when the role it connects
as could undo that (a superuser or the tables' owner): ``check --deploy --database default`` and
``/readyz``."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from icp_portal.security.checks import audit_role_check, audit_role_problems
from icp_portal.security.events import record
from icp_portal.security.models import EventKind, SecurityEvent
from partners.models import Role
from partners.services import user_create
from tests.conftest import PASSWORD
from workflow.models import ServiceHeartbeat

pytestmark = pytest.mark.django_db
SUPERUSER = "the application's database role is a superuser: it could disable the audit triggers"


def test_the_database_refuses_to_rewrite_or_delete_a_security_event(reviewer):
    event = record(EventKind.SIGN_IN, user=reviewer)
    for statement in (
        "UPDATE security_securityevent SET detail = 'rewritten' WHERE id = %s",
        "UPDATE security_securityevent SET username = 'someone-else' WHERE id = %s",
        "DELETE FROM security_securityevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert (event.detail, event.username, event.user_id) == ("", reviewer.username, reviewer.pk)


def test_truncate_is_refused_unless_the_session_allows_it(reviewer):
    record(EventKind.SIGN_IN, user=reviewer)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending on the table
        cursor.execute("SET LOCAL icp.audit_truncate = ''")
        cursor.execute("TRUNCATE security_securityevent")
    assert SecurityEvent.objects.exists()


def test_the_field_history_is_append_only_too(make_agreement):
    """Who changed which field, and when: the history rows can be added, never rewritten or
    removed; the one change allowed is the user column becoming NULL when that user is deleted."""
    from django.apps import apps

    from icp_portal.security.checks import HISTORY_TABLES

    history_models = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    assert {m._meta.db_table for m in history_models} == set(HISTORY_TABLES)
    agreement = make_agreement(title="Original title")
    row = agreement.history.earliest()
    for statement in (
        "UPDATE agreements_historicalagreement SET title = 'rewritten' WHERE history_id = %s",
        "UPDATE agreements_historicalagreement SET history_user_id = NULL, title = 'x' WHERE history_id = %s",
        "DELETE FROM agreements_historicalagreement WHERE history_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.history_id])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_historicalagreement SET history_user_id = NULL WHERE history_id = %s", [row.history_id]
        )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL icp.audit_truncate = ''")
        cursor.execute("TRUNCATE agreements_historicalparticipant")
    row = agreement.history.earliest()
    assert (row.title, row.history_user_id) == ("Original title", None)


def test_deleting_a_user_only_clears_the_events_user(cast):
    user = user_create(username="leaver", role=Role.REVIEWER, password=PASSWORD)
    event = record(EventKind.SIGN_IN, user=user)
    user.delete()
    event.refresh_from_db()
    assert event.user_id is None and event.username == "leaver"


def _heartbeats() -> None:
    for kind in ("worker", "beat"):
        ServiceHeartbeat.objects.update_or_create(
            name=f"{kind}:test", defaults={"kind": kind, "last_seen": timezone.now()}
        )


@pytest.fixture
def app_role():
    """A role set up as the application's, by ``db_roles`` (rolled back with the test)."""
    role = f"icp_app_test_{uuid.uuid4().hex[:8]}"
    call_command("db_roles", app_role=role)
    return role


def _problems_as(role: str) -> list[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        problems = audit_role_problems()
        cursor.execute("RESET ROLE")
    return problems


def test_a_superuser_connection_is_reported_and_the_app_role_is_not(app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0], "the tests connect as a superuser"
    assert audit_role_problems() == [SUPERUSER]
    assert _problems_as(app_role) == []


def test_an_owner_of_an_audit_table_is_reported(app_role):
    owner = f"icp_owner_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{owner}" NOLOGIN')
        cursor.execute(f'ALTER TABLE security_securityevent OWNER TO "{owner}"')
        cursor.execute(f'GRANT TRUNCATE ON workflow_transitionlog TO "{app_role}"')
    assert _problems_as(owner) == [
        "the application's database role owns security_securityevent: it could disable its triggers"
    ]
    assert _problems_as(app_role) == ["the application's database role may TRUNCATE workflow_transitionlog"]


def test_check_deploy_with_the_database_warns_about_a_superuser():
    warnings = audit_role_check(databases=["default"])
    assert [w.id for w in warnings] == ["icp.W003"]
    assert "superuser" in warnings[0].msg and "db_roles" in warnings[0].hint
    assert audit_role_check(databases=None) == []  # `check --deploy` without --database reads no database


def test_readyz_warns_about_a_superuser_and_fails_when_required(client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    _heartbeats()
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and "audit_role" not in body["checks"]
    assert body["warnings"] == [f"audit_role: {SUPERUSER}"]
    settings.READYZ_AUDIT_ROLE_REQUIRED = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["audit_role"] == {"ok": False, "error": SUPERUSER}
    assert "warnings" not in response.json()


def test_readyz_is_ready_as_the_app_role(client, settings, app_role):
    settings.CELERY_BROKER_URL = "memory://"
    settings.READYZ_AUDIT_ROLE_REQUIRED = True
    _heartbeats()
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        response = client.get("/readyz")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["audit_role"] == {"ok": True} and "warnings" not in response.json()
