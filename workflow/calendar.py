"""The dates that matter to each user, as calendar events: the calendar page (month and list) and
a personal iCalendar feed whose secret URL can be revoked from the profile page.

Who sees what: a coordinator the silence deadlines of its office's open positions; a program
office the clocks of its organization's agreements; a reviewer (and an administrator) reviews
past their target, coordination deadlines, congressional waits and reporting obligations of every
agreement; every DoD user expirations (180/90/30-day warnings and the date itself) and fixed
entry-into-force dates. A partner liaison gets only the expirations and fixed entry-into-force
dates of the agreements it may see: nothing internal."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agreements.choices import REVIEW_STATES, State
from agreements.selectors import agreements_visible_to
from partners.models import User

from .models import CalendarFeed, PositionStatus
from .selectors import obligations_visible_to, positions_visible_to

PAST_DAYS = 60
FUTURE_DAYS = 400
MAX_EVENTS = 500


@dataclass(frozen=True)
class CalendarEvent:
    """One dated event about one agreement."""

    uid: str
    date: dt.date
    kind: str
    summary: str
    description: str
    reference: str

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def path(self) -> str:
        return reverse("agreement_detail", args=[self.reference])


KIND_LABELS = {
    "silence_deadline": "Silence deadline",
    "review_target": "Review target",
    "congressional_wait_end": "Congressional wait ends",
    "obligation": "Reporting obligation",
    "expiry_warning": "Expiry warning",
    "expiration": "Expiration",
    "entry_into_force": "Entry into force",
}


def _scope(user: User):
    """The agreements whose clocks ``user`` follows."""
    agreements = agreements_visible_to(user)
    if user.is_program_office:
        agreements = agreements.filter(lead_organization_id=user.organization_id)
    return agreements


def calendar_events_for(user: User, start: dt.date | None = None, end: dt.date | None = None) -> list[CalendarEvent]:
    """Every event of ``user`` between ``start`` and ``end`` (by default from PAST_DAYS ago to
    FUTURE_DAYS ahead), in date order, at most MAX_EVENTS. A fixed number of queries."""
    today = timezone.localdate()
    start = start or today - dt.timedelta(days=PAST_DAYS)
    end = end or today + dt.timedelta(days=FUTURE_DAYS)
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    events: list[CalendarEvent] = []

    def add(uid: str, date: dt.date, kind: str, summary: str, description: str, reference: str) -> None:
        if start <= date <= end:
            events.append(CalendarEvent(f"{uid}@icp-portal", date, kind, summary, description, reference))

    agreements = _scope(user)
    # Expirations, their warnings, and fixed entry-into-force dates (liaisons too: both are in the text).
    warnings = sorted(settings.EXPIRY_WARNING_DAYS)
    for a in agreements.filter(
        state=State.IN_FORCE, expiration_date__gte=start, expiration_date__lte=end + dt.timedelta(days=max(warnings))
    ).only("pk", "reference", "title", "expiration_date")[:MAX_EVENTS]:
        add(
            f"expiration-{a.pk}-{a.expiration_date:%Y%m%d}",
            a.expiration_date,
            "expiration",
            f"{a.reference} expires",
            f"{a.title} expires on {a.expiration_date:%Y-%m-%d}.",
            a.reference,
        )
        for days in warnings:
            add(
                f"expiry-{days}-{a.pk}-{a.expiration_date:%Y%m%d}",
                a.expiration_date - dt.timedelta(days=days),
                "expiry_warning",
                f"{a.reference} expires in {days} days",
                f"{a.title} expires on {a.expiration_date:%Y-%m-%d}: {days} days from this date.",
                a.reference,
            )
    for a in agreements.filter(
        fixed_entry_into_force_date__gte=start,
        fixed_entry_into_force_date__lte=end,
        entry_into_force_date__isnull=True,
    ).only("pk", "reference", "title", "fixed_entry_into_force_date")[:MAX_EVENTS]:
        add(
            f"eif-{a.pk}-{a.fixed_entry_into_force_date:%Y%m%d}",
            a.fixed_entry_into_force_date,
            "entry_into_force",
            f"{a.reference} enters into force",
            f"{a.title} enters into force on the date its text fixes.",
            a.reference,
        )
    if user.is_liaison:
        return _capped(events)

    follows_reviews = user.is_reviewer or user.is_portal_admin
    open_positions = positions_visible_to(user).filter(
        round__closed_at__isnull=True,
        status__in=[PositionStatus.PENDING, PositionStatus.COMMENT],
        due_at__date__gte=start,
        due_at__date__lte=end,
    )
    if user.is_coordinator:
        for p in open_positions.filter(office_id=user.coordinating_office_id)[:MAX_EVENTS]:
            a = p.round.agreement
            due = timezone.localtime(p.due_at).date()
            add(
                f"silence-{p.pk}-{due:%Y%m%d}",
                due,
                "silence_deadline",
                f"{a.reference}: {p.office.name} position due",
                f"{p.round.get_stage_display()} coordination of {a.title}. Without an answer by this date "
                f"{p.office.name} is deemed to concur.",
                a.reference,
            )
    elif follows_reviews:
        # One event per round: the day its last awaited office is deemed to concur.
        rounds: dict[int, list] = defaultdict(list)
        for p in open_positions[:MAX_EVENTS]:
            rounds[p.round_id].append(p)
        for round_id, positions in rounds.items():
            a = positions[0].round.agreement
            due = max(timezone.localtime(p.due_at).date() for p in positions)
            offices = ", ".join(sorted(p.office.name for p in positions))
            add(
                f"round-{round_id}-{due:%Y%m%d}",
                due,
                "silence_deadline",
                f"{a.reference}: coordination silence deadline",
                f"{positions[0].round.get_stage_display()} coordination of {a.title}: awaiting {offices}.",
                a.reference,
            )
    if follows_reviews or user.is_program_office:
        for a in agreements.filter(state__in=REVIEW_STATES).only(
            "pk", "reference", "title", "state", "state_changed_at"
        )[:MAX_EVENTS]:
            limit = settings.STALLED_STAGE_DAYS.get(a.state)
            if limit is None:
                continue
            target = timezone.localtime(a.state_changed_at).date() + dt.timedelta(days=limit)
            add(
                f"review-{a.pk}-{a.state}-{target:%Y%m%d}",
                target,
                "review_target",
                f"{a.reference}: {State(a.state).label} target",
                f"{a.title} has been in {State(a.state).label} since {a.state_changed_at:%Y-%m-%d}; "
                f"the target is {limit} days.",
                a.reference,
            )
        wait = dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS)
        for a in agreements.filter(
            state=State.CONGRESSIONAL_WAIT,
            congressional_notice_date__gte=start - wait,
            congressional_notice_date__lte=end - wait,
        ).only("pk", "reference", "title", "congressional_notice_date")[:MAX_EVENTS]:
            ends = a.congressional_notice_date + wait
            add(
                f"congress-{a.pk}-{ends:%Y%m%d}",
                ends,
                "congressional_wait_end",
                f"{a.reference}: congressional wait ends",
                f"Congress was notified on {a.congressional_notice_date:%Y-%m-%d}; {a.title} may be signed "
                "once the wait has ended.",
                a.reference,
            )
        obligations = obligations_visible_to(user).filter(
            agreement__in=agreements, completed_date__isnull=True, due_date__gte=start, due_date__lte=end
        )
        for o in obligations[:MAX_EVENTS]:
            add(
                f"obligation-{o.pk}-{o.due_date:%Y%m%d}",
                o.due_date,
                "obligation",
                f"{o.agreement.reference}: {o.get_kind_display()}",
                f"{o.get_kind_display()} for {o.agreement.title} is due.",
                o.agreement.reference,
            )
    return _capped(events)


def _capped(events: list[CalendarEvent]) -> list[CalendarEvent]:
    events.sort(key=lambda e: (e.date, e.reference, e.kind))
    return events[:MAX_EVENTS]


# --- the feed ---------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> tuple[CalendarFeed, str]:
    """A new feed URL token for ``user`` (shown once); the user's older feeds are revoked."""
    if not user.is_active:
        raise PermissionDenied("An inactive user has no calendar feed.")
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=user, token_hash=_hash(token), prefix=token[:8])
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, user: User) -> CalendarFeed:
    """Revoke one of the user's feeds: its URL answers 404 from now on."""
    if feed.user_id != user.pk:
        raise PermissionDenied("You can revoke only your own calendar feed.")
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed a URL token opens (None for an unknown or revoked one, or an inactive user)."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is not None and (feed.last_used_at is None or timezone.now() - feed.last_used_at > dt.timedelta(hours=1)):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed


def calendar_ics(user: User) -> bytes:
    """The user's events as an iCalendar file (all-day events, each linking to its agreement)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//ICP Portal//Agreement deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"ICP Portal — {user.get_full_name() or user.username}")
    base = settings.PORTAL_BASE_URL.rstrip("/")
    stamp = timezone.now()
    for item in calendar_events_for(user):
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.date)
        event.add("dtend", item.date + dt.timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", f"{item.description}\n{base}{item.path}")
        event.add("url", f"{base}{item.path}")
        event.add("categories", [KIND_LABELS[item.kind]])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
