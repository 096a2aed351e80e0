"""Forms refuse bad input with the model's message; lifecycle actions explain refusals and
conflicts instead of failing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Agreement
from partners.models import Partner
from tests import factories
from workflow.models import CoordinationRound, PositionStatus, ReportingObligation, TransitionLog

pytestmark = pytest.mark.django_db


def _proposal(**overrides) -> dict:
    data = {
        "kind": AgreementKind.MASTER,
        "partners": [Partner.objects.get(code="GBR").pk],
        "authority": "usc_2350a",
        "title": "Cooperative sensing research",
        "short_title": "Sensing MOU",
        "effective_date": "2027-01-01",
        "expiration_date": "2037-01-01",
    }
    data.update(overrides)
    return data


def test_proposal_is_created(client_for, program_office):
    response = client_for(program_office).post(reverse("agreement_create"), _proposal())
    agreement = Agreement.objects.get(title="Cooperative sensing research")
    assert response.status_code == 302 and response.url == reverse("agreement_detail", args=[agreement.reference])
    assert agreement.lead_organization == program_office.organization and agreement.state == State.PROPOSAL


def test_proposal_names_its_lead_partner(client_for, program_office):
    codes = {code: Partner.objects.get(code=code).pk for code in ("CAN", "GBR", "FRA")}
    data = _proposal(partners=list(codes.values()), lead_partner=codes["GBR"])
    client_for(program_office).post(reverse("agreement_create"), data)
    roles = dict(
        Agreement.objects.get(title="Cooperative sensing research").participants.values_list("partner__code", "role")
    )
    assert roles == {"CAN": "participant", "GBR": "lead", "FRA": "participant"}


def test_lead_partner_must_be_one_of_the_partners(client_for, program_office):
    data = _proposal(lead_partner=Partner.objects.get(code="FRA").pk)
    response = client_for(program_office).post(reverse("agreement_create"), data)
    assert response.status_code == 400
    # The service decides, so the browser and the API refuse with the same sentence.
    assert "France is not among the agreement&#x27;s partners." in response.content.decode()
    assert not Agreement.objects.filter(title="Cooperative sensing research").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"expiration_date": "2026-01-01"}, "The expiration date must come after the effective date."),
        ({"kind": AgreementKind.PROJECT_ARRANGEMENT}, "A project arrangement needs its master agreement."),
        ({"kind": AgreementKind.SYSTEM_LEVEL}, "A system-level agreement covers a phase: choose one."),
        ({"authority": "other"}, "Name the statute when the authority is &#x27;other&#x27;."),
        ({"partners": []}, "This field is required."),
        ({"effective_date": "next tuesday"}, "Enter a valid date."),
    ],
)
def test_proposal_form_refuses_bad_input_with_the_models_message(client_for, program_office, overrides, message):
    response = client_for(program_office).post(reverse("agreement_create"), _proposal(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "Please correct the following" in html
    assert not Agreement.objects.filter(title="Cooperative sensing research").exists()
    assert 'value="Cooperative sensing research"' in html  # nothing typed is lost


def test_project_arrangement_cannot_outlive_its_master(client_for, program_office, make_agreement):
    master = make_agreement(State.IN_FORCE)
    response = client_for(program_office).post(
        reverse("agreement_create"),
        _proposal(kind=AgreementKind.PROJECT_ARRANGEMENT, parent=master.pk, expiration_date="2099-01-01"),
    )
    assert response.status_code == 400
    assert f"cannot outlive its master {master.reference}" in response.content.decode()


def test_ssoi_draft_saves_and_shows_completeness(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    url = reverse("agreement_ssoi", args=[agreement.reference])
    assert "0 of" in client.get(url).content.decode()
    response = client.post(url, {"objectives": "Mature the seeker to TRL 6."})
    assert response.status_code == 302
    # The DDL section is complete once the program office has asked for the TS&FD review.
    assert client.post(reverse("ddl_request", args=[agreement.reference])).status_code == 302
    agreement.ssoi.refresh_from_db()
    assert agreement.ssoi.objectives == "Mature the seeker to TRL 6."
    html = client.get(url).content.decode()
    assert "2 of" in html and "✓ Complete" in html


def test_contribution_form_refuses_a_negative_amount_and_unvalued_in_kind(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    participant = agreement.participants.get()
    client = client_for(program_office)
    url = reverse("agreement_participants", args=[agreement.reference])
    add = reverse("contribution_add", args=[agreement.reference])
    bad = client.post(
        add,
        {
            "participant": participant.pk,
            "kind": "financial",
            "description": "Share",
            "amount_usd": "-5",
        },
    )
    assert bad.status_code == 400 and "Ensure this value is greater than or equal to 0." in bad.content.decode()
    in_kind = client.post(
        add,
        {
            "participant": participant.pk,
            "kind": "non_financial",
            "description": "Range time",
            "amount_usd": "100",
        },
    )
    assert in_kind.status_code == 400 and "Say how this in-kind contribution is valued." in in_kind.content.decode()
    good = client.post(
        add,
        {
            "participant": participant.pk,
            "kind": "financial",
            "description": "Share",
            "amount_usd": "2500000",
            "fiscal_year": "2027",
        },
    )
    assert good.status_code == 302
    html = client.get(url).content.decode()
    assert "$2,500,000" in html and "100.0 %" in html and 'data-chart="share-chart-data"' in html


def test_removing_a_contribution_asks_for_confirmation(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    client.post(
        reverse("contribution_add", args=[agreement.reference]),
        {
            "participant": agreement.participants.get().pk,
            "kind": "financial",
            "description": "Share",
            "amount_usd": "10",
        },
    )
    contribution = agreement.participants.get().contributions.get()
    url = reverse("contribution_delete", args=[agreement.reference, contribution.pk])
    ask = client.post(url)
    assert ask.status_code == 200 and "Are you sure?" in ask.content.decode()
    assert agreement.participants.get().contributions.exists()
    done = client.post(url, {"confirmed": "yes"})
    assert done.status_code == 302 and not agreement.participants.get().contributions.exists()


def test_document_upload_and_remarking(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    url = reverse("agreement_documents", args=[agreement.reference])
    upload = reverse("document_upload", args=[agreement.reference])
    empty = client.post(
        upload,
        {
            "kind": DocumentKind.DRAFT_TEXT,
            "marking": "CUI",
            "file": SimpleUploadedFile("draft.txt", b""),
        },
    )
    assert empty.status_code == 400 and "The submitted file is empty." in empty.content.decode()
    for _ in range(2):
        ok = client.post(
            upload,
            {
                "kind": DocumentKind.DRAFT_TEXT,
                "marking": "CUI",
                "file": SimpleUploadedFile("draft.txt", b"text"),
            },
        )
        assert ok.status_code == 302
    html = client.get(url).content.decode()
    assert "v2" in html and "v1" in html
    document = agreement.documents.get(version=2)
    factories.approve_ddl(agreement)  # releasable only once the DDL is approved
    client.post(
        reverse("document_update", args=[agreement.reference, document.pk]),
        {"marking": "UNCLASSIFIED", "releasable_to_partners": "on"},
    )
    document.refresh_from_db()
    assert document.marking == "UNCLASSIFIED" and document.releasable_to_partners


def test_a_simple_transition_moves_the_agreement(client_for, program_office, make_agreement):
    agreement = make_agreement(State.PROPOSAL)
    response = client_for(program_office).post(
        reverse("agreement_transition", args=[agreement.reference, "start_ssoi"]), {"state": State.PROPOSAL}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == State.SSOI_DRAFTING


def test_a_transition_conflict_is_explained_not_a_500(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)  # someone else already started the SSOI
    response = client_for(program_office).post(
        reverse("agreement_transition", args=[agreement.reference, "withdraw"]),
        {"state": State.PROPOSAL, "comment": "No longer needed."},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this agreement" in html
    assert f"{agreement.reference} changed while you were working: it is now SSOI drafting." in html
    agreement.refresh_from_db()
    assert agreement.state == State.SSOI_DRAFTING


def test_a_comment_is_required_to_return(client_for, reviewer, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    url = reverse("agreement_transition", args=[agreement.reference, "return_for_revision"])
    client = client_for(reviewer)
    assert "Tell the program office what to change" in client.get(url).content.decode()
    response = client.post(url, {"state": State.RAD_REVIEW, "comment": "  "})
    assert response.status_code == 400
    assert "A comment is required to return for revision." in response.content.decode()
    assert client.post(url, {"state": State.RAD_REVIEW, "comment": "Show the equitability."}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == State.SSOI_DRAFTING


def test_unmet_conditions_are_listed_and_buttons_disabled(client_for, program_office, reviewer, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    html = client_for(program_office).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert "No draft text is attached." in html and "disabled" in html
    refused = client_for(program_office).post(reverse("agreement_transition", args=[agreement.reference, "submit_rad"]))
    assert refused.status_code == 400 and "No draft text is attached." in refused.content.decode()
    forbidden = client_for(reviewer).post(
        reverse("agreement_transition", args=[agreement.reference, "withdraw"]), {"comment": "x"}
    )
    assert forbidden.status_code == 403 and "Only the program office of" in forbidden.content.decode()


def test_signature_form_records_a_party(client_for, program_office, make_agreement):
    agreement = make_agreement(State.APPROVED)
    url = reverse("agreement_transition", args=[agreement.reference, "record_signature"])
    client = client_for(program_office)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    refused = client.post(
        url, {"state": State.APPROVED, "participant": "us", "signature_date": future, "signatory_name": "USD(A&S)"}
    )
    assert refused.status_code == 400 and "A signature date cannot be in the future." in refused.content.decode()
    done = client.post(
        url,
        {
            "state": State.APPROVED,
            "participant": "us",
            "signature_date": timezone.localdate().isoformat(),
            "signatory_name": "USD(A&S)",
            "signatory_title": "Under Secretary",
        },
    )
    assert done.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == State.SIGNING and agreement.us_signatory_name == "USD(A&S)"


def test_coordinator_records_positions(client_for, coordinator, make_agreement):
    agreement = make_agreement(State.RAD_REVIEW)
    position = CoordinationRound.objects.current_for(agreement).positions.get(office=coordinator.coordinating_office)
    client = client_for(coordinator)
    assert agreement.reference in client.get(reverse("positions_due")).content.decode()
    url = reverse("position_record", args=[agreement.reference, position.pk])
    refused = client.post(url, {"status": PositionStatus.NON_CONCUR, "comment": ""})
    assert refused.status_code == 400 and "Say why: a non-concurrence needs a comment." in refused.content.decode()
    assert client.post(url, {"status": PositionStatus.CONCUR}).status_code == 302
    position.refresh_from_db()
    assert position.status == PositionStatus.CONCUR


def test_reviewer_edits_offices_records_notice_and_completes_obligations(client_for, reviewer, make_agreement):
    agreement = make_agreement(
        State.RFA_REVIEW, kind=AgreementKind.SYSTEM_LEVEL, phase="production", authority="aeca_27"
    )
    client = client_for(reviewer)
    offices = reverse("coordination_offices", args=[agreement.reference])
    notice = reverse("congressional_notice", args=[agreement.reference])
    round_ = CoordinationRound.objects.current_for(agreement)
    keep = list(round_.positions.values_list("office_id", flat=True))[:2]
    assert client.post(offices, {"offices": keep}).status_code == 302
    assert sorted(round_.positions.values_list("office_id", flat=True)) == sorted(keep)
    none = client.post(offices)
    assert none.status_code == 400
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    bad = client.post(notice, {"notice_date": future})
    assert bad.status_code == 400 and "The notice date cannot be in the future." in bad.content.decode()
    assert client.post(notice, {"notice_date": timezone.localdate().isoformat()}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.congressional_notice_date == timezone.localdate()
    assert TransitionLog.objects.filter(agreement=agreement, transition="congressional_notice_recorded").exists()

    in_force = make_agreement(State.IN_FORCE)
    obligation = ReportingObligation.objects.filter(agreement=in_force).first()
    url = reverse("obligation_complete", args=[in_force.reference, obligation.pk])
    response = client.post(
        url,
        {
            f"ob{obligation.pk}-completed_date": timezone.localdate().isoformat(),
            f"ob{obligation.pk}-notes": "Sent to L/T.",
        },
    )
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.completed_date == timezone.localdate()


def test_program_office_sets_a_participants_role_and_signatory(client_for, program_office, make_agreement):
    agreement = make_agreement(State.APPROVED, partners=("GBR", "CAN"))
    canada = agreement.participants.get(partner__code="CAN")
    url = reverse("agreement_participants", args=[agreement.reference])
    client = client_for(program_office)
    page = client.get(url).content.decode()
    assert "Role and signatory of Canada" in page
    response = client.post(
        reverse("participant_update", args=[agreement.reference, canada.pk]),
        {
            f"p{canada.pk}-role": "lead",
            f"p{canada.pk}-signatory_name": "Minister of National Defence",
            f"p{canada.pk}-signatory_title": "Minister",
        },
    )
    assert response.status_code == 302
    canada.refresh_from_db()
    assert (canada.role, canada.signatory_name) == ("lead", "Minister of National Defence")
    assert "Role and signatory of Canada: Minister of National Defence" in client.get(url).content.decode()


def test_participant_form_keeps_input_and_says_what_is_wrong(client_for, program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION, partners=("GBR",))
    gbr = agreement.participants.get()
    response = client_for(program_office).post(
        reverse("participant_update", args=[agreement.reference, gbr.pk]),
        {
            f"p{gbr.pk}-role": "chief",
            f"p{gbr.pk}-signatory_name": "Kept",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html and 'value="Kept"' in html
    gbr.refresh_from_db()
    assert gbr.role == "lead" and gbr.signatory_name == ""


def test_only_the_lead_program_office_sees_the_participant_form(client_for, reviewer, make_agreement):
    agreement = make_agreement(State.NEGOTIATION, partners=("GBR",))
    url = reverse("agreement_participants", args=[agreement.reference])
    assert "Role and signatory of" not in client_for(reviewer).get(url).content.decode()
    gbr = agreement.participants.get()
    response = client_for(reviewer).post(
        reverse("participant_update", args=[agreement.reference, gbr.pk]), {f"p{gbr.pk}-role": "participant"}
    )
    assert response.status_code == 403
    gbr.refresh_from_db()
    assert gbr.role == "lead"
