"""The transactional outbox: side effects are rows written with the change that causes them,
and relayed to Celery only after that change commits. A relay that fails leaves the row for the
periodic sweep, so a broker outage delays a side effect but never loses it."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

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


def broker_unreachable_reason(app=None) -> str | None:
    """Why a network broker cannot be reached right now (None when it can, or for a local one).

    A refused TCP connection answers in milliseconds, whereas the Redis client retries with
    backoff for seconds: checking first keeps a user's request fast while the broker is down."""
    if app is None:
        from icp_portal.celery import app
    url = urlsplit(app.conf.broker_url or "")
    if url.scheme not in ("redis", "rediss", "amqp", "amqps", "pyamqp"):
        return None
    default_port = 6379 if url.scheme.startswith("redis") else 5672
    try:
        with socket.create_connection((url.hostname or "localhost", url.port or default_port), timeout=1.0):
            return None
    except OSError as exc:
        return f"broker {url.hostname}:{url.port or default_port} unreachable: {exc}"


def _record_failure(message_id: int, error: str) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1, last_error=error[:2000])
    logger.warning("outbox message %s not relayed: %s", message_id, error)


def outbox_relay_one(*, message_id: int) -> bool:
    """Hand one message to the broker; on failure record the error and leave it for the sweep."""
    from icp_portal.celery import app

    message = OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).first()
    if message is None:
        return False
    if unreachable := broker_unreachable_reason(app):
        _record_failure(message.pk, unreachable)
        return False
    try:
        app.send_task(message.task, kwargs=message.kwargs, retry=False)
    except Exception as exc:  # the broker is unreachable: the sweep will try again
        _record_failure(message.pk, str(exc))
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=timezone.now(), attempts=F("attempts") + 1)
    return True


def outbox_relay_pending(*, limit: int = 200) -> int:
    """Relay every message not yet handed to the broker (oldest first). Returns how many went."""
    if unreachable := broker_unreachable_reason():
        logger.warning("outbox relay skipped: %s", unreachable)
        return 0
    ids = list(
        OutboxMessage.objects.filter(dispatched_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in ids if outbox_relay_one(message_id=pk))
