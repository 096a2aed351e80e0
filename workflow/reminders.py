"""Reminders and the daily e-mail digest. Each sweep makes in-app notifications through
``workflow.notifications.notify``, whose dedupe keys guarantee the same reminder is made once
however often the sweep runs; ``digests_send`` then gathers a person's new notifications into one
e-mail per day (``EmailDigest``), stamping each one's ``emailed_at``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from agreements.choices import REVIEW_STATES, State
from agreements.models import Agreement
from partners.models import Role, User

from . import services
from .emails import email_enqueue, emails_deliver, emails_waiting
from .models import (
    CoordinationPosition,
    EmailDigest,
    Notification,
    PositionStatus,
    ReportingObligation,
)
from .notifications import notify
from .selectors import agreements_stalled
from .transitions import EVENT_REMINDER_SENT

logger = logging.getLogger(__name__)


def _program_office_users(agreement: Agreement) -> list[User]:
    users = list(
        User.objects.filter(role=Role.PROGRAM_OFFICE, organization_id=agreement.lead_organization_id, is_active=True)
    )
    if agreement.action_officer_id and agreement.action_officer not in users:
        users.append(agreement.action_officer)
    return users


def _reviewers() -> list[User]:
    return list(User.objects.filter(role=Role.REVIEWER, is_active=True))


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


# --- the sweeps ---------------------------------------------------------------------------------
def silence_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind each coordinating office whose position is still open SILENCE_REMINDER_DAYS (or
    fewer) days before its deadline. One reminder per position and deadline."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=settings.SILENCE_REMINDER_DAYS)
    positions = (
        CoordinationPosition.objects.filter(
            round__closed_at__isnull=True,
            status__in=[PositionStatus.PENDING, PositionStatus.COMMENT],
            due_at__gt=now,
            due_at__lte=horizon,
        )
        .select_related("round__agreement", "office")
        .order_by("due_at")
    )
    coordinators: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.COORDINATOR, is_active=True):
        coordinators.setdefault(user.coordinating_office_id, []).append(user)
    made = 0
    for position in positions:
        agreement = position.round.agreement
        left = max(0, (position.due_at.date() - now.date()).days)
        made += notify(
            users=coordinators.get(position.office_id, []),
            kind="silence_reminder",
            message=(
                f"{agreement.reference}: {position.office.name}'s {position.round.get_stage_display()} position "
                f"is due by {position.due_at:%Y-%m-%d} (in {_days(left)}). Without an answer by then the "
                "office is deemed to concur."
            ),
            dedupe_key=f"silence_reminder:{position.pk}:{position.due_at:%Y%m%d%H%M}",
            agreement=agreement,
        )
    return made


def stalled_stage_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Tell the program office (and, for a review stage, the reviewers) when an agreement has
    stayed in one state longer than STALLED_STAGE_DAYS allows. Once per stay in that state."""
    now = now or timezone.now()
    made = 0
    reviewers = None
    stalled = agreements_stalled(Agreement.objects.all(), now=now).select_related("action_officer").order_by("pk")
    for agreement in stalled:
        state = agreement.state
        limit = settings.STALLED_STAGE_DAYS[state]
        if state in REVIEW_STATES and reviewers is None:
            reviewers = _reviewers()
        users = _program_office_users(agreement) + (reviewers if state in REVIEW_STATES else [])
        waited = (now - agreement.state_changed_at).days
        made += notify(
            users=users,
            kind="stalled_stage",
            message=(
                f"{agreement.reference} has been in {State(state).label} for {_days(waited)} "
                f"(the limit is {_days(limit)})."
            ),
            dedupe_key=f"stalled:{agreement.pk}:{state}:{agreement.state_changed_at:%Y%m%d%H%M%S}",
            agreement=agreement,
        )
    return made


def expiry_warnings_send(*, today: dt.date | None = None) -> int:
    """Warn the program office 180, 90 and 30 days (EXPIRY_WARNING_DAYS) before an agreement in
    force expires: the tightest threshold reached, once per threshold and expiration date."""
    today = today or timezone.localdate()
    thresholds = sorted(settings.EXPIRY_WARNING_DAYS)
    if not thresholds:
        return 0
    horizon = today + dt.timedelta(days=thresholds[-1])
    made = 0
    expiring = Agreement.objects.filter(
        state=State.IN_FORCE, expiration_date__gt=today, expiration_date__lte=horizon
    ).select_related("action_officer")
    for agreement in expiring:
        left = (agreement.expiration_date - today).days
        threshold = next(t for t in thresholds if left <= t)
        made += notify(
            users=_program_office_users(agreement),
            kind="expiry_warning",
            message=(
                f"{agreement.reference} expires on {agreement.expiration_date:%Y-%m-%d}, in {_days(left)} "
                f"({threshold}-day warning). Extend it by amendment or let it expire."
            ),
            dedupe_key=f"expiry:{agreement.pk}:{threshold}:{agreement.expiration_date:%Y%m%d}",
            agreement=agreement,
        )
    return made


def obligation_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind the program office and the reviewers of reporting obligations due within
    OBLIGATION_REMINDER_DAYS, and again once they are overdue."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.OBLIGATION_REMINDER_DAYS)
    obligations = ReportingObligation.objects.filter(completed_date__isnull=True, due_date__lte=horizon).select_related(
        "agreement__action_officer"
    )
    reviewers = _reviewers()
    made = 0
    for obligation in obligations:
        agreement = obligation.agreement
        overdue = obligation.due_date < today
        if overdue:
            message = (
                f"{agreement.reference}: {obligation.get_kind_display()} was due on "
                f"{obligation.due_date:%Y-%m-%d} and is overdue."
            )
        else:
            message = (
                f"{agreement.reference}: {obligation.get_kind_display()} is due by {obligation.due_date:%Y-%m-%d} "
                f"(in {_days((obligation.due_date - today).days)})."
            )
        made += notify(
            users=_program_office_users(agreement) + reviewers,
            kind="obligation_overdue" if overdue else "obligation_due",
            message=message,
            dedupe_key=f"obligation_{'overdue' if overdue else 'due'}:{obligation.pk}:{obligation.due_date:%Y%m%d}",
            agreement=agreement,
        )
    return made


# --- the digest -----------------------------------------------------------------------------------
def _digest_items(user: User):
    return (
        Notification.objects.filter(user=user, emailed_at__isnull=True, read_at__isnull=True)
        .select_related("agreement")
        .order_by("created_at", "pk")
    )


def digest_send(*, user: User, today: dt.date, relay: bool = True) -> int | None:
    """Put ``user``'s digest for ``today`` in the e-mail outbox unless it is there already. The
    digest row, the message and the ``emailed_at`` stamps commit together in one short
    transaction that makes no network call; a worker sends the message afterwards."""
    with transaction.atomic():
        items = list(_digest_items(user).select_for_update(of=("self",), skip_locked=True))
        if not items:
            return None
        digest, created = EmailDigest.objects.get_or_create(user=user, date=today, defaults={"item_count": len(items)})
        if not created:
            return None
        base_url = settings.PORTAL_BASE_URL.rstrip("/")
        context = {
            "user": user,
            "items": items,
            "date": today,
            "marking": settings.PORTAL_MARKING,
            "notifications_url": base_url + reverse("notifications"),
            "base_url": base_url,
        }
        count = len(items)
        email = email_enqueue(
            relay=relay,
            dedupe_key=f"digest:{user.pk}:{today:%Y-%m-%d}",
            to=[user.email],
            subject=f"ICP Portal: {count} update{'s' if count != 1 else ''} for {today:%d %B %Y}",
            body_text=render_to_string("email/digest.txt", context),
            body_html=render_to_string("email/digest.html", context),
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
    return email.pk


def digests_send(*, today: dt.date | None = None) -> int:
    """One digest per person with new, unread notifications and an e-mail address, once a day,
    put in the e-mail outbox. Returns how many were queued."""
    return len(digests_compose(today=today))


def digests_compose(*, today: dt.date | None = None, relay: bool = True) -> list[int]:
    """The digests of ``digests_send``; returns their OutboundEmail ids."""
    today = today or timezone.localdate()
    already = EmailDigest.objects.filter(date=today).values("user_id")
    user_ids = (
        Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .exclude(user_id__in=already)
        .values_list("user_id", flat=True)
        .distinct()
    )
    queued: list[int] = []
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True).exclude(email=""):
        try:
            email_id = digest_send(user=user, today=today, relay=relay)
        except Exception:  # one person's bad data must not stop everyone else's digest
            logger.exception("digest for %s not queued", user.username)
            continue
        if email_id is not None:
            queued.append(email_id)
    return queued


def reminders_run(*, now: dt.datetime | None = None) -> dict:
    """The daily run: every lifecycle sweep and reminder, then the digests, then an attempt to
    send every e-mail that is due. Idempotent. ``emails_waiting`` counts the messages the mail
    server has not accepted yet (they are retried within minutes by ``emails_send_due``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = {
        "concurred_by_silence": services.silence_sweep(now=now),
        "congressional_waits_ended": services.congressional_wait_sweep(today=today),
        "entered_into_force": services.entry_into_force_sweep(today=today),
        "expired": services.expiry_sweep(today=today),
        "silence_reminders": silence_reminders_send(now=now),
        "stalled_stages": stalled_stage_reminders_send(now=now),
        "expiry_warnings": expiry_warnings_send(today=today),
        "obligation_reminders": obligation_reminders_send(today=today),
    }
    # Today's digests are sent here, and the run reports what the mail server accepted; the
    # periodic sweep (emails_send_due) retries what it refused within minutes.
    digest_ids = digests_compose(today=today, relay=False)
    result["digests"] = len(digest_ids)
    delivery = emails_deliver(email_ids=digest_ids)
    result["emails_sent"] = delivery["sent"]
    result["emails_not_sent"] = delivery["not_sent"]
    result["emails_waiting"] = emails_waiting()
    return result


# --- people's own notifications --------------------------------------------------------------------
def notifications_for(user: User):
    """A person's notifications, newest first."""
    return Notification.objects.filter(user=user).select_related("agreement").order_by("-created_at", "-pk")


@transaction.atomic
def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications (all unread ones when ``ids`` is None) of ``user`` as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- reminders a reviewer sends from the review queue ---------------------------------------------
@dataclass
class ReminderOutcome:
    reference: str
    offices: list[str]
    skipped: str = ""


def coordination_reminders_send(
    *, agreements: Iterable[Agreement], user: User, context: services.AuditContext | None = None
) -> list[ReminderOutcome]:
    """A reviewer reminds the offices that have not answered, for several agreements at once.
    Each agreement gets its own audit row naming the offices reminded; an office is reminded at
    most once a day per position however often the button is pressed."""
    if not (user.is_reviewer or user.is_portal_admin):
        raise PermissionDenied("Only an OUSD(A&S) reviewer sends reminders from the review queue.")
    today = timezone.localdate()
    outcomes = []
    coordinators: dict[int, list[User]] = {}
    for coordinator in User.objects.filter(role=Role.COORDINATOR, is_active=True):
        coordinators.setdefault(coordinator.coordinating_office_id, []).append(coordinator)
    for agreement in agreements:
        positions = list(
            CoordinationPosition.objects.filter(
                round__agreement=agreement,
                round__closed_at__isnull=True,
                status__in=[PositionStatus.PENDING, PositionStatus.COMMENT],
            ).select_related("office", "round")
        )
        # An office past its deadline is deemed to concur: the same rule as the single reminder.
        positions = [p for p in positions if not services.position_reminder_denial(p, now=timezone.now())]
        if not positions:
            outcomes.append(ReminderOutcome(agreement.reference, [], "every office has answered"))
            continue
        reminded = []
        with transaction.atomic():
            for position in positions:
                made = notify(
                    users=coordinators.get(position.office_id, []),
                    kind="silence_reminder",
                    message=(
                        f"{agreement.reference}: the reviewer asks for {position.office.name}'s "
                        f"{position.round.get_stage_display()} position, due by {position.due_at:%Y-%m-%d}."
                    ),
                    dedupe_key=services.position_reminder_key(position, today=today),
                    agreement=agreement,
                )
                if made:
                    reminded.append(position.office.name)
            if reminded:
                services.audit_event(
                    agreement=agreement,
                    event=EVENT_REMINDER_SENT,
                    user=user,
                    comment="Reminder sent to " + ", ".join(sorted(reminded)) + ".",
                    data={"offices": sorted(reminded)},
                    context=context,
                )
        outcomes.append(
            ReminderOutcome(agreement.reference, sorted(reminded), "" if reminded else "already reminded today")
        )
    return outcomes
