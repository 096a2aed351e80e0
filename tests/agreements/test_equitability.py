"""The United States is a participant too: it has its own financial and in-kind contributions,
and the equitability shares are over every participant, adding up to 100 %."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from agreements import services
from agreements.choices import ContributionKind, State
from agreements.selectors import equitability_table
from tests.api.conftest import token_client
from workflow.exceptions import TransitionRefused
from workflow.services import agreement_transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _liaison_api_tokens(settings):
    """The API door is tried for liaisons too, as on a deployment that issues them tokens."""
    settings.API_TOKENS_FOR_LIAISONS = True


def _contribute(agreement, user, amount, participant=None, kind=ContributionKind.FINANCIAL):
    return services.contribution_add(
        agreement=agreement,
        participant=participant,
        user=user,
        description="Share",
        amount_usd=Decimal(amount),
        kind=kind,
        valuation_basis="Labour at burdened rates" if kind == ContributionKind.NON_FINANCIAL else "",
    )


def test_the_united_states_row_comes_first_and_shares_add_up_to_100(make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING, partners=("GBR", "FRA"))
    uk, france = agreement.participants.get(partner__code="GBR"), agreement.participants.get(partner__code="FRA")
    _contribute(agreement, program_office, 100)
    _contribute(agreement, program_office, 50, kind=ContributionKind.NON_FINANCIAL)
    _contribute(agreement, program_office, 150, participant=uk)
    _contribute(agreement, program_office, 150, participant=france)
    rows = equitability_table(agreement)
    assert [r["name"] for r in rows] == ["United States", "United Kingdom", "France"] or [r["name"] for r in rows] == [
        "United States",
        "France",
        "United Kingdom",
    ]
    us = rows[0]
    assert us["is_united_states"] and us["financial"] == 100 and us["in_kind"] == 50 and us["total"] == 150
    # Three equal thirds: 33.3 + 33.3 + 33.4, never 99.9.
    assert sorted(r["share"] for r in rows) == [Decimal("33.3"), Decimal("33.3"), Decimal("33.4")]
    assert sum(r["share"] for r in rows) == Decimal("100.0")


def test_a_foreign_partner_alone_no_longer_shows_100_percent(make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING, partners=("GBR",))
    _contribute(agreement, program_office, 300)
    _contribute(agreement, program_office, 100, participant=agreement.participants.get())
    shares = {r["code"]: r["share"] for r in equitability_table(agreement)}
    assert shares == {"USA": Decimal("75.0"), "GBR": Decimal("25.0")}


def test_only_the_lead_program_office_enters_us_contributions(make_agreement, other_program_office, make_client):
    agreement = make_agreement(State.SSOI_DRAFTING)
    with pytest.raises(PermissionDenied):
        _contribute(agreement, other_program_office, 10)
    with pytest.raises(ValidationError, match="Say which agreement"):
        services.contribution_add(user=agreement.action_officer, description="x", amount_usd=Decimal(1))


def test_submit_rad_needs_the_us_contribution(make_agreement, program_office):
    agreement = make_agreement(State.SSOI_DRAFTING)
    with pytest.raises(TransitionRefused) as refused:
        agreement_transition(agreement=agreement, name="submit_rad", user=program_office)
    assert "No contribution is entered for the United States." in refused.value.reasons


def test_the_participants_tab_and_api_show_the_united_states(make_agreement, program_office, make_client):
    agreement = make_agreement(State.RAD_REVIEW, partners=("GBR",))  # the demo enters 5.0 M and 4.0 M
    html = make_client(program_office).get(reverse("agreement_participants", args=[agreement.reference]))
    text = html.content.decode()
    assert "United States" in text and "55.6 %" in text and "44.4 %" in text
    chart = json.loads(text.split('id="share-chart-data" type="application/json">')[1].split("</script>")[0])
    assert chart["labels"][0] == "United States"
    rows = token_client(program_office).get(f"/api/v1/agreements/{agreement.pk}/equitability/").json()
    assert rows[0] == {
        "participant": None,
        "partner": "USA",
        "partner_name": "United States",
        "united_states": True,
        "financial": "5000000.00",
        "in_kind": "0.00",
        "total": "5000000.00",
        "share": "55.6",
    }


def test_the_browser_adds_a_us_contribution(make_agreement, program_office, make_client):
    agreement = make_agreement(State.SSOI_DRAFTING)
    response = make_client(program_office).post(
        reverse("contribution_add", args=[agreement.reference]),
        {
            "participant": "us",
            "kind": "financial",
            "description": "US",
            "amount_usd": "7",
        },
    )
    assert response.status_code == 302
    assert agreement.contributions.get(participant__isnull=True).amount_usd == 7


@pytest.fixture
def make_client():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
