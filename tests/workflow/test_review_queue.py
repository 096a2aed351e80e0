"""One definition of "stalled" and one review-queue selector: reminders, the dashboard, the review
queue page and the API agree on the same agreements. And one stale-state check for lifecycle
actions, through the browser and the API alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.choices import State
from agreements.models import Agreement
from tests.api.conftest import token_client
from workflow import reminders
from workflow.exceptions import TransitionConflict
from workflow.models import CoordinationPosition, Notification, TransitionLog
from workflow.selectors import agreements_stalled, dashboard_figures, review_queue_for, stalled_condition
from workflow.services import agreement_transition, awaited_deadlines_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _liaison_api_tokens(settings):
    """The API door is tried for liaisons too, as on a deployment that issues them tokens."""
    settings.API_TOKENS_FOR_LIAISONS = True


def _in_state_for(agreement, days: float, now) -> None:
    Agreement.objects.filter(pk=agreement.pk).update(state_changed_at=now - dt.timedelta(days=days))
    agreement.refresh_from_db()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def queue(make_agreement):
    """Four RAD reviews: stalled (one hour past the limit), exactly at the limit (not stalled),
    fresh with an office past its silence deadline, and fresh."""
    now = timezone.now()
    limit = settings.STALLED_STAGE_DAYS[State.RAD_REVIEW]
    stalled, at_limit, deadline, fresh = (make_agreement(State.RAD_REVIEW) for _ in range(4))
    _in_state_for(stalled, limit + 1 / 24, now)
    _in_state_for(at_limit, limit - 1 / 24, now)
    _in_state_for(deadline, 3, now)
    _in_state_for(fresh, 1, now)
    CoordinationPosition.objects.filter(round__agreement=deadline).update(due_at=now - dt.timedelta(hours=1))
    # Positions moved directly: the agreement's awaited deadline is refreshed as the services do.
    awaited_deadlines_refresh([deadline.pk])
    return {"stalled": stalled, "at_limit": at_limit, "deadline": deadline, "fresh": fresh, "now": now}


def test_stalled_has_one_definition(queue, reviewer):
    now = queue["now"]
    stalled = set(agreements_stalled(Agreement.objects.all(), now=now))
    assert stalled == {queue["stalled"]}
    assert set(Agreement.objects.filter(stalled_condition(now))) == stalled
    # The review queue flags exactly those, by the same condition.
    assert {a for a in review_queue_for(reviewer, now=now) if a.stalled} == stalled
    # In force never stalls (no limit).
    assert State.IN_FORCE not in settings.STALLED_STAGE_DAYS


def test_the_queue_orders_what_needs_attention_first(queue, reviewer, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        rows = list(review_queue_for(reviewer, now=queue["now"]))
    assert rows[0] in (queue["stalled"], queue["deadline"]) and rows[1] in (queue["stalled"], queue["deadline"])
    assert rows[2:] == [queue["at_limit"], queue["fresh"]] or rows[2:] == [queue["fresh"], queue["at_limit"]]
    flags = {a.pk: (a.stalled, a.deadline_passed, a.needs_attention) for a in rows}
    assert flags[queue["stalled"].pk] == (True, False, True)
    assert flags[queue["deadline"].pk] == (False, True, True)
    assert flags[queue["at_limit"].pk] == (False, False, False)


def test_reminders_dashboard_page_and_api_agree(queue, reviewer, program_office, liaison):
    stalled = queue["stalled"]
    reminders.stalled_stage_reminders_send(now=queue["now"])
    reminded = set(Notification.objects.filter(kind="stalled_stage").values_list("agreement_id", flat=True))
    assert reminded == {stalled.pk}
    assert [a.pk for a in dashboard_figures(reviewer)["stalled_reviews"]] == [stalled.pk]
    page = _client(reviewer).get(reverse("review_queue")).content.decode()
    assert page.count('portal-overdue">Overdue') == 2 and "stalled" in page and "deadline passed" in page
    api = token_client(reviewer).get("/api/v1/review-queue/").json()
    rows = {row["reference"]: row for row in api["results"]}
    assert {ref for ref, row in rows.items() if row["stalled"]} == {stalled.reference}
    assert {ref for ref, row in rows.items() if row["needs_attention"]} == {
        stalled.reference,
        queue["deadline"].reference,
    }
    assert token_client(reviewer).get("/api/v1/dashboard/").json()["stalled_reviews"] == 1
    # The queue is the reviewers'.
    assert token_client(program_office).get("/api/v1/review-queue/").status_code == 403
    assert token_client(liaison).get("/api/v1/review-queue/").status_code == 403
    assert "stalled_reviews" not in token_client(liaison).get("/api/v1/dashboard/").json()


def test_the_review_queue_api_runs_a_fixed_number_of_queries(make_agreement, reviewer):
    api = token_client(reviewer)
    api.get("/api/v1/me/")
    make_agreement(State.RAD_REVIEW)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        api.get("/api/v1/review-queue/")
    for _ in range(4):
        make_agreement(State.RFA_REVIEW, partners=("FRA", "DEU"))
    with CaptureQueriesContext(connection) as large:
        assert api.get("/api/v1/review-queue/").json()["count"] == 5
    assert len(large.captured_queries) <= len(small.captured_queries)


# --- expected_state: the same conflict through every door -------------------------------------------
def test_a_stale_state_is_the_same_409_through_the_browser_and_the_api(make_agreement, reviewer):
    agreement = make_agreement(State.RAD_REVIEW)
    message = f"{agreement.reference} changed while you were working: it is now RAD review."
    # Service.
    with pytest.raises(TransitionConflict) as conflict:
        agreement_transition(
            agreement=agreement,
            name="return_for_revision",
            user=reviewer,
            comment="Again",
            expected_state=State.NEGOTIATION,
        )
    assert conflict.value.message == message and conflict.value.current_state == State.RAD_REVIEW
    # Browser: the page showed negotiation.
    browser = _client(reviewer).post(
        reverse("agreement_transition", args=[agreement.reference, "return_for_revision"]),
        {"comment": "Again", "state": State.NEGOTIATION},
    )
    assert browser.status_code == 409 and message in browser.content.decode()
    # API.
    api = token_client(reviewer).post(
        f"/api/v1/agreements/{agreement.pk}/transitions/",
        {"name": "return_for_revision", "comment": "Again", "expected_state": State.NEGOTIATION},
        format="json",
    )
    assert api.status_code == 409 and api.json()["detail"] == message and api.json()["current_state"] == "rad_review"
    assert not TransitionLog.objects.filter(agreement=agreement, transition="return_for_revision").exists()
    # The matching state goes through.
    ok = token_client(reviewer).post(
        f"/api/v1/agreements/{agreement.pk}/transitions/",
        {"name": "return_for_revision", "comment": "Again", "expected_state": State.RAD_REVIEW},
        format="json",
    )
    assert ok.status_code == 200
