"""The calendar: each role's dates, the iCalendar feed parsed by a real iCalendar library, the
feed's revocation, and the month and list pages."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from agreements.choices import LegalAuthority, State
from workflow import services as workflow_services
from workflow.calendar import calendar_events_for, calendar_feed_create
from workflow.models import AccessLog, CalendarFeed

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _feed(user) -> Calendar:
    _feed_row, token = calendar_feed_create(user=user)
    response = Client().get(reverse("calendar_feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def _events(calendar: Calendar) -> dict[str, dict]:
    return {
        str(e["SUMMARY"]): {"date": e.decoded("DTSTART"), "url": str(e["URL"]), "uid": str(e["UID"])}
        for e in calendar.walk("VEVENT")
    }


@pytest.fixture
def portfolio(make_agreement, reviewer):
    today = timezone.localdate()
    wait = make_agreement(State.CONGRESSIONAL_WAIT, title="Waiting on Congress", authority=LegalAuthority.AECA_27)
    workflow_services.congressional_notice_record(
        agreement=wait, user=reviewer, notice_date=today - dt.timedelta(days=5)
    )
    wait.refresh_from_db()
    return {
        "expiring": make_agreement(
            State.IN_FORCE,
            title="Expiring master",
            expiration_date=today + dt.timedelta(days=100),
            releasable_to_partners=True,
        ),
        "review": make_agreement(State.RAD_REVIEW, title="Under review", releasable_to_partners=True),
        "wait": wait,
        "hidden": make_agreement(State.IN_FORCE, title="Not released", expiration_date=today + dt.timedelta(days=50)),
    }


def test_the_feed_holds_each_roles_dates_and_parses_with_icalendar(
    portfolio, program_office, coordinator, reviewer, liaison, settings
):
    today = timezone.localdate()
    expiring, review, wait, hidden = (portfolio[k] for k in ("expiring", "review", "wait", "hidden"))

    po = _events(_feed(program_office))
    assert po[f"{expiring.reference} expires in 90 days"]["date"] == today + dt.timedelta(days=10)
    assert po[f"{expiring.reference} expires"]["date"] == today + dt.timedelta(days=100)
    assert po[f"{expiring.reference} expires"]["url"] == (
        settings.PORTAL_BASE_URL.rstrip("/") + reverse("agreement_detail", args=[expiring.reference])
    )
    assert f"{expiring.reference}: Text to the State Department treaty office" in po
    assert f"{wait.reference}: congressional wait ends" in po
    assert po[f"{wait.reference}: congressional wait ends"]["date"] == wait.congressional_wait_ends_on
    assert f"{review.reference}: RAD review target" in po
    assert not any("position due" in summary for summary in po)

    co = _events(_feed(coordinator))
    due = [s for s in co if s.startswith(f"{review.reference}: ") and "position due" in s]
    assert due == [f"{review.reference}: DoD General Counsel position due"] or len(due) == 1
    assert co[due[0]]["date"] == today + dt.timedelta(days=settings.SILENCE_PERIOD_DAYS)
    assert not any("treaty office" in summary for summary in co)

    rv = _events(_feed(reviewer))
    assert f"{review.reference}: coordination silence deadline" in rv
    assert f"{wait.reference}: congressional wait ends" in rv

    li = _events(_feed(liaison))
    logged = AccessLog.objects.filter(user=liaison, path__startswith="/calendar/feed/").get()
    assert logged.path.endswith("….ics") and len(logged.path) < 40  # the secret is not logged
    assert set(li) == {
        f"{expiring.reference} expires",
        f"{expiring.reference} expires in 90 days",
        f"{expiring.reference} expires in 30 days",
    }
    assert not any(hidden.reference in s or review.reference in s or wait.reference in s for s in li)


def test_a_revoked_or_unknown_feed_token_gives_404(program_office, client=None):
    feed, token = calendar_feed_create(user=program_office)
    url = reverse("calendar_feed", args=[token])
    assert Client().get(url).status_code == 200
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at is not None
    page = client_for(program_office)
    assert page.post(reverse("calendar_feed_revoke", args=[feed.pk])).status_code == 302
    assert Client().get(url).status_code == 404
    assert Client().get(reverse("calendar_feed", args=["not-a-token"])).status_code == 404
    # A new address revokes the old one, and is shown once.
    _old, first = calendar_feed_create(user=program_office)
    created = page.post(reverse("calendar_feed_create")).content.decode()
    assert "/calendar/feed/" in created and "Copy this address now" in created
    assert Client().get(reverse("calendar_feed", args=[first])).status_code == 404
    assert CalendarFeed.objects.filter(user=program_office, revoked_at__isnull=True).count() == 1
    profile = page.get(reverse("profile")).content.decode()
    assert "Calendar feed" in profile and "Revoked" in profile and "Active" in profile


def test_feeds_of_other_users_cannot_be_revoked(program_office, reviewer):
    feed, token = calendar_feed_create(user=program_office)
    assert client_for(reviewer).post(reverse("calendar_feed_revoke", args=[feed.pk])).status_code == 404
    assert Client().get(reverse("calendar_feed", args=[token])).status_code == 200


def test_calendar_page_month_and_list(portfolio, program_office):
    today = timezone.localdate()
    expiring = portfolio["expiring"]
    client = client_for(program_office)
    warning_day = today + dt.timedelta(days=10)
    month = client.get(reverse("calendar"), {"month": warning_day.strftime("%Y-%m")}).content.decode()
    assert f"{expiring.reference} expires in 90 days" in month
    assert reverse("agreement_detail", args=[expiring.reference]) in month
    listing = client.get(reverse("calendar"), {"view": "list"}).content.decode()
    assert f"{expiring.reference} expires in 90 days" in listing and "Expiry warning" in listing
    assert client.get(reverse("calendar"), {"month": "garbage"}).status_code == 200
    assert client.get(reverse("calendar"), {"month": "99999-99"}).status_code == 200


def test_events_are_bounded_and_in_date_order(portfolio, reviewer):
    events = calendar_events_for(reviewer)
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert len({e.uid for e in events}) == len(events)


def test_fixed_entry_into_force_dates_are_events_until_the_agreement_enters_into_force(
    make_agreement, program_office, reviewer, liaison, coordinator
):
    today = timezone.localdate()
    fixed = today + dt.timedelta(days=40)
    waiting = make_agreement(State.SIGNED, fixed_entry_into_force_date=fixed, releasable_to_partners=True)
    hidden = make_agreement(State.SIGNED, fixed_entry_into_force_date=fixed, releasable_to_partners=False)
    assert waiting.state == State.SIGNED and waiting.entry_into_force_date is None
    summary = f"{waiting.reference} enters into force"
    for user in (program_office, reviewer, coordinator, liaison):
        events = {e.summary: e for e in calendar_events_for(user)}
        assert events[summary].date == fixed and events[summary].kind == "entry_into_force", user
        assert events[summary].label == "Entry into force"
        assert (f"{hidden.reference} enters into force" in events) == (not user.is_liaison), user
    feed = _events(_feed(liaison))
    assert feed[summary]["date"] == fixed and feed[summary]["uid"] == f"eif-{waiting.pk}-{fixed:%Y%m%d}@icp-portal"
    listing = client_for(program_office).get(reverse("calendar"), {"view": "list"}).content.decode()
    assert summary in listing and "Entry into force" in listing
    # Once in force on that date, the date is history: no event any more.
    with mock.patch("django.utils.timezone.localdate", return_value=fixed):
        assert workflow_services.entry_into_force_sweep() == 2
    assert not any(e.kind == "entry_into_force" for e in calendar_events_for(reviewer))


@pytest.fixture
def crowded(make_agreement):
    """Agreements in force made nearest expiration first (the order a "newest first" cut loses),
    whose expirations and warnings give events on both sides of today."""
    today = timezone.localdate()
    return [
        make_agreement(State.IN_FORCE, title=f"Crowded {days}", expiration_date=today + dt.timedelta(days=days))
        for days in (20, 45, 50, 100, 150, 200, 250, 390)
    ]


def test_a_portfolio_larger_than_the_cap_keeps_its_nearest_dates_and_says_what_was_left_out(
    crowded, reviewer, monkeypatch
):
    from workflow import calendar

    today = timezone.localdate()
    full = calendar.calendar_window_for(reviewer)
    assert full.complete
    past = [e for e in full.events if e.date < today]
    ahead = [e for e in full.events if e.date >= today]
    assert len(past) == 4 and len(ahead) > 12  # warnings 10, 30, 40 and 45 days ago; the rest to come

    monkeypatch.setattr(calendar, "MAX_EVENTS", 5)
    monkeypatch.setattr(calendar, "MAX_PAST_EVENTS", 2)
    window = calendar.calendar_window_for(reviewer)
    # The nearest upcoming dates, whole days only, and the latest past ones.
    assert window.later_left_out == ahead[5].date
    assert window.earlier_left_out == past[-3].date
    kept_ahead = [e for e in ahead if e.date < ahead[5].date]
    assert [e.uid for e in window.events] == [e.uid for e in past[-2:] + kept_ahead]
    assert window.events[1].summary == f"{crowded[0].reference} expires in 30 days"  # 10 days ago
    assert min(e.date for e in window.events if e.date >= today) == ahead[0].date

    page = client_for(reviewer).get(reverse("calendar"), {"view": "list"}).content.decode()
    assert 'data-testid="calendar-left-out"' in page and "Only the nearest 5 from today" in page
    assert f"dates from {window.later_left_out:%Y-%m-%d} on are left out" in page
    feed = _feed(reviewer)
    assert "left out" in str(feed["X-WR-CALDESC"])
    notes = [e for e in feed.walk("VEVENT") if str(e["SUMMARY"]) == "ICP Portal: later dates are not in this feed"]
    assert [n.decoded("DTSTART") for n in notes] == [window.later_left_out]
    # A month is a small window: ahead of today it is complete, and says nothing.
    month = ahead[-1].date
    grid = client_for(reviewer).get(reverse("calendar"), {"month": month.strftime("%Y-%m")}).content.decode()
    assert ahead[-1].summary in grid and 'data-testid="calendar-left-out"' not in grid


def test_the_calendar_runs_a_fixed_number_of_queries(crowded, make_agreement, reviewer, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow import calendar

    def queries(user) -> int:
        with CaptureQueriesContext(connection) as captured:
            calendar.calendar_window_for(user)
        return len(captured)

    make_agreement(State.RAD_REVIEW)
    before = {user: queries(user) for user in (reviewer, coordinator)}
    today = timezone.localdate()
    make_agreement(State.IN_FORCE, expiration_date=today + dt.timedelta(days=60))
    make_agreement(State.RAD_REVIEW)
    make_agreement(State.RFA_REVIEW)
    assert {user: queries(user) for user in (reviewer, coordinator)} == before
