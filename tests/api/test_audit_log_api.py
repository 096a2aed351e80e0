"""``GET /api/v1/audit-log/`` is paged by cursor, newest event first: every row exactly once
however the pages are cut, ties on the timestamp included, with the filters as before and no
``count`` (counting a log of millions of rows on every page is what the cursor avoids)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.choices import State
from workflow.models import TransitionLog

from .conftest import token_client

pytestmark = pytest.mark.django_db


def _walk(api, url: str) -> tuple[list[int], list[dict]]:
    """Every row's id, following ``next`` from ``url``; and each page's body."""
    ids, pages = [], []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids, pages


@pytest.fixture
def trail(make_agreement, reviewer):
    """Two agreements' histories, and five events recorded at the very same instant (an import
    writes a batch so): the cursor must neither skip nor repeat any of them."""
    first = make_agreement(State.RAD_REVIEW)
    second = make_agreement(State.SSOI_DRAFTING, partners=("FRA",))
    instant = timezone.now() - dt.timedelta(days=2)
    for index in range(5):
        TransitionLog.objects.create(
            agreement=first if index % 2 else second, transition="note_added", user=reviewer, timestamp=instant
        )
    assert TransitionLog.objects.filter(timestamp=instant).count() == 5
    return first, second


def test_pages_walk_the_whole_log_newest_first_each_row_once(trail, reviewer):
    api = token_client(reviewer)
    newest_first = list(TransitionLog.objects.order_by("-timestamp", "-pk").values_list("pk", flat=True))
    for size in (1, 2, 3, 7, 200):
        ids, pages = _walk(api, f"/api/v1/audit-log/?page_size={size}")
        assert ids == newest_first, size
        assert all(len(page["results"]) <= size for page in pages)
    first_page = api.get("/api/v1/audit-log/?page_size=2").json()
    assert set(first_page) == {"next", "previous", "results"}  # no count
    assert first_page["previous"] is None
    # Back from the second page is the first page again.
    second_page = api.get(first_page["next"]).json()
    assert api.get(second_page["previous"]).json()["results"] == first_page["results"]
    # 50 a page by default, at most 200.
    assert len(api.get("/api/v1/audit-log/").json()["results"]) == min(50, len(newest_first))
    assert len(api.get("/api/v1/audit-log/?page_size=100000").json()["results"]) == min(200, len(newest_first))


def test_filters_still_apply_across_pages(trail, reviewer):
    first, _second = trail
    api = token_client(reviewer)
    ids, _pages = _walk(api, f"/api/v1/audit-log/?agreement={first.pk}&page_size=2")
    expected = TransitionLog.objects.filter(agreement=first).order_by("-timestamp", "-pk")
    assert ids == list(expected.values_list("pk", flat=True))
    ids, _pages = _walk(api, "/api/v1/audit-log/?transition=note_added&page_size=2")
    assert len(ids) == 5
    cut = timezone.now() - dt.timedelta(days=1)
    ids, _pages = _walk(api, f"/api/v1/audit-log/?before={cut.isoformat().replace('+00:00', 'Z')}&page_size=2")
    assert ids == list(
        TransitionLog.objects.filter(timestamp__lte=cut).order_by("-timestamp", "-pk").values_list("pk", flat=True)
    )
    assert api.get("/api/v1/audit-log/?agreement=0").status_code == 400


def test_a_bad_cursor_is_a_json_404_and_a_liaison_gets_no_rows(trail, reviewer, liaison):
    response = token_client(reviewer).get("/api/v1/audit-log/?cursor=not-a-cursor")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    body = token_client(liaison).get("/api/v1/audit-log/").json()
    assert body == {"next": None, "previous": None, "results": []}
