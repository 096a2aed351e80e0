"""Each change on an agreement's tabs has its own route (no hidden ``action`` field), the
deletions ask first through one confirm view, and the list page draws its filters and sort
options from ``AgreementFilterSet``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementKind, DocumentKind, LegalAuthority, State
from agreements.filters import AgreementFilterSet
from partners.models import Partner
from workflow.models import CoordinationRound

pytestmark = pytest.mark.django_db


def test_participants_tab_routes_and_the_confirm_view(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    ref = agreement.reference
    html = client.get(reverse("agreement_participants", args=[ref])).content.decode()
    assert 'name="action"' not in html and reverse("contribution_add", args=[ref]) in html
    participant = agreement.participants.get()
    added = client.post(
        reverse("contribution_add", args=[ref]),
        {"participant": participant.pk, "kind": "financial", "description": "Share", "amount_usd": "10"},
    )
    assert added.status_code == 302
    contribution = participant.contributions.get()
    url = reverse("contribution_delete", args=[ref, contribution.pk])
    assert client.get(reverse("contribution_add", args=[ref])).status_code == 405
    for ask in (client.get(url), client.post(url)):
        assert ask.status_code == 200 and "Are you sure?" in ask.content.decode()
        assert f'action="{url}"' in ask.content.decode()
    assert participant.contributions.exists()
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert not participant.contributions.exists()
    assert client.post(url, {"confirmed": "yes"}).status_code == 404
    france = Partner.objects.get(code="FRA")
    assert client.post(reverse("participant_add", args=[ref]), {"partner": france.pk}).status_code == 302
    added = agreement.participants.get(partner=france)
    update = client.post(
        reverse("participant_update", args=[ref, added.pk]),
        {f"p{added.pk}-role": "participant", f"p{added.pk}-signatory_name": "J. Dupont"},
    )
    assert update.status_code == 302
    remove = reverse("participant_remove", args=[ref, added.pk])
    assert "France" in client.post(remove).content.decode()
    assert client.post(remove, {"confirmed": "yes"}).status_code == 302
    assert not agreement.participants.filter(partner=france).exists()


def test_a_liaison_gets_none_of_the_participant_routes(client_for, liaison, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    contribution_url = reverse("contribution_add", args=[agreement.reference])
    assert client_for(liaison).post(contribution_url, {}).status_code == 404


def test_documents_tab_routes(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    ref = agreement.reference
    upload = client.post(
        reverse("document_upload", args=[ref]),
        {"kind": DocumentKind.DRAFT_TEXT, "marking": "CUI", "file": SimpleUploadedFile("draft.txt", b"text")},
    )
    assert upload.status_code == 302
    document = agreement.documents.get()
    html = client.get(reverse("agreement_documents", args=[ref])).content.decode()
    assert 'name="action"' not in html and reverse("document_withdraw", args=[ref, document.pk]) in html
    refused = client.post(reverse("document_withdraw", args=[ref, document.pk]), {"reason": " "})
    assert refused.status_code == 400
    assert client.post(reverse("document_withdraw", args=[ref, 0]), {"reason": "x"}).status_code == 404
    done = client.post(reverse("document_withdraw", args=[ref, document.pk]), {"reason": "Wrong file."})
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.withdrawn_at is not None


def test_coordination_tab_routes(client_for, reviewer, make_agreement):
    agreement = make_agreement(
        State.RFA_REVIEW, kind=AgreementKind.SYSTEM_LEVEL, phase="production", authority="aeca_27"
    )
    client = client_for(reviewer)
    ref = agreement.reference
    html = client.get(reverse("agreement_coordination", args=[ref])).content.decode()
    assert 'name="action"' not in html and reverse("congressional_notice", args=[ref]) in html
    round_ = CoordinationRound.objects.current_for(agreement)
    keep = list(round_.positions.values_list("office_id", flat=True))[:2]
    assert client.post(reverse("coordination_offices", args=[ref]), {"offices": keep}).status_code == 302
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    bad = client.post(reverse("congressional_notice", args=[ref]), {"notice_date": future})
    assert bad.status_code == 400 and "The notice date cannot be in the future." in bad.content.decode()


def test_the_list_page_draws_its_filters_and_sort_options_from_the_filterset(
    client_for, program_office, liaison, make_agreement
):
    make_agreement(State.IN_FORCE)
    html = client_for(program_office).get(reverse("agreement_list"), {"authority": "usc_2350a"}).content.decode()
    for value, _label in LegalAuthority.choices:
        assert f'name="authority" value="{value}"' in html
    assert 'value="usc_2350a" checked' in html
    for value, label in AgreementFilterSet.SORT_OPTIONS:
        assert f'<option value="{value}"' in html and label in html
    liaison_html = client_for(liaison).get(reverse("agreement_list")).content.decode()
    assert 'name="status"' in liaison_html and 'name="state"' not in liaison_html
    assert 'name="organization"' not in liaison_html and "Recently changed" not in liaison_html
