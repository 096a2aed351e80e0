"""The summary PDF and the overview agree on the entry-into-force date, and flag an effective date
after it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from workflow import pdf
from workflow.services import agreement_transition

pytestmark = pytest.mark.django_db


def _in_force_with_earlier_signatures(make_agreement, program_office, signed: dt.date):
    agreement = make_agreement(State.APPROVED)
    participant = agreement.participants.get()
    for party in (None, participant.pk):
        agreement_transition(
            agreement=agreement,
            name="record_signature",
            user=program_office,
            participant=party,
            signature_date=signed,
            signatory_name="Signatory",
        )
    agreement.refresh_from_db()
    assert agreement.state == State.IN_FORCE and agreement.entry_into_force_date == signed
    return agreement


def test_in_force_since_is_the_entry_into_force_date(make_agreement, program_office):
    signed = timezone.localdate() - dt.timedelta(days=20)  # recorded today, signed three weeks ago
    agreement = _in_force_with_earlier_signatures(make_agreement, program_office, signed)
    html = render_to_string("pdf/summary.html", pdf.summary_context(agreement))
    assert f"In force (since {signed:%Y-%m-%d}, its entry into force)" in html
    assert f"<td>{signed:%Y-%m-%d}</td>" in html  # the Entry into force row
    assert f"since {timezone.localdate():%Y-%m-%d}" not in html


def test_an_effective_date_after_entry_into_force_is_flagged(make_agreement, program_office, client_for):
    signed = timezone.localdate() - dt.timedelta(days=20)
    agreement = _in_force_with_earlier_signatures(make_agreement, program_office, signed)
    Agreement.objects.filter(pk=agreement.pk).update(effective_date=signed + dt.timedelta(days=5))
    agreement.refresh_from_db()
    html = render_to_string("pdf/summary.html", pdf.summary_context(agreement))
    assert f"Check: after the entry into force ({signed:%Y-%m-%d})" in html
    page = client_for(program_office).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert 'data-testid="effective-after-eif"' in page
    Agreement.objects.filter(pk=agreement.pk).update(effective_date=signed)
    agreement.refresh_from_db()
    assert "Check: after the entry into force" not in render_to_string(
        "pdf/summary.html", pdf.summary_context(agreement)
    )
