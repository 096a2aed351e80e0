"""PDF requests: a render job and its outbox message."""

from __future__ import annotations

from django.db import transaction

from agreements.models import Agreement
from partners.models import User

from ..models import RENDER_TASK, RenderJob
from ..outbox import outbox_enqueue


# --- PDF requests -----------------------------------------------------------------------------
def render_job_request(
    *, kind: str, user: User | None, agreement: Agreement | None = None, params: dict | None = None
) -> RenderJob:
    """Queue a PDF: the job row and its outbox message commit with the caller's transaction."""
    with transaction.atomic():
        job = RenderJob.objects.create(kind=kind, agreement=agreement, params=params or {}, requested_by=user)
        outbox_enqueue(task=RENDER_TASK, kwargs={"job_id": job.pk}, dedupe_key=f"render:{job.pk}")
    return job
