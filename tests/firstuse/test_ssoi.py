"""The SSOI page: one section saved at a time (htmx), the completeness bar, and the rule that a
deliberate confirmation of the SSOI after negotiation began counts for the RFA, at every door."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agreements import services
from agreements.choices import DocumentKind, State
from agreements.models import SSOI
from tests import factories
from workflow.exceptions import TransitionRefused
from workflow.services import agreement_transition

pytestmark = pytest.mark.django_db

NOT_REVIEWED = (
    "The SSOI has not been reviewed since negotiation began: update it, or confirm on the SSOI tab that it still holds."
)
HTMX = {"HTTP_HX_REQUEST": "true"}


def _ready_for_rfa(agreement, user):
    """Everything the RFA needs except the SSOI review."""
    services.document_upload(
        agreement=agreement, user=user, kind=DocumentKind.NEGOTIATED_TEXT, content=b"text", filename="text.txt"
    )
    factories.DdlDecisionFactory(agreement=agreement)
    # The SSOI's last save is before negotiation began (state_changed_at is later).
    SSOI.objects.filter(agreement=agreement).update(updated_at=agreement.state_changed_at - dt.timedelta(hours=1))
    agreement.refresh_from_db()


# --- the rule, through the service ---------------------------------------------------------------
def test_rfa_is_refused_until_the_ssoi_is_updated_or_confirmed(program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    _ready_for_rfa(agreement, program_office)
    with pytest.raises(TransitionRefused) as refused:
        agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert refused.value.reasons == [NOT_REVIEWED]

    ssoi = services.ssoi_confirm_reviewed(agreement=agreement, user=program_office)
    assert ssoi.reviewed_by == program_office and ssoi.reviewed_at >= agreement.state_changed_at
    agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert agreement.state == State.RFA_REVIEW


def test_an_edit_after_negotiation_began_counts_too(program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    _ready_for_rfa(agreement, program_office)
    services.ssoi_update(agreement=agreement, user=program_office, duration="Five years from signature.")
    agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert agreement.state == State.RFA_REVIEW


def test_a_confirmation_from_an_earlier_negotiation_does_not_count(program_office, reviewer, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    _ready_for_rfa(agreement, program_office)
    services.ssoi_confirm_reviewed(agreement=agreement, user=program_office)
    agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    agreement_transition(agreement=agreement, name="return_for_revision", user=reviewer, comment="Fix annex B.")
    assert agreement.state == State.NEGOTIATION
    SSOI.objects.filter(agreement=agreement).update(
        updated_at=timezone.now() - dt.timedelta(days=1), reviewed_at=timezone.now() - dt.timedelta(days=1)
    )
    agreement.refresh_from_db()
    with pytest.raises(TransitionRefused) as refused:
        agreement_transition(agreement=agreement, name="submit_rfa", user=program_office)
    assert NOT_REVIEWED in refused.value.reasons


def test_only_the_lead_program_office_confirms_and_only_in_negotiation(
    program_office, other_program_office, reviewer, make_agreement
):
    negotiation = make_agreement(State.NEGOTIATION)
    for user in (other_program_office, reviewer):
        with pytest.raises(PermissionDenied):
            services.ssoi_confirm_reviewed(agreement=negotiation, user=user)
    drafting = make_agreement(State.SSOI_DRAFTING)
    with pytest.raises(ValidationError, match="during negotiation"):
        services.ssoi_confirm_reviewed(agreement=drafting, user=program_office)
    assert SSOI.objects.get(agreement=negotiation).reviewed_at is None


# --- the API door --------------------------------------------------------------------------------
def test_api_confirms_the_review_and_refuses_others(api, program_office, reviewer, liaison, make_agreement):
    agreement = make_agreement(State.NEGOTIATION, releasable_to_partners=True)
    _ready_for_rfa(agreement, program_office)
    url = f"/api/v1/agreements/{agreement.pk}/ssoi/confirm-review/"
    assert api(reviewer).post(url).status_code == 403
    response = api(program_office).post(url)
    assert response.status_code == 200, response.content
    assert response.json()["reviewed_at"]
    run = api(program_office).post(
        f"/api/v1/agreements/{agreement.pk}/transitions/", {"name": "submit_rfa"}, format="json"
    )
    assert run.status_code == 200, run.content
    assert run.json()["target"] == State.RFA_REVIEW
    again = api(program_office).post(url)  # in RFA review the pen has passed
    assert again.status_code == 403 and "does not hold the pen" in again.content.decode()


# --- the browser door ----------------------------------------------------------------------------
def test_ssoi_page_says_what_to_do_and_the_button_unblocks_the_rfa(client_for, program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    _ready_for_rfa(agreement, program_office)
    client = client_for(program_office)
    overview = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    ssoi_url = reverse("agreement_ssoi", args=[agreement.reference])
    assert f'<a href="{ssoi_url}#ssoi-review">{NOT_REVIEWED}</a>' in overview
    page = client.get(ssoi_url).content.decode()
    assert "Before the RFA:" in page and "I reviewed the SSOI: it still holds" in page
    response = client.post(reverse("agreement_ssoi_confirm_review", args=[agreement.reference]))
    assert response.status_code == 302
    page = client.get(ssoi_url).content.decode()
    assert "Confirmed as reviewed on" in page and "it counts for the RFA" in page
    overview = client.get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert NOT_REVIEWED not in overview


def test_saving_an_unchanged_ssoi_says_nothing_changed(client_for, program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    client = client_for(program_office)
    url = reverse("agreement_ssoi", args=[agreement.reference])
    ssoi = agreement.ssoi
    data = {name: getattr(ssoi, name) for name in services.SSOI_FIELDS}
    response = client.post(url, data, follow=True)
    assert "Nothing changed in the SSOI." in response.content.decode()


def test_a_section_saves_alone_and_updates_the_bar(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    SSOI.objects.filter(agreement=agreement).update(objectives="", scope_of_work="")
    client = client_for(program_office)
    url = reverse("agreement_ssoi_section", args=[agreement.reference, "objectives"])
    before = SSOI.objects.get(agreement=agreement).completeness()[0]
    response = client.post(url, {"objectives": "Mature the seeker to TRL 6.", "scope_of_work": "ignored"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="section-badge-objectives"' in html and "✓ Complete" in html
    assert f"{before + 1} of" in html and 'id="ssoi-progress"' in html and "Saved at" in html
    ssoi = SSOI.objects.get(agreement=agreement)
    assert ssoi.objectives == "Mature the seeker to TRL 6." and ssoi.scope_of_work == ""  # other sections untouched

    again = client.post(url, {"objectives": "Mature the seeker to TRL 6."}, **HTMX)
    assert "Saved (no change)." in again.content.decode()

    # Without JavaScript the browser goes back to the section.
    plain = client.post(url, {"objectives": "Mature the seeker to TRL 7."})
    assert plain.status_code == 302 and plain["Location"].endswith("#section-objectives")


def test_a_section_save_is_refused_for_others_and_for_unknown_sections(
    client_for, program_office, reviewer, make_agreement
):
    agreement = make_agreement(State.SSOI_DRAFTING)
    url = reverse("agreement_ssoi_section", args=[agreement.reference, "objectives"])
    refused = client_for(reviewer).post(url, {"objectives": "Hostile"}, **HTMX)
    assert refused.status_code == 403
    assert "Only the program office" in refused.content.decode()
    assert SSOI.objects.get(agreement=agreement).objectives != "Hostile"
    unknown = reverse("agreement_ssoi_section", args=[agreement.reference, "no-such-section"])
    assert client_for(program_office).post(unknown, {"x": "y"}, **HTMX).status_code == 404
    assert client_for(program_office).get(url).status_code == 405
