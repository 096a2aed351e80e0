"""The test factories build through the services: each one gives what a user's action would,
and refuses what the service refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements.choices import AgreementKind, DocumentKind, State
from partners.models import Role
from tests import factories
from workflow.models import PositionStatus

pytestmark = pytest.mark.django_db


def test_one_factory_per_role(cast):
    made = {
        Role.PROGRAM_OFFICE: factories.ProgramOfficeFactory(),
        Role.COORDINATOR: factories.CoordinatorFactory(),
        Role.REVIEWER: factories.ReviewerFactory(),
        Role.LIAISON: factories.LiaisonFactory(),
        Role.ADMIN: factories.AdminFactory(),
    }
    assert {role: user.role for role, user in made.items()} == {role: role for role in made}
    assert made[Role.PROGRAM_OFFICE].organization.code == "ARMY"
    assert made[Role.COORDINATOR].coordinating_office.code == "OGC"
    assert made[Role.LIAISON].partner.code == "GBR"
    assert made[Role.ADMIN].is_superuser and made[Role.LIAISON].check_password(factories.PASSWORD)


def test_user_factory_passes_the_service_checks(cast):
    with pytest.raises(ValidationError, match="needs --partner"):
        factories.UserFactory(role=Role.LIAISON)


def test_agreements_of_each_kind(cast):
    loan = factories.Section65LoanFactory(cast=cast)
    system = factories.SystemLevelAgreementFactory(cast=cast, partners=("GBR", "FRA"))
    arrangement = factories.ProjectArrangementFactory(cast=cast)
    assert (loan.kind, loan.state) == (AgreementKind.SECTION_65_LOAN, State.PROPOSAL)
    assert system.kind == AgreementKind.SYSTEM_LEVEL and system.participants.count() == 2
    assert arrangement.parent.state == State.IN_FORCE and arrangement.kind == AgreementKind.PROJECT_ARRANGEMENT
    amendment = factories.AmendmentFactory(cast=cast, parent=arrangement.parent)
    assert amendment.kind == AgreementKind.AMENDMENT and amendment.parent == arrangement.parent


@pytest.mark.parametrize("state", [State.SIGNED, State.EXPIRED])
def test_an_agreement_is_driven_to_its_state(state, cast):
    agreement = factories.AgreementFactory(state=state, cast=cast)
    assert agreement.state == state
    assert agreement.transition_logs.exists()


def test_an_agreement_expires_on_its_date_and_the_clock_moves_for_that_step_only(cast):
    today = timezone.localdate()
    ending_today = factories.AgreementFactory(state=State.EXPIRED, cast=cast)
    assert (ending_today.state, ending_today.expiration_date) == (State.EXPIRED, today)
    later = today + dt.timedelta(days=400)
    ending_later = factories.AgreementFactory(state=State.EXPIRED, cast=cast, expiration_date=later)
    expiry = ending_later.transition_logs.get(transition="expire")
    assert ending_later.state == State.EXPIRED and expiry.timestamp.date() == later
    assert timezone.localdate() == today  # the clock is back


def test_what_an_agreement_holds(cast):
    agreement = factories.AgreementFactory(state=State.SSOI_DRAFTING, cast=cast)
    participant = factories.ParticipantFactory(agreement=agreement)
    contribution = factories.ContributionFactory(participant=participant)
    document = factories.DocumentFactory(agreement=agreement, kind=DocumentKind.DRAFT_TEXT)
    ssoi = factories.SSOIFactory(agreement=agreement, sections={"objectives": "Test the factories."})
    assert participant.partner.code == "FRA" and contribution.agreement == agreement
    assert document.version == 1 and document.uploaded_by == cast.program_office
    assert ssoi.objectives == "Test the factories." and ssoi.duration
    with pytest.raises(ValidationError, match="already takes part"):
        factories.ParticipantFactory(agreement=agreement)
    loan = factories.Section65LoanFactory(state=State.SSOI_DRAFTING, cast=cast)
    loan_item = factories.LoanItemFactory(agreement=loan)
    assert loan_item.agreement.is_section_65


def test_coordination_rounds_and_positions(cast):
    round_ = factories.CoordinationRoundFactory(agreement__cast=cast)
    position = factories.CoordinationPositionFactory(agreement=round_.agreement)
    assert position.office.code == "OGC" and position.status == PositionStatus.CONCUR
    factories.concur_all(round_.agreement, cast.coordinators)
    assert not round_.positions.filter(status=PositionStatus.PENDING).exists()


def test_fill_ssoi_readies_the_rad(cast):
    agreement = factories.AgreementFactory(state=State.SSOI_DRAFTING, cast=cast, partners=("GBR", "FRA"))
    factories.fill_ssoi(agreement, cast.program_office)
    factories.DocumentFactory(agreement=agreement)
    assert agreement.participants.filter(contributions__isnull=True).count() == 0
