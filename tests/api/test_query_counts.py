"""Every API list runs a fixed number of queries whatever its length: measured at 1 and at 50
rows, the budget is the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements import services
from agreements.choices import AgreementKind, DocumentKind, State
from agreements.models import Agreement
from tests import factories
from workflow.services import agreement_transition, render_job_request

from .conftest import token_client

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/agreements/",
    "/api/v1/participants/",
    "/api/v1/contributions/",
    "/api/v1/loan-items/",
    "/api/v1/documents/",
    "/api/v1/coordination-rounds/",
    "/api/v1/coordination-positions/",
    "/api/v1/obligations/",
    "/api/v1/audit-log/",
    "/api/v1/render-jobs/",
    "/api/v1/partners/",
    "/api/v1/organizations/",
    "/api/v1/coordinating-offices/",
]


def _grow(cast, count: int) -> None:
    """``count`` Section 65 loans in RAD review: each with a participant, a loan item, an SSOI,
    documents, a coordination round with positions, audit rows and a render job."""
    po = cast.program_office
    for index in range(count):
        agreement = factories.AgreementFactory(
            user=po,
            kind=AgreementKind.SECTION_65_LOAN,
            partners=("GBR",),
            title=f"Loan {index}",
            authority="aeca_65",
            releasable_to_partners=True,
        )
        services.loan_item_add(
            agreement=agreement,
            user=po,
            item="Radar",
            quantity=1,
            unit_value_usd=Decimal(10),
            return_by=dt.date(2031, 1, 1),
        )
        services.contribution_add(
            participant=agreement.participants.get(), user=po, description="In kind", amount_usd=Decimal(5)
        )
        factories.approve_ddl(agreement)
        services.document_upload(
            agreement=agreement,
            user=po,
            kind=DocumentKind.OTHER,
            content=b"x",
            filename="x.txt",
            releasable_to_partners=True,
        )
        agreement_transition(agreement=agreement, name="start_ssoi", user=po)
        render_job_request(kind="summary", agreement=agreement, user=po)


def _rows(body: dict) -> int:
    """How many rows the list holds: its ``count``, or for a list paged by cursor (the audit log,
    which has no count) the rows on its page of 100."""
    return body["count"] if "count" in body else len(body["results"])


def _queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), _rows(response.json())


@pytest.mark.parametrize("role", ["program_office", "liaison", "reviewer"])
def test_lists_run_a_fixed_number_of_queries(role, request, cast, make_agreement, django_assert_max_num_queries):
    user = request.getfixturevalue(role)
    # One of everything: a full lifecycle gives rounds, positions, obligations, documents.
    make_agreement(State.IN_FORCE, partners=("GBR",), releasable_to_partners=True)
    _grow(cast, 1)
    client = token_client(user)
    client.get("/api/v1/me/")  # token last_used_at write happens once, not inside the budget
    small = {url: _queries(client, url) for url in LISTS}

    _grow(cast, 48)
    for url in LISTS:
        budget, small_count = small[url]
        with django_assert_max_num_queries(budget, info=url):
            response = client.get(url, {"page_size": 100})
        assert response.status_code == 200
        large_count = _rows(response.json())
        if (
            url.split("/")[3] in ("agreements", "participants", "contributions", "loan-items", "documents", "audit-log")
            and role != "reviewer"
            and not (role == "liaison" and url.split("/")[3] == "audit-log")  # liaisons get no audit rows
        ):
            assert large_count >= min(small_count + 48, 100), (url, small_count, large_count)
    assert Agreement.objects.count() == 50
