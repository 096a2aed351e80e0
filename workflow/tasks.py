"""Celery tasks: thin wrappers that take ids, re-fetch, and call a service. Every task is
idempotent, so a redelivered message (acks_late, a worker killed mid-task) does no harm."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from . import emails, pdf, reminders, services
from .outbox import outbox_relay_pending

logger = logging.getLogger(__name__)

# Errors worth retrying: the database went away or a lock timed out.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
RENDER_MAX_RETRIES = 4


@shared_task(
    bind=True,
    name="workflow.tasks.render_job_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_RENDER_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_RENDER_TIME_LIMIT,
    max_retries=RENDER_MAX_RETRIES,
)
def render_job_run(self, job_id: int) -> str:
    """Render one PDF job. Transient failures retry with exponential backoff; a job that cannot
    succeed, or that runs out of retries or time, is marked failed for the user to retry."""
    try:
        job = pdf.render_job_run(job_id=job_id)
    except pdf.RenderFailed as exc:
        pdf.render_job_fail(job_id=job_id, error=str(exc))
        return "failed"
    except SoftTimeLimitExceeded:
        pdf.render_job_fail(job_id=job_id, error="Rendering took too long and was stopped. Try again.")
        return "failed"
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= RENDER_MAX_RETRIES:
            pdf.render_job_fail(job_id=job_id, error=f"Rendering failed after {self.request.retries + 1} tries.")
            return "failed"
        countdown = min(300, 5 * 2**self.request.retries)
        logger.warning("render job %s: transient error %s; retrying in %ss", job_id, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except DatabaseError as exc:
        logger.exception("render job %s failed", job_id)
        pdf.render_job_fail(job_id=job_id, error=f"Rendering failed: {exc.__class__.__name__}.")
        return "failed"
    except Exception as exc:  # a bug or bad data: retrying would fail the same way
        logger.exception("render job %s failed", job_id)
        pdf.render_job_fail(job_id=job_id, error=f"Rendering failed: {exc.__class__.__name__}: {exc}"[:500])
        return "failed"
    return "skipped" if job is None else job.status


@shared_task(name="workflow.tasks.outbox_relay", acks_late=True, ignore_result=True, soft_time_limit=50, time_limit=60)
def outbox_relay() -> int:
    """Hand the broker every outbox message still waiting (e.g. written while Redis was down)."""
    return outbox_relay_pending()


@shared_task(name="workflow.tasks.lifecycle_sweeps", acks_late=True, ignore_result=True)
def lifecycle_sweeps() -> dict:
    """Deemed concurrence past silence deadlines, congressional waits that have ended, signed
    agreements whose fixed entry-into-force date has come, expiries."""
    return {
        "concurred_by_silence": services.silence_sweep(),
        "congressional_waits_ended": services.congressional_wait_sweep(),
        "entered_into_force": services.entry_into_force_sweep(),
        "expired": services.expiry_sweep(),
    }


class EmailsNotDelivered(Exception):
    """The reminders ran and the digests are in the outbox, but the mail server did not take
    some of them: the run is reported as failed (they are retried within minutes)."""


@shared_task(name="workflow.tasks.reminders_run", acks_late=True, ignore_result=True)
def reminders_run() -> dict:
    """Every reminder sweep, then one e-mail digest per person for the day. Running it again
    sends nothing new. Fails (after saving everything) when the mail server refused or did not
    answer, so an SMTP outage is never reported as success."""
    result = reminders.reminders_run()
    if result["emails_not_sent"]:
        raise EmailsNotDelivered(
            f"{result['emails_not_sent']} e-mail(s) not accepted by the mail server; "
            f"{result['emails_waiting']} waiting to be retried. Run: {result}"
        )
    return result


@shared_task(name="workflow.tasks.email_send", acks_late=True, ignore_result=True)
def email_send(email_id: int) -> str:
    """Send one message from the e-mail outbox (a failure is retried by ``emails_send_due``)."""
    return emails.email_send(email_id=email_id)


@shared_task(name="workflow.tasks.emails_send_due", acks_late=True, ignore_result=True)
def emails_send_due() -> dict:
    """Send every message that is due: retries, and messages whose task was lost."""
    return emails.emails_send_due()


@shared_task(name="workflow.tasks.render_jobs_requeue_stale", acks_late=True, ignore_result=True)
def render_jobs_requeue_stale() -> int:
    """Give the broker again the render jobs it appears to have lost."""
    return pdf.render_jobs_requeue_stale()


@shared_task(
    name="workflow.tasks.import_batch_run",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def import_batch_run(batch_id: int) -> str:
    """Import a queued file (large files are imported here, the page showing progress)."""
    from .imports import import_batch_run as run

    batch = run(batch_id=batch_id)
    return "skipped" if batch is None else batch.status


@shared_task(
    name="workflow.tasks.import_batch_check",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def import_batch_check(batch_id: int) -> str:
    """Check a large uploaded file (its dry-run preview), the page showing progress."""
    from .imports import import_batch_check as check

    batch = check(batch_id=batch_id)
    return "skipped" if batch is None else batch.status


@shared_task(name="workflow.tasks.import_batches_requeue_stale", acks_late=True, ignore_result=True)
def import_batches_requeue_stale() -> int:
    """Give the worker again the import batches whose message the broker lost or whose worker died."""
    from .imports import import_batches_requeue_stale as sweep

    return sweep()


@shared_task(name="workflow.tasks.idempotency_records_expire", acks_late=True, ignore_result=True)
def idempotency_records_expire() -> int:
    """Forget Idempotency-Keys and used form tokens older than IDEMPOTENCY_KEY_TTL_HOURS."""
    from icp_portal.idempotency import idempotency_records_expire as expire

    return expire()
