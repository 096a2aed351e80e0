"""A partner liaison never receives internal notes, coordination positions, transition comments
or US-only documents: not in any page's HTML, not in exports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from agreements import services as agreement_services
from agreements.choices import DocumentKind, State
from tests import factories
from workflow import services
from workflow.models import CoordinationRound, PositionStatus

pytestmark = pytest.mark.django_db

PLANTED = {
    "note": "PLANTED-INTERNAL-NOTE-7731",
    "position": "PLANTED-POSITION-COMMENT-4412",
    "return": "PLANTED-RETURN-COMMENT-9902",
    "us_doc": "PLANTED-US-ONLY-DOCUMENT-5520",
}
RELEASED_DOC = "Released negotiated text 1184"


@pytest.fixture
def planted(make_agreement, program_office, reviewer, coordinator):
    agreement = make_agreement(State.RAD_REVIEW, releasable_to_partners=True, internal_notes=PLANTED["note"])
    round_ = CoordinationRound.objects.current_for(agreement)
    position = round_.positions.get(office=coordinator.coordinating_office)
    services.coordination_position_record(
        position=position, user=coordinator, status=PositionStatus.COMMENT, comment=PLANTED["position"]
    )
    services.agreement_transition(
        agreement=agreement, name="return_for_revision", user=reviewer, comment=PLANTED["return"]
    )
    agreement_services.document_upload(
        agreement=agreement,
        user=program_office,
        kind=DocumentKind.OTHER,
        content=b"us only",
        filename="internal.txt",
        title=PLANTED["us_doc"],
    )
    factories.approve_ddl(agreement)  # nothing is released before the DDL is approved
    agreement_services.document_upload(
        agreement=agreement,
        user=program_office,
        kind=DocumentKind.NEGOTIATED_TEXT,
        content=b"released",
        filename="text.txt",
        title=RELEASED_DOC,
        releasable_to_partners=True,
    )
    return agreement


def _assert_clean(text: str, where: str) -> None:
    for label, value in PLANTED.items():
        assert value not in text, f"{label} leaked into {where}"


def test_dod_user_sees_what_was_planted(client_for, program_office, planted):
    """The planted strings do reach DoD pages, so their absence below means something."""
    client = client_for(program_office)
    overview = client.get(reverse("agreement_detail", args=[planted.reference])).content.decode()
    history = client.get(reverse("agreement_history", args=[planted.reference])).content.decode()
    coordination = client.get(reverse("agreement_coordination", args=[planted.reference])).content.decode()
    documents = client.get(reverse("agreement_documents", args=[planted.reference])).content.decode()
    assert PLANTED["note"] in overview
    assert PLANTED["return"] in history
    assert PLANTED["position"] in coordination
    assert PLANTED["us_doc"] in documents
    assert PLANTED["note"] in client.get(reverse("agreement_export", args=["csv"]) + "?scope=all").getvalue().decode(
        "utf-8-sig"
    )


def test_liaison_pages_hold_none_of_it(client_for, liaison, planted):
    client = client_for(liaison)
    pages = [
        reverse("liaison_dashboard"),
        reverse("agreement_list"),
        reverse("agreement_detail", args=[planted.reference]),
        reverse("agreement_documents", args=[planted.reference]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        _assert_clean(html, url)
        assert planted.reference in html
    documents = client.get(reverse("agreement_documents", args=[planted.reference])).content.decode()
    assert RELEASED_DOC in documents
    detail = client.get(reverse("agreement_detail", args=[planted.reference])).content.decode()
    assert (
        "Edit the record" not in detail
        and "What can be done now" not in detail
        and '<form method="post"' not in detail.split("Sign out")[1]
    )


def test_liaison_exports_hold_none_of_it(client_for, liaison, planted):
    client = client_for(liaison)
    csv_text = client.get(reverse("agreement_export", args=["csv"])).getvalue().decode("utf-8-sig")
    assert planted.reference in csv_text
    _assert_clean(csv_text, "CSV export")
    assert "internal notes" not in csv_text.lower()
    xlsx = client.get(reverse("agreement_export", args=["xlsx"])).getvalue()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert planted.reference in cells
    _assert_clean(cells, "XLSX export")


def test_liaison_cannot_download_us_only_document(client_for, liaison, planted):
    us_only = planted.documents.get(title=PLANTED["us_doc"])
    released = planted.documents.get(title=RELEASED_DOC)
    client = client_for(liaison)
    assert client.get(reverse("document_download", args=[planted.reference, us_only.pk])).status_code == 404
    response = client.get(reverse("document_download", args=[planted.reference, released.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"released"
