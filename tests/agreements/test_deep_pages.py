"""Deep pages read in two steps (icp_portal.pagination) hold the same rows, in the same order,
as Django's paginator reading them with one OFFSET query."""

from __future__ import annotations

import pytest
from django.core import paginator as django_paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import Agreement
from icp_portal import pagination

pytestmark = pytest.mark.django_db


def test_deep_pages_match_one_query_pages(make_agreement, monkeypatch):
    for _ in range(7):
        make_agreement()
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 2)
    listed = Agreement.objects.with_list_relations().order_by("-created_at", "-pk")
    ours = pagination.Paginator(listed, 2, orphans=1)
    theirs = django_paginator.Paginator(listed, 2, orphans=1)
    assert ours.num_pages == theirs.num_pages == 3
    for number in ours.page_range:
        page, expected = ours.page(number), theirs.page(number)
        assert [a.pk for a in page.object_list] == [a.pk for a in expected.object_list]
        assert (page.start_index(), page.end_index()) == (expected.start_index(), expected.end_index())
    # A deep page: its keys, then its rows with their relations (prefetched), nothing per row.
    with CaptureQueriesContext(connection) as captured:
        rows = ours.page(3).object_list
        [p.partner.code for a in rows for p in a.participants.all()]
        [a.lead_organization.code for a in rows]
    assert len(captured) == 4  # keys, rows, participants, partners
    assert any("OFFSET" in q["sql"] and '"id"' in q["sql"].split("FROM")[0] for q in captured.captured_queries)


def test_querysets_with_distinct_keep_one_query(make_agreement, monkeypatch):
    for _ in range(3):
        make_agreement()
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 1)
    listed = Agreement.objects.distinct().order_by("-created_at", "-pk")
    page = pagination.Paginator(listed, 1).page(3)
    assert [a.pk for a in page.object_list] == [a.pk for a in listed[2:3]]
