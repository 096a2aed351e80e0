"""The security log: what is recorded, that it holds no secret, and that administrators can read
and export it."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements import services
from agreements.choices import DocumentKind, State
from icp_portal.security.models import EventKind, Outcome, SecurityEvent
from partners.services import api_token_create
from tests.api.conftest import token_client
from tests.conftest import PASSWORD

from .conftest import events, sign_in

pytestmark = pytest.mark.django_db


def _attach(agreement, user, *, releasable=False):
    return services.document_upload(
        agreement=agreement,
        user=user,
        kind=DocumentKind.DRAFT_TEXT,
        content=b"%PDF-1.4 text",
        filename="text.pdf",
        releasable_to_partners=releasable,
    )


def test_every_document_download_is_logged(client, make_agreement, program_office, liaison, settings):
    settings.API_TOKENS_FOR_LIAISONS = True
    agreement = make_agreement(State.NEGOTIATION, releasable_to_partners=True)
    internal = _attach(agreement, program_office)
    client.force_login(program_office)
    client.get(f"/agreements/{agreement.reference}/documents/{internal.pk}/download/", HTTP_X_REQUEST_ID="req-42")
    token_client(program_office).get(f"/api/v1/documents/{internal.pk}/download/")
    liaison_client = client.__class__()
    liaison_client.force_login(liaison)
    assert liaison_client.get(f"/agreements/{agreement.reference}/documents/{internal.pk}/download/").status_code == 404
    downloads = list(events(EventKind.DOCUMENT_DOWNLOAD).order_by("at", "pk"))
    assert [(e.username, e.outcome) for e in downloads] == [
        ("program_office", Outcome.SUCCESS),
        ("program_office", Outcome.SUCCESS),
        ("liaison", Outcome.FAILURE),
    ]
    first = downloads[0]
    assert first.request_id == "req-42" and first.client_address == "127.0.0.1"
    assert f"document {internal.pk}: {agreement.reference} draft_text v{internal.version}" == first.target
    assert first.at.utcoffset().total_seconds() == 0


def test_a_refusal_is_logged_with_user_address_and_path(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/admin/", REMOTE_ADDR="192.0.2.80")
    assert response.status_code in (302, 403)
    client.post("/agreements/new/", {}, REMOTE_ADDR="192.0.2.80")
    refused = events(EventKind.PERMISSION_REFUSED)
    assert refused.exists()
    event = refused.first()
    assert event.user == reviewer and event.client_address == "192.0.2.80" and event.path == "/agreements/new/"


def test_no_password_token_or_session_id_is_ever_logged(client, program_office):
    _, key = api_token_create(user=program_office, name="script")
    sign_in(client, "program_office", "wrong-password-here")
    sign_in(client, "program_office", PASSWORD)
    session_key = client.session.session_key
    token_client(program_office).get("/api/v1/me/")
    client.get("/admin/")
    client.post("/accounts/logout/")
    secrets = [PASSWORD, "wrong-password-here", key, session_key]
    for event in SecurityEvent.objects.all():
        row = " ".join(str(value) for value in event.__dict__.values())
        for secret in secrets:
            assert secret not in row


def test_administrators_read_filter_and_export_the_log(client, admin_user, program_office):
    sign_in(client, "program_office", "wrong-password-here", REMOTE_ADDR="198.51.100.9")
    sign_in(client, "=cmd|' /C calc'!A0", "wrong-password-here")
    admin = client.__class__()
    admin.force_login(admin_user)
    listing = admin.get("/admin/security/securityevent/?kind__exact=sign_in").content.decode()
    assert "198.51.100.9" in listing and "Export as CSV" in listing
    assert admin.get("/admin/security/securityevent/add/").status_code == 403
    export = admin.get("/admin/security/securityevent/export/?kind__exact=sign_in&outcome__exact=failure")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export["Content-Disposition"].startswith('attachment; filename="icp-portal-security-log-')
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:5] == ["time_utc", "event", "outcome", "user", "client_address"]
    assert {row[3] for row in rows[1:]} == {"program_office", "'=cmd|' /C calc'!A0"}
    assert all(row[0].endswith("Z") and row[2] == "failure" for row in rows[1:])


def test_others_cannot_read_the_log(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/admin/security/securityevent/export/").status_code in (302, 403)
    assert client.get("/admin/security/securityevent/").status_code in (302, 403)


def test_an_upload_refusal_leaves_nothing_half_saved(client, make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client.force_login(program_office)
    client.post(
        f"/agreements/{agreement.reference}/documents/upload/",
        {
            "kind": DocumentKind.DRAFT_TEXT,
            "marking": "CUI",
            "file": SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
        },
    )
    assert not agreement.documents.exists()
