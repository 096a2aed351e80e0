"""Uploads are typed by their content; downloads are attachments with a safe type (ASVS 12.x)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from agreements import services
from agreements.choices import DocumentKind, State
from agreements.models import Document
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "Contribution"
    workbook.save(buffer)
    return buffer.getvalue()


DOCX = _zip(
    {
        "[Content_Types].xml": b'<Types><Override PartName="/word/document.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": b"<w:document/>",
    }
)
XLSM = _zip(
    {
        "[Content_Types].xml": b'<Types><Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        "xl/workbook.xml": b"<workbook/>",
        "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0",
    }
)


def upload(agreement, user, content: bytes, filename: str, content_type: str = "application/octet-stream"):
    return services.document_upload(
        agreement=agreement,
        user=user,
        kind=DocumentKind.DRAFT_TEXT,
        content=content,
        filename=filename,
        content_type=content_type,
    )


@pytest.fixture
def drafting(make_agreement):
    return make_agreement(State.SSOI_DRAFTING)


@pytest.mark.parametrize(
    ("content", "filename", "stored_type"),
    [
        (PDF, "draft.pdf", "application/pdf"),
        (PNG, "chart.png", "image/png"),
        (JPEG, "photo.jpg", "image/jpeg"),
        (DOCX, "text.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (_xlsx(), "costs.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("Plain notes — UTF-8.\n".encode(), "notes.txt", "text/plain"),
    ],
)
def test_accepted_types_are_stored_with_the_detected_type(drafting, program_office, content, filename, stored_type):
    document = upload(drafting, program_office, content, filename, content_type="text/html")
    assert document.content_type == stored_type


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (HTML, "draft.pdf", "not accepted"),
        (b"Just words, no markup.", "draft.pdf", "its content is plain text"),
        (HTML, "page.html", "not accepted"),
        (SVG, "logo.svg", "not accepted"),
        (EXE, "setup.exe", "not accepted"),
        (EXE, "innocent.pdf", "not accepted"),
        (XLSM, "macro.xlsm", "macros"),
        (XLSM, "macro.xlsx", "macros"),
        (PDF, "draft.docx", "its content is PDF"),
        (b"plain text", "notes", "without an extension"),
    ],
)
def test_refused_uploads(drafting, program_office, content, filename, message):
    with pytest.raises(ValidationError, match=message):
        upload(drafting, program_office, content, filename, content_type="application/pdf")
    assert not Document.objects.filter(agreement=drafting).exists()


def test_an_html_file_renamed_pdf_is_refused_in_the_browser(client, drafting, program_office):
    client.force_login(program_office)
    response = client.post(
        f"/agreements/{drafting.reference}/documents/upload/",
        {
            "kind": DocumentKind.DRAFT_TEXT,
            "marking": "CUI",
            "file": SimpleUploadedFile("draft.pdf", HTML, content_type="application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "This kind of file is not accepted" in response.content.decode()
    assert not Document.objects.filter(agreement=drafting).exists()


def test_an_html_file_renamed_pdf_is_refused_by_the_api(drafting, program_office):
    response = token_client(program_office).post(
        "/api/v1/documents/",
        {
            "agreement": drafting.pk,
            "kind": DocumentKind.DRAFT_TEXT,
            "file": SimpleUploadedFile("draft.pdf", HTML, content_type="application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_the_accepted_types_are_configurable(drafting, program_office, settings):
    settings.UPLOAD_ALLOWED_TYPES = ["pdf"]
    with pytest.raises(ValidationError, match="Upload one of: PDF."):
        upload(drafting, program_office, b"notes", "notes.txt")
    assert upload(drafting, program_office, PDF, "draft.pdf").content_type == "application/pdf"


def test_downloads_are_attachments_with_a_safe_type(client, drafting, program_office):
    document = upload(drafting, program_office, PDF, "draft.pdf")
    legacy = upload(drafting, program_office, b"old notes", "old.txt")
    Document.objects.filter(pk=legacy.pk).update(content_type="text/html")  # stored before the check
    client.force_login(program_office)
    response = client.get(f"/agreements/{drafting.reference}/documents/{document.pk}/download/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    old = client.get(f"/agreements/{drafting.reference}/documents/{legacy.pk}/download/")
    assert old["Content-Type"] == "application/octet-stream"
    assert old["Content-Disposition"].startswith("attachment;")
