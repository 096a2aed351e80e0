"""The transactional outbox: side effects are rows written with the change that causes them,
and relayed to Celery only after that change commits. A relay that fails leaves the row for the
periodic sweep, so a broker outage delays a side effect but never loses it."""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# monotonic() before which web requests leave relaying to the periodic sweep (set after a failed
# hand-over, so a hung broker does not cost every request its timeout). Per process.
_publish_paused_until = 0.0


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
    transaction.on_commit(lambda: outbox_relay_one(message_id=message.pk, from_request=True))
    return message


def broker_unreachable_reason(app=None, *, timeout: float | None = None) -> str | None:
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
        address = (url.hostname or "localhost", url.port or default_port)
        with socket.create_connection(address, timeout=timeout or settings.BROKER_PUBLISH_TIMEOUT):
            return None
    except OSError as exc:
        return f"broker {url.hostname}:{url.port or default_port} unreachable: {exc}"


def _record_failure(message_id: int, error: str) -> None:
    OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1, last_error=error[:2000])
    logger.warning("outbox message %s not relayed: %s", message_id, error)


def _publish(app, message: OutboxMessage) -> None:
    """Hand one message to the broker over a connection whose every step (connect, send, reply)
    gives up after BROKER_PUBLISH_TIMEOUT seconds, and never retries: a hung broker costs at most
    about that long (the worker's own long-lived connection keeps its usual timeouts)."""
    timeout = settings.BROKER_PUBLISH_TIMEOUT
    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "max_retries": 0,
    }
    connection = app.connection_for_write(connect_timeout=timeout, transport_options=options)
    try:
        app.send_task(message.task, kwargs=message.kwargs, retry=False, connection=connection)
    finally:
        connection.release()


def outbox_relay_one(*, message_id: int, from_request: bool = False) -> bool:
    """Hand one message to the broker; on failure record the error and leave it for the sweep.
    ``from_request``: called after a web request's commit, which skips the broker for a few
    seconds after a failure (BROKER_PUBLISH_PAUSE_SECONDS) instead of waiting on it again."""
    global _publish_paused_until
    from icp_portal.celery import app

    if from_request and time.monotonic() < _publish_paused_until:
        return False  # the broker failed a moment ago: the periodic sweep relays this one
    message = OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).first()
    if message is None:
        return False
    started = time.monotonic()
    error = broker_unreachable_reason(app)
    if error is None:
        try:
            _publish(app, message)
        except Exception as exc:  # the broker is unreachable or hung: the sweep will try again
            error = f"{exc.__class__.__name__}: {exc}"
    if error is not None:
        _publish_paused_until = time.monotonic() + settings.BROKER_PUBLISH_PAUSE_SECONDS
        _record_failure(message.pk, f"{error} (after {time.monotonic() - started:.2f} s)")
        return False
    _publish_paused_until = 0.0
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
