"""The lifecycle rules a DoD office insists on: conditions that say why, coordination by silence,
the congressional wait, signatures and entry into force, PA/master guards, amendments, expiry."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agreements import services as agreement_services
from agreements.choices import AgreementKind, AmendmentType, DocumentKind, LegalAuthority, State
from tests import factories
from workflow.exceptions import TransitionRefused
from workflow.models import (
    CoordinationRound,
    ObligationKind,
    PositionStatus,
    ReportingObligation,
    TransitionLog,
)
from workflow.services import (
    agreement_transition,
    congressional_notice_record,
    congressional_wait_sweep,
    coordination_offices_set,
    coordination_position_record,
    entry_into_force_sweep,
    expiry_sweep,
    silence_sweep,
)

pytestmark = pytest.mark.django_db


def _ready_for_rad(agreement, cast):
    factories.fill_ssoi(agreement, cast.program_office)
    factories.DocumentFactory(agreement=agreement, user=cast.program_office, kind=DocumentKind.DRAFT_TEXT)


# --- conditions with reasons -----------------------------------------------------------------
def test_submit_rad_names_the_empty_section(program_office, make_agreement, cast):
    agreement = make_agreement(State.SSOI_DRAFTING)
    _ready_for_rad(agreement, cast)
    agreement_services.ssoi_update(agreement=agreement, user=program_office, contracting_approach="")
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    assert excinfo.value.reasons == ["The SSOI section “Contracting approach” is empty."]
    agreement.refresh_from_db()
    assert agreement.state == State.SSOI_DRAFTING
    assert not agreement.transition_logs.filter(transition="submit_rad").exists()


def test_submit_rad_needs_contributions_and_draft_text(program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING, partners=("GBR", "FRA"))
    factories.fill_ssoi(agreement, program_office)
    agreement.participants.get(partner__code="FRA").contributions.all().delete()
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    assert "No draft text is attached." in excinfo.value.reasons
    assert "No contribution is entered for France." in excinfo.value.reasons


def test_section_65_loan_needs_its_loan_list(program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING, kind=AgreementKind.SECTION_65_LOAN, partners=("JPN",))
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    assert "The loan list is empty: add the items to be loaned." in excinfo.value.reasons
    assert any("Loan list" in r for r in excinfo.value.reasons)
    assert not any("Financial contributions" in r for r in excinfo.value.reasons)


def test_submit_rfa_needs_ddl_approved_and_negotiated_text(program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert "The DDL is not approved." in excinfo.value.reasons
    assert "No negotiated text is attached." in excinfo.value.reasons
    assert (
        "The SSOI has not been reviewed since negotiation began: update it, or confirm on the SSOI tab "
        "that it still holds." in excinfo.value.reasons
    )


@pytest.mark.parametrize("name", ["return_for_revision", "disapprove"])
def test_return_and_disapprove_need_a_comment(name, reviewer, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    with pytest.raises(TransitionRefused, match="A comment is required"):
        agreement_transition(agreement=agreement, name=name, user=reviewer, comment="   ")
    agreement.refresh_from_db()
    assert agreement.state == State.RAD_REVIEW


def test_withdraw_and_terminate_need_a_comment(program_office, reviewer, make_agreement, cast):
    proposal = make_agreement(State.PROPOSAL)
    with pytest.raises(TransitionRefused, match="A comment is required to withdraw"):
        agreement_transition(agreement=proposal, name="withdraw", user=program_office)
    in_force = make_agreement(State.IN_FORCE)
    factories.DocumentFactory(agreement=in_force, user=reviewer, kind=DocumentKind.NOTICE)
    with pytest.raises(TransitionRefused, match="A comment is required to terminate"):
        agreement_transition(agreement=in_force, name="terminate", user=reviewer)


def test_terminate_needs_a_notice_document(reviewer, make_agreement):
    agreement = make_agreement(State.IN_FORCE)
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="terminate", user=reviewer, comment="By notice.")
    assert excinfo.value.reasons == ["No termination notice is attached."]


# --- coordination by silence -------------------------------------------------------------------
def test_entering_review_opens_a_round_with_the_default_offices(make_agreement, settings):
    agreement = make_agreement(State.RAD_REVIEW)
    round_ = CoordinationRound.objects.current_for(agreement)
    assert round_.stage == "rad"
    offices = set(round_.positions.values_list("office__code", flat=True))
    assert offices == {"POLICY", "OGC", "COMPT", "DTSA", "IPO"}
    expected_due = round_.opened_at + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
    assert all(p.due_at == expected_due for p in round_.positions.all())


def test_authorization_waits_for_every_office(reviewer, coordinator, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    round_ = CoordinationRound.objects.current_for(agreement)
    position = round_.positions.get(office__code="OGC")
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="authorize_negotiation", user=reviewer)
    due = timezone.localtime(position.due_at).strftime("%Y-%m-%d")
    assert f"DoD General Counsel has not concurred and its silence deadline is {due}." in excinfo.value.reasons


def test_non_concurrence_blocks_and_needs_a_comment(reviewer, coordinator, make_agreement, cast):
    agreement = make_agreement(State.RAD_REVIEW)
    position = CoordinationRound.objects.current_for(agreement).positions.get(office__code="OGC")
    with pytest.raises(ValidationError, match="non-concurrence needs a comment"):
        coordination_position_record(position=position, user=coordinator, status=PositionStatus.NON_CONCUR)
    coordination_position_record(
        position=position,
        user=coordinator,
        status=PositionStatus.NON_CONCUR,
        comment="Article 7 conflicts with statute.",
    )
    factories.concur_all(agreement, cast.coordinators)
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="authorize_negotiation", user=reviewer)
    assert excinfo.value.reasons == ["DoD General Counsel non-concurs."]
    # A position can be revised while the round is open.
    coordination_position_record(
        position=position, user=coordinator, status=PositionStatus.CONCUR, comment="Resolved by revised Article 7."
    )
    agreement_transition(agreement=agreement, name="authorize_negotiation", user=reviewer)
    agreement.refresh_from_db()
    assert agreement.state == State.NEGOTIATION


def test_only_the_office_own_coordinator_records_its_position(make_agreement, coordinators, coordinator):
    agreement = make_agreement(State.RAD_REVIEW)
    position = CoordinationRound.objects.current_for(agreement).positions.get(office__code="DTSA")
    with pytest.raises(PermissionDenied, match="Defense Technology Security Administration"):
        coordination_position_record(position=position, user=coordinator, status=PositionStatus.CONCUR)


def test_silence_sweep_deems_concurrence_once(reviewer, coordinator, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    round_ = CoordinationRound.objects.current_for(agreement)
    ogc = round_.positions.get(office__code="OGC")
    coordination_position_record(position=ogc, user=coordinator, status=PositionStatus.CONCUR)
    later = timezone.now() + dt.timedelta(days=22)
    assert silence_sweep(now=later) == 4
    assert silence_sweep(now=later) == 0
    assert silence_sweep(now=later) == 0
    events = TransitionLog.objects.filter(agreement=agreement, transition="concurred_by_silence")
    assert events.count() == 4
    assert events.first().user is None
    statuses = dict(round_.positions.values_list("office__code", "status"))
    assert statuses["OGC"] == PositionStatus.CONCUR
    assert sorted(statuses.values()).count(PositionStatus.CONCURRED_BY_SILENCE) == 4
    with mock.patch("django.utils.timezone.now", return_value=later):
        agreement_transition(agreement=agreement, name="authorize_negotiation", user=reviewer)
    agreement.refresh_from_db()
    assert agreement.state == State.NEGOTIATION


def test_silence_before_the_deadline_does_not_count(make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    assert silence_sweep(now=timezone.now() + dt.timedelta(days=20)) == 0
    assert not TransitionLog.objects.filter(agreement=agreement, transition="concurred_by_silence").exists()


def test_return_closes_the_round_and_resubmission_opens_a_new_one(program_office, reviewer, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    first = CoordinationRound.objects.current_for(agreement)
    agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment="Fix the cost share.")
    first.refresh_from_db()
    assert first.closed_at is not None and first.outcome == "return_for_revision"
    assert CoordinationRound.objects.current_for(agreement) is None
    agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    second = CoordinationRound.objects.current_for(agreement)
    assert second is not None and second.pk != first.pk
    assert all(p.status == PositionStatus.PENDING for p in second.positions.all())


def test_reviewer_edits_the_offices_of_the_open_round(reviewer, program_office, make_agreement):
    from partners.models import CoordinatingOffice

    agreement = make_agreement(State.RAD_REVIEW)
    offices = list(CoordinatingOffice.objects.filter(code__in=["OGC", "DTSA", "STATE"]))
    with pytest.raises(PermissionDenied):
        coordination_offices_set(agreement=agreement, user=program_office, offices=offices)
    round_ = coordination_offices_set(agreement=agreement, user=reviewer, offices=offices)
    assert set(round_.positions.values_list("office__code", flat=True)) == {"OGC", "DTSA", "STATE"}


# --- congressional wait -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("authority", "partners", "expected"),
    [
        (LegalAuthority.AECA_27, ("GBR",), State.CONGRESSIONAL_WAIT),
        (LegalAuthority.USC_2350A, ("GBR", "IND"), State.CONGRESSIONAL_WAIT),
        (LegalAuthority.USC_2350A, ("GBR", "AUS"), State.APPROVED),
        (LegalAuthority.OTHER, ("GBR",), State.APPROVED),
    ],
)
def test_approval_waits_for_congress_when_the_authority_requires(
    authority, partners, expected, reviewer, make_agreement, cast
):
    extra = {"authority_text": "10 USC 4001"} if authority == LegalAuthority.OTHER else {}
    agreement = make_agreement(State.RFA_REVIEW, authority=authority, partners=partners, **extra)
    factories.concur_all(agreement, cast.coordinators)
    agreement_transition(agreement=agreement, name="approve_conclusion", user=reviewer)
    agreement.refresh_from_db()
    assert agreement.state == expected


def test_congressional_wait_ends_thirty_days_after_notice(reviewer, make_agreement):
    agreement = make_agreement(State.RFA_REVIEW, authority=LegalAuthority.AECA_27)
    factories.concur_all(agreement, factories.demo_cast().coordinators)
    agreement_transition(agreement=agreement, name="approve_conclusion", user=reviewer)
    today = timezone.localdate()
    congressional_notice_record(agreement=agreement, user=reviewer, notice_date=today - dt.timedelta(days=29))
    agreement.refresh_from_db()
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=agreement, name="end_congressional_wait", user=None)
    assert excinfo.value.reasons == [
        f"The congressional waiting period runs until {today + dt.timedelta(days=1):%Y-%m-%d}."
    ]
    assert congressional_wait_sweep(today=today) == 0
    assert congressional_wait_sweep(today=today + dt.timedelta(days=1)) == 0  # the sweep's own cutoff
    with mock.patch("django.utils.timezone.localdate", return_value=today + dt.timedelta(days=1)):
        assert congressional_wait_sweep() == 1
    agreement.refresh_from_db()
    assert agreement.state == State.APPROVED
    log = agreement.transition_logs.get(transition="end_congressional_wait")
    assert log.user is None and log.request_id == "system"


def test_congressional_notice_is_for_reviewers_and_not_in_the_future(program_office, reviewer, make_agreement):
    agreement = make_agreement(State.CONGRESSIONAL_WAIT, authority=LegalAuthority.AECA_27)
    with pytest.raises(PermissionDenied):
        congressional_notice_record(agreement=agreement, user=program_office, notice_date=timezone.localdate())
    with pytest.raises(ValidationError, match="future"):
        congressional_notice_record(
            agreement=agreement, user=reviewer, notice_date=timezone.localdate() + dt.timedelta(days=1)
        )


# --- signatures and entry into force ------------------------------------------------------------
def _sign(agreement, user, participant, day, name="Signatory"):
    return agreement_transition(
        agreement=agreement,
        name="record_signature",
        user=user,
        participant=participant.pk if participant else None,
        signature_date=day,
        signatory_name=name,
        signatory_title="Minister",
    )


def test_three_nation_agreement_enters_into_force_on_the_last_signature(program_office, make_agreement, settings):
    agreement = make_agreement(State.APPROVED, partners=("GBR", "CAN", "AUS"))
    gbr, can, aus = (agreement.participants.get(partner__code=c) for c in ("GBR", "CAN", "AUS"))
    today = timezone.localdate()
    _sign(agreement, program_office, None, today - dt.timedelta(days=9))
    assert agreement.state == State.SIGNING
    _sign(agreement, program_office, gbr, today - dt.timedelta(days=6))
    _sign(agreement, program_office, aus, today - dt.timedelta(days=2))
    assert agreement.state == State.SIGNING
    assert not ReportingObligation.objects.filter(agreement=agreement).exists()
    with pytest.raises(TransitionRefused, match="signed on .* already"):
        _sign(agreement, program_office, gbr, today)
    _sign(agreement, program_office, can, today - dt.timedelta(days=4))
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE
    # The last signature by date, not by order of recording.
    assert agreement.entry_into_force_date == today - dt.timedelta(days=2)
    assert agreement.transition_logs.filter(transition="record_signature").count() == 4
    transmittal = ReportingObligation.objects.get(agreement=agreement, kind=ObligationKind.STATE_TRANSMITTAL)
    assert transmittal.due_date == today - dt.timedelta(days=2) + dt.timedelta(days=settings.STATE_TRANSMITTAL_DAYS)
    assert ReportingObligation.objects.filter(agreement=agreement, kind=ObligationKind.CONGRESSIONAL_REPORT).exists()


def test_fixed_entry_into_force_date_wins(program_office, make_agreement):
    """Signed before a fixed date: the agreement waits as signed, and the sweep brings it into
    force on that date, opening its reporting obligations then."""
    fixed = timezone.localdate() + dt.timedelta(days=10)
    agreement = make_agreement(State.APPROVED, fixed_entry_into_force_date=fixed)
    _sign(agreement, program_office, None, timezone.localdate())
    _sign(agreement, program_office, agreement.participants.get(), timezone.localdate())
    agreement.refresh_from_db()
    assert agreement.state == State.SIGNED and agreement.entry_into_force_date is None
    assert State(agreement.state).label == "Signed, awaiting entry into force"
    assert not ReportingObligation.objects.filter(agreement=agreement).exists()
    assert entry_into_force_sweep() == 0  # not yet
    with pytest.raises(TransitionRefused, match=f"enters into force on {fixed:%Y-%m-%d}"):
        agreement_transition(agreement=agreement, name="enter_into_force", user=None)
    with mock.patch("django.utils.timezone.localdate", return_value=fixed):
        assert entry_into_force_sweep() == 1
        assert entry_into_force_sweep() == 0  # idempotent
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE and agreement.entry_into_force_date == fixed
    log = agreement.transition_logs.get(transition="enter_into_force")
    assert log.user is None and log.source == State.SIGNED
    assert ReportingObligation.objects.filter(agreement=agreement).count() == 2


def test_a_fixed_date_already_passed_puts_the_agreement_in_force_at_the_last_signature(program_office, make_agreement):
    fixed = timezone.localdate()
    agreement = make_agreement(State.APPROVED, fixed_entry_into_force_date=fixed)
    _sign(agreement, program_office, None, timezone.localdate())
    _sign(agreement, program_office, agreement.participants.get(), timezone.localdate())
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE and agreement.entry_into_force_date == fixed


def test_signature_input_is_checked(program_office, make_agreement):
    agreement = make_agreement(State.APPROVED)
    with pytest.raises(TransitionRefused, match="future"):
        _sign(agreement, program_office, None, timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(TransitionRefused, match="name of the signatory"):
        _sign(agreement, program_office, None, timezone.localdate(), name="")
    with pytest.raises(TransitionRefused, match="does not take part"):
        agreement_transition(
            agreement=agreement,
            name="record_signature",
            user=program_office,
            participant=999999,
            signature_date=timezone.localdate(),
            signatory_name="X",
        )
    agreement.refresh_from_db()
    assert agreement.state == State.APPROVED and agreement.us_signature_date is None


# --- project arrangements and masters -------------------------------------------------------------
def test_pa_may_only_go_to_rad_while_its_master_is_in_force(program_office, make_agreement, cast):
    master = make_agreement(State.NEGOTIATION, partners=("GBR", "FRA"))
    pa = make_agreement(State.SSOI_DRAFTING, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR",))
    _ready_for_rad(pa, cast)
    with pytest.raises(TransitionRefused) as excinfo:
        agreement_transition(agreement=pa, name="submit_rad", user=program_office)
    assert excinfo.value.reasons == [f"The master agreement {master.reference} is not in force."]
    factories.drive_to(master, State.IN_FORCE, cast)
    agreement_transition(agreement=pa, name="submit_rad", user=program_office)
    assert pa.state == State.RAD_REVIEW


def test_master_expiry_flags_its_open_pas(make_agreement, cast):
    master = make_agreement(State.IN_FORCE, partners=("GBR",))
    open_pa = make_agreement(State.NEGOTIATION, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master)
    closed_pa = make_agreement(State.WITHDRAWN, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master)
    assert expiry_sweep(today=master.expiration_date - dt.timedelta(days=1)) == 0
    with mock.patch("django.utils.timezone.localdate", return_value=master.expiration_date):
        assert expiry_sweep() == 1
    master.refresh_from_db()
    open_pa.refresh_from_db()
    closed_pa.refresh_from_db()
    assert master.state == State.EXPIRED
    assert open_pa.master_lapsed_at is not None and closed_pa.master_lapsed_at is None
    assert open_pa.transition_logs.filter(transition="master_lapsed").exists()
    assert open_pa.notifications.filter(kind="master_lapsed").exists()


def test_expiry_sweep_is_idempotent(make_agreement):
    agreement = make_agreement(State.IN_FORCE)
    with mock.patch("django.utils.timezone.localdate", return_value=agreement.expiration_date):
        assert expiry_sweep() == 1
        assert expiry_sweep() == 0
    assert agreement.transition_logs.filter(transition="expire").count() == 1


# --- amendments -----------------------------------------------------------------------------------
def test_extension_amendment_in_force_extends_its_parent(program_office, make_agreement, cast):
    parent = make_agreement(State.IN_FORCE, partners=("GBR", "CAN"))
    old = parent.expiration_date
    new = old.replace(year=old.year + 5)
    amendment = factories.AgreementFactory(
        user=program_office,
        kind=AgreementKind.AMENDMENT,
        parent=parent,
        partners=(),
        title="Amendment One: five-year extension",
        amendment_type=AmendmentType.EXTENSION,
        new_expiration_date=new,
        authority="",
    )
    assert set(amendment.participants.values_list("partner__code", flat=True)) == {"GBR", "CAN"}
    assert amendment.authority == parent.authority
    factories.drive_to(amendment, State.IN_FORCE, cast)
    parent.refresh_from_db()
    assert parent.expiration_date == new
    event = parent.transition_logs.get(transition="amendment_applied")
    assert amendment.reference in event.comment and f"{new:%Y-%m-%d}" in event.comment
    latest = parent.history.first()
    assert latest.expiration_date == new and amendment.reference in latest.history_change_reason


def test_extension_needs_its_new_date(program_office, make_agreement):
    parent = make_agreement(State.IN_FORCE)
    with pytest.raises(ValidationError, match="new expiration date"):
        factories.AgreementFactory(
            user=program_office,
            kind=AgreementKind.AMENDMENT,
            parent=parent,
            partners=(),
            title="Extension",
            amendment_type=AmendmentType.EXTENSION,
            authority="",
        )


# --- history ----------------------------------------------------------------------------------------
def test_field_history_credits_the_user(program_office, make_agreement):
    agreement = make_agreement(State.PROPOSAL)
    agreement_services.agreement_update(agreement=agreement, user=program_office, title="A better title")
    record = agreement.history.first()
    assert record.title == "A better title" and record.history_user == program_office
    agreement_services.ssoi_update(agreement=agreement, user=program_office, objectives="New objectives")
    assert agreement.ssoi.history.first().history_user == program_office


def test_transition_history_credits_the_system_for_sweeps(make_agreement):
    agreement = make_agreement(State.IN_FORCE)
    with mock.patch("django.utils.timezone.localdate", return_value=agreement.expiration_date):
        expiry_sweep()
    record = agreement.history.first()
    assert record.state == State.EXPIRED and record.history_user is None
