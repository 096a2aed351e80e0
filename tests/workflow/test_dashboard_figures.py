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


def test_figures_take_a_fixed_number_of_queries(make_agreement, reviewer, django_assert_max_num_queries):
    make_agreement(State.RAD_REVIEW)
    with django_assert_max_num_queries(13) as small:
        dashboard_figures(reviewer)
    for _ in range(5):
        make_agreement(State.RAD_REVIEW, partners=("FRA", "DEU"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        dashboard_figures(reviewer)


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
