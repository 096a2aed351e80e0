"""A document whose file storage has lost is a 404 at every download door, never a 500, and the
failed download is in the security log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agreements.choices import DocumentKind, State
from icp_portal.security.models import EventKind, Outcome, SecurityEvent
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost_document(make_agreement):
    agreement = make_agreement(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)
    document = agreement.documents.get(kind=DocumentKind.NEGOTIATED_TEXT)
    document.file.storage.delete(document.file.name)
    return document


def _failures(document) -> int:
    return SecurityEvent.objects.filter(
        kind=EventKind.DOCUMENT_DOWNLOAD, outcome=Outcome.FAILURE, detail="missing from storage"
    ).count()


def test_the_browser_download_of_a_lost_file_is_a_404(lost_document, program_office):
    client = Client()
    client.force_login(program_office)
    url = reverse("document_download", args=[lost_document.agreement.reference, lost_document.pk])
    assert client.get(url).status_code == 404
    assert _failures(lost_document) == 1


def test_the_api_download_of_a_lost_file_is_a_404(lost_document, program_office):
    response = token_client(program_office).get(f"/api/v1/documents/{lost_document.pk}/download/")
    assert response.status_code == 404 and "missing from storage" in response.json()["detail"]
    assert _failures(lost_document) == 1
