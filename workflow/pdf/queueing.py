"""Requests from people: who may ask for which PDF, queueing a render or an export, retrying a
job, and the sweep that queues a stuck job again."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import Agreement
from agreements.selectors import agreements_visible_to
from partners.models import Partner, User

from ..models import RenderJob, RenderKind, RenderStatus
from ..outbox import outbox_enqueue
from ..services import RENDER_TASK, render_job_request
from .jobs import DOCUMENT_KIND

logger = logging.getLogger(__name__)


def export_request(*, user: User, fmt: str, query: str) -> RenderJob:
    """Queue a large export of the list ``query`` describes; the worker writes it."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to export agreements.")
    if fmt not in ("csv", "xlsx"):
        raise ValidationError({"format": "Export as csv or xlsx."})
    return render_job_request(kind=RenderKind.EXPORT, user=user, params={"format": fmt, "query": query[:4000]})


# --- requests from people ---------------------------------------------------------------------------
def render_permission_denial(*, user: User, kind: str, agreement: Agreement | None = None) -> str | None:
    """Why ``user`` may not ask for this PDF (None when it may). Agreement PDFs are internal DoD
    documents; the register is for DoD users and, in its releasable variant, liaisons."""
    if user is None or not user.is_authenticated or not user.is_active:
        return "Sign in to ask for a PDF."
    if kind in (RenderKind.REGISTER, RenderKind.EXPORT):
        return None
    if kind == RenderKind.PARTNER_SUMMARY:
        if agreement is None or not agreements_visible_to(user).filter(pk=agreement.pk).exists():
            return "You cannot see this agreement."
        return None
    if kind not in DOCUMENT_KIND:
        return "Unknown kind of PDF."
    if user.is_liaison:
        return "SSOI and summary PDFs are internal DoD documents."
    if agreement is None or not agreements_visible_to(user).filter(pk=agreement.pk).exists():
        return "You cannot see this agreement."
    return None


def render_request(
    *,
    user: User,
    kind: str,
    agreement: Agreement | None = None,
    as_of: dt.date | None = None,
    partner: Partner | None = None,
) -> RenderJob:
    """A person asks for a PDF: the job and its outbox message commit together and the page
    returns at once; the worker renders it."""
    denial = render_permission_denial(user=user, kind=kind, agreement=agreement)
    if denial:
        raise PermissionDenied(denial)
    params: dict = {}
    if kind == RenderKind.REGISTER:
        as_of = as_of or timezone.localdate()
        if as_of > timezone.localdate():
            raise ValidationError({"as_of": "The register shows agreements in force up to today: choose a past date."})
        if as_of.year < 1950:
            raise ValidationError({"as_of": "Choose a date from 1950 on."})
        params = {"as_of": as_of.isoformat()}
        if partner is not None and not user.is_liaison:
            params["partner_id"] = partner.pk
        agreement = None
    return render_job_request(kind=kind, user=user, agreement=agreement, params=params)


def render_job_visible_to(user: User, job: RenderJob) -> bool:
    """Whether ``user`` may see a job's status (and retry it): its requester, or a DoD user who
    can see the job's agreement."""
    if user is None or not user.is_authenticated:
        return False
    if job.requested_by_id == user.pk:
        return True
    if user.is_liaison or job.agreement_id is None:
        return False
    return agreements_visible_to(user).filter(pk=job.agreement_id).exists()


def render_job_stuck(job: RenderJob, *, now: dt.datetime | None = None) -> bool:
    """Whether a job that is not finished can no longer be progressing (``RenderJob.stuck``)."""
    return job.stuck(now=now)


@transaction.atomic
def render_job_retry(*, job: RenderJob, user: User) -> RenderJob:
    """Queue a failed or stuck job again (a fresh outbox message; its attempt count starts over)."""
    job = RenderJob.objects.select_for_update().get(pk=job.pk)
    if not render_job_visible_to(user, job):
        raise PermissionDenied("You cannot retry this PDF.")
    if job.status != RenderStatus.FAILED and not render_job_stuck(job):
        raise ValidationError(
            f"Only a failed or stuck PDF can be retried; this one is {job.get_status_display().lower()}."
        )
    retries = int(job.params.get("retries", 0)) + 1
    job.status = RenderStatus.QUEUED
    job.attempts = 0
    job.error = ""
    job.started_at = None
    job.finished_at = None
    job.params = {**job.params, "retries": retries}
    job.save()
    outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=f"render:{job.pk}:retry:{retries}")
    return job


def render_jobs_requeue_stale(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Queue again every stuck job (``render_job_stuck``): a worker killed mid-render, or a
    broker that lost the message. Running a job twice is harmless: it is idempotent."""
    now = now or timezone.now()
    rendering_cutoff = now - dt.timedelta(seconds=settings.RENDER_STALE_SECONDS)
    queued_cutoff = now - dt.timedelta(seconds=settings.RENDER_QUEUED_STALE_SECONDS)
    candidates = RenderJob.objects.filter(
        Q(status=RenderStatus.QUEUED, created_at__lt=queued_cutoff)
        | Q(status=RenderStatus.RENDERING, started_at__lt=rendering_cutoff)
        | Q(status=RenderStatus.RENDERING, started_at__isnull=True)
    ).order_by("pk")[:limit]
    count = 0
    for job in candidates:
        if not render_job_stuck(job, now=now):
            continue
        with transaction.atomic():
            moved = RenderJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
                status=RenderStatus.QUEUED, started_at=None
            )
            if not moved:
                continue  # it moved on meanwhile
            key = f"render:{job.pk}:requeue:{now.timestamp():.0f}"
            outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=key)
        count += 1
        logger.warning("render job %s was stuck (%s); queued again", job.pk, job.status)
    return count
