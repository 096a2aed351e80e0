"""Global search: document text extracted at upload, ranking, highlighted snippets, the API, and a
partner liaison who never finds a hidden agreement or internal text."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.choices import DocumentKind, State
from agreements.text_extraction import extract_text
from tests import factories
from workflow import services as workflow_services
from workflow.search import search

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<html><body><h1>Project text</h1><p>{text}</p></body></html>").write_pdf()


def _docx(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document '
            'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            f"<w:p><w:r><w:t>Article 1.</w:t></w:r></w:p><w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def _upload(agreement, user, content: bytes, filename: str, releasable: bool = False, kind=DocumentKind.OTHER):
    return services.document_upload(
        agreement=agreement,
        user=user,
        kind=kind,
        content=content,
        filename=filename,
        releasable_to_partners=releasable,
    )


def test_text_is_extracted_from_pdf_docx_and_plain_text():
    assert "quasicrystal" in extract_text(_pdf("The quasicrystal lattice."), "text.pdf", "application/pdf")
    assert (
        extract_text(_docx("Heliostat arrays are shared."), "t.docx", "") == "Article 1.\nHeliostat arrays are shared."
    )
    assert extract_text(b"Plain words", "notes.txt", "text/plain") == "Plain words"
    assert extract_text(b"\x89PNG\r\n", "picture.png", "image/png") == ""
    assert extract_text(b"%PDF-1.4 broken", "broken.pdf", "application/pdf") == ""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr("word/document.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert extract_text(bomb.getvalue(), "evil.docx", "") == ""


@pytest.mark.parametrize("backend", ["postgresql", "fallback"])
def test_a_word_only_in_an_uploaded_pdf_is_found_and_a_title_match_ranks_first(
    backend, monkeypatch, program_office, reviewer, make_agreement
):
    if backend == "fallback":
        monkeypatch.setattr("workflow.search._full_text_available", lambda: False)
    in_pdf = make_agreement(State.NEGOTIATION, title="Cooperative radar research")
    in_title = make_agreement(title="Ornithopter flight demonstration")
    make_agreement(title="Unrelated undersea project")
    _upload(in_pdf, program_office, _pdf("Annex B covers the ornithopter wing trials."), "annex-b.pdf")
    hits = search(reviewer, "ornithopter")
    assert [h.agreement for h in hits] == [in_title, in_pdf]
    assert hits[0].source == "title" and hits[1].source == "document"
    assert "<mark>" in str(hits[1].snippet) and "ornithopter" in hits[1].snippet_text.lower()
    assert hits[1].source_label == "Other v1"


def test_ssoi_text_comments_partners_and_references_are_found(reviewer, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING, title="Sensor fusion", partners=("GBR", "AUS"))
    services.ssoi_update(agreement=agreement, user=program_office, objectives="Mature the photonic gyroscope.")
    other = make_agreement(State.RAD_REVIEW, title="Hypersonic materials")
    workflow_services.agreement_transition(
        agreement=other, name="return_for_revision", user=reviewer, comment="Clarify the tungsten supply chain."
    )
    assert [h.source for h in search(reviewer, "gyroscope")] == ["ssoi"]
    comment_hits = search(reviewer, "tungsten")
    assert [h.agreement for h in comment_hits] == [other] and comment_hits[0].source == "comment"
    assert agreement in [h.agreement for h in search(reviewer, "Australia")]
    assert search(reviewer, agreement.reference)[0].agreement == agreement


@pytest.mark.parametrize("backend", ["postgresql", "fallback"])
def test_common_words_never_match_partner_names_and_a_text_match_wins(
    backend, monkeypatch, program_office, reviewer, make_agreement
):
    """Common words never name a partner: "and" is inside Finland, Poland and the Netherlands,
    "or" inside Norway, and neither may rank those agreements above the document that holds the
    words searched for."""
    if backend == "fallback":
        monkeypatch.setattr("workflow.search._full_text_available", lambda: False)
    with_text = make_agreement(State.NEGOTIATION, title="Cooperative sensor research", partners=("GBR",))
    by_partner = {
        code: make_agreement(title=f"Materials study {n}", partners=(code,))
        for n, code in enumerate(("FIN", "POL", "NLD", "NOR"))
    }
    _upload(with_text, program_office, b"Annex C: test and evaluation of the radar.", "annex-c.txt")
    assert [h.agreement for h in search(reviewer, "test and evaluation")] == [with_text]
    assert [h.agreement for h in search(reviewer, "radar or sonar")] == [with_text]
    assert [(h.agreement, h.source) for h in search(reviewer, "Norway")] == [(by_partner["NOR"], "partner")]
    assert [h.agreement for h in search(reviewer, "NOR")] == [by_partner["NOR"]]
    assert [h.agreement for h in search(reviewer, "nor")] == [by_partner["NOR"]]  # one three-letter word: a code
    assert [h.agreement for h in search(reviewer, "finland")] == [by_partner["FIN"]]
    assert [h.agreement for h in search(reviewer, "nether")] == [by_partner["NLD"]]  # the start of a word


@pytest.mark.parametrize("backend", ["postgresql", "fallback"])
def test_phrases_alternatives_and_excluded_words(backend, monkeypatch, program_office, reviewer, make_agreement):
    if backend == "fallback":
        monkeypatch.setattr("workflow.search._full_text_available", lambda: False)
    phrase = make_agreement(title="Cooperative radar signal processing")
    words = make_agreement(title="Signal studies for cooperative radar")
    sonar = make_agreement(title="Sonar array calibration")
    assert [h.agreement for h in search(reviewer, '"radar signal"')] == [phrase]
    assert {h.agreement for h in search(reviewer, "radar signal")} == {phrase, words}
    assert {h.agreement for h in search(reviewer, "radar or sonar")} == {phrase, words, sonar}
    assert [h.agreement for h in search(reviewer, "radar -processing")] == [words]


def test_the_query_parser_reads_web_search_syntax():
    from workflow.search import parse_query

    parsed = parse_query('"Test  Plan" radar or -sonar the evaluation "unclosed')
    assert parsed.alternatives == [["test plan", "radar"], ["evaluation", "unclosed"]]
    assert parsed.excluded == ["sonar"]
    assert parse_query("or or").alternatives == []


def test_snippets_escape_what_users_typed(reviewer, make_agreement):
    make_agreement(title="<script>alert(1)</script> falconry pact")
    snippet = str(search(reviewer, "falconry")[0].snippet)
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "<mark>falconry</mark>" in snippet


def test_a_liaison_never_finds_a_hidden_agreement_or_internal_text(liaison, reviewer, program_office, make_agreement):
    released = make_agreement(State.NEGOTIATION, title="Released kestrel programme", releasable_to_partners=True)
    hidden = make_agreement(State.NEGOTIATION, title="Hidden kestrel programme", releasable_to_partners=False)
    french = make_agreement(
        State.NEGOTIATION, title="French kestrel programme", partners=("FRA",), releasable_to_partners=True
    )
    services.ssoi_update(agreement=released, user=program_office, objectives="Internal marmot objective.")
    services.agreement_update(agreement=released, user=program_office, internal_notes="marmot internal note")
    _upload(released, program_office, b"US-only marmot position paper", "position.txt", releasable=False)
    factories.DdlDecisionFactory(agreement=released)  # nothing is released to partners before the DDL is approved
    _upload(released, program_office, b"Released wombat annex", "annex.txt", releasable=True)
    for user_hits in (search(liaison, "kestrel"),):
        assert [h.agreement for h in user_hits] == [released]
    assert search(liaison, "marmot") == []
    assert [h.source for h in search(liaison, "wombat")] == ["document"]
    assert {h.agreement for h in search(reviewer, "kestrel")} == {released, hidden, french}
    assert [h.source for h in search(reviewer, "marmot")] in (["ssoi"], ["document"])

    api = client_for(liaison)
    body = api.get(reverse("api:search"), {"q": "kestrel marmot"}).json()
    assert body["results"] == []
    body = api.get(reverse("api:search"), {"q": "kestrel"}).json()
    assert [r["reference"] for r in body["results"]] == [released.reference]
    page = client_for(liaison).get(reverse("search"), {"q": "kestrel"}).content.decode()
    assert released.reference in page and hidden.reference not in page and french.reference not in page


def test_search_api_and_page(reviewer, make_agreement):
    agreement = make_agreement(title="Tiltrotor sustainment")
    client = client_for(reviewer)
    body = client.get(reverse("api:search"), {"q": "tiltrotor"}).json()
    assert body["count"] == 1
    result = body["results"][0]
    assert result["reference"] == agreement.reference and result["source"] == "title"
    assert "<mark>Tiltrotor</mark>" in result["snippet"]
    assert client.get(reverse("api:search")).status_code == 400
    assert client.get(reverse("api:search"), {"q": "x" * 201}).status_code == 400
    assert client.get(reverse("api:search"), {"q": "a", "limit": "many"}).status_code == 400
    assert Client().get(reverse("api:search"), {"q": "tiltrotor"}).status_code in (401, 403)
    page = client.get(reverse("search"), {"q": "tiltrotor"}).content.decode()
    assert "<mark>Tiltrotor</mark>" in page and 'data-testid="header-search"' in page
    assert "No agreement you may see matches" in client.get(reverse("search"), {"q": "zyzzyva"}).content.decode()


@pytest.mark.parametrize(
    ("table", "vector", "index"),
    [
        ("agreements_agreement a", "TITLE_VECTOR", "agreement_title_fts"),
        ("agreements_ssoi s", "SSOI_VECTOR", "ssoi_text_fts"),
        ("workflow_transitionlog t", "COMMENT_VECTOR", "transitionlog_comment_fts"),
        ("agreements_document d", "DOCUMENT_VECTOR", "document_text_fts"),
    ],
)
def test_full_text_queries_can_use_their_gin_index(table, vector, index):
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes exist on PostgreSQL only")
    from workflow import search as search_module

    expression = getattr(search_module, vector)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT 1 FROM {table} WHERE {expression} @@ websearch_to_tsquery('english'::regconfig, %s)",
            ["radar"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


@pytest.mark.parametrize("backend", ["postgresql", "fallback"])
def test_more_matches_than_a_page_are_paged_and_counted(backend, monkeypatch, reviewer, make_agreement):
    if backend == "fallback":
        monkeypatch.setattr("workflow.search._full_text_available", lambda: False)
    monkeypatch.setattr("workflow.views.search.RESULTS_SHOWN", 4)
    made = {make_agreement(title=f"Gyrocopter study {n}").reference for n in range(6)}
    client = client_for(reviewer)

    first = client.get(reverse("search"), {"q": "gyrocopter"}).content.decode()
    assert "6 agreements match “gyrocopter”: showing 1–4, best first." in first
    assert 'aria-label="Search result pages"' in first and "page=2" in first
    assert 'data-testid="search-refine"' not in first
    second = client.get(reverse("search"), {"q": "gyrocopter", "page": "2"}).content.decode()
    assert "showing 5–6" in second
    shown = {ref for ref in made if f'data-reference="{ref}"' in first} | {
        ref for ref in made if f'data-reference="{ref}"' in second
    }
    assert shown == made
    assert "showing 5–6" in client.get(reverse("search"), {"q": "gyrocopter", "page": "99"}).content.decode()

    body = client.get(reverse("api:search"), {"q": "gyrocopter", "limit": 4}).json()
    assert (body["count"], body["count_is_exact"], body["truncated"], body["next_offset"]) == (6, True, True, 4)
    rest = client.get(reverse("api:search"), {"q": "gyrocopter", "limit": 4, "offset": 4}).json()
    assert len(rest["results"]) == 2 and rest["next_offset"] is None
    assert {r["reference"] for r in body["results"] + rest["results"]} == made
    everything = client.get(reverse("api:search"), {"q": "gyrocopter"}).json()
    assert (everything["count"], everything["truncated"], everything["next_offset"]) == (6, False, None)
    assert client.get(reverse("api:search"), {"q": "gyrocopter", "offset": "-1"}).status_code == 400

    # A source read up to its cap: the count is a lower bound, and both doors ask to refine.
    monkeypatch.setattr("workflow.search.PER_SOURCE", 5)
    capped = client.get(reverse("api:search"), {"q": "gyrocopter"}).json()
    assert capped["count_is_exact"] is False and capped["truncated"] is True and capped["count"] == 5
    page = client.get(reverse("search"), {"q": "gyrocopter"}).content.decode()
    assert "More than 5 agreements match" in page and 'data-testid="search-refine"' in page


def test_the_ssoi_search_reads_every_ssoi_text_field():
    """The SSOI vector is spelled out to match its index; a new SSOI text field must join both."""
    from agreements.models import SSOI
    from workflow.search import SSOI_COLUMNS

    text_fields = [f.name for f in SSOI._meta.concrete_fields if f.get_internal_type() == "TextField"]
    assert list(SSOI_COLUMNS) == text_fields
