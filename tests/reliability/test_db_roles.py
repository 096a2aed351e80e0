"""The application's database role may add to the audit trail but never change, empty, alter or
un-trigger it (``manage.py db_roles``)."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from agreements.choices import State
from workflow.models import TransitionLog
from workflow.services import audit_event

pytestmark = pytest.mark.django_db  # CREATE ROLE and every GRANT roll back with the test


def _as(role: str, statement: str, params=None) -> str | None:
    """Run ``statement`` as ``role``; the error's text when refused, None when allowed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(statement, params)
            cursor.execute("RESET ROLE")
    except DatabaseError as exc:
        return str(exc)
    return None


def test_the_app_role_appends_to_the_audit_trail_and_can_do_nothing_else_to_it(make_agreement, program_office):
    agreement = make_agreement(State.PROPOSAL)
    role = f"icp_app_test_{uuid.uuid4().hex[:8]}"
    call_command("db_roles", app_role=role)
    call_command("db_roles", app_role=role)  # idempotent
    call_command("db_roles", app_role=role, check=True)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        log = audit_event(agreement=agreement, event="comment", user=program_office, comment="as the app role")
        cursor.execute("UPDATE agreements_agreement SET title = title WHERE id = %s", [agreement.pk])
        cursor.execute("RESET ROLE")
    assert TransitionLog.objects.filter(pk=log.pk).exists()

    refused = {
        "update": _as(role, "UPDATE workflow_transitionlog SET comment = 'rewritten' WHERE id = %s", [log.pk]),
        "delete": _as(role, "DELETE FROM workflow_transitionlog WHERE id = %s", [log.pk]),
        "truncate": _as(role, "TRUNCATE workflow_transitionlog CASCADE"),
        "alter": _as(role, "ALTER TABLE workflow_transitionlog DISABLE TRIGGER ALL"),
        "drop": _as(role, "DROP TABLE workflow_transitionlog"),
    }
    for action, error in refused.items():
        assert error is not None, f"the app role could {action} the audit trail"
        assert "permission denied" in error or "must be owner" in error, (action, error)
    assert TransitionLog.objects.get(pk=log.pk).comment == "as the app role"


def test_check_reports_a_role_that_could_rewrite_the_audit_trail():
    role = f"icp_app_test_{uuid.uuid4().hex[:8]}"
    call_command("db_roles", app_role=role)
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE ON workflow_transitionlog TO "{role}"')
    with pytest.raises(CommandError, match="may UPDATE workflow_transitionlog"):
        call_command("db_roles", app_role=role, check=True)
