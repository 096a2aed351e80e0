"""The whole-agreement validation and the services' integrity rules: each refusal names the
agreement, partner or date, and leaves nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import services
from agreements.choices import AgreementKind, AmendmentType, State
from agreements.models import SSOI, Agreement, parent_candidacy_error
from agreements.selectors import parent_candidates
from tests import factories
from workflow.models import CoordinationPosition, PositionStatus
from workflow.services import coordination_position_record

pytestmark = pytest.mark.django_db


def test_adding_an_ineligible_partner_to_a_section_65_loan_names_the_loan(program_office, make_agreement, partner):
    loan = make_agreement(State.PROPOSAL, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",))
    with pytest.raises(ValidationError) as excinfo:
        services.participant_add(agreement=loan, user=program_office, partner=partner("IND"))
    assert (
        f"India is neither a NATO member nor a major non-NATO ally (nor a NATO body or agency): the Section 65 "
        f"loan {loan.reference} cannot be made to it." in excinfo.value.messages
    )
    assert loan.participants.count() == 1
    services.participant_add(agreement=loan, user=program_office, partner=partner("NSPA"))
    assert loan.participants.filter(partner__code="NSPA").exists()


def test_a_new_participant_amendment_must_add_someone(program_office, make_agreement):
    parent = make_agreement(State.IN_FORCE, partners=("GBR",))
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(
            user=program_office,
            kind=AgreementKind.AMENDMENT,
            parent=parent,
            partners=(),
            amendment_type=AmendmentType.NEW_PARTICIPANT,
            authority="",
        )
    assert (
        f"A new-participant amendment names a partner that does not yet take part in {parent.reference}."
        in excinfo.value.messages
    )


def test_a_partner_joins_only_through_a_new_participant_amendment(program_office, make_agreement):
    parent = make_agreement(State.IN_FORCE, partners=("GBR",))
    with pytest.raises(ValidationError, match=f"France does not take part in {parent.reference}"):
        factories.AgreementFactory(
            user=program_office,
            kind=AgreementKind.AMENDMENT,
            parent=parent,
            partners=("GBR", "FRA"),
            amendment_type=AmendmentType.SCOPE,
            authority="",
        )


def test_a_new_participant_amendment_in_force_adds_the_partner(program_office, make_agreement, cast):
    parent = make_agreement(State.IN_FORCE, partners=("GBR",))
    amendment = make_agreement(
        State.IN_FORCE,
        kind=AgreementKind.AMENDMENT,
        parent=parent,
        partners=("GBR", "FRA"),
        amendment_type=AmendmentType.NEW_PARTICIPANT,
        authority="",
    )
    assert amendment.state == State.IN_FORCE
    assert parent.participants.filter(partner__code="FRA").exists()
    joined = parent.participants.get(partner__code="FRA")
    assert joined.history.first().history_user == program_office


def test_parent_candidates_and_the_per_row_sentence_agree(program_office, make_agreement):
    agreements = [
        make_agreement(State.PROPOSAL),
        make_agreement(State.WITHDRAWN),
        make_agreement(State.NEGOTIATION),
        make_agreement(State.SIGNED),
        make_agreement(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("AUS",)),
    ]
    master = make_agreement(State.IN_FORCE)
    amendment = make_agreement(
        State.PROPOSAL, kind=AgreementKind.AMENDMENT, parent=master, amendment_type="scope", partners=()
    )
    agreements += [master, amendment]
    for kind in (AgreementKind.PROJECT_ARRANGEMENT, AgreementKind.AMENDMENT):
        offered = set(parent_candidates(program_office, kind).values_list("pk", flat=True))
        for agreement in agreements:
            assert (agreement.pk in offered) is (parent_candidacy_error(agreement, kind) is None), (
                agreement.reference,
                agreement.state,
                kind,
            )

    def pks(kind=None):
        return set(parent_candidates(program_office, kind).values_list("pk", flat=True))

    both = pks()
    assert both == pks(AgreementKind.PROJECT_ARRANGEMENT) | pks(AgreementKind.AMENDMENT)
    assert agreements[1].pk not in both and amendment.pk not in both


def test_the_pen_is_checked_on_the_locked_row_not_the_callers_copy(program_office, make_agreement, cast):
    agreement = make_agreement(State.SSOI_DRAFTING)
    stale = Agreement.objects.get(pk=agreement.pk)
    factories.drive_to(agreement, State.RAD_REVIEW, cast)
    assert stale.state == State.SSOI_DRAFTING  # the caller still believes it holds the pen
    with pytest.raises(PermissionDenied, match="RAD review: the program office does not hold the pen"):
        services.agreement_update(agreement=stale, user=program_office, title="Changed behind the review")
    with pytest.raises(PermissionDenied):
        services.ssoi_update(agreement=stale, user=program_office, objectives="Changed")
    agreement.refresh_from_db()
    assert agreement.title != "Changed behind the review"


def test_reading_the_ssoi_tab_creates_nothing(program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    SSOI.objects.filter(agreement=agreement).delete()
    client = Client()
    client.force_login(program_office)
    url = reverse("agreement_ssoi", args=[agreement.reference])
    response = client.get(url)
    assert response.status_code == 200 and "Objectives" in response.content.decode()
    assert not SSOI.objects.filter(agreement=agreement).exists()
    response = client.post(url, {"objectives": "Joint hypersonic testing.", "ddl_status": "not_started"})
    assert response.status_code == 302
    assert SSOI.objects.get(agreement=agreement).objectives == "Joint hypersonic testing."


def test_a_position_may_be_revised_before_the_deadline_but_not_after(make_agreement, coordinator):
    agreement = make_agreement(State.RAD_REVIEW)
    position = CoordinationPosition.objects.get(
        round__agreement=agreement, office_id=coordinator.coordinating_office_id
    )
    coordination_position_record(position=position, user=coordinator, status=PositionStatus.CONCUR)
    revised = coordination_position_record(
        position=position, user=coordinator, status=PositionStatus.NON_CONCUR, comment="Cost share unclear."
    )
    assert revised.status == PositionStatus.NON_CONCUR
    # Another office, silent past its deadline but not yet swept: its silence already counts.
    other = CoordinationPosition.objects.filter(round__agreement=agreement).exclude(pk=position.pk).first()
    CoordinationPosition.objects.filter(pk=other.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    other.refresh_from_db()
    from partners.models import User

    other_coordinator = User.objects.filter(coordinating_office_id=other.office_id).first()
    with pytest.raises(ValidationError, match="deemed to concur by silence"):
        coordination_position_record(
            position=other, user=other_coordinator, status=PositionStatus.NON_CONCUR, comment="Too late."
        )
    other.refresh_from_db()
    assert other.status == PositionStatus.PENDING and not other.comment


def test_a_master_cannot_be_shortened_before_its_pas_by_editing_either(program_office, make_agreement):
    master = make_agreement(State.PROPOSAL, partners=("GBR",))
    late = master.expiration_date + dt.timedelta(days=1)
    pa = make_agreement(State.PROPOSAL, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    with pytest.raises(ValidationError, match=f"cannot outlive its master {master.reference}"):
        services.agreement_update(agreement=pa, user=program_office, expiration_date=late)


def test_a_pa_signs_only_within_its_masters_term(program_office, make_agreement, cast):
    from workflow.exceptions import TransitionRefused
    from workflow.services import agreement_transition

    master = make_agreement(State.IN_FORCE, partners=("GBR",))
    pa = make_agreement(State.APPROVED, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    # The master's term is cut short behind the arrangement's back (say, by a data fix).
    Agreement.objects.filter(pk=master.pk).update(expiration_date=pa.expiration_date - dt.timedelta(days=1))
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(
            agreement=pa,
            name="record_signature",
            user=program_office,
            participant=None,
            signature_date=timezone.localdate(),
            signatory_name="USD(A&S)",
        )
    master.refresh_from_db()
    assert (
        f"A project arrangement cannot outlive its master {master.reference}, which expires on "
        f"{master.expiration_date:%Y-%m-%d}." in excinfo.value.reasons
    )
    Agreement.objects.filter(pk=pa.pk).update(expiration_date=None)
    pa.refresh_from_db()
    with pytest.raises(TransitionRefused, match="Set the expiration date: it must fall within the term"):
        agreement_transition(
            agreement=pa,
            name="record_signature",
            user=program_office,
            participant=None,
            signature_date=timezone.localdate(),
            signatory_name="USD(A&S)",
        )
    pa.refresh_from_db()
    assert pa.state == State.APPROVED and pa.us_signature_date is None
