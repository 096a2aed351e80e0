"""Every view a partner liaison makes is logged, with the agreement and document it concerned."""

from __future__ import annotations

import pytest
from django.test import Client

from agreements import services
from agreements.choices import DocumentKind, State
from tests import factories
from workflow.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(make_agreement, program_office):
    agreement = make_agreement(State.NEGOTIATION, partners=("GBR",), releasable_to_partners=True)
    factories.DdlDecisionFactory(agreement=agreement)  # nothing is released before the DDL is approved
    document = services.document_upload(
        agreement=agreement,
        user=program_office,
        kind=DocumentKind.OTHER,
        content=b"released text",
        filename="released.txt",
        releasable_to_partners=True,
    )
    return agreement, document


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_liaison_page_api_and_download_views_are_logged(released, liaison):
    agreement, document = released
    client = _client(liaison)
    assert client.get(f"/agreements/{agreement.reference}/").status_code == 200
    assert client.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 200
    assert client.get(f"/api/v1/documents/{document.pk}/download/").status_code == 200
    logs = list(AccessLog.objects.filter(user=liaison).order_by("timestamp", "pk"))
    assert [(log.path, log.status_code, log.agreement_id) for log in logs] == [
        (f"/agreements/{agreement.reference}/", 200, agreement.pk),
        (f"/api/v1/agreements/{agreement.pk}/", 200, agreement.pk),
        (f"/api/v1/documents/{document.pk}/download/", 200, agreement.pk),
    ]
    assert logs[-1].document_id == document.pk and logs[0].request_id


def test_refused_liaison_requests_are_logged_too(make_agreement, liaison):
    hidden = make_agreement(State.NEGOTIATION, partners=("FRA",))
    assert _client(liaison).get(f"/agreements/{hidden.reference}/").status_code == 404
    log = AccessLog.objects.get(user=liaison)
    assert log.status_code == 404 and log.path == f"/agreements/{hidden.reference}/"


def test_dod_views_are_not_in_the_liaison_log(released, reviewer):
    agreement, _ = released
    assert _client(reviewer).get(f"/agreements/{agreement.reference}/").status_code == 200
    assert not AccessLog.objects.exists()
