"""Nothing slow under the agreement row lock: an uploaded document, a DDL letter and a rendered PDF
are written to storage (an S3 PUT in production) and their words read before the agreement is
locked, and a file whose row is then refused or superseded is deleted again."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.db import connection, connections, transaction
from django.utils import timezone

from agreements import services
from agreements.choices import DdlStatus, DocumentKind, State
from agreements.models import Agreement, Document
from agreements.services import documents as document_services
from workflow import demo, pdf
from workflow.models import RenderJob, RenderKind, RenderStatus
from workflow.services import render_job_request

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _row_locked_elsewhere(agreement_id: int) -> bool:
    """Whether another connection finds the agreement row locked (NOWAIT)."""
    seen: list[bool] = []

    def try_lock() -> None:
        try:
            with transaction.atomic():
                Agreement.objects.select_for_update(nowait=True).get(pk=agreement_id)
            seen.append(False)
        except Exception:  # LockNotAvailable: someone holds the row
            seen.append(True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join(10)
    return seen == [True]


@pytest.fixture
def slow_steps(settings, tmp_path, monkeypatch):
    """Spies on the two slow steps: what each saw of locks and transactions when it ran, once the
    test names its agreement (setting one up uploads documents too)."""
    settings.MEDIA_ROOT = str(tmp_path)
    seen: list[dict] = []
    state: dict = {"agreement_id": None, "during_extraction": None}
    real_save, real_extract = FileSystemStorage.save, document_services.extract_text

    def save(storage, name, content, max_length=None):
        if name.startswith("agreements/") and state["agreement_id"]:  # armed: the test's own step
            seen.append(
                {
                    "step": "storage save",
                    "locked": _row_locked_elsewhere(state["agreement_id"]),
                    "in_transaction": connection.in_atomic_block,
                }
            )
        return real_save(storage, name, content, max_length=max_length)

    def extract_text(content, filename, content_type):
        if state["agreement_id"]:
            seen.append(
                {
                    "step": "extract_text",
                    "locked": _row_locked_elsewhere(state["agreement_id"]),
                    "in_transaction": connection.in_atomic_block,
                }
            )
        if state["during_extraction"]:
            state["during_extraction"]()
        return real_extract(content, filename, content_type)

    monkeypatch.setattr(FileSystemStorage, "save", save)
    monkeypatch.setattr(document_services, "extract_text", extract_text)
    return {"seen": seen, "state": state, "media": Path(tmp_path)}


def _files(media: Path, agreement: Agreement, kind: str) -> set[str]:
    folder = media / "agreements" / agreement.reference / kind
    return {str(p.relative_to(media)) for p in folder.iterdir()} if folder.exists() else set()


def _outside_any_lock(seen: list[dict]) -> None:
    assert {entry["step"] for entry in seen} == {"storage save", "extract_text"}, seen
    assert all(entry["locked"] is False for entry in seen), seen
    assert all(entry["in_transaction"] is False for entry in seen), seen


def test_an_upload_is_stored_and_read_before_the_agreement_is_locked(make_agreement, program_office, slow_steps):
    agreement = make_agreement()
    slow_steps["state"]["agreement_id"] = agreement.pk
    document = services.document_upload(
        agreement=agreement, user=program_office, kind=DocumentKind.DRAFT_TEXT, content=PDF, filename="draft.pdf"
    )
    _outside_any_lock(slow_steps["seen"])
    assert document.version == 1 and document.file.read() == PDF
    assert _files(slow_steps["media"], agreement, DocumentKind.DRAFT_TEXT) == {document.file.name}


def test_an_upload_refused_under_the_lock_leaves_no_file(make_agreement, program_office, slow_steps):
    agreement = make_agreement()
    slow_steps["state"]["agreement_id"] = agreement.pk

    def withdrawn_meanwhile():  # another request withdraws the agreement while the file is stored
        Agreement.objects.filter(pk=agreement.pk).update(state=State.WITHDRAWN)

    slow_steps["state"]["during_extraction"] = withdrawn_meanwhile
    with pytest.raises(PermissionDenied):
        services.document_upload(
            agreement=agreement, user=program_office, kind=DocumentKind.DRAFT_TEXT, content=PDF, filename="draft.pdf"
        )
    assert [entry["step"] for entry in slow_steps["seen"]] == ["extract_text", "storage save"]  # it was stored…
    assert not Document.objects.filter(agreement=agreement).exists()
    assert _files(slow_steps["media"], agreement, DocumentKind.DRAFT_TEXT) == set()  # …and deleted again


def test_a_refusal_before_the_lock_stores_nothing(make_agreement, program_office, other_program_office, slow_steps):
    agreement = make_agreement()
    slow_steps["state"]["agreement_id"] = agreement.pk
    with pytest.raises(PermissionDenied):
        services.document_upload(
            agreement=agreement, user=other_program_office, kind=DocumentKind.DRAFT_TEXT, content=PDF, filename="x.pdf"
        )
    assert slow_steps["seen"] == []  # not even read
    assert _files(slow_steps["media"], agreement, DocumentKind.DRAFT_TEXT) == set()


def test_a_ddl_letter_is_stored_before_the_agreement_is_locked(make_agreement, cast, slow_steps):
    agreement = make_agreement(State.NEGOTIATION)
    slow_steps["state"]["agreement_id"] = agreement.pk
    dtsa = demo.disclosure_officer()
    decided = services.ddl_decide(
        agreement=agreement,
        user=dtsa,
        status=DdlStatus.APPROVED,
        decision_date=timezone.localdate(),
        content=PDF,
        filename="ddl.pdf",
    )
    _outside_any_lock(slow_steps["seen"])
    assert decided.document.kind == DocumentKind.DDL and decided.document.file.read() == PDF
    assert _files(slow_steps["media"], agreement, DocumentKind.DDL) == {decided.document.file.name}


def test_a_render_stores_its_pdf_before_the_agreement_is_locked(make_agreement, program_office, slow_steps):
    agreement = make_agreement(State.SSOI_DRAFTING)
    slow_steps["state"]["agreement_id"] = agreement.pk
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    pdf.render_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    _outside_any_lock(slow_steps["seen"])
    assert _files(slow_steps["media"], agreement, DocumentKind.SSOI_PDF) == {job.document.file.name}


def test_a_render_superseded_while_it_rendered_leaves_only_the_kept_files(
    make_agreement, program_office, slow_steps, monkeypatch
):
    agreement = make_agreement(State.SSOI_DRAFTING)
    slow_steps["state"]["agreement_id"] = agreement.pk
    job = render_job_request(kind=RenderKind.SSOI, agreement=agreement, user=program_office)
    real = pdf.rendering.html_to_pdf
    calls = []

    def html_to_pdf(html, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # a person uploads an SSOI PDF while the first render runs
            services.document_upload(
                agreement=agreement,
                user=None,
                kind=DocumentKind.SSOI_PDF,
                content=PDF,
                filename="mine.pdf",
                check_permission=False,
            )
        return real(html, **kwargs)

    monkeypatch.setattr(pdf.rendering, "html_to_pdf", html_to_pdf)
    pdf.render_job_run(job_id=job.pk)
    job = RenderJob.objects.select_related("document").get(pk=job.pk)
    assert job.status == RenderStatus.READY and job.document.version == 2 and len(calls) == 2
    kept = {d.file.name for d in Document.objects.filter(agreement=agreement, kind=DocumentKind.SSOI_PDF)}
    assert len(kept) == 2
    assert _files(slow_steps["media"], agreement, DocumentKind.SSOI_PDF) == kept  # the stale v1 render is gone


def test_a_storage_failure_while_deleting_never_hides_the_refusal(
    make_agreement, program_office, slow_steps, monkeypatch, caplog
):
    agreement = make_agreement()
    slow_steps["state"]["agreement_id"] = agreement.pk
    slow_steps["state"]["during_extraction"] = lambda: Agreement.objects.filter(pk=agreement.pk).update(
        state=State.WITHDRAWN
    )

    def delete(storage, name):
        raise OSError("the bucket is unreachable")

    monkeypatch.setattr(FileSystemStorage, "delete", delete)
    with pytest.raises(PermissionDenied):  # the person sees why the upload was refused
        services.document_upload(
            agreement=agreement, user=program_office, kind=DocumentKind.DRAFT_TEXT, content=PDF, filename="draft.pdf"
        )
    assert "Could not delete the unused document file" in caplog.text
