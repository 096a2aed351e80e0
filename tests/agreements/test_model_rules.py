"""Each data rule refuses bad data with a message a program office understands."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agreements import services
from agreements.choices import AgreementKind, LegalAuthority, State
from agreements.models import Agreement, Participant
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 1, 15)


def _messages(excinfo) -> str:
    return " ".join(m for msgs in excinfo.value.message_dict.values() for m in msgs)


def test_reference_numbers_are_generated_and_unique(make_agreement):
    first, second = make_agreement(), make_agreement()
    assert first.reference.startswith("ICP-") and first.reference != second.reference
    year, number = first.reference.split("-")[1:]
    assert len(year) == 4 and len(number) == 4


def test_pa_needs_a_master_of_kind_master(program_office, make_agreement):
    system = make_agreement(State.IN_FORCE, kind=AgreementKind.SYSTEM_LEVEL, phase="production")
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(user=program_office, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=system)
    assert f"{system.reference} is a system-level agreement, not a master agreement." in _messages(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(user=program_office, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=None)
    assert "A project arrangement needs its master agreement." in _messages(excinfo)


def test_pa_partners_are_among_its_masters(program_office, make_agreement):
    master = make_agreement(State.IN_FORCE, partners=("GBR", "CAN"))
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(
            user=program_office, kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master, partners=("GBR", "FRA")
        )
    assert f"France is not a participant in the master agreement {master.reference}." in _messages(excinfo)
    assert not Agreement.objects.filter(kind=AgreementKind.PROJECT_ARRANGEMENT).exists()  # nothing half-saved


def test_pa_term_lies_within_its_masters(program_office, make_agreement):
    master = make_agreement(State.IN_FORCE, effective_date=TODAY, expiration_date=TODAY.replace(year=2031))
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(
            user=program_office,
            kind=AgreementKind.PROJECT_ARRANGEMENT,
            parent=master,
            effective_date=TODAY - dt.timedelta(days=1),
            expiration_date=TODAY.replace(year=2030),
        )
    assert "cannot take effect before its master" in _messages(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_create(
            user=program_office,
            kind=AgreementKind.PROJECT_ARRANGEMENT,
            parent=master,
            title="Too long",
            partners=[master.participants.first().partner],
            authority=LegalAuthority.USC_2350A,
            effective_date=TODAY,
            expiration_date=TODAY.replace(year=2032),
        )
    assert f"cannot outlive its master {master.reference}, which expires on 2031-01-15." in _messages(excinfo)


def test_expiration_after_effective_date(program_office):
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(user=program_office, effective_date=TODAY, expiration_date=TODAY)
    assert "The expiration date must come after the effective date." in _messages(excinfo)


def test_database_also_refuses_expiration_before_effective(make_agreement):
    agreement = make_agreement()
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(effective_date=TODAY, expiration_date=TODAY)


def test_section_65_partner_must_be_nato_or_mnna(program_office):
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(
            user=program_office, kind=AgreementKind.SECTION_65_LOAN, partners=("IND",), authority=LegalAuthority.AECA_65
        )
    assert "India is neither a NATO member nor a major non-NATO ally" in _messages(excinfo)
    loan = factories.AgreementFactory(
        user=program_office, kind=AgreementKind.SECTION_65_LOAN, partners=("JPN",), authority=LegalAuthority.AECA_65
    )
    assert loan.participants.get().partner.code == "JPN"


def test_section_65_uses_aeca_65(program_office):
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(
            user=program_office, kind=AgreementKind.SECTION_65_LOAN, partners=("JPN",), authority=LegalAuthority.AECA_27
        )
    assert "A Section 65 loan is made under AECA §65." in _messages(excinfo)


def test_partners_are_unique(program_office, make_agreement, partner):
    with pytest.raises(ValidationError, match="only once"):
        services.agreement_create(
            user=program_office,
            kind=AgreementKind.MASTER,
            title="Twice",
            partners=[partner("GBR"), partner("GBR")],
            authority=LegalAuthority.USC_2350A,
        )
    agreement = make_agreement()
    with pytest.raises(ValidationError) as excinfo:
        services.participant_add(agreement=agreement, user=program_office, partner=partner("GBR"))
    assert "already takes part" in _messages(excinfo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.create(agreement=agreement, partner=partner("GBR"))


def test_system_level_needs_a_phase_and_only_it_has_one(program_office):
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(user=program_office, kind=AgreementKind.SYSTEM_LEVEL)
    assert "A system-level agreement covers a phase" in _messages(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        factories.AgreementFactory(user=program_office, kind=AgreementKind.MASTER, phase="production")
    assert "Only a system-level agreement has a phase." in _messages(excinfo)


def test_multilateral_is_derived_from_participants(make_agreement):
    assert not make_agreement(partners=("GBR",)).is_multilateral
    assert make_agreement(partners=("GBR", "FRA", "DEU")).is_multilateral


def test_in_kind_contribution_needs_its_valuation(program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    with pytest.raises(ValidationError) as excinfo:
        services.contribution_add(
            participant=agreement.participants.get(),
            user=program_office,
            description="Test range time",
            amount_usd=100,
            kind="non_financial",
        )
    assert "Say how this in-kind contribution is valued." in _messages(excinfo)
    with pytest.raises(ValidationError):
        services.contribution_add(
            participant=agreement.participants.get(), user=program_office, description="Refund", amount_usd=-5
        )


def test_only_the_lead_program_office_edits_while_it_holds_the_pen(
    program_office, other_program_office, reviewer, make_agreement
):
    from django.core.exceptions import PermissionDenied

    agreement = make_agreement(State.SSOI_DRAFTING)
    for user in (other_program_office, reviewer):
        with pytest.raises(PermissionDenied, match="Only the program office of Department of the Army"):
            services.ssoi_update(agreement=agreement, user=user, objectives="Theirs")
    in_review = make_agreement(State.RAD_REVIEW)
    with pytest.raises(PermissionDenied, match="does not hold the pen"):
        services.ssoi_update(agreement=in_review, user=program_office, objectives="Late edit")
    # Record-keeping fields stay editable.
    services.agreement_update(agreement=in_review, user=program_office, internal_notes="Call OGC on Monday.")


def test_document_versions_and_digest(program_office, make_agreement, settings):
    agreement = make_agreement(State.SSOI_DRAFTING)
    first = services.document_upload(
        agreement=agreement,
        user=program_office,
        kind="draft_text",
        content=b"draft one",
        filename="../../etc/passwd.txt",
    )
    second = services.document_upload(
        agreement=agreement, user=program_office, kind="draft_text", content=b"draft two", filename="text.txt"
    )
    assert (first.version, second.version) == (1, 2)
    assert first.sha256 == hashlib.sha256(b"draft one").hexdigest() and first.size == 9
    assert first.original_name == "passwd.txt" and ".." not in first.file.name
    settings.MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError, match="larger than 0 MB"):
        services.document_upload(
            agreement=agreement, user=program_office, kind="draft_text", content=b"x", filename="big.pdf"
        )
