"""Comparing two versions of a document, and two versions of the SSOI, side by side."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.choices import DocumentKind, State
from agreements.compare import side_by_side

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_side_by_side_marks_deleted_and_inserted_words():
    rows = side_by_side(
        "Article 1. Scope.\nThe Participants share <costs> equally.\nArticle 9. Old clause.",
        "Article 1. Scope.\nThe Participants share <costs> in proportion.\nArticle 10. New clause.",
    )
    assert [r.status for r in rows] == ["equal", "changed", "changed"]
    assert str(rows[1].old) == "The Participants share &lt;costs&gt; <del>equally.</del>"
    assert str(rows[1].new) == "The Participants share &lt;costs&gt; <ins>in proportion.</ins>"
    only_new = side_by_side("", "A new paragraph.")
    assert only_new[0].status == "inserted" and "<ins>A new paragraph.</ins>" in str(only_new[0].new)


def test_compare_two_document_versions(program_office, make_agreement, liaison):
    agreement = make_agreement(State.SSOI_DRAFTING, releasable_to_partners=True)
    for text in (b"Article 1.\nCosts are shared equally.", b"Article 1.\nCosts are shared in proportion."):
        services.document_upload(
            agreement=agreement,
            user=program_office,
            kind=DocumentKind.NEGOTIATED_TEXT,
            content=text,
            filename="text.txt",
            content_type="text/plain",
        )
    client = client_for(program_office)
    documents = client.get(reverse("agreement_documents", args=[agreement.reference])).content.decode()
    assert "Compare two versions side by side" in documents
    page = client.get(
        reverse("document_compare", args=[agreement.reference]), {"kind": DocumentKind.NEGOTIATED_TEXT}
    ).content.decode()
    assert "<del>equally.</del>" in page and "<ins>in proportion.</ins>" in page
    assert "1 paragraph changed, 0 deleted, 0 inserted" in page
    bad = client.get(reverse("document_compare", args=[agreement.reference]), {"a": "1", "b": "999999"})
    assert bad.status_code == 404
    assert client.get(reverse("document_compare", args=[agreement.reference]), {"a": "x"}).status_code == 200
    # Unreleased versions are not a liaison's to compare.
    hidden = client_for(liaison).get(
        reverse("document_compare", args=[agreement.reference]), {"kind": DocumentKind.NEGOTIATED_TEXT}
    )
    assert hidden.status_code == 200 and "in proportion" not in hidden.content.decode()


def test_compare_two_ssoi_versions(program_office, make_agreement, liaison):
    agreement = make_agreement(State.SSOI_DRAFTING, releasable_to_partners=True)
    services.ssoi_update(agreement=agreement, user=program_office, objectives="Reach TRL 5 by 2028.")
    services.ssoi_update(agreement=agreement, user=program_office, objectives="Reach TRL 6 by 2029.")
    client = client_for(program_office)
    page = client.get(reverse("ssoi_compare", args=[agreement.reference])).content.decode()
    assert "Objectives" in page and "<del>5</del>" in page and "<ins>6</ins>" in page
    assert "1 section changed" in page
    assert client_for(liaison).get(reverse("ssoi_compare", args=[agreement.reference])).status_code == 404
    assert client.get(reverse("ssoi_compare", args=[agreement.reference]), {"a": 1, "b": 2**40}).status_code == 404
