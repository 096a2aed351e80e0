"""Nothing twice: an API write replayed with one Idempotency-Key, and a browser form submitted
twice, each make one record and answer with it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import AgreementKind, ContributionKind, State
from agreements.models import Agreement
from partners.models import Partner
from tests.api.conftest import token_client
from workflow.models import FormSubmission, IdempotencyRecord

pytestmark = pytest.mark.django_db

PROPOSAL = {"kind": "master", "title": "Replayed proposal", "partners": ["GBR"], "authority": "usc_2350a"}


def test_replays_with_one_key_make_one_agreement_and_return_the_first_response(program_office):
    api = token_client(program_office)
    first = api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert first.status_code == 201
    for _ in range(5):
        again = api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
    assert Agreement.objects.filter(title="Replayed proposal").count() == 1


def test_the_same_key_with_a_different_body_is_a_422(program_office):
    api = token_client(program_office)
    assert api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    other = api.post("/api/v1/agreements/", {**PROPOSAL, "title": "Another"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Agreement.objects.filter(title="Another").exists()


def test_keys_are_scoped_per_user(program_office, other_program_office):
    first = token_client(program_office).post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="x")
    second = token_client(other_program_office).post(
        "/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_patch_and_transitions_honour_the_key(program_office, make_agreement):
    from agreements.choices import State

    agreement = make_agreement(State.PROPOSAL)
    api = token_client(program_office)
    url = f"/api/v1/agreements/{agreement.pk}/"
    for _ in range(2):
        response = api.patch(url, {"short_title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="patch-1")
        assert response.status_code == 200 and response.json()["short_title"] == "Once"
    history = agreement.history.count() if hasattr(agreement, "history") else None
    api.patch(url, {"short_title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="patch-1")
    if history is not None:
        assert agreement.history.count() == history  # a replay writes nothing


def test_an_invalid_key_is_a_400_and_a_refusal_is_replayed_as_it_was(program_office):
    api = token_client(program_office)
    bad = api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert bad.status_code == 400
    refused = {"kind": "master", "partners": ["GBR"]}
    first = api.post("/api/v1/agreements/", refused, format="json", HTTP_IDEMPOTENCY_KEY="r")
    again = api.post("/api/v1/agreements/", refused, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert first.status_code == again.status_code == 400 and first.json() == again.json()


def test_expired_keys_are_forgotten(program_office):
    from icp_portal.idempotency import idempotency_records_expire

    api = token_client(program_office)
    api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    assert idempotency_records_expire() == 1
    again = api.post("/api/v1/agreements/", PROPOSAL, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again


def _proposal_form(token: str) -> dict:
    return {
        "kind": AgreementKind.MASTER,
        "partners": [Partner.objects.get(code="GBR").pk],
        "authority": "usc_2350a",
        "title": "Double-submitted proposal",
        "effective_date": "2027-01-01",
        "expiration_date": "2037-01-01",
        "form_token": token,
    }


def test_a_form_submitted_five_times_makes_one_record_and_shows_it(program_office):
    client = Client()
    client.force_login(program_office)
    token = "f" * 32
    responses = [client.post(reverse("agreement_create"), _proposal_form(token)) for _ in range(5)]
    agreement = Agreement.objects.get(title="Double-submitted proposal")
    detail = reverse("agreement_detail", args=[agreement.reference])
    assert all(r.status_code == 302 and r.url == detail for r in responses)
    page = client.get(detail)
    assert "This form was already submitted; here is what it saved." in page.content.decode()
    assert FormSubmission.objects.get(token=token).redirect_to == detail


def test_a_form_with_errors_keeps_its_token_usable(program_office):
    client = Client()
    client.force_login(program_office)
    token = "e" * 32
    refused = client.post(reverse("agreement_create"), {**_proposal_form(token), "title": ""})
    assert refused.status_code == 400 and not FormSubmission.objects.exists()
    fixed = client.post(reverse("agreement_create"), _proposal_form(token))
    assert fixed.status_code == 302
    assert Agreement.objects.filter(title="Double-submitted proposal").count() == 1


def test_pages_load_the_script_that_adds_the_token(program_office):
    client = Client()
    client.force_login(program_office)
    html = client.get(reverse("agreement_create")).content.decode()
    assert "js/portal.js" in html
    # That the script gives each POST form its token is proven in the browser
    # (tests/browser/test_double_submit.py); that it names the field the middleware reads, by
    # `make lint` (scripts/check_repo.py).


def _rendered_token(html: str, action: str) -> str:
    """The ``form_token`` the server rendered into the POST form that posts to ``action``."""
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.DOTALL):
        if f'action="{action}"' in form.split(">", 1)[0] or (not action and "action=" not in form.split(">", 1)[0]):
            token = re.search(r'name="form_token" value="([^"]+)"', form)
            assert token, f"the form posting to {action or 'its page'} carries no form_token without JavaScript"
            return token[1]
    raise AssertionError(f"no form posts to {action!r}")


def test_without_javascript_a_double_submitted_proposal_makes_one_record(program_office):
    client = Client()
    client.force_login(program_office)
    page = client.get(reverse("agreement_create")).content.decode()
    token = _rendered_token(page, "")
    assert token != _rendered_token(client.get(reverse("agreement_create")).content.decode(), "")
    first, second = (client.post(reverse("agreement_create"), _proposal_form(token)) for _ in range(2))
    agreement = Agreement.objects.get(title="Double-submitted proposal")
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("agreement_detail", args=[agreement.reference])
    assert FormSubmission.objects.get(token=token).redirect_to == first.url


def test_without_javascript_a_double_submitted_contribution_makes_one(program_office, make_agreement):
    agreement = make_agreement(State.PROPOSAL)
    client = Client()
    client.force_login(program_office)
    action = reverse("contribution_add", args=[agreement.reference])
    page = client.get(reverse("agreement_participants", args=[agreement.reference])).content.decode()
    data = {
        "participant": "us",
        "kind": ContributionKind.FINANCIAL,
        "description": "U.S. funds",
        "amount_usd": "10.00",
        "form_token": _rendered_token(page, action),
    }
    assert [client.post(action, data).status_code for _ in range(2)] == [302, 302]
    assert agreement.contributions.filter(description="U.S. funds").count() == 1


def test_the_forms_that_create_records_carry_a_server_rendered_token(program_office, make_agreement):
    agreement = make_agreement(State.PROPOSAL)
    client = Client()
    client.force_login(program_office)
    pages = {
        reverse("agreement_participants", args=[agreement.reference]): [
            reverse("contribution_add", args=[agreement.reference]),
            reverse("participant_add", args=[agreement.reference]),
        ],
        reverse("agreement_documents", args=[agreement.reference]): [
            reverse("document_upload", args=[agreement.reference])
        ],
        reverse("profile"): [reverse("api-token-create"), reverse("calendar_feed_create")],
        reverse("agreement_list"): [reverse("saved_view_create")],
    }
    for page, actions in pages.items():
        html = client.get(page).content.decode()
        for action in actions:
            assert re.fullmatch(r"[0-9a-f]{32}", _rendered_token(html, action)), (page, action)
