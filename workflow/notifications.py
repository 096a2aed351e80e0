"""In-app notifications. Each is made once per person and reminder (its dedupe key); the daily
digest e-mail gathers them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse

from .models import Notification

# Notifications about one office's position in a round; they close when the round closes.
POSITION_KINDS = ("position_requested", "silence_reminder", "position_reminder")
# Where each kind of notification leads (the agreement tab), the rest lead to the overview.
_KIND_ROUTES = {
    "position_requested": "agreement_coordination",
    "silence_reminder": "agreement_coordination",
    "position_reminder": "agreement_coordination",
    "review_requested": "agreement_coordination",
    "non_concurrence": "agreement_coordination",
    "obligation_due": "agreement_coordination",
    "obligation_overdue": "agreement_coordination",
}


def notification_url(notification: Notification) -> str | None:
    """The page a notification is about (None when it concerns no agreement)."""
    if notification.agreement_id is None:
        return None
    route = _KIND_ROUTES.get(notification.kind, "agreement_detail")
    return reverse(route, kwargs={"reference": notification.agreement.reference})


def notify(*, users: Iterable, kind: str, message: str, dedupe_key: str, agreement=None) -> int:
    """Create a notification for each user that has not had this one yet. Returns how many were new."""
    created = 0
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        try:
            with transaction.atomic():
                _, was_created = Notification.objects.get_or_create(
                    user=user,
                    dedupe_key=dedupe_key[:200],
                    defaults={"kind": kind, "message": message, "agreement": agreement},
                )
        except IntegrityError:  # a concurrent sweep made it first
            was_created = False
        created += int(was_created)
    return created
