"""The DDL / TS&FD decision is a record a disclosure office keeps, and it gates every release to
partners: through the service, the browser and the API with the same sentence, while the admin
offers no way to edit a document at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agreements import services
from agreements.choices import DdlStatus, DocumentKind, State
from agreements.models import DdlDecision, Document
from partners.models import CoordinatingOffice, Role
from partners.services import user_create
from tests import factories
from tests.api.conftest import token_client
from workflow.exceptions import TransitionRefused
from workflow.services import agreement_transition

pytestmark = pytest.mark.django_db

NOT_APPROVED = "The DDL of {ref} is not approved: no document may be released to partners"
INTERNAL_PDF = "carries internal content (transition comments, coordination positions) and is never releasable"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dtsa(cast):
    return factories.disclosure_officer()


@pytest.fixture
def negotiation(make_agreement):
    return make_agreement(State.NEGOTIATION, partners=("GBR",), releasable_to_partners=True)


def _upload(agreement, user, *, kind=DocumentKind.OTHER, releasable=False):
    return services.document_upload(
        agreement=agreement,
        user=user,
        kind=kind,
        content=b"text",
        filename="text.txt",
        releasable_to_partners=releasable,
    )


# --- who decides ----------------------------------------------------------------------------------
def test_dtsa_is_the_disclosure_office_of_the_reference_data(cast, dtsa):
    assert dtsa.is_disclosure_officer and dtsa.coordinating_office.code == "DTSA"
    assert list(CoordinatingOffice.objects.filter(is_disclosure_office=True).values_list("code", flat=True)) == ["DTSA"]


def test_the_program_office_asks_and_the_disclosure_office_decides(negotiation, program_office, dtsa, reviewer):
    agreement = negotiation
    assert services.ddl_for(agreement).status in (DdlStatus.IN_REVIEW, DdlStatus.NOT_STARTED)
    for user in (program_office, reviewer, factories.demo_cast().coordinators[0]):
        if user.is_disclosure_officer:
            continue
        with pytest.raises(PermissionDenied, match="Only a disclosure office"):
            services.ddl_decide(
                agreement=agreement, user=user, status=DdlStatus.APPROVED, decision_date=timezone.localdate()
            )
    # An approval needs the letter itself.
    with pytest.raises(ValidationError, match="Attach the Delegation of Disclosure Authority Letter"):
        services.ddl_decide(
            agreement=agreement, user=dtsa, status=DdlStatus.APPROVED, decision_date=timezone.localdate()
        )
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.ddl_decide(
            agreement=agreement,
            user=dtsa,
            status=DdlStatus.APPROVED,
            decision_date=timezone.localdate() + dt.timedelta(days=1),
            content=b"%PDF-1.4 letter",
            filename="ddl.pdf",
        )
    with pytest.raises(ValidationError, match="Say why"):
        services.ddl_decide(agreement=agreement, user=dtsa, status=DdlStatus.DENIED, decision_date=timezone.localdate())
    decided = services.ddl_decide(
        agreement=agreement,
        user=dtsa,
        status=DdlStatus.APPROVED,
        decision_date=timezone.localdate(),
        content=b"%PDF-1.4 letter",
        filename="ddl.pdf",
    )
    assert decided.status == DdlStatus.APPROVED and decided.deciding_office.code == "DTSA"
    assert decided.document.kind == DocumentKind.DDL and decided.decided_by == dtsa
    assert agreement.transition_logs.filter(transition="ddl_decided").count() == 1
    assert DdlDecision.objects.count() == 1


def test_a_coordinator_of_another_office_becomes_a_disclosure_officer_only_when_its_office_is_flagged(
    negotiation, coordinator
):
    assert not coordinator.is_disclosure_officer
    with pytest.raises(PermissionDenied):
        services.ddl_decide(
            agreement=negotiation, user=coordinator, status=DdlStatus.DENIED, decision_date=timezone.localdate()
        )
    CoordinatingOffice.objects.filter(pk=coordinator.coordinating_office_id).update(is_disclosure_office=True)
    coordinator.refresh_from_db()
    coordinator.coordinating_office.refresh_from_db()
    ddl = services.ddl_decide(
        agreement=negotiation,
        user=coordinator,
        status=DdlStatus.DENIED,
        decision_date=timezone.localdate(),
        comment="Technology not releasable to this partner.",
    )
    assert ddl.status == DdlStatus.DENIED and ddl.deciding_office.code == "OGC"


def test_submit_rfa_reads_the_record(make_agreement, program_office):
    agreement = make_agreement(State.NEGOTIATION)
    factories.DocumentFactory(agreement=agreement, user=program_office, kind=DocumentKind.NEGOTIATED_TEXT)
    services.ssoi_update(agreement=agreement, user=program_office, ddl_notes="Reviewed.")
    with pytest.raises(TransitionRefused) as refused:
        agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert refused.value.reasons == ["The DDL is not approved."]
    factories.DdlDecisionFactory(agreement=agreement)
    agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert agreement.state == State.RFA_REVIEW


def test_the_browser_asks_and_decides_on_the_documents_tab(negotiation, program_office, dtsa):
    url = reverse("agreement_documents", args=[negotiation.reference])
    DdlDecision.objects.filter(agreement=negotiation).delete()
    page = _client(program_office).get(url).content.decode()
    assert "Ask for the TS&amp;FD review" in page and "Record the DDL decision" not in page
    assert _client(program_office).post(reverse("ddl_request", args=[negotiation.reference])).status_code == 302
    assert services.ddl_for(negotiation).status == DdlStatus.IN_REVIEW
    # The program office cannot decide, even by forging the form.
    decide = reverse("ddl_decide", args=[negotiation.reference])
    forged = _client(program_office).post(
        decide, {"status": "approved", "decision_date": timezone.localdate().isoformat()}
    )
    assert forged.status_code == 403 and services.ddl_for(negotiation).status == DdlStatus.IN_REVIEW
    page = _client(dtsa).get(url).content.decode()
    assert "Record the DDL decision" in page
    refused = _client(dtsa).post(decide, {"status": "approved", "decision_date": timezone.localdate().isoformat()})
    assert (
        refused.status_code == 400
        and "Attach the Delegation of Disclosure Authority Letter" in refused.content.decode()
    )
    done = _client(dtsa).post(
        decide,
        {
            "status": "approved",
            "decision_date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile("ddl.pdf", b"%PDF-1.4 letter"),
        },
    )
    assert done.status_code == 302
    page = _client(program_office).get(url).content.decode()
    assert "Defense Technology Security Administration on" in page and "Approved" in page


def test_the_api_asks_and_decides(negotiation, program_office, dtsa, liaison):
    DdlDecision.objects.filter(agreement=negotiation).delete()
    base = f"/api/v1/agreements/{negotiation.pk}/ddl"
    assert token_client(program_office).get(f"{base}/").json()["status"] == DdlStatus.NOT_STARTED
    liaison_api = APIClient()  # no API token is issued to a liaison: the session it signs in with
    liaison_api.force_login(liaison)
    assert liaison_api.get(f"{base}/").status_code == 404  # an internal U.S. record
    assert token_client(program_office).post(f"{base}/request/", {}, format="json").status_code == 200
    forged = token_client(program_office).post(
        f"{base}/decision/", {"status": "approved", "decision_date": timezone.localdate().isoformat()}, format="json"
    )
    assert forged.status_code == 403 and "Only a disclosure office" in forged.json()["detail"]
    approved = token_client(dtsa).post(
        f"{base}/decision/",
        {
            "status": "approved",
            "decision_date": timezone.localdate().isoformat(),
            "file": SimpleUploadedFile("ddl.pdf", b"%PDF-1.4 letter"),
        },
        format="multipart",
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["deciding_office"] == "DTSA"


# --- releasing documents ---------------------------------------------------------------------------
def test_release_waits_for_the_ddl_at_every_door(negotiation, program_office, admin_user):
    agreement = negotiation
    DdlDecision.objects.filter(agreement=agreement).delete()
    sentence = NOT_APPROVED.format(ref=agreement.reference)
    # Service.
    with pytest.raises(ValidationError, match="The DDL of"):
        _upload(agreement, program_office, releasable=True)
    document = _upload(agreement, program_office)
    with pytest.raises(ValidationError, match="The DDL of"):
        services.document_update(document=document, user=program_office, releasable_to_partners=True)
    # Browser.
    browser = _client(program_office).post(
        reverse("document_update", args=[agreement.reference, document.pk]),
        {"marking": "CUI", "releasable_to_partners": "on"},
    )
    assert browser.status_code == 400 and sentence in browser.content.decode()
    upload = _client(program_office).post(
        reverse("document_upload", args=[agreement.reference]),
        {
            "kind": DocumentKind.OTHER,
            "marking": "CUI",
            "releasable_to_partners": "on",
            "file": SimpleUploadedFile("x.txt", b"x"),
        },
    )
    assert upload.status_code == 400 and sentence in upload.content.decode()
    # API.
    api = token_client(program_office).patch(
        f"/api/v1/documents/{document.pk}/", {"releasable_to_partners": True}, format="json"
    )
    assert api.status_code == 400 and sentence in str(api.json())
    # Admin (read-only for lifecycle records).
    admin = _client(admin_user).post(
        reverse("admin:agreements_document_change", args=[document.pk]),
        {
            "agreement": agreement.pk,
            "kind": DocumentKind.OTHER,
            "title": document.title,
            "marking": "CUI",
            "releasable_to_partners": "on",
            "original_name": document.original_name,
            "content_type": "",
        },
    )
    assert admin.status_code == 403  # documents are read-only in the admin: no door around the rule
    document.refresh_from_db()
    assert not document.releasable_to_partners and not Document.objects.filter(releasable_to_partners=True).exists()
    # Once approved, the same change goes through.
    factories.DdlDecisionFactory(agreement=agreement)
    services.document_update(document=document, user=program_office, releasable_to_partners=True)


def test_generated_internal_pdfs_are_never_releasable(make_agreement, program_office):
    agreement = make_agreement(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)  # DDL approved
    for kind in (DocumentKind.SSOI_PDF, DocumentKind.SUMMARY_PDF):
        with pytest.raises(ValidationError, match="never releasable"):
            _upload(agreement, program_office, kind=kind, releasable=True)
        document = _upload(agreement, program_office, kind=kind)
        with pytest.raises(ValidationError, match="never releasable"):
            services.document_update(document=document, user=program_office, releasable_to_partners=True)
        api = token_client(program_office).patch(
            f"/api/v1/documents/{document.pk}/", {"releasable_to_partners": True}, format="json"
        )
        assert api.status_code == 400 and INTERNAL_PDF in str(api.json())
        browser = _client(program_office).post(
            reverse("document_update", args=[agreement.reference, document.pk]),
            {"marking": "CUI", "releasable_to_partners": "on"},
        )
        assert browser.status_code == 400 and INTERNAL_PDF in browser.content.decode()


def test_liaisons_see_released_documents_only_while_the_ddl_stands(make_agreement, program_office, liaison, dtsa):
    agreement = make_agreement(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)
    released = agreement.documents.get(kind=DocumentKind.NEGOTIATED_TEXT, releasable_to_partners=True)
    api = APIClient()  # no API token is issued to a liaison: the session it signs in with
    api.force_login(liaison)
    assert [d["id"] for d in api.get("/api/v1/documents/").json()["results"]] == [released.pk]
    assert api.get(f"/api/v1/documents/{released.pk}/download/").status_code == 200
    # The disclosure office withdraws its approval: the document stays marked but is held back.
    services.ddl_decide(
        agreement=agreement,
        user=dtsa,
        status=DdlStatus.DENIED,
        decision_date=timezone.localdate(),
        comment="Approval withdrawn pending a new TS&FD review.",
    )
    assert api.get("/api/v1/documents/").json()["results"] == []
    assert api.get(f"/api/v1/documents/{released.pk}/download/").status_code == 404
    page = _client(liaison).get(reverse("agreement_documents", args=[agreement.reference])).content.decode()
    assert released.original_name not in page


def test_the_admin_cannot_edit_a_ddl_decision(make_agreement, admin_user):
    agreement = make_agreement(State.RFA_REVIEW)
    ddl = agreement.ddl
    client = _client(admin_user)
    assert client.get(reverse("admin:agreements_ddldecision_changelist")).status_code == 200
    client.post(reverse("admin:agreements_ddldecision_change", args=[ddl.pk]), {"status": "denied"})
    ddl.refresh_from_db()
    assert ddl.status == DdlStatus.APPROVED
    assert client.get(reverse("admin:agreements_ddldecision_add")).status_code == 403


def test_a_disclosure_officer_from_a_new_office(cast):
    office = CoordinatingOffice.objects.create(code="NAVYFD", name="Navy Foreign Disclosure", is_disclosure_office=True)
    user = user_create(
        username="navy_fd", role=Role.COORDINATOR, password="a-disclosure-officer-password", office_code=office.code
    )
    assert user.is_disclosure_officer


def test_the_disclosure_office_is_told_and_finds_its_pending_reviews(make_agreement, program_office, dtsa):
    from workflow.models import Notification

    agreement = make_agreement(State.NEGOTIATION, partners=("GBR",))
    DdlDecision.objects.filter(agreement=agreement).delete()
    Notification.objects.filter(kind="ddl_review_requested").delete()  # the demo's own request
    services.ddl_review_request(agreement=agreement, user=program_office)
    assert Notification.objects.filter(user=dtsa, kind="ddl_review_requested", agreement=agreement).count() == 1
    page = _client(dtsa).get(reverse("positions_due")).content.decode()
    assert "DDL / TS&amp;FD reviews awaiting" in page and agreement.reference in page
    services.ddl_decide(
        agreement=agreement,
        user=dtsa,
        status=DdlStatus.DENIED,
        decision_date=timezone.localdate(),
        comment="Release of the seeker data is not authorized.",
    )
    note = Notification.objects.get(user=program_office, kind="ddl_decided", agreement=agreement)
    assert "not approved by Defense Technology Security Administration" in note.message
    page = _client(dtsa).get(reverse("positions_due")).content.decode()
    assert agreement.reference not in page and "No DDL / TS&amp;FD review awaits a decision." in page
