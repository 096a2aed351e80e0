"""The e-mail outbox. A message is a row (``OutboundEmail``) written in the same transaction as
the decision to send it; a worker sends it afterwards, outside any transaction and row lock, with
``EMAIL_TIMEOUT`` on the SMTP connection, and marks it sent only after the server's 250 reply.

Delivery is at least once: a send that fails (server down, hung, or dropping the connection before
its reply) is tried again with a growing delay, up to ``EMAIL_MAX_ATTEMPTS`` times. Each message
has a Message-ID fixed when it is made, so the one case that can deliver twice (the server took the
message but its acknowledgement was lost) delivers the same Message-ID, which mail systems
de-duplicate. Two workers never send one message at the same time: a worker claims it with a
lease first."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import EmailStatus, OutboundEmail
from .outbox import outbox_enqueue

logger = logging.getLogger(__name__)

EMAIL_TASK = "workflow.tasks.email_send"


def _message_id(dedupe_key: str) -> str:
    domain = getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", "") or "icp-portal.invalid"
    return f"<{uuid.uuid5(uuid.NAMESPACE_URL, dedupe_key).hex}.{uuid.uuid4().hex[:8]}@{domain}>"


def email_enqueue(
    *, dedupe_key: str, to: list[str], subject: str, body_text: str, body_html: str = "", relay: bool = True
) -> OutboundEmail:
    """Record one message to send once the surrounding transaction commits (``relay``: also queue
    a task that sends it at once; otherwise the caller or the periodic sweep sends it). The same
    ``dedupe_key`` never makes a second message."""
    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(
            dedupe_key=dedupe_key[:200],
            defaults={
                "message_id": _message_id(dedupe_key),
                "to": list(to),
                "subject": subject[:500],
                "body_text": body_text,
                "body_html": body_html,
            },
        )
        if created and relay:
            outbox_enqueue(task=EMAIL_TASK, kwargs={"email_id": email.pk}, dedupe_key=f"email:{email.pk}")
    return email


def _in_transaction() -> bool:
    """Whether a transaction of the application's is open (a test case's wrapper does not count)."""
    connection = transaction.get_connection()
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at EMAIL_RETRY_MAX_SECONDS: soon, never the next day."""
    seconds = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


def _lease_seconds() -> int:
    # Connect, greet, send and quit, each bounded by EMAIL_TIMEOUT, with room to spare.
    return int(settings.EMAIL_TIMEOUT or 10) * 6 + 30


def email_claim(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Take the message for sending (one short UPDATE, no lock held afterwards). False when it is
    sent, failed for good, not yet due, or another worker holds a live lease on it."""
    now = now or timezone.now()
    claimable = Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=EmailStatus.SENDING, lease_until__lt=now
    )
    return bool(
        OutboundEmail.objects.filter(claimable, pk=email_id).update(
            status=EmailStatus.SENDING,
            lease_until=now + dt.timedelta(seconds=_lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )


def _as_message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(email.to),
        headers={"Message-ID": email.message_id},
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def email_send(*, email_id: int, now: dt.datetime | None = None) -> str:
    """Send one message if it is due and not sent. Returns "sent", "retry" (failed; tried again
    later), "failed" (out of attempts) or "skipped". Never called inside a transaction."""
    if _in_transaction():
        raise RuntimeError("email_send must not run inside a database transaction.")
    if not email_claim(email_id=email_id, now=now):
        return "skipped"
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        sent = _as_message(email, connection).send(fail_silently=False)
        if not sent:
            raise OSError("the mail server accepted no recipient")
    except Exception as exc:  # server down, hung past EMAIL_TIMEOUT, or dropped before its 250
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            OutboundEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.FAILED, last_error=error, lease_until=None
            )
            logger.error(
                "e-mail %s to %s failed for good after %s tries: %s", email.pk, email.to, email.attempts, error
            )
            return "failed"
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.PENDING,
            last_error=error,
            lease_until=None,
            next_attempt_at=(now or timezone.now()) + _retry_delay(email.attempts),
        )
        logger.warning("e-mail %s to %s not sent (try %s): %s", email.pk, email.to, email.attempts, error)
        return "retry"
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), last_error="", lease_until=None
    )
    return "sent"


def emails_send_due(*, limit: int = 200, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every message that is due: new ones whose task was lost, retries whose delay has
    passed, and ones whose sender died holding the lease. Returns a count per outcome."""
    now = now or timezone.now()
    due = (
        OutboundEmail.objects.filter(
            Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(status=EmailStatus.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcome = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    for pk in list(due):
        outcome[email_send(email_id=pk, now=now)] += 1
    return outcome


def emails_deliver(*, email_ids: list[int]) -> dict[str, int]:
    """Try to send these messages now and say how many the mail server accepted. A message another
    worker is sending is waited for (at most its lease), so the answer is the server's, not a guess."""
    outcome = {"sent": 0, "not_sent": 0}
    for email_id in email_ids:
        if email_send(email_id=email_id) == "skipped":
            deadline = time.monotonic() + _lease_seconds()
            while (
                time.monotonic() < deadline
                and OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENDING).exists()
            ):
                time.sleep(0.5)
        sent = OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.SENT).exists()
        outcome["sent" if sent else "not_sent"] += 1
    return outcome


def emails_waiting() -> int:
    """Messages not yet accepted by the mail server (pending or being sent)."""
    return OutboundEmail.objects.filter(status__in=[EmailStatus.PENDING, EmailStatus.SENDING]).count()
