"""The PDFs, rendered by a real Celery worker (subprocess) from jobs relayed through the outbox
to Redis: their text shows the content, the marking, the page numbers and, before signature, the
DRAFT watermark. Re-rendering unchanged content reuses the document."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.urls import reverse

from agreements import services as agreement_services
from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Document
from tests.conftest import PASSWORD
from workflow.models import RenderJob, RenderKind, RenderStatus
from workflow.services import render_job_request

from .conftest import pdf_pages, pdf_text, wait_for_job, write_sample

pytestmark = pytest.mark.django_db(transaction=True)


def _document_bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_submitting_the_rad_renders_the_ssoi_pdf(make_agreement, start_worker, program_office):
    worker = start_worker()
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR", "FRA"), title="Hypersonic Test Bed Cooperation")

    job = RenderJob.objects.get(agreement=agreement, kind=RenderKind.SSOI)  # queued by submit_rad
    wait_for_job(job, worker=worker)

    document = Document.objects.get(agreement=agreement, kind=DocumentKind.SSOI_PDF)
    content = _document_bytes(document)
    assert job.document == document and document.version == 1
    assert document.sha256 == hashlib.sha256(content).hexdigest() == job.sha256
    assert document.content_type == "application/pdf" and not document.releasable_to_partners
    text = pdf_text(content)
    pages = pdf_pages(content)
    for expected in (
        "Summary Statement of Intent",
        "Hypersonic Test Bed Cooperation",
        agreement.reference,
        "United Kingdom",
        "France",
        "10 USC 2350a",
        "Objectives",
        "Mature and jointly evaluate",
        "Financial contributions",
        "Share",
        "DDL / TS&FD status",
        "In TS&FD review",
        "Duration",
        "Five years from entry into force",
        f"{agreement.reference} · Version 1 · Generated",
        f"Page 1 of {pages}",
        f"Page {pages} of {pages}",
    ):
        assert expected in text, expected
    # Contributions: the United States 5,000,000, the UK 4,000,000 and France 5,500,000 → 34.5 %,
    # 27.6 % and 37.9 % of 14,500,000 (the United States is a participant too).
    assert "34.5 %" in text and "27.6 %" in text and "37.9 %" in text
    assert "14,500,000.00" in text and "All participants, the United States included" in text
    # The marking banner at the top and bottom of every page, and the DRAFT watermark.
    for page in text.split("\n"):
        assert page.count("CUI") >= 2, page[:200]
        assert "DRAFT" in page
    write_sample("ssoi", content)


def test_section_65_ssoi_lists_the_loan_items(make_agreement, start_worker):
    worker = start_worker()
    agreement = make_agreement(State.RAD_REVIEW, kind=AgreementKind.SECTION_65_LOAN, partners=("GBR",))
    job = wait_for_job(RenderJob.objects.get(agreement=agreement, kind=RenderKind.SSOI), worker=worker)
    text = pdf_text(_document_bytes(job.document))
    assert "Section 65 loan" in text
    assert "Loan list" in text and "Prototype sensor suite" in text
    assert "2,500,000.00" in text  # 2 × 1,250,000
    assert "Return terms" in text and "NATO / MNNA confirmation" in text
    assert "Financial contributions" not in text


def test_entry_into_force_renders_the_summary_without_watermark(make_agreement, start_worker):
    worker = start_worker()
    agreement = make_agreement(State.IN_FORCE, partners=("GBR",), title="Counter-UAS Sensor Fusion MOU")
    job = wait_for_job(RenderJob.objects.get(agreement=agreement, kind=RenderKind.SUMMARY), worker=worker)

    content = _document_bytes(job.document)
    text = pdf_text(content)
    assert job.document.kind == DocumentKind.SUMMARY_PDF
    for expected in (
        "Agreement summary",
        "Counter-UAS Sensor Fusion MOU",
        "Participants and signatures",
        "Under Secretary of Defense (A&S)",
        "Minister of Defence, United Kingdom",
        "Lifecycle timeline",
        "Submit for authority to negotiate (RAD)",
        "Authorize negotiation",
        "Record a signature",
        "Signing → In force",
        "Obligations",
        "Text to the State Department treaty office",
        "Monthly report to Congress",
        "CUI",
        "Page 1 of",
    ):
        assert expected in text, expected
    assert "DRAFT" not in text
    write_sample("summary", content)


def test_rerendering_unchanged_content_reuses_the_document(make_agreement, start_worker, program_office, client):
    worker = start_worker()
    agreement = make_agreement(State.SSOI_DRAFTING)
    first = wait_for_job(
        render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office), worker=worker
    )
    client.login(username=program_office.username, password=PASSWORD)
    response = client.post(reverse("render_request", args=[agreement.reference, "ssoi"]))
    assert response.status_code == 302
    second = wait_for_job(RenderJob.objects.exclude(pk=first.pk).get(agreement=agreement), worker=worker)

    assert second.document == first.document
    assert second.params["reused"] is True
    assert second.params["content_digest"] == first.params["content_digest"]
    assert Document.objects.filter(agreement=agreement, kind=DocumentKind.SSOI_PDF).count() == 1

    agreement_services.ssoi_update(agreement=agreement, user=program_office, objectives="A changed objective.")
    third = wait_for_job(
        render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office), worker=worker
    )
    assert third.document.version == 2 and third.params["reused"] is False
    assert "A changed objective." in pdf_text(_document_bytes(third.document))
    assert "Version 2" in pdf_text(_document_bytes(third.document))


def test_register_for_dod_users_and_the_liaisons_releasable_variant(
    make_agreement, start_worker, reviewer, liaison, client
):
    worker = start_worker()
    gbr_released = make_agreement(
        State.IN_FORCE, partners=("GBR",), title="Released UK Agreement", releasable_to_partners=True
    )
    make_agreement(State.IN_FORCE, partners=("GBR",), title="Internal UK Agreement")
    make_agreement(State.IN_FORCE, partners=("FRA",), title="French Agreement", releasable_to_partners=True)
    make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), title="Trilateral Agreement", releasable_to_partners=True)
    make_agreement(
        State.NEGOTIATION, partners=("GBR",), title="Agreement Still Negotiated", releasable_to_partners=True
    )

    def register_text(user) -> str:
        client.force_login(user)
        response = client.post(reverse("register_pdf"), {"as_of": dt.date.today().isoformat()})
        assert response.status_code == 302, response.content[:500]
        job = wait_for_job(
            RenderJob.objects.filter(kind=RenderKind.REGISTER, requested_by=user).latest("created_at"), worker=worker
        )
        download = client.get(reverse("render_download", args=[job.pk]))
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
        return pdf_text(b"".join(download.streaming_content)), job

    dod_text, dod_job = register_text(reviewer)
    for title in ("Released UK Agreement", "Internal UK Agreement", "French Agreement", "Trilateral Agreement"):
        assert title in dod_text
    assert "Agreement Still Negotiated" not in dod_text
    assert "United Kingdom" in dod_text and "France" in dod_text and "Multilateral agreements" in dod_text
    assert "For DoD use" in dod_text and "CUI" in dod_text and "DRAFT" not in dod_text

    liaison_text, liaison_job = register_text(liaison)
    assert "releasable to United Kingdom" in liaison_text
    assert "Released UK Agreement" in liaison_text and "Trilateral Agreement" in liaison_text
    for hidden in ("Internal UK Agreement", "French Agreement", "Agreement Still Negotiated", "For DoD use"):
        assert hidden not in liaison_text
    assert liaison_job.params["variant"] == "releasable" and dod_job.params["variant"] == "dod"
    assert gbr_released.reference in liaison_text

    # A register belongs to whoever asked for it.
    client.force_login(reviewer)
    assert client.get(reverse("render_download", args=[liaison_job.pk])).status_code == 404

    if dod_job and liaison_job:
        with dod_job.file.open("rb") as handle:
            write_sample("register", handle.read())
        with liaison_job.file.open("rb") as handle:
            write_sample("register-releasable", handle.read())


def test_an_earlier_date_shows_what_was_in_force_then(make_agreement, start_worker, reviewer, client):
    worker = start_worker()
    agreement = make_agreement(State.IN_FORCE, partners=("GBR",), title="Recently Concluded Agreement")
    client.force_login(reviewer)
    before = (agreement.entry_into_force_date - dt.timedelta(days=1)).isoformat()
    assert client.post(reverse("register_pdf"), {"as_of": before}).status_code == 302
    job = wait_for_job(RenderJob.objects.get(kind=RenderKind.REGISTER), worker=worker)
    with job.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Recently Concluded Agreement" not in text
    assert "No agreement was in force" in text
    assert job.params["count"] == 0 and job.status == RenderStatus.READY
    assert Decimal(1)  # keep Decimal import used for money assertions elsewhere
