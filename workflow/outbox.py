"""The transactional outbox: side effects are rows written with the change that causes them,
and relayed to Celery only after that change commits. A relay that fails leaves the row for the
periodic sweep, so a broker outage delays a side effect but never loses it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)


def outbox_enqueue(*, task: str, kwargs: dict, dedupe_key: str | None = None) -> OutboxMessage:
    """Record a Celery task to run once the surrounding transaction commits."""
    if dedupe_key:
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key, defaults={"task": task, "kwargs": kwargs}
        )
        if not created:
            return message
    else:
        message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_relay_one(message_id=message.pk))
    return message


def outbox_relay_one(*, message_id: int) -> bool:
    """Hand one message to the broker; on failure record the error and leave it for the sweep."""
    from icp_portal.celery import app

    message = OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).first()
    if message is None:
        return False
    try:
        app.send_task(message.task, kwargs=message.kwargs, retry=False)
    except Exception as exc:  # the broker is unreachable: the sweep will try again
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
        logger.warning("outbox message %s not relayed: %s", message.pk, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=timezone.now(), attempts=F("attempts") + 1)
    return True


def outbox_relay_pending(*, limit: int = 200) -> int:
    """Relay every message not yet handed to the broker (oldest first). Returns how many went."""
    ids = list(
        OutboxMessage.objects.filter(dispatched_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if outbox_relay_one(message_id=pk))
