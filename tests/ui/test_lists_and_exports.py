"""List pages run a fixed number of queries whatever their length; exports hold the filtered rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from agreements.choices import AgreementKind, State
from tests import factories

pytestmark = pytest.mark.django_db


def _propose(user, count: int, **fields) -> list:
    return [
        factories.AgreementFactory(
            user=user, title=f"Bulk cooperative project {i:03d}", partners=("GBR", "FRA"), **fields
        )
        for i in range(count)
    ]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        ("program_office", "agreement_list"),
        ("reviewer", "agreement_list"),
        ("liaison", "liaison_dashboard"),
        ("liaison", "agreement_list"),
        ("admin_user", "dashboard"),
    ],
)
def test_list_queries_do_not_grow_with_rows(
    request, client_for, django_assert_max_num_queries, program_office, role, url_name
):
    client = client_for(request.getfixturevalue(role))
    url = reverse(url_name)
    _propose(program_office, 1, releasable_to_partners=True)
    at_one = _queries(client, url)
    _propose(program_office, 49, releasable_to_partners=True)
    with django_assert_max_num_queries(at_one):
        response = client.get(url)
    if url_name == "liaison_dashboard":  # 25 a page, by reference: the 49th is on page 2
        assert "Bulk cooperative project 048" not in response.content.decode()
        response = client.get(url + "?page=2")
    assert "Bulk cooperative project 048" in response.content.decode() or url_name == "dashboard"


def test_review_queue_and_positions_due_queries_do_not_grow(
    client_for, make_agreement, reviewer, coordinator, django_assert_max_num_queries
):
    make_agreement(State.RAD_REVIEW)
    reviewer_client, coordinator_client = client_for(reviewer), client_for(coordinator)
    queue_at_one = _queries(reviewer_client, reverse("review_queue"))
    due_at_one = _queries(coordinator_client, reverse("positions_due"))
    for _ in range(4):
        make_agreement(State.RAD_REVIEW)
    with django_assert_max_num_queries(queue_at_one):
        assert reviewer_client.get(reverse("review_queue")).content.decode().count("RAD review") >= 5
    with django_assert_max_num_queries(due_at_one):
        coordinator_client.get(reverse("positions_due"))


def test_list_filters_sorts_and_paginates(client_for, program_office, make_agreement):
    _propose(program_office, 30)
    pa_master = make_agreement(State.IN_FORCE, title="Filter master with the United Kingdom")
    client = client_for(program_office)
    first = client.get(reverse("agreement_list")).content.decode()
    assert "31</strong> agreements" in first and 'aria-label="Page 2"' in first
    filtered = client.get(reverse("agreement_list"), {"state": State.IN_FORCE}).content.decode()
    assert "1</strong> agreement" in filtered and pa_master.reference in filtered
    searched = client.get(reverse("agreement_list"), {"q": "project 007"}).content.decode()
    assert "Bulk cooperative project 007" in searched and "Bulk cooperative project 008" not in searched
    by_title = client.get(reverse("agreement_list"), {"ordering": "title"}).content.decode()
    assert by_title.index("Bulk cooperative project 000") < by_title.index("Bulk cooperative project 001")
    htmx = client.get(reverse("agreement_list"), {"q": "project 007"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in htmx and "Bulk cooperative project 007" in htmx


def test_a_search_is_counted_up_to_its_cap(client_for, program_office, monkeypatch):
    """A search matching more than SEARCH_COUNT_CAP agreements says so and pages the first ones;
    a list without a search is counted exactly."""
    monkeypatch.setattr("agreements.views.listing.SEARCH_COUNT_CAP", 26)
    _propose(program_office, 30)
    client = client_for(program_office)
    searched = client.get(reverse("agreement_list"), {"q": "Bulk cooperative"}).content.decode()
    assert "More than 26</strong> agreements match your search" in searched
    assert 'aria-label="Page 2"' in searched
    second = client.get(reverse("agreement_list"), {"q": "Bulk cooperative", "page": 3}).content.decode()
    assert "Page 2 of 2" in second or "page 2 of 2" in second  # past the cap: the last page
    narrow = client.get(reverse("agreement_list"), {"q": "project 007"}).content.decode()
    assert "1</strong> agreement" in narrow and "More than" not in narrow
    assert "30</strong> agreements" in client.get(reverse("agreement_list")).content.decode()


def test_my_agreements_is_scoped_to_the_organization(client_for, program_office, other_program_office):
    _propose(program_office, 1)
    navy = factories.AgreementFactory(user=other_program_office, title="Navy cooperative project")
    client = client_for(program_office)
    mine = client.get(reverse("agreement_list")).content.decode()
    assert "My agreements" in mine and navy.reference not in mine
    assert navy.reference in client.get(reverse("agreement_list"), {"scope": "all"}).content.decode()


def test_exports_contain_exactly_the_filtered_rows(client_for, program_office, make_agreement):
    _propose(program_office, 3)
    in_force = make_agreement(State.IN_FORCE, kind=AgreementKind.MASTER, title='=HYPERLINK("x") master')
    client = client_for(program_office)
    response = client.get(reverse("agreement_export", args=["csv"]), {"state": State.IN_FORCE})
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # rows are sent as the database returns them
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][:2] == ["Reference", "Title"]
    assert [r[0] for r in rows[1:]] == [in_force.reference]
    assert rows[1][1].startswith("'=")  # a formula is neutralised
    xlsx = client.get(reverse("agreement_export", args=["xlsx"]), {"q": "Bulk"}).getvalue()
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "CUI"
    assert values[1][0] == "Reference"
    assert sorted(v[1] for v in values[2:]) == [f"Bulk cooperative project {i:03d}" for i in range(3)]
    assert client.get(reverse("agreement_export", args=["pdf"])).status_code == 404
