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
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, DateTimeField, F, Max, Prefetch, Q, When
from django.urls import reverse
from django.utils import timezone

from agreements.choices import REVIEW_STATES, State
from agreements.selectors import agreements_visible_to
from partners.models import User

from .models import AWAITED_POSITION_STATUSES, CalendarFeed, CoordinationPosition
from .selectors import coordination_rounds_visible_to, obligations_visible_to, positions_visible_to

PAST_DAYS = 60
FUTURE_DAYS = 400
MAX_EVENTS = 500  # upcoming events (from today, or from the start of a window that lies ahead)
MAX_PAST_EVENTS = 100  # events already past, the nearest to today kept


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


@dataclass(frozen=True)
class CalendarWindow:
    """The events of a window, and the dates past which some were left out to stay bounded."""

    events: list[CalendarEvent]
    start: dt.date
    end: dt.date
    earlier_left_out: dt.date | None = None  # events on or before this date are not all here
    later_left_out: dt.date | None = None  # events on or after this date are not all here

    @property
    def complete(self) -> bool:
        return self.earlier_left_out is None and self.later_left_out is None


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


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


class _Collector:
    """Gathers the events of one window from several sources, each read nearest to the pivot
    first and bounded on both sides, and remembers where a source had more than it read."""

    def __init__(self, start: dt.date, end: dt.date, pivot: dt.date) -> None:
        self.start, self.end, self.pivot = start, end, pivot
        self.events: list[CalendarEvent] = []
        self.earlier_cut: dt.date | None = None  # events on or before it may be missing
        self.later_cut: dt.date | None = None  # events on or after it may be missing

    def add(self, uid: str, date: dt.date, kind: str, summary: str, description: str, reference: str) -> None:
        if self.start <= date <= self.end:
            self.events.append(CalendarEvent(f"{uid}@icp-portal", date, kind, summary, description, reference))

    def nearest(self, queryset, field: str, *, pivot, to_date=lambda value: value) -> list:
        """The rows of one source whose event (``to_date`` of ``field``) is nearest to the pivot:
        at most MAX_PAST_EVENTS before ``pivot`` (latest first) and MAX_EVENTS from it on
        (earliest first), each side one query in the order of its event dates."""
        before = list(queryset.filter(**{f"{field}__lt": pivot}).order_by(f"-{field}", "-pk")[: MAX_PAST_EVENTS + 1])
        after = list(queryset.filter(**{f"{field}__gte": pivot}).order_by(field, "pk")[: MAX_EVENTS + 1])
        if len(before) > MAX_PAST_EVENTS:
            cut = to_date(getattr(before.pop(), field))
            self.earlier_cut = max(cut, self.earlier_cut or cut)
        if len(after) > MAX_EVENTS:
            cut = to_date(getattr(after.pop(), field))
            self.later_cut = min(cut, self.later_cut or cut)
        return before + after

    def window(self) -> CalendarWindow:
        """The events in date order, bounded: what a source left out is cut off whole days at a
        time, then the past is cut to MAX_PAST_EVENTS and the rest to MAX_EVENTS."""
        earlier, later = self.earlier_cut, self.later_cut
        events = sorted(
            (e for e in self.events if (earlier is None or e.date > earlier) and (later is None or e.date < later)),
            key=lambda e: (e.date, e.reference, e.kind),
        )
        past = [e for e in events if e.date < self.pivot]
        ahead = events[len(past) :]
        if len(past) > MAX_PAST_EVENTS:
            earlier = past[-MAX_PAST_EVENTS - 1].date
            past = [e for e in past if e.date > earlier]
        if len(ahead) > MAX_EVENTS:
            later = ahead[MAX_EVENTS].date
            ahead = [e for e in ahead if e.date < later]
        return CalendarWindow(past + ahead, self.start, self.end, earlier, later)


def calendar_events_for(user: User, start: dt.date | None = None, end: dt.date | None = None) -> list[CalendarEvent]:
    """The events of ``calendar_window_for``, in date order."""
    return calendar_window_for(user, start, end).events


def calendar_window_for(user: User, start: dt.date | None = None, end: dt.date | None = None) -> CalendarWindow:
    """Every event of ``user`` between ``start`` and ``end`` (by default from PAST_DAYS ago to
    FUTURE_DAYS ahead), in date order, in a fixed number of queries: the nearest MAX_EVENTS from
    today on (or from ``start`` when the window lies ahead or behind) and the nearest
    MAX_PAST_EVENTS before it. The window says from which dates events were left out."""
    today = timezone.localdate()
    start = start or today - dt.timedelta(days=PAST_DAYS)
    end = end or today + dt.timedelta(days=FUTURE_DAYS)
    pivot = today if start <= today <= end else start
    found = _Collector(start, end, pivot)
    if user is None or not user.is_authenticated or not user.is_active:
        return found.window()
    add = found.add

    agreements = _scope(user)
    # Expirations, their warnings, and fixed entry-into-force dates (liaisons too: both are in the text).
    # Each warning is a source of its own, read in the order of its own dates.
    in_force = agreements.filter(state=State.IN_FORCE).only("pk", "reference", "title", "state", "expiration_date")
    for days in (0, *sorted(settings.EXPIRY_WARNING_DAYS)):
        ahead = dt.timedelta(days=days)
        rows = in_force.filter(expiration_date__gte=start + ahead, expiration_date__lte=end + ahead)
        for a in found.nearest(rows, "expiration_date", pivot=pivot + ahead, to_date=lambda d, ahead=ahead: d - ahead):
            if days == 0:
                add(
                    f"expiration-{a.pk}-{a.expiration_date:%Y%m%d}",
                    a.expiration_date,
                    "expiration",
                    f"{a.reference} expires",
                    f"{a.title} expires on {a.expiration_date:%Y-%m-%d}.",
                    a.reference,
                )
                continue
            add(
                f"expiry-{days}-{a.pk}-{a.expiration_date:%Y%m%d}",
                a.expiration_date - ahead,
                "expiry_warning",
                f"{a.reference} expires in {days} days",
                f"{a.title} expires on {a.expiration_date:%Y-%m-%d}: {days} days from this date.",
                a.reference,
            )
    fixed = agreements.filter(
        fixed_entry_into_force_date__gte=start,
        fixed_entry_into_force_date__lte=end,
        entry_into_force_date__isnull=True,
    ).only("pk", "reference", "title", "state", "fixed_entry_into_force_date")
    for a in found.nearest(fixed, "fixed_entry_into_force_date", pivot=pivot):
        add(
            f"eif-{a.pk}-{a.fixed_entry_into_force_date:%Y%m%d}",
            a.fixed_entry_into_force_date,
            "entry_into_force",
            f"{a.reference} enters into force",
            f"{a.title} enters into force on the date its text fixes.",
            a.reference,
        )
    if user.is_liaison:
        return found.window()

    follows_reviews = user.is_reviewer or user.is_portal_admin
    window_start, window_end = _day_start(start), _day_start(end + dt.timedelta(days=1))
    if user.is_coordinator:
        open_positions = positions_visible_to(user).filter(
            office_id=user.coordinating_office_id,
            round__closed_at__isnull=True,
            status__in=AWAITED_POSITION_STATUSES,
            due_at__gte=window_start,
            due_at__lt=window_end,
        )
        for p in found.nearest(open_positions, "due_at", pivot=_day_start(pivot), to_date=_local_date):
            a = p.round.agreement
            due = _local_date(p.due_at)
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
        awaited = Q(positions__status__in=AWAITED_POSITION_STATUSES)
        rounds = (
            coordination_rounds_visible_to(user)
            .filter(closed_at__isnull=True)
            .annotate(last_due=Max("positions__due_at", filter=awaited))
            .filter(last_due__gte=window_start, last_due__lt=window_end)
            .select_related("agreement")
            .prefetch_related(
                Prefetch(
                    "positions",
                    queryset=CoordinationPosition.objects.filter(status__in=AWAITED_POSITION_STATUSES)
                    .select_related("office")
                    .order_by("office__name"),
                    to_attr="awaited",
                )
            )
        )
        for r in found.nearest(rounds, "last_due", pivot=_day_start(pivot), to_date=_local_date):
            due = _local_date(r.last_due)
            add(
                f"round-{r.pk}-{due:%Y%m%d}",
                due,
                "silence_deadline",
                f"{r.agreement.reference}: coordination silence deadline",
                f"{r.get_stage_display()} coordination of {r.agreement.title}: awaiting "
                f"{', '.join(p.office.name for p in r.awaited)}.",
                r.agreement.reference,
            )
    if follows_reviews or user.is_program_office:
        targets = {state: limit for state, limit in settings.STALLED_STAGE_DAYS.items() if state in set(REVIEW_STATES)}
        if targets:
            in_review = (
                agreements.filter(state__in=list(targets))
                .annotate(
                    target=Case(
                        *(
                            When(state=state, then=F("state_changed_at") + dt.timedelta(days=limit))
                            for state, limit in targets.items()
                        ),
                        output_field=DateTimeField(),
                    )
                )
                .filter(target__gte=window_start, target__lt=window_end)
                .only("pk", "reference", "title", "state", "state_changed_at")
            )
            for a in found.nearest(in_review, "target", pivot=_day_start(pivot), to_date=_local_date):
                target = _local_date(a.target)
                add(
                    f"review-{a.pk}-{a.state}-{target:%Y%m%d}",
                    target,
                    "review_target",
                    f"{a.reference}: {State(a.state).label} target",
                    f"{a.title} has been in {State(a.state).label} since {a.state_changed_at:%Y-%m-%d}; "
                    f"the target is {targets[a.state]} days.",
                    a.reference,
                )
        wait = dt.timedelta(days=settings.CONGRESSIONAL_WAIT_DAYS)
        waiting = agreements.filter(
            state=State.CONGRESSIONAL_WAIT,
            congressional_notice_date__gte=start - wait,
            congressional_notice_date__lte=end - wait,
        ).only("pk", "reference", "title", "state", "congressional_notice_date")
        for a in found.nearest(waiting, "congressional_notice_date", pivot=pivot - wait, to_date=lambda d: d + wait):
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
        for o in found.nearest(obligations, "due_date", pivot=pivot):
            add(
                f"obligation-{o.pk}-{o.due_date:%Y%m%d}",
                o.due_date,
                "obligation",
                f"{o.agreement.reference}: {o.get_kind_display()}",
                f"{o.get_kind_display()} for {o.agreement.title} is due.",
                o.agreement.reference,
            )
    return found.window()


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
    window = calendar_window_for(user)
    if not window.complete:
        calendar.add("x-wr-caldesc", _left_out_note(window))
    for item in window.events:
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
    if window.later_left_out:
        # Said where a reader of the feed looks: on the day the left-out dates begin.
        note = Event()
        note.add("uid", f"left-out-{user.pk}-{window.later_left_out:%Y%m%d}@icp-portal")
        note.add("dtstamp", stamp)
        note.add("dtstart", window.later_left_out)
        note.add("dtend", window.later_left_out + dt.timedelta(days=1))
        note.add("summary", "ICP Portal: later dates are not in this feed")
        note.add("description", f"{_left_out_note(window)}\n{base}{reverse('calendar')}")
        note.add("url", f"{base}{reverse('calendar')}")
        note.add("transp", "TRANSPARENT")
        calendar.add_component(note)
    return calendar.to_ical()


def _left_out_note(window: CalendarWindow) -> str:
    parts = ["The feed holds the nearest dates only."]
    if window.later_left_out:
        parts.append(
            f"Dates from {window.later_left_out:%Y-%m-%d} on are left out (more than {MAX_EVENTS} ahead): "
            "the calendar page shows them month by month."
        )
    if window.earlier_left_out:
        parts.append(f"Past dates up to {window.earlier_left_out:%Y-%m-%d} are left out.")
    return " ".join(parts)
