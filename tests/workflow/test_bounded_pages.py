"""Every list page is bounded: panels capped with a link to the rest, queues and tabs paginated,
the same number of queries whatever the portfolio holds, and the dashboard's figures cached per
visibility scope until something changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from workflow import selectors, services
from workflow.models import CoordinationRound, PositionStatus

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_dashboard_panels_are_capped_and_link_to_the_full_list(make_agreement, reviewer, monkeypatch):
    monkeypatch.setattr(selectors, "DASHBOARD_PANEL_ROWS", 2)
    monkeypatch.setattr("workflow.views.dashboards.DASHBOARD_PANEL_ROWS", 2)
    soon = timezone.localdate() + dt.timedelta(days=30)
    expiring = [make_agreement(State.IN_FORCE, title=f"Expiring cooperation {i}") for i in range(3)]
    Agreement.objects.filter(pk__in=[a.pk for a in expiring]).update(expiration_date=soon)
    figures = selectors.dashboard_figures(reviewer)
    assert len(figures["expiring"]) == 2 and figures["expiring_within_180_days"] == 3
    page = _client(reviewer).get(reverse("dashboard")).content.decode()
    assert "Show all 3 expiring agreements" in page
    assert "expires_before=" in page and "state=in_force" in page


def test_dashboard_figures_are_cached_until_a_transition(make_agreement, reviewer, django_assert_num_queries):
    make_agreement(State.PROPOSAL)
    first = selectors.dashboard_figures(reviewer)
    # Cached: one query reads the change stamp (the medians come from the cache too; a reviewer
    # has no positions due, so nothing is counted).
    with django_assert_num_queries(1):
        again = selectors.dashboard_figures(reviewer)
    assert again["total"] == first["total"] == 1
    make_agreement(State.IN_FORCE)  # a new agreement and its transitions change the stamp
    after = selectors.dashboard_figures(reviewer)
    assert after["total"] == 2 and after["in_force"] == 1


def test_editing_what_the_figures_do_not_show_keeps_them_cached(
    make_agreement, reviewer, liaison, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Notes, markings and signatories are not figures: editing them (the program office does
    all day) keeps the cached figures. A field the figures read (releasability, expiry, state…)
    moves the cache key on, whichever door saved it."""
    from agreements.services import agreement_update

    agreement = make_agreement(State.NEGOTIATION, partners=("GBR",))
    selectors.dashboard_figures(reviewer)
    assert selectors.dashboard_figures(liaison)["total"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(agreement=agreement, user=agreement.action_officer, internal_notes="Call the UK desk.")
    with django_assert_num_queries(1):  # the stamp only: the figures come from the cache
        selectors.dashboard_figures(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_update(agreement=agreement, user=agreement.action_officer, releasable_to_partners=True)
    assert selectors.dashboard_figures(liaison)["total"] == 1
    soon = timezone.localdate() + dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        Agreement.objects.filter(pk=agreement.pk).update(state=State.IN_FORCE)
        fresh = Agreement.objects.get(pk=agreement.pk)
        fresh.expiration_date = soon  # a plain save, as the admin or a script would
        fresh.save()
    assert selectors.dashboard_figures(reviewer)["expiring_within_180_days"] == 1


def test_review_queue_is_paginated_and_puts_overdue_first(make_agreement, reviewer, monkeypatch):
    monkeypatch.setattr("workflow.views.queues.QUEUE_PAGE_SIZE", 2)
    fresh = [make_agreement(State.RAD_REVIEW) for _ in range(2)]
    stalled = make_agreement(State.RAD_REVIEW)
    Agreement.objects.filter(pk=stalled.pk).update(state_changed_at=timezone.now() - dt.timedelta(days=400))
    client = _client(reviewer)
    first = client.get(reverse("review_queue")).content.decode()
    assert "3</strong> agreements in review" in first and 'aria-label="Page 2"' in first
    assert stalled.reference in first and "Overdue" in first
    second = client.get(reverse("review_queue"), {"page": 2}).content.decode()
    shown = [a.reference for a in fresh if a.reference in first] + [a.reference for a in fresh if a.reference in second]
    assert sorted(shown) == sorted(a.reference for a in fresh)


def test_positions_due_are_paginated(make_agreement, coordinator, monkeypatch):
    monkeypatch.setattr("workflow.views.queues.QUEUE_PAGE_SIZE", 1)
    first, second = make_agreement(State.RAD_REVIEW), make_agreement(State.RAD_REVIEW)
    client = _client(coordinator)
    page_one = client.get(reverse("positions_due")).content.decode()
    page_two = client.get(reverse("positions_due"), {"page": 2}).content.decode()
    assert "2</strong> open positions" in page_one
    assert (first.reference in page_one) != (first.reference in page_two)
    assert (second.reference in page_one) != (second.reference in page_two)


def test_history_tab_pages_a_long_history(
    make_agreement, reviewer, coordinator, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("workflow.views.history.HISTORY_PAGE_SIZE", 5)
    agreement = make_agreement(State.RAD_REVIEW)
    round_ = CoordinationRound.objects.current_for(agreement)
    position = round_.positions.get(office=coordinator.coordinating_office)
    for number in range(12):
        services.coordination_position_record(
            position=position, user=coordinator, status=PositionStatus.COMMENT, comment=f"Remark number {number:02d}"
        )
    client = _client(reviewer)
    url = reverse("agreement_history", args=[agreement.reference])
    with django_assert_max_num_queries(30) as first_page:
        page = client.get(url).content.decode()
    assert "Remark number 11" in page and "Remark number 05" not in page
    assert 'aria-label="Page 2"' in page
    with django_assert_max_num_queries(len(first_page.captured_queries) + 1):
        last = client.get(url, {"page": 4}).content.decode()
    assert "Record created" in last and "Remark number 11" not in last


def test_liaison_page_counts_and_caps(make_agreement, liaison, monkeypatch):
    monkeypatch.setattr("workflow.views.dashboards.LIAISON_PANEL_ROWS", 1)
    for _ in range(2):
        make_agreement(State.IN_FORCE, releasable_to_partners=True)
    page = _client(liaison).get(reverse("liaison_dashboard")).content.decode()
    assert "Show all 2 signed and in force" in page


def test_liaison_page_takes_the_same_queries_with_full_panels(
    make_agreement, liaison, monkeypatch, django_assert_num_queries
):
    """The full count of a capped panel comes from the figures: no COUNT only when it overflows."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("workflow.views.dashboards.LIAISON_PANEL_ROWS", 1)
    client = _client(liaison)
    make_agreement(State.NEGOTIATION, releasable_to_partners=True)
    client.get(reverse("liaison_dashboard"))  # the session and the sign-in are settled
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("liaison_dashboard"))
    for _ in range(3):
        make_agreement(State.IN_FORCE, releasable_to_partners=True)
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("liaison_dashboard")).content.decode()
    assert "Show all 3 signed and in force" in page


def test_liaison_concluded_panel_puts_the_signed_first_then_the_most_recently_in_force(make_agreement, liaison):
    older = make_agreement(State.IN_FORCE, releasable_to_partners=True, title="Older cooperation")
    newer = make_agreement(State.IN_FORCE, releasable_to_partners=True, title="Newer cooperation")
    signed = make_agreement(State.SIGNED, releasable_to_partners=True, title="Signed cooperation")
    today = timezone.localdate()
    Agreement.objects.filter(pk=older.pk).update(entry_into_force_date=today - dt.timedelta(days=400))
    Agreement.objects.filter(pk=newer.pk).update(entry_into_force_date=today - dt.timedelta(days=10))
    assert Agreement.objects.get(pk=signed.pk).entry_into_force_date is None
    response = _client(liaison).get(reverse("liaison_dashboard"))
    assert [a.pk for a in response.context["concluded"]] == [signed.pk, newer.pk, older.pk]


def test_an_unfiltered_list_count_is_cached_and_exact(
    make_agreement, reviewer, liaison, program_office, django_capture_on_commit_callbacks
):
    """The count of an unfiltered list comes from the cache and moves with what it counts: a new
    agreement, a change of releasability, the lead office's own agreements."""
    from agreements.services import agreement_update
    from workflow.selectors import agreements_visible_count

    with django_capture_on_commit_callbacks(execute=True):
        first = make_agreement(State.NEGOTIATION, partners=("GBR",))
    assert agreements_visible_count(reviewer) == 1 and agreements_visible_count(liaison) == 0
    assert agreements_visible_count(program_office, organization_id=program_office.organization_id) == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_agreement(State.PROPOSAL, partners=("FRA",))
        agreement_update(agreement=first, user=first.action_officer, releasable_to_partners=True)
    assert agreements_visible_count(reviewer) == 2 and agreements_visible_count(liaison) == 1
    api = _client(reviewer).get("/api/v1/agreements/").json()
    assert api["count"] == 2
    filtered = _client(reviewer).get("/api/v1/agreements/", {"partner": "FRA"}).json()
    assert filtered["count"] == 1
    page = _client(reviewer).get(reverse("agreement_list"), {"scope": "all"}).content.decode()
    assert "2</strong> agreements" in page
