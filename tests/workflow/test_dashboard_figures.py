"""The dashboard figures the browser and the API both show, computed from the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from workflow.selectors import dashboard_figures, stage_durations

pytestmark = pytest.mark.django_db


def _age(agreement, days: int) -> None:
    Agreement.objects.filter(pk=agreement.pk).update(created_at=timezone.now() - dt.timedelta(days=days))
    agreement.refresh_from_db()


def test_median_days_in_a_stage_come_from_the_audit_trail(make_agreement, reviewer):
    first, second = make_agreement(State.SSOI_DRAFTING), make_agreement(State.SSOI_DRAFTING)
    _age(first, 10)
    _age(second, 20)
    assert round(stage_durations(first)[State.PROPOSAL].total_seconds() / 86400) == 10
    medians = {row["state"]: row for row in dashboard_figures(reviewer)["median_days"]}
    assert medians[State.PROPOSAL]["median"] == 15.0 and medians[State.PROPOSAL]["count"] == 2
    assert medians[State.RAD_REVIEW]["median"] is None


def test_figures_count_only_what_the_user_may_see(make_agreement, reviewer, liaison):
    make_agreement(State.IN_FORCE, partners=("GBR", "FRA"), releasable_to_partners=True)
    make_agreement(State.NEGOTIATION, partners=("GBR",))  # not releasable
    make_agreement(State.PROPOSAL, partners=("DEU",), releasable_to_partners=True)  # not the UK's
    dod = dashboard_figures(reviewer)
    assert dod["total"] == 3 and dod["in_force"] == 1
    assert {r["key"]: r["count"] for r in dod["by_partner"]}["GBR"] == 2
    uk = dashboard_figures(liaison)
    assert uk["total"] == 1 and uk["in_force"] == 1
    assert uk["overdue_positions"] == [] and uk["overdue_obligations"] == []


def test_expiring_within_180_days(make_agreement, reviewer):
    soon = make_agreement(State.IN_FORCE, years=1)
    Agreement.objects.filter(pk=soon.pk).update(expiration_date=timezone.localdate() + dt.timedelta(days=90))
    make_agreement(State.IN_FORCE)  # expires in ten years
    figures = dashboard_figures(reviewer)
    assert [a.pk for a in figures["expiring"]] == [soon.pk] and figures["expiring_within_180_days"] == 1


def test_figures_take_the_same_queries_whether_the_panels_are_full_or_not(
    make_agreement, reviewer, monkeypatch, django_assert_num_queries
):
    """A capped panel counts its rows whether or not the cap was reached: the same queries for
    an empty portfolio as for one where every panel overflows."""
    from workflow import selectors

    monkeypatch.setattr(selectors, "DASHBOARD_PANEL_ROWS", 1)
    today = timezone.localdate()
    make_agreement(State.RAD_REVIEW)
    # The figures as computed before caching (the medians and positions due come on top, one
    # refreshed on a clock, the other one COUNT).
    with django_assert_num_queries(11) as small:
        figures = selectors._dashboard_figures(reviewer, today)
    assert figures["stalled_reviews_count"] == 0 and figures["expiring_within_180_days"] == 0
    long_ago = timezone.now() - dt.timedelta(days=365)
    for _ in range(3):
        stalled = make_agreement(State.RAD_REVIEW, partners=("FRA", "DEU"))
        Agreement.objects.filter(pk=stalled.pk).update(state_changed_at=long_ago)
        expiring = make_agreement(State.IN_FORCE, years=1)
        Agreement.objects.filter(pk=expiring.pk).update(expiration_date=timezone.localdate() + dt.timedelta(days=30))
    with django_assert_num_queries(len(small.captured_queries)):
        figures = selectors._dashboard_figures(reviewer, today)
    assert len(figures["stalled_reviews"]) == 1 and figures["stalled_reviews_count"] == 3
    assert len(figures["expiring"]) == 1 and figures["expiring_within_180_days"] == 3


def test_the_partner_figure_names_the_first_twelve_and_counts_the_rest(make_agreement, reviewer, client):
    from partners.models import Partner

    codes = list(Partner.objects.filter(is_nato_member=True).order_by("code").values_list("code", flat=True)[:14])
    assert len(codes) == 14
    for code in codes:
        make_agreement(State.NEGOTIATION, partners=(code,))
    figures = dashboard_figures(reviewer)
    assert len(figures["by_partner"]) == 12 and figures["by_partner_more"] == 2
    client.force_login(reviewer)
    body = client.get("/api/v1/dashboard/").json()
    assert len(body["by_partner"]) == 12 and body["by_partner_more"] == 2
    page = client.get("/dashboard/").content.decode()
    assert "And 2 more partners with fewer open agreements." in page


def test_the_api_gives_the_full_count_of_stalled_reviews(make_agreement, reviewer, client):
    long_ago = timezone.now() - dt.timedelta(days=365)
    for _ in range(12):
        stalled = make_agreement(State.RAD_REVIEW)
        Agreement.objects.filter(pk=stalled.pk).update(state_changed_at=long_ago)
    client.force_login(reviewer)
    assert client.get("/api/v1/dashboard/").json()["stalled_reviews"] == 12


def test_a_signed_agreement_is_not_counted_in_force_anywhere(make_agreement, reviewer, liaison, client):
    from agreements.selectors import agreements_visible_to
    from workflow.pdf import agreements_in_force_on

    signed = make_agreement(State.SIGNED, releasable_to_partners=True)
    in_force = make_agreement(State.IN_FORCE)
    figures = dashboard_figures(reviewer)
    assert figures["in_force"] == 1
    by_state = {row["key"]: row for row in figures["by_state"]}
    assert (
        by_state[State.SIGNED]["count"] == 1 and by_state[State.SIGNED]["label"] == "Signed, awaiting entry into force"
    )
    registered = agreements_in_force_on(agreements_visible_to(reviewer), timezone.localdate())
    assert list(registered) == [in_force]
    # The API reports the state as it is.
    client.force_login(reviewer)
    assert client.get(f"/api/v1/agreements/{signed.pk}/").json()["state"] == State.SIGNED
