"""The agreement page after first use: the return banner, reasons that link to their fix, the
submission summary, and the proposal form's kind-dependent fields and errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements import services
from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import SSOI, Agreement
from partners.models import CoordinatingOffice, Partner
from tests import factories
from workflow.services import agreement_transition

pytestmark = pytest.mark.django_db


def test_a_return_shows_on_the_overview_and_in_the_list_until_resubmitted(
    client_for, program_office, reviewer, liaison, make_agreement
):
    agreement = make_agreement(State.RAD_REVIEW, releasable_to_partners=True)
    agreement_transition(
        agreement=agreement, name="return_for_revision", user=reviewer, comment="Rework the cost-share rationale."
    )
    client = client_for(program_office)
    overview = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    name = reviewer.get_full_name() or reviewer.username
    assert f"Returned by {name} on" in overview and "Rework the cost-share rationale." in overview
    listing = client.get(reverse("agreement_list")).content.decode()
    assert 'data-testid="returned-in-list"' in listing and "Rework the cost-share rationale." in listing

    # A liaison never learns of a U.S. return.
    liaison_page = client_for(liaison).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert "Returned by" not in liaison_page and "cost-share" not in liaison_page

    agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    overview = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert "Returned by" not in overview
    assert 'data-testid="returned-in-list"' not in client.get(reverse("agreement_list")).content.decode()


def test_the_list_finds_returns_in_a_fixed_number_of_queries(
    client_for, program_office, reviewer, make_agreement, django_assert_max_num_queries
):
    from django.core.cache import cache

    client = client_for(program_office)
    make_agreement(State.SSOI_DRAFTING)
    client.get(reverse("agreement_list"))
    cache.clear()  # both measured pages count their agreements afresh (the count is cached)
    with django_assert_max_num_queries(20) as one:
        client.get(reverse("agreement_list"))
    for _ in range(4):
        returned = make_agreement(State.RAD_REVIEW)
        agreement_transition(agreement=returned, name="return_for_revision", user=reviewer, comment="Again.")
    cache.clear()
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(reverse("agreement_list")).content.decode()
    assert html.count('data-testid="returned-in-list"') == 4


def test_each_reason_links_to_the_tab_and_field_that_fixes_it(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    factories.fill_ssoi(agreement, program_office)
    SSOI.objects.filter(agreement=agreement).update(objectives="")
    html = client_for(program_office).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    ref = agreement.reference
    assert f'href="/agreements/{ref}/ssoi/#section-objectives">The SSOI section “Objectives” is empty.</a>' in html
    assert f'href="/agreements/{ref}/documents/?kind=draft_text#upload-document">No draft text is attached.</a>' in html


def test_submitting_the_rad_shows_what_will_be_sent(client_for, program_office, make_agreement, cast):
    agreement = make_agreement(State.SSOI_DRAFTING)
    factories.fill_ssoi(agreement, program_office)

    services.document_upload(
        agreement=agreement, user=program_office, kind=DocumentKind.DRAFT_TEXT, content=b"d", filename="draft-v1.txt"
    )
    for p in agreement.participants.all():
        services.contribution_add(participant=p, user=program_office, description="Share", amount_usd=10)
    client = client_for(program_office)
    html = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert 'data-dialog="dialog-submit_rad"' in html and 'data-testid="submission-summary"' in html
    assert "sections complete" in html and "draft-v1.txt" in html
    for office in CoordinatingOffice.objects.filter(coordinates_by_default=True, active=True):
        assert office.name in html
    page = client.get(reverse("agreement_transition", args=[agreement.reference, "submit_rad"])).content.decode()
    assert "Check what will be sent" in page and "Coordinating offices" in page


def test_proposal_form_shows_every_error_at_once(client_for, program_office):
    gbr = Partner.objects.get(code="GBR")
    data = {
        "kind": AgreementKind.PROJECT_ARRANGEMENT,
        "partners": [gbr.pk],
        "title": "",
        "effective_date": "2027-01-01",
        "expiration_date": "2026-01-01",
        "phase": "development",  # not a system-level agreement: ignored, not an error
    }
    response = client_for(program_office).post(reverse("agreement_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html  # title (form)
    assert "A project arrangement needs its master agreement." in html  # model
    assert "The expiration date must come after the effective date." in html  # model
    assert "Only a system-level agreement has a phase." not in html
    assert Agreement.objects.filter(title="").count() == 0


def test_proposal_parents_say_which_kinds_they_may_parent(client_for, program_office, make_agreement):
    master = make_agreement(State.IN_FORCE)
    loan = make_agreement(State.IN_FORCE, kind=AgreementKind.SECTION_65_LOAN, partners=("GBR",))
    html = client_for(program_office).get(reverse("agreement_create")).content.decode()
    assert f'value="{master.pk}" data-parent-for="project_arrangement amendment"' in html
    assert f'value="{loan.pk}" data-parent-for="amendment"' in html
    assert 'data-kinds="system_level"' in html and "data-partner-search" in html
