"""Documents that grow with the portfolio stay within the render limit and readable: a large
register is written as compact lines, a long history is summarised in the agreement summary."""

from __future__ import annotations

import pytest
from django.utils import timezone

from agreements.choices import State
from tests.jobs.conftest import pdf_pages, pdf_text
from workflow import pdf, services
from workflow.models import CoordinationRound, PositionStatus, RenderKind, RenderStatus

pytestmark = pytest.mark.django_db


def test_a_large_register_is_written_as_compact_lines(make_agreement, reviewer, monkeypatch, settings):
    monkeypatch.setattr(pdf.contexts, "REGISTER_COMPACT_OVER", 1)
    first = make_agreement(State.IN_FORCE, partners=("GBR",), title="Compact register first")
    second = make_agreement(State.IN_FORCE, partners=("FRA", "DEU"), title="Compact register second")
    job = pdf.render_request(user=reviewer, kind=RenderKind.REGISTER, as_of=timezone.localdate())
    pdf.render_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY and job.params["count"] == 2
    text = pdf_text(job.file.open("rb").read())
    assert first.reference in text and "Compact register first" in text
    assert second.reference in text and "DEU, FRA" in text and "Multilateral agreements" in text
    assert text.count(settings.PORTAL_MARKING) >= 2 and "Page 1 of 1" in text


def test_a_long_history_is_summarised_in_the_summary(make_agreement, coordinator, monkeypatch):
    monkeypatch.setattr(pdf.contexts, "SUMMARY_TIMELINE_ROWS", 5)
    agreement = make_agreement(State.RAD_REVIEW)
    position = CoordinationRound.objects.current_for(agreement).positions.get(office=coordinator.coordinating_office)
    for number in range(8):
        services.coordination_position_record(
            position=position, user=coordinator, status=PositionStatus.COMMENT, comment=f"Note {number}"
        )
    context = pdf.summary_context(agreement)
    assert context["timeline_summarised"] and context["timeline_total"] >= 10
    grouped = [row for row in context["timeline"] if row.get("count", 0) > 1]
    assert grouped and grouped[0]["event"].endswith("×8")
    rendered = pdf.render_pdf(
        pdf.TEMPLATE[RenderKind.SUMMARY], context, pdf.Stamp(version=1, generated_at=timezone.now())
    )
    text = pdf_text(rendered.content)
    assert "Summarised" in text and "×8" in text
    assert pdf_pages(rendered.content) <= 3
