"""Every page type renders for the roles that may see it, and refuses the others."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from agreements.choices import State

pytestmark = pytest.mark.django_db

TABS = [
    "agreement_detail",
    "agreement_ssoi",
    "agreement_participants",
    "agreement_documents",
    "agreement_coordination",
    "agreement_history",
]


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("program_office", "agreement_list"),
        ("reviewer", "review_queue"),
        ("coordinator", "positions_due"),
        ("liaison", "liaison_dashboard"),
        ("admin_user", "dashboard"),
    ],
)
def test_home_sends_each_role_to_its_landing_page(request, client_for, role, landing):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(landing)


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("agreement_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"Sign in to ICP Portal" in page.content


def test_every_page_carries_marking_user_and_role(client_for, program_office, settings):
    settings.PORTAL_MARKING = "CUI//TEST-MARKING"
    response = client_for(program_office).get(reverse("agreement_list"))
    html = response.content.decode()
    assert html.count("CUI//TEST-MARKING") == 2  # top and bottom
    assert "Pat Morgan" in html
    assert "Program office · Department of the Army" in html
    assert reverse("agreement_create") in html  # navigation fits the role
    assert reverse("review_queue") not in html


@pytest.mark.parametrize("state", [State.SSOI_DRAFTING, State.RAD_REVIEW, State.IN_FORCE])
@pytest.mark.parametrize("role", ["program_office", "reviewer", "coordinator", "admin_user"])
def test_agreement_tabs_render_for_dod_roles(request, client_for, make_agreement, state, role):
    agreement = make_agreement(state, releasable_to_partners=True)
    client = client_for(request.getfixturevalue(role))
    for name in TABS:
        response = client.get(reverse(name, kwargs={"reference": agreement.reference}))
        assert response.status_code == 200, (name, response.status_code)
        assert agreement.reference in response.content.decode()


def test_liaison_sees_overview_and_documents_only(client_for, liaison, make_agreement):
    agreement = make_agreement(State.NEGOTIATION, releasable_to_partners=True)
    client = client_for(liaison)
    for name in ("agreement_detail", "agreement_documents"):
        assert client.get(reverse(name, kwargs={"reference": agreement.reference})).status_code == 200
    for name in ("agreement_ssoi", "agreement_participants", "agreement_coordination", "agreement_history"):
        assert client.get(reverse(name, kwargs={"reference": agreement.reference})).status_code == 404
    action = reverse("agreement_transition", kwargs={"reference": agreement.reference, "name": "withdraw"})
    assert client.post(action, {"comment": "x"}).status_code == 404


def test_liaison_cannot_open_an_agreement_not_released(client_for, liaison, other_liaison, make_agreement):
    hidden = make_agreement(State.PROPOSAL, releasable_to_partners=False)
    released_to_gbr = make_agreement(State.PROPOSAL, releasable_to_partners=True)
    assert client_for(liaison).get(reverse("agreement_detail", args=[hidden.reference])).status_code == 404
    assert (
        client_for(other_liaison).get(reverse("agreement_detail", args=[released_to_gbr.reference])).status_code == 404
    )


@pytest.mark.parametrize(
    ("url_name", "allowed", "refused"),
    [
        ("agreement_list", ["program_office", "reviewer", "coordinator", "liaison", "admin_user"], []),
        ("agreement_create", ["program_office"], ["reviewer", "coordinator", "liaison", "admin_user"]),
        ("review_queue", ["reviewer", "admin_user"], ["program_office", "coordinator", "liaison"]),
        ("positions_due", ["coordinator"], ["program_office", "reviewer", "liaison", "admin_user"]),
        ("dashboard", ["program_office", "reviewer", "coordinator", "admin_user"], []),
        ("liaison_dashboard", ["liaison"], ["program_office", "reviewer", "coordinator", "admin_user"]),
    ],
)
def test_role_pages(request, client_for, make_agreement, url_name, allowed, refused):
    make_agreement(State.RAD_REVIEW, releasable_to_partners=True)
    for role in allowed:
        response = client_for(request.getfixturevalue(role)).get(reverse(url_name))
        assert response.status_code == 200, (role, response.status_code)
    for role in refused:
        response = client_for(request.getfixturevalue(role)).get(reverse(url_name))
        assert response.status_code == 403, (role, response.status_code)
        assert "You may not do this" in response.content.decode()


def test_dashboard_liaison_is_redirected(client_for, liaison):
    response = client_for(liaison).get(reverse("dashboard"))
    assert response.status_code == 302 and response.url == reverse("liaison_dashboard")


def test_empty_lists_say_what_to_do_next(client_for, program_office, reviewer, coordinator, liaison):
    assert "Start a new proposal" in client_for(program_office).get(reverse("agreement_list")).content.decode()
    assert "Nothing awaits your review" in client_for(reviewer).get(reverse("review_queue")).content.decode()
    assert "No position is due" in client_for(coordinator).get(reverse("positions_due")).content.decode()
    assert "No agreement has been released" in client_for(liaison).get(reverse("liaison_dashboard")).content.decode()


def test_pages_have_no_inline_script_or_handlers(client_for, program_office, make_agreement):
    agreement = make_agreement(State.SSOI_DRAFTING)
    client = client_for(program_office)
    for url in (
        reverse("agreement_list"),
        reverse("agreement_create"),
        reverse("dashboard"),
        reverse("agreement_participants", args=[agreement.reference]),
        reverse("agreement_detail", args=[agreement.reference]),
    ):
        html = client.get(url).content.decode()
        # Only external scripts, and JSON data islands (json_script), which never execute.
        assert not re.search(r'<script(?![^>]*\b(src=|type="application/json"))[^>]*>', html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert " style=" not in html, url


def test_stepper_shows_stage_and_days(client_for, program_office, make_agreement):
    agreement = make_agreement(State.NEGOTIATION)
    html = client_for(program_office).get(reverse("agreement_detail", args=[agreement.reference])).content.decode()
    assert 'aria-current="step"' in html
    current = html.split('aria-current="step"')[1][:400]
    assert "Negotiation" in current and "less than a day" in current
    assert html.count("usa-step-indicator__segment--complete") == 3


def test_history_shows_transitions_and_field_changes(client_for, program_office, make_agreement):
    from agreements import services

    agreement = make_agreement(State.SSOI_DRAFTING)
    services.agreement_update(agreement=agreement, user=program_office, title="A renamed cooperative project")
    html = client_for(program_office).get(reverse("agreement_history", args=[agreement.reference])).content.decode()
    assert "Start the SSOI" in html and "Proposal → SSOI drafting" in html
    assert "A renamed cooperative project" in html and "Record edited" in html
