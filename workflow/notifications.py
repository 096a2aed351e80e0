"""In-app notifications. Each is made once per person and reminder (its dedupe key); the daily
digest e-mail gathers them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from .models import Notification


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
