"""Races resolve to one winner and one audit row; the audit trail cannot be rewritten."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError

from agreements.choices import LegalAuthority, State
from agreements.models import Agreement
from tests import factories
from workflow.exceptions import TransitionConflict
from workflow.models import TransitionLog
from workflow.services import AuditContext, agreement_transition


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_approvals_give_one_success(cast, make_agreement):
    agreement = make_agreement(State.RFA_REVIEW, authority=LegalAuthority.USC_2350A, partners=("GBR",))
    factories.concur_all(agreement, cast.coordinators)
    reviewer = cast.reviewer
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve():
        try:
            copy = Agreement.objects.get(pk=agreement.pk)  # each caller read the agreement in review
            barrier.wait(timeout=30)
            agreement_transition(agreement=copy, name="approve_conclusion", user=reviewer)
            result = "ok"
        except TransitionConflict as exc:
            result = f"conflict:{exc.current_state}"
        except Exception as exc:  # surfaced in the assertion below
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 20
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count(f"conflict:{State.APPROVED}") == 19, outcomes
    agreement.refresh_from_db()
    assert agreement.state == State.APPROVED
    assert TransitionLog.objects.filter(agreement=agreement, transition="approve_conclusion").count() == 1


@pytest.mark.django_db
def test_stale_copy_gets_a_conflict_naming_the_current_state(cast, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    stale = Agreement.objects.get(pk=agreement.pk)
    agreement_transition(agreement=agreement, name="return_for_revision", user=cast.reviewer, comment="Revise.")
    with pytest.raises(TransitionConflict) as excinfo:
        agreement_transition(agreement=stale, name="disapprove", user=cast.reviewer, comment="No.")
    assert excinfo.value.current_state == State.SSOI_DRAFTING
    assert "SSOI drafting" in excinfo.value.message
    assert TransitionLog.objects.filter(agreement=agreement, transition="disapprove").count() == 0


@pytest.mark.django_db
def test_audit_row_records_who_when_from_to_and_where(cast, make_agreement):
    agreement = make_agreement(State.PROPOSAL)
    log = agreement_transition(
        agreement=agreement,
        name="start_ssoi",
        user=cast.program_office,
        context=AuditContext(request_id="req-42", client_address="192.0.2.7"),
    )
    log.refresh_from_db()
    assert (log.transition, log.source, log.target) == ("start_ssoi", State.PROPOSAL, State.SSOI_DRAFTING)
    assert log.user == cast.program_office and log.request_id == "req-42" and log.client_address == "192.0.2.7"
    assert log.timestamp.tzinfo is not None


@pytest.mark.django_db
def test_the_orm_refuses_to_change_the_audit_trail(cast, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    log = agreement.transition_logs.first()
    log.comment = "rewritten"
    with pytest.raises(PermissionError):
        log.save()
    with pytest.raises(PermissionError):
        log.delete()
    with pytest.raises(PermissionError):
        TransitionLog.objects.filter(pk=log.pk).update(comment="rewritten")
    with pytest.raises(PermissionError):
        TransitionLog.objects.filter(pk=log.pk).delete()


@pytest.mark.django_db
def test_postgres_trigger_refuses_update_and_delete(cast, make_agreement):
    assert connection.vendor == "postgresql"
    agreement = make_agreement(State.SSOI_DRAFTING)
    log_id = agreement.transition_logs.first().pk
    for sql in (
        "UPDATE workflow_transitionlog SET comment = 'rewritten' WHERE id = %s",
        "DELETE FROM workflow_transitionlog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [log_id])
    assert TransitionLog.objects.get(pk=log_id).comment == ""
