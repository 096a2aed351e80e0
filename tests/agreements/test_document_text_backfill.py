"""``manage.py documents_extract_text``: documents stored before text extraction existed get
their text, so search finds them; rows with text are left alone and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from agreements import services
from agreements.choices import DocumentKind, State
from agreements.models import Document
from workflow.search import search

pytestmark = pytest.mark.django_db


def _upload(agreement, user, content: bytes, filename: str) -> Document:
    return services.document_upload(
        agreement=agreement, user=user, kind=DocumentKind.OTHER, content=content, filename=filename
    )


def test_documents_without_text_get_it_once_and_become_searchable(program_office, reviewer, make_agreement):
    agreement = make_agreement(State.NEGOTIATION, title="Cooperative radar research")
    old = [
        _upload(agreement, program_office, f"Annex {n}: the pangolin trials.".encode(), f"a{n}.txt") for n in range(3)
    ]
    picture = _upload(agreement, program_office, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "picture.png")
    kept = _upload(agreement, program_office, b"Already extracted words.", "kept.txt")
    # As stored before migration 0006: no text.
    Document.objects.filter(pk__in=[d.pk for d in old]).update(text="")
    Document.objects.filter(pk=kept.pk).update(text="Text set by hand")
    assert search(reviewer, "pangolin") == []

    out = io.StringIO()
    call_command("documents_extract_text", "--batch", "2", stdout=out)
    assert "Text extracted for 3 document(s); 1 had no readable text" in out.getvalue()
    texts = dict(Document.objects.values_list("pk", "text"))
    assert all("pangolin trials" in texts[d.pk] for d in old)
    assert texts[picture.pk] == "" and texts[kept.pk] == "Text set by hand"
    hits = search(reviewer, "pangolin")
    assert [(h.agreement, h.source) for h in hits] == [(agreement, "document")]

    again = io.StringIO()
    call_command("documents_extract_text", stdout=again)
    assert "Text extracted for 0 document(s); 1 had no readable text" in again.getvalue()
    assert dict(Document.objects.values_list("pk", "text")) == texts


def test_a_missing_file_is_reported_and_skipped(program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    document = _upload(agreement, program_office, b"Words of a lost file.", "lost.txt")
    Document.objects.filter(pk=document.pk).update(text="")
    document.file.storage.delete(document.file.name)
    out, err = io.StringIO(), io.StringIO()
    call_command("documents_extract_text", stdout=out, stderr=err)
    assert "1 file(s) could not be opened" in out.getvalue()
    assert f"Document {document.pk}" in err.getvalue()
    assert Document.objects.get(pk=document.pk).text == ""
